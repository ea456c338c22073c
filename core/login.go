package core

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/wallexkit/wallexkit/internal/errtext"
	"github.com/wallexkit/wallexkit/internal/timetext"
)

// Login logs in now, even if a valid token is cached, and returns the new token. Concurrent
// logins of one client share one request.
func (c *Client) Login(ctx context.Context) (Token, error) {
	if c.cfg.staticToken != "" {
		return Token{}, &ValidationError{Field: "login", Problem: "this client uses a static gateway token and never logs in"}
	}
	c.mu.Lock()
	stale := c.token.AccessToken
	c.mu.Unlock()
	if stale == "" {
		stale = "\x00force"
	}
	return c.sharedLogin(ctx, stale, true)
}

// Logout forgets the token in memory and in the token store. The API has no logout call; the
// token simply expires on the server.
func (c *Client) Logout(ctx context.Context) error {
	c.mu.Lock()
	c.token = Token{}
	c.mu.Unlock()
	return c.cfg.tokens.DeleteToken(ctx, c.storeKey)
}

// Session returns the current token if one is cached and not expired.
func (c *Client) Session(ctx context.Context) (Token, bool) {
	if c.cfg.staticToken != "" {
		return Token{AccessToken: c.cfg.staticToken}, true
	}
	tok, err := c.cachedToken(ctx)
	if err != nil || tok.AccessToken == "" || (!tok.ExpiresAt.IsZero() && !c.cfg.now().Before(tok.ExpiresAt)) {
		return Token{}, false
	}
	return tok, true
}

func (c *Client) cachedToken(ctx context.Context) (Token, error) {
	c.mu.Lock()
	tok := c.token
	c.mu.Unlock()
	if tok.AccessToken != "" {
		return tok, nil
	}
	t, ok, err := c.cfg.tokens.LoadToken(ctx, c.storeKey)
	if err != nil {
		return Token{}, errtext.Prefix("wallex: cannot read the token store: ", err)
	}
	// another key pair's token (a client given a wrong private key for this public key, in a
	// store shared with a client of the right one): not this client's to use; it logs in
	if !ok || c.owner != "" && t.Owner != c.owner {
		return Token{}, nil
	}
	c.mu.Lock()
	if c.token.AccessToken == "" {
		c.token = t
	}
	tok = c.token
	c.mu.Unlock()
	return tok, nil
}

// fresh reports whether a cached token can still be used: until a margin before expiry, the
// margin being the configured one but at most a tenth of the token's lifetime.
func (c *Client) fresh(t Token) bool {
	if t.AccessToken == "" {
		return false
	}
	if t.ExpiresAt.IsZero() {
		return true // expiry unknown (a skewed clock at login): used until the server refuses it
	}
	margin := c.cfg.refreshMargin
	if !t.ObtainedAt.IsZero() {
		if life := t.ExpiresAt.Sub(t.ObtainedAt); life > 0 && life/10 < margin {
			margin = life / 10
		}
	}
	return c.cfg.now().Before(t.ExpiresAt.Add(-margin))
}

// currentToken returns a usable token, logging in when there is none, it is near expiry, or it is
// the one the server just refused (stale).
func (c *Client) currentToken(ctx context.Context, stale string) (Token, error) {
	if c.cfg.staticToken != "" {
		return Token{AccessToken: c.cfg.staticToken}, nil
	}
	tok, err := c.cachedToken(ctx)
	if err != nil {
		return Token{}, err
	}
	if tok.AccessToken != "" && tok.AccessToken != stale && c.fresh(tok) {
		return tok, nil
	}
	if stale == "" {
		stale = tok.AccessToken
		if stale == "" {
			stale = "\x00none"
		}
	}
	return c.sharedLogin(ctx, stale, false)
}

// sharedLogin makes sure at most one login per client is in flight. A caller whose token is
// stale either joins the login in progress or starts one; a caller that finds a newer token
// than its stale one uses it.
func (c *Client) sharedLogin(ctx context.Context, stale string, force bool) (Token, error) {
	c.mu.Lock()
	if !force && c.token.AccessToken != "" && c.token.AccessToken != stale && c.fresh(c.token) {
		t := c.token
		c.mu.Unlock()
		return t, nil
	}
	lc := c.inflight
	if lc == nil {
		lc = &loginCall{done: make(chan struct{})}
		c.inflight = lc
		go c.runLogin(lc)
	}
	c.mu.Unlock()
	select {
	case <-lc.done:
		return lc.tok, lc.err
	case <-ctx.Done():
		return Token{}, errtext.Prefix("wallex login: ", ctx.Err())
	}
}

// runLogin performs the login detached from any one caller's context, so that one caller giving
// up does not fail the others waiting for it.
func (c *Client) runLogin(lc *loginCall) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.timeout)
	defer cancel()
	tok, err := c.login(ctx)
	tok.Owner = c.owner
	if err == nil {
		if serr := c.cfg.tokens.SaveToken(ctx, c.storeKey, tok); serr != nil {
			err = errtext.Prefix("wallex login: cannot save the token: ", serr)
		}
	}
	c.mu.Lock()
	if err == nil {
		c.token = tok
		c.red.setToken(tok.AccessToken)
	}
	c.inflight = nil
	c.mu.Unlock()
	lc.tok, lc.err = tok, err
	close(lc.done)
}

// login sends the login request, retrying transport errors and 5xx like a read (a login moves
// nothing).
func (c *Client) login(ctx context.Context) (Token, error) {
	if c.cfg.privateKey == "" {
		return Token{}, &ValidationError{Field: "private key", Problem: "is empty: give the API private key to log in"}
	}
	var f formBuilder
	f.add("version", "1")
	f.add("cmd", "login")
	f.add("publickey", c.cfg.publicKey)
	f.add("privatekey", c.cfg.privateKey)
	req := &Request{URL: c.commandURL("login"), Header: c.headers(""), Body: f.b}
	req.Header["Accept"] = "application/json"
	for attempt := 1; ; attempt++ {
		start := time.Now()
		hr, err := c.cfg.transport.RoundTrip(ctx, req)
		c.ahead.observe(hr, c.cfg.now())
		tok, retry, lerr := c.judgeLogin(hr, err)
		status := 0
		if hr != nil {
			status = hr.Status
		}
		c.log(Event{Cmd: "login", Attempt: attempt, HTTPStatus: status, Duration: time.Since(start), Err: lerr})
		if lerr == nil || !retry || attempt > c.cfg.maxRetries || ctx.Err() != nil {
			return tok, lerr
		}
		if c.cfg.sleep(ctx, c.delay(attempt, lerr)) != nil {
			return tok, lerr
		}
	}
}

func (c *Client) judgeLogin(hr *HTTPResponse, err error) (Token, bool, error) {
	if err != nil {
		return Token{}, true, &TransportError{Cmd: "login", Err: c.red.err(err)}
	}
	if hr.Status == 429 {
		msg := errorText(hr.Body)
		return Token{}, true, &RateLimitError{Cmd: "login", Message: c.red.text(msg), HTTPStatus: 429, RetryAfter: retryAfter(hr.Header["retry-after"])}
	}
	if hr.Status >= 500 {
		return Token{}, true, &TransportError{Cmd: "login", HTTPStatus: hr.Status, Err: errors.New("server error"), Excerpt: c.red.excerpt(hr.Body)}
	}
	if !gjson.ValidBytes(hr.Body) || !gjson.ParseBytes(hr.Body).IsObject() {
		return Token{}, hr.Status >= 500, &TransportError{Cmd: "login", HTTPStatus: hr.Status, Err: notJSON(hr.Status), Excerpt: c.red.excerpt(hr.Body)}
	}
	root := gjson.ParseBytes(hr.Body)
	succ := root.Get("success")
	access := root.Get("result.access_token").String()
	ok := (succ.Type == gjson.True || (succ.Type == gjson.String && strings.EqualFold(succ.Str, "true"))) && strings.TrimSpace(access) != ""
	if !ok {
		msg := root.Get("message").String()
		if msg == "" {
			msg = root.Get("error").String()
		}
		if msg == "" {
			msg = "login refused"
		}
		// Never echo what the server may have reflected of the private key.
		ae := &AuthError{Cmd: "login", Message: c.red.text(msg), HTTPStatus: hr.Status}
		if _, gateway := GatewayCloseURL(c.base); gateway {
			// a wallexkit edge gateway's URL: it holds the key pair itself, and takes its own token
			ae.Hint = "this API URL looks like a wallexkit edge gateway (…/v1/call), which holds the API keys itself: connect with one of its gateway tokens (npm: gatewayToken; Go: core.WithStaticToken), not a key pair"
		}
		return Token{}, false, ae
	}
	now := c.cfg.now()
	exp, err := parseExpiry(root.Get("result.expires_at"), c.cfg.expiryLoc)
	if err != nil {
		return Token{}, false, &TransportError{Cmd: "login", HTTPStatus: hr.Status, Err: errors.New("login answer has an unreadable expires_at: " + errtext.Of(err))}
	}
	if !exp.After(now) {
		// Expired on arrival by this machine's clock: the server's clock (or the zone it writes
		// expires_at in) differs from ours. The token is new, so its expiry is simply unknown:
		// use it until the server refuses it (a 401 logs in again once, spec §2), instead of
		// logging in before every call or calling the session locked.
		exp = time.Time{}
	}
	return Token{AccessToken: access, ExpiresAt: exp, ObtainedAt: now}, false, nil
}

func parseExpiry(v gjson.Result, loc *time.Location) (time.Time, error) {
	switch v.Type {
	case gjson.Number:
		return time.Unix(v.Int(), 0).UTC(), nil
	case gjson.String:
		s := strings.TrimSpace(v.Str)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), nil
		}
		for _, layout := range [...]timetext.Layout{timetext.Space, timetext.RFC3339, timetext.T} {
			if t, err := timetext.Parse(layout, s, loc); err == nil {
				return t, nil
			}
		}
		return time.Time{}, errors.New(errtext.Q(clip(s, 40)) + " is not a time like 2020-08-16 13:28:32")
	}
	return time.Time{}, errors.New("missing")
}
