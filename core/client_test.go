package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/core/xmlwire"
	"github.com/wallexkit/wallexkit/sandbox"
)

// env is a sandbox served over real HTTP on loopback plus a client for its demo account.
type env struct {
	t    testing.TB
	sb   *sandbox.Server
	http *httptest.Server
	demo sandbox.Demo
}

func newEnv(t testing.TB, cfg sandbox.Config) *env {
	t.Helper()
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { hs.Close(); sb.Close() })
	return &env{t: t, sb: sb, http: hs, demo: sb.Demo()}
}

func (e *env) url() string { return e.http.URL + "/api" }

func (e *env) client(opts ...core.Option) *core.Client {
	e.t.Helper()
	base := []core.Option{
		core.WithAPIURL(e.url()),
		core.WithKeys(e.demo.PublicKey, e.demo.PrivateKey),
		core.WithTransport(nethttp.New(nil)),
		core.WithRetries(2, time.Millisecond, 5*time.Millisecond),
	}
	c, err := core.New(append(base, opts...)...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) newKey(perms []string) sandbox.Key {
	e.t.Helper()
	k, err := e.sb.CreateKey(e.demo.MerchantID, perms)
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

func isValidation(err error) bool {
	var ve *core.ValidationError
	return errors.As(err, &ve)
}

func TestSingleEndpointMode(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithSingleEndpoint())
	if _, err := c.BasicInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestNoncesConcurrent(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	k := e.newKey(nil)
	c, err := core.New(core.WithAPIURL(e.url()), core.WithKeys(k.PublicKey, k.PrivateKey),
		core.WithTransport(nethttp.New(nil)), core.WithNonces(nil))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Call(context.Background(), "get_basic_info", nil); err != nil {
				failed.Add(1)
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st := e.sb.Stats(k.PublicKey)
	if failed.Load() != 0 || st.NonceErrors != 0 || st.Overlaps != 0 {
		t.Fatalf("failed=%d nonce errors=%d overlaps=%d", failed.Load(), st.NonceErrors, st.Overlaps)
	}
	if st.Calls != 200 {
		t.Fatalf("sandbox saw %d calls, want 200", st.Calls)
	}
}

// The sandbox really does see overlaps when nonce calls are not serialised: two clients sharing
// a key (the situation the per-client queue cannot fix) make the check observable.
func TestNonceOverlapIsObservable(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	k := e.newKey(nil)
	var wg sync.WaitGroup
	clients := make([]*core.Client, 8)
	for i := range clients {
		clients[i], _ = core.New(core.WithAPIURL(e.url()), core.WithKeys(k.PublicKey, k.PrivateKey),
			core.WithTransport(nethttp.New(nil)), core.WithNonces(nil))
	}
	for i := 0; i < 8; i++ {
		for _, c := range clients {
			wg.Add(1)
			go func() { defer wg.Done(); c.Call(context.Background(), "get_basic_info", nil) }()
		}
	}
	wg.Wait()
	if st := e.sb.Stats(k.PublicKey); st.Overlaps == 0 {
		t.Fatalf("8 unsynchronised clients produced no overlap: %+v", st)
	}
}

// Clients that share one nonce store take turns: the clients Derive makes (a client per request,
// as ExampleClient_Derive shows for a server) each have a turn of their own, and the store's lock
// keeps their nonce-bearing calls one at a time. Before, 8 derived clients' 40 calls crossed at
// the API (38 overlaps in a helper audit's run), and a money call overtaken so was refused after
// it left: an outcome unknown for nothing.
func TestClientsSharingANonceStoreTakeTurns(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	k := e.newKey(nil)
	base, err := core.New(core.WithAPIURL(e.url()), core.WithKeys(k.PublicKey, k.PrivateKey),
		core.WithTransport(nethttp.New(nil)), core.WithNonces(core.NewMemoryStore()))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 8; i++ {
		c, err := base.Derive()
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 5; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Call(context.Background(), "get_basic_info", nil); err != nil {
					failed.Add(1)
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	st := e.sb.Stats(k.PublicKey)
	if failed.Load() != 0 || st.NonceErrors != 0 || st.Overlaps != 0 {
		t.Fatalf("failed=%d nonce errors=%d overlaps=%d", failed.Load(), st.NonceErrors, st.Overlaps)
	}
}

func TestNonceRecoversFromAnotherClient(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	k := e.newKey(nil)
	mk := func() *core.Client {
		c, _ := core.New(core.WithAPIURL(e.url()), core.WithKeys(k.PublicKey, k.PrivateKey),
			core.WithTransport(nethttp.New(nil)), core.WithNonces(nil),
			core.WithClock(func() time.Time { return time.Unix(1000, 0) }))
		return c
	}
	a, b := mk(), mk()
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := a.Call(ctx, "get_basic_info", nil); err != nil {
			t.Fatal(err)
		}
	}
	// b's own high-water mark is behind the server's: it must learn the floor and succeed.
	if _, err := b.Call(ctx, "get_basic_info", nil); err != nil {
		t.Fatalf("b: %v", err)
	}
	if st := e.sb.Stats(k.PublicKey); st.NonceErrors != 1 {
		t.Fatalf("nonce errors = %d, want exactly the one b recovered from", st.NonceErrors)
	}
	// A client without nonces on a key that used them gets a typed NonceError.
	plain, _ := core.New(core.WithAPIURL(e.url()), core.WithKeys(k.PublicKey, k.PrivateKey), core.WithTransport(nethttp.New(nil)))
	_, err := plain.Call(ctx, "get_basic_info", nil)
	var ne *core.NonceError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "Nonce required") {
		t.Fatalf("err = %v, want NonceError 'Nonce required'", err)
	}
}

func TestNonceQueueCancellable(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithNonces(nil))
	if err := e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: 400 * time.Millisecond, Cmd: "get_basic_info"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	slow := make(chan error, 1)
	go func() { _, err := c.Call(context.Background(), "get_basic_info", nil); slow <- err }()
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Call(ctx, "balances", nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 300*time.Millisecond {
		t.Fatalf("queued call: %v after %v, want a prompt deadline error", err, time.Since(start))
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	if st := e.sb.Stats(e.demo.PublicKey); st.ByCmd["balances"] != 0 {
		t.Fatal("cancelled call was sent anyway")
	}
}

func TestNonceQueueFIFO(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithNonces(nil))
	if _, err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: 150 * time.Millisecond, Cmd: "get_basic_info"})
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.Call(context.Background(), "get_basic_info", nil) }()
	time.Sleep(30 * time.Millisecond)
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Call(context.Background(), "rates", core.Fields{"short": "1"})
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		}()
		time.Sleep(15 * time.Millisecond) // queue them in a known order
	}
	wg.Wait()
	if fmt.Sprint(order) != "[0 1 2 3 4]" {
		t.Fatalf("served in %v, want FIFO", order)
	}
}

func TestPermissionError(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	k := e.newKey([]string{"get_basic_info"})
	c, _ := core.New(core.WithAPIURL(e.url()), core.WithKeys(k.PublicKey, k.PrivateKey), core.WithTransport(nethttp.New(nil)))
	if _, err := c.BasicInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := c.Balances(context.Background(), nil)
	var pe *core.PermissionError
	if !errors.As(err, &pe) || core.CodeOf(err) != "permission" || !strings.Contains(err.Error(), "balances") {
		t.Fatalf("err = %v, want PermissionError", err)
	}
	// the command named where it is needed, not once more in brackets at the end
	if want := "This API key has no permission for balances: enable balances for this key under Edit Permissions in your Wallex Pay account"; err.Error() != want {
		t.Fatalf("message %q, want %q", err.Error(), want)
	}
}

func TestHTML502IsTransportErrorWithStatus(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHTML, Count: 10, Cmd: "balances"})
	_, err := c.Balances(ctx, nil)
	var te *core.TransportError
	if !errors.As(err, &te) || te.HTTPStatus != 502 || !strings.Contains(te.Excerpt, "502") || !te.Retryable() {
		t.Fatalf("err = %#v, want TransportError 502 with an excerpt", err)
	}
	if n := e.sb.Stats(e.demo.PublicKey).ByCmd["balances"]; n != 3 {
		t.Fatalf("balances sent %d times, want 3 (first try + 2 retries)", n)
	}
}

func TestReadRetriesThenSucceeds(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	c.Login(ctx)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultStatus, Status: 503, Cmd: "balances"})
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultReset, Cmd: "balances"})
	if _, err := c.Balances(ctx, nil); err != nil {
		t.Fatalf("read not retried: %v", err)
	}
}

func TestMoneyCommandNeverResent(t *testing.T) {
	for _, kind := range []string{sandbox.FaultReset, sandbox.FaultStatus, sandbox.FaultHTML, sandbox.FaultCommitDrop} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, sandbox.Config{})
			c := e.client()
			ctx := context.Background()
			c.Login(ctx)
			e.sb.InjectFault(sandbox.Fault{Kind: kind, Count: 5, Cmd: "create_withdrawal", Status: 500})
			fields := core.Fields{"amount": "0.1", "currency": "BTC", "address": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "note": "order-42"}
			_, err := c.Call(ctx, "create_withdrawal", fields)
			var ou *core.OutcomeUnknownError
			if !errors.As(err, &ou) || ou.Retryable() || core.CodeOf(err) != "outcome_unknown" {
				t.Fatalf("err = %v, want OutcomeUnknownError", err)
			}
			if ou.Ref["note"] != "order-42" || ou.Ref["amount"] != "0.1" || ou.Ref["address"] == "" {
				t.Fatalf("ref = %v", ou.Ref)
			}
			if n := e.sb.Stats(e.demo.PublicKey).ByCmd["create_withdrawal"]; n != 1 {
				t.Fatalf("sandbox saw %d create_withdrawal requests, want exactly 1", n)
			}
		})
	}
}

// WithMoneyNeedsNonces: without nonces a money command is refused before it leaves; reads go.
func TestMoneyNeedsNonces(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ctx := context.Background()
	c := e.client(core.WithMoneyNeedsNonces())
	if _, err := c.Balances(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"})
	if core.CodeOf(err) != core.CodeInvalidInput || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("err = %v, want a refusal before sending", err)
	}
	if n := e.sb.Stats(e.demo.PublicKey).ByCmd["create_withdrawal"]; n != 0 {
		t.Fatalf("sandbox saw %d create_withdrawal requests, want none", n)
	}
	c = e.client(core.WithMoneyNeedsNonces(), core.WithNonces(nil))
	if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"}); err != nil {
		t.Fatal(err)
	}
}

func TestRateLimited(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	k := e.newKey([]string{"get_basic_info"})
	c, _ := core.New(core.WithAPIURL(e.url()), core.WithKeys(k.PublicKey, k.PrivateKey),
		core.WithTransport(nethttp.New(nil)), core.WithRetries(1, time.Millisecond, time.Millisecond))
	ctx := context.Background()
	var err error
	for i := 0; i < 25; i++ {
		_, err = c.Balances(ctx, nil) // no permission: a failed call each time
	}
	var rl *core.RateLimitError
	if !errors.As(err, &rl) || rl.HTTPStatus != 429 || !rl.Retryable() {
		t.Fatalf("err = %v, want RateLimitError after repeated failures", err)
	}
}

func TestRefusesPlainHTTPToRemoteHost(t *testing.T) {
	_, err := core.New(core.WithAPIURL("http://wallexpay.io/api"), core.WithKeys("p", "s"), core.WithTransport(nethttp.New(nil)))
	if !isValidation(err) || !strings.Contains(err.Error(), "insecure-http") {
		t.Fatalf("err = %v", err)
	}
	if _, err := core.New(core.WithAPIURL("http://wallexpay.io/api"), core.WithKeys("p", "s"), core.WithTransport(nethttp.New(nil)), core.WithInsecureHTTP()); err != nil {
		t.Fatalf("opt-in refused: %v", err)
	}
	for _, u := range []string{"http://127.0.0.1:8787/api", "http://localhost/api", "http://[::1]:9/api", "https://wallexpay.io/api"} {
		if _, err := core.New(core.WithAPIURL(u), core.WithKeys("p", "s"), core.WithTransport(nethttp.New(nil))); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := core.New(core.WithKeys("p", "s")); !isValidation(err) {
		t.Errorf("missing transport: %v", err)
	}
}

func TestBadFieldsRejectedLocally(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	for _, tc := range []struct {
		cmd    string
		fields core.Fields
	}{
		{"Bad Cmd", nil},
		{"balances", core.Fields{"nonce": "5"}},
		{"balances", core.Fields{"key": "x"}},
		{"balances", core.Fields{"": "x"}},
		{"login", nil},
	} {
		if _, err := c.Call(context.Background(), tc.cmd, tc.fields); !isValidation(err) {
			t.Errorf("%s %v: err = %v, want ValidationError", tc.cmd, tc.fields, err)
		}
	}
	if st := e.sb.Stats(e.demo.PublicKey); st.RequestsSeen != 0 {
		t.Fatalf("%d requests left despite bad input", st.RequestsSeen)
	}
}

func TestUnreachableIsTransportError(t *testing.T) {
	c, _ := core.New(core.WithAPIURL("http://127.0.0.1:1/api"), core.WithKeys("p", "s"),
		core.WithTransport(nethttp.New(nil)), core.WithRetries(1, time.Millisecond, time.Millisecond))
	_, err := c.BasicInfo(context.Background())
	var te *core.TransportError
	if !errors.As(err, &te) || te.HTTPStatus != 0 {
		t.Fatalf("err = %v", err)
	}
	// A refused connection never reached the server, so even a money command is not "unknown".
	_, err = c.Call(context.Background(), "create_withdrawal", core.Fields{"amount": "1"})
	var ou *core.OutcomeUnknownError
	if errors.As(err, &ou) {
		t.Fatalf("refused connection reported as outcome unknown: %v", err)
	}
}

// A private key pasted with a trailing newline or space is a realistic mistake. The public key
// gets a clear local error for it; the private key should too (or be trimmed), instead of a
// generic "authentication failed" after a round trip.
func TestPrivateKeyWhitespace(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	for _, suffix := range []string{"\n", " ", "\r\n"} {
		c, err := core.New(core.WithAPIURL(e.url()), core.WithKeys(e.demo.PublicKey, e.demo.PrivateKey+suffix),
			core.WithTransport(nethttp.New(nil)))
		if err == nil {
			_, err = c.Login(context.Background())
		}
		if err == nil {
			t.Errorf("private key + %q: login succeeded; want a local error about the whitespace", suffix)
			continue
		}
		var ve *core.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "space") {
			t.Errorf("private key + %q: got %T %q; want a ValidationError saying the private key has leading/trailing whitespace", suffix, err, err)
		}
	}
}

// An API URL without the /api path (https://host instead of https://host/api) should be caught
// or at least explained; instead every call hits the wrong path.
func TestAPIURLWithoutAPIPath(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c, err := core.New(core.WithAPIURL(e.http.URL), core.WithKeys(e.demo.PublicKey, e.demo.PrivateKey),
		core.WithTransport(nethttp.New(nil)), core.WithRetries(0, 0, 0))
	if err != nil {
		if strings.Contains(err.Error(), "/api") {
			return
		}
		t.Fatalf("New: %v (does not mention /api)", err)
	}
	_, err = c.BasicInfo(context.Background())
	if err == nil {
		t.Fatal("call without /api succeeded?")
	}
	if !strings.Contains(err.Error(), "/api") {
		t.Errorf("error for an API URL without /api does not say to add /api: %v", err)
	}
}

// fixedAnswer is a fuzz harness transport: it answers every request with the fuzzer's bytes, so
// the envelope decoder sees arbitrary bodies and statuses.
func fixedAnswer(status int, body []byte) core.Transport {
	return core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		if string(r.URL[len(r.URL)-5:]) == "login" {
			return &core.HTTPResponse{Status: 200, Body: []byte(`{"success":"true","result":{"access_token":"Bearer t","expires_at":"2999-01-01 00:00:00"}}`)}, nil
		}
		return &core.HTTPResponse{Status: status, Body: body}, nil
	})
}

func fuzzEnvelope(t *testing.T, status int, body []byte, cmd string, opts ...core.Option) {
	opts = append(opts, core.WithAPIURL("http://127.0.0.1:1/api"), core.WithKeys("pub", "priv"),
		core.WithTransport(fixedAnswer(status, body)), core.WithRetries(0, 0, 0))
	c, err := core.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Call(context.Background(), cmd, nil)
	if err == nil {
		if res == nil || status < 200 || status > 299 {
			t.Fatalf("success with status %d", status)
		}
		if !gjson.ValidBytes(res.JSON) || gjson.GetBytes(res.JSON, "error").String() != "ok" {
			t.Fatalf("success for a body whose error is not ok: %q", body)
		}
		return
	}
	var e core.Error
	if !errors.As(err, &e) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
	if core.IsMoneyCommand(cmd) && status >= 500 {
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) {
			t.Fatalf("money command with HTTP %d: %v, want outcome unknown", status, err)
		}
	}
}

func FuzzEnvelopeJSON(f *testing.F) {
	f.Add(200, []byte(`{"error":"ok","result":{"BTC":{"balance":1,"balancef":0.00000001}}}`), false)
	f.Add(200, []byte(`{"error":"Invalid nonce: must be greater than 5","result":[]}`), true)
	f.Add(502, []byte(`<html><body><h1>502 Bad Gateway</h1></body></html>`), true)
	f.Add(200, []byte(`{"error":"ok"`), false)
	f.Add(429, []byte(`{"error":"Too many failed calls, retry later"}`), false)
	f.Fuzz(func(t *testing.T, status int, body []byte, money bool) {
		if status < 100 || status > 599 || status == 401 {
			return
		}
		cmd := "balances"
		if money {
			cmd = "create_withdrawal"
		}
		fuzzEnvelope(t, status, body, cmd)
	})
}

func FuzzEnvelopeXML(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><response><error>ok</error><result><BTC><balance>1</balance></BTC></result></response>`))
	f.Add([]byte(`<response><error>Bad</error><result/></response>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzEnvelope(t, 200, body, "balances", core.WithWireFormat("xml", xmlwire.ToJSON))
	})
}

// savesStore counts what the client writes to its nonce store.
type savesStore struct {
	*core.MemoryStore
	mu    sync.Mutex
	saves []int64
}

func (s *savesStore) SaveNonce(ctx context.Context, key string, n int64) error {
	s.mu.Lock()
	s.saves = append(s.saves, n)
	s.mu.Unlock()
	return s.MemoryStore.SaveNonce(ctx, key, n)
}

func (s *savesStore) saved() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.saves...)
}

// With WithNonceReserve a long-lived client writes its mark once per margin instead of once per
// call, the mark always covers the nonces sent, and whoever starts after it (a restarted host) or
// wrote the mark in between (another host) is served above it: the sandbox refuses no nonce.
func TestNonceReserve(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	k := e.newKey(nil)
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	var clock atomic.Int64
	clock.Store(now.UnixMilli())
	st := &savesStore{MemoryStore: core.NewMemoryStore()}
	mk := func(reserve time.Duration) *core.Client {
		c, err := core.New(core.WithAPIURL(e.url()), core.WithKeys(k.PublicKey, k.PrivateKey),
			core.WithTransport(nethttp.New(nil)), core.WithNonces(st), core.WithNonceReserve(reserve),
			core.WithClock(func() time.Time { return time.UnixMilli(clock.Load()) }))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	calls := func(c *core.Client, n int) {
		t.Helper()
		for range n {
			if _, err := c.Call(ctx, "get_basic_info", nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	t0 := now.UnixMilli()
	a := mk(time.Second)
	calls(a, 50)
	if got := st.saved(); len(got) != 1 || got[0] != t0+1000 {
		t.Fatalf("50 calls within the margin saved %v, want once: [%d]", got, t0+1000)
	}
	// A restarted host starts above the mark it finds (the nonces a-0..a-49 are all below it).
	b := mk(time.Second)
	calls(b, 1)
	if got := st.saved(); len(got) != 2 || got[1] != t0+1000+1+1000 {
		t.Fatalf("after a restart: saves %v, want the second at %d", got, t0+2001)
	}
	// Another host wrote the mark meanwhile: a goes above it, not on with its own margin.
	other := t0 + 50_000
	if err := st.MemoryStore.SaveNonce(ctx, a.StoreKey(), other); err != nil {
		t.Fatal(err)
	}
	calls(a, 1)
	if got := st.saved(); len(got) != 3 || got[2] != other+1+1000 {
		t.Fatalf("after another host's mark: saves %v, want the third at %d", got, other+1001)
	}
	// The clock passing the margin takes a new one.
	clock.Store(other + 5000)
	calls(a, 3)
	if got := st.saved(); len(got) != 4 || got[3] != other+5000+1000 {
		t.Fatalf("after the clock passed the margin: saves %v, want the fourth at %d", got, other+6000)
	}
	// Without a margin every nonce is saved before it leaves.
	c := mk(0)
	calls(c, 5)
	if got := st.saved(); len(got) != 9 {
		t.Fatalf("without a margin: %d saves after 5 calls, want one each (9 in all): %v", len(got), got)
	}
	if s := e.sb.Stats(k.PublicKey); s.NonceErrors != 0 || s.Calls != 60 {
		t.Fatalf("sandbox: %d nonce errors, %d calls; want 0 and 60", s.NonceErrors, s.Calls)
	}
}

// Derive: the new client takes c's options and its own on top, checks what they change, and
// keeps its own token; the stores are c's unless replaced.
func TestDerive(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	parent := e.client()
	var sent, logins atomic.Int32
	counting := core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		sent.Add(1)
		if strings.Contains(string(r.Body), "cmd=login") {
			logins.Add(1)
		}
		return nethttp.New(nil).RoundTrip(ctx, r)
	})
	child, err := parent.Derive(core.WithTransport(counting), core.WithTokenStore(core.NewMemoryStore()))
	if err != nil {
		t.Fatal(err)
	}
	if child.APIURL() != parent.APIURL() || child.StoreKey() != parent.StoreKey() {
		t.Fatalf("derived client: API URL %q, store key %q; want the parent's %q, %q", child.APIURL(), child.StoreKey(), parent.APIURL(), parent.StoreKey())
	}
	if _, err := child.Call(context.Background(), "get_basic_info", nil); err != nil {
		t.Fatal(err)
	}
	if sent.Load() != 2 || logins.Load() != 1 {
		t.Fatalf("the derived client sent %d requests (%d logins) through its transport, want 2 (1 login)", sent.Load(), logins.Load())
	}
	// The parent kept its own (empty) token store and transport: its call logs in on its own.
	if _, err := parent.Call(context.Background(), "get_basic_info", nil); err != nil {
		t.Fatal(err)
	}
	if sent.Load() != 2 {
		t.Fatalf("the parent's call went through the derived client's transport")
	}
	// A second child on the parent's store finds the parent's token: no login.
	sibling, err := parent.Derive(core.WithTransport(counting))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sibling.Call(context.Background(), "get_basic_info", nil); err != nil {
		t.Fatal(err)
	}
	if sent.Load() != 3 || logins.Load() != 1 {
		t.Fatalf("a client derived on the parent's token store logged in again (%d requests, %d logins)", sent.Load(), logins.Load())
	}
	// What the new options change is checked, as New checks it.
	var ve *core.ValidationError
	if _, err := parent.Derive(core.WithAPIURL("http://wallex.example/api")); !errors.As(err, &ve) || ve.Field != "API URL" {
		t.Fatalf("Derive with a plain-http API URL: %v, want a ValidationError on the API URL", err)
	}
	if _, err := parent.Derive(core.WithTimeout(0)); !errors.As(err, &ve) || ve.Field != "timeout" {
		t.Fatalf("Derive with a zero timeout: %v, want a ValidationError on the timeout", err)
	}
	other, err := parent.Derive(core.WithAPIURL("https://wallex.example/api/"))
	if err != nil {
		t.Fatal(err)
	}
	if other.APIURL() != "https://wallex.example/api" || other.StoreKey() != "https://wallex.example/api|"+e.demo.PublicKey {
		t.Fatalf("Derive with another API URL: %q, store key %q", other.APIURL(), other.StoreKey())
	}
}

// The cause read through an OutcomeUnknownError is a copy that says Retryable false; the cause
// itself is left as it is: it may be shared (a failed login's error, which every call waiting on
// that login gets, reads among them), and marking it in place raced with their reads.
func TestOutcomeUnknownLeavesASharedCauseAsItIs(t *testing.T) {
	shared := &core.TransportError{Cmd: "login", Err: errors.New("connection reset")}
	err := error(&core.OutcomeUnknownError{Cmd: "create_withdrawal", Err: shared})
	var te *core.TransportError
	if !errors.As(err, &te) || te.Retryable() {
		t.Fatalf("through the outcome unknown: %v, retryable %v; want found, not retryable", te, te != nil && te.Retryable())
	}
	if !shared.Retryable() || te == shared {
		t.Fatal("the shared cause itself was marked not retryable")
	}
	var ne *core.NonceError
	if errors.As(err, &ne) {
		t.Fatalf("a NonceError found where there is none: %v", ne)
	}
}

// A developer's retry loop written from the README ("each error knows whether a retry is safe")
// checks the type it can retry: errors.As to *core.TransportError (or *core.NonceError) and its
// Retryable. An OutcomeUnknownError wraps one of those as its cause, so the loop must not find a
// retryable error in it: the withdrawal may have been carried out (here it was), and a client
// without operation records (core.New as ExampleNew builds it) sends it a second time.
func TestOutcomeUnknownCauseIsNotRetryable(t *testing.T) {
	replay := func(inner core.Transport) core.Transport {
		// a copy delivered again by the network (a proxy, a browser's HTTP stack): the first
		// copy is carried out, the caller sees the copy's answer
		return core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
			if strings.HasSuffix(r.URL, "/create_withdrawal") {
				if _, err := inner.RoundTrip(ctx, r); err != nil {
					return nil, err
				}
			}
			return inner.RoundTrip(ctx, r)
		})
	}
	cases := []struct {
		name  string
		fault string
		tr    func(core.Transport) core.Transport
	}{
		{"commit then drop", sandbox.FaultCommitDrop, nil},
		{"5xx after commit", sandbox.FaultCommitStatus, nil},
		{"copy replayed", "", replay},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Config{})
			var tr core.Transport = nethttp.New(nil)
			if tc.tr != nil {
				tr = tc.tr(tr)
			}
			c := e.client(core.WithTransport(tr), core.WithNonces(nil))
			ctx := context.Background()
			if _, err := c.Login(ctx); err != nil {
				t.Fatal(err)
			}
			if tc.fault != "" {
				e.sb.InjectFault(sandbox.Fault{Kind: tc.fault, Cmd: "create_withdrawal"})
			}
			p := &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: sandbox.TestAddress("BTC", 1), Note: core.String("order-42")}
			var err error
			for range 2 { // the developer's loop: retry what says it may be retried
				if _, err = c.CreateWithdrawal(ctx, p); err == nil {
					break
				}
				var te *core.TransportError
				var ne *core.NonceError
				if !(errors.As(err, &te) && te.Retryable()) && !(errors.As(err, &ne) && ne.Retryable()) {
					break
				}
			}
			n := 0
			for w, err := range c.WithdrawalHistory(ctx, &core.ListParams{Limit: 25}) {
				if err != nil {
					t.Fatal(err)
				}
				if w.Note == "order-42" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d withdrawals for order-42, want 1: a cause inside an OutcomeUnknownError said a retry was safe", n)
			}
			var ou *core.OutcomeUnknownError
			if !errors.As(err, &ou) || core.IsRetryable(err) {
				t.Fatalf("err = %v, want the outcome unknown of the first attempt", err)
			}
		})
	}
}
