//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall/js"
	"unicode/utf8"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/wasm/internal/jsutil"
)

// upstreamTransport is the gateway's core.Transport: the glue's binding.fetch (glue/worker.mjs)
// makes the request, handed over as one packed string, and answers with one call of
// binding.fetched (status, then header lines and body packed in one string), so a call crosses
// between Go and JS twice instead of the dozens of times that building a fetch init object and
// reading a Response from Go take (every JS value handed to Go costs a finalizer, and adding one
// is not cheap). Its contract is wasm/fetch's: nothing is sent when the
// context is already done (core.NotSent), the request is aborted when the context ends (the
// error wraps ctx.Err()), redirects are not followed, and a failure before any answer is a plain
// error (it may have left).
type upstreamTransport struct {
	fetch, abort js.Value // binding.fetch(id, packed, bytes?), binding.abort(id)

	mu      sync.Mutex // never held across I/O
	next    int
	waiting map[int]chan upstreamAnswer
}

type upstreamAnswer struct {
	status  int // -1: no answer (message), -2: the body could not be read (message)
	message string
	header  map[string]string
	body    []byte
}

func newUpstreamTransport(binding js.Value) *upstreamTransport {
	t := &upstreamTransport{fetch: binding.Get("fetch"), abort: binding.Get("abort"), waiting: map[int]chan upstreamAnswer{}}
	binding.Set("fetched", js.FuncOf(t.fetched))
	return t
}

// fetched(id, status, "name\nvalue\n...\n" + body text), fetched(id, status, "name\nvalue\n...\n",
// body bytes) when the body is not UTF-8, or fetched(id, -1 | -2, message): runs in the event
// that settled the fetch, which is the request's own; it hands the answer to the waiting
// goroutine.
func (t *upstreamTransport) fetched(_ js.Value, a []js.Value) any {
	if len(a) < 3 {
		return nil
	}
	id := a[0].Int()
	t.mu.Lock()
	ch := t.waiting[id]
	delete(t.waiting, id)
	t.mu.Unlock()
	if ch == nil {
		return nil // its caller stopped waiting
	}
	ans := upstreamAnswer{status: a[1].Int()}
	if ans.status < 0 {
		ans.message = a[2].String()
	} else {
		var rest string
		ans.header, rest = readHeaderLines(a[2].String())
		if len(a) > 3 && a[3].Truthy() {
			ans.body = jsutil.Bytes(a[3])
		} else {
			ans.body = []byte(rest)
		}
	}
	ch <- ans // buffered
	return nil
}

func (t *upstreamTransport) RoundTrip(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, core.NotSent(errors.New("fetch: not sent: " + err.Error()))
	}
	var packed strings.Builder
	packed.Grow(len(req.URL) + len(req.Body) + 256)
	packed.WriteString(req.URL)
	packed.WriteByte('\n')
	for k, v := range req.Header {
		if k == "" || strings.ContainsAny(k, "\r\n") || strings.ContainsAny(v, "\r\n") {
			continue // fetch would refuse it; core never sets one
		}
		packed.WriteString(k)
		packed.WriteByte('\n')
		packed.WriteString(v)
		packed.WriteByte('\n')
	}
	packed.WriteByte('\n')
	ch := make(chan upstreamAnswer, 1)
	t.mu.Lock()
	t.next++
	id := t.next
	t.waiting[id] = ch
	t.mu.Unlock()
	// A form body is text: it travels in the packed string, unless it is not UTF-8 (a JS string
	// would not carry those bytes unchanged).
	var bytes any
	if utf8.Valid(req.Body) {
		packed.Write(req.Body)
	} else {
		bytes = jsutil.Uint8Array(req.Body)
	}
	if _, err := jsutil.Call(t.fetch, "call", js.Undefined(), id, packed.String(), bytes); err != nil {
		t.forget(id)
		// fetch threw before it started (bad URL or init): nothing left.
		return nil, core.NotSent(errors.New("fetch: " + err.Error()))
	}
	select {
	case ans := <-ch:
		switch ans.status {
		case -1:
			return nil, errors.New("fetch: " + ans.message)
		case -2:
			return nil, errors.New("fetch: reading the answer (HTTP " + ans.message + ")")
		}
		return &core.HTTPResponse{Status: ans.status, Header: ans.header, Body: ans.body}, nil
	case <-ctx.Done():
		t.forget(id)
		_, _ = jsutil.Call(t.abort, "call", js.Undefined(), id) // a throwing abort must not take the Go instance down
		return nil, &abortedError{err: ctx.Err()}
	}
}

func (t *upstreamTransport) forget(id int) {
	t.mu.Lock()
	delete(t.waiting, id)
	t.mu.Unlock()
}

// abortedError is a request aborted because its context ended; it wraps the context's error.
type abortedError struct{ err error }

func (e *abortedError) Error() string { return "fetch: aborted: " + e.err.Error() }
func (e *abortedError) Unwrap() error { return e.err }

// readHeaderLines reads "name\nvalue\n" pairs up to an empty name (names lower-cased, as the
// Fetch API gives them) and returns them and what follows.
func readHeaderLines(s string) (map[string]string, string) {
	m := make(map[string]string, 8)
	for s != "" {
		var k, v string
		k, s, _ = strings.Cut(s, "\n")
		if k == "" {
			break
		}
		v, s, _ = strings.Cut(s, "\n")
		m[strings.ToLower(k)] = v
	}
	return m, s
}
