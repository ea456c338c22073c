//go:build js

package ipn

import "math/rand/v2"

// randomBytes fills b from the runtime's ChaCha8 generator: a test IPN's id must be unique,
// not secret, and crypto/rand would link the standard library's FIPS module (with AES and a
// DRBG) into the WebAssembly builds (see internal/sha2).
func randomBytes(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := rand.Uint64()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}
