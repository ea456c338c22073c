// Package hexstr writes bytes as lowercase hex, as encoding/hex's EncodeToString does, for the
// packages that the WebAssembly builds link: encoding/hex imports fmt (for its error and
// dump types), and fmt imports os, whose start-up (the standard files, their poller, the js
// file system calls) is about 20 KB of a gzipped build that uses neither.
package hexstr

const digits = "0123456789abcdef"

// Encode returns the lowercase hex of b.
func Encode(b []byte) string {
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
