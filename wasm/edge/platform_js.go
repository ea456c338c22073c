//go:build js && wasm

package main

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/wasm/edge/internal/gateway"
	"github.com/wallexkit/wallexkit/wasm/internal/jsutil"
)

// The Durable Object namespace bindings, one class per role (glue/keys.mjs, glue/ledger.mjs,
// glue/limiter.mjs; wrangler.jsonc binds them):
//   - KeyStateBinding: class KeyState, one object per API key ("key:<api url>|<public key>"):
//     token, nonce mark, the nonce sequencer (gateway.KeyState);
//   - LedgerBinding: class Ledger (gateway.Ledger): the object "ledger" holds IPN dedupe and
//     order, events and forwarding; storefront orders and the payments the gateway created are
//     spread over "shard:<n>" objects (ledgerShard), so that no single object is on the path of
//     every checkout (the key's sequencer aside: the nonce order is the key's);
//   - LimiterBinding: class Limiter, one object per client ("rl:<client>"): a rate limit window
//     (gateway.Limiter).
const (
	KeyStateBinding = "KEY_STATE"
	LedgerBinding   = "LEDGER"
	LimiterBinding  = "LIMITER"
)

// PricesBinding is the KV namespace of the price list.
const PricesBinding = "PRICES"

// platform is one request's view of the Worker: stubs are made on the request's own goroutine,
// because Durable Object stubs belong to the request that created them.
type platform struct {
	env       js.Value
	transport *upstreamTransport
	ledger    *doLedger
}

func (p *platform) Transport() core.Transport { return p.transport }

// Log writes one line: control characters (a line break in a value an attacker sent) become
// spaces, so no one can forge log lines.
func (p *platform) Log(msg string) {
	logLine(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg))
}

func (p *platform) Prices() gateway.PriceList { return kvPrices{env: p.env} }

// WithTimeout ends the returned context after d with a JS timer set now, from the request's own
// goroutine, that is inside the request's own event: when it fires, the goroutines it wakes
// belong to this request.
func (p *platform) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	at := time.Now().Add(d)
	c, cancel := context.WithCancel(ctx)
	var (
		once  sync.Once
		fn    js.Func
		timer js.Value
	)
	release := func(clear bool) {
		once.Do(func() {
			if clear {
				jsClearTimeout.Invoke(timer)
			}
			fn.Release()
		})
	}
	fn = js.FuncOf(func(js.Value, []js.Value) any {
		cancel()
		release(false)
		return nil
	})
	timer = jsSetTimeout.Invoke(fn, max(0, d.Milliseconds()))
	return gateway.ReportedDeadline{Context: c, At: at}, func() {
		cancel()
		release(true)
	}
}

var (
	jsSetTimeout   = js.Global().Get("setTimeout")
	jsClearTimeout = js.Global().Get("clearTimeout")
)

// stub returns the stub of the object name in the Durable Object namespace bound as binding.
func (p *platform) stub(binding, name string) (js.Value, error) {
	ns := p.env.Get(binding)
	if ns.Type() != js.TypeObject {
		return js.Undefined(), errors.New("the Durable Object binding " + binding + " is missing (see wrangler.jsonc)")
	}
	id, err := jsutil.Call(ns, "idFromName", name)
	if err != nil {
		return js.Undefined(), err
	}
	return jsutil.Call(ns, "get", id)
}

// Keys returns the key's state; its stub is made on the first call that needs it (most requests
// find the token in the isolate's cache and never do).
func (p *platform) Keys(storeKey string) gateway.KeyState {
	return &doKeys{p: p, name: "key:" + storeKey}
}

func (p *platform) Ledger() gateway.Ledger {
	if p.ledger == nil {
		s, err := p.stub(LedgerBinding, "ledger")
		p.ledger = &doLedger{p: p, stub: s, err: err}
	}
	return p.ledger
}

func (p *platform) Limiter(client string) gateway.Limiter {
	s, err := p.stub(LimiterBinding, "rl:"+client)
	return &doLimiter{stub: s, err: err}
}

// rpc calls a method of a Durable Object stub (Workers RPC) and waits for its result.
func rpc(ctx context.Context, stub js.Value, stubErr error, method string, args ...any) (js.Value, error) {
	if stubErr != nil {
		return js.Undefined(), stubErr
	}
	p, err := jsutil.Call(stub, method, args...)
	if err != nil {
		return js.Undefined(), &rpcError{method, err}
	}
	// An RPC result is an RpcPromise, a callable thenable (typeof "function"), which
	// jsutil.Await does not take for a promise: adopt it into a plain Promise first.
	v, err := jsutil.Await(ctx, jsPromise.Call("resolve", p))
	if err != nil {
		return js.Undefined(), &rpcError{method, err}
	}
	return v, nil
}

var jsPromise = js.Global().Get("Promise")

func present(v js.Value) bool { return !v.IsNull() && !v.IsUndefined() }

// kvPrices reads the price list from the KV binding: env.PRICES.get("price:<sku>"), a string or
// null. (Not syumai/workers' kv package: its error messages link package fmt into the Worker.)
type kvPrices struct{ env js.Value }

func (p kvPrices) Price(ctx context.Context, sku string) (string, bool, error) {
	ns := p.env.Get(PricesBinding)
	if ns.Type() != js.TypeObject {
		return "", false, errors.New("the KV binding " + PricesBinding + " is missing (see wrangler.jsonc)")
	}
	pr, err := jsutil.Call(ns, "get", "price:"+sku)
	if err != nil {
		return "", false, err
	}
	v, err := jsutil.Await(ctx, pr)
	if err != nil {
		return "", false, err
	}
	if v.Type() != js.TypeString {
		return "", false, nil // null: no entry
	}
	return v.String(), true, nil
}

// doKeys is the KeyState of one API key, in its KeyState Durable Object (glue/keys.mjs).
type doKeys struct {
	p    *platform
	name string

	once sync.Once
	st   js.Value
	err  error
}

// stub returns the object's stub, made on first use from the request's own goroutine.
func (k *doKeys) stub() (js.Value, error) {
	k.once.Do(func() { k.st, k.err = k.p.stub(KeyStateBinding, k.name) })
	return k.st, k.err
}

// call is rpc on the key's object.
func (k *doKeys) call(ctx context.Context, method string, args ...any) (js.Value, error) {
	st, err := k.stub()
	return rpc(ctx, st, err, method, args...)
}

func (k *doKeys) LoadToken(ctx context.Context, lease time.Duration) (core.Token, bool, error) {
	until := int64(0)
	if d, ok := ctx.Deadline(); ok {
		until = d.UnixMilli()
	}
	v, err := k.call(ctx, "loadToken", lease.Milliseconds(), until)
	if err != nil || !present(v) {
		return core.Token{}, false, err
	}
	t := core.Token{
		AccessToken: v.Get("access_token").String(),
		ExpiresAt:   time.UnixMilli(int64(v.Get("expires_at").Float())).UTC(),
		ObtainedAt:  time.UnixMilli(int64(v.Get("obtained_at").Float())).UTC(),
	}
	if o := v.Get("owner"); o.Type() == js.TypeString {
		t.Owner = o.String()
	}
	return t, t.AccessToken != "", nil
}

func (k *doKeys) SaveToken(ctx context.Context, t core.Token, refreshAt time.Time) error {
	_, err := k.call(ctx, "saveToken", map[string]any{
		"access_token": t.AccessToken,
		"expires_at":   t.ExpiresAt.UnixMilli(),
		"obtained_at":  t.ObtainedAt.UnixMilli(),
		"refresh_at":   refreshAt.UnixMilli(),
		"owner":        t.Owner,
	})
	return err
}

func (k *doKeys) ReleaseLogin(ctx context.Context) error {
	_, err := k.call(ctx, "releaseLogin")
	return err
}

func (k *doKeys) DeleteToken(ctx context.Context) error {
	_, err := k.call(ctx, "deleteToken")
	return err
}

func (k *doKeys) LoadNonce(ctx context.Context) (int64, error) {
	v, err := k.call(ctx, "loadNonce")
	if err != nil || v.Type() != js.TypeNumber {
		return 0, err
	}
	return int64(v.Float()), nil
}

func (k *doKeys) SaveNonce(ctx context.Context, n int64) error {
	_, err := k.call(ctx, "saveNonce", n)
	return err
}

func (k *doKeys) NonceCall(ctx context.Context, c *gateway.NonceCall) (*gateway.NonceResult, error) {
	headers := make(map[string]any, len(c.Request.Header))
	for name, val := range c.Request.Header {
		headers[name] = val
	}
	// The body crosses as the text before and after the nonce: the sequencer puts the nonce it
	// sends between them (a form body is ASCII).
	call := map[string]any{
		"id": c.ID, "url": c.Request.URL, "headers": headers,
		"head": string(c.Request.Body[:c.At]), "tail": string(c.Request.Body[c.End:]),
		"nonce": c.Nonce, "deadline": c.Deadline.UnixMilli(), "exact": c.Exact,
		"created": c.Created.UnixMilli(), "fence": c.Fence,
	}
	v, err := k.call(ctx, "nonceCall", call)
	if err != nil {
		return nil, err
	}
	switch {
	case present(v.Get("not_sent")):
		return &gateway.NonceResult{NotSent: v.Get("not_sent").String()}, nil
	case present(v.Get("stale")):
		return &gateway.NonceResult{Stale: int64(v.Get("stale").Float())}, nil
	case present(v.Get("send_error")):
		return &gateway.NonceResult{SendError: v.Get("send_error").String(), Nonce: sentNonce(v)}, nil
	}
	out := &core.HTTPResponse{Status: v.Get("status").Int(), Header: map[string]string{}, Body: jsutil.Bytes(v.Get("body"))}
	h := v.Get("headers")
	if h.Type() == js.TypeString {
		for _, line := range strings.Split(h.String(), "\n") {
			if name, val, ok := strings.Cut(line, ":"); ok {
				out.Header[strings.ToLower(name)] = strings.TrimSpace(val)
			}
		}
	}
	return &gateway.NonceResult{Response: out, Nonce: sentNonce(v)}, nil
}

// sentNonce is the nonce the sequencer reports it sent, 0 when it reports none.
func sentNonce(v js.Value) int64 {
	if n := v.Get("nonce"); n.Type() == js.TypeNumber {
		return int64(n.Float())
	}
	return 0
}

func (k *doKeys) Abandon(ctx context.Context, id string) (bool, error) {
	v, err := k.call(ctx, "abandon", id)
	if err != nil {
		return true, err
	}
	return v.Get("sent").Truthy(), nil
}

// doLedger is the gateway's ledger in Ledger Durable Objects (glue/ledger.mjs): IPNs and events
// in the object "ledger" (stub), orders and payments in "shard:<n>" (ledgerShard).
type doLedger struct {
	p    *platform
	stub js.Value
	err  error
}

// record returns the stub of the shard that holds order or payment id.
func (l *doLedger) record(_, id string) (js.Value, error) {
	return l.p.stub(LedgerBinding, "shard:"+strconv.Itoa(ledgerShard(id)))
}

// ledgerShards is how many objects orders and payments are spread over. It must never change:
// a record is looked up only in the shard its id maps to.
const ledgerShards = 32

// ledgerShard maps an order or payment id to its shard: FNV-1a (32 bits) of the id, modulo
// ledgerShards.
func ledgerShard(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return int(h % ledgerShards)
}

func (l *doLedger) SeenID(ctx context.Context, id string) (bool, error) {
	v, err := rpc(ctx, l.stub, l.err, "seen", id)
	return err == nil && v.Truthy(), err
}

func (l *doLedger) LastStatus(ctx context.Context, key string) (int, bool, error) {
	v, err := rpc(ctx, l.stub, l.err, "lastStatus", key)
	if err != nil || v.Type() != js.TypeNumber {
		return 0, false, err
	}
	return v.Int(), true, nil
}

func (l *doLedger) CommitIPN(ctx context.Context, c *gateway.IPNCommit) (gateway.IPNCommitResult, error) {
	expect, status := any(nil), any(nil)
	if c.HasExpect {
		expect = c.Expect
	}
	if c.SetStatus {
		status = c.Status
	}
	v, err := rpc(ctx, l.stub, l.err, "commitIpn", c.ID, c.Key, expect, status, c.Event, c.Forward)
	if err != nil {
		return gateway.IPNCommitResult{}, err
	}
	r := gateway.IPNCommitResult{Dup: v.Get("dup").Truthy(), Conflict: v.Get("conflict").Truthy()}
	if cur := v.Get("cursor"); cur.Type() == js.TypeNumber {
		r.Cursor = int64(cur.Float())
	}
	return r, nil
}

func (l *doLedger) PutTxn(ctx context.Context, id, rec string) error {
	st, serr := l.record("txn", id)
	_, err := rpc(ctx, st, serr, "putTxn", id, rec)
	return err
}

func (l *doLedger) GetTxn(ctx context.Context, id string) (string, bool, error) {
	st, serr := l.record("txn", id)
	v, err := rpc(ctx, st, serr, "getTxn", id)
	if err != nil || v.Type() != js.TypeString {
		return "", false, err
	}
	return v.String(), true, nil
}

func (l *doLedger) GetOrder(ctx context.Context, id string) (string, bool, error) {
	st, serr := l.record("order", id)
	v, err := rpc(ctx, st, serr, "getOrder", id)
	if err != nil || v.Type() != js.TypeString {
		return "", false, err
	}
	return v.String(), true, nil
}

func (l *doLedger) PutOrder(ctx context.Context, id string, expectV int64, rec string) (bool, string, error) {
	st, serr := l.record("order", id)
	v, err := rpc(ctx, st, serr, "putOrder", id, expectV, rec)
	if err != nil {
		return false, "", err
	}
	cur := ""
	if c := v.Get("current"); c.Type() == js.TypeString {
		cur = c.String()
	}
	return v.Get("ok").Truthy(), cur, nil
}

func (l *doLedger) Events(ctx context.Context, after int64, limit int) (string, error) {
	v, err := rpc(ctx, l.stub, l.err, "events", after, limit)
	if err != nil {
		return "", err
	}
	if v.Type() != js.TypeString {
		return "", errors.New("events: unexpected answer from the ledger")
	}
	return v.String(), nil
}

func (l *doLedger) ClaimIdempotency(ctx context.Context, id, claim, rec string, ttl time.Duration) (bool, string, error) {
	st, serr := l.record("idem", id)
	v, err := rpc(ctx, st, serr, "claimIdem", id, claim, rec, ttl.Milliseconds())
	if err != nil {
		return false, "", err
	}
	cur := ""
	if c := v.Get("current"); c.Type() == js.TypeString {
		cur = c.String()
	}
	return v.Get("ok").Truthy(), cur, nil
}

func (l *doLedger) SettleIdempotency(ctx context.Context, id, claim, rec string) error {
	st, serr := l.record("idem", id)
	var r any
	if rec != "" {
		r = rec
	}
	_, err := rpc(ctx, st, serr, "settleIdem", id, claim, r)
	return err
}

// doLimiter is one client's rate limit window, in its Limiter Durable Object (glue/limiter.mjs).
type doLimiter struct {
	stub js.Value
	err  error
}

func (l *doLimiter) Hit(ctx context.Context, limit int, window time.Duration) (bool, time.Duration, error) {
	v, err := rpc(ctx, l.stub, l.err, "hit", limit, window.Milliseconds())
	if err != nil {
		return false, 0, err
	}
	return v.Get("ok").Truthy(), time.Duration(v.Get("retry_ms").Float()) * time.Millisecond, nil
}

// rpcError is a failed Durable Object call: "method: error", wrapping the error.
type rpcError struct {
	method string
	err    error
}

func (e *rpcError) Error() string { return e.method + ": " + e.err.Error() }
func (e *rpcError) Unwrap() error { return e.err }
