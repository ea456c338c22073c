package gateway

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

// loginLease is how long other isolates wait for the one that is logging in before they log in
// themselves.
const loginLease = 5 * time.Second

// tokenCache is the isolate's copy of the tokens: a cache in front of the key's Durable Object,
// which holds the truth. Losing it (a new isolate) costs one Durable Object read.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]core.Token
}

func (c *tokenCache) get(key string) (core.Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[key]
	return t, ok
}

func (c *tokenCache) put(key string, t core.Token) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]core.Token{}
	}
	c.m[key] = t
	c.mu.Unlock()
}

func (c *tokenCache) del(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

// nonceCache is the isolate's view of each key's nonce mark: the highest nonce it saw the key's
// sequencer send. It is only a floor for the next choice: the sequencer, which stores the mark
// before each request leaves, raises any nonce that is not above the last one sent.
type nonceCache struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *nonceCache) get(key string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *nonceCache) raise(key string, n int64) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	c.m[key] = max(c.m[key], n)
	c.mu.Unlock()
}

// keyStore is the core.TokenStore and core.NonceStore of one request's client: tokens come from
// the isolate's cache, else from the key's Durable Object. Nonces: core chooses one from the
// isolate's view of the mark (no Durable Object call), and the key's sequencer, which sends it,
// raises it above the last one sent and stores it before the request leaves (one Durable Object
// call per nonce-bearing request, edgeTransport).
type keyStore struct {
	now      func() time.Time
	cache    *tokenCache
	nonces   *nonceCache
	p        Platform
	storeKey string
	state    KeyState
	bg       context.Context // the request's own context, for releasing the login lease

	mu     sync.Mutex
	leased bool // this request holds the key's login lease (LoadToken said: log in)
}

func (s *keyStore) keys(key string) KeyState {
	if s.state == nil || s.storeKey != key {
		s.storeKey, s.state = key, s.p.Keys(key)
	}
	return s.state
}

// LoadToken returns the cached token while it is fresh. Near its expiry it asks the key's
// Durable Object, which hands out a fresher token another request saved, or lets exactly one
// caller log in while the others wait for its token: so a token's renewal costs one login,
// not one per request in flight.
func (s *keyStore) LoadToken(ctx context.Context, key string) (core.Token, bool, error) {
	now := s.now()
	if t, ok := s.cache.get(key); ok && fresh(t, now) {
		return t, true, nil
	}
	t, ok, err := s.keys(key).LoadToken(ctx, loginLease)
	if err != nil {
		return core.Token{}, false, err
	}
	if !ok {
		s.mu.Lock()
		s.leased = true // core logs in next; SaveToken or loginFailed ends the lease
		s.mu.Unlock()
		return core.Token{}, false, nil
	}
	s.cache.put(key, t)
	return t, true, nil
}

// refreshMargin is how long before its expiry a token is renewed: core's default margin.
const refreshMargin = 60 * time.Second

// refreshAt is when t needs renewal, by the rule core applies (the margin is at most a tenth of
// the token's lifetime). The Durable Object stores it with the token and compares only times.
func refreshAt(t core.Token) time.Time {
	margin := refreshMargin
	if life := t.ExpiresAt.Sub(t.ObtainedAt); !t.ObtainedAt.IsZero() && life > 0 && life/10 < margin {
		margin = life / 10
	}
	return t.ExpiresAt.Add(-margin)
}

// fresh reports whether t is usable without renewal.
func fresh(t core.Token, now time.Time) bool {
	return t.AccessToken != "" && now.Before(refreshAt(t))
}

func (s *keyStore) SaveToken(ctx context.Context, key string, t core.Token) error {
	s.cache.put(key, t)
	err := s.keys(key).SaveToken(ctx, t, refreshAt(t))
	s.mu.Lock()
	s.leased = false
	s.mu.Unlock()
	return err
}

// loginEvent watches core's attempts (WithLogger): when a login this request was leased fails,
// the lease goes to the next waiter at once instead of running out.
func (s *keyStore) loginEvent(e core.Event) {
	if e.Cmd != "login" || e.Err == nil {
		return
	}
	s.mu.Lock()
	leased := s.leased
	s.leased = false
	s.mu.Unlock()
	if leased && s.state != nil {
		if err := s.state.ReleaseLogin(s.bg); err != nil {
			s.p.Log("edge: could not hand the login lease on: " + err.Error())
		}
	}
}

func (s *keyStore) DeleteToken(ctx context.Context, key string) error {
	s.cache.del(key)
	return s.keys(key).DeleteToken(ctx)
}

// LoadNonce is the isolate's view of the key's mark: a floor for core's choice, which the
// sequencer raises when another isolate's call went first.
func (s *keyStore) LoadNonce(_ context.Context, key string) (int64, error) {
	return s.nonces.get(key), nil
}

// SaveNonce keeps core's choice (or the floor an API error named) in the isolate's view. The
// mark that counts is stored by the sequencer, with the nonce it sends, before it sends it.
func (s *keyStore) SaveNonce(_ context.Context, key string, n int64) error {
	s.nonces.raise(key, n)
	return nil
}

// edgeTransport sends requests directly, except nonce-bearing ones in nonce mode, which go
// through the key's sequencer so that they leave one at a time, in nonce order, whichever
// isolate made them.
type edgeTransport struct {
	direct core.Transport
	ks     *keyStore
	nonces bool

	mu   sync.Mutex
	sent int64 // the highest nonce the sequencer sent (or may have sent) for this request
}

// maxStale bounds how often one call's nonce is raised because other isolates' calls went first.
const maxStale = 8

func (t *edgeTransport) RoundTrip(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
	if !t.nonces || t.ks.state == nil {
		return t.direct.RoundTrip(ctx, req)
	}
	n, at, end, ok := findNonce(req.Body)
	if !ok {
		return t.direct.RoundTrip(ctx, req)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(callTimeout)
	}
	body := req.Body
	created := time.Now()
	for range maxStale {
		if err := ctx.Err(); err != nil {
			return nil, core.NotSent(err)
		}
		call := &NonceCall{ID: "nc_" + randomHex(12), Request: &core.Request{URL: req.URL, Header: req.Header, Body: body}, Nonce: n, At: at, End: end, Deadline: deadline, Exact: req.SameNonce, Created: created, Fence: req.Fence}
		res, err := t.ks.state.NonceCall(ctx, call)
		if err != nil {
			// The caller stopped waiting, or the call to the sequencer failed: ask whether the
			// request left. Only a sequencer that says "never" makes it safe to send again.
			sent, aerr := t.ks.state.Abandon(t.ks.bg, call.ID)
			if aerr == nil && !sent {
				return nil, core.NotSent(wrapErr("not sent (the key's sequencer had not sent it yet): ", err))
			}
			t.markSent(n)
			return nil, err
		}
		if res.Nonce > 0 {
			n = res.Nonce // the sequencer raised it above the last one sent
		}
		switch {
		case res.Response != nil:
			t.markSent(n)
			return res.Response, nil
		case res.NotSent != "":
			return nil, core.NotSent(errors.New("not sent: " + res.NotSent))
		case res.SendError != "":
			t.markSent(n)
			return nil, errors.New(res.SendError)
		}
		// Another isolate's call got a higher nonce to the API first: choose a new one above it,
		// by core's rule (spec §4: max(last + 1, unix ms)), store the mark, and queue again.
		n = core.NextNonce(max(res.Stale, n), time.Now())
		if err := t.ks.state.SaveNonce(ctx, n); err != nil {
			return nil, core.NotSent(wrapErr("cannot save the nonce, nothing was sent: ", err))
		}
		body = spliceNonce(body, at, end, n)
		end = at + len(strconv.FormatInt(n, 10))
	}
	return nil, core.NotSent(errors.New("not sent: the nonce kept being overtaken by other calls of this key"))
}

func (t *edgeTransport) markSent(n int64) {
	t.mu.Lock()
	t.sent = max(t.sent, n)
	t.mu.Unlock()
	t.ks.nonces.raise(t.ks.storeKey, n)
}

// sentNonce is the highest nonce this request's calls carried when they left.
func (t *edgeTransport) sentNonce() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sent
}

// findNonce finds the nonce field of a form body (as core encodes it: digits only) and returns
// its value and the byte range of the digits.
func findNonce(body []byte) (n int64, at, end int, ok bool) {
	switch {
	case bytes.HasPrefix(body, []byte("nonce=")):
		at = len("nonce=")
	default:
		i := bytes.Index(body, []byte("&nonce="))
		if i < 0 {
			return 0, 0, 0, false
		}
		at = i + len("&nonce=")
	}
	end = at
	for end < len(body) && body[end] >= '0' && body[end] <= '9' {
		end++
	}
	if end == at || (end < len(body) && body[end] != '&') {
		return 0, 0, 0, false
	}
	n, err := strconv.ParseInt(string(body[at:end]), 10, 64)
	return n, at, end, err == nil
}

func spliceNonce(body []byte, at, end int, n int64) []byte {
	out := make([]byte, 0, len(body)+8)
	out = append(out, body[:at]...)
	out = strconv.AppendInt(out, n, 10)
	return append(out, body[end:]...)
}

// apiClient is one request's core.Client with its transport (which knows the nonces it sent).
type apiClient struct {
	*core.Client
	tr *edgeTransport
}

// client returns a core.Client for one request, derived from the base client (a copy of its
// checked configuration: no parse; its stores, transport and logger replaced, so the two share
// no state). Clients are never shared between requests: a Go channel or mutex shared by two
// requests would let one request's goroutine run, and start I/O, inside the other request's
// event, which Workers refuse. What must be shared (token, nonce order, one login at a time) is
// shared through the key's Durable Object instead. ctx is the request's own context; r.Upstream
// bounds API calls.
func (g *Gateway) client(ctx context.Context, p Platform, r *Request) (*apiClient, *Response) {
	if name := g.cfg.missingAPI(); name != "" {
		return nil, notConfiguredAPI(name)
	}
	ks := &keyStore{now: g.now, cache: &g.tokens, nonces: &g.nonces, p: p, bg: ctx}
	tr := &edgeTransport{direct: p.Transport(), ks: ks, nonces: g.cfg.Nonces}
	base, err := g.baseClient()
	var c *core.Client
	if err == nil {
		opts := []core.Option{core.WithTokenStore(ks), core.WithTransport(tr), core.WithLogger(ks.loginEvent)}
		if g.cfg.Nonces {
			opts = append(opts, core.WithNonces(ks))
		}
		c, err = base.Derive(opts...)
	}
	if err != nil {
		p.Log("edge: cannot build the API client: " + err.Error())
		return nil, errorResponse(503, "not_configured", "the gateway is misconfigured: "+misconfigured(err), false)
	}
	ks.keys(c.StoreKey()) // the transport and the lease need the key's state
	return &apiClient{Client: c, tr: tr}, nil
}

// misconfigured says what is wrong with the configuration core refused, by variable: the API URL
// is WALLEX_API_URL, and plain http to a host that is not loopback has no opt-in here (core's text
// names the CLI's --insecure-http).
func misconfigured(err error) string {
	var ve *core.ValidationError
	if !errors.As(err, &ve) || ve.Field != "API URL" {
		return err.Error()
	}
	if strings.HasPrefix(ve.Problem, core.PlainHTTPProblem) {
		return "invalid API URL (" + EnvAPIURL + "): " + core.PlainHTTPProblem + ": use https (plain http only to a sandbox on this machine, such as http://127.0.0.1:8787/api)"
	}
	return "invalid API URL (" + EnvAPIURL + "): " + ve.Problem
}

// baseClient returns the client every request's client derives from (core.Client.Derive): the
// configuration's options, checked once. Its own transport is never used (each request's client
// has its own).
func (g *Gateway) baseClient() (*core.Client, error) {
	g.baseOnce.Do(func() {
		// The client's timeout is the upstream timeout: how long any unsafe call of this gateway
		// can have been on its way, which reconcile adds to a sent time when no deadline is known.
		g.base, g.baseErr = core.New(append(g.cfg.clientOptions(g.cfg.UpstreamTimeout), core.WithTransport(noTransport))...)
	})
	return g.base, g.baseErr
}

// noTransport is the base client's transport: never used, and nothing sent if it were.
var noTransport = core.TransportFunc(func(context.Context, *core.Request) (*core.HTTPResponse, error) {
	return nil, core.NotSent(errors.New("internal error: the gateway's base client sends nothing"))
})

// wrapErr is fmt.Errorf(prefix+"%w", err) without package fmt, which would add about 0.1 MB
// (gzip) to the Worker.
func wrapErr(prefix string, err error) error { return &wrappedError{prefix + err.Error(), err} }

type wrappedError struct {
	text string
	err  error
}

func (e *wrappedError) Error() string { return e.text }
func (e *wrappedError) Unwrap() error { return e.err }
