package payout

import (
	"bytes"
	"io"
	"unicode"
	"unicode/utf8"
)

// csvReader reads a payout file's records as encoding/csv's Reader does with
// FieldsPerRecord = -1, TrimLeadingSpace and Comment = '#' (and strict quotes), which is how
// Parse read them before: encoding/csv's ParseError prints itself with fmt, which (with reflect
// behind it) was about 0.1 MB of the WebAssembly bridge. csv_test.go compares the two on many
// files, random ones and a fuzz target: the same records with the same lines, and the same
// errors at the same lines.
//
// RFC 4180: records end with \n or \r\n (a lone \r is data), fields are separated by commas;
// a field in double quotes may hold commas, newlines and doubled quotes (""), and a quote
// anywhere else is an error. Leading white space of a field is dropped; empty lines and lines
// whose first character is '#' are skipped. After an error, reading goes on at the next line.
type csvReader struct {
	data []byte
	line int // lines read so far
}

// csvError is a record that is not valid CSV.
type csvError struct {
	line  int  // where the record starts
	quote bool // a quoted field is not closed well (else: a quote inside an unquoted field)
}

func (e *csvError) Error() string {
	if e.quote {
		return `a quoted field is not closed, or a quote inside it is not doubled ("")`
	}
	return `a quote (") inside an unquoted field: put the whole field in quotes and double the inner quote`
}

// readLine returns the next line with its \n (\r\n becomes \n; a last line may have neither,
// and then loses a trailing \r), or false at the end of the data.
func (r *csvReader) readLine() ([]byte, bool) {
	if len(r.data) == 0 {
		return nil, false
	}
	n := bytes.IndexByte(r.data, '\n') + 1
	if n == 0 {
		n = len(r.data)
	}
	line := r.data[:n:n]
	r.data = r.data[n:]
	r.line++
	switch {
	case line[len(line)-1] != '\n':
		line = bytes.TrimSuffix(line, []byte("\r"))
	case bytes.HasSuffix(line, []byte("\r\n")):
		line = append(line[:len(line)-2:len(line)-2], '\n') // a copy: the data stays as it is
	}
	return line, true
}

// read returns the next record and the line it starts on; io.EOF after the last one, or a
// *csvError.
func (r *csvReader) read() ([]string, int, error) {
	var line []byte
	for {
		l, ok := r.readLine()
		if !ok {
			return nil, 0, io.EOF
		}
		if r0, _ := utf8.DecodeRune(l); r0 == '#' || len(l) == 0 || string(l) == "\n" {
			continue
		}
		line = l
		break
	}
	start := r.line
	var fields []string
	for {
		line = trimLeftSpace(line)
		if len(line) == 0 || line[0] != '"' {
			field, rest, more := bytes.Cut(line, []byte(","))
			if !more {
				field = bytes.TrimSuffix(field, []byte("\n"))
			}
			if bytes.IndexByte(field, '"') >= 0 {
				return nil, start, &csvError{line: start}
			}
			fields = append(fields, string(field))
			if !more {
				return fields, start, nil
			}
			line = rest
			continue
		}
		// A quoted field, maybe over several lines.
		var field []byte
		line = line[1:]
		for {
			q := bytes.IndexByte(line, '"')
			if q < 0 { // the field goes on on the next line, if there is one
				if len(line) == 0 {
					return nil, start, &csvError{line: start, quote: true}
				}
				field = append(field, line...)
				line, _ = r.readLine()
				continue
			}
			field = append(field, line[:q]...)
			line = line[q+1:]
			switch {
			case len(line) > 0 && line[0] == '"':
				field = append(field, '"')
				line = line[1:]
				continue
			case len(line) > 0 && line[0] == ',':
				fields = append(fields, string(field))
				line = line[1:]
			case len(line) == 0 || string(line) == "\n":
				return append(fields, string(field)), start, nil
			default:
				return nil, start, &csvError{line: start, quote: true}
			}
			break
		}
	}
}

// trimLeftSpace drops leading white space (unicode.IsSpace, as encoding/csv's TrimLeadingSpace).
func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if !unicode.IsSpace(r) {
			break
		}
		b = b[n:]
	}
	return b
}
