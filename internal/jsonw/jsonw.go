// Package jsonw writes JSON without reflection, for the WebAssembly builds: encoding/json (with
// reflect and fmt behind it) is about 0.15 MB of a gzipped build. Strings are escaped exactly
// as encoding/json escapes them (HTML-safe, invalid UTF-8 as U+FFFD), and times are written as
// encoding/json writes a time.Time, so a hand-written encoder of a struct can give the same
// bytes as json.Marshal; its tests compare the two.
//
//	var w jsonw.Writer
//	w.Open('{')
//	w.Key("id").String(id)
//	w.Key("lines").Open('[')
//	for _, n := range lines {
//		w.Item().Int(int64(n))
//	}
//	w.Close(']')
//	w.Close('}')
//	b, err := w.Bytes()
package jsonw

import (
	"errors"
	"github.com/wallexkit/wallexkit/internal/order"
	"strconv"
	"time"
	"unicode/utf8"
)

// Writer builds one JSON value. Before each member of an object call Key, before each item of
// an array call Item; they write the separating comma when one is needed.
type Writer struct {
	b   []byte
	err error
}

// Bytes returns the JSON written so far, or the first error (a time that JSON cannot hold).
func (w *Writer) Bytes() ([]byte, error) { return w.b, w.err }

// sep writes a comma unless the value or key that comes next is the first in its object or
// array, or the value of a key.
//
//go:noinline
func (w *Writer) sep() {
	if n := len(w.b); n > 0 {
		if c := w.b[n-1]; c != '{' && c != '[' && c != ':' {
			w.b = append(w.b, ',')
		}
	}
}

// Key starts an object member.
//
//go:noinline
func (w *Writer) Key(k string) *Writer {
	w.sep()
	w.b = AppendString(w.b, k)
	w.b = append(w.b, ':')
	return w
}

// Item starts an array item.
//
//go:noinline
func (w *Writer) Item() *Writer {
	w.sep()
	return w
}

// Open starts an object ('{') or an array ('[').
//
//go:noinline
func (w *Writer) Open(c byte) { w.b = append(w.b, c) }

// Close ends an object ('}') or an array (']').
//
//go:noinline
func (w *Writer) Close(c byte) { w.b = append(w.b, c) }

// String writes a string.
//
//go:noinline
func (w *Writer) String(s string) { w.b = AppendString(w.b, s) }

// Int writes an integer.
//
//go:noinline
func (w *Writer) Int(n int64) { w.b = strconv.AppendInt(w.b, n, 10) }

// Bool writes true or false.
//
//go:noinline
func (w *Writer) Bool(v bool) { w.b = strconv.AppendBool(w.b, v) }

// Null writes null.
//
//go:noinline
func (w *Writer) Null() { w.b = append(w.b, "null"...) }

// Raw writes json, which must be one valid JSON value, as it is.
//
//go:noinline
func (w *Writer) Raw(json string) { w.b = append(w.b, json...) }

// Member writers: Key and a value in one call, and the forms that leave the member out, as
// encoding/json's omitempty and omitzero do. (Each call site of a writer is code in every
// WebAssembly build that uses it, which is why these exist and why the writers are kept out
// of line.)

// KeyString writes the member k: v.
//
//go:noinline
func (w *Writer) KeyString(k, v string) { w.Key(k).String(v) }

// KeyInt writes the member k: n.
//
//go:noinline
func (w *Writer) KeyInt(k string, n int64) { w.Key(k).Int(n) }

// KeyBool writes the member k: v.
//
//go:noinline
func (w *Writer) KeyBool(k string, v bool) { w.Key(k).Bool(v) }

// KeyTime writes the member k: t.
//
//go:noinline
func (w *Writer) KeyTime(k string, t time.Time) { w.Key(k).Time(t) }

// StringOmitEmpty writes k: v unless v is "".
//
//go:noinline
func (w *Writer) StringOmitEmpty(k, v string) {
	if v != "" {
		w.Key(k).String(v)
	}
}

// IntOmitEmpty writes k: n unless n is 0.
//
//go:noinline
func (w *Writer) IntOmitEmpty(k string, n int64) {
	if n != 0 {
		w.Key(k).Int(n)
	}
}

// Array writes items as a JSON array, each item written by item (which writes one whole value);
// a nil slice is null, as encoding/json writes it.
func Array[T any](w *Writer, items []T, item func(*Writer, *T)) {
	if items == nil {
		w.Null()
		return
	}
	w.Open('[')
	for i := range items {
		item(w.Item(), &items[i])
	}
	w.Close(']')
}

// IntsOmitEmpty writes k: [n, ...] unless ns is empty (encoding/json's omitempty on a []int).
//
//go:noinline
func (w *Writer) IntsOmitEmpty(k string, ns []int) {
	if len(ns) == 0 {
		return
	}
	w.Key(k).Open('[')
	for _, n := range ns {
		w.Item().Int(int64(n))
	}
	w.Close(']')
}

// TimeOmitZero writes k: t unless t is the zero time.
//
//go:noinline
func (w *Writer) TimeOmitZero(k string, t time.Time) {
	if !t.IsZero() {
		w.Key(k).Time(t)
	}
}

// errTimeRange is encoding/json's error for such a time, word for word.
var errTimeRange = errors.New("json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: year outside of range [0,9999]")

// Time writes t as encoding/json does: RFC 3339 with as many fractional digits as needed. A
// year outside 0-9999 cannot be written: Bytes then returns an error.
func (w *Writer) Time(t time.Time) {
	b, err := t.AppendText(append(w.b, '"'))
	if err != nil {
		if w.err == nil {
			w.err = errTimeRange
		}
		b = append(w.b, "null"...)
	} else {
		b = append(b, '"')
	}
	w.b = b
}

// StringMap writes m as an object with its keys in order, as encoding/json writes a map; a nil
// map is null.
func (w *Writer) StringMap(m map[string]string) {
	if m == nil {
		w.Null()
		return
	}
	w.Open('{')
	for _, k := range SortedKeys(m) {
		w.Key(k).String(m[k])
	}
	w.Close('}')
}

// StringList writes a list of strings; a nil slice is null, as encoding/json writes it.
func (w *Writer) StringList(l []string) {
	if l == nil {
		w.Null()
		return
	}
	w.Open('[')
	for _, s := range l {
		w.Item().String(s)
	}
	w.Close(']')
}

// SortedKeys returns m's keys in byte order, the order encoding/json writes a map in.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	order.Strings(keys)
	return keys
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped as encoding/json escapes it: ", \ and the
// control characters (\b \f \n \r \t by name, the rest as \u00XX), <, > and & as \u003c, \u003e,
// \u0026, U+2028 and U+2029 as \u2028 and \u2029, and each byte of invalid UTF-8 as \ufffd.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&15])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
