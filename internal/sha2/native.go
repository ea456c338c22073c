//go:build !js

package sha2

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
)

// New256 returns a SHA-256 hash.
func New256() hash.Hash { return sha256.New() }

// Sum256 returns the SHA-256 of data.
func Sum256(data []byte) [Size256]byte { return sha256.Sum256(data) }

// NewHMAC256 returns an HMAC-SHA256 keyed with key.
func NewHMAC256(key []byte) hash.Hash { return hmac.New(sha256.New, key) }

// NewHMAC512 returns an HMAC-SHA512 keyed with key.
func NewHMAC512(key []byte) hash.Hash { return hmac.New(sha512.New, key) }
