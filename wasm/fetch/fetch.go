//go:build js && wasm

// Package fetch is a core.Transport over the JS Fetch API, for GOOS=js builds that run in a
// page, an extension service worker, node or a Cloudflare Worker (workerd). It never imports
// net/http: under js/wasm that package would bring its own fake in-process network and
// megabytes of code.
//
// Each request gets an AbortController that is aborted when the context ends, so a deadline or
// a cancel stops the request instead of leaving it running. Redirects are not followed
// (redirect: "manual"), so keys and tokens are never replayed to another URL.
package fetch

import (
	"context"
	"errors"
	"strings"
	"syscall/js"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/errtext"
	"github.com/wallexkit/wallexkit/wasm/internal/jsutil"
)

// Transport sends core requests with globalThis.fetch. It is safe for concurrent use.
type Transport struct {
	global js.Value
}

// New returns a Transport that uses the runtime's global fetch function, looked up on every
// request (so a runtime that installs or wraps fetch later is honoured).
func New() *Transport {
	return &Transport{global: js.Global().Get("globalThis")}
}

var _ core.Transport = (*Transport)(nil)

// RoundTrip POSTs req and returns the answer, whatever its HTTP status.
//
// Errors: when ctx is already done nothing is sent and the error is marked core.NotSent; when
// ctx ends during the request it is aborted and the error wraps ctx.Err(); a fetch that fails
// before any answer (TypeError: network error, refused connection, CORS) is a plain error,
// because a browser cannot tell whether bytes left.
func (t *Transport) RoundTrip(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, core.NotSent(errtext.Prefix("fetch: not sent: ", err))
	}
	ac := jsAbortController.New()
	abortOnDone := func(err error) error {
		if ctx.Err() != nil {
			jsutil.Call(ac, "abort") // a throwing abort must not take the Go instance down
			return errtext.Prefix("fetch: aborted: ", ctx.Err())
		}
		return err
	}

	headers := jsObject.New()
	for k, v := range req.Header {
		headers.Set(k, v)
	}
	init := jsObject.New()
	// Only fields every runtime supports: workerd rejects "credentials", "cache" and "mode".
	init.Set("method", "POST")
	init.Set("headers", headers)
	init.Set("body", jsutil.Uint8Array(req.Body))
	init.Set("redirect", "manual")
	init.Set("signal", ac.Get("signal"))

	p, err := jsutil.Call(t.global, "fetch", req.URL, init)
	if err != nil {
		// fetch threw before it started (bad URL or init, no fetch function): nothing left.
		return nil, core.NotSent(errtext.Prefix("fetch: ", err))
	}
	res, err := jsutil.Await(ctx, p)
	if err != nil {
		return nil, abortOnDone(errtext.Prefix("fetch: ", err))
	}
	status := res.Get("status").Int()
	if status == 0 && res.Get("type").String() == "opaqueredirect" {
		// A browser hides a manual redirect behind status 0.
		jsutil.Call(ac, "abort")
		return nil, errors.New("fetch: the API answered with a redirect, which is not followed so that keys and tokens never go to another address: check the API URL")
	}
	out := &core.HTTPResponse{Status: status, Header: readHeaders(res.Get("headers"))}
	p, err = jsutil.Call(res, "arrayBuffer")
	if err != nil {
		return nil, errtext.Prefix("fetch: reading the answer (HTTP "+errtext.D(out.Status)+"): ", err)
	}
	buf, err := jsutil.Await(ctx, p)
	if err != nil {
		return nil, abortOnDone(errtext.Prefix("fetch: reading the answer (HTTP "+errtext.D(out.Status)+"): ", err))
	}
	out.Body = jsutil.Bytes(buf)
	return out, nil
}

// readHeaders copies a Headers object into a map with lower-case names (Headers joins repeated
// headers with ", "). It crosses into JS a fixed three times, whatever the number of headers:
// every JS string or object handed to Go costs a finalizer.
func readHeaders(h js.Value) map[string]string {
	m := make(map[string]string, 8)
	if h.Type() != js.TypeObject {
		return m
	}
	s := jsJSON.Call("stringify", jsObject.Call("fromEntries", h)).String()
	gjson.Parse(s).ForEach(func(k, v gjson.Result) bool {
		m[strings.ToLower(k.Str)] = v.Str
		return true
	})
	return m
}

var (
	jsObject          = js.Global().Get("Object")
	jsJSON            = js.Global().Get("JSON")
	jsAbortController = js.Global().Get("AbortController")
)
