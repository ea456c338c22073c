package pretty

import (
	"encoding/json"
	"testing"
)

// wallexkit: unescapeJSON must decode exactly as json.Unmarshal into a string did.
func TestUnescapeJSONMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`"plain"`, `"a\"b"`, `"\\\/\b\f\n\r\t"`, `"\u00e9\u20ac"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`,
		`"\ude00"`, `"\u12"`, `"\x"`, `"tab	in"`, "\"\xff\xfe\"", `"ok\u0041"`, `""`, `"\"`,
	} {
		var want string
		err := json.Unmarshal([]byte(in), &want)
		got := unescapeJSON([]byte(in))
		if err != nil {
			if got != nil {
				t.Errorf("%q: json refuses it, unescapeJSON gives %q", in, got)
			}
			continue
		}
		if string(got) != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
