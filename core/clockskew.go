package core

import (
	"sync/atomic"
	"time"
)

// clockAhead is how far this machine's clock was ahead of the API's at its last answer that
// carried a Date header (0: not ahead, or not known).
//
// A reconcile searches the history from the send time minus a slack (DefaultReconcileSlack): the
// send time is this machine's clock while the history is dated by the API's. A clock more than the
// slack ahead (a hardware clock kept in local time and read as UTC, a clock set by hand, no NTP)
// would search from after the original was created, miss it, and, after the fence, call that
// proven: the search widens by how far ahead the clock is.
type clockAhead struct {
	ns    atomic.Int64
	known atomic.Bool // an answer with a Date header was seen
}

// observe records the skew an answer's Date header shows at local time now. The header has whole
// seconds (the API's time is up to a second later than it says), so the skew seen may be a second
// too large: the search only widens by it.
func (s *clockAhead) observe(hr *HTTPResponse, now time.Time) {
	if hr == nil {
		return
	}
	v := hr.Header["date"]
	if v == "" {
		return
	}
	t, ok := parseHTTPDate(v)
	if !ok {
		return
	}
	s.ns.Store(int64(max(0, now.Sub(t))))
	s.known.Store(true)
}

func (s *clockAhead) get() time.Duration { return time.Duration(s.ns.Load()) }

// ClockAhead is how far this machine's clock was ahead of the API's at the last answer that
// carried a Date header (0 when it was not ahead, or no such answer was seen). A search of a
// history from a time of this clock reaches back by it too (ReconcileAll does).
func (c *Client) ClockAhead() time.Duration { return c.ahead.get() }

// parseHTTPDate reads an HTTP Date header in its one current form (RFC 9110 IMF-fixdate,
// "Sun, 06 Nov 1994 08:49:37 GMT"); ok is false for anything else, obsolete forms included (the
// search then does not widen). Written out rather than with time.Parse, whose general layout
// parser is about 18 KB of a gzipped WebAssembly build (clockskew_test.go compares the two).
func parseHTTPDate(v string) (t time.Time, ok bool) {
	if len(v) != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' ||
		v[19] != ':' || v[22] != ':' || v[25:] != " GMT" || name("SunMonTueWedThuFriSat", v[:3]) < 0 {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return -1
			}
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	month := name("JanFebMarAprMayJunJulAugSepOctNovDec", v[8:11])
	day, year, hh, mm, ss := num(v[5:7]), num(v[12:16]), num(v[17:19]), num(v[20:22]), num(v[23:25])
	if month < 0 || day < 1 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59 {
		return time.Time{}, false
	}
	t = time.Date(year, time.Month(month+1), day, hh, mm, ss, 0, time.UTC)
	if t.Day() != day { // 31 Feb and the like
		return time.Time{}, false
	}
	return t, true
}

// name is the place of the three-letter name s in names (0 for the first), or -1.
func name(names, s string) int {
	for i := 0; i+3 <= len(names); i += 3 {
		if names[i:i+3] == s {
			return i / 3
		}
	}
	return -1
}
