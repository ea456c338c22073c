package gateway

import (
	"bytes"
	"context"
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

// keyStore is the core.TokenStore and core.NonceStore of one request's client: tokens come from
// the isolate's cache, else from the key's Durable Object; nonces always from the Durable Object.
type keyStore struct {
	now      func() time.Time
	cache    *tokenCache
	p        Platform
	storeKey string
	state    KeyState
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
	if err != nil || !ok {
		return core.Token{}, false, err
	}
	s.cache.put(key, t)
	return t, true, nil
}

// refreshMargin is how long before its expiry a token is renewed: core's default margin.
const refreshMargin = 60 * time.Second

// fresh reports whether t is usable without renewal, by the rule core applies (the margin is at
// most a tenth of the token's lifetime).
func fresh(t core.Token, now time.Time) bool {
	margin := refreshMargin
	if life := t.ExpiresAt.Sub(t.ObtainedAt); !t.ObtainedAt.IsZero() && life > 0 && life/10 < margin {
		margin = life / 10
	}
	return t.AccessToken != "" && now.Before(t.ExpiresAt.Add(-margin))
}

func (s *keyStore) SaveToken(ctx context.Context, key string, t core.Token) error {
	s.cache.put(key, t)
	return s.keys(key).SaveToken(ctx, t)
}

func (s *keyStore) DeleteToken(ctx context.Context, key string) error {
	s.cache.del(key)
	return s.keys(key).DeleteToken(ctx)
}

func (s *keyStore) LoadNonce(ctx context.Context, key string) (int64, error) {
	return s.keys(key).LoadNonce(ctx)
}

func (s *keyStore) SaveNonce(ctx context.Context, key string, n int64) error {
	return s.keys(key).SaveNonce(ctx, n)
}

// edgeTransport sends requests directly, except nonce-bearing ones in nonce mode, which go
// through the key's sequencer so that they leave one at a time, in nonce order, whichever
// isolate made them.
type edgeTransport struct {
	direct core.Transport
	ks     *keyStore
	nonces bool
}

func (t *edgeTransport) RoundTrip(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
	if t.nonces && t.ks.state != nil && hasNonce(req.Body) {
		return t.ks.state.NonceCall(ctx, req)
	}
	return t.direct.RoundTrip(ctx, req)
}

// hasNonce reports whether a form body has a nonce field.
func hasNonce(body []byte) bool {
	return bytes.HasPrefix(body, []byte("nonce=")) || bytes.Contains(body, []byte("&nonce="))
}

// client returns a core.Client for one request. Clients are cheap (New sends nothing) and are
// never shared between requests: a Go channel or mutex shared by two requests would let one
// request's goroutine run, and start I/O, inside the other request's event, which Workers
// refuse. What must be shared (token, nonce order, one login at a time) is shared through the
// key's Durable Object instead.
func (g *Gateway) client(p Platform) (*core.Client, *Response) {
	if name := g.cfg.missingAPI(); name != "" {
		return nil, errorResponse(503, "not_configured", "the gateway is not configured: set "+name, false)
	}
	ks := &keyStore{now: g.now, cache: &g.tokens, p: p}
	opts := append(g.cfg.clientOptions(),
		core.WithTokenStore(ks),
		core.WithTransport(&edgeTransport{direct: p.Transport(), ks: ks, nonces: g.cfg.Nonces}))
	if g.cfg.Nonces {
		opts = append(opts, core.WithNonces(ks))
	}
	c, err := core.New(opts...)
	if err != nil {
		p.Log("edge: cannot build the API client: " + err.Error())
		return nil, errorResponse(503, "not_configured", "the gateway is misconfigured: "+err.Error(), false)
	}
	if g.cfg.Nonces {
		ks.keys(c.StoreKey()) // the transport needs the sequencer; otherwise the stub is made on first use
	}
	return c, nil
}
