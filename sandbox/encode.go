package sandbox

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
)

// Results are plain trees of map[string]any, []any, string, int, int64,
// json.Number (a raw JSON number such as 0.10000000), bool and nil. Both
// encoders walk the same tree; encoding/json already sorts map keys, and the
// XML encoder sorts them too, so output is deterministic.

func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only our own trees reach here; failing to encode is a bug.
		panic(fmt.Sprintf("sandbox: encode json: %v", err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// encodeEnvelopeXML renders the spec §3 layout:
// <?xml version="1.0" encoding="UTF-8"?>\n<response><error>…</error><result>…</result></response>
func encodeEnvelopeXML(errText string, result any) []byte {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<response><error>")
	xmlText(&buf, errText)
	buf.WriteString("</error><result>")
	xmlValue(&buf, result)
	buf.WriteString("</result></response>")
	return buf.Bytes()
}

func xmlText(buf *bytes.Buffer, s string) {
	_ = xml.EscapeText(buf, []byte(s))
}

func xmlValue(buf *bytes.Buffer, v any) {
	switch t := v.(type) {
	case nil:
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if validXMLName(k) {
				buf.WriteString("<" + k + ">")
				xmlValue(buf, t[k])
				buf.WriteString("</" + k + ">")
			} else {
				buf.WriteString(`<entry key="`)
				xmlText(buf, k)
				buf.WriteString(`">`)
				xmlValue(buf, t[k])
				buf.WriteString("</entry>")
			}
		}
	case []any:
		for _, item := range t {
			buf.WriteString("<item>")
			xmlValue(buf, item)
			buf.WriteString("</item>")
		}
	case []string:
		for _, item := range t {
			buf.WriteString("<item>")
			xmlText(buf, item)
			buf.WriteString("</item>")
		}
	case string:
		xmlText(buf, t)
	case json.Number:
		buf.WriteString(string(t))
	case int:
		buf.WriteString(strconv.Itoa(t))
	case int64:
		buf.WriteString(strconv.FormatInt(t, 10))
	case bool:
		if t {
			buf.WriteString("1")
		} else {
			buf.WriteString("0")
		}
	default:
		panic(fmt.Sprintf("sandbox: xml: unsupported result type %T", v))
	}
}

// validXMLName accepts a conservative ASCII subset of XML names: a letter or
// underscore, then letters, digits, '.', '-' or '_'. Names starting with "xml"
// (any case) are reserved by XML and so are rejected too. Anything else
// becomes <entry key="…">.
func validXMLName(s string) bool {
	if s == "" {
		return false
	}
	if len(s) >= 3 && (s[0]|0x20) == 'x' && (s[1]|0x20) == 'm' && (s[2]|0x20) == 'l' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}
