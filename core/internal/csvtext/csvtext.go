// Package csvtext writes CSV records exactly as encoding/csv's Writer does with UseCRLF (the
// payout results file and the statement use it), without its bufio writer: a few KB of every
// WebAssembly build that writes CSV. csvtext_test.go compares the two, and a fuzz target.
package csvtext

import (
	"unicode"
	"unicode/utf8"
)

// AppendRecord appends fields as one record: separated by commas, ended by \r\n. A field is
// quoted when it holds a comma, a quote, \r or \n, starts with white space, or is `\.`;
// inside quotes a quote is doubled, \n becomes \r\n and a lone \r is dropped.
func AppendRecord(b []byte, fields []string) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		if !needsQuotes(f) {
			b = append(b, f...)
			continue
		}
		b = append(b, '"')
		for j := 0; j < len(f); j++ {
			switch c := f[j]; c {
			case '"':
				b = append(b, '"', '"')
			case '\r':
			case '\n':
				b = append(b, '\r', '\n')
			default:
				b = append(b, c)
			}
		}
		b = append(b, '"')
	}
	return append(b, '\r', '\n')
}

func needsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f == `\.` {
		return true
	}
	for i := 0; i < len(f); i++ {
		if c := f[i]; c == '\n' || c == '\r' || c == '"' || c == ',' {
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(f)
	return unicode.IsSpace(r)
}
