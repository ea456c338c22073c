//go:build js && wasm

package main

import (
	"context"
	"math"
	"strconv"
	"syscall/js"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

// opts reads an options object passed from JS. Absent (undefined or null) members stay unset,
// so an optional field maps to a nil pointer and undefined never turns into "". The first type
// error is kept in err, as a ValidationError naming the JS member.
type opts struct {
	v   js.Value
	err error
}

// (The readers used on most options are kept out of line: each inlined copy is code in the
// wasm.)

// optsArg reads args[i] as an options object; undefined and null are an empty object.
func optsArg(args []js.Value, i int, name string) *opts {
	o := &opts{v: js.Undefined()}
	if i >= len(args) || absent(args[i]) {
		return o
	}
	if args[i].Type() != js.TypeObject {
		o.fail(name, "must be an object")
		return o
	}
	o.v = args[i]
	return o
}

func absent(v js.Value) bool { return v.IsUndefined() || v.IsNull() }

//go:noinline
func (o *opts) fail(field, problem string) {
	if o.err == nil {
		o.err = &core.ValidationError{Field: field, Problem: problem}
	}
}

func (o *opts) get(k string) (js.Value, bool) {
	if o.v.IsUndefined() {
		return o.v, false
	}
	v := o.v.Get(k)
	return v, !absent(v)
}

// optText returns a string member, or nil when absent.
//
//go:noinline
func (o *opts) optText(k string) *string {
	v, ok := o.get(k)
	if !ok {
		return nil
	}
	if v.Type() != js.TypeString {
		o.fail(k, "must be a string")
		return nil
	}
	s := v.String()
	return &s
}

// text returns a string member, "" when absent (core reports missing required fields).
//
//go:noinline
func (o *opts) text(k string) string {
	if p := o.optText(k); p != nil {
		return *p
	}
	return ""
}

// amount is text for money: a JS number is refused, it may already have lost precision.
func (o *opts) amount(k string) string {
	if v, ok := o.get(k); ok && v.Type() == js.TypeNumber {
		o.fail(k, `must be a decimal string such as "0.5", not a number (numbers lose precision)`)
		return ""
	}
	return o.text(k)
}

func (o *opts) optFlag(k string) *bool {
	v, ok := o.get(k)
	if !ok {
		return nil
	}
	if v.Type() != js.TypeBoolean {
		o.fail(k, "must be true or false")
		return nil
	}
	b := v.Bool()
	return &b
}

//go:noinline
func (o *opts) flag(k string) bool {
	p := o.optFlag(k)
	return p != nil && *p
}

// integer returns an integer member (0 when absent).
func (o *opts) integer(k string) int {
	v, ok := o.get(k)
	if !ok {
		return 0
	}
	f := 0.0
	if v.Type() == js.TypeNumber {
		f = v.Float()
	}
	if v.Type() != js.TypeNumber || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		o.fail(k, "must be an integer")
		return 0
	}
	return int(f)
}

// msTime reads a time given as Unix milliseconds (zero when absent).
func (o *opts) msTime(k string) time.Time {
	v, ok := o.get(k)
	if !ok {
		return time.Time{}
	}
	if v.Type() != js.TypeNumber || v.Float() != math.Trunc(v.Float()) || v.Float() < 0 {
		o.fail(k, "must be Unix milliseconds (a whole number)")
		return time.Time{}
	}
	return time.UnixMilli(int64(v.Float()))
}

// opCtx is the context of a money call: named by the opId option when given, so that a host
// that loses the answer (a stopped service worker) can ask about it with reconcileOp(opId).
// With again, it is sent even if the same payment was carried out a moment ago (the client's
// duplicateCheck): a person has seen the earlier one and means to pay again.
func (o *opts) opCtx() context.Context {
	c := ctx()
	if v, ok := o.get("again"); ok && v.Type() == js.TypeNumber {
		// the settledAtMs of the possible_duplicate answer the person was shown: a payment like
		// it carried out after that (another window paid it again meanwhile) is asked about again
		c = core.AllowDuplicateUntil(c, o.msTime("again"))
	} else if o.flag("again") {
		c = core.AllowDuplicate(c)
	}
	id := o.text("opId")
	if id == "" {
		return c
	}
	if len(id) > 100 {
		o.fail("opId", "must be at most 100 characters")
		return c
	}
	return core.WithOperationID(c, id)
}

// unixTime reads a time given as Unix seconds (a number, as the API's `newer`) or a Date.
func (o *opts) unixTime(k string) time.Time {
	v, ok := o.get(k)
	if !ok {
		return time.Time{}
	}
	if v.Type() == js.TypeObject && v.InstanceOf(js.Global().Get("Date")) {
		ms := v.Call("getTime").Float()
		if math.IsNaN(ms) {
			o.fail(k, "is an invalid Date")
			return time.Time{}
		}
		return time.UnixMilli(int64(ms))
	}
	if v.Type() != js.TypeNumber || v.Float() != math.Trunc(v.Float()) || v.Float() < 0 {
		o.fail(k, "must be Unix seconds (a whole number) or a Date")
		return time.Time{}
	}
	return time.Unix(int64(v.Float()), 0)
}

// stringArg reads args[i] as a string; absent is "" (core reports it as missing).
func stringArg(args []js.Value, i int, name string) (string, error) {
	if i >= len(args) || absent(args[i]) {
		return "", nil
	}
	if args[i].Type() != js.TypeString {
		return "", &core.ValidationError{Field: name, Problem: "must be a string"}
	}
	return args[i].String(), nil
}

// keys returns the own enumerable keys of a JS object.
func keys(v js.Value) []string {
	ks := jsObject.Call("keys", v)
	out := make([]string, ks.Length())
	for i := range out {
		out[i] = ks.Index(i).String()
	}
	return out
}

// numberToInt64 reads a stored nonce: a number, or a numeric string.
func numberToInt64(v js.Value) (int64, bool) {
	switch v.Type() {
	case js.TypeNumber:
		f := v.Float()
		if f != math.Trunc(f) || f < 0 || f > 1<<53 {
			return 0, false
		}
		return int64(f), true
	case js.TypeString:
		n, err := strconv.ParseInt(v.String(), 10, 64)
		return n, err == nil && n >= 0
	case js.TypeUndefined, js.TypeNull:
		return 0, true
	}
	return 0, false
}
