package sha2

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"testing"
)

// These tests check the package's own implementation (what the WebAssembly builds use) against
// the standard library, whatever the build.

func own256() hash.Hash             { return newDigest(false) }
func own512() hash.Hash             { return newDigest(true) }
func ownHMAC256(k []byte) hash.Hash { return newMAC(false, k) }
func ownHMAC512(k []byte) hash.Hash { return newMAC(true, k) }

func sumOf(h hash.Hash, parts ...[]byte) []byte {
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func TestVectors(t *testing.T) {
	million := bytes.Repeat([]byte("a"), 1000000)
	for _, v := range []struct {
		name string
		h    hash.Hash
		in   []byte
		want string
	}{
		{"sha256 empty", own256(), nil, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"sha256 abc", own256(), []byte("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"sha256 448 bits", own256(), []byte("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
		{"sha256 million a", own256(), million, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
		{"sha512 empty", own512(), nil, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
		{"sha512 abc", own512(), []byte("abc"), "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
		{"sha512 896 bits", own512(), []byte("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"), "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"},
		// RFC 4231, test cases 1, 2 and 6 (a key longer than the block).
		{"hmac-sha256 1", ownHMAC256(bytes.Repeat([]byte{0x0b}, 20)), []byte("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"hmac-sha512 1", ownHMAC512(bytes.Repeat([]byte{0x0b}, 20)), []byte("Hi There"), "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
		{"hmac-sha256 2", ownHMAC256([]byte("Jefe")), []byte("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"hmac-sha512 2", ownHMAC512([]byte("Jefe")), []byte("what do ya want for nothing?"), "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
		{"hmac-sha256 6", ownHMAC256(bytes.Repeat([]byte{0xaa}, 131)), []byte("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
		{"hmac-sha512 6", ownHMAC512(bytes.Repeat([]byte{0xaa}, 131)), []byte("Test Using Larger Than Block-Size Key - Hash Key First"), "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
	} {
		if got := hex.EncodeToString(sumOf(v.h, v.in)); got != v.want {
			t.Errorf("%s: %s, want %s", v.name, got, v.want)
		}
	}
}

// TestSameAsStandardLibrary: every length from 0 to 3 blocks and more, written whole and in
// pieces, keys of every length around the block size; Sum twice, Reset, Size, BlockSize.
func TestSameAsStandardLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 600)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	type pair struct {
		name     string
		own, std func(key []byte) hash.Hash
	}
	pairs := []pair{
		{"sha256", func([]byte) hash.Hash { return own256() }, func([]byte) hash.Hash { return sha256.New() }},
		{"sha512", func([]byte) hash.Hash { return own512() }, func([]byte) hash.Hash { return sha512.New() }},
		{"hmac-sha256", ownHMAC256, func(k []byte) hash.Hash { return hmac.New(sha256.New, k) }},
		{"hmac-sha512", ownHMAC512, func(k []byte) hash.Hash { return hmac.New(sha512.New, k) }},
	}
	for _, p := range pairs {
		for n := 0; n <= len(data); n++ {
			key := data[len(data)-n%300:]
			own, std := p.own(key), p.std(key)
			if own.Size() != std.Size() || own.BlockSize() != std.BlockSize() {
				t.Fatalf("%s: sizes %d/%d, want %d/%d", p.name, own.Size(), own.BlockSize(), std.Size(), std.BlockSize())
			}
			cut := r.IntN(n + 1)
			got := sumOf(own, data[:cut], data[cut:n])
			want := sumOf(std, data[:n])
			if !bytes.Equal(got, want) {
				t.Fatalf("%s of %d bytes (key %d bytes): %x, want %x", p.name, n, len(key), got, want)
			}
			own.Write([]byte("more"))
			std.Write([]byte("more"))
			if !bytes.Equal(own.Sum([]byte("prefix")), std.Sum([]byte("prefix"))) {
				t.Fatalf("%s: Sum after more writes differs", p.name)
			}
			own.Reset()
			std.Reset()
			if !bytes.Equal(sumOf(own, data[:n/2]), sumOf(std, data[:n/2])) {
				t.Fatalf("%s: after Reset", p.name)
			}
		}
	}
}

func TestAPI(t *testing.T) {
	if got, want := Sum256([]byte("abc")), sha256.Sum256([]byte("abc")); got != want {
		t.Errorf("Sum256 = %x", got)
	}
	if got, want := sumOf(New256(), []byte("abc")), sha256.Sum256([]byte("abc")); !bytes.Equal(got, want[:]) {
		t.Errorf("New256 = %x", got)
	}
	m := hmac.New(sha512.New, []byte("k"))
	m.Write([]byte("body"))
	if got := sumOf(NewHMAC512([]byte("k")), []byte("body")); !Equal(got, m.Sum(nil)) {
		t.Errorf("NewHMAC512 = %x", got)
	}
	m = hmac.New(sha256.New, []byte("k"))
	m.Write([]byte("body"))
	if got := sumOf(NewHMAC256([]byte("k")), []byte("body")); !Equal(got, m.Sum(nil)) {
		t.Errorf("NewHMAC256 = %x", got)
	}
	if Equal([]byte{1, 2}, []byte{1, 3}) || Equal([]byte{1}, []byte{1, 0}) || !Equal(nil, []byte{}) {
		t.Error("Equal")
	}
}

func FuzzSameAsStandardLibrary(f *testing.F) {
	f.Add([]byte("key"), []byte("data"), uint8(3))
	f.Fuzz(func(t *testing.T, key, data []byte, cut uint8) {
		c := min(int(cut), len(data))
		s256, s512 := sha256.Sum256(data), sha512.Sum512(data)
		if !bytes.Equal(sumOf(own256(), data[:c], data[c:]), s256[:]) || !bytes.Equal(sumOf(own512(), data[:c], data[c:]), s512[:]) {
			t.Fatal("hash differs")
		}
		for _, p := range []struct {
			own hash.Hash
			std hash.Hash
		}{{ownHMAC256(key), hmac.New(sha256.New, key)}, {ownHMAC512(key), hmac.New(sha512.New, key)}} {
			if !bytes.Equal(sumOf(p.own, data[:c], data[c:]), sumOf(p.std, data)) {
				t.Fatal("hmac differs")
			}
		}
	})
}
