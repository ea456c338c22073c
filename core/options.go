package core

import (
	"context"
	"strings"
	"time"
)

// DefaultAPIURL is the production API base.
const DefaultAPIURL = "https://wallexpay.io/api"

// Option configures a Client.
type Option func(*config)

type config struct {
	apiURL         string
	publicKey      string
	privateKey     string
	transport      Transport
	now            func() time.Time
	timeout        time.Duration
	userAgent      string
	logger         func(Event)
	singleEndpoint bool
	format         string
	wireToJSON     func([]byte) ([]byte, error)
	insecureHTTP   bool
	moneyNonces    bool
	tokens         TokenStore
	nonces         NonceStore
	nonceReserve   time.Duration
	ops            OpStore
	fencePause     time.Duration
	inFlightWindow time.Duration
	dupWindow      time.Duration
	refreshMargin  time.Duration
	expiryLoc      *time.Location
	maxRetries     int
	backoffBase    time.Duration
	backoffMax     time.Duration
	sleep          func(context.Context, time.Duration) error
	staticToken    string
	closeURL       string
}

func defaultConfig() config {
	return config{
		apiURL:        DefaultAPIURL,
		now:           time.Now,
		timeout:       30 * time.Second,
		userAgent:     "wallexkit-go/" + Version,
		format:        "json",
		refreshMargin: 60 * time.Second,
		expiryLoc:     time.UTC,
		maxRetries:    2,
		backoffBase:   200 * time.Millisecond,
		backoffMax:    2 * time.Second,
		sleep:         sleepCtx,
		fencePause:    time.Second,
		// inFlightWindow: see WithInFlightWindow.
		inFlightWindow: 2 * time.Minute,
	}
}

// WithAPIURL sets the API base URL (default https://wallexpay.io/api). Plain http is refused for
// hosts other than loopback unless WithInsecureHTTP is also given.
func WithAPIURL(u string) Option { return func(c *config) { c.apiURL = u } }

// WithKeys sets the API key pair. The private key is used only to log in; it never appears in
// logs or errors.
func WithKeys(publicKey, privateKey string) Option {
	return func(c *config) { c.publicKey, c.privateKey = publicKey, privateKey }
}

// WithStaticToken makes the client send a fixed bearer token and never log in. It is for a
// gateway that holds the API keys itself and speaks the API's envelope on its own endpoints (such
// as wasm/edge's /v1/call): point WithAPIURL at it. The public key may then be empty; a 401 is an
// AuthError at once.
func WithStaticToken(token string) Option { return func(c *config) { c.staticToken = token } }

// WithGatewayCloseURL names the close route of the wallexkit edge gateway a WithStaticToken client
// calls (GatewayCloseURL of its API URL). The gateway orders the API's nonces, so no nonce fence
// settles a lost answer: with this option ReconcileOp of an unresolved operation first closes its
// Idempotency-Key (the operation id) there. When no request with it ever reached the API through
// the gateway, the gateway records the key as closed and refuses any copy delivered later (409
// idempotency_key_closed), and the history read at once is final: found, or not_found proven.
// Otherwise (answered, in progress, the close failed) the history decides, as without it. A
// payout run (core/payout) closes its own batch's key the same way (CloseAtGateway).
func WithGatewayCloseURL(u string) Option { return func(c *config) { c.closeURL = u } }

// GatewayCloseURL is the close route of the wallexkit edge gateway whose API URL (its /v1/call)
// apiURL is, and whether apiURL has that form: https://gateway/v1/call gives
// https://gateway/v1/idempotency/close.
func GatewayCloseURL(apiURL string) (string, bool) {
	base, ok := strings.CutSuffix(strings.TrimRight(apiURL, "/"), "/v1/call")
	return base + "/v1/idempotency/close", ok
}

// WithTransport sets how requests reach the network (required): core/nethttp for native Go,
// wasm/fetch under GOOS=js.
func WithTransport(t Transport) Option { return func(c *config) { c.transport = t } }

// WithClock replaces time.Now (token expiry, nonces).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithTimeout sets the deadline given to a call whose context has none (default 30 s).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *config) { c.userAgent = ua } }

// Event describes one attempt of a call, for logging and metrics. It never holds keys, tokens or
// request bodies.
type Event struct {
	Cmd        string
	Attempt    int // 1 for the first send
	HTTPStatus int // 0 when no answer arrived
	Duration   time.Duration
	Err        error // nil on success; already redacted
}

// WithLogger sets a hook called after every attempt (including logins).
func WithLogger(fn func(Event)) Option { return func(c *config) { c.logger = fn } }

// WithSingleEndpoint posts every command to the base URL itself instead of {base}/{cmd}.
func WithSingleEndpoint() Option { return func(c *config) { c.singleEndpoint = true } }

// WithWireFormat asks the server for another answer format (e.g. "xml") and converts each answer
// body to JSON with toJSON before decoding. core/xmlwire provides the XML converter.
func WithWireFormat(format string, toJSON func([]byte) ([]byte, error)) Option {
	return func(c *config) { c.format, c.wireToJSON = format, toJSON }
}

// WithInsecureHTTP allows plain http to a host that is not loopback. Keys and tokens then cross
// the network unencrypted: use it only for a test server you control.
func WithInsecureHTTP() Option { return func(c *config) { c.insecureHTTP = true } }

// WithTokenStore keeps tokens in s (default: memory) so that other processes or a restarted
// runtime can reuse them.
func WithTokenStore(s TokenStore) Option { return func(c *config) { c.tokens = s } }

// WithMoneyNeedsNonces refuses a money command (IsMoneyCommand) before it leaves when nonces
// are off. For hosts whose HTTP stack may send a request again by itself: Chromium resends a
// POST whose reused keep-alive connection drops before the answer, after the API may have
// acted, and only a nonce makes the API refuse that second copy. Reads still work without
// nonces. The console and the extension set it.
func WithMoneyNeedsNonces() Option { return func(c *config) { c.moneyNonces = true } }

// WithoutNonces turns nonces off (undoes WithNonces): for a key that has never used them and
// must not (once a key sends a nonce, every later call must).
func WithoutNonces() Option { return func(c *config) { c.nonces = nil } }

// WithNonces turns nonces on, with the high-water mark kept in s (nil = memory). Nonce-bearing
// calls of one client run one at a time, in order.
func WithNonces(s NonceStore) Option {
	return func(c *config) {
		if s == nil {
			s = NewMemoryStore()
		}
		c.nonces = s
	}
}

// WithNonceReserve lets a long-lived client save a high-water mark up to d (in milliseconds of
// nonce) above the nonce it sends, so that the calls within that margin need no store write: the
// mark still covers every nonce before it leaves, so a restarted client (which starts above the
// mark) can never reuse one. It only saves writes while no other client writes the same mark
// between this one's calls (when one does, the next nonce goes above that mark, as without it).
// For the sole, long-lived host of a key, like the extension's service worker; not for short
// processes such as CLI commands: each would start above the last one's margin and push the
// nonces ahead of the clock, where a later tool's clock-based nonce would be refused. The
// default, 0, saves every nonce.
func WithNonceReserve(d time.Duration) Option { return func(c *config) { c.nonceReserve = d } }

// WithDuplicateCheck refuses a withdrawal or a transfer that looks the same as one the OpStore
// recorded as carried out within the last d (the same amount of the same coin to the same
// destination, whatever its note): a DuplicateError, and nothing is sent. It is for tools a
// person drives, where the answer of the first can be lost to the person (a closed popup, a
// dropped terminal) after it was paid: "it failed, send it again" is then a second payment.
// A person who means to pay again says so for that call (AllowDuplicate). Off by default (0);
// DuplicateWindow is the tools' window. It needs an OpStore.
func WithDuplicateCheck(d time.Duration) Option { return func(c *config) { c.dupWindow = d } }

// DuplicateWindow is how long the CLI and the console look back for the same payment
// (WithDuplicateCheck): long enough for a person to come back to a popup closed mid-send, short
// enough that a daily payout of the same amount is not held up.
const DuplicateWindow = 12 * time.Hour

// WithOpStore records every request that is not safe to repeat (money commands,
// create_transaction) in s before it leaves, and removes it once its answer is definite. What is
// left there after a crash or a lost answer is listed by Client.Ops and settled by
// Client.ReconcileOp. While an operation is unresolved, an identical one is refused with a
// PendingOpError instead of being sent: a second click, or running the same command again,
// cannot pay twice. FileStore and MemoryStore implement OpStore.
func WithOpStore(s OpStore) Option { return func(c *config) { c.ops = s } }

// WithFencePause sets how long Reconcile waits, after the nonce fence, before it reads the
// history a second time (default 1 s). The API's nonce check is not atomic, so a late copy of the
// original request that arrives while the fence is processed can still be carried out; the second
// read sees it.
func WithFencePause(d time.Duration) Option { return func(c *config) { c.fencePause = d } }

// WithInFlightWindow sets how long after its deadline a request sent without a nonce is still
// treated as possibly on its way (default 2 minutes). Without nonces nothing proves that a
// request held by the network will not be delivered late, so until then Reconcile answers
// in_flight, never not_found. With nonces the fence proves it and this window is not used.
func WithInFlightWindow(d time.Duration) Option { return func(c *config) { c.inFlightWindow = d } }

// WithRefreshMargin sets how long before expires_at the token is renewed (default 60 s; never
// more than a tenth of the token's lifetime).
func WithRefreshMargin(d time.Duration) Option { return func(c *config) { c.refreshMargin = d } }

// WithExpiryLocation sets the zone in which the zone-less expires_at is read (default UTC).
func WithExpiryLocation(loc *time.Location) Option { return func(c *config) { c.expiryLoc = loc } }

// WithRetries sets how many times a read is retried after a transport error, 5xx or 429
// (default 2), with exponential backoff between base and max and full jitter. Money commands are
// never retried once the request may have reached the server.
func WithRetries(max int, base, maxDelay time.Duration) Option {
	return func(c *config) { c.maxRetries, c.backoffBase, c.backoffMax = max, base, maxDelay }
}

// WithSleep replaces how the client waits (between retries, and in Reconcile between the reads
// that follow the fence). A host whose timers must be its own (a Worker, where a Go timer can fire
// inside another request's event) passes one built on them. sleep must return ctx.Err() when ctx
// ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) {
		if sleep != nil {
			c.sleep = sleep
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	// time.AfterFunc rather than time.NewTimer: the same wait, without NewTimer's check of the
	// asynctimerchan setting, which links internal/godebug into WebAssembly builds.
	done := make(chan struct{})
	t := time.AfterFunc(d, func() { close(done) })
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
