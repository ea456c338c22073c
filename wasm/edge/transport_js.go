//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall/js"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/wasm/internal/jsutil"
)

// upstreamTransport is the gateway's core.Transport: the glue's binding.fetch (glue/worker.mjs)
// makes the request and answers with one call of binding.fetched (status, headers packed as
// "name\nvalue\n" lines, body), so a call crosses between Go and JS a handful of times instead
// of the dozens that building a fetch init object and reading a Response from Go take (every JS
// value handed to Go costs a finalizer). Its contract is wasm/fetch's: nothing is sent when the
// context is already done (core.NotSent), the request is aborted when the context ends (the
// error wraps ctx.Err()), redirects are not followed, and a failure before any answer is a plain
// error (it may have left).
type upstreamTransport struct {
	fetch, abort js.Value // binding.fetch(id, url, head, body), binding.abort(id)

	mu      sync.Mutex // never held across I/O
	next    int
	waiting map[int]chan upstreamAnswer
}

type upstreamAnswer struct {
	status  int // -1: no answer (message), -2: the body could not be read (message)
	message string
	header  string
	body    []byte
}

func newUpstreamTransport(binding js.Value) *upstreamTransport {
	t := &upstreamTransport{fetch: binding.Get("fetch"), abort: binding.Get("abort"), waiting: map[int]chan upstreamAnswer{}}
	binding.Set("fetched", js.FuncOf(t.fetched))
	return t
}

// fetched(id, status, headers, body) or fetched(id, -1 | -2, message): runs in the event that
// settled the fetch, which is the request's own; it hands the answer to the waiting goroutine.
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
		ans.header = a[2].String()
		if len(a) > 3 {
			ans.body = jsutil.Bytes(a[3])
		}
	}
	ch <- ans // buffered
	return nil
}

func (t *upstreamTransport) RoundTrip(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, core.NotSent(errors.New("fetch: not sent: " + err.Error()))
	}
	var head strings.Builder
	for k, v := range req.Header {
		head.WriteString(k)
		head.WriteByte('\n')
		head.WriteString(v)
		head.WriteByte('\n')
	}
	ch := make(chan upstreamAnswer, 1)
	t.mu.Lock()
	t.next++
	id := t.next
	t.waiting[id] = ch
	t.mu.Unlock()
	var body any
	if len(req.Body) > 0 {
		body = jsutil.Uint8Array(req.Body)
	}
	if _, err := jsutil.Call(t.fetch, "call", js.Undefined(), id, req.URL, head.String(), body); err != nil {
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
		return &core.HTTPResponse{Status: ans.status, Header: splitHeaders(ans.header), Body: ans.body}, nil
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
