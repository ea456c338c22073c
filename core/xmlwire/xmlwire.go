// Package xmlwire converts the API's format=xml answers into the JSON tree the core decodes, so
// an XML answer and a JSON answer give the same values. Plug it in with
// core.WithWireFormat("xml", xmlwire.ToJSON).
//
// Layout (spec §3): <response> holds <error> and <result>; object members are child elements
// named by key, a key that is not an XML name is <entry key="…">, array items are repeated <item>
// elements, scalars are text. Scalars come out as JSON strings; the core's getters read numbers
// sent as strings, so typed results are identical.
//
// The XML is read by this package's own small reader, not encoding/xml: that package (with fmt
// and reflect behind it) was about 0.12 MB of the gzipped WebAssembly bridge, linked whether
// anyone asked for XML or not. It reads XML 1.0 as encoding/xml's Decoder does in strict mode,
// down to its error messages and line numbers (xmlwire_test.go compares the two on many
// documents, and FuzzSameAsEncodingXML on random ones), with one difference the API's layout
// never meets: a name may hold any non-ASCII character, where encoding/xml refuses some (such
// as symbols).
package xmlwire

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wallexkit/wallexkit/internal/errtext"
	"github.com/wallexkit/wallexkit/internal/jsonw"
)

// MaxDepth bounds nesting so a hostile answer cannot exhaust the stack.
const MaxDepth = 64

type node struct {
	name     string
	key      string // from <entry key="…">
	text     strings.Builder
	children []*node
}

// ToJSON converts an XML answer to JSON bytes.
func ToJSON(body []byte) ([]byte, error) {
	dec := &reader{in: body}
	var (
		root  *node
		stack []*node
	)
	for {
		tok, err := dec.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok.kind {
		case startTag:
			if len(stack) >= MaxDepth {
				return nil, errors.New("nesting deeper than " + errtext.D(MaxDepth))
			}
			n := &node{name: tok.name, key: tok.key}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case endTag:
			stack = stack[:len(stack)-1]
		case charData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(tok.text)
			} else if len(bytes.TrimSpace(tok.text)) > 0 {
				return nil, errors.New("text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	if len(stack) != 0 {
		return nil, errors.New("unclosed element")
	}
	if root.name != "response" {
		return nil, errors.New("root element is <" + root.name + ">, want <response>")
	}
	var out bytes.Buffer
	writeObject(&out, root)
	return out.Bytes(), nil
}

func (n *node) memberKey() string {
	if n.name == "entry" && n.key != "" {
		return n.key
	}
	return n.name
}

func write(out *bytes.Buffer, n *node) {
	switch {
	case len(n.children) == 0:
		writeString(out, n.text.String())
	case allItems(n):
		out.WriteByte('[')
		for i, c := range n.children {
			if i > 0 {
				out.WriteByte(',')
			}
			write(out, c)
		}
		out.WriteByte(']')
	default:
		writeObject(out, n)
	}
}

func allItems(n *node) bool {
	for _, c := range n.children {
		if c.name != "item" {
			return false
		}
	}
	return true
}

func writeObject(out *bytes.Buffer, n *node) {
	// Last one wins for a repeated key, as with duplicate members in a JSON object.
	last := make(map[string]int, len(n.children))
	for i, c := range n.children {
		last[c.memberKey()] = i
	}
	out.WriteByte('{')
	first := true
	for i, c := range n.children {
		k := c.memberKey()
		if last[k] != i {
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		writeString(out, k)
		out.WriteByte(':')
		write(out, c)
	}
	out.WriteByte('}')
}

func writeString(out *bytes.Buffer, s string) {
	out.Write(jsonw.AppendString(nil, s))
}

// The reader.

const (
	startTag = iota + 1
	endTag
	charData
	other // a comment, processing instruction or directive: nothing ToJSON reads
)

type token struct {
	kind int
	name string // startTag: the element's local name
	key  string // startTag: its key attribute (the last one)
	text []byte // charData
}

// reader reads the tokens of an XML document from in. Errors are sticky.
type reader struct {
	in      []byte
	i       int // the next byte to read
	err     error
	open    []qname // the elements open, innermost last
	closing bool    // the last element read was empty (<a/>): its end comes next
	buf     []byte
}

// qname is a name with its prefix split off (prefix "" when it has none).
type qname struct{ prefix, local string }

// syntaxError is encoding/xml's SyntaxError text, at the line of what has been read so far.
func (d *reader) syntaxError(msg string) error {
	d.err = errors.New("XML syntax error on line " + strconv.Itoa(1+bytes.Count(d.in[:d.i], []byte("\n"))) + ": " + msg)
	return d.err
}

// next returns the next token, or io.EOF after the last.
func (d *reader) next() (token, error) {
	if d.err != nil {
		return token{}, d.err
	}
	if d.closing {
		d.closing = false
		d.open = d.open[:len(d.open)-1]
		return token{kind: endTag}, nil
	}
	if d.i >= len(d.in) {
		if len(d.open) > 0 {
			return token{}, d.syntaxError("unexpected EOF")
		}
		return token{}, io.EOF
	}
	if d.in[d.i] != '<' {
		text, ok := d.text(0)
		if !ok {
			return token{}, d.err
		}
		return token{kind: charData, text: text}, nil
	}
	d.i++
	c, ok := d.mustByte()
	if !ok {
		return token{}, d.err
	}
	switch c {
	case '/':
		return d.endElement()
	case '?':
		return d.procInst()
	case '!':
		return d.bang()
	}
	d.i--
	return d.startElement()
}

// mustByte reads one byte; at the end of the input it fails with "unexpected EOF".
func (d *reader) mustByte() (byte, bool) {
	if d.i >= len(d.in) {
		d.syntaxError("unexpected EOF")
		return 0, false
	}
	d.i++
	return d.in[d.i-1], true
}

func (d *reader) space() {
	for d.i < len(d.in) {
		switch d.in[d.i] {
		case ' ', '\r', '\n', '\t':
			d.i++
		default:
			return
		}
	}
}

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == ':' || c == '.' || c == '-'
}

// readName reads the bytes of a name: name bytes, and every byte of a multi-byte character. It
// returns false when there is none, or at the end of the input (then with "unexpected EOF").
func (d *reader) readName() ([]byte, bool) {
	start := d.i
	for {
		if d.i >= len(d.in) {
			d.syntaxError("unexpected EOF")
			return nil, false
		}
		if c := d.in[d.i]; c < utf8.RuneSelf && !isNameByte(c) {
			break
		}
		d.i++
	}
	return d.in[start:d.i], d.i > start
}

// validName: an XML name starts with a letter, '_' or ':' and goes on with those, digits, '.'
// and '-'; characters beyond ASCII are taken as letters.
func validName(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	c := b[0]
	return c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':'
}

// name reads a name; without one it returns false and leaves the message to the caller,
// unless the name is there but invalid.
func (d *reader) name() (string, bool) {
	b, ok := d.readName()
	if !ok {
		return "", false
	}
	if !validName(b) {
		d.syntaxError("invalid XML name: " + string(b))
		return "", false
	}
	return string(b), true
}

// qualified reads a name and splits its prefix off, as "p:local"; a name with two colons is
// no name.
func (d *reader) qualified() (qname, bool) {
	s, ok := d.name()
	if !ok || strings.Count(s, ":") > 1 {
		return qname{}, false
	}
	if p, l, found := strings.Cut(s, ":"); found && p != "" && l != "" {
		return qname{p, l}, true
	}
	return qname{local: s}, true
}

func (d *reader) expected(msg string) (token, error) {
	if d.err == nil {
		d.syntaxError(msg)
	}
	return token{}, d.err
}

func (d *reader) endElement() (token, error) {
	n, ok := d.qualified()
	if !ok {
		return d.expected("expected element name after </")
	}
	d.space()
	c, ok := d.mustByte()
	if !ok {
		return token{}, d.err
	}
	if c != '>' {
		return token{}, d.syntaxError("invalid characters between </" + n.local + " and >")
	}
	if len(d.open) == 0 {
		return token{}, d.syntaxError("unexpected end element </" + n.local + ">")
	}
	o := d.open[len(d.open)-1]
	switch {
	case o.local != n.local:
		return token{}, d.syntaxError("element <" + o.local + "> closed by </" + n.local + ">")
	case o.prefix != n.prefix:
		p := n.prefix
		if p == "" {
			p = `""`
		}
		return token{}, d.syntaxError("element <" + o.local + "> in space " + o.prefix + " closed by </" + n.local + "> in space " + p)
	}
	d.open = d.open[:len(d.open)-1]
	return token{kind: endTag}, nil
}

func (d *reader) procInst() (token, error) {
	target, ok := d.name()
	if !ok {
		return d.expected("expected target name after <?")
	}
	d.space()
	start := d.i
	for {
		c, ok := d.mustByte()
		if !ok {
			return token{}, d.err
		}
		if c == '>' && d.i-start >= 2 && d.in[d.i-2] == '?' {
			break
		}
	}
	if target == "xml" {
		content := string(d.in[start : d.i-2])
		if v := declParam("version", content); v != "" && v != "1.0" {
			d.err = errors.New("xml: unsupported version " + strconv.Quote(v) + "; only version 1.0 is supported")
			return token{}, d.err
		}
		if e := declParam("encoding", content); e != "" && !strings.EqualFold(e, "utf-8") {
			d.err = errors.New("xml: encoding " + strconv.Quote(e) + " declared but Decoder.CharsetReader is nil")
			return token{}, d.err
		}
	}
	return token{kind: other}, nil
}

// declParam returns the value of param="…" (or '…') in an XML declaration: the first
// occurrence of param= that a quote follows, up to the same quote ("" when there is none).
func declParam(param, s string) string {
	param += "="
	for {
		k := strings.Index(s, param)
		if k < 0 || k+len(param) >= len(s) {
			return ""
		}
		s = s[k+len(param):]
		if q := s[0]; q == '"' || q == '\'' {
			v, _, found := strings.Cut(s[1:], string(q))
			if !found {
				return ""
			}
			return v
		}
		s = s[1:]
	}
}

// bang reads what starts with <!: a comment, a CDATA section or a directive (<!DOCTYPE …>).
func (d *reader) bang() (token, error) {
	c, ok := d.mustByte()
	if !ok {
		return token{}, d.err
	}
	switch c {
	case '-':
		if c, ok = d.mustByte(); !ok {
			return token{}, d.err
		}
		if c != '-' {
			return token{}, d.syntaxError("invalid sequence <!- not part of <!--")
		}
		start := d.i
		for {
			if c, ok = d.mustByte(); !ok {
				return token{}, d.err
			}
			if d.i-start >= 3 && d.in[d.i-3] == '-' && d.in[d.i-2] == '-' {
				if c != '>' {
					return token{}, d.syntaxError(`invalid sequence "--" not allowed in comments`)
				}
				return token{kind: other}, nil
			}
		}
	case '[':
		for _, want := range []byte("CDATA[") {
			if c, ok = d.mustByte(); !ok {
				return token{}, d.err
			}
			if c != want {
				return token{}, d.syntaxError("invalid <![ sequence")
			}
		}
		text, ok := d.text(cdata)
		if !ok {
			return token{}, d.err
		}
		return token{kind: charData, text: text}, nil
	}
	// A directive (<!DOCTYPE …>), up to its >. The byte after <! is taken as it is; after it,
	// quoted > and those of nested <…> do not count, and a comment inside is skipped.
	var quote byte
	depth := 0
	for {
		if c, ok = d.mustByte(); !ok {
			return token{}, d.err
		}
		if quote == 0 && c == '>' && depth == 0 {
			return token{kind: other}, nil
		}
	handle:
		switch {
		case c == quote:
			quote = 0
		case quote != 0:
		case c == '\'' || c == '"':
			quote = c
		case c == '>':
			depth--
		case c == '<':
			for _, want := range []byte("!--") {
				if c, ok = d.mustByte(); !ok {
					return token{}, d.err
				}
				if c != want {
					depth++
					goto handle
				}
			}
			if !d.skipComment() {
				return token{}, d.err
			}
		}
	}
}

// skipComment reads up to the --> that ends a comment inside a directive.
func (d *reader) skipComment() bool {
	start := d.i
	for {
		if _, ok := d.mustByte(); !ok {
			return false
		}
		if d.i-start >= 3 && string(d.in[d.i-3:d.i]) == "-->" {
			return true
		}
	}
}

func (d *reader) startElement() (token, error) {
	n, ok := d.qualified()
	if !ok {
		return d.expected("expected element name after <")
	}
	tok := token{kind: startTag, name: n.local}
	for {
		d.space()
		c, ok := d.mustByte()
		if !ok {
			return token{}, d.err
		}
		if c == '/' {
			if c, ok = d.mustByte(); !ok {
				return token{}, d.err
			}
			if c != '>' {
				return token{}, d.syntaxError("expected /> in element")
			}
			d.closing = true
			break
		}
		if c == '>' {
			break
		}
		d.i--
		a, ok := d.qualified()
		if !ok {
			return d.expected("expected attribute name in element")
		}
		d.space()
		if c, ok = d.mustByte(); !ok {
			return token{}, d.err
		}
		if c != '=' {
			return token{}, d.syntaxError("attribute name without = in element")
		}
		d.space()
		if c, ok = d.mustByte(); !ok {
			return token{}, d.err
		}
		if c != '"' && c != '\'' {
			return token{}, d.syntaxError("unquoted or missing attribute value in element")
		}
		v, ok := d.text(int(c))
		if !ok {
			return token{}, d.err
		}
		if a.local == "key" {
			tok.key = string(v)
		}
	}
	d.open = append(d.open, n)
	return tok, nil
}

// Modes of text besides a quote character: plain character data, and a CDATA section.
const cdata = -1

// text reads character data (mode 0) up to a < or the end, an attribute value up to its
// closing quote (mode: the quote character), or a CDATA section up to its ]]> (mode cdata). It
// decodes the five predefined entities and character references (not in CDATA), turns \r\n and
// \r into \n, and refuses text that is not UTF-8 or holds a character XML does not allow.
func (d *reader) text(mode int) ([]byte, bool) {
	d.buf = d.buf[:0]
	var b0, b1 byte // the two bytes before, for ]]>
	for {
		if d.i >= len(d.in) {
			if mode == cdata {
				d.syntaxError("unexpected EOF in CDATA section")
				return nil, false
			}
			break // an attribute value's missing quote is found by the caller
		}
		c := d.in[d.i]
		d.i++
		if mode <= 0 && b0 == ']' && b1 == ']' && c == '>' {
			if mode == cdata {
				d.buf = d.buf[:len(d.buf)-2]
				break
			}
			d.syntaxError("unescaped ]]> not in CDATA section")
			return nil, false
		}
		if c == '<' && mode != cdata {
			if mode > 0 {
				d.syntaxError("unescaped < inside quoted string")
				return nil, false
			}
			d.i--
			break
		}
		if mode > 0 && int(c) == mode {
			break
		}
		if c == '&' && mode != cdata {
			if !d.entity() {
				return nil, false
			}
			b0, b1 = 0, 0
			continue
		}
		switch {
		case c == '\r':
			d.buf = append(d.buf, '\n')
		case b1 == '\r' && c == '\n':
		default:
			d.buf = append(d.buf, c)
		}
		b0, b1 = b1, c
	}
	for b := d.buf; len(b) > 0; {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			d.syntaxError("invalid UTF-8")
			return nil, false
		}
		if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			d.syntaxError("illegal character code " + codePoint(r))
			return nil, false
		}
		b = b[size:]
	}
	return append([]byte(nil), d.buf...), true
}

// codePoint is fmt's %U: U+ and at least four upper-case hex digits.
func codePoint(r rune) string {
	h := strings.ToUpper(strconv.FormatInt(int64(r), 16))
	return "U+" + strings.Repeat("0", max(0, 4-len(h))) + h
}

// entity reads a reference after its & (&lt; &gt; &amp; &apos; &quot; &#N; &#xH;) and appends
// the character to d.buf.
func (d *reader) entity() bool {
	start := d.i - 1 // the &
	c, ok := d.mustByte()
	if !ok {
		return false
	}
	text, have := "", false
	if c == '#' {
		if c, ok = d.mustByte(); !ok {
			return false
		}
		base := 10
		if c == 'x' {
			base = 16
			if c, ok = d.mustByte(); !ok {
				return false
			}
		}
		digits := d.i - 1
		for '0' <= c && c <= '9' || base == 16 && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			if c, ok = d.mustByte(); !ok {
				return false
			}
		}
		if c != ';' {
			d.i--
		} else if n, err := strconv.ParseUint(string(d.in[digits:d.i-1]), base, 64); err == nil && n <= utf8.MaxRune {
			text, have = string(rune(n)), true
		}
	} else {
		d.i--
		name, _ := d.readName()
		if d.err != nil {
			return false
		}
		if c, ok = d.mustByte(); !ok {
			return false
		}
		if c != ';' {
			d.i--
		} else if validName(name) {
			text, have = predefined(string(name))
		}
	}
	if have {
		d.buf = append(d.buf, text...)
		return true
	}
	ent := string(d.in[start:d.i])
	if !strings.HasSuffix(ent, ";") {
		ent += " (no semicolon)"
	}
	d.syntaxError("invalid character entity " + ent)
	return false
}

func predefined(name string) (string, bool) {
	switch name {
	case "lt":
		return "<", true
	case "gt":
		return ">", true
	case "amp":
		return "&", true
	case "apos":
		return "'", true
	case "quot":
		return `"`, true
	}
	return "", false
}
