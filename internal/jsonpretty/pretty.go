// Package pretty is wallexkit's own small JSON formatter with the API that
// github.com/tidwall/gjson v1.18.0 calls for its @pretty and @ugly modifiers (DefaultOptions,
// Options, Pretty, PrettyOptions, Ugly). It is written for wallexkit from scratch, not copied
// from github.com/tidwall/pretty, and it replaces that module through a replace directive in
// wallexkit's go.mod (see README.md). It imports nothing that is large: gjson registers its
// modifiers at init, so whatever this package links is in every program that uses gjson.
package pretty

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// Options says how Pretty lays JSON out.
type Options struct {
	// Width is the widest line, in bytes, on which an array of scalars (no objects or arrays
	// inside) is written whole, as [1, 2, 3]; a longer one gets a line per item. 0 or less: a
	// line per item always.
	Width int
	// Prefix starts every line.
	Prefix string
	// Indent is written once per level of nesting, after Prefix.
	Indent string
	// SortKeys orders each object's members by key (by the keys' decoded text, in byte
	// order; members with the same key keep their order).
	SortKeys bool
}

// DefaultOptions are what Pretty uses.
var DefaultOptions = &Options{Width: 80, Prefix: "", Indent: "  ", SortKeys: false}

// Pretty lays json out with DefaultOptions.
func Pretty(json []byte) []byte { return PrettyOptions(json, nil) }

// PrettyOptions lays json out on lines, indented, each object member and each array item
// (but see Options.Width) on its own line, with a newline at the end. Strings, numbers and
// literals are copied as they are. json that is not one valid JSON value (with nothing but
// whitespace around it) is returned unchanged, as a copy. A nil opts means DefaultOptions.
func PrettyOptions(json []byte, opts *Options) []byte {
	if opts == nil {
		opts = DefaultOptions
	}
	p := parser{in: json}
	v, ok := p.value(0)
	if ok {
		p.space()
		ok = p.i == len(json)
	}
	if !ok {
		return append([]byte(nil), json...)
	}
	w := writer{o: opts, out: make([]byte, 0, len(json)+len(json)/2)}
	w.out = append(w.out, opts.Prefix...)
	w.value(&v, 0)
	return append(w.out, '\n')
}

// Ugly removes every space, tab, carriage return and newline that is not inside a string.
// It changes nothing else, so it needs no valid input.
func Ugly(json []byte) []byte {
	out := make([]byte, 0, len(json))
	inString, escaped := false, false
	for _, c := range json {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		out = append(out, c)
	}
	return out
}

// maxDepth bounds nesting, so that hostile input cannot make the parser recurse without end.
const maxDepth = 1000

// node is one parsed JSON value.
type node struct {
	kind  byte   // '{', '[' or 's' (a scalar: string, number, true, false, null)
	raw   []byte // a scalar's text, as it was
	items []node // an array's items, or an object's values
	keys  [][]byte
}

type parser struct {
	in []byte
	i  int
}

func (p *parser) space() {
	for p.i < len(p.in) {
		switch p.in[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (node, bool) {
	p.space()
	if p.i >= len(p.in) || depth > maxDepth {
		return node{}, false
	}
	switch c := p.in[p.i]; {
	case c == '{' || c == '[':
		return p.container(c, depth)
	case c == '"':
		start := p.i
		ok := p.str()
		return node{kind: 's', raw: p.in[start:p.i]}, ok
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		ok := p.number()
		return node{kind: 's', raw: p.in[start:p.i]}, ok
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(p.in)-p.i >= len(lit) && string(p.in[p.i:p.i+len(lit)]) == lit {
			p.i += len(lit)
			return node{kind: 's', raw: p.in[p.i-len(lit) : p.i]}, true
		}
	}
	return node{}, false
}

func (p *parser) container(open byte, depth int) (node, bool) {
	n := node{kind: open}
	closing := byte(']')
	if open == '{' {
		closing = '}'
	}
	p.i++
	p.space()
	if p.i < len(p.in) && p.in[p.i] == closing {
		p.i++
		return n, true
	}
	for {
		if open == '{' {
			p.space()
			start := p.i
			if p.i >= len(p.in) || p.in[p.i] != '"' || !p.str() {
				return n, false
			}
			n.keys = append(n.keys, p.in[start:p.i])
			p.space()
			if p.i >= len(p.in) || p.in[p.i] != ':' {
				return n, false
			}
			p.i++
		}
		v, ok := p.value(depth + 1)
		if !ok {
			return n, false
		}
		n.items = append(n.items, v)
		p.space()
		if p.i >= len(p.in) {
			return n, false
		}
		switch p.in[p.i] {
		case ',':
			p.i++
		case closing:
			p.i++
			return n, true
		default:
			return n, false
		}
	}
}

// str reads a string (p.in[p.i] is its opening quote): escapes must be valid, control
// characters must be escaped.
func (p *parser) str() bool {
	for p.i++; p.i < len(p.in); p.i++ {
		switch c := p.in[p.i]; {
		case c == '"':
			p.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			p.i++
			if p.i >= len(p.in) {
				return false
			}
			switch p.in[p.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(p.in)-p.i < 5 {
					return false
				}
				for _, h := range p.in[p.i+1 : p.i+5] {
					if hexVal(h) < 0 {
						return false
					}
				}
				p.i += 4
			default:
				return false
			}
		}
	}
	return false
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() bool {
	if p.in[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.in) && p.in[p.i] == '0':
		p.i++
	case !p.digits():
		return false
	}
	if p.i < len(p.in) && p.in[p.i] == '.' {
		p.i++
		if !p.digits() {
			return false
		}
	}
	if p.i < len(p.in) && (p.in[p.i] == 'e' || p.in[p.i] == 'E') {
		p.i++
		if p.i < len(p.in) && (p.in[p.i] == '+' || p.in[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

// digits reads one or more digits.
func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.in) && p.in[p.i] >= '0' && p.in[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

type writer struct {
	o   *Options
	out []byte
}

// put appends s. It is kept out of line on purpose: appends are large in WebAssembly, and this
// package is linked into every program that uses gjson.
//
//go:noinline
func (w *writer) put(s string) { w.out = append(w.out, s...) }

func (w *writer) newline(depth int) {
	w.put("\n")
	w.put(w.o.Prefix)
	for range depth {
		w.put(w.o.Indent)
	}
}

func (w *writer) value(n *node, depth int) {
	if n.kind == 's' {
		w.put(string(n.raw))
		return
	}
	closing := "]"
	if n.kind == '{' {
		closing = "}"
	}
	w.put(string(n.kind))
	if len(n.items) == 0 {
		w.put(closing)
		return
	}
	order := make([]int, len(n.items))
	for i := range order {
		order[i] = i
	}
	if w.o.SortKeys && n.kind == '{' {
		text := make([]string, len(n.keys))
		for i, k := range n.keys {
			text[i] = unquote(k)
		}
		order = stableOrder(order, func(i, j int) bool { return text[i] < text[j] })
	}
	oneLine := n.kind == '[' && w.fitsOnLine(n)
	for i, m := range order {
		if i > 0 {
			w.put(",")
		}
		if oneLine {
			if i > 0 {
				w.put(" ")
			}
		} else {
			w.newline(depth + 1)
		}
		if n.kind == '{' {
			w.put(string(n.keys[m]))
			w.put(": ")
		}
		w.value(&n.items[m], depth+1)
	}
	if !oneLine {
		w.newline(depth)
	}
	w.put(closing)
}

// fitsOnLine reports whether array n holds only scalars and, written whole, ends within
// Options.Width bytes of the start of the current line.
func (w *writer) fitsOnLine(n *node) bool {
	if w.o.Width <= 0 {
		return false
	}
	width := len(w.out) - 1 - bytes.LastIndexByte(w.out, '\n') + 2*len(n.items)
	for i := range n.items {
		if n.items[i].kind != 's' {
			return false
		}
		width += len(n.items[i].raw)
	}
	return width <= w.o.Width
}

// unquote decodes a string token that the parser accepted (an unpaired surrogate escape
// becomes U+FFFD).
func unquote(tok []byte) string {
	s := tok[1 : len(tok)-1]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			i++
			c = s[i]
			switch c {
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'u':
				r := hex4(s[i+1:])
				i += 4
				if utf16.IsSurrogate(r) && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if pair := utf16.DecodeRune(r, hex4(s[i+3:])); pair != utf8.RuneError {
						r = pair
						i += 6
					}
				}
				out = utf8.AppendRune(out, r)
				continue
			}
		}
		out = append(out, c)
	}
	return string(out)
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		r = r<<4 | rune(hexVal(c))
	}
	return r
}

// stableOrder returns p (indices) in the stable order of less(i, j), by a bottom-up merge sort.
// (Not package sort: gjson links this package into every program that uses it, the wasm builds
// included, and sort's code is about 4 KB of their gzip.)
func stableOrder(p []int, less func(i, j int) bool) []int {
	tmp := make([]int, len(p))
	n := len(p)
	for w := 1; w < n; w *= 2 {
		for lo := 0; lo < n; lo += 2 * w {
			mid, hi := min(lo+w, n), min(lo+2*w, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if less(p[j], p[i]) { // a right element goes first only when strictly less: stable
					tmp[k] = p[j]
					j++
				} else {
					tmp[k] = p[i]
					i++
				}
				k++
			}
			k += copy(tmp[k:], p[i:mid])
			copy(tmp[k:], p[j:hi])
		}
		p, tmp = tmp, p
	}
	return p
}
