package xmlwire

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// refToJSON is ToJSON as it was written on encoding/xml (strict), kept as the reference the
// package's own reader is compared with.
func refToJSON(body []byte) ([]byte, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	var (
		root  *node
		stack []*node
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= MaxDepth {
				return nil, fmt.Errorf("nesting deeper than %d", MaxDepth)
			}
			n := &node{name: t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Local == "key" {
					n.key = a.Value
				}
			}
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
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
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
		return nil, fmt.Errorf("root element is <%s>, want <response>", root.name)
	}
	var out bytes.Buffer
	refWriteObject(&out, root)
	return out.Bytes(), nil
}

func refWriteObject(out *bytes.Buffer, n *node) {
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
		refWriteString(out, k)
		out.WriteByte(':')
		refWrite(out, c)
	}
	out.WriteByte('}')
}

func refWrite(out *bytes.Buffer, n *node) {
	switch {
	case len(n.children) == 0:
		refWriteString(out, n.text.String())
	case allItems(n):
		out.WriteByte('[')
		for i, c := range n.children {
			if i > 0 {
				out.WriteByte(',')
			}
			refWrite(out, c)
		}
		out.WriteByte(']')
	default:
		refWriteObject(out, n)
	}
}

func refWriteString(out *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	out.Write(b)
}

// sameAsReference reports how ToJSON and refToJSON differ on in ("" when they agree: the same
// JSON, or the same error text). The one allowed difference: a non-ASCII name that
// encoding/xml refuses.
func sameAsReference(in []byte) string {
	got, err := ToJSON(in)
	want, werr := refToJSON(in)
	if werr != nil && strings.Contains(werr.Error(), "invalid XML name") && bytes.ContainsFunc(in, func(r rune) bool { return r >= 0x80 }) {
		return ""
	}
	switch {
	case (err == nil) != (werr == nil):
		return fmt.Sprintf("error %v, encoding/xml's %v (output %s)", err, werr, got)
	case err != nil && err.Error() != werr.Error():
		return fmt.Sprintf("error %q, encoding/xml's %q", err, werr)
	case !bytes.Equal(got, want):
		return fmt.Sprintf("got %s, encoding/xml's %s", got, want)
	}
	return ""
}
