//go:build js && wasm

package gateway

import "math/rand/v2"

// randomBytes fills b for an ID that must be unique, not secret (invoices, nonce call ids), from
// the Go runtime's generator: ChaCha8, seeded from crypto.getRandomValues. crypto/rand would link
// its FIPS DRBG (AES, SHA-3: about 8 KB gzip) into the Worker.
func randomBytes(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := rand.Uint64()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}
