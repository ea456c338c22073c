package gateway

import (
	"strconv"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn"
	"github.com/wallexkit/wallexkit/internal/sha2"
)

// Environment names. Secrets (set with `wrangler secret put`): WALLEX_PUBLIC_KEY,
// WALLEX_PRIVATE_KEY, WALLEX_IPN_SECRET, WALLEX_MERCHANT_ID, GATEWAY_TOKENS, FORWARD_SECRET,
// CHECKOUT_SIGNING_SECRET. Vars (wrangler.jsonc): the rest.
const (
	EnvAPIURL          = "WALLEX_API_URL"
	EnvPublicKey       = "WALLEX_PUBLIC_KEY"
	EnvPrivateKey      = "WALLEX_PRIVATE_KEY"
	EnvIPNSecret       = "WALLEX_IPN_SECRET"
	EnvMerchantID      = "WALLEX_MERCHANT_ID"
	EnvGatewayTokens   = "GATEWAY_TOKENS"
	EnvAllowedOrigins  = "ALLOWED_ORIGINS"
	EnvForwardURL      = "FORWARD_URL"
	EnvForwardSecret   = "FORWARD_SECRET"
	EnvCheckoutSecret  = "CHECKOUT_SIGNING_SECRET"
	EnvPublicURL       = "PUBLIC_URL"
	EnvNonce           = "WALLEX_NONCE"
	EnvAllowMoney      = "ALLOW_MONEY"
	EnvRateLimit       = "CHECKOUT_RATE_LIMIT"
	EnvFencePause      = "FENCE_PAUSE_MS"
	EnvInFlightWindow  = "IN_FLIGHT_WINDOW_MS"
	EnvUpstreamTimeout = "EDGE_UPSTREAM_TIMEOUT_MS"
)

// EnvNames lists every name Config reads, so that a host can fetch them in one go.
var EnvNames = []string{EnvAPIURL, EnvPublicKey, EnvPrivateKey, EnvIPNSecret, EnvMerchantID,
	EnvGatewayTokens, EnvAllowedOrigins, EnvForwardURL, EnvForwardSecret, EnvCheckoutSecret,
	EnvPublicURL, EnvNonce, EnvAllowMoney, EnvRateLimit, EnvFencePause, EnvInFlightWindow, EnvUpstreamTimeout}

// DefaultRateLimit is how many checkouts one client may start per minute.
const DefaultRateLimit = 10

// DefaultFencePause and DefaultInFlightWindow are core's defaults.
const (
	DefaultFencePause     = time.Second
	DefaultInFlightWindow = 2 * time.Minute
	// DefaultUpstreamTimeout leaves the Worker's deadline (28 s, see glue/worker.mjs) room to
	// answer and record an unknown outcome.
	DefaultUpstreamTimeout = 20 * time.Second
)

// Config is the gateway's configuration, read once per isolate from the Worker's environment.
// Its String form never shows a secret.
type Config struct {
	APIURL         string
	PublicKey      string
	privateKey     string
	MerchantID     string
	ipnSecret      string
	tokens         [][sha2.Size256]byte // hashes of GATEWAY_TOKENS
	AllowedOrigins map[string]bool
	ForwardURL     string
	forwardSecret  bool
	checkoutSecret string
	PublicURL      string
	Nonces         bool // on unless WALLEX_NONCE is "0" (or false/no/off)
	AllowMoney     bool
	RateLimit      int
	// FencePause is how long reconciliation waits after the nonce fence before it reads the
	// history again; InFlightWindow how long after its deadline a request sent without a nonce
	// is still treated as on its way (core.WithFencePause, core.WithInFlightWindow).
	FencePause     time.Duration
	InFlightWindow time.Duration
	// UpstreamTimeout bounds one call that may move money or create a payment: when it passes,
	// the call is aborted and answered outcome_unknown (or not_sent), well before the Worker's
	// own deadline would cut the request off without an answer.
	UpstreamTimeout time.Duration

	verifier    *ipn.Verifier
	verifierErr error
	problems    []string // what is missing or wrong, by variable name
}

// LoadConfig reads the configuration through get. It never fails: what is missing is reported
// by the routes that need it (503 naming the variable), so that one missing secret does not take
// the whole gateway down.
func LoadConfig(get func(string) string) *Config {
	c := &Config{
		APIURL:          strings.TrimSpace(get(EnvAPIURL)),
		PublicKey:       strings.TrimSpace(get(EnvPublicKey)),
		privateKey:      strings.TrimSpace(get(EnvPrivateKey)),
		MerchantID:      strings.TrimSpace(get(EnvMerchantID)),
		ipnSecret:       strings.TrimSpace(get(EnvIPNSecret)),
		AllowedOrigins:  map[string]bool{},
		ForwardURL:      strings.TrimSpace(get(EnvForwardURL)),
		forwardSecret:   get(EnvForwardSecret) != "",
		checkoutSecret:  strings.TrimSpace(get(EnvCheckoutSecret)),
		PublicURL:       strings.TrimRight(strings.TrimSpace(get(EnvPublicURL)), "/"),
		Nonces:          !isOff(get(EnvNonce)),
		AllowMoney:      isOn(get(EnvAllowMoney)),
		RateLimit:       DefaultRateLimit,
		FencePause:      DefaultFencePause,
		InFlightWindow:  DefaultInFlightWindow,
		UpstreamTimeout: DefaultUpstreamTimeout,
	}
	if c.APIURL == "" {
		c.APIURL = core.DefaultAPIURL
	}
	for _, t := range strings.Split(get(EnvGatewayTokens), ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.tokens = append(c.tokens, sha2.Sum256([]byte(t)))
		}
	}
	for _, o := range strings.Split(get(EnvAllowedOrigins), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			c.AllowedOrigins[strings.ToLower(o)] = true
		}
	}
	if s := strings.TrimSpace(get(EnvRateLimit)); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			c.RateLimit = n
		} else {
			c.problems = append(c.problems, EnvRateLimit+" must be a positive integer")
		}
	}
	// The in-flight window is how long a request the network holds past its timeout may still land
	// (without nonces nothing else bounds it): under a second it promises a "not found" too soon.
	for _, d := range []struct {
		name string
		dst  *time.Duration
		min  int
	}{{EnvFencePause, &c.FencePause, 0}, {EnvInFlightWindow, &c.InFlightWindow, 1000}, {EnvUpstreamTimeout, &c.UpstreamTimeout, 0}} {
		if s := strings.TrimSpace(get(d.name)); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= d.min && n <= 3_600_000 {
				*d.dst = time.Duration(n) * time.Millisecond
			} else {
				c.problems = append(c.problems, d.name+" must be a whole number of milliseconds ("+strconv.Itoa(d.min)+" to 3600000)")
			}
		}
	}
	if c.UpstreamTimeout <= 0 {
		c.UpstreamTimeout = DefaultUpstreamTimeout
	}
	if c.PublicURL != "" {
		if !absoluteHTTPURL(c.PublicURL) {
			c.problems = append(c.problems, EnvPublicURL+" must be an absolute http(s) URL such as https://pay.example.com")
			c.PublicURL = ""
		}
	}
	if c.ForwardURL != "" && !c.forwardSecret {
		c.problems = append(c.problems, EnvForwardURL+" is set but "+EnvForwardSecret+" is not: events are stored but not forwarded unsigned")
	}
	c.verifier, c.verifierErr = ipn.NewVerifier(c.MerchantID, c.ipnSecret)
	return c
}

// isOff reports an explicit opt-out: "0", "false", "no" or "off".
func isOff(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "0", "false", "no", "off":
		return true
	}
	return false
}

func isOn(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// Problems lists configuration mistakes, by variable name (never a value).
func (c *Config) Problems() []string { return c.problems }

// missingAPI names every API secret that is not set ("A and B"), or "".
func (c *Config) missingAPI() string {
	switch {
	case c.PublicKey == "" && c.privateKey == "":
		return EnvPublicKey + " and " + EnvPrivateKey
	case c.PublicKey == "":
		return EnvPublicKey
	case c.privateKey == "":
		return EnvPrivateKey
	}
	return ""
}

// missingSecrets names, in the order the README lists them, the secrets a route needs that are not
// set (FORWARD_SECRET only when FORWARD_URL is set; CHECKOUT_SIGNING_SECRET is optional).
func (c *Config) missingSecrets() []string {
	var m []string
	for _, s := range []struct {
		name    string
		missing bool
	}{
		{EnvPublicKey, c.PublicKey == ""}, {EnvPrivateKey, c.privateKey == ""},
		{EnvMerchantID, c.MerchantID == ""}, {EnvIPNSecret, c.ipnSecret == ""},
		{EnvGatewayTokens, len(c.tokens) == 0}, {EnvForwardSecret, c.ForwardURL != "" && !c.forwardSecret},
	} {
		if s.missing {
			m = append(m, s.name)
		}
	}
	return m
}

// notConfiguredAPI is the answer of a route that needs the API key pair when missingAPI names
// what is missing: where secrets are set, locally and on Cloudflare.
func notConfiguredAPI(name string) *Response {
	return errorResponse(503, "not_configured", "the gateway is not configured: set "+name+
		" (secrets: .dev.vars for wrangler dev, wrangler secret put NAME on Cloudflare)", false)
}

// forwarding reports whether events are forwarded (both the URL and the secret are set).
func (c *Config) forwarding() bool { return c.ForwardURL != "" && c.forwardSecret }

// String describes the configuration without secrets.
func (c *Config) String() string {
	return "api=" + c.APIURL + " tokens=" + strconv.Itoa(len(c.tokens)) + " origins=" + strconv.Itoa(len(c.AllowedOrigins)) +
		" nonces=" + strconv.FormatBool(c.Nonces) + " money=" + strconv.FormatBool(c.AllowMoney) +
		" forward=" + strconv.FormatBool(c.forwarding())
}

// clientOptions are the core options for one request's client (transport and stores added by
// the caller). timeout is the time the request may wait for the API (its upstream deadline).
func (c *Config) clientOptions(timeout time.Duration) []core.Option {
	if timeout <= 0 {
		timeout = callTimeout
	}
	return []core.Option{
		core.WithAPIURL(c.APIURL),
		core.WithKeys(c.PublicKey, c.privateKey),
		core.WithUserAgent("wallexkit-edge/0.1"),
		// Never sleep inside a request: a Go timer may fire while the wasm instance is running
		// another request's event, and Workers bind I/O to the request that started it. A
		// retryable error goes back to the caller marked retryable instead.
		core.WithRetries(0, time.Millisecond, time.Millisecond),
		core.WithTimeout(timeout),
		// The same reason: reconcile's pause after the fence is taken by the gateway with the
		// platform's Sleep (a JS timer of the request's own), between two fenced reads.
		core.WithFencePause(0),
		core.WithInFlightWindow(c.InFlightWindow),
	}
}

// callTimeout bounds one request's upstream calls when the host gives no deadline.
const callTimeout = 25 * time.Second

// absoluteHTTPURL reports whether s is an http(s) URL with a host: scheme://host[:port][/path],
// no spaces or control characters. (Not net/url: its parser links package fmt into the Worker.)
func absoluteHTTPURL(s string) bool {
	rest, ok := strings.CutPrefix(strings.ToLower(s), "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(strings.ToLower(s), "http://"); !ok {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	host, _, _ = strings.Cut(host, "#")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	return host != "" && host[0] != ':'
}
