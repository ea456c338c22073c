//go:build js && wasm

package jsutil

import (
	"bytes"
	"context"
	"errors"
	"syscall/js"
	"testing"
	"time"
)

var promise = js.Global().Get("Promise")

func TestAwaitResolved(t *testing.T) {
	v, err := Await(context.Background(), promise.Call("resolve", 42))
	if err != nil || v.Int() != 42 {
		t.Fatalf("got %v, %v", v, err)
	}
}

func TestAwaitPlainValue(t *testing.T) {
	v, err := Await(context.Background(), js.ValueOf("x"))
	if err != nil || v.String() != "x" {
		t.Fatalf("got %v, %v", v, err)
	}
}

func TestAwaitRejected(t *testing.T) {
	reason := js.Global().Get("TypeError").New("boom")
	_, err := Await(context.Background(), promise.Call("reject", reason))
	var je *Error
	if !errors.As(err, &je) || je.Name != "TypeError" || je.Message != "boom" {
		t.Fatalf("got %#v", err)
	}
	_, err = Await(context.Background(), promise.Call("reject", "plain"))
	if err == nil || err.Error() != "plain" {
		t.Fatalf("got %v", err)
	}
}

func TestAwaitContextEndsFirst(t *testing.T) {
	exec := js.FuncOf(func(js.Value, []js.Value) any { return nil })
	never := promise.New(exec) // never settles
	exec.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Await(ctx, never)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
}

func TestAwaitLateSettleDoesNotBlock(t *testing.T) {
	// The promise settles after Await gave up: the callback must not block or panic.
	var resolve js.Value
	exec := js.FuncOf(func(_ js.Value, a []js.Value) any { resolve = a[0]; return nil })
	p := promise.New(exec)
	exec.Release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Await(ctx, p); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	resolve.Invoke(1)
	if v, err := Await(context.Background(), p); err != nil || v.Int() != 1 {
		t.Fatalf("got %v, %v", v, err)
	}
}

func TestCallRecoversThrow(t *testing.T) {
	obj := js.Global().Get("JSON")
	if _, err := Call(obj, "parse", "{nope"); err == nil {
		t.Fatal("want the SyntaxError as an error")
	} else if je := (*Error)(nil); !errors.As(err, &je) || je.Name != "SyntaxError" {
		t.Fatalf("got %#v", err)
	}
	if _, err := Call(obj, "noSuchMethod"); err == nil {
		t.Fatal("want an error for a missing method")
	}
	if v, err := Call(obj, "stringify", 1); err != nil || v.String() != "1" {
		t.Fatalf("got %v, %v", v, err)
	}
}

func TestBytesRoundTrip(t *testing.T) {
	b := []byte("héllo\x00world")
	a := Uint8Array(b)
	if got := Bytes(a); !bytes.Equal(got, b) {
		t.Fatalf("Uint8Array: %q", got)
	}
	if got := Bytes(a.Get("buffer")); !bytes.Equal(got, b) {
		t.Fatalf("ArrayBuffer: %q", got)
	}
	if got := Bytes(Uint8Array(nil)); len(got) != 0 {
		t.Fatalf("empty: %q", got)
	}
}
