package payout

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// csvTrace reads all of data as a list of "line: fields" and "line: error" entries.
func csvTrace(data []byte, read func() ([]string, int, error)) []string {
	var out []string
	for i := 0; i < 10000; i++ {
		rec, line, err := read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			out = append(out, strconv.Itoa(line)+": error: "+err.Error())
			continue
		}
		out = append(out, strconv.Itoa(line)+": "+strconv.Quote(strings.Join(rec, "\x00"))+" ("+strconv.Itoa(len(rec))+" fields)")
	}
	panic("no end")
}

// encodingCSV reads data as Parse did with encoding/csv: the reference csvReader must match.
func encodingCSV(data []byte) []string {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comment = '#'
	return csvTrace(data, func() ([]string, int, error) {
		rec, err := r.Read()
		if err == io.EOF {
			return nil, 0, err
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			switch {
			case errors.Is(pe.Err, csv.ErrQuote):
				return nil, pe.StartLine, &csvError{line: pe.StartLine, quote: true}
			case errors.Is(pe.Err, csv.ErrBareQuote):
				return nil, pe.StartLine, &csvError{line: pe.StartLine}
			}
		}
		if err != nil {
			return nil, 0, errors.New("other error: " + err.Error())
		}
		line, _ := r.FieldPos(0)
		return rec, line, nil
	})
}

func ownCSV(data []byte) []string {
	r := &csvReader{data: data}
	return csvTrace(data, r.read)
}

var csvCorpus = []string{
	"", "\n", "\r\n", "\r", "a", "a\n", "a\r\n", "a\r", "a\rb", "a,b,c\n", "a,,\n", ",\n", ",", " a , b \n", "\ta,\u00a0b,\u2003c\n",
	"# comment\na,b\n", " # not a comment\n", "#\n#\r\n", "a\n\nb\n\r\n\nc", `"a"`, `"a",b`, `"a" ,b`, ` "a", "b"`, `"a""b"`, `"a"b`,
	`a"b`, `a,b"`, `"a`, `"a` + "\n", "\"a\nb\"\n", "\"a\r\nb\"\r\nc", "\"a\n\nb\",c\n", "\"a\n", "\"\n\"\n", `""`, `""""`, `"",""`,
	"\"a\"\r\n\"b\"", "a,\"b\nc\nd\",e\nf\n", "\"a\"x\nb,c\n", "a\"b\nc\n", "\"abc\ndef\nghi", "x,\"\r", "\"\r\n", "a,\"b\"\"\n",
	"address,currency,amount,memo\nbc1q,BTC,0.1,\"hi, there\"\n", "\xef\xbb\xbfa,b\n", "\xff,\xfe\n", "a\x00b,c\n", "\"a\"\"\"\n",
	"  \n", " \t \n,\n", "\"a\",\n", "\"a\",   \"b\"   \n", "a,\" b\"\n", "a, \"b\" \n",
}

func TestCSVAsEncodingCSV(t *testing.T) {
	for _, s := range csvCorpus {
		if got, want := ownCSV([]byte(s)), encodingCSV([]byte(s)); !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
}

func TestCSVAsEncodingCSVRandom(t *testing.T) {
	pieces := []string{"a", "bc", ",", "\"", "\"\"", "\n", "\r\n", "\r", " ", "\t", "#", "\u00a0", "\xff", "x\"y", "\"q,\nq\""}
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 50000; i++ {
		var b strings.Builder
		for n := r.IntN(14); n >= 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := ownCSV([]byte(s)), encodingCSV([]byte(s)); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
}

func FuzzCSVAsEncodingCSV(f *testing.F) {
	for _, s := range csvCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := append([]byte(nil), b...)
		if got, want := ownCSV(b), encodingCSV(b); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", b, got, want)
		}
		if !bytes.Equal(in, b) {
			t.Fatalf("the reader changed its input")
		}
	})
}
