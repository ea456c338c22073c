package pretty

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

var samples = []string{
	`{}`, `[]`, `0`, `-1.5e+10`, `"a"`, `true`, `false`, `null`,
	`{"b":1,"a":[1,2,{"c":null}],"":"x"}`,
	` { "z" : [ ] , "y" : { } , "x" : [ true , false ] } `,
	`[[[]],[{}],[[1,2],[3]]]`,
	`{"esc\"aped":"\u00e9\ud83d\ude00\\\/\b\f\n\r\t","\u0041":1,"B":2,"a":3}`,
	`{"k":1,"k":2,"j":0}`,
	`["` + strings.Repeat("long ", 30) + `", 1]`,
	`{"amounts":["0.10000000","12.50"],"nested":{"deeper":{"deepest":[{"a":1},{"b":[]}]}}}`,
}

// tokens returns the JSON tokens of b as encoding/json reads them (numbers as their text).
func tokens(t *testing.T, b []byte) []any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out []any
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("reading %s: %v", b, err)
			}
			return out
		}
		out = append(out, tok)
	}
}

func TestPrettySameTokens(t *testing.T) {
	for _, s := range samples {
		out := Pretty([]byte(s))
		if !json.Valid(out) {
			t.Fatalf("Pretty(%s) = %s: not valid JSON", s, out)
		}
		if got, want := tokens(t, out), tokens(t, []byte(s)); !reflect.DeepEqual(got, want) {
			t.Errorf("Pretty(%s) = %s: tokens %v, want %v", s, out, got, want)
		}
		if !bytes.HasSuffix(out, []byte("\n")) {
			t.Errorf("Pretty(%s) = %q: no newline at the end", s, out)
		}
		var compact bytes.Buffer
		json.Compact(&compact, []byte(s))
		if got := Ugly(out); !bytes.Equal(got, compact.Bytes()) {
			t.Errorf("Ugly(Pretty(%s)) = %s, want %s", s, got, compact.Bytes())
		}
	}
}

func TestPrettyLayout(t *testing.T) {
	in := `{"b":[1,2],"a":{"c":[{"d":true}],"e":[]},"long":["aaaaaaaaaa","bbbbbbbbbb","cccccccccc"]}`
	tests := []struct {
		name string
		opts *Options
		want string
	}{
		{"default", nil, `{
  "b": [1, 2],
  "a": {
    "c": [
      {
        "d": true
      }
    ],
    "e": []
  },
  "long": ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"]
}
`},
		{"sorted, narrow, prefix, tabs", &Options{Width: 20, Prefix: "> ", Indent: "\t", SortKeys: true}, "> {\n" +
			"> \t\"a\": {\n" +
			"> \t\t\"c\": [\n" +
			"> \t\t\t{\n" +
			"> \t\t\t\t\"d\": true\n" +
			"> \t\t\t}\n" +
			"> \t\t],\n" +
			"> \t\t\"e\": []\n" +
			"> \t},\n" +
			"> \t\"b\": [1, 2],\n" +
			"> \t\"long\": [\n" +
			"> \t\t\"aaaaaaaaaa\",\n" +
			"> \t\t\"bbbbbbbbbb\",\n" +
			"> \t\t\"cccccccccc\"\n" +
			"> \t]\n" +
			"> }\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(PrettyOptions([]byte(in), tt.opts)); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// sortedKeys checks that every object in b lists its members in key order.
func sortedKeys(t *testing.T, b []byte) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	var stack [][]string // keys seen per open object; nil for an array
	inObject := func() bool { return len(stack) > 0 && stack[len(stack)-1] != nil }
	expectKey := true
	for {
		tok, err := d.Token()
		if err != nil {
			return
		}
		switch x := tok.(type) {
		case json.Delim:
			switch x {
			case '{':
				stack = append(stack, []string{})
				expectKey = true
				continue
			case '[':
				stack = append(stack, nil)
			case '}', ']':
				keys := stack[len(stack)-1]
				for i := 1; i < len(keys); i++ {
					if keys[i-1] > keys[i] {
						t.Fatalf("keys out of order in %s: %q", b, keys)
					}
				}
				stack = stack[:len(stack)-1]
			}
		case string:
			if inObject() && expectKey {
				stack[len(stack)-1] = append(stack[len(stack)-1], x)
				expectKey = false
				continue
			}
		}
		expectKey = inObject()
	}
}

func TestPrettySortKeys(t *testing.T) {
	opts := &Options{Width: 80, Indent: "  ", SortKeys: true}
	for _, s := range samples {
		out := PrettyOptions([]byte(s), opts)
		if !json.Valid(out) {
			t.Fatalf("PrettyOptions(%s) = %s: not valid JSON", s, out)
		}
		var got, want any
		json.Unmarshal(out, &got)
		json.Unmarshal([]byte(s), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("PrettyOptions(%s) = %s: another value", s, out)
		}
		sortedKeys(t, out)
	}
	// Keys are compared decoded ("\u0041" is "A"), and a repeated key keeps its members' order.
	got := string(Ugly(PrettyOptions([]byte(`{"b":1,"\u0041":2,"a":3,"b":0}`), opts)))
	if want := `{"\u0041":2,"a":3,"b":1,"b":0}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// The sort is stable on objects wider than its first merges: 300 members, keys repeated, each
// key's members in their first order.
func TestPrettySortKeysWideObject(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	type member struct{ key, seq int }
	var want []member
	for i := 0; i < 300; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		k := (i * 37) % 41
		fmt.Fprintf(&b, `"k%02d":%d`, k, i)
		want = append(want, member{k, i})
	}
	b.WriteString("}")
	sort.SliceStable(want, func(i, j int) bool { return want[i].key < want[j].key })
	var w strings.Builder
	w.WriteString("{")
	for i, m := range want {
		if i > 0 {
			w.WriteString(",")
		}
		fmt.Fprintf(&w, `"k%02d":%d`, m.key, m.seq)
	}
	w.WriteString("}")
	got := string(Ugly(PrettyOptions([]byte(b.String()), &Options{Width: 80, Indent: "  ", SortKeys: true})))
	if got != w.String() {
		t.Fatalf("got %s\nwant %s", got, w.String())
	}
}

func TestUnquote(t *testing.T) {
	for _, s := range []string{`""`, `"plain"`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\u20ac\ud83d\ude00"`, `"\ud800"`, `"\udc00x"`, `"\ud83dA"`, "\"caf\xc3\xa9\""} {
		var want string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatal(err)
		}
		if got := unquote([]byte(s)); got != want {
			t.Errorf("unquote(%s) = %q, want %q", s, got, want)
		}
	}
}

func TestInvalidUnchanged(t *testing.T) {
	for _, s := range []string{``, ` `, `{`, `[1,]`, `{"a"}`, `{"a":1,}`, `01`, `1.`, `-`, `1e`, `"\x"`, "\"a\x01\"", `tru`, `nul`, `1 2`, `{} x`, `[` + strings.Repeat(`[`, maxDepth+1), `'a'`, `{a:1}`, `"\u12"`} {
		if got := Pretty([]byte(s)); string(got) != s {
			t.Errorf("Pretty(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestUgly(t *testing.T) {
	in := " {\n\t\"a b\" : [ 1 ,\r\n 2 ], \"q\\\" x\": \" \\\\\" } "
	if got, want := string(Ugly([]byte(in))), `{"a b":[1,2],"q\" x":" \\"}`; got != want {
		t.Errorf("Ugly = %s, want %s", got, want)
	}
}

func FuzzPretty(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Add([]byte(`[1,2,{"a":[3,{"b":"\u0000"}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, opts := range []*Options{nil, {Width: 10, Prefix: "#", Indent: "\t", SortKeys: true}} {
			out := PrettyOptions(b, opts)
			if !json.Valid(b) {
				if !bytes.Equal(out, b) {
					t.Fatalf("invalid %q changed to %q", b, out)
				}
				continue
			}
			if opts != nil {
				out = bytes.ReplaceAll(out, []byte("\n#"), []byte("\n"))[1:]
			}
			if !json.Valid(out) {
				t.Fatalf("PrettyOptions(%q) = %q: not valid", b, out)
			}
			var got, want bytes.Buffer
			json.Compact(&got, out)
			json.Compact(&want, b)
			if opts == nil && !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("Pretty(%q) = %q: other tokens", b, out)
			}
			if opts != nil && len(got.Bytes()) != len(want.Bytes()) {
				t.Fatalf("PrettyOptions(%q) = %q: other tokens", b, out)
			}
		}
		var want bytes.Buffer
		if json.Compact(&want, b) == nil && !bytes.Equal(Ugly(b), want.Bytes()) {
			t.Fatalf("Ugly(%q) = %q, want %q", b, Ugly(b), want.Bytes())
		}
	})
}
