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
	mu      sync.Mutex // never held across I/O, nor while a goroutine waits
	next    int32
	waiting map[int32]chan signal // call id -> its caller's channel (room for one)
}

// upstream is the isolate's one upstreamTransport: wk_signal hands it upstream answers.
var upstream = &upstreamTransport{waiting: map[int32]chan signal{}}

// deliver hands a sigFetched signal straight to the goroutine waiting for that call, from inside
// wk_signal: so it must not block or allocate. The lock is free there (only Go code between two
// waits holds it, and an export runs while every goroutine waits); TryLock keeps that a rule
// checked rather than assumed. It reports false when it did not deliver: the dispatcher then
// serves the signal (fetched).
func (t *upstreamTransport) deliver(s signal) bool {
	if !t.mu.TryLock() {
		return false
	}
	ch := t.popWaiting(s.id)
	t.mu.Unlock()
	if ch == nil {
		return false
	}
	select {
	case ch <- s: // room for one, and one answer per call (the entry is gone now)
		return true
	default: // cannot happen (one sender per entry); the dispatcher would free the slots
		return false
	}
}

// fetched serves, on the dispatcher, a sigFetched signal deliver did not: it hands it to the
// waiting goroutine, or frees its slots when nobody waits (its caller stopped waiting), so that
// the glue forgets the answer.
func (t *upstreamTransport) fetched(s signal) {
	if ch := t.forget(s.id); ch != nil {
		ch <- s
		return
	}
	take(s.slot)
	take(s.c)
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
	ch := make(chan signal, 1)
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
	case s := <-ch:
		return answerOf(s)
	case <-ctx.Done():
		t.forget(id) // nothing is delivered to ch after this
		select {
		case s := <-ch: // the answer came in the same turn: it is the outcome, not an unknown one
			return answerOf(s)
		default:
		}
		jsAbort(id)
		return nil, &abortedError{err: ctx.Err()}
	}
}

// answerOf takes a sigFetched signal's answer (or the glue's message) out of its slots.
func answerOf(s signal) (*core.HTTPResponse, error) {
	head, body := take(s.slot), take(s.c)
	switch s.a {
	case -1:
		return nil, errors.New("fetch: " + string(head))
	case -2:
		return nil, errors.New("fetch: reading the answer (HTTP " + string(head) + ")")
	}
	return &core.HTTPResponse{Status: int(s.a), Header: headerLines(string(head)), Body: body}, nil
}

// forget removes call id's waiting channel and returns it (nil: nobody waited).
func (t *upstreamTransport) forget(id int32) chan signal {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.popWaiting(id)
}

// popWaiting removes call id's waiting channel and returns it; t.mu is held.
func (t *upstreamTransport) popWaiting(id int32) chan signal {
	ch := t.waiting[id]
	delete(t.waiting, id)
	return ch
}

// abortedError is a request aborted because its context ended; it wraps the context's error.
type abortedError struct{ err error }

func (e *abortedError) Error() string { return "fetch: aborted: " + e.err.Error() }
func (e *abortedError) Unwrap() error { return e.err }
