package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strconv"
	"strings"
)

// Addresses the sandbox issues have each coin's real format and a valid checksum (an
// independent encoder, not the client's checker): Bech32 P2WPKH for BTC (bc1…), LTC (ltc1…) and
// LTCT (tltc1…); CashAddr for BCH (bitcoincash:q…); Base58Check for DOGE (D…) and TRX (T…);
// 0x and 40 lower-case hex digits (no EIP-55 capitals, which is valid) for ETH and ERC-20 tokens.
// The 20 bytes inside are random: nobody holds their keys.

// NewAddress returns a random address in the format of ticker's addresses (tests use it for
// destinations that pass a client's format check).
func NewAddress(ticker string) string {
	var h [20]byte
	if _, err := rand.Read(h[:]); err != nil {
		panic("sandbox: crypto/rand: " + err.Error())
	}
	return addressFor(ticker, h[:])
}

func addressFor(ticker string, h []byte) string {
	switch ticker {
	case "BTC":
		return segwitV0("bc", h)
	case "LTC":
		return segwitV0("ltc", h)
	case "LTCT":
		return segwitV0("tltc", h)
	case "BCH":
		return cashAddrP2PKH(h)
	case "DOGE":
		return base58Check(0x1e, h)
	case "TRX":
		return base58Check(0x41, h)
	}
	return "0x" + hex.EncodeToString(h) // ETH and tokens on it
}

const b58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

func base58Check(version byte, h []byte) string {
	raw := append([]byte{version}, h...)
	sum := sha256.Sum256(raw)
	sum = sha256.Sum256(sum[:])
	raw = append(raw, sum[:4]...)
	n := new(big.Int).SetBytes(raw)
	var out []byte
	base, mod := big.NewInt(58), new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, b58[mod.Int64()])
	}
	for _, b := range raw {
		if b != 0 {
			break
		}
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

const b32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// regroup turns 8-bit bytes into 5-bit groups, the last one padded with zeros.
func regroup(data []byte) []byte {
	var out []byte
	acc, n := 0, 0
	for _, b := range data {
		acc = acc<<8 | int(b)
		n += 8
		for n >= 5 {
			n -= 5
			out = append(out, byte(acc>>n&31))
		}
	}
	if n > 0 {
		out = append(out, byte(acc<<(5-n)&31))
	}
	return out
}

// segwitV0 is a Bech32 witness-v0 address of a 20-byte key hash (BIP 173).
func segwitV0(hrp string, h []byte) string {
	data := append([]byte{0}, regroup(h)...)
	var values []byte
	for _, c := range hrp {
		values = append(values, byte(c)>>5)
	}
	values = append(values, 0)
	for _, c := range hrp {
		values = append(values, byte(c)&31)
	}
	values = append(values, data...)
	values = append(values, 0, 0, 0, 0, 0, 0)
	chk := uint32(1)
	gen := []uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i, g := range gen {
			if top>>uint(i)&1 == 1 {
				chk ^= g
			}
		}
	}
	chk ^= 1
	var b strings.Builder
	b.WriteString(hrp + "1")
	for _, d := range data {
		b.WriteByte(b32[d])
	}
	for i := 0; i < 6; i++ {
		b.WriteByte(b32[chk>>(5*(5-i))&31])
	}
	return b.String()
}

// cashAddrP2PKH is a Bitcoin Cash CashAddr address of a 20-byte key hash.
func cashAddrP2PKH(h []byte) string {
	data := regroup(append([]byte{0x00}, h...)) // version byte 0: P2PKH, 160-bit hash
	var values []byte
	for _, c := range "bitcoincash" {
		values = append(values, byte(c)&31)
	}
	values = append(values, 0)
	values = append(values, data...)
	values = append(values, 0, 0, 0, 0, 0, 0, 0, 0)
	gen := []uint64{0x98f2bc8e61, 0x79b76d99e2, 0xf33e5fb3c4, 0xae2eabe2a8, 0x1e4f43e470}
	c := uint64(1)
	for _, d := range values {
		top := c >> 35
		c = (c&0x07ffffffff)<<5 ^ uint64(d)
		for i, g := range gen {
			if top>>uint(i)&1 == 1 {
				c ^= g
			}
		}
	}
	c ^= 1
	var b strings.Builder
	b.WriteString("bitcoincash:")
	for _, d := range data {
		b.WriteByte(b32[d])
	}
	for i := 0; i < 8; i++ {
		b.WriteByte(b32[c>>(5*(7-i))&31])
	}
	return b.String()
}

// TestAddress returns the n-th of a fixed series of addresses of ticker: valid and always the
// same, for tests and examples that need a destination.
func TestAddress(ticker string, n int) string {
	sum := sha256.Sum256([]byte("wallexkit test address " + ticker + " " + strconv.Itoa(n)))
	return addressFor(ticker, sum[:20])
}
