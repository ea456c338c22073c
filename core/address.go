package core

import (
	"math/bits"
	"strings"

	"github.com/wallexkit/wallexkit/internal/sha2"
)

// CheckAddress checks that address has the format of coin's addresses, with its checksum, so that
// a typo (one character wrong, swapped or missing) is caught before money is sent to an address
// nobody owns. It knows:
//
//   - BTC: Base58Check P2PKH (1…) and P2SH (3…), Bech32 SegWit v0 and Bech32m v1+ (bc1…);
//   - LTC: Base58Check (L…, M…, legacy 3…), Bech32/Bech32m (ltc1…); LTCT (testnet): m…, n…, Q…,
//     2…, tltc1…;
//   - DOGE: Base58Check (D…, 9…, A…);
//   - BCH: CashAddr (bitcoincash:q…/p…, with or without the prefix) and legacy Base58Check;
//   - ETH and ERC-20 tokens (USDT.ERC20, …): 0x and 40 hex digits, with the EIP-55 checksum when
//     the address mixes upper and lower case.
//
// Other coins are not checked (nil): their formats are checked by the API.
func CheckAddress(coin, address string) error {
	coin = strings.ToUpper(coin)
	fail := func(problem string) error {
		return &ValidationError{Field: "address", Value: clip(address, 100), Problem: problem}
	}
	switch {
	case coin == "ETH" || strings.HasSuffix(coin, ".ERC20"):
		if msg := checkEthAddress(address); msg != "" {
			return fail(msg)
		}
		return nil
	case coin == "BCH":
		if msg := checkCashAddr(address); msg == "" || (msg == errNotCashAddr && checkBase58(address, []byte{0x00, 0x05}) == "") {
			return nil
		} else if msg != errNotCashAddr {
			return fail(msg)
		}
		return fail("is not a Bitcoin Cash address: use the bitcoincash:q… form (or a legacy 1…/3… address)")
	}
	f, ok := addressFormatOf(coin)
	if !ok {
		return nil
	}
	if f.hrp != "" && strings.HasPrefix(strings.ToLower(address), f.hrp+"1") {
		if msg := checkSegwit(address, f.hrp); msg != "" {
			return fail(msg)
		}
		return nil
	}
	if msg := checkBase58(address, f.versions); msg != "" {
		if other := otherCoinOf(address); other != "" {
			msg = "is an address of another coin: " + other
		}
		return fail(msg + " (" + coin + " addresses start with " + f.starts + ")")
	}
	return nil
}

// otherCoinOf names the coin of a valid Bech32 or Ethereum address ("BTC", "Ethereum"), so
// that an address pasted for the wrong coin is not called a typo; "" when it is neither.
func otherCoinOf(address string) string {
	for _, c := range [...]string{"BTC", "LTC", "LTCT"} {
		if f, _ := addressFormatOf(c); strings.HasPrefix(strings.ToLower(address), f.hrp+"1") && checkSegwit(address, f.hrp) == "" {
			return c
		}
	}
	if checkEthAddress(address) == "" {
		return "Ethereum"
	}
	return ""
}

// takesNoTag reports whether coin is one whose addresses CheckAddress knows: none of them takes a
// destination tag.
func takesNoTag(coin string) bool {
	coin = strings.ToUpper(coin)
	_, ok := addressFormatOf(coin)
	return ok || coin == "BCH" || coin == "ETH" || strings.HasSuffix(coin, ".ERC20")
}

// addressFormat is a coin's Base58Check version bytes, its Bech32 prefix and how its addresses
// start.
type addressFormat struct {
	versions []byte
	hrp      string
	starts   string
}

// addressFormatOf is the address format of each coin CheckAddress knows by its version bytes
// (a switch, not a map: no code at start-up); ok is false for others.
func addressFormatOf(coin string) (f addressFormat, ok bool) {
	switch coin {
	case "BTC":
		return addressFormat{[]byte{0x00, 0x05}, "bc", "1, 3 or bc1"}, true
	case "LTC":
		return addressFormat{[]byte{0x30, 0x32, 0x05}, "ltc", "L, M, 3 or ltc1"}, true
	case "LTCT":
		return addressFormat{[]byte{0x6f, 0x3a, 0xc4}, "tltc", "m, n, Q, 2 or tltc1"}, true
	case "DOGE":
		return addressFormat{[]byte{0x1e, 0x16}, "", "D, 9 or A"}, true
	}
	return f, false
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// checkBase58 checks a Base58Check address of 1 version byte, a 20-byte hash and a 4-byte
// checksum; it returns what is wrong, or "".
func checkBase58(s string, versions []byte) string {
	if len(s) < 25 || len(s) > 36 {
		return "has the wrong length for an address"
	}
	// decode into a big-endian number of 25 bytes
	var out [25]byte
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base58Alphabet, s[i])
		if d < 0 {
			return "has a character that is not in addresses (" + string(s[i]) + "): 0, O, I and l are never used"
		}
		carry := d
		for j := len(out) - 1; j >= 0; j-- {
			carry += 58 * int(out[j])
			out[j] = byte(carry)
			carry >>= 8
		}
		if carry != 0 {
			return "is too long for an address"
		}
	}
	// leading '1's are leading zero bytes
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	lead := 0
	for lead < len(out) && out[lead] == 0 {
		lead++
	}
	if lead != zeros { // each leading zero byte is one leading '1', no more, no less
		return "has the wrong length for an address"
	}
	sum := sha2.Sum256(out[:21])
	sum = sha2.Sum256(sum[:])
	if [4]byte(out[21:]) != [4]byte(sum[:4]) {
		return "has a wrong checksum: a character is mistyped or missing"
	}
	for _, v := range versions {
		if out[0] == v {
			return ""
		}
	}
	return "is a valid address of another coin or network"
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// checkSegwit checks a Bech32 (witness v0) or Bech32m (v1+) address with prefix hrp (BIP 173, 350).
func checkSegwit(s, hrp string) string {
	if strings.ToLower(s) != s && strings.ToUpper(s) != s {
		return "mixes upper and lower case: write it in one case"
	}
	s = strings.ToLower(s)
	if len(s) > 90 || len(s) < len(hrp)+8 {
		return "has the wrong length for an address"
	}
	data := make([]byte, 0, len(s))
	for i := len(hrp) + 1; i < len(s); i++ {
		d := strings.IndexByte(bech32Charset, s[i])
		if d < 0 {
			return "has a character that is not in these addresses (" + string(s[i]) + "): 1, b, i and o are never used after the prefix"
		}
		data = append(data, byte(d))
	}
	values := make([]byte, 0, len(hrp)*2+1+len(data))
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]>>5)
	}
	values = append(values, 0)
	for i := 0; i < len(hrp); i++ {
		values = append(values, hrp[i]&31)
	}
	values = append(values, data...)
	pm := bech32Polymod(values)
	if len(data) < 7 {
		return "has the wrong length for an address"
	}
	version := data[0]
	want := uint32(1) // Bech32
	if version > 0 {
		want = 0x2bc830a3 // Bech32m
	}
	if pm != want {
		return "has a wrong checksum: a character is mistyped or missing"
	}
	if version > 16 {
		return "has an unknown witness version"
	}
	prog, ok := convertBits(data[1:len(data)-6], 5, 8, false)
	if !ok || len(prog) < 2 || len(prog) > 40 || (version == 0 && len(prog) != 20 && len(prog) != 32) {
		return "has the wrong length for an address"
	}
	return ""
}

// convertBits regroups bits (BIP 173's convertbits).
func convertBits(data []byte, from, to uint, pad bool) ([]byte, bool) {
	var acc, nbits uint
	maxv := uint(1)<<to - 1
	var out []byte
	for _, v := range data {
		acc = acc<<from | uint(v)
		nbits += from
		for nbits >= to {
			nbits -= to
			out = append(out, byte(acc>>nbits&maxv))
		}
	}
	if pad {
		if nbits > 0 {
			out = append(out, byte(acc<<(to-nbits)&maxv))
		}
	} else if nbits >= from || acc<<(to-nbits)&maxv != 0 {
		return nil, false
	}
	return out, true
}

const errNotCashAddr = "not a cashaddr"

// checkCashAddr checks a Bitcoin Cash CashAddr address (prefix bitcoincash, optional).
func checkCashAddr(s string) string {
	lower := strings.ToLower(s)
	payload := strings.TrimPrefix(lower, "bitcoincash:")
	prefixed := payload != lower
	if !prefixed && (len(payload) != 42 || (payload[0] != 'q' && payload[0] != 'p')) {
		return errNotCashAddr
	}
	if lower != s && strings.ToUpper(s) != s {
		return "mixes upper and lower case: write it in one case"
	}
	if len(payload) != 42 {
		return "has the wrong length for a Bitcoin Cash address"
	}
	values := make([]byte, 0, 12+len(payload))
	for _, c := range []byte("bitcoincash") {
		values = append(values, c&31)
	}
	values = append(values, 0)
	for i := 0; i < len(payload); i++ {
		d := strings.IndexByte(bech32Charset, payload[i])
		if d < 0 {
			return "has a character that is not in Bitcoin Cash addresses (" + string(payload[i]) + ")"
		}
		values = append(values, byte(d))
	}
	if cashPolymod(values) != 0 {
		return "has a wrong checksum: a character is mistyped or missing"
	}
	return ""
}

func cashPolymod(values []byte) uint64 {
	gen := [5]uint64{0x98f2bc8e61, 0x79b76d99e2, 0xf33e5fb3c4, 0xae2eabe2a8, 0x1e4f43e470}
	c := uint64(1)
	for _, d := range values {
		c0 := byte(c >> 35)
		c = (c&0x07ffffffff)<<5 ^ uint64(d)
		for i := 0; i < 5; i++ {
			if c0&(1<<i) != 0 {
				c ^= gen[i]
			}
		}
	}
	return c ^ 1
}

// checkEthAddress checks 0x and 40 hex digits, and the EIP-55 checksum of a mixed-case address.
func checkEthAddress(s string) string {
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return "is not an Ethereum address: it starts with 0x"
	}
	h := s[2:]
	if len(h) != 40 {
		return "has the wrong length for an Ethereum address (0x and 40 hex digits)"
	}
	if strings.Trim(h, "0123456789abcdefABCDEF") != "" {
		return "has a character that is not a hex digit"
	}
	if strings.ToLower(h) == h || strings.ToUpper(h) == h {
		return "" // no checksum to check
	}
	if EIP55(h) != h {
		return "has a wrong EIP-55 checksum (the mix of capitals): a character is mistyped"
	}
	return ""
}

// EIP55 returns the 40 hex digits of an Ethereum address with the EIP-55 checksum capitals.
func EIP55(hexDigits string) string {
	lower := strings.ToLower(hexDigits)
	sum := keccak256([]byte(lower))
	out := []byte(lower)
	for i := range out {
		nibble := sum[i/2] >> 4
		if i%2 == 1 {
			nibble = sum[i/2] & 0xf
		}
		if out[i] >= 'a' && nibble >= 8 {
			out[i] -= 'a' - 'A'
		}
	}
	return string(out)
}

// keccak256 is the original Keccak-256 (Ethereum's hash; padding 0x01, not SHA3's 0x06).
func keccak256(data []byte) [32]byte {
	const rate = 136
	var st [25]uint64
	absorb := func(block []byte) {
		for i := 0; i < rate/8; i++ {
			st[i] ^= uint64(block[i*8]) | uint64(block[i*8+1])<<8 | uint64(block[i*8+2])<<16 | uint64(block[i*8+3])<<24 |
				uint64(block[i*8+4])<<32 | uint64(block[i*8+5])<<40 | uint64(block[i*8+6])<<48 | uint64(block[i*8+7])<<56
		}
		keccakF(&st)
	}
	for len(data) >= rate {
		absorb(data[:rate])
		data = data[rate:]
	}
	var last [rate]byte
	copy(last[:], data)
	last[len(data)] ^= 0x01
	last[rate-1] ^= 0x80
	absorb(last[:])
	var out [32]byte
	for i := 0; i < 4; i++ {
		for j := 0; j < 8; j++ {
			out[i*8+j] = byte(st[i] >> (8 * j))
		}
	}
	return out
}

var keccakRC = [24]uint64{
	0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
	0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
	0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
	0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
	0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
	0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
}

// keccakRot[x+5y] is the rotation of lane (x, y); keccakPi is the lane order of the rho-pi walk.
var (
	keccakRot = [24]int{1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44}
	keccakPi  = [24]int{10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1}
)

func keccakF(a *[25]uint64) {
	var c [5]uint64
	for round := 0; round < 24; round++ {
		for x := 0; x < 5; x++ {
			c[x] = a[x] ^ a[x+5] ^ a[x+10] ^ a[x+15] ^ a[x+20]
		}
		for x := 0; x < 5; x++ {
			d := c[(x+4)%5] ^ bits.RotateLeft64(c[(x+1)%5], 1)
			for y := 0; y < 25; y += 5 {
				a[y+x] ^= d
			}
		}
		t := a[1]
		for i := 0; i < 24; i++ {
			j := keccakPi[i]
			t, a[j] = a[j], bits.RotateLeft64(t, keccakRot[i])
		}
		for y := 0; y < 25; y += 5 {
			for x := 0; x < 5; x++ {
				c[x] = a[y+x]
			}
			for x := 0; x < 5; x++ {
				a[y+x] = c[x] ^ (^c[(x+1)%5] & c[(x+2)%5])
			}
		}
		a[0] ^= keccakRC[round]
	}
}
