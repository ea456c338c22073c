package gateway

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/sha2"
)

// Request is one incoming HTTP request.
type Request struct {
	Method string
	URL    *url.URL
	Header map[string]string // lower-case names; repeated headers joined with ", "
	Body   []byte
	// Upstream, when set, bounds the request's calls to the Wallex API. It ends before the
	// request's own context (the host's soft deadline), so that the gateway can still answer
	// what it knows, and record it, after it stopped waiting for the API. nil: the request's
	// own context.
	Upstream context.Context
}

// Response is the answer. Body is sent as is.
type Response struct {
	Status int
	Header map[string]string
	Body   []byte
}

// RequestHeaders are the request headers the gateway reads (lower case): a host may hand over
// only these (the Worker does, to cut what crosses into Go per request). headers_test.go checks
// the list against the code.
var RequestHeaders = []string{
	"authorization", "content-type", "origin", "access-control-request-method", "access-control-request-headers",
	"hmac", "cf-connecting-ip", "x-real-ip", "x-forwarded-for", "idempotency-key",
}

// MaxBody is the largest request body the gateway reads.
const MaxBody = 64 << 10

// Gateway serves the routes. It holds only the configuration: every piece of state lives behind
// the Platform, so a Gateway may be dropped and rebuilt at any time.
type Gateway struct {
	cfg    *Config
	now    func() time.Time
	tokens tokenCache // the isolate's token cache (the key's Durable Object is the truth)
	nonces nonceCache // the isolate's view of each key's nonce mark (its sequencer is the truth)
	coins  coinCache  // the isolate's copy of the accepted coins (rates accepted=1)

	baseOnce sync.Once // baseClient
	base     *core.Client
	baseErr  error
}

// New returns a Gateway for cfg.
func New(cfg *Config) *Gateway { return &Gateway{cfg: cfg, now: time.Now} }

// Config returns the configuration.
func (g *Gateway) Config() *Config { return g.cfg }

// Handle answers one request. It never panics on bad input and never puts a secret in an answer.
func (g *Gateway) Handle(ctx context.Context, p Platform, r *Request) *Response {
	if r.Header == nil {
		r.Header = map[string]string{}
	}
	if r.Upstream == nil {
		r.Upstream = ctx
	}
	if len(r.Body) > MaxBody {
		return errorResponse(413, "body_too_large", "the request body is larger than "+strconv.Itoa(MaxBody>>10)+" KiB", false)
	}
	path := r.URL.EscapedPath()
	switch {
	case path == "/v1/checkout":
		return g.withCORS(r, "POST", func() *Response { return g.checkout(ctx, p, r) })
	case strings.HasPrefix(path, "/v1/checkout/"):
		id, err := url.PathUnescape(strings.TrimPrefix(path, "/v1/checkout/"))
		if err != nil || id == "" || strings.Contains(id, "/") {
			return errorResponse(404, "not_found", "no such route: use GET /v1/checkout/{txn_id}", false)
		}
		return g.withCORS(r, "GET", func() *Response { return g.status(ctx, p, r, id) })
	case path == "/ipn":
		if r.Method != "POST" {
			return methodNotAllowed("POST")
		}
		return g.ipn(ctx, p, r)
	case path == "/v1/events":
		if r.Method != "GET" {
			return methodNotAllowed("GET")
		}
		if res := g.authorize(r); res != nil {
			return res
		}
		return g.events(ctx, p, r)
	case path == "/v1/call" || path == "/v1/call/":
		return errorResponse(404, "not_found", "no command in the path: send POST /v1/call/{cmd}, e.g. /v1/call/balances. A Wallex client's API URL through this gateway is https://YOUR-GATEWAY/v1/call, and it must post each command to {API URL}/{cmd} (posting every command to the API URL itself, with cmd only in the body, is not served)", false)
	case strings.HasPrefix(path, "/v1/call/"):
		if r.Method != "POST" {
			return methodNotAllowed("POST")
		}
		if res := g.authorize(r); res != nil {
			return res
		}
		return g.call(ctx, p, r, strings.TrimPrefix(path, "/v1/call/"))
	case path == "/v1/idempotency/close":
		if r.Method != "POST" {
			return methodNotAllowed("POST")
		}
		if res := g.authorize(r); res != nil {
			return res
		}
		return g.closeIdempotency(ctx, p, r)
	case path == "/v1/reconcile":
		if r.Method != "POST" {
			return methodNotAllowed("POST")
		}
		if res := g.authorize(r); res != nil {
			return res
		}
		return g.reconcile(ctx, p, r)
	case path == "/" || path == "/v1/health":
		if r.Method != "GET" && r.Method != "HEAD" {
			return methodNotAllowed("GET, HEAD")
		}
		return health(g.cfg)
	}
	return errorResponse(404, "not_found", "no such route: the gateway serves POST /v1/checkout, GET /v1/checkout/{txn_id}, POST /ipn, GET /v1/events, POST /v1/call/{cmd}, POST /v1/reconcile, POST /v1/idempotency/close and GET /v1/health. A Wallex client's API URL through this gateway is https://YOUR-GATEWAY/v1/call (commands go to /v1/call/{cmd})", false)
}

// health answers GET /v1/health: the Worker runs, which secrets are missing (names only; every
// route that needs one answers 503 naming it) and which vars could not be read (by name, as logged
// at load), so a deploy's first check shows what to set.
func health(c *Config) *Response {
	o := newObj().bool("ok", true).str("service", "wallexkit-edge")
	if m := c.missingSecrets(); len(m) > 0 {
		o.strList("missing", m)
	}
	if p := c.Problems(); len(p) > 0 {
		o.strList("problems", p)
	}
	return jsonResponse(200, o.bytes())
}

// Unsafe reports whether a request may create a payment or move money (POST /v1/checkout, and
// POST /v1/call/{cmd} for a command that is not a read), decided from its method and path alone
// so that a host can tell before the request runs: an answer the host gives on its own (a hard
// deadline) must then never invite the caller to send it again.
func Unsafe(method, path string) bool { return UnsafeKind(method, path) != Safe }

// What a host says when a request it did not finish may have taken effect (UnsafeKind).
const (
	Safe           int32 = 0 // nothing to say: a read, or a route that changes nothing upstream
	UnsafeCall     int32 = 1 // POST /v1/call/{cmd} moving money: reconcile (POST /v1/reconcile) before sending it again
	UnsafeCheckout int32 = 2 // POST /v1/checkout: send the same checkout (same order_id) again; the gateway never makes a second payment for an order
)

// UnsafeKind is Unsafe with what the caller must do instead of sending the request again: a
// storefront that runs a checkout holds no gateway token for POST /v1/reconcile.
func UnsafeKind(method, path string) int32 {
	if method != "POST" {
		return Safe
	}
	if path == "/v1/checkout" {
		return UnsafeCheckout
	}
	if cmd, ok := strings.CutPrefix(path, "/v1/call/"); ok && !core.IsReadCommand(cmd) {
		return UnsafeCall
	}
	return Safe
}

// authorize checks the bearer token against GATEWAY_TOKENS in constant time: both sides are
// hashed first, so neither the length nor the content of a configured token leaks, and every
// configured token is compared.
func (g *Gateway) authorize(r *Request) *Response {
	if len(g.cfg.tokens) == 0 {
		return errorResponse(503, "not_configured", "the gateway has no API tokens: set "+EnvGatewayTokens, false)
	}
	scheme, tok, ok := bearerToken(r.Header["authorization"])
	if !ok || !strings.EqualFold(scheme, "bearer") || tok == "" {
		res := errorResponse(401, "unauthorized", "missing bearer token: send Authorization: Bearer <token> with one of the gateway's tokens", false)
		res.Header["www-authenticate"] = `Bearer realm="wallexkit-edge"`
		return res
	}
	sum := sha2.Sum256([]byte(tok))
	match := 0
	for i := range g.cfg.tokens {
		match |= subtle.ConstantTimeCompare(sum[:], g.cfg.tokens[i][:])
	}
	if match != 1 {
		res := errorResponse(401, "unauthorized", "invalid bearer token", false)
		res.Header["www-authenticate"] = `Bearer realm="wallexkit-edge", error="invalid_token"`
		return res
	}
	return nil
}

// bearerToken splits an Authorization header into its scheme and its token, trimmed; ok is false
// when it has no space between them.
func bearerToken(h string) (scheme, token string, ok bool) {
	scheme, token, ok = strings.Cut(strings.TrimSpace(h), " ")
	return scheme, strings.TrimSpace(token), ok
}

// withCORS applies the storefront CORS policy: only origins in ALLOWED_ORIGINS get CORS
// headers, preflights from other origins are refused, and a request that carries a foreign
// Origin is refused before it does anything (a form post needs no preflight).
func (g *Gateway) withCORS(r *Request, method string, next func() *Response) *Response {
	origin, hasOrigin := r.Header["origin"]
	allowed := hasOrigin && g.cfg.AllowedOrigins[strings.ToLower(strings.TrimRight(origin, "/"))]
	if r.Method == "OPTIONS" {
		if !allowed {
			res := errorResponse(403, "origin_not_allowed", "origin "+strconv.Quote(clip(origin, 100))+" may not call this gateway: add it to "+EnvAllowedOrigins, false)
			res.Header["vary"] = "Origin"
			return res
		}
		want := r.Header["access-control-request-method"]
		if want != "" && want != method {
			res := errorResponse(405, "method_not_allowed", "this route takes "+method+", not "+clip(want, 20), false)
			setCORS(res, origin, method)
			return res
		}
		if bad := unsupportedHeaders(r.Header["access-control-request-headers"]); bad != "" {
			msg := "request header " + strconv.Quote(clip(bad, 60)) + " is not allowed; only Content-Type"
			if strings.EqualFold(bad, "idempotency-key") {
				msg += " (a checkout's retry key is order_id, in the body)"
			}
			res := errorResponse(403, "header_not_allowed", msg, false)
			setCORS(res, origin, method)
			return res
		}
		res := &Response{Status: 204, Header: map[string]string{}}
		setCORS(res, origin, method)
		res.Header["access-control-allow-headers"] = "Content-Type"
		res.Header["access-control-max-age"] = "600"
		return res
	}
	if hasOrigin && !allowed {
		res := errorResponse(403, "origin_not_allowed", "origin "+strconv.Quote(clip(origin, 100))+" may not call this gateway: add it to "+EnvAllowedOrigins, false)
		res.Header["vary"] = "Origin"
		return res
	}
	if r.Method != method {
		return methodNotAllowed(method + ", OPTIONS")
	}
	res := next()
	if allowed {
		setCORS(res, origin, method)
	} else {
		res.Header["vary"] = "Origin"
	}
	return res
}

func setCORS(res *Response, origin, method string) {
	res.Header["access-control-allow-origin"] = origin
	res.Header["access-control-allow-methods"] = method + ", OPTIONS"
	res.Header["vary"] = "Origin"
}

// unsupportedHeaders returns the first requested header other than Content-Type, or "".
func unsupportedHeaders(list string) string {
	for _, h := range strings.Split(list, ",") {
		h = strings.TrimSpace(h)
		if h != "" && !strings.EqualFold(h, "content-type") {
			return h
		}
	}
	return ""
}

func jsonResponse(status int, body []byte) *Response {
	return &Response{Status: status, Header: map[string]string{"content-type": "application/json; charset=utf-8", "cache-control": "no-store"}, Body: body}
}

// errorResponse is the gateway's error shape: {"error": message, "code": code, "retryable": bool},
// the same `error` member as the Wallex envelope (anything but "ok" is an error).
func errorResponse(status int, code, msg string, retryable bool) *Response {
	return jsonResponse(status, newObj().str("error", msg).str("code", code).bool("retryable", retryable).bytes())
}

func methodNotAllowed(allow string) *Response {
	res := errorResponse(405, "method_not_allowed", "method not allowed: use "+allow, false)
	res.Header["allow"] = allow
	return res
}

// coreError turns an error from core into an answer with a fitting status. The messages of core's
// errors are already redacted (no key, token or secret in them).
func coreError(err error) *Response {
	code := core.CodeOf(err)
	retry := core.IsRetryable(err)
	msg := err.Error()
	status := 500
	var apiErr *core.APIError
	var permErr *core.PermissionError
	switch {
	case errors.As(err, &apiErr):
		msg = apiErr.Message // the API's own words, as a Wallex client expects them
	case errors.As(err, &permErr):
		msg = permErr.Message
	}
	switch code {
	case core.CodeInvalidInput:
		status = 400
	case core.CodeAPIError:
		status = 422 // the gateway understood the request; the Wallex API refused it
	case core.CodePermission:
		status = 403
	case core.CodeAuth:
		status = 502 // the gateway's own key pair was refused: not the caller's fault
		msg = "the Wallex API refused the gateway's API key: " + msg
	case core.CodeNonce:
		status = 503
	case core.CodeRateLimited:
		status = 429
	case core.CodeTransport:
		status = 502
	case core.CodeOutcomeUnknown:
		status = 502
	case core.CodeTimeout, core.CodeCanceled:
		status = 504
		retry = true
		msg = "the Wallex API did not answer in time"
	default:
		msg = "internal error"
		var ce core.Error
		if errors.As(err, &ce) {
			msg = err.Error()
		}
	}
	res := errorResponse(status, string(code), msg, retry)
	var rl *core.RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		res.Header["retry-after"] = strconv.Itoa(int((rl.RetryAfter + time.Second - 1) / time.Second))
	}
	return res
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
