package core

import (
	"net/url"
	"testing"
)

func TestEncodeForm(t *testing.T) {
	got := string(EncodeForm(Fields{"b": "x y", "a": "1&2=3", "wd[p1][amount]": "0.5", "u": "é~"}))
	want := "a=1%262%3D3&b=x+y&u=%C3%A9~&wd%5Bp1%5D%5Bamount%5D=0.5"
	if got != want {
		t.Fatalf("EncodeForm = %q, want %q", got, want)
	}
}

func FuzzEncodeForm(f *testing.F) {
	f.Add("amount", "12.5", "note", "hello world & more")
	f.Add("wd[a b][address]", "x=y", "", "\x00\xff")
	f.Add("k", "100%", "é", "+")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		fields := Fields{k1: v1, k2: v2}
		body := EncodeForm(fields)
		for _, ch := range body {
			if ch > 0x7e || ch < 0x21 {
				t.Fatalf("unescaped byte %q in %q", ch, body)
			}
		}
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			t.Fatalf("ParseQuery(%q): %v", body, err)
		}
		if len(vals) != len(fields) {
			t.Fatalf("got %d keys, want %d (%q)", len(vals), len(fields), body)
		}
		for k, v := range fields {
			if got := vals.Get(k); got != v {
				t.Fatalf("key %q: got %q want %q", k, got, v)
			}
		}
	})
}
