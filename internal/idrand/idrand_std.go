//go:build !(js && wasm)

package idrand

import "crypto/rand"

// Read fills b from crypto/rand.
func Read(b []byte) { _, _ = rand.Read(b) } // never fails (Go 1.24+)
