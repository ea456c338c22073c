//go:build js && wasm

package main

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

var (
	jsPromise = js.Global().Get("Promise")
	jsObject  = js.Global().Get("Object")
	jsJSON    = js.Global().Get("JSON")
)

// jsonText is a result already encoded as JSON; it reaches JS through one JSON.parse.
type jsonText []byte

// handler runs one API function on its own goroutine. It returns a Go value that is turned
// into a plain JS object (nil = undefined, jsonText = parsed, js.Value = as is, anything else
// = written as JSON by encodeResult, as encoding/json would), or an error.
type handler func(args []js.Value) (any, error)

// async exposes h as a JS function that returns a Promise at once and never blocks the JS
// event loop: the work runs on a goroutine, which settles the promise. (Kept out of line: it
// is called in a few places, and each inlined copy was 3 KB of wasm.)
//
//go:noinline
func async(h handler) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		var resolve, reject js.Value
		exec := js.FuncOf(func(_ js.Value, a []js.Value) any {
			resolve, reject = a[0], a[1]
			return nil
		})
		p := jsPromise.New(exec) // the executor runs synchronously inside the constructor
		exec.Release()
		inflight.Add(1)
		go func() {
			defer idle()
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(errorObject(errors.New("internal error: " + panicText(r))))
				}
			}()
			v, err := h(args)
			if err != nil {
				reject.Invoke(errorObject(err))
				return
			}
			out, err := toJS(v)
			if err != nil {
				reject.Invoke(errorObject(err))
				return
			}
			resolve.Invoke(out)
		}()
		return p
	})
}

var (
	inflight atomic.Int32
	flushMu  sync.Mutex
	flush    *time.Timer
)

// idle runs after each call. When none is left it (re)arms a short timer: Go's js runtime keeps
// the JS setTimeout it armed for a call's deadline (cancelled long ago) until it fires, which
// would hold a node process open for up to timeoutMs after the last call. A nearer timer makes
// the runtime replace it, and once that timer has fired nothing stays armed.
func idle() {
	if inflight.Add(-1) != 0 {
		return
	}
	flushMu.Lock()
	if flush == nil {
		flush = time.AfterFunc(idleFlush, func() {})
	} else {
		flush.Reset(idleFlush)
	}
	flushMu.Unlock()
}

const idleFlush = 20 * time.Millisecond

// panicText is a recovered panic's value as fmt's %v prints an error, a Stringer or a string.
func panicText(r any) string {
	switch x := r.(type) {
	case error:
		return x.Error()
	case interface{ String() string }:
		return x.String()
	case string:
		return x
	}
	return "a panic"
}

func toJS(v any) (js.Value, error) {
	switch x := v.(type) {
	case nil:
		return js.Undefined(), nil
	case js.Value:
		return x, nil
	case jsonText:
		return jsJSON.Call("parse", string(x)), nil
	}
	b, err := encodeResult(v)
	if err != nil {
		return js.Undefined(), err
	}
	return jsJSON.Call("parse", string(b)), nil
}

// errorObject turns err into the plain rejection object {code, message, retryable, field?,
// cmd?, ref?, httpStatus?, serverCode?}. core's errors are already redacted; nothing else here carries secrets.
func errorObject(err error) js.Value {
	o := jsObject.New()
	o.Set("code", string(core.CodeOf(err)))
	o.Set("message", err.Error())
	o.Set("retryable", core.IsRetryable(err))
	var ve *core.ValidationError
	if errors.As(err, &ve) && ve.Field != "" {
		o.Set("field", ve.Field)
	}
	var ou *core.OutcomeUnknownError
	if errors.As(err, &ou) {
		ref := jsObject.New()
		for k, v := range ou.Ref {
			ref.Set(k, v)
		}
		o.Set("cmd", ou.Cmd)
		o.Set("ref", ref)
		// what reconcileOp / reconcile need to prove, later, that it can no longer land
		o.Set("opId", ou.OpID)
		if ou.Nonce != 0 {
			o.Set("nonce", float64(ou.Nonce))
		}
		if !ou.SentAt.IsZero() {
			o.Set("sentAtMs", float64(ou.SentAt.UnixMilli()))
		}
		if !ou.Deadline.IsZero() {
			o.Set("deadlineMs", float64(ou.Deadline.UnixMilli()))
		}
		if ou.StoreKey != "" {
			o.Set("storeKey", ou.StoreKey) // the key that sent it: reconcile's sentWith
		}
	}
	var pm *core.PermissionError
	if errors.As(err, &pm) {
		o.Set("cmd", pm.Cmd) // the command to enable for the key
	}
	var pe *core.PendingOpError
	if errors.As(err, &pe) {
		o.Set("cmd", pe.Op.Cmd)
		o.Set("opId", pe.Op.ID)
		o.Set("opState", string(pe.Op.State))
		if url, pub, ok := core.SplitStoreKey(pe.StoreKey); ok {
			// recorded under another key or API URL: settle it there
			o.Set("storeKey", pe.StoreKey)
			o.Set("storeApiUrl", url)
			o.Set("storePublicKey", pub)
		}
	}
	var de *core.DuplicateError
	if errors.As(err, &de) {
		// the earlier payment: its operation, what it made, and when it was carried out
		o.Set("cmd", de.Op.Cmd)
		o.Set("opId", de.Op.ID)
		o.Set("result", de.Op.Result)
		o.Set("settledAtMs", float64(de.Op.Settled.UnixMilli()))
	}
	if st := httpStatus(err); st != 0 {
		o.Set("httpStatus", st)
	}
	var ae *core.APIError
	if errors.As(err, &ae) && ae.ServerCode != "" {
		o.Set("serverCode", ae.ServerCode)
	}
	var ne *notConfigured
	if errors.As(err, &ne) {
		o.Set("code", "not_configured")
	}
	return o
}

func httpStatus(err error) int {
	var (
		te *core.TransportError
		ae *core.APIError
		au *core.AuthError
		rl *core.RateLimitError
		ou *core.OutcomeUnknownError
	)
	switch {
	case errors.As(err, &ou):
		return ou.HTTPStatus
	case errors.As(err, &te):
		return te.HTTPStatus
	case errors.As(err, &ae):
		return ae.HTTPStatus
	case errors.As(err, &au):
		return au.HTTPStatus
	case errors.As(err, &rl):
		return rl.HTTPStatus
	}
	return 0
}

type notConfigured struct{}

func (*notConfigured) Error() string {
	return "wallexkit is not configured: call wallexkit.configure({apiUrl, publicKey, ...}) first (again after the runtime restarted)"
}

// coreFieldName is the JS name of a name core's ValidationErrors use for an option or a derived
// field (a switch, not a map: no code at start-up); ok is false for others.
func coreFieldName(f string) (string, bool) {
	switch f {
	case "API URL":
		return "apiUrl", true
	case "public key":
		return "publicKey", true
	case "private key":
		return "privateKey", true
	case "timeout":
		return "timeoutMs", true
	case "toaddress":
		return "toAddress", true
	case "merchant/toaddress":
		return "merchant/toAddress", true
	case "wd key":
		return "key", true
	case "wd":
		return "items", true
	case "txid":
		return "txid", true
	case "limit":
		return "pageSize", true
	}
	return "", false
}

// jsFieldNames renames the field a ValidationError names from core's wire name (buyer_email,
// wd[k][dest_tag]) to the option name the typed JS functions take (buyerEmail, items[k].destTag).
func jsFieldNames(err error) error {
	var ve *core.ValidationError
	if !errors.As(err, &ve) || ve.Field == "" {
		return err
	}
	cp := *ve
	if r, ok := coreFieldName(cp.Field); ok {
		cp.Field = r
		// core's advice names the CLI's flag and the Go option; here the opt-in is configure's own
		if strings.HasPrefix(cp.Problem, core.PlainHTTPProblem) {
			cp.Problem = core.PlainHTTPProblem + ": use https, or opt in with insecureHttp: true"
		}
	} else if rest, ok := strings.CutPrefix(cp.Field, "wd["); ok {
		if key, f, ok := strings.Cut(rest, "]["); ok {
			cp.Field = "items[" + key + "]." + camel(strings.TrimSuffix(f, "]"))
		}
	} else {
		cp.Field = camel(cp.Field)
	}
	return &cp
}

// camel turns snake_case into camelCase.
func camel(s string) string {
	var b strings.Builder
	up := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '_':
			up = true
			continue
		case up && ch >= 'a' && ch <= 'z':
			ch -= 'a' - 'A'
		}
		up = false
		b.WriteByte(ch)
	}
	return b.String()
}
