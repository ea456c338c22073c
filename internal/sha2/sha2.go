// Package sha2 gives wallexkit the hashes it uses — SHA-256, SHA-512 and HMAC over either —
// from the standard library in native builds, and from its own small implementation (FIPS
// 180-4 and RFC 2104, in this file) in the WebAssembly builds.
//
// Why: importing any of crypto/sha256, crypto/sha512 or crypto/hmac links the standard
// library's FIPS 140 module, whose start-up self-tests bring AES, a CTR-DRBG, SHA-3 and
// their code into the program whether it uses them or not: about 60 KB of each gzipped
// WebAssembly build, which must stay small. Hashing is deterministic: sha2_test.go checks this
// implementation against the standard library's on every length around the block sizes, on
// random keys and data, on the NIST and RFC 4231 test vectors, and with a fuzz target. It
// runs in constant time for data of a given length (no table lookups that depend on the data),
// and MACs are compared with crypto/subtle, as crypto/hmac.Equal does.
package sha2

import (
	"crypto/subtle"
	"encoding/binary"
	"hash"
	"math/bits"
)

// Sizes of the sums.
const (
	Size256 = 32
	Size512 = 64
)

// Equal compares two MACs in constant time, as crypto/hmac.Equal.
func Equal(mac1, mac2 []byte) bool { return subtle.ConstantTimeCompare(mac1, mac2) == 1 }

var k256 = [64]uint32{
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

var k512 = [80]uint64{
	0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
	0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
	0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
	0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
	0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
	0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
	0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
	0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
	0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
	0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
	0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
	0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
	0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
	0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
	0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
	0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
	0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
	0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
	0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
	0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
}

// digest is SHA-256 (wide false) or SHA-512 (wide true) as a hash.Hash.
type digest struct {
	wide bool
	h32  [8]uint32
	h64  [8]uint64
	buf  [128]byte // a block being filled
	nbuf int
	len  uint64 // bytes written
}

func newDigest(wide bool) *digest {
	d := &digest{wide: wide}
	d.Reset()
	return d
}

func (d *digest) Reset() {
	d.h32 = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
	d.h64 = [8]uint64{0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
		0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179}
	d.nbuf, d.len = 0, 0
}

func (d *digest) Size() int {
	if d.wide {
		return Size512
	}
	return Size256
}

func (d *digest) BlockSize() int {
	if d.wide {
		return 128
	}
	return 64
}

func (d *digest) Write(p []byte) (int, error) {
	n := len(p)
	d.len += uint64(n)
	bs := d.BlockSize()
	for len(p) > 0 {
		c := copy(d.buf[d.nbuf:bs], p)
		d.nbuf += c
		p = p[c:]
		if d.nbuf == bs {
			d.block()
			d.nbuf = 0
		}
	}
	return n, nil
}

// Sum appends the hash of what was written to b; the digest can go on being written to.
func (d *digest) Sum(b []byte) []byte {
	c := *d
	// Padding: 0x80, zeros, then the length in bits in the block's last 8 bytes (SHA-256) or
	// 16 bytes (SHA-512, whose 128-bit length has 0 in its upper half here).
	var tail [16]byte
	lenSize := 8
	if c.wide {
		lenSize = 16
	}
	binary.BigEndian.PutUint64(tail[lenSize-8:], c.len<<3)
	c.Write([]byte{0x80})
	for c.nbuf != c.BlockSize()-lenSize {
		c.Write([]byte{0})
	}
	c.Write(tail[:lenSize])
	if c.wide {
		for _, v := range c.h64 {
			b = binary.BigEndian.AppendUint64(b, v)
		}
		return b
	}
	for _, v := range c.h32 {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// block compresses the full block in d.buf into the state.
func (d *digest) block() {
	if d.wide {
		var w [80]uint64
		for i := 0; i < 16; i++ {
			w[i] = binary.BigEndian.Uint64(d.buf[8*i:])
		}
		for i := 16; i < 80; i++ {
			s0 := bits.RotateLeft64(w[i-15], -1) ^ bits.RotateLeft64(w[i-15], -8) ^ w[i-15]>>7
			s1 := bits.RotateLeft64(w[i-2], -19) ^ bits.RotateLeft64(w[i-2], -61) ^ w[i-2]>>6
			w[i] = w[i-16] + s0 + w[i-7] + s1
		}
		a, b, c, e, f, g, h, dd := d.h64[0], d.h64[1], d.h64[2], d.h64[4], d.h64[5], d.h64[6], d.h64[7], d.h64[3]
		for i := 0; i < 80; i++ {
			t1 := h + (bits.RotateLeft64(e, -14) ^ bits.RotateLeft64(e, -18) ^ bits.RotateLeft64(e, -41)) + (e&f ^ ^e&g) + k512[i] + w[i]
			t2 := (bits.RotateLeft64(a, -28) ^ bits.RotateLeft64(a, -34) ^ bits.RotateLeft64(a, -39)) + (a&b ^ a&c ^ b&c)
			h, g, f, e, dd, c, b, a = g, f, e, dd+t1, c, b, a, t1+t2
		}
		for i, v := range [8]uint64{a, b, c, dd, e, f, g, h} {
			d.h64[i] += v
		}
		return
	}
	var w [64]uint32
	for i := 0; i < 16; i++ {
		w[i] = binary.BigEndian.Uint32(d.buf[4*i:])
	}
	for i := 16; i < 64; i++ {
		s0 := bits.RotateLeft32(w[i-15], -7) ^ bits.RotateLeft32(w[i-15], -18) ^ w[i-15]>>3
		s1 := bits.RotateLeft32(w[i-2], -17) ^ bits.RotateLeft32(w[i-2], -19) ^ w[i-2]>>10
		w[i] = w[i-16] + s0 + w[i-7] + s1
	}
	a, b, c, dd, e, f, g, h := d.h32[0], d.h32[1], d.h32[2], d.h32[3], d.h32[4], d.h32[5], d.h32[6], d.h32[7]
	for i := 0; i < 64; i++ {
		t1 := h + (bits.RotateLeft32(e, -6) ^ bits.RotateLeft32(e, -11) ^ bits.RotateLeft32(e, -25)) + (e&f ^ ^e&g) + k256[i] + w[i]
		t2 := (bits.RotateLeft32(a, -2) ^ bits.RotateLeft32(a, -13) ^ bits.RotateLeft32(a, -22)) + (a&b ^ a&c ^ b&c)
		h, g, f, e, dd, c, b, a = g, f, e, dd+t1, c, b, a, t1+t2
	}
	for i, v := range [8]uint32{a, b, c, dd, e, f, g, h} {
		d.h32[i] += v
	}
}

// mac is HMAC (RFC 2104) over a digest.
type mac struct {
	inner, outer *digest
	ipad, opad   []byte
}

func newMAC(wide bool, key []byte) *mac {
	m := &mac{inner: newDigest(wide), outer: newDigest(wide)}
	bs := m.inner.BlockSize()
	if len(key) > bs {
		key = newDigest(wide).sumOf(key)
	}
	m.ipad = make([]byte, bs)
	m.opad = make([]byte, bs)
	copy(m.ipad, key)
	copy(m.opad, key)
	for i := range m.ipad {
		m.ipad[i] ^= 0x36
		m.opad[i] ^= 0x5c
	}
	m.inner.Write(m.ipad)
	return m
}

func (d *digest) sumOf(p []byte) []byte {
	d.Write(p)
	return d.Sum(nil)
}

func (m *mac) Write(p []byte) (int, error) { return m.inner.Write(p) }
func (m *mac) Size() int                   { return m.inner.Size() }
func (m *mac) BlockSize() int              { return m.inner.BlockSize() }

func (m *mac) Reset() {
	m.inner.Reset()
	m.inner.Write(m.ipad)
}

func (m *mac) Sum(b []byte) []byte {
	in := m.inner.Sum(nil)
	m.outer.Reset()
	m.outer.Write(m.opad)
	m.outer.Write(in)
	return m.outer.Sum(b)
}

var _ hash.Hash = (*mac)(nil)
