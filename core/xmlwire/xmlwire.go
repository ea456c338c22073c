// Package xmlwire converts the API's format=xml answers into the JSON tree the core decodes, so
// an XML answer and a JSON answer give the same values. Plug it in with
// core.WithWireFormat("xml", xmlwire.ToJSON).
//
// Layout (spec §3): <response> holds <error> and <result>; object members are child elements
// named by key, a key that is not an XML name is <entry key="…">, array items are repeated <item>
// elements, scalars are text. Scalars come out as JSON strings; the core's getters read numbers
// sent as strings, so typed results are identical.
package xmlwire

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

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
