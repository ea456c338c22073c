//go:build js && wasm

package core

import (
	"math/rand/v2"

	"github.com/wallexkit/wallexkit/core/internal/ipaddr"
)

// parseBaseURL reads an API URL without net/url's parser (see strictBaseURL).
func parseBaseURL(raw string) (baseURL, bool) { return strictBaseURL(raw) }

// isLoopbackIP reports whether s is a loopback IP address, as net/netip reads it (ipaddr's tests
// compare the two), without linking net/netip.
func isLoopbackIP(s string) bool {
	ip, ok := ipaddr.Parse(s)
	return ok && ip.IsLoopback()
}

// randomBytes fills b for an ID that must be unique, not secret (operation IDs), from the Go
// runtime's generator: ChaCha8, seeded from crypto.getRandomValues. crypto/rand would link its
// FIPS DRBG (AES, SHA-3: about 8 KB gzip) into the WebAssembly builds.
func randomBytes(b []byte) {
	for i := 0; i < len(b); i += 8 {
		v := rand.Uint64()
		for j := i; j < len(b) && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
}
