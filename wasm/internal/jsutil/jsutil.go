//go:build js && wasm

// Package jsutil holds the few syscall/js helpers the wasm packages share: waiting for a
// promise without blocking the JS event loop, and reading JS errors.
package jsutil

import (
	"context"
	"errors"
	"syscall/js"
)

// Error is a JS exception or promise rejection reason, reduced to its name and message.
type Error struct {
	Name    string // "TypeError", "AbortError", ... ("" when the reason was not an Error)
	Message string
	Cause   string // err.cause.code or err.cause.message when present (node's fetch puts the socket error there)
}

func (e *Error) Error() string {
	s := e.Message
	if e.Name != "" {
		s = e.Name + ": " + s
	}
	if e.Cause != "" {
		s += " (" + e.Cause + ")"
	}
	return s
}

// ErrorFrom converts a thrown JS value or rejection reason into an *Error.
func ErrorFrom(v js.Value) *Error {
	if v.Type() != js.TypeObject {
		if v.IsUndefined() || v.IsNull() {
			return &Error{Message: "rejected without a reason"}
		}
		return &Error{Message: v.String()}
	}
	e := &Error{Name: str(v.Get("name")), Message: str(v.Get("message"))}
	if e.Message == "" && e.Name == "" {
		e.Message = str(v.Call("toString"))
	}
	if c := v.Get("cause"); c.Type() == js.TypeObject {
		if e.Cause = str(c.Get("code")); e.Cause == "" {
			e.Cause = str(c.Get("message"))
		}
	}
	return e
}

func str(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// IsThenable reports whether v looks like a promise.
func IsThenable(v js.Value) bool {
	// Workers RPC promises are callable (typeof "function"), so accept functions too.
	t := v.Type()
	return (t == js.TypeObject || t == js.TypeFunction) && v.Get("then").Type() == js.TypeFunction
}

type settled struct {
	v   js.Value
	err *Error
}

// Await waits until the promise p settles, or ctx is done, whichever comes first. A value that
// is not a promise is returned as is. A rejection becomes an *Error. When ctx ends first Await
// returns ctx.Err() at once; the promise's callbacks stay registered until it settles, then
// release themselves, so nothing leaks as long as the promise eventually settles.
//
// Await must be called from a goroutine that is not running a js.Func callback (that would
// block the JS event loop and deadlock).
func Await(ctx context.Context, p js.Value) (js.Value, error) {
	if !IsThenable(p) {
		return p, nil
	}
	ch := make(chan settled, 1) // buffered: the callback never blocks, even if no one listens
	var onOK, onErr js.Func
	release := func() { onOK.Release(); onErr.Release() }
	onOK = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{v: arg0(args)}
		release()
		return nil
	})
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{err: ErrorFrom(arg0(args))}
		release()
		return nil
	})
	p.Call("then", onOK, onErr)
	select {
	case s := <-ch:
		if s.err != nil {
			return js.Undefined(), s.err
		}
		return s.v, nil
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// Call calls method on obj and turns a synchronous JS exception into an error instead of a
// panic.
func Call(obj js.Value, method string, args ...any) (v js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			var je js.Error
			if e, ok := r.(error); ok && errors.As(e, &je) {
				err = ErrorFrom(je.Value)
				return
			}
			err = &Error{Message: method + ": " + panicText(r)}
		}
	}()
	return obj.Call(method, args...), nil
}

// Uint8Array copies b into a new JS Uint8Array.
func Uint8Array(b []byte) js.Value {
	a := jsUint8Array.New(len(b))
	if len(b) > 0 {
		js.CopyBytesToJS(a, b)
	}
	return a
}

var jsUint8Array = js.Global().Get("Uint8Array")

// Bytes copies a JS ArrayBuffer or Uint8Array into a Go slice.
func Bytes(v js.Value) []byte {
	if !v.InstanceOf(jsUint8Array) {
		v = jsUint8Array.New(v) // a view on the ArrayBuffer, no copy
	}
	b := make([]byte, v.Get("byteLength").Int())
	if len(b) > 0 {
		js.CopyBytesToGo(b, v)
	}
	return b
}

// panicText is the text of a recovered panic value that is not a JS exception.
func panicText(r any) string {
	switch x := r.(type) {
	case error:
		return x.Error()
	case string:
		return x
	}
	return "panic"
}
