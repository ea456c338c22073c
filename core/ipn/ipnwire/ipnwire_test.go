package ipnwire

import (
	"errors"
	"net/url"
	"testing"
)

var escapes = []string{"", "a", "a+b", "%41", "%4a%4A", "%zz", "%4", "%", "a%", "%%41", "%41%", "+%2B+", "%e2%82%ac", "%ff", "%0g", "%g0",
	"a b", "%20%2b%25", "100%", "%4%41"}

func TestQueryUnescapeAsNetURL(t *testing.T) {
	for _, s := range escapes {
		got, err := queryUnescape(s)
		want, werr := url.QueryUnescape(s)
		if got != want || (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Errorf("%q: %q, %v; net/url: %q, %v", s, got, err, want, werr)
		}
	}
}

func FuzzQueryUnescapeAsNetURL(f *testing.F) {
	for _, s := range escapes {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := queryUnescape(s)
		want, werr := url.QueryUnescape(s)
		if got != want || (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Fatalf("%q: %q, %v; net/url: %q, %v", s, got, err, want, werr)
		}
	})
}

// TestParseFormAsNetURL: the same fields and the same first error as url.ParseQuery, except
// that a semicolon's error is worded without fmt.
func TestParseFormAsNetURL(t *testing.T) {
	for _, q := range []string{"", "a=1", "a=1&a=2&b", "a=%zz&b=%41", "&&a==1&=x&", "a+b=c+d&%41=%42", "x=1;y=2", "a=%4&b=%zz"} {
		got, err := parseForm(q)
		want, werr := url.ParseQuery(q)
		if (err == nil) != (werr == nil) || len(got) != len(want) {
			t.Errorf("%q: %v, %v; net/url: %v, %v", q, got, err, want, werr)
			continue
		}
		for k, vs := range want {
			if len(got[k]) != len(vs) {
				t.Errorf("%q: %q = %q, want %q", q, k, got[k], vs)
			}
			for i := range vs {
				if got[k][i] != vs[i] {
					t.Errorf("%q: %q = %q, want %q", q, k, got[k], vs)
				}
			}
		}
	}
}

func TestVerifierWithoutSecretFailsClosed(t *testing.T) {
	if _, err := (&Verifier{merchantID: "m"}).Verify([]byte("x"), "00"); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("err = %v, want ErrNoSecret", err)
	}
}
