//go:build js

package sha2

import "hash"

// New256 returns a SHA-256 hash.
func New256() hash.Hash { return newDigest(false) }

// Sum256 returns the SHA-256 of data.
func Sum256(data []byte) (s [Size256]byte) {
	copy(s[:], newDigest(false).sumOf(data))
	return s
}

// NewHMAC256 returns an HMAC-SHA256 keyed with key.
func NewHMAC256(key []byte) hash.Hash { return newMAC(false, key) }

// NewHMAC512 returns an HMAC-SHA512 keyed with key.
func NewHMAC512(key []byte) hash.Hash { return newMAC(true, key) }
