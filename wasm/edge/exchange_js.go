//go:build js && wasm

package main

import (
	"runtime"
	"unsafe"
)

// How the glue (glue/worker.mjs) and Go hand each other a request, its upstream calls and its
// answer: through the module's own export and imports, with the bytes in Go's memory, instead of
// syscall/js functions and values.
//
// Why: every call of a js.FuncOf and every JS object or string Go holds costs a js.Value with a
// finalizer, and adding a finalizer walks the span's list of them (runtime.addspecial: a third
// of a bare js.FuncOf call's CPU in node's profiler). Measured in workerd (test/bench.mjs, the Go
// floor): the JS Worker's job in Go driven through js.FuncOf costs 370–410 µs of CPU a request
// more than JS, the same job through exports and Go's memory 40–90 µs.
//
// The rule that keeps this safe: the export only hands over a signal (a few integers) to a
// waiting goroutine (an idle worker, the caller of an upstream call, else the dispatcher), with a
// non-blocking send. Go code running inside an export must never block (the runtime cannot pause
// there: it would return garbage and then crash), so all the work, every allocation included,
// runs in the glue's next go._resume(), which runs every ready goroutine until all wait again, as
// it does for a timer. Data the glue hands over waits in the glue, in a numbered slot, until the
// goroutine that serves it takes it into memory it allocated.

// One effect on Go's own timers: the glue's go._resume() is, to the runtime, its idle timeout
// firing, so it clears that timeout and sets it again (in the current request's event) when Go
// next waits while a Go timer is pending. No Go timer is pending on a request's usual path (the
// request's deadlines are the glue's JS timers); during a login, core's own timeout is one, and
// it is then re-armed by each signal, where a timeout set in an event that has ended since would
// otherwise be lost.

// Signal kinds (glue/worker.mjs has the same numbers).
const (
	sigRequest = 1 // id: request id, a: soft deadline (ms), b: hard deadline (ms), slot: head, c: body slot (0: none)
	sigFetched = 2 // id: upstream call id, a: status (-1: no answer, -2: body unreadable), slot: header lines, or the message; c: body slot (0: none)
	sigCancel  = 3 // id: request id, a: 1 for the soft deadline (the upstream context), 0 for the hard one
	sigEnv     = 4 // the Worker's env changed: Go reads context.env
	sigWarm    = 5 // at load: a: how many calls gateway.WarmUp makes (glue/worker.mjs, warmAtLoad)
)

type signal struct{ kind, id, a, b, slot, c int32 }

// signals is read by host.dispatch only. Its room is spare: the glue resumes Go after each
// signal, so at most one waits.
var signals = make(chan signal, 64)

// idleWorkers is where idle request workers wait (host.worker): a request goes straight to one.
var idleWorkers = make(chan signal) // unbuffered: a send succeeds only when a worker waits

// wkSignal hands one signal over, a request to an idle worker if one waits, an upstream answer to
// the goroutine waiting for it, anything else (and what nobody waits for) to the dispatcher, and
// returns 1; or 0 when it could not (then nothing of it happened; the glue answers by itself).
// It must not block or allocate (the transport's TryLock in deliver never waits).
//
//go:wasmexport wk_signal
func wkSignal(kind, id, a, b, slot, c int32) int32 {
	s := signal{kind, id, a, b, slot, c}
	switch kind {
	case sigRequest:
		select {
		case idleWorkers <- s:
			return 1
		default:
		}
	case sigFetched:
		if upstream.deliver(s) {
			return 1
		}
	}
	select {
	case signals <- s:
		return 1
	default:
		return 0
	}
}

// The glue's side (glue/worker.mjs, the "wallexkit" imports). Pointers are into Go's memory;
// the glue copies or decodes what they point at before it returns.

//go:wasmimport wallexkit slot_len
func jsSlotLen(slot int32) int32

//go:wasmimport wallexkit slot_take
func jsSlotTake(slot int32, p unsafe.Pointer)

//go:wasmimport wallexkit started
func jsStarted(id, unsafeRequest int32)

//go:wasmimport wallexkit respond
func jsRespond(id, status int32, head unsafe.Pointer, headLen int32, body unsafe.Pointer, bodyLen int32)

//go:wasmimport wallexkit fetch
func jsFetch(id int32, head unsafe.Pointer, headLen int32, body unsafe.Pointer, bodyLen int32) int32

//go:wasmimport wallexkit abort
func jsAbort(id int32)

// take returns the bytes the glue holds in slot (0: none) and forgets them there.
func take(slot int32) []byte {
	if slot == 0 {
		return nil
	}
	n := jsSlotLen(slot)
	if n < 0 {
		return nil
	}
	b := make([]byte, n)
	jsSlotTake(slot, unsafe.Pointer(unsafe.SliceData(b)))
	return b
}

func respond(id int32, status int, head string, body []byte) {
	jsRespond(id, int32(status), unsafe.Pointer(unsafe.StringData(head)), int32(len(head)), unsafe.Pointer(unsafe.SliceData(body)), int32(len(body)))
	runtime.KeepAlive(head)
	runtime.KeepAlive(body)
}

// fetchUpstream starts the upstream call id; it returns the slot of the message when fetch threw
// before it started, else 0.
func fetchUpstream(id int32, head string, body []byte) int32 {
	r := jsFetch(id, unsafe.Pointer(unsafe.StringData(head)), int32(len(head)), unsafe.Pointer(unsafe.SliceData(body)), int32(len(body)))
	runtime.KeepAlive(head)
	runtime.KeepAlive(body)
	return r
}
