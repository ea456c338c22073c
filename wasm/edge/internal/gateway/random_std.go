//go:build !(js && wasm)

package gateway

import "crypto/rand"

// randomBytes fills b from crypto/rand (see random_js.go for the Worker).
func randomBytes(b []byte) { _, _ = rand.Read(b) } // never fails (Go 1.24+)
