package core

import (
	"github.com/wallexkit/wallexkit/internal/order"
)

// Fields are the command-specific form fields of a call (the client adds version, key, cmd,
// nonce and format itself).
type Fields map[string]string

// reservedFields are set by the client and may not be passed in Fields.
var reservedFields = [...]string{"version", "key", "cmd", "nonce", "format"}

func isReserved(k string) bool {
	for _, r := range reservedFields {
		if k == r {
			return true
		}
	}
	return false
}

const upperhex = "0123456789ABCDEF"

// appendFormEscaped appends s escaped for application/x-www-form-urlencoded: letters, digits and
// "-._~" stay, a space becomes '+', every other byte becomes %XX.
func appendFormEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return b
}

// formBuilder writes key=value pairs joined by '&'.
type formBuilder struct{ b []byte }

func (f *formBuilder) add(k, v string) {
	if len(f.b) > 0 {
		f.b = append(f.b, '&')
	}
	f.b = appendFormEscaped(f.b, k)
	f.b = append(f.b, '=')
	f.b = appendFormEscaped(f.b, v)
}

// addSorted adds fields in key order so that bodies are deterministic.
func (f *formBuilder) addSorted(fields Fields) {
	if len(fields) == 0 {
		return
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	order.Strings(keys)
	for _, k := range keys {
		f.add(k, fields[k])
	}
}

// EncodeForm encodes fields as an application/x-www-form-urlencoded body, keys sorted.
func EncodeForm(fields Fields) []byte {
	var f formBuilder
	f.addSorted(fields)
	return f.b
}
