// Package timetext reads the few time layouts wallexkit reads, exactly as the time package's
// ParseInLocation reads them: from the time package natively, and in the WebAssembly builds
// from this package's own reader, so that time's general layout parser (about 18 KB of a
// gzipped wasm build) is not linked. timetext_test.go compares the two on every layout, on
// many values, random ones and a fuzz target: the same instant and location, or both refuse.
package timetext

import (
	"errors"
	"time"
)

// Layout is one of the layouts Parse reads.
type Layout int

const (
	// Space is "2006-01-02 15:04:05" (one or more spaces between the date and the time).
	Space Layout = iota
	// T is "2006-01-02T15:04:05".
	T
	// RFC3339 is time.RFC3339, which reads the same as time.RFC3339Nano.
	RFC3339
)

var layouts = [...]string{Space: "2006-01-02 15:04:05", T: "2006-01-02T15:04:05", RFC3339: time.RFC3339}

// String is the layout as the time package writes it.
func (l Layout) String() string { return layouts[l] }

var errBad = errors.New("timetext: not a time in the layout")

// parse is the wasm builds' reader: value is a date, the separator, an hour of one or two
// digits, minutes and seconds of two, an optional fraction ('.' or ',' and digits, of which
// nine count), and for RFC3339 "Z" or an offset ±hh:mm (up to 24:60, as the time package
// allows); each field in range, and nothing after. A time without a zone is in loc; with an
// offset it is in loc when loc has that offset at that time, else in a zone of that offset.
func parse(l Layout, value string, loc *time.Location) (time.Time, error) {
	s := value
	num := func(n int, lo, hi int) int {
		if len(s) < n {
			s = "!"
			return -1
		}
		v := 0
		for i := 0; i < n; i++ {
			if s[i] < '0' || s[i] > '9' {
				s = "!"
				return -1
			}
			v = v*10 + int(s[i]-'0')
		}
		s = s[n:]
		if v < lo || v > hi {
			s = "!"
			return -1
		}
		return v
	}
	lit := func(c byte) {
		if len(s) == 0 || s[0] != c {
			s = "!"
			return
		}
		s = s[1:]
	}
	year := num(4, 0, 9999)
	lit('-')
	month := num(2, 1, 12)
	lit('-')
	day := num(2, 1, 31)
	if l == Space {
		lit(' ')
		for len(s) > 0 && s[0] == ' ' {
			s = s[1:]
		}
	} else {
		lit('T')
	}
	hourDigits := 2
	if len(s) >= 2 && (s[1] < '0' || s[1] > '9') {
		hourDigits = 1
	}
	hour := num(hourDigits, 0, 23)
	lit(':')
	minute := num(2, 0, 59)
	lit(':')
	sec := num(2, 0, 59)
	nsec := 0
	if len(s) >= 2 && (s[0] == '.' || s[0] == ',') && s[1] >= '0' && s[1] <= '9' {
		n := 1
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			if n <= 9 {
				nsec = nsec*10 + int(s[n]-'0')
			}
			n++
		}
		for i := n; i <= 9; i++ {
			nsec *= 10
		}
		s = s[n:]
	}
	offset, zone := 0, loc
	if l == RFC3339 {
		switch {
		case len(s) >= 1 && s[0] == 'Z':
			s, zone = s[1:], time.UTC
		case len(s) >= 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':':
			sign := s[0]
			s = s[1:]
			hh := num(2, 0, 24)
			lit(':')
			mm := num(2, 0, 60)
			offset, zone = (hh*60+mm)*60, nil
			if sign == '-' {
				offset = -offset
			}
		default:
			s = "!"
		}
	}
	if s != "" || day > daysIn(month, year) {
		return time.Time{}, errBad
	}
	if zone != nil {
		return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, zone), nil
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC).Add(-time.Duration(offset) * time.Second)
	if _, off := t.In(loc).Zone(); off == offset {
		return t.In(loc), nil
	}
	return t.In(time.FixedZone("", offset)), nil
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
