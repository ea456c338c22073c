package jsonw

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func marshal(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var strs = []string{"", "plain", `q"uote\back`, "\x00\x01\b\f\n\r\t\x1f\x7f", "<a href='x'>&amp;</a>",
	"caf\u00e9 \u20ac \U0001F600", "\u2028\u2029", "bad \xff\xfe utf8 \xe2\x82", "\xed\xa0\x80 surrogate"}

func TestAppendStringLikeEncodingJSON(t *testing.T) {
	for _, s := range strs {
		if got, want := string(AppendString(nil, s)), marshal(t, s); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range strs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(AppendString([]byte("x"), s)), "x"+marshal(t, s); got != want {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestWriter(t *testing.T) {
	ts := time.Date(2026, 11, 27, 13, 5, 9, 120000000, time.FixedZone("X", 3600))
	var w Writer
	w.Open('{')
	w.Key("s").String("a<b")
	w.Key("n").Int(-42)
	w.Key("t").Bool(true)
	w.Key("f").Bool(false)
	w.Key("z").Null()
	w.Key("raw").Raw(`{"x":[1,2]}`)
	w.Key("time").Time(ts)
	w.Key("utc").Time(ts.UTC())
	w.Key("empty").Open('[')
	w.Close(']')
	w.Key("list").Open('[')
	w.Item().Int(1)
	w.Item().Open('{')
	w.Close('}')
	w.Item().String("x")
	w.Close(']')
	w.Key("map").StringMap(map[string]string{"b": "2", "a": "1", "": "0"})
	w.Key("nilmap").StringMap(nil)
	w.Key("strs").StringList([]string{"x", "y"})
	w.Key("nilstrs").StringList(nil)
	w.Close('}')
	got, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := marshal(t, struct {
		S       string            `json:"s"`
		N       int               `json:"n"`
		T       bool              `json:"t"`
		F       bool              `json:"f"`
		Z       *int              `json:"z"`
		Raw     json.RawMessage   `json:"raw"`
		Time    time.Time         `json:"time"`
		UTC     time.Time         `json:"utc"`
		Empty   []int             `json:"empty"`
		List    []any             `json:"list"`
		Map     map[string]string `json:"map"`
		NilMap  map[string]string `json:"nilmap"`
		Strs    []string          `json:"strs"`
		NilStrs []string          `json:"nilstrs"`
	}{S: "a<b", N: -42, T: true, Raw: json.RawMessage(`{"x":[1,2]}`), Time: ts, UTC: ts.UTC(), Empty: []int{},
		List: []any{1, struct{}{}, "x"}, Map: map[string]string{"b": "2", "a": "1", "": "0"}, Strs: []string{"x", "y"}})
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !json.Valid(got) {
		t.Errorf("not valid: %s", got)
	}
}

func TestTimeOutOfRange(t *testing.T) {
	for _, ts := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		var w Writer
		w.Open('[')
		w.Item().Time(ts)
		w.Close(']')
		_, err := w.Bytes()
		_, jerr := json.Marshal(ts)
		if err == nil || jerr == nil || err.Error() != jerr.Error() {
			t.Errorf("%v: error %v, encoding/json's %v", ts, err, jerr)
		}
	}
}

func TestSortedKeys(t *testing.T) {
	m := map[string]int{"b": 1, "a": 2, "B": 3, "": 4, "ab": 5}
	if got := strings.Join(SortedKeys(m), ","); got != ",B,a,ab,b" {
		t.Errorf("got %q", got)
	}
	if !bytes.Equal([]byte(marshal(t, map[string]int{"b": 1, "a": 2})), []byte(`{"a":2,"b":1}`)) {
		t.Error("encoding/json sorts differently")
	}
}

func TestIntsOmitEmpty(t *testing.T) {
	var w Writer
	w.Open('{')
	w.IntsOmitEmpty("none", nil)
	w.IntsOmitEmpty("lines", []int{3, -1, 40})
	w.Close('}')
	if b, err := w.Bytes(); err != nil || string(b) != `{"lines":[3,-1,40]}` {
		t.Fatalf("%s %v", b, err)
	}
}

func TestArray(t *testing.T) {
	num := func(w *Writer, n *int) { w.Int(int64(*n)) }
	for _, c := range []struct {
		in   []int
		want string
	}{{nil, `null`}, {[]int{}, `[]`}, {[]int{1, 2}, `[1,2]`}} {
		var w Writer
		Array(&w, c.in, num)
		if b, _ := w.Bytes(); string(b) != c.want {
			t.Fatalf("%v: %s, want %s", c.in, b, c.want)
		}
	}
}
