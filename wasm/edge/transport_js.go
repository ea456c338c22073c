//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/wallexkit/wallexkit/core"
)

// upstreamTransport is the gateway's core.Transport: the glue's fetch import (glue/worker.mjs)
// makes the request, handed over as its head ("url\n" then "name\nvalue\n" lines) and its body
// in Go's memory, and the glue answers with one sigFetched signal (exchange_js.go): the status,
// the header lines in one slot and the body in another. Its contract is wasm/fetch's: nothing is sent when
// the context is already done (core.NotSent), the request is aborted when the context ends (the
// error wraps ctx.Err()), redirects are not followed, and a failure before any answer is a plain
// error (it may have left).
type upstreamTransport struct {
	mu      sync.Mutex // never held across I/O
	next    int32
	waiting map[int32]chan upstreamAnswer
}

type upstreamAnswer struct {
	status  int // -1: no answer (message), -2: the body could not be read (message)
	message string
	header  map[string]string
	body    []byte
}

func newUpstreamTransport() *upstreamTransport {
	return &upstreamTransport{waiting: map[int32]chan upstreamAnswer{}}
}

// fetched serves a sigFetched signal, in the event that settled the fetch, which is the request's
// own: it hands the answer to the waiting goroutine.
func (t *upstreamTransport) fetched(s signal) {
	head, body := take(s.slot), take(s.c) // taken even when nobody waits, so that the glue forgets them
	t.mu.Lock()
	ch := t.waiting[s.id]
	delete(t.waiting, s.id)
	t.mu.Unlock()
	if ch == nil {
		return // its caller stopped waiting
	}
	ans := upstreamAnswer{status: int(s.a)}
	if ans.status < 0 {
		ans.message = string(head)
	} else {
		ans.header, ans.body = headerLines(string(head)), body
	}
	ch <- ans // buffered
}

func (t *upstreamTransport) RoundTrip(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, core.NotSent(errors.New("fetch: not sent: " + err.Error()))
	}
	var head strings.Builder
	head.Grow(len(req.URL) + 256)
	head.WriteString(req.URL)
	head.WriteByte('\n')
	joinHeaders(&head, req.Header)
	ch := make(chan upstreamAnswer, 1)
	t.mu.Lock()
	t.next++
	id := t.next
	t.waiting[id] = ch
	t.mu.Unlock()
	if slot := fetchUpstream(id, head.String(), req.Body); slot != 0 {
		t.forget(id)
		// fetch threw before it started (bad URL or init): nothing left.
		return nil, core.NotSent(errors.New("fetch: " + string(take(slot))))
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
		jsAbort(id)
		return nil, &abortedError{err: ctx.Err()}
	}
}

func (t *upstreamTransport) forget(id int32) {
	t.mu.Lock()
	delete(t.waiting, id)
	t.mu.Unlock()
}

// abortedError is a request aborted because its context ended; it wraps the context's error.
type abortedError struct{ err error }

func (e *abortedError) Error() string { return "fetch: aborted: " + e.err.Error() }
func (e *abortedError) Unwrap() error { return e.err }
