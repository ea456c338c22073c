package gateway

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

// WarmUp serves n POST /v1/call/get_basic_info calls through a gateway of its own, on a platform
// that never leaves the process, and returns how many were answered 200 (it stops at the first
// that is not). A host runs it before its first request, so that the code of a call's path
// (the token flow, core's request and envelope, the gateway's answer) has run often enough to be
// optimised: on Workers, V8 moves a wasm function that has run enough from its baseline compiler to
// its optimising one, and only optimised code survives the baseline-code flush that every new
// isolate in a workerd process causes (glue/worker.mjs, warmAtLoad; docs/benchmarks.md, tenth
// round).
//
// It shares nothing with the host's own gateway but the code: its own configuration (an API at
// warm-up.invalid, its own keys and gateway token, nonces off), its own token cache, its key state
// in memory, and a transport that answers a login and get_basic_info at once with fixed bytes. It
// asks for no timer (its deadlines are reported, never armed) and no random bytes: on Workers,
// at load, either would throw and end the instance, and the glue then starts a new one on the
// first request.
func WarmUp(n int) (served int) {
	defer func() { recover() }() // a warm-up that breaks leaves nothing behind: its gateway is garbage
	env := map[string]string{
		EnvAPIURL:        "https://warm-up.invalid/api",
		EnvPublicKey:     "warm-up-public",
		EnvPrivateKey:    "warm-up-private",
		EnvGatewayTokens: warmToken,
		EnvNonce:         "0",
	}
	g := New(LoadConfig(func(name string) string { return env[name] }))
	p := &warmPlatform{}
	u := &url.URL{Scheme: "https", Host: "warm-up.invalid", Path: "/v1/call/get_basic_info"}
	for served < n {
		ctx, cancel := context.WithCancel(context.Background())
		dl := ReportedDeadline{Context: ctx, At: time.Now().Add(time.Second)}
		res := g.Handle(dl, p, &Request{Method: "POST", URL: u, Header: map[string]string{"authorization": "Bearer " + warmToken}, Upstream: dl})
		cancel()
		if res == nil || res.Status != 200 {
			break
		}
		served++
	}
	return served
}

const warmToken = "warm-up-gateway-token"

// The warm-up API's answers: a login (spec §2) and get_basic_info (§7.1).
var (
	warmLogin = []byte(`{"success":"true","result":{"access_token":"Bearer warm-up","expires_at":"2999-01-01 00:00:00"},"message":"Login successfully!"}`)
	warmInfo  = []byte(`{"error":"ok","result":{"username":"warm-up","merchant_id":"00000000000000000000000000000000","email":"warm-up@warm-up.invalid","public_name":"Warm-up","time_joined":1600000000}}`)
)

// warmPlatform is the warm-up's Platform: the key's state in memory, the fixed answers; the
// routes the warm-up does not take have none.
type warmPlatform struct{ keys warmKeys }

func (p *warmPlatform) Prices() PriceList         { return nil }
func (p *warmPlatform) Keys(string) KeyState      { return &p.keys }
func (p *warmPlatform) Ledger() Ledger            { return nil }
func (p *warmPlatform) Limiter(string) Limiter    { return nil }
func (p *warmPlatform) Transport() core.Transport { return warmTransport{} }
func (p *warmPlatform) Log(string)                {}
func (p *warmPlatform) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	return ReportedDeadline{Context: c, At: time.Now().Add(d)}, cancel
}

type warmTransport struct{}

func (warmTransport) RoundTrip(_ context.Context, req *core.Request) (*core.HTTPResponse, error) {
	body := warmInfo
	if strings.HasSuffix(req.URL, "/login") {
		body = warmLogin
	}
	return &core.HTTPResponse{Status: 200, Header: map[string]string{"content-type": "application/json"}, Body: body}, nil
}

// warmKeys is the warm-up key's state.
type warmKeys struct {
	tok   core.Token
	saved bool
	nonce int64
}

func (k *warmKeys) LoadToken(context.Context, time.Duration) (core.Token, bool, error) {
	return k.tok, k.saved, nil
}

func (k *warmKeys) SaveToken(_ context.Context, tok core.Token, _ time.Time) error {
	k.tok, k.saved = tok, true
	return nil
}

func (k *warmKeys) ReleaseLogin(context.Context) error { return nil }

func (k *warmKeys) DeleteToken(context.Context) error {
	k.saved = false
	return nil
}

func (k *warmKeys) LoadNonce(context.Context) (int64, error) { return k.nonce, nil }

func (k *warmKeys) SaveNonce(_ context.Context, n int64) error {
	k.nonce = max(k.nonce, n)
	return nil
}

func (k *warmKeys) NonceCall(context.Context, *NonceCall) (*NonceResult, error) {
	return &NonceResult{NotSent: "the warm-up sends no nonce"}, nil
}

func (k *warmKeys) Abandon(context.Context, string) (bool, error) { return false, nil }
