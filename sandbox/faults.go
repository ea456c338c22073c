package sandbox

import (
	"bytes"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault kinds for InjectFault.
const (
	FaultDelay      = "delay"       // sleep Delay, then handle normally
	FaultStatus     = "status"      // answer Status (default 503) with a JSON error; no command runs
	FaultHTML       = "html"        // answer 502 with an HTML page; no command runs
	FaultReset      = "reset"       // close the connection without answering; no command runs
	FaultCommitDrop = "commit_drop" // run the command (state changes), then close without answering
	// FaultHold holds the request for Delay and then carries it out, even when the client has
	// given up or disconnected meanwhile: a slow network that delivers a request late. The
	// answer goes to a client that may no longer listen.
	FaultHold = "hold"
	// FaultCommitStatus runs the command (state changes), then answers Status (default 502)
	// with an error page instead of the result: a proxy failing after the API acted. Status 401
	// answers "Invalid token" instead: what a client sees when its HTTP stack resent the request
	// by itself and the copy arrived after the token expired.
	FaultCommitStatus = "commit_status"
	// FaultOmit carries the call out and answers "ok", but without the member Field (a comma
	// list: each of them) wherever it
	// appears in the result (an item of a history, a payment's checkout details...): an API that
	// lists less than the sandbox does, or lists it under another name (spec §3: a result's
	// fields are [compat], not certain). JSON answers only.
	FaultOmit = "omit"
	// FaultRetype carries the call out and answers "ok", with the member Field (a comma list)
	// written in another JSON type wherever it appears in the result: As "string" writes a
	// number as its text ("status": "2"), As "number" writes a string that reads as a number as
	// a JSON number, the way PHP's JSON_NUMERIC_CHECK does ("007" becomes 7, "0.40000000" 0.4).
	// JSON answers only.
	FaultRetype = "retype"
)

// With a Delay, FaultReset, FaultCommitDrop and FaultCommitStatus first hold the request that
// long, whatever the client does (as FaultHold): a test can stop the client mid-call (kill the
// process, stop a browser's service worker) and still choose what the server does after.

// Fault applies to the next Count API calls (login included) that match Cmd
// and Key (empty = any). Faults are consumed in the order they were injected;
// a call takes the first matching one.
type Fault struct {
	Kind   string
	Count  int           // 0 = 1
	Delay  time.Duration // FaultDelay, FaultHold; before FaultReset, FaultCommitDrop, FaultCommitStatus (optional)
	Status int           // FaultStatus (0 = 503), FaultCommitStatus (0 = 502)
	Cmd    string        // only calls of this command
	Key    string        // only calls naming this public key
	Field  string        // FaultOmit: the result member to leave out; FaultRetype: to retype (a comma list: several)
	As     string        // FaultRetype: "string" or "number"
}

// InjectFault queues a fault.
func (s *Server) InjectFault(f Fault) error {
	switch f.Kind {
	case FaultDelay, FaultHold:
		if f.Delay <= 0 || f.Delay > 5*time.Minute {
			return invalid("%s fault needs a delay between 1ms and 5 minutes", f.Kind)
		}
	case FaultStatus:
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
		if f.Status < 400 || f.Status > 599 {
			return invalid("status fault needs an HTTP status between 400 and 599")
		}
	case FaultCommitStatus:
		if f.Status == 0 {
			f.Status = http.StatusBadGateway
		}
		if (f.Status < 500 || f.Status > 599) && f.Status != http.StatusUnauthorized {
			return invalid("commit_status fault needs an HTTP status between 500 and 599, or 401")
		}
	}
	switch f.Kind {
	case FaultReset, FaultCommitDrop, FaultCommitStatus:
		if f.Delay < 0 || f.Delay > 5*time.Minute {
			return invalid("%s fault takes a delay between 0 (none) and 5 minutes", f.Kind)
		}
	case FaultOmit:
		if f.Field == "" {
			return invalid("omit fault needs a field (the result member to leave out)")
		}
	case FaultRetype:
		if f.Field == "" || (f.As != "string" && f.As != "number") {
			return invalid("retype fault needs a field (the result member to retype) and as (string or number)")
		}
	case FaultDelay, FaultHold, FaultStatus, FaultHTML:
	default:
		return invalid("unknown fault kind %q (delay, hold, status, html, reset, commit_drop, commit_status, omit, retype)", f.Kind)
	}
	if f.Count < 0 || f.Count > 10000 {
		return invalid("fault count must be between 1 and 10000")
	}
	if f.Count == 0 {
		f.Count = 1
	}
	if f.Cmd != "" && f.Cmd != "login" {
		if _, ok := commands[f.Cmd]; !ok {
			return invalid("unknown command %q in fault filter", f.Cmd)
		}
	}
	s.faultMu.Lock()
	s.faults = append(s.faults, &f)
	s.faultMu.Unlock()
	return nil
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	s.faults = nil
	s.faultMu.Unlock()
}

// PendingFaults lists queued faults with their remaining counts.
func (s *Server) PendingFaults() []Fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	return out
}

// takeFault consumes one use of the first fault matching the call.
func (s *Server) takeFault(cmd, key string) *Fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i, f := range s.faults {
		if (f.Cmd != "" && f.Cmd != cmd) || (f.Key != "" && f.Key != key) {
			continue
		}
		got := *f
		f.Count--
		if f.Count <= 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return &got
	}
	return nil
}

// dropConnection closes the client connection without an HTTP answer. Over
// HTTP/1 it hijacks the connection and closes it with SO_LINGER 0 (a TCP RST);
// where hijacking is impossible (HTTP/2) it aborts the handler, which resets
// the stream.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		conn, _, err := hj.Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// hold waits d whatever the client does; only the sandbox's shutdown ends it early.
func (s *Server) hold(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
	}
}

func (s *Server) sleep(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-s.ctx.Done():
	}
}

// omitField removes the members named in field (a comma list) from every object of a JSON
// answer's result, at any depth.
func omitField(body []byte, field string) []byte {
	return editResult(body, field, func(obj map[string]any, name string) { delete(obj, name) })
}

// retypeField writes the members named in field (a comma list) of every object of a JSON answer's
// result, at any depth, in another JSON type: as "string", a number becomes its text; as
// "number", a string that reads as a number becomes one, as PHP's JSON_NUMERIC_CHECK writes it
// (leading zeros and trailing fraction zeros gone).
func retypeField(body []byte, field, as string) []byte {
	return editResult(body, field, func(obj map[string]any, name string) {
		switch t := obj[name].(type) {
		case json.Number:
			if as == "string" {
				obj[name] = string(t)
			}
		case string:
			if as == "number" {
				s := strings.TrimSpace(t)
				if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && s != "" {
					if n, err := strconv.ParseInt(s, 10, 64); err == nil {
						obj[name] = json.Number(strconv.FormatInt(n, 10))
					} else {
						obj[name] = json.Number(strconv.FormatFloat(f, 'g', -1, 64))
					}
				}
			}
		}
	})
}

// editResult calls edit for each member named in field (a comma list) of every object of a JSON
// answer's result, at any depth (an object's members first, then what is left inside it), and
// writes the answer again; a body that is not a JSON object comes back as it was.
func editResult(body []byte, field string, edit func(obj map[string]any, name string)) []byte {
	var names []string
	for _, n := range strings.Split(field, ",") {
		names = append(names, strings.TrimSpace(n))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v map[string]any
	if dec.Decode(&v) != nil {
		return body
	}
	var walk func(x any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for _, n := range names {
				if _, ok := t[n]; ok {
					edit(t, n)
				}
			}
			for _, m := range t {
				walk(m)
			}
		case []any:
			for _, m := range t {
				walk(m)
			}
		}
	}
	walk(v["result"])
	return encodeJSON(v)
}
