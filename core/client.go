package core

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/wallexkit/wallexkit/internal/errtext"
)

// Client calls the Wallex Pay merchant API with one key pair. It is safe for concurrent use.
// Create it with New.
type Client struct {
	cfg      config
	base     string // API base URL without trailing slash
	storeKey string // identifies base URL + public key in token and nonce stores
	owner    string // TokenOwner of the key pair: the tokens this client may take from its store
	red      *redactor

	mu       sync.Mutex
	token    Token // cached; the token store is the truth
	inflight *loginCall

	nonceTurn  chan struct{} // one nonce-bearing call in flight (FIFO: Go channel waiters are queued in order)
	nonceLast  int64         // highest nonce this client used (a cache of the store)
	nonceSaved int64         // the mark this client last saved (above nonceLast with WithNonceReserve)

	ahead clockAhead // how far this machine's clock is ahead of the API's (its answers' Date)
}

type loginCall struct {
	done chan struct{}
	tok  Token
	err  error
}

// New checks the options and returns a Client. It sends nothing.
func New(opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	return newClient(cfg, nil)
}

// Derive returns a new Client with c's options and opts applied after them: New's checks, on
// what opts change. Its cached token, its login in flight, its turn for nonce-bearing calls and
// the tokens its redactor learns are its own (its nonce-bearing calls still go one at a time with
// c's and the other derived clients' when their nonce store is a NonceLocker, as MemoryStore and
// the filestore are); its transport and its stores are c's unless opts
// replace them (the memory token store New gives c by default included: pass WithTokenStore for
// a store of its own). It is for a host that needs a client per request, such as the edge
// gateway: what New checked of c is not checked again unless opts change it (parsing the API URL
// is most of New's cost).
func (c *Client) Derive(opts ...Option) (*Client, error) {
	cfg := c.cfg
	for _, o := range opts {
		o(&cfg)
	}
	return newClient(cfg, c)
}

// newClient checks cfg and returns its Client; from, when not nil, is a client whose
// configuration passed these checks (Derive).
func newClient(cfg config, from *Client) (*Client, error) {
	if cfg.transport == nil {
		return nil, &ValidationError{Field: "transport", Problem: "not set: use wallexkit.New(publicKey, privateKey) in a native program (it wires net/http), or pass core.WithTransport(nethttp.New(nil)), or wasm/fetch under GOOS=js"}
	}
	if cfg.publicKey == "" && cfg.staticToken == "" {
		return nil, &ValidationError{Field: "public key", Problem: "is empty: set the API public key (WALLEX_PUBLIC_KEY)"}
	}
	if strings.TrimSpace(cfg.publicKey) != cfg.publicKey {
		return nil, &ValidationError{Field: "public key", Problem: "has leading or trailing spaces or a line break: remove them"}
	}
	if strings.TrimSpace(cfg.privateKey) != cfg.privateKey {
		return nil, &ValidationError{Field: "private key", Problem: "has leading or trailing spaces or a line break (often pasted by accident): remove them"}
	}
	var base string
	if from != nil && cfg.apiURL == from.cfg.apiURL && cfg.insecureHTTP == from.cfg.insecureHTTP {
		base = from.base
	} else {
		var err error
		if base, err = checkBaseURL(cfg.apiURL, cfg.insecureHTTP); err != nil {
			return nil, err
		}
	}
	if cfg.closeURL != "" {
		if cfg.staticToken == "" {
			return nil, &ValidationError{Field: "gateway close URL", Problem: "is for a gateway client: it needs a static token (WithStaticToken)"}
		}
		u, err := checkBaseURL(cfg.closeURL, cfg.insecureHTTP)
		if err != nil {
			return nil, err
		}
		cfg.closeURL = u
	}
	switch cfg.format {
	case "json":
		cfg.wireToJSON = nil
	case "xml":
		if cfg.wireToJSON == nil {
			return nil, &ValidationError{Field: "format", Value: "xml", Problem: "needs a decoder: use core.WithWireFormat(\"xml\", xmlwire.ToJSON)"}
		}
	default:
		return nil, &ValidationError{Field: "format", Value: cfg.format, Problem: "must be json or xml"}
	}
	if cfg.tokens == nil {
		cfg.tokens = NewMemoryStore()
	}
	if cfg.timeout <= 0 {
		return nil, &ValidationError{Field: "timeout", Value: cfg.timeout.String(), Problem: "must be positive"}
	}
	if cfg.maxRetries < 0 {
		cfg.maxRetries = 0
	}
	c := &Client{
		cfg:       cfg,
		base:      base,
		storeKey:  storeKeyOf(base, cfg.publicKey),
		owner:     TokenOwner(cfg.publicKey, cfg.privateKey),
		nonceTurn: make(chan struct{}, 1),
	}
	if from != nil && cfg.privateKey == from.cfg.privateKey && cfg.staticToken == from.cfg.staticToken {
		c.red = from.red.configured()
	} else {
		c.red = newRedactor(cfg.privateKey, strings.TrimPrefix(cfg.staticToken, "Bearer "))
	}
	return c, nil
}

// CheckAPIURL reports whether raw can be an API base URL, by the rule New applies: absolute,
// no query, fragment or credentials, https (or http to a loopback host unless insecure is set).
// It returns the URL without a trailing slash.
func CheckAPIURL(raw string, insecure bool) (string, error) { return checkBaseURL(raw, insecure) }

func checkBaseURL(raw string, insecure bool) (string, error) {
	return checkBaseURLWith(raw, insecure, parseBaseURL)
}

// PlainHTTPProblem starts the problem of an API URL that uses plain http to a host that is not
// loopback; core's text ends it with the CLI's flag and the Go option, and a tool with an opt-in
// of its own (the bridge's configure, the gateway's variable) ends it with its own words.
const PlainHTTPProblem = "uses plain http to a host that is not loopback, which would send keys and tokens unencrypted"

func checkBaseURLWith(raw string, insecure bool, parse func(string) (baseURL, bool)) (string, error) {
	u, ok := parse(raw)
	if !ok || u.host == "" {
		return "", &ValidationError{Field: "API URL", Value: raw, Problem: "is not an absolute URL (it needs https:// and a host name): use e.g. https://wallexpay.io/api, or http://127.0.0.1:8787/api for the local sandbox"}
	}
	if u.query || u.fragment {
		return "", &ValidationError{Field: "API URL", Value: raw, Problem: "must not have a query or fragment"}
	}
	if u.user {
		return "", &ValidationError{Field: "API URL", Value: u.redacted, Problem: "must not carry credentials"}
	}
	switch u.scheme {
	case "https":
	case "http":
		if !insecure && !IsLoopbackHost(u.hostname) {
			return "", &ValidationError{Field: "API URL", Value: raw, Problem: PlainHTTPProblem + ": use https, or opt in with --insecure-http (core.WithInsecureHTTP)"}
		}
	default:
		return "", &ValidationError{Field: "API URL", Value: raw, Problem: "scheme must be https (or http for loopback)"}
	}
	return strings.TrimRight(u.text, "/"), nil
}

// IsLoopbackHost reports whether host is localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	return isLoopbackIP(strings.Trim(host, "[]"))
}

// APIURL returns the base URL the client calls.
func (c *Client) APIURL() string { return c.base }

// PublicKey returns the API public key.
func (c *Client) PublicKey() string { return c.cfg.publicKey }

// StoreKey is the key under which the client keeps its token and nonce in the stores.
func (c *Client) StoreKey() string { return c.storeKey }

// storeKeyOf is the store key of an API base URL and a public key: "URL|public key".
func storeKeyOf(base, publicKey string) string { return base + "|" + publicKey }

// SplitStoreKey is the API URL and the public key of a store key (StoreKey, a PendingOpError's
// StoreKey), cut at its first "|"; ok is false when there is none (an empty key).
func SplitStoreKey(key string) (apiURL, publicKey string, ok bool) { return strings.Cut(key, "|") }

// Response is a successful answer (error == "ok").
type Response struct {
	Cmd        string
	HTTPStatus int
	Body       []byte // the body as received (JSON or XML)
	JSON       []byte // the body as JSON (== Body for json)
	Result     Value  // the `result` member
	// op is the operation as sent (a money or unsafe command): its id, nonce, send time and
	// deadline, for an outcome unknown of one part of the answer (a mass withdrawal's payout)
	op Op
}

// Command classes decide what may be resent.
type cmdClass uint8

const (
	classUnsafe cmdClass = iota // not idempotent: never resent once it may have arrived
	classRead                   // idempotent: retried on transport errors, 5xx and 429
	classMoney                  // moves funds: never resent once it may have arrived
)

// IsMoneyCommand reports whether cmd moves funds (spec §7.3).
func IsMoneyCommand(cmd string) bool { return classify(cmd) == classMoney }

// IsReadCommand reports whether cmd only reads and may be retried freely.
func IsReadCommand(cmd string) bool { return classify(cmd) == classRead }

// classify is the one list of read and money commands (a switch, not maps: no code at start-up).
func classify(cmd string) cmdClass {
	switch cmd {
	case "create_transfer", "create_withdrawal", "create_mass_withdrawal", "convert":
		return classMoney
	case "get_basic_info", "balances", "get_deposit_address", "rates",
		"get_tx_info", "get_tx_info_multi", "get_tx_ids",
		"get_withdrawal_history", "get_withdrawal_info", "get_conversion_info",
		"get_pbn_info", "get_pbn_list":
		return classRead
	}
	return classUnsafe
}

func validCmd(cmd string) bool {
	if cmd == "" || len(cmd) > 64 {
		return false
	}
	for i := 0; i < len(cmd); i++ {
		ch := cmd[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

// Call sends one command with the given fields and returns the decoded answer. Errors are
// *ValidationError, *APIError, *AuthError, *PermissionError, *NonceError, *RateLimitError,
// *TransportError, *OutcomeUnknownError, or a context error while waiting.
func (c *Client) Call(ctx context.Context, cmd string, fields Fields) (*Response, error) {
	if !validCmd(cmd) {
		return nil, &ValidationError{Field: "cmd", Value: clip(cmd, 64), Problem: "must be a command name of lower-case letters, digits and '_', e.g. balances"}
	}
	if cmd == "login" {
		return nil, &ValidationError{Field: "cmd", Value: cmd, Problem: "use Login, not Call, to log in"}
	}
	for k := range fields {
		if k == "" {
			return nil, &ValidationError{Field: "fields", Problem: "a field has an empty name"}
		}
		if isReserved(k) {
			return nil, &ValidationError{Field: k, Problem: "is set by the client; remove it from the fields (use the client's options instead)"}
		}
	}
	if c.cfg.moneyNonces && c.cfg.nonces == nil && IsMoneyCommand(cmd) {
		return nil, &ValidationError{Problem: "nonces are off here, and money leaves a browser only with nonces: " +
			"Chromium may send a request a second time by itself when a connection drops, and only a nonce makes the API refuse the copy. " +
			"Turn nonces on (reads work either way); nothing was sent"}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.timeout)
		defer cancel()
	}
	if c.cfg.nonces != nil {
		select {
		case c.nonceTurn <- struct{}{}:
		case <-ctx.Done():
			return nil, errtext.Prefix("wallex "+cmd+": gave up waiting for the previous nonce call, nothing was sent: ", ctx.Err())
		}
		defer func() { <-c.nonceTurn }()
		// Other clients and processes using the same nonce store (a MemoryStore, a file) take
		// turns with us too: the lock is held for the whole request, not only while the nonce is
		// chosen (spec §4).
		if l, ok := c.cfg.nonces.(NonceLocker); ok {
			unlock, err := l.LockNonce(ctx, c.storeKey)
			if err != nil {
				if ctx.Err() != nil {
					return nil, errtext.Prefix("wallex "+cmd+": gave up waiting for another client's or process's nonce call, nothing was sent: ", ctx.Err())
				}
				return nil, errtext.Prefix("wallex "+cmd+": cannot lock the nonce store, nothing was sent: ", err)
			}
			defer unlock()
		}
	}
	return c.do(ctx, cmd, fields)
}

// NonceLocker is implemented by a NonceStore that several processes share (a file): the client
// holds its lock for the whole of each nonce-bearing request, so that one key has one such
// request in flight across every process (spec §4), and the nonce it chose is above any other
// process's.
type NonceLocker interface {
	// LockNonce blocks until the lock for key is held or ctx is done.
	LockNonce(ctx context.Context, key string) (unlock func(), err error)
}

func (c *Client) do(ctx context.Context, cmd string, fields Fields) (res *Response, err error) {
	class := classify(cmd)
	rec, err := c.beginOp(ctx, cmd, class, fields)
	if err != nil {
		return nil, err
	}
	defer func() { rec.finish(ctx, res, err) }()
	var (
		relogged     bool
		nonceRetried bool
		retries      int
		staleToken   string
		sameNonce    int64 // > 0: the next attempt reuses this nonce (a money command after a 401)
		refused401   error // a copy of this non-read request was answered 401: it may have landed
	)
	// the context's deadline on the client's clock (WithClock), the one its send time is read
	// from: an in-flight wait counts from both
	var deadline time.Time
	if dl, ok := ctx.Deadline(); ok {
		deadline = c.cfg.now().Add(time.Until(dl))
	}
	// stopped is the error of an attempt that stops before it is sent: after a 401 of a non-read
	// request an outcome unknown (the 401 did not prove that no copy landed), never "refused".
	stopped := func(err error) error {
		if refused401 == nil {
			return err
		}
		return rec.stamp(c.unknown(cmd, fields, 401, refused401))
	}
	for attempt := 1; ; attempt++ {
		tok, err := c.currentToken(ctx, staleToken)
		if err != nil {
			return nil, stopped(err)
		}
		body, nonce, err := c.encode(ctx, cmd, fields, sameNonce)
		if err != nil {
			return nil, stopped(err)
		}
		req := &Request{URL: c.commandURL(cmd), Header: c.headers(tok.AccessToken), Body: body, Fence: isFence(ctx), SameNonce: sameNonce > 0 && nonce == sameNonce}
		sameNonce = 0
		if c.cfg.staticToken != "" && class != classRead && rec.op.ID != "" {
			// Through a gateway (which orders the API's nonces itself) the operation id is the
			// idempotency key: a copy of this request, resent by a browser or a proxy, gets the
			// first one's answer (or "in progress") instead of moving money again.
			req.Header["Idempotency-Key"] = rec.op.ID
		}
		start := time.Now()
		if err := rec.sending(ctx, nonce, c.cfg.now(), deadline); err != nil {
			return nil, stopped(err)
		}
		hr, err := c.cfg.transport.RoundTrip(ctx, req)
		c.ahead.observe(hr, c.cfg.now())
		res, next, cerr := c.judge(ctx, cmd, class, fields, hr, err)
		cerr = rec.stamp(cerr)
		status := 0
		if hr != nil {
			status = hr.Status
		}
		c.log(Event{Cmd: cmd, Attempt: attempt, HTTPStatus: status, Duration: time.Since(start), Err: cerr})
		if refused401 != nil && cerr != nil && next != backoff && !asOutcomeUnknown(cerr, new(*OutcomeUnknownError)) {
			// A resend after a 401 that ends in any other error leaves the first copy's outcome
			// open: it may have been carried out.
			return nil, stopped(cerr)
		}
		switch next {
		case done:
			if res != nil {
				res.op = rec.op
			}
			return res, cerr
		case relogin:
			if c.cfg.staticToken != "" && class != classRead {
				// Through a gateway there is no login to try again, and the 401 does not prove
				// that no copy landed: the first copy may have been carried out while the token
				// was valid, and a copy resent by the HTTP stack, a proxy or the caller (same
				// Idempotency-Key) met the token removed or rotated (the gateway checks the token
				// before the key's stored answer). Recorded as refused, the same payment sent
				// again after connecting with a new token would pass every check.
				return nil, rec.stamp(c.unknown(cmd, fields, 401, cerr))
			}
			if relogged || c.cfg.staticToken != "" {
				return nil, cerr
			}
			relogged = true
			staleToken = tok.AccessToken
			if class != classRead {
				// A 401 says the API refused this copy; it does not say no other copy got
				// through: an HTTP stack that resent the request by itself (Chromium does, when a
				// reused connection drops) may have delivered the first one before the token
				// expired. Sent again with the same nonce, the request is carried out at most
				// once: if a copy was carried out, the API refuses the nonce, and that refusal is
				// an outcome unknown, never a third send. A payment (create_transaction) is no
				// different from a withdrawal here. Without a nonce nothing makes a second copy
				// safe: the outcome is unknown, and reconcile settles it.
				refused401 = cerr
				if nonce == 0 {
					return nil, stopped(nil)
				}
				sameNonce = nonce
			}
			continue
		case renonce:
			if nonceRetried {
				return nil, cerr
			}
			nonceRetried = true
			continue
		case backoff:
			if retries >= c.cfg.maxRetries {
				return nil, stopped(cerr)
			}
			retries++
			if err := c.cfg.sleep(ctx, c.delay(retries, cerr)); err != nil {
				return nil, stopped(cerr)
			}
			if refused401 != nil {
				sameNonce = nonce // still only the first copy's nonce: never a second operation
			}
			continue
		}
	}
}

type verdict uint8

const (
	done verdict = iota
	relogin
	renonce
	backoff
)

// judge turns one round trip into a result, an error, and what to do next.
func (c *Client) judge(ctx context.Context, cmd string, class cmdClass, fields Fields, hr *HTTPResponse, err error) (*Response, verdict, error) {
	if err != nil {
		if ctx.Err() != nil && IsNotSent(err) {
			return nil, done, ctx.Err()
		}
		te := &TransportError{Cmd: cmd, Err: c.red.err(err)}
		if class != classRead && !IsNotSent(err) {
			return nil, done, c.unknown(cmd, fields, 0, te)
		}
		if ctx.Err() != nil {
			return nil, done, te
		}
		return nil, backoff, te
	}
	switch {
	case hr.Status == 401:
		msg := errorText(hr.Body)
		if msg == "" {
			msg = "HTTP 401"
		}
		ae := &AuthError{Cmd: cmd, Message: c.red.text(msg), HTTPStatus: 401}
		if c.cfg.staticToken != "" {
			ae.Hint = "the gateway refused its token: check the gateway token"
		}
		return nil, relogin, ae
	case hr.Status == 429:
		msg := errorText(hr.Body)
		if msg == "" {
			msg = "HTTP 429"
		}
		e := &RateLimitError{Cmd: cmd, Message: c.red.text(msg), HTTPStatus: 429, RetryAfter: retryAfter(hr.Header["retry-after"])}
		if class == classRead {
			return nil, backoff, e
		}
		return nil, done, e // refused before it ran: safe, but not ours to hammer
	case hr.Status >= 500:
		te := &TransportError{Cmd: cmd, HTTPStatus: hr.Status, Err: errors.New("server error"), Excerpt: c.red.excerpt(hr.Body)}
		if msg := errorText(hr.Body); msg != "" {
			te.Err = errors.New(c.red.text(msg))
			te.Excerpt = ""
		}
		if class != classRead {
			return nil, done, c.unknown(cmd, fields, hr.Status, te)
		}
		return nil, backoff, te
	}
	jsonBody := hr.Body
	if c.cfg.wireToJSON != nil {
		j, err := c.cfg.wireToJSON(hr.Body)
		if err != nil {
			te := &TransportError{Cmd: cmd, HTTPStatus: hr.Status, Err: errors.New("answer is not valid " + c.cfg.format + ": " + errtext.Of(err)), Excerpt: c.red.excerpt(hr.Body)}
			return c.badBody(cmd, class, fields, hr.Status, te)
		}
		jsonBody = j
	}
	if !gjson.ValidBytes(jsonBody) || !gjson.ParseBytes(jsonBody).IsObject() {
		te := &TransportError{Cmd: cmd, HTTPStatus: hr.Status, Err: notJSON(hr.Status), Excerpt: c.red.excerpt(hr.Body)}
		return c.badBody(cmd, class, fields, hr.Status, te)
	}
	root := gjson.ParseBytes(jsonBody)
	ev := root.Get("error")
	if !ev.Exists() {
		te := &TransportError{Cmd: cmd, HTTPStatus: hr.Status, Err: errors.New(`answer has no "error" field`), Excerpt: c.red.excerpt(hr.Body)}
		return c.badBody(cmd, class, fields, hr.Status, te)
	}
	if ev.String() == "ok" {
		if hr.Status < 200 || hr.Status > 299 {
			te := &TransportError{Cmd: cmd, HTTPStatus: hr.Status, Err: errors.New(`"ok" answer with an unexpected HTTP status`)}
			return c.badBody(cmd, class, fields, hr.Status, te)
		}
		res := &Response{Cmd: cmd, HTTPStatus: hr.Status, Body: hr.Body, JSON: jsonBody, Result: Value{r: root.Get("result")}}
		if err := unreadableAnswer(cmd, res.Result); err != nil {
			// The API acted ("ok"), but the answer does not say what it made: an outcome unknown of
			// this operation (its record too), which reconcile settles, never a success to go on with.
			te := &TransportError{Cmd: cmd, HTTPStatus: hr.Status, Err: err, Excerpt: c.red.excerpt(hr.Body)}
			return c.badBody(cmd, class, fields, hr.Status, te)
		}
		return res, done, nil
	}
	if class != classRead && !clearRefusal(ev, root.Get("result")) {
		// A refusal says what was refused, and made nothing. An empty or non-text "error", or a
		// refusal whose answer carries a result (an id: what it made), cannot be told from the
		// API having acted: an outcome unknown that reconcile settles, never "refused, send again".
		te := &TransportError{Cmd: cmd, HTTPStatus: hr.Status, Err: errors.New(`answer is neither "ok" nor a plain refusal`), Excerpt: c.red.excerpt(hr.Body)}
		return c.badBody(cmd, class, fields, hr.Status, te)
	}
	msg := c.red.text(ev.String())
	if msg == "" {
		msg = "(empty error message)"
	}
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, "nonce"):
		if n, ok := parseNonceFloor(msg); ok {
			c.raiseNonce(ctx, n)
		}
		ne := &NonceError{Cmd: cmd, Message: msg}
		if c.cfg.nonces == nil {
			// This client sends no nonce, so sending again cannot help: the key has been used
			// with nonces and needs one on every call. Nothing was carried out.
			ne.Required = true
			return nil, done, ne
		}
		if class != classRead && c.cfg.nonces != nil {
			// The refused request may be a copy of ours that the HTTP stack replayed after the
			// original was carried out and its answer lost (browsers resend a POST when a reused
			// connection drops). The nonce then did its job and refused the copy; sending again
			// with a new nonce would repeat the operation. Only a read is resent.
			return nil, done, c.unknown(cmd, fields, hr.Status, ne)
		}
		return nil, renonce, ne
	case strings.Contains(lower, "permission"):
		return nil, done, &PermissionError{Cmd: cmd, Message: msg}
	}
	return nil, done, &APIError{Cmd: cmd, Message: msg, HTTPStatus: hr.Status, ServerCode: root.Get("code").String()}
}

// clearRefusal reports whether an answer that is not "ok" is a plain refusal: an error text, and
// no result beyond an empty one (the API answers a refusal with "result": [] or none).
func clearRefusal(ev, result gjson.Result) bool {
	if ev.Type != gjson.String || strings.TrimSpace(ev.Str) == "" {
		return false
	}
	switch strings.TrimSpace(result.Raw) {
	case "", "[]", "{}", "null", `""`:
		return true
	}
	return false // anything in it (an id: what was made), however it is written
}

// unreadableAnswer says what an "ok" answer lacks that the tools need to go on: a created
// payment's txn_id (how its status and IPNs are known) and its amount (what the buyer is asked
// to pay). Results are [compat] (spec §7.2): the API may leave a member out or name it otherwise.
func unreadableAnswer(cmd string, r Value) error {
	if cmd != "create_transaction" {
		return nil
	}
	if _, err := r.Get("amount").Amount(); err != nil {
		return errtext.Prefix("the payment was created, but its amount cannot be read: ", err)
	}
	if r.Get("txn_id").Text() == "" {
		return errors.New("the payment was created, but the answer names no txn_id")
	}
	return nil
}

// notJSON explains an answer that is not the API's JSON; a 404 almost always means a wrong API URL.
func notJSON(status int) error {
	if status == 404 {
		return errors.New("the API URL answered 404 Not Found: check it (it usually ends in /api, e.g. https://wallexpay.io/api)")
	}
	return errors.New("answer is not a JSON object")
}

func (c *Client) badBody(cmd string, class cmdClass, fields Fields, status int, te *TransportError) (*Response, verdict, error) {
	if class != classRead {
		// The server answered, so it read the request; we cannot tell whether it acted.
		return nil, done, c.unknown(cmd, fields, status, te)
	}
	return nil, backoff, te
}

// identifying fields copied into OutcomeUnknownError.Ref.
var refFields = [...]string{"amount", "currency", "currency1", "currency2", "address", "toaddress", "merchant",
	"dest_tag", "pbntag", "add_tx_fee", "note", "invoice", "custom", "item_number", "buyer_email", "from", "to"}

// refOf returns the fields that identify an operation in the history.
func refOf(fields Fields) map[string]string {
	ref := map[string]string{}
	for _, k := range refFields {
		if v, ok := fields[k]; ok {
			ref[k] = v
		}
	}
	for k, v := range fields {
		if strings.HasPrefix(k, "wd[") {
			ref[k] = v
		}
	}
	return ref
}

func (c *Client) unknown(cmd string, fields Fields, status int, cause error) error {
	return &OutcomeUnknownError{Cmd: cmd, Ref: refOf(fields), HTTPStatus: status, Err: cause, StoreKey: c.storeKey}
}

func asOutcomeUnknown(err error, ou **OutcomeUnknownError) bool { return errors.As(err, ou) }

func (c *Client) delay(n int, cause error) time.Duration {
	var rl *RateLimitError
	if errors.As(cause, &rl) && rl.RetryAfter > 0 {
		if rl.RetryAfter > c.cfg.backoffMax {
			return c.cfg.backoffMax
		}
		return rl.RetryAfter
	}
	d := c.cfg.backoffBase << (n - 1)
	if d > c.cfg.backoffMax || d <= 0 {
		d = c.cfg.backoffMax
	}
	// Full jitter over the upper half keeps a floor while spreading clients apart.
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// errorText pulls a message out of a JSON error body ("error" or "message"), or "".
func errorText(body []byte) string {
	if !gjson.ValidBytes(body) {
		return ""
	}
	r := gjson.ParseBytes(body)
	if e := r.Get("error"); e.Type == gjson.String && e.Str != "" {
		return e.Str
	}
	if m := r.Get("message"); m.Type == gjson.String {
		return m.Str
	}
	return ""
}

// parseNonceFloor reads N from "Invalid nonce: must be greater than N".
func parseNonceFloor(msg string) (int64, bool) {
	i := strings.LastIndexByte(msg, ' ')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimRight(msg[i+1:], "."), 10, 64)
	return n, err == nil
}

func (c *Client) commandURL(cmd string) string {
	if c.cfg.singleEndpoint {
		return c.base
	}
	return c.base + "/" + cmd
}

// headers is not inlined: each inlined copy costs the wasm bridge about 0.7 KB of its gzip budget.
//
//go:noinline
func (c *Client) headers(token string) map[string]string {
	h := map[string]string{
		"Content-Type": "application/x-www-form-urlencoded",
		"Accept":       "application/json",
	}
	if c.cfg.format == "xml" {
		h["Accept"] = "application/xml"
	}
	if c.cfg.userAgent != "" {
		h["User-Agent"] = c.cfg.userAgent
	}
	if token != "" {
		if !strings.HasPrefix(token, "Bearer ") {
			token = "Bearer " + token
		}
		h["Authorization"] = token
	}
	return h
}

// encode builds the form body and returns it with the nonce it carries (0 without nonces): a new
// one, or reuse when it is not 0.
func (c *Client) encode(ctx context.Context, cmd string, fields Fields, reuse int64) ([]byte, int64, error) {
	f := formBuilder{b: make([]byte, 0, 128+32*len(fields))}
	f.add("version", "1")
	if c.cfg.publicKey != "" {
		f.add("key", c.cfg.publicKey)
	}
	f.add("cmd", cmd)
	var n int64
	if c.cfg.nonces != nil {
		n = reuse
		if n == 0 {
			var err error
			if n, err = c.nextNonce(ctx); err != nil {
				return nil, 0, err
			}
		}
		f.add("nonce", strconv.FormatInt(n, 10))
	}
	if c.cfg.format != "json" {
		f.add("format", c.cfg.format)
	}
	f.addSorted(fields)
	return f.b, n, nil
}

// nextNonce computes max(last+1, unix ms) and makes sure the stored mark covers it before
// returning: it saves the nonce (with WithNonceReserve, the nonce plus the margin) unless the
// stored mark is the one this client saved last and already covers it. The caller holds
// nonceTurn.
func (c *Client) nextNonce(ctx context.Context) (int64, error) {
	stored, err := c.cfg.nonces.LoadNonce(ctx, c.storeKey)
	if err != nil {
		return 0, errtext.Prefix("wallex: cannot read the nonce store, nothing was sent: ", err)
	}
	last := max(stored, c.nonceLast)
	own := c.nonceSaved != 0 && stored == c.nonceSaved // nobody wrote the mark since: its margin is ours
	if own {
		last = c.nonceLast
	}
	n := NextNonce(max(last, nonceFloor(ctx)), c.cfg.now())
	if !own || n > stored {
		save := n + c.cfg.nonceReserve.Milliseconds()
		if err := c.cfg.nonces.SaveNonce(ctx, c.storeKey, save); err != nil {
			return 0, errtext.Prefix("wallex: cannot save the nonce, nothing was sent: ", err)
		}
		c.nonceSaved = save
	}
	c.nonceLast = n
	return n, nil
}

// NextNonce is the nonce to send after last, at now: max(last+1, Unix milliseconds) (spec §4).
// Nonces follow the clock, so that separate tools using one key (each with its own store) stay
// above each other's, and a fence made later is above an earlier request's nonce.
func NextNonce(last int64, now time.Time) int64 { return max(last+1, now.UnixMilli()) }

// raiseNonce records that the server has seen nonces up to n.
func (c *Client) raiseNonce(ctx context.Context, n int64) {
	if c.cfg.nonces == nil {
		return
	}
	if n > c.nonceLast {
		c.nonceLast = n
	}
	_ = c.cfg.nonces.SaveNonce(ctx, c.storeKey, n)
}

func (c *Client) log(e Event) {
	if c.cfg.logger != nil {
		c.cfg.logger(e)
	}
}
