package hexstr

import (
	"encoding/hex"
	"testing"
)

func TestEncodeAsEncodingHex(t *testing.T) {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	for n := 0; n <= len(b); n++ {
		if got, want := Encode(b[:n]), hex.EncodeToString(b[:n]); got != want {
			t.Fatalf("Encode(%x) = %s, want %s", b[:n], got, want)
		}
	}
}
