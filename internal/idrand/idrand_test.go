package idrand

import (
	"bytes"
	"testing"
)

func TestReadFillsDistinctBytes(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		b := make([]byte, 12)
		Read(b)
		if seen[string(b)] {
			t.Fatalf("Read repeated %x", b)
		}
		seen[string(b)] = true
	}
	// Every byte of a long buffer is written (all zeros in a 64-byte tail would mean it was not).
	b := make([]byte, 70<<10)
	Read(b)
	if bytes.Equal(b[len(b)-64:], make([]byte, 64)) {
		t.Fatal("the end of a buffer over 64 KiB was not filled")
	}
}
