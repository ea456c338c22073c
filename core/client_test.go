package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
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

func TestInformationalCommands(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()

	info, err := c.BasicInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.MerchantID != e.demo.MerchantID || info.Username != e.demo.Username {
		t.Fatalf("info = %+v, want merchant %s", info, e.demo.MerchantID)
	}
	if len(info.Response.Body) == 0 {
		t.Fatal("raw body missing")
	}

	if err := e.sb.SetBalances(e.demo.MerchantID, map[string]string{"BTC": "0.00000001", "LTC": "21000000.00000000", "ETH": "0"}); err != nil {
		t.Fatal(err)
	}
	bal, err := c.Balances(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := bal.Get("BTC").String(); got != "0.00000001" {
		t.Errorf("BTC = %s", got)
	}
	if got := bal.Get("LTC").String(); got != "21000000.00000000" {
		t.Errorf("LTC = %s", got)
	}
	for _, b := range bal.Coins {
		if b.Coin == "ETH" {
			t.Error("zero balance listed without all=1")
		}
	}
	all, err := c.Balances(ctx, &core.BalancesParams{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Coins) <= len(bal.Coins) {
		t.Errorf("all=1 listed %d coins, without %d", len(all.Coins), len(bal.Coins))
	}

	a1, err := c.DepositAddress(ctx, "btc")
	if err != nil {
		t.Fatal(err)
	}
	a2, err := c.DepositAddress(ctx, "BTC")
	if err != nil || a1.Address == "" || a1.Address != a2.Address {
		t.Fatalf("deposit address not stable: %q %q %v", a1.Address, a2.Address, err)
	}
	if _, err := c.DepositAddress(ctx, "NOPE1"); err == nil {
		t.Fatal("unknown coin accepted")
	}
	if _, err := c.DepositAddress(ctx, "B TC"); !isValidation(err) {
		t.Fatalf("bad ticker: %v, want ValidationError before sending", err)
	}

	rates, err := c.Rates(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	btc, ok := rates.Get("BTC")
	if !ok || btc.RateBTC != "1" && !strings.HasPrefix(string(btc.RateBTC), "1") || btc.Name == "" {
		t.Fatalf("BTC rate = %+v", btc)
	}
	accepted, err := c.Rates(ctx, &core.RatesParams{Accepted: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range accepted.Coins {
		if !r.Accepted {
			t.Errorf("accepted=1 listed %s which is not accepted", r.Coin)
		}
	}
	if st := e.sb.Stats(e.demo.PublicKey); st.Logins != 1 {
		t.Errorf("logins = %d, want 1 for %d calls", st.Logins, st.Calls)
	}
}

func isValidation(err error) bool {
	var ve *core.ValidationError
	return errors.As(err, &ve)
}

func TestXMLAndJSONDecodeToSameValues(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ctx := context.Background()
	if err := e.sb.SetBalances(e.demo.MerchantID, map[string]string{"BTC": "0.00000001", "LTC": "21000000.00000000"}); err != nil {
		t.Fatal(err)
	}
	j := e.client()
	x := e.client(core.WithWireFormat("xml", xmlwire.ToJSON))
	jb, err := j.Balances(ctx, &core.BalancesParams{All: true})
	if err != nil {
		t.Fatal(err)
	}
	xb, err := x.Balances(ctx, &core.BalancesParams{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(xb.Response.Body), "<?xml") {
		t.Fatalf("xml client got %q", xb.Response.Body[:20])
	}
	if fmt.Sprint(jb.Coins) != fmt.Sprint(xb.Coins) {
		t.Fatalf("json %v\nxml  %v", jb.Coins, xb.Coins)
	}
	ji, _ := j.BasicInfo(ctx)
	xi, err := x.BasicInfo(ctx)
	if err != nil || ji.MerchantID != xi.MerchantID || ji.PublicName != xi.PublicName || ji.Email != xi.Email {
		t.Fatalf("info differs: %+v %+v %v", ji, xi, err)
	}
	jr, _ := j.Rates(ctx, nil)
	xr, err := x.Rates(ctx, nil)
	if err != nil || fmt.Sprint(jr.Coins) != fmt.Sprint(xr.Coins) {
		t.Fatalf("rates differ: %v", err)
	}
	// An API error arrives the same way in both formats.
	_, jerr := j.Call(ctx, "get_deposit_address", core.Fields{"currency": "NOPE1"})
	_, xerr := x.Call(ctx, "get_deposit_address", core.Fields{"currency": "NOPE1"})
	if jerr == nil || xerr == nil || jerr.Error() != xerr.Error() {
		t.Fatalf("errors differ: %v / %v", jerr, xerr)
	}
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

func TestTokenRefreshShortTTL(t *testing.T) {
	e := newEnv(t, sandbox.Config{TokenTTL: time.Second})
	c := e.client()
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for w := 0; w < 10; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := c.Call(context.Background(), "get_basic_info", nil); err != nil {
					failed.Add(1)
					t.Error(err)
				}
				time.Sleep(50 * time.Millisecond) // 500 calls spread over ~2.5 s
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	st := e.sb.Stats(e.demo.PublicKey)
	periods := int(elapsed/time.Second) + 1
	t.Logf("500 calls in %v with TTL 1s: %d logins", elapsed.Round(time.Millisecond), st.Logins)
	if failed.Load() != 0 {
		t.Fatalf("%d calls failed", failed.Load())
	}
	// expires_at has one-second resolution, so a token can look up to 1 s shorter-lived than it is:
	// allow two logins per TTL period, and fail anything near one login per call.
	if st.Logins < periods-1 || st.Logins > 2*periods+2 {
		t.Fatalf("logins = %d over %v, want about %d", st.Logins, elapsed, periods)
	}
}

func TestConcurrentCallersShareOneLogin(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: 100 * time.Millisecond, Cmd: "login"})
	c := e.client()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Call(context.Background(), "get_basic_info", nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if st := e.sb.Stats(e.demo.PublicKey); st.Logins != 1 || st.ByCmd["login"] != 1 {
		t.Fatalf("logins = %d (requests %d), want 1", st.Logins, st.ByCmd["login"])
	}
}

// clock is a settable time source shared by the sandbox and the client.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestReloginOnceOn401(t *testing.T) {
	sbClock := &clock{t: time.Now()}
	e := newEnv(t, sandbox.Config{Now: sbClock.now})
	c := e.client() // the client's clock does not move: it believes its token is fresh
	ctx := context.Background()
	if _, err := c.BasicInfo(ctx); err != nil {
		t.Fatal(err)
	}
	sbClock.add(2 * time.Hour) // the server now sees the token as expired
	if _, err := c.BasicInfo(ctx); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	st := e.sb.Stats(e.demo.PublicKey)
	if st.Logins != 2 || st.ByCmd["get_basic_info"] != 3 {
		t.Fatalf("logins=%d info requests=%d, want 2 and 3 (one refused, one resent)", st.Logins, st.ByCmd["get_basic_info"])
	}
}

func TestProactiveRefresh(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newEnv(t, sandbox.Config{Now: clk.now})
	c := e.client(core.WithClock(clk.now))
	ctx := context.Background()
	if _, err := c.BasicInfo(ctx); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Hour - 30*time.Second) // inside the 60 s margin
	if _, err := c.BasicInfo(ctx); err != nil {
		t.Fatal(err)
	}
	st := e.sb.Stats(e.demo.PublicKey)
	if st.Logins != 2 || st.FailedCalls != 0 {
		t.Fatalf("logins=%d failed=%d, want a refresh before expiry with no 401", st.Logins, st.FailedCalls)
	}
}

func TestLoginFailureIsTypedAndRedacted(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	const wrong = "wrong-private-key-1234567890"
	c, _ := core.New(core.WithAPIURL(e.url()), core.WithKeys(e.demo.PublicKey, wrong), core.WithTransport(nethttp.New(nil)))
	_, err := c.BasicInfo(context.Background())
	var ae *core.AuthError
	if !errors.As(err, &ae) || ae.Retryable() || !strings.Contains(err.Error(), "Invalid API key pair") {
		t.Fatalf("err = %v, want AuthError", err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), wrong) {
		t.Fatal("private key in the error")
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

func TestLoggerNeverSeesSecrets(t *testing.T) {
	e := newEnv(t, sandbox.Config{TokenTTL: time.Second})
	var mu sync.Mutex
	var log strings.Builder
	c := e.client(core.WithLogger(func(ev core.Event) {
		mu.Lock()
		fmt.Fprintf(&log, "%+v %v\n", ev, ev.Err)
		mu.Unlock()
	}))
	ctx := context.Background()
	tok, err := c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.BasicInfo(ctx)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHTML, Count: 3})
	c.BasicInfo(ctx)
	c.Call(ctx, "nope_cmd", nil)
	out := log.String()
	bare := strings.TrimPrefix(tok.AccessToken, "Bearer ")
	if strings.Contains(out, e.demo.PrivateKey) || strings.Contains(out, bare) {
		t.Fatalf("secret in log:\n%s", out)
	}
	if !strings.Contains(out, "Cmd:login") || !strings.Contains(out, "HTTPStatus:502") {
		t.Fatalf("log lacks events:\n%s", out)
	}
	if s := fmt.Sprintf("%v %+v %#v", tok, tok, tok); strings.Contains(s, bare) {
		t.Fatalf("Token prints itself: %s", s)
	}
}

func TestFileStoreSealsTokenAndKeepsNonce(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	path := filepath.Join(t.TempDir(), "cfg", "state.json")
	store, err := filestore.New(path, []byte(e.demo.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(core.WithTokenStore(store), core.WithNonces(store))
	ctx := context.Background()
	tok, err := c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BasicInfo(ctx); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v %v", fi.Mode(), err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), strings.TrimPrefix(tok.AccessToken, "Bearer ")) || strings.Contains(string(raw), e.demo.PrivateKey) {
		t.Fatal("plaintext secret in the state file")
	}
	// A second client (another process) reuses the token and continues the nonce sequence.
	store2, _ := filestore.New(path, []byte(e.demo.PrivateKey))
	c2 := e.client(core.WithTokenStore(store2), core.WithNonces(store2))
	if _, err := c2.BasicInfo(ctx); err != nil {
		t.Fatal(err)
	}
	st := e.sb.Stats(e.demo.PublicKey)
	if st.Logins != 1 || st.NonceErrors != 0 {
		t.Fatalf("logins=%d nonce errors=%d, want 1 and 0", st.Logins, st.NonceErrors)
	}
	// A store opened with another secret cannot read the token.
	other, _ := filestore.New(path, []byte("another-secret"))
	if _, ok, _ := other.LoadToken(ctx, c.StoreKey()); ok {
		t.Fatal("token opened with the wrong secret")
	}
	if err := c2.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.LoadToken(ctx, c.StoreKey()); ok {
		t.Fatal("token still stored after logout")
	}
}

func TestStaticTokenNeverLogsIn(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newEnv(t, sandbox.Config{Now: clk.now})
	tok, err := e.client().Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A client holding only a bearer token (as behind a gateway): no private key, no login.
	c, err := core.New(core.WithAPIURL(e.url()), core.WithKeys(e.demo.PublicKey, ""),
		core.WithStaticToken(tok.AccessToken), core.WithTransport(nethttp.New(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BasicInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Hour)
	_, err = c.BasicInfo(context.Background())
	var ae *core.AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "gateway token") || strings.Contains(err.Error(), strings.TrimPrefix(tok.AccessToken, "Bearer ")) {
		t.Fatalf("err = %v, want an AuthError without the token", err)
	}
	if st := e.sb.Stats(e.demo.PublicKey); st.Logins != 1 {
		t.Fatalf("logins = %d, want only the first client's", st.Logins)
	}
	if _, err := core.New(core.WithAPIURL(e.url()), core.WithStaticToken("t"), core.WithTransport(nethttp.New(nil))); err != nil {
		t.Fatalf("a static token needs no public key: %v", err)
	}
}
