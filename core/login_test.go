package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

// A server whose clock is two hours behind hands out tokens that look expired on arrival: the
// client logs in once and uses the token until the server refuses it (spec §2), and the session
// counts as open.
func TestSkewedServerClockLogsInOnce(t *testing.T) {
	e := newEnv(t, sandbox.Config{Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }, TokenTTL: time.Hour})
	c := e.client()
	ctx := context.Background()
	tok, err := c.Login(ctx)
	if err != nil || !tok.ExpiresAt.IsZero() {
		t.Fatalf("token %v %v, want one with an unknown expiry", tok, err)
	}
	for range 5 {
		if _, err := c.BasicInfo(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := c.Session(ctx); !ok {
		t.Fatal("the session counts as closed")
	}
	if st := e.sb.Stats(e.demo.PublicKey); st.Logins != 1 {
		t.Fatalf("%d logins, want 1", st.Logins)
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
	// expires_at has one-second resolution, so a token can look up to 1 s shorter-lived than it is,
	// and a loaded machine (the race detector, other suites) stretches calls past the refresh margin:
	// allow three logins per TTL period, and fail anything near one login per call (500).
	if st.Logins < periods-1 || st.Logins > 3*periods+2 {
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

// A client made without a private key says so on its first call, in words that fit every host
// of the core (the Go SDK, npm, the gateway), not the CLI's flags, and sends nothing.
func TestEmptyPrivateKeyIsAValidationError(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c, err := core.New(core.WithAPIURL(e.url()), core.WithKeys(e.demo.PublicKey, ""), core.WithTransport(nethttp.New(nil)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.BasicInfo(context.Background())
	var ve *core.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "invalid private key: is empty") || strings.Contains(err.Error(), "--private-key-file") {
		t.Fatalf("err = %v, want a ValidationError naming the private key and no CLI flag", err)
	}
	if st := e.sb.Stats(e.demo.PublicKey); st.RequestsSeen != 0 {
		t.Fatalf("%d requests reached the API", st.RequestsSeen)
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

// Through a gateway, a money request carries its operation id as the Idempotency-Key (the
// gateway answers a copy with the first one's outcome); reads and direct calls carry none.
func TestIdempotencyKeyThroughGateway(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	tok, err := e.client().Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	rec := func(next core.Transport) core.Transport {
		return core.TransportFunc(func(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
			keys[req.URL[strings.LastIndex(req.URL, "/")+1:]] = req.Header["Idempotency-Key"]
			return next.RoundTrip(ctx, req)
		})
	}
	gw, _ := core.New(core.WithAPIURL(e.url()), core.WithKeys(e.demo.PublicKey, ""), core.WithStaticToken(tok.AccessToken), core.WithTransport(rec(nethttp.New(nil))))
	ctx := core.WithOperationID(context.Background(), "op_gateway_1")
	if _, err := gw.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: sandbox.NewAddress("BTC")}); err != nil {
		t.Fatal(err)
	}
	if _, err := gw.Balances(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if keys["create_withdrawal"] != "op_gateway_1" || keys["balances"] != "" {
		t.Fatalf("gateway headers: %v", keys)
	}
	direct := e.client(core.WithTransport(rec(nethttp.New(nil))))
	if _, err := direct.CreateWithdrawal(context.Background(), &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: sandbox.NewAddress("BTC")}); err != nil {
		t.Fatal(err)
	}
	if keys["create_withdrawal"] != "" {
		t.Fatalf("a direct call sent Idempotency-Key %q", keys["create_withdrawal"])
	}
}

// A money command answered 401 is sent again after a new login with the same nonce: carried
// out once whether the 401 was the only delivery (the token really expired: the resend goes
// through) or the answer to a copy resent by the HTTP stack after the first was carried out
// (the API refuses the reused nonce: outcome unknown, and Reconcile finds the one withdrawal).
func TestMoneyAfter401ReusesTheNonce(t *testing.T) {
	t.Run("the token expired: sent again once", func(t *testing.T) {
		clk := &clock{t: time.Now()}
		e := newEnv(t, sandbox.Config{Now: clk.now, TokenTTL: time.Hour})
		c := e.client(core.WithNonces(nil))
		ctx := context.Background()
		if _, err := c.Login(ctx); err != nil {
			t.Fatal(err)
		}
		clk.add(2 * time.Hour) // the server's clock: the token has expired; ours does not know
		addr := sandbox.NewAddress("BTC")
		w, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr})
		if err != nil || w.ID == "" {
			t.Fatalf("withdrawal after a 401: %v", err)
		}
		st := e.sb.Stats(e.demo.PublicKey)
		if st.Logins != 2 || st.ByCmd["create_withdrawal"] != 2 || st.NonceErrors != 0 {
			t.Fatalf("stats %+v: want a second login and the request twice (401, then carried out)", st)
		}
	})
	t.Run("a copy got the 401 after the first was carried out", func(t *testing.T) {
		e := newEnv(t, sandbox.Config{})
		c := e.client(core.WithNonces(nil))
		ctx := context.Background()
		if _, err := c.Login(ctx); err != nil {
			t.Fatal(err)
		}
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitStatus, Status: 401, Cmd: "create_withdrawal"})
		addr := sandbox.NewAddress("BTC")
		note := "order-401"
		_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr, Note: &note})
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) {
			t.Fatalf("err = %v, want outcome unknown (the reused nonce was refused)", err)
		}
		n := 0
		for w, err := range c.WithdrawalHistory(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			if w.SendAddress == addr {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d withdrawals to the address, want exactly 1", n)
		}
		r, err := c.Reconcile(ctx, core.QueriesFromOutcome(ou, time.Now().Add(-time.Minute))[0])
		if err != nil || r.Verdict != core.Found {
			t.Fatalf("reconcile: %+v %v", r, err)
		}
	})
}

// A 401 after the API carried a request out (an HTTP stack's resent copy got the 401) must never
// lead to a second operation: a payment is sent again only with the same nonce (refused: outcome
// unknown), and a money command without a nonce is not sent again at all.
func TestNoSecondOperationAfter401(t *testing.T) {
	t.Run("a payment, with nonces: the same nonce, refused", func(t *testing.T) {
		e := newEnv(t, sandbox.Config{})
		c := e.client(core.WithNonces(nil))
		ctx := context.Background()
		if _, err := c.Login(ctx); err != nil {
			t.Fatal(err)
		}
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitStatus, Status: 401, Cmd: "create_transaction"})
		inv := "inv-401"
		_, err := c.CreateTransaction(ctx, &core.CreateTransactionParams{Amount: "10", Currency1: "USD", Currency2: "BTC", BuyerEmail: "buyer@example.com", Invoice: &inv})
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) {
			t.Fatalf("err = %v, want outcome unknown (the reused nonce was refused)", err)
		}
		n := 0
		for _, err := range c.TxIDs(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 1 {
			t.Fatalf("%d payments, want exactly 1", n)
		}
	})
	t.Run("a withdrawal, without nonces: not sent again", func(t *testing.T) {
		e := newEnv(t, sandbox.Config{})
		c := e.client()
		ctx := context.Background()
		if _, err := c.Login(ctx); err != nil {
			t.Fatal(err)
		}
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitStatus, Status: 401, Cmd: "create_withdrawal"})
		addr := sandbox.NewAddress("BTC")
		_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr})
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) || ou.OpID == "" && ou.SentAt.IsZero() {
			t.Fatalf("err = %v (%+v), want outcome unknown with what reconcile needs", err, ou)
		}
		if st := e.sb.Stats(e.demo.PublicKey); st.ByCmd["create_withdrawal"] != 1 {
			t.Fatalf("create_withdrawal sent %d times, want once", st.ByCmd["create_withdrawal"])
		}
	})
}

// After a 401 of a money command the request may have landed: when the new login then fails (the
// extension's worker restarted and holds no private key; the login is refused or unreachable),
// the outcome is unknown, never "refused, nothing was sent", and reconcile finds the withdrawal.
func TestMoneyAfter401WhoseLoginFailsIsUnknown(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ops := core.NewMemoryStore()
	c := e.client(core.WithNonces(nil), core.WithOpStore(ops), core.WithFencePause(10*time.Millisecond))
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitStatus, Status: 401, Cmd: "create_withdrawal"})
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultReset, Cmd: "login", Count: 5})
	addr := sandbox.NewAddress("BTC")
	note := "after-401"
	_, err := c.CreateWithdrawal(core.WithOperationID(ctx, "op-401-login"), &core.WithdrawalParams{Amount: "0.25", Currency: "BTC", Address: addr, Note: &note})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) || core.IsRetryable(err) {
		t.Fatalf("err = %v (retryable %v), want a non-retryable outcome unknown", err, core.IsRetryable(err))
	}
	res, err := c.ReconcileOp(ctx, "op-401-login")
	if err != nil || res.Verdict != core.Found {
		t.Fatalf("reconcile of the operation: %+v %v, want found (it was carried out)", res, err)
	}
}

// After a 401 of a money request that may have been carried out (an HTTP stack's resent copy got
// the 401 after the first copy landed: sandbox FaultCommitStatus 401), the request may only be
// sent again with the SAME nonce, and every way the resend fails must leave the outcome unknown.
// Three ways it did not:
//   - the resend fails before it leaves (NotSent: a dial refused): do() backs off and sends a
//     third attempt with a NEW nonce, which the API carried out: paid twice by the tool itself
//     (the retry now keeps the first copy's nonce);
//   - the resend is answered 429: RateLimitError (retryable), the op is recorded "refused";
//   - the resend is answered 401 again: AuthError, the op is recorded "refused".
//
// In the last two, ReconcileOp answered not_found, proven ("the API refused it, so nothing
// moved"), and the CLI's Next line says "safe to send it again".
func TestMoneyAfter401ResendFailureIsUnknown(t *testing.T) {
	cases := []struct {
		name     string
		notSent  bool           // the resend (2nd create_withdrawal) fails before it leaves
		resendFx *sandbox.Fault // or: what the sandbox answers the resend
	}{
		{name: "resend not sent, then retried with a new nonce", notSent: true},
		{name: "resend answered 429", resendFx: &sandbox.Fault{Kind: sandbox.FaultStatus, Status: 429, Cmd: "create_withdrawal"}},
		{name: "resend answered 401 again", resendFx: &sandbox.Fault{Kind: sandbox.FaultStatus, Status: 401, Cmd: "create_withdrawal"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Config{})
			var sends atomic.Int32
			base := nethttp.New(nil)
			tr := core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
				if strings.HasSuffix(r.URL, "/create_withdrawal") && sends.Add(1) == 2 && tc.notSent {
					return nil, core.NotSent(errors.New("dial tcp 127.0.0.1:443: connect: connection refused"))
				}
				return base.RoundTrip(ctx, r)
			})
			c := e.client(core.WithNonces(nil), core.WithTransport(tr), core.WithOpStore(core.NewMemoryStore()),
				core.WithFencePause(10*time.Millisecond))
			ctx := context.Background()
			if _, err := c.Login(ctx); err != nil {
				t.Fatal(err)
			}
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitStatus, Status: 401, Cmd: "create_withdrawal"})
			if tc.resendFx != nil {
				e.sb.InjectFault(*tc.resendFx)
			}
			addr := sandbox.NewAddress("BTC")
			note := "order-9"
			_, err := c.CreateWithdrawal(core.WithOperationID(ctx, "op-9"),
				&core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr, Note: &note})
			n := countTo(t, c, addr)
			var ou *core.OutcomeUnknownError
			if !errors.As(err, &ou) {
				t.Errorf("err = %v (retryable %v), want outcome unknown: the first copy was carried out", err, core.IsRetryable(err))
			}
			if n != 1 {
				t.Errorf("%d withdrawals to the address after one CreateWithdrawal, want 1 (paid twice)", n)
			}
			res, rerr := c.ReconcileOp(ctx, "op-9")
			if rerr != nil {
				t.Fatal(rerr)
			}
			if res.Verdict == core.NotFound {
				t.Errorf("ReconcileOp = not_found (proven %v: %s), but %d withdrawal(s) were carried out: 'safe to send it again' pays twice", res.Proven, res.Detail, n)
			}
		})
	}
}

// One token store shared by clients of one public key (the bridge's in-process store, a storage
// adapter over one database): a client given a wrong private key took the token the right one had
// saved, and moved money with it. A token is taken only by the key pair that logged in for it.
func TestAWrongPrivateKeyDoesNotTakeTheRightOnesToken(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	m := core.NewMemoryStore()
	right := e.client(core.WithTokenStore(m), core.WithNonces(m))
	if _, err := right.Balances(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	wrong := e.client(core.WithTokenStore(m), core.WithNonces(m), core.WithKeys(e.demo.PublicKey, "not-the-private-key"))
	_, err := wrong.CreateWithdrawal(context.Background(), &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: "bc1qthief"})
	if core.CodeOf(err) != core.CodeAuth || countTo(t, right, "bc1qthief") != 0 {
		t.Fatalf("a wrong private key after the right one logged in: %v; want refused (auth), nothing sent", err)
	}
	// the right one still uses its token (the wrong one's failed login saved nothing)
	if _, err := right.Balances(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

// Through a gateway (a static token: no login to try again), a money request answered 401 may
// have landed all the same: the first copy was carried out with the token still valid, its
// answer was lost, and a copy (resent by the browser on a dropped keep-alive connection, a
// proxy, or the caller's own retry with the same Idempotency-Key) reached the gateway after the
// token was removed or rotated; the gateway checks the token before the key's stored answer.
// The record must be outcome unknown, not "refused": a refused record lets the same payment,
// sent again after connecting with a new token, pass the pending-operation and the
// possible-duplicate checks, and pay twice.
func TestGatewayToken401OnMoneyIsUnknown(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	tok, err := e.client().Login(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ops := core.NewMemoryStore()
	gw := func() *core.Client {
		c, err := core.New(core.WithAPIURL(e.url()), core.WithKeys(e.demo.PublicKey, ""), core.WithStaticToken(tok.AccessToken),
			core.WithTransport(nethttp.New(nil)), core.WithOpStore(ops), core.WithDuplicateCheck(core.DuplicateWindow))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitStatus, Status: 401, Cmd: "create_withdrawal"})
	addr := sandbox.NewAddress("BTC")
	p := &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr}
	_, err = gw().CreateWithdrawal(core.WithOperationID(ctx, "op-gw-401"), p)
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) || core.IsRetryable(err) {
		t.Errorf("err = %v (code %s), want a non-retryable outcome unknown: the first copy may have landed", err, core.CodeOf(err))
	}
	if !strings.Contains(err.Error(), "gateway token") {
		t.Errorf("err = %v, want it to name the gateway token", err)
	}
	// The person connects again (a new token, the same store) and sends the same payment.
	_, err2 := gw().CreateWithdrawal(core.WithOperationID(ctx, "op-gw-401-again"), p)
	if n := countTo(t, e.client(), addr); n != 1 {
		t.Fatalf("%d withdrawals to the address (want 1); the first answer was %v, sending it again: %v", n, err, err2)
	}
}

// fakeCloseGateway is the edge gateway's Idempotency-Key records (wasm/edge idempotency.go) in
// front of an API that counts withdrawals: a create_withdrawal it is told to hold is kept by "the
// network" (the client's answer lost), and delivered later with deliver.
type fakeCloseGateway struct {
	mu     sync.Mutex
	recs   map[string]string // key -> closed | done
	held   []*core.Request
	hold   bool
	paid   int
	closes int
	fail   bool // the close route answers 503
	// drop: a create_withdrawal is carried out, and its answer lost on the way back
	drop bool
	hist []string // the withdrawals carried out, as get_withdrawal_history lists them
}

func (g *fakeCloseGateway) deliver(r *core.Request) *core.HTTPResponse {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := r.Header["Idempotency-Key"]
	switch g.recs[key] {
	case "closed":
		return &core.HTTPResponse{Status: 409, Header: map[string]string{"content-type": "application/json"}, Body: []byte(`{"error":"this Idempotency-Key was closed by a reconcile","code":"idempotency_key_closed","retryable":false}`)}
	case "done":
		return &core.HTTPResponse{Status: 200, Header: map[string]string{"content-type": "application/json"}, Body: []byte(`{"error":"ok","result":{"id":"WD-` + key + `","status":1}}`)}
	}
	g.recs[key] = "done"
	g.paid++
	f, _ := url.ParseQuery(string(r.Body))
	amt, _ := core.ParseAmount(f.Get("amount"))
	g.hist = append([]string{fmt.Sprintf(`{"id":"WD-%s","time_created":%d,"status":0,"coin":%q,"amount":%d,"amountf":%q,"send_address":%q,"note":%q}`,
		key, time.Now().Unix(), f.Get("currency"), amt.Units(), amt.Text(), f.Get("address"), f.Get("note"))}, g.hist...)
	return &core.HTTPResponse{Status: 200, Header: map[string]string{"content-type": "application/json"}, Body: []byte(`{"error":"ok","result":{"id":"WD-` + key + `","status":1}}`)}
}

func (g *fakeCloseGateway) transport() core.Transport {
	return core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		json := map[string]string{"content-type": "application/json"}
		switch {
		case strings.HasSuffix(r.URL, "/v1/idempotency/close"):
			g.mu.Lock()
			defer g.mu.Unlock()
			g.closes++
			if g.fail {
				return &core.HTTPResponse{Status: 503, Header: json, Body: []byte(`{"error":"not recorded","code":"not_recorded","retryable":true}`)}, nil
			}
			if r.Header["Authorization"] != "Bearer GWTOK" || r.Header["Content-Type"] != "application/json" {
				return &core.HTTPResponse{Status: 401, Header: json, Body: []byte(`{"error":"invalid bearer token"}`)}, nil
			}
			key := strings.TrimSuffix(strings.TrimPrefix(string(r.Body), `{"key":"`), `"}`)
			switch g.recs[key] {
			case "":
				g.recs[key] = "closed"
				return &core.HTTPResponse{Status: 200, Header: json, Body: []byte(`{"state":"closed"}`)}, nil
			case "done":
				return &core.HTTPResponse{Status: 200, Header: json, Body: []byte(`{"state":"done","status":200}`)}, nil
			}
			return &core.HTTPResponse{Status: 200, Header: json, Body: []byte(`{"state":"closed"}`)}, nil
		case strings.HasSuffix(r.URL, "/v1/call/create_withdrawal"):
			g.mu.Lock()
			hold, drop := g.hold, g.drop
			if hold {
				g.held = append(g.held, r)
			}
			g.mu.Unlock()
			if hold {
				return nil, errors.New("connection reset after the request was written")
			}
			if drop {
				g.deliver(r)
				return nil, errors.New("connection reset before the answer was read")
			}
			return g.deliver(r), nil
		case strings.HasSuffix(r.URL, "/v1/call/get_withdrawal_history"):
			g.mu.Lock()
			defer g.mu.Unlock()
			return &core.HTTPResponse{Status: 200, Header: json, Body: []byte(`{"error":"ok","result":[` + strings.Join(g.hist, ",") + `]}`)}, nil
		}
		return &core.HTTPResponse{Status: 404, Header: json, Body: []byte(`{"error":"no such route"}`)}, nil
	})
}

// Through a gateway (static token, no nonces) a withdrawal whose answer was lost is held by the
// network. With WithGatewayCloseURL, ReconcileOp closes its Idempotency-Key at once: not_found,
// proven; the held copy delivered afterwards is refused (409), and the payment sent again pays
// once. Without the option, or when the key was answered or the close fails, ReconcileOp waits
// (in_flight) as before.
func TestGatewayCloseSettlesALostAnswerAtOnce(t *testing.T) {
	g := &fakeCloseGateway{recs: map[string]string{}}
	ops := core.NewMemoryStore()
	gw := func(opts ...core.Option) *core.Client {
		c, err := core.New(append([]core.Option{core.WithAPIURL("https://gw.example/v1/call"), core.WithStaticToken("GWTOK"),
			core.WithTransport(g.transport()), core.WithOpStore(ops)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	closing := core.WithGatewayCloseURL("https://gw.example/v1/idempotency/close")
	ctx := context.Background()
	p := &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: "bc1qcloseaddr"}
	g.hold = true
	_, err := gw(closing).CreateWithdrawal(core.WithOperationID(ctx, "op-held"), p)
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v, want an outcome unknown", err)
	}
	g.hold = false
	// Without the option: in_flight, as before, and nothing closed.
	if r, err := gw().ReconcileOp(ctx, "op-held"); err != nil || r.Verdict != core.InFlight || g.closes != 0 {
		t.Fatalf("without the close URL: %+v %v, %d closes", r, err, g.closes)
	}
	r, err := gw(closing).ReconcileOp(ctx, "op-held")
	if err != nil || r.Verdict != core.NotFound || !r.Proven || !strings.Contains(r.Detail, "Idempotency-Key is closed") {
		t.Fatalf("reconcile through the gateway: %+v %v, want not_found, proven, at once", r, err)
	}
	if r, err := gw(closing).ReconcileOp(ctx, "op-held"); err != nil || r.Verdict != core.NotFound || !r.Proven {
		t.Fatalf("asked again: %+v %v", r, err)
	}
	// The person sends the payment again (a new op id); then the network delivers the held copy.
	if _, err := gw(closing).CreateWithdrawal(core.WithOperationID(ctx, "op-again"), p); err != nil {
		t.Fatal(err)
	}
	late := g.deliver(g.held[0])
	if late.Status != 409 || g.paid != 1 {
		t.Fatalf("the held copy: %d %s; %d withdrawals, want 1", late.Status, late.Body, g.paid)
	}

	// Its request answered (the answer lost on the way back): the close reports done, and the
	// history decides (in_flight here: the fake history is empty).
	g.recs["op-answered"] = "done"
	g.hold = true
	_, _ = gw(closing).CreateWithdrawal(core.WithOperationID(ctx, "op-answered"), &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qcloseaddr"})
	g.hold = false
	if r, err := gw(closing).ReconcileOp(ctx, "op-answered"); err != nil || r.Verdict != core.InFlight {
		t.Fatalf("a key the gateway answered: %+v %v, want in_flight (the history decides)", r, err)
	}
	// The close route failing: as before.
	g.fail, g.hold = true, true
	_, _ = gw(closing).CreateWithdrawal(core.WithOperationID(ctx, "op-failclose"), &core.WithdrawalParams{Amount: "0.4", Currency: "BTC", Address: "bc1qcloseaddr"})
	if r, err := gw(closing).ReconcileOp(ctx, "op-failclose"); err != nil || r.Verdict != core.InFlight {
		t.Fatalf("close failed: %+v %v, want in_flight", r, err)
	}
	// Sent longer ago than the gateway surely keeps its record (a pruned record would close as
	// never used): not closed; the history decides.
	g.fail = false
	_, _ = gw(closing).CreateWithdrawal(core.WithOperationID(ctx, "op-old"), &core.WithdrawalParams{Amount: "0.5", Currency: "BTC", Address: "bc1qcloseaddr"})
	g.hold = false
	closes := g.closes
	later := core.WithClock(func() time.Time { return time.Now().Add(4 * 24 * time.Hour) })
	if r, err := gw(closing, later).ReconcileOp(ctx, "op-old"); err != nil || r.Verdict != core.NotFound || r.Proven || g.closes != closes {
		t.Fatalf("an old operation: %+v %v, %d closes (want none, and an unproven not_found)", r, err, g.closes-closes)
	}
	// Carried out, its answer lost, and then the gateway's record of its key lost too (its storage
	// replaced, its record ids' format changed): the close answers "closed" for a key it has no
	// record of, which is not proof that it was never sent: the history finds it.
	g.hold, g.drop = false, true
	lost := &core.WithdrawalParams{Amount: "0.6", Currency: "BTC", Address: "bc1qcloseaddr"}
	if _, err := gw(closing).CreateWithdrawal(core.WithOperationID(ctx, "op-lost"), lost); !errors.As(err, &ou) {
		t.Fatalf("err = %v, want an outcome unknown", err)
	}
	g.drop = false
	delete(g.recs, "op-lost")
	if r, err := gw(closing).ReconcileOp(ctx, "op-lost"); err != nil || r.Verdict != core.Found || len(r.Withdrawals) != 1 || r.Withdrawals[0].ID != "WD-op-lost" {
		t.Fatalf("a withdrawal carried out whose key's record the gateway lost: %+v %v, want found (the history lists it)", r, err)
	}
	// The option needs a static token, and a URL New accepts.
	if _, err := core.New(core.WithKeys("pub", "priv"), core.WithTransport(g.transport()), closing); err == nil {
		t.Fatal("a close URL without a static token was accepted")
	}
	if _, err := core.New(core.WithStaticToken("GWTOK"), core.WithTransport(g.transport()), core.WithGatewayCloseURL("http://gw.example/close")); err == nil {
		t.Fatal("a plain-http close URL was accepted")
	}
}

// A key pair given to a wallexkit edge gateway's URL (…/v1/call: the gateway holds the keys and
// takes its own tokens) is refused; the error says to connect with a gateway token, not to check
// the key pair.
func TestKeyPairAtAGatewayURLSaysToUseAGatewayToken(t *testing.T) {
	tr := core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		return &core.HTTPResponse{Status: 401, Header: map[string]string{"content-type": "application/json"}, Body: []byte(`{"error":"missing or invalid bearer token","code":"unauthorized"}`)}, nil
	})
	c, err := core.New(core.WithAPIURL("https://gw.example/v1/call"), core.WithKeys("pub", "priv"), core.WithTransport(tr))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Balances(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "gateway token") || strings.Contains(err.Error(), "check the public and private key") {
		t.Fatalf("err = %v, want it to say to connect with a gateway token", err)
	}
}
