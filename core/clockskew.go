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

// httpDate is the layout of an HTTP Date header (RFC 9110 IMF-fixdate).
const httpDate = "Mon, 02 Jan 2006 15:04:05 GMT"

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
	t, err := time.Parse(httpDate, v)
	if err != nil {
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
