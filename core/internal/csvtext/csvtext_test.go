package csvtext

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"strings"
	"testing"
)

func encodingCSV(records [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	for _, r := range records {
		_ = w.Write(r)
	}
	w.Flush()
	return buf.Bytes()
}

func own(records [][]string) []byte {
	var b []byte
	for _, r := range records {
		b = AppendRecord(b, r)
	}
	return b
}

var cells = []string{"", "a", "a b", " a", "\ta", "\u00a0a", "\u2003a", "a,b", `a"b`, `"`, "a\nb", "a\r\nb", "a\rb", "\r", "\n",
	`\.`, `\.x`, "=1+1", "'x", "caf\u00e9", "\xff", "12.50000000"}

func TestSameAsEncodingCSV(t *testing.T) {
	for _, c := range cells {
		for _, d := range cells {
			recs := [][]string{{c}, {c, d}, {d, c, ""}}
			if got, want := own(recs), encodingCSV(recs); !bytes.Equal(got, want) {
				t.Fatalf("%q:\n got %q\nwant %q", recs, got, want)
			}
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 20000; i++ {
		rec := make([]string, 1+r.IntN(5))
		for j := range rec {
			var b strings.Builder
			for n := r.IntN(4); n > 0; n-- {
				b.WriteString(cells[r.IntN(len(cells))])
			}
			rec[j] = b.String()
		}
		if got, want := own([][]string{rec}), encodingCSV([][]string{rec}); !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", rec, got, want)
		}
	}
}

func FuzzSameAsEncodingCSV(f *testing.F) {
	f.Add("a", "b\nc", `"`)
	f.Fuzz(func(t *testing.T, a, b, c string) {
		recs := [][]string{{a, b, c}, {c}}
		if got, want := own(recs), encodingCSV(recs); !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", recs, got, want)
		}
	})
}
