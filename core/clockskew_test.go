package core

import (
	"math/rand/v2"
	"testing"
	"time"
)

// parseHTTPDate reads what time.Parse reads with the IMF-fixdate layout, to the second, and
// refuses what it refuses (it refuses more: a weekday name that time.Parse would take in another
// case, which no server sends).
func TestParseHTTPDateAsTimeParse(t *testing.T) {
	const layout = "Mon, 02 Jan 2006 15:04:05 GMT"
	values := []string{
		"Sun, 06 Nov 1994 08:49:37 GMT", "Sat, 28 Nov 2026 16:59:01 GMT", "Mon, 29 Feb 2016 00:00:00 GMT",
		"Tue, 29 Feb 2015 00:00:00 GMT", "Wed, 31 Apr 2020 12:00:00 GMT", "Thu, 01 Jan 1970 00:00:00 GMT",
		"Fri, 31 Dec 9999 23:59:59 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:37 GMT",
		"Sun, 06 Nov 1994 08:49:60 GMT", "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 UTC", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Sun, 06 Nox 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT ", "", "Sun, 06 Nov 19x4 08:49:37 GMT",
		"Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 ovN 1994 08:49:37 GMT", "unM, 06 Nov 1994 08:49:37 GMT",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		values = append(values, time.Unix(r.Int64N(1<<35), 0).UTC().Format(layout))
	}
	for _, v := range values {
		got, ok := parseHTTPDate(v)
		want, err := time.Parse(layout, v)
		if ok != (err == nil) && !(err == nil && !ok && v[:3] != want.Format("Mon")) {
			t.Errorf("%q: ok %v, time.Parse %v", v, ok, err)
			continue
		}
		if ok && !got.Equal(want) {
			t.Errorf("%q: %v, time.Parse %v", v, got, want)
		}
	}
}
