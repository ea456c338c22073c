package gateway

import (
	"sort"
	"strconv"
	"unicode/utf8"
)

// jsonObj writes one flat JSON object without reflection: the gateway's answers are small and
// built on every request, and encoding/json would cost both code size and time in wasm.
type jsonObj struct{ b []byte }

func newObj() *jsonObj { return &jsonObj{b: append(make([]byte, 0, 256), '{')} }

func (o *jsonObj) key(k string) *jsonObj {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':')
	return o
}

func (o *jsonObj) str(k, v string) *jsonObj {
	o.key(k)
	o.b = appendJSONString(o.b, v)
	return o
}

func (o *jsonObj) int(k string, v int64) *jsonObj {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
	return o
}

func (o *jsonObj) bool(k string, v bool) *jsonObj {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
	return o
}

// raw adds v, which must already be valid JSON.
func (o *jsonObj) raw(k, v string) *jsonObj {
	o.key(k)
	o.b = append(o.b, v...)
	return o
}

// strMap adds a JSON object of strings with sorted keys.
func (o *jsonObj) strMap(k string, m map[string]string) *jsonObj {
	o.key(k)
	keys := make([]string, 0, len(m))
	for x := range m {
		keys = append(keys, x)
	}
	sort.Strings(keys)
	o.b = append(o.b, '{')
	for i, x := range keys {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendJSONString(o.b, x)
		o.b = append(o.b, ':')
		o.b = appendJSONString(o.b, m[x])
	}
	o.b = append(o.b, '}')
	return o
}

// strList adds a JSON array of strings.
func (o *jsonObj) strList(k string, l []string) *jsonObj {
	o.key(k)
	o.b = append(o.b, '[')
	for i, s := range l {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendJSONString(o.b, s)
	}
	o.b = append(o.b, ']')
	return o
}

func (o *jsonObj) bytes() []byte { return append(o.b, '}') }

func (o *jsonObj) String() string { return string(o.bytes()) }

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD, and <, >, & are
// escaped so that an answer is safe to embed in HTML.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&15])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
