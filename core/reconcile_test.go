package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

func TestWithdrawalCommitDropReconciles(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	c.Login(ctx)
	since := time.Now()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	params := &core.WithdrawalParams{Amount: "0.25", Currency: "BTC", Address: "bc1qdest", Note: core.String("payout-7")}
	_, err := c.CreateWithdrawal(ctx, params)
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v, want outcome unknown", err)
	}
	qs := core.QueriesFromOutcome(ou, since)
	if len(qs) != 1 {
		t.Fatalf("queries = %+v", qs)
	}
	res, err := c.Reconcile(ctx, qs[0])
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != core.Found || len(res.Withdrawals) != 1 || res.Withdrawals[0].Note != "payout-7" {
		t.Fatalf("reconcile = %+v", res)
	}
	// A payout that never happened: without nonces nothing proves it will not still arrive, so
	// the verdict is in_flight until the original's deadline plus the in-flight window...
	qs[0].Amount = "0.26"
	if res, err := c.Reconcile(ctx, qs[0]); err != nil || res.Verdict != core.InFlight || res.Proven || res.Until.Before(ou.Deadline) {
		t.Fatalf("reconcile of an unsent payout without nonces = %+v %v", res, err)
	}

	// Two identical payouts without distinct notes are ambiguous.
	for i := 0; i < 2; i++ {
		c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: "bc1qtwin"})
	}
	if res, _ := c.Reconcile(ctx, core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.1", Currency: "BTC", Address: "bc1qtwin", Since: since}); res.Verdict != core.Ambiguous {
		t.Fatalf("twins = %+v", res)
	}
	var n int
	for w, err := range c.WithdrawalHistory(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if w.SendAddress == "bc1qdest" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("ledger has %d withdrawals to bc1qdest, want exactly 1", n)
	}
	// ...and with nonces the fence proves it when the query says the original was sent with this
	// key (this client's OutcomeUnknownError: SentWith; it carried no nonce, and once the key has
	// sent one a copy without is refused, spec §4), or gives its nonce on this key: not_found,
	// proven. Described by its fields alone, the fence says nothing of the original (another key or
	// tool may have sent it): in_flight, as without nonces. (Last: from now on the key needs a
	// nonce on every call.)
	cn := e.client(core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
	byFields := qs[0]
	byFields.SentWith = ""
	if res, err := cn.Reconcile(ctx, byFields); err != nil || res.Verdict != core.InFlight || res.Proven || !strings.Contains(res.Detail, "fence says nothing of the original") {
		t.Fatalf("reconcile of an unsent payout by its fields, with nonces = %+v %v", res, err)
	}
	withNonce := byFields
	withNonce.Nonce = 1 // below anything the fence sends
	if res, err := cn.Reconcile(ctx, withNonce); err != nil || res.Verdict != core.NotFound || !res.Proven {
		t.Fatalf("reconcile of an unsent payout with its nonce, with nonces = %+v %v", res, err)
	}
	if res, err := cn.Reconcile(ctx, qs[0]); err != nil || res.Verdict != core.NotFound || !res.Proven {
		t.Fatalf("reconcile of this client's unsent payout (sent without a nonce), with nonces = %+v %v", res, err)
	}
	// A client without nonces is told why it is refused now.
	_, err = c.BasicInfo(ctx)
	var ne *core.NonceError
	if !errors.As(err, &ne) || !ne.Required || !strings.Contains(err.Error(), "turn nonces on") {
		t.Fatalf("err = %v, want a NonceError saying to turn nonces on", err)
	}
}

// A create_withdrawal priced in currency2 (USD) is carried out, its answer lost. Reconcile, fed
// from the OutcomeUnknownError, must not compare the USD amount with the BTC amount in the
// history and say NotFound ("safe to send again"): a resend would pay twice.
func TestReconcileCurrency2SaysNotFound(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	since := time.Now()
	usd := "USD"
	note := "order-77"
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "100", Currency: "BTC", Currency2: &usd,
		Address: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", Note: &note})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v, want OutcomeUnknownError", err)
	}
	for _, q := range core.QueriesFromOutcome(ou, since) {
		res, err := c.Reconcile(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict == core.NotFound {
			t.Fatalf("Reconcile = %s (%s), but the withdrawal was carried out: a resend pays twice", res.Verdict, res.Detail)
		}
	}
}

// countTo counts the sandbox's withdrawals to address.
func countTo(t *testing.T, c *core.Client, address string) int {
	t.Helper()
	n := 0
	for w, err := range c.WithdrawalHistory(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		if w.SendAddress == address {
			n++
		}
	}
	return n
}

// A request held by the network past the client's timeout and delivered later: with nonces the
// fence makes the late copy bounce, so "not found" is true and sending again pays once.
func TestFenceMakesALateCopyBounce(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithNonces(nil), core.WithFencePause(20*time.Millisecond))
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	const addr = "bc1qfenced"
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 600 * time.Millisecond, Cmd: "create_withdrawal"})
	cctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	_, err := c.CreateWithdrawal(cctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr, Note: core.String("late-1")})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) || ou.Nonce == 0 || ou.SentAt.IsZero() || ou.Deadline.IsZero() || ou.OpID == "" {
		t.Fatalf("err = %#v, want outcome unknown with nonce, times and op id", err)
	}
	res, err := c.Reconcile(ctx, core.QueriesFromOutcome(ou, time.Now().Add(-time.Minute))[0])
	if err != nil || res.Verdict != core.NotFound || !res.Proven {
		t.Fatalf("reconcile while the copy is held = %+v %v", res, err)
	}
	time.Sleep(700 * time.Millisecond) // the held request is delivered now
	if n := countTo(t, c, addr); n != 0 {
		t.Fatalf("the late copy was carried out (%d withdrawals): the fence did not hold", n)
	}
	if st := e.sb.Stats(e.demo.PublicKey); st.NonceErrors != 1 {
		t.Fatalf("nonce errors = %d, want 1 (the late copy refused)", st.NonceErrors)
	}
	// Following the verdict: send again. Exactly one payment.
	if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr, Note: core.String("late-1")}); err != nil {
		t.Fatal(err)
	}
	if n := countTo(t, c, addr); n != 1 {
		t.Fatalf("%d withdrawals, want exactly 1", n)
	}
}

// A withdrawal sent with another API key of the account (another tool, a backend) is held by the
// network past its client's timeout; the merchant reconciles it by its fields with a client that
// has nonces. The fence runs on this key, so it says nothing of the other key's request: the
// verdict must wait (in_flight), not call the miss proven. Before, it said not_found, proven,
// "safe to send again", and the held request then landed: paid twice.
func TestReconcileByFieldsOfAnotherKeysRequestWaits(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ctx := context.Background()
	k2 := e.newKey(nil)
	other := e.client(core.WithKeys(k2.PublicKey, k2.PrivateKey), core.WithNonces(nil))
	if _, err := other.Login(ctx); err != nil {
		t.Fatal(err)
	}
	const addr = "bc1qotherkey"
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 600 * time.Millisecond, Cmd: "create_withdrawal"})
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	sent := time.Now()
	if _, err := other.CreateWithdrawal(cctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr, Note: core.String("k2-1")}); !errors.As(err, new(*core.OutcomeUnknownError)) {
		t.Fatalf("err = %v, want outcome unknown", err)
	}
	c := e.client(core.WithNonces(nil), core.WithFencePause(10*time.Millisecond), core.WithInFlightWindow(5*time.Second))
	q := core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.1", Currency: "BTC", Address: addr, Note: "k2-1", Since: sent.Add(-time.Minute), SentAt: sent}
	res, err := c.Reconcile(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != core.InFlight || res.Proven || res.Until.Before(sent.Add(5*time.Second)) {
		t.Fatalf("reconcile by fields while the other key's request is held = %+v, want in_flight until its bound", res)
	}
	time.Sleep(700 * time.Millisecond) // the held request is delivered now, and carried out
	if res, err := c.Reconcile(ctx, q); err != nil || res.Verdict != core.Found {
		t.Fatalf("after the hold: %+v %v, want found", res, err)
	}
	if n := countTo(t, c, addr); n != 1 {
		t.Fatalf("%d withdrawals, want exactly 1", n)
	}
}

// Without nonces nothing proves the held request will not land: in_flight until the deadline
// plus the window, and the late copy is then found, not paid twice.
func TestWithoutNoncesALateCopyIsInFlight(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithInFlightWindow(5 * time.Second))
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	const addr = "bc1qinflight"
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 400 * time.Millisecond, Cmd: "create_withdrawal"})
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := c.CreateWithdrawal(cctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr, Note: core.String("nf-1")})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v", err)
	}
	q := core.QueriesFromOutcome(ou, time.Now().Add(-time.Minute))[0]
	res, err := c.Reconcile(ctx, q)
	if err != nil || res.Verdict != core.InFlight || res.Proven || !res.Until.Equal(ou.Deadline.Add(5*time.Second)) {
		t.Fatalf("reconcile = %+v %v", res, err)
	}
	time.Sleep(500 * time.Millisecond)
	if res, err := c.Reconcile(ctx, q); err != nil || res.Verdict != core.Found {
		t.Fatalf("after the hold: %+v %v", res, err)
	}
	if n := countTo(t, c, addr); n != 1 {
		t.Fatalf("%d withdrawals", n)
	}
}

// scripted is a fake API for the fence's order of calls: it records every form and answers
// history reads from a list of pages.
type scripted struct {
	mu      sync.Mutex
	forms   []url.Values
	history []string // answers of successive get_withdrawal_history calls
}

func (s *scripted) RoundTrip(_ context.Context, req *core.Request) (*core.HTTPResponse, error) {
	f, _ := url.ParseQuery(string(req.Body))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forms = append(s.forms, f)
	body := `{"error":"ok","result":{}}`
	switch f.Get("cmd") {
	case "login":
		body = `{"success":"true","result":{"access_token":"Bearer t","expires_at":"2099-01-01 00:00:00"}}`
	case "get_withdrawal_history":
		body = `{"error":"ok","result":[]}`
		if len(s.history) > 0 {
			body, s.history = s.history[0], s.history[1:]
		}
	}
	return &core.HTTPResponse{Status: 200, Header: map[string]string{"content-type": "application/json"}, Body: []byte(body)}, nil
}

func scriptedClient(t *testing.T, s *scripted) *core.Client {
	c, err := core.New(core.WithAPIURL("https://api.test/api"), core.WithKeys("pub", "priv"), core.WithTransport(s),
		core.WithNonces(nil), core.WithFencePause(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The fence goes above the original's nonce, and a copy carried out while the fence was being
// processed (seen only by the second read) is found, not reported missing.
func TestFenceOrderAndSecondRead(t *testing.T) {
	now := time.Now().Unix()
	item := fmt.Sprintf(`{"error":"ok","result":[{"id":"W1","time_created":%d,"status":1,"coin":"BTC","amount":10000000,"amountf":"0.10000000","send_address":"bc1qx","note":"n1"}]}`, now)
	s := &scripted{history: []string{`{"error":"ok","result":[]}`, `{"error":"ok","result":[]}`, item}}
	c := scriptedClient(t, s)
	original := time.Now().UnixMilli() + 10_000_000 // an original nonce far above the clock
	q := core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.1", Currency: "BTC", Address: "bc1qx", Note: "n1", Nonce: original, Since: time.Now().Add(-time.Minute)}
	res, err := c.Reconcile(context.Background(), q)
	if err != nil || res.Verdict != core.Found || res.Withdrawals[0].ID != "W1" || !res.Proven {
		t.Fatalf("res = %+v %v", res, err)
	}
	var cmds []string
	for _, f := range s.forms {
		cmds = append(cmds, f.Get("cmd")+":"+f.Get("limit"))
	}
	if got := strings.Join(cmds, " "); got != "login: get_withdrawal_history:1 get_withdrawal_history:100 get_withdrawal_history:100" {
		t.Fatalf("calls = %s, want login, the fence (limit 1), a read, a second read", got)
	}
	fence, _ := strconv.ParseInt(s.forms[1].Get("nonce"), 10, 64)
	if fence <= original {
		t.Fatalf("fence nonce %d is not above the original's %d", fence, original)
	}
	// Missing in both reads after the fence: not_found, proven.
	s2 := &scripted{}
	res, err = scriptedClient(t, s2).Reconcile(context.Background(), q)
	if err != nil || res.Verdict != core.NotFound || !res.Proven || len(s2.forms) != 4 {
		t.Fatalf("res = %+v %v (%d calls)", res, err, len(s2.forms))
	}
}

// A fence that fails concludes nothing.
func TestFenceFailureConcludesNothing(t *testing.T) {
	c, _ := core.New(core.WithAPIURL("https://api.test/api"), core.WithKeys("pub", "priv"), core.WithNonces(nil),
		core.WithRetries(0, 0, 0),
		core.WithTransport(core.TransportFunc(func(_ context.Context, req *core.Request) (*core.HTTPResponse, error) {
			if strings.Contains(string(req.Body), "cmd=login") {
				return &core.HTTPResponse{Status: 200, Body: []byte(`{"success":"true","result":{"access_token":"Bearer t","expires_at":"2099-01-01 00:00:00"}}`)}, nil
			}
			return &core.HTTPResponse{Status: 503, Body: []byte("down")}, nil
		})))
	_, err := c.Reconcile(context.Background(), core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.1", Currency: "BTC", Address: "bc1qx"})
	if err == nil || !strings.Contains(err.Error(), "fence") {
		t.Fatalf("err = %v, want the fence's failure", err)
	}
}

// A search that stops at its item limit while its window holds more says nothing is "not
// found": the original may be among the items it did not read. With a limit large enough the
// same withdrawal is found, and one that never happened is not_found (proven by the fence).
func TestReconcileAtItsItemLimitIsNeverNotFound(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
	ctx := context.Background()
	since := time.Now().Add(-time.Minute)
	old := &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: "bc1qoldest", Note: core.String("first")}
	if _, err := c.CreateWithdrawal(ctx, old); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: fmt.Sprintf("bc1qnewer%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	q := core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.01", Currency: "BTC", Address: "bc1qoldest", Since: since, MaxItems: 3}
	never := q
	never.Address = "bc1qneversent"
	rs, err := c.ReconcileAll(ctx, []core.ReconcileQuery{q, never})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.Verdict != core.Ambiguous || r.Proven || !strings.Contains(r.Detail, "newest 3 withdrawals") {
			t.Fatalf("query %d at a 3-item limit over 5 withdrawals = %+v, want ambiguous (not searched far enough)", i, r)
		}
	}
	q.MaxItems, never.MaxItems = 5, 5 // exactly the window: complete
	never.Nonce = 1                   // sent with this key below the fence: a miss is proven
	rs, err = c.ReconcileAll(ctx, []core.ReconcileQuery{q, never})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Verdict != core.Found || rs[1].Verdict != core.NotFound || !rs[1].Proven {
		t.Fatalf("with the whole window searched: %+v / %+v", rs[0], rs[1])
	}
}

// Without nonces and without the time the original left, the wait before "not found" counts
// from now (it may have left a moment ago), not from the start of the search window.
func TestReconcileWithoutSentTimeWaitsFromNow(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithInFlightWindow(time.Minute))
	ctx := context.Background()
	q := core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.02", Currency: "BTC", Address: "bc1qlostanswer", Since: time.Now().Add(-24 * time.Hour)}
	res, err := c.Reconcile(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != core.InFlight || res.Proven || res.Until.Before(time.Now().Add(time.Minute)) {
		t.Fatalf("reconcile with the send time unknown, window opened a day ago = %+v, want in_flight until at least a minute from now", res)
	}
	// The verdict says when the wait counted from; asked again with it as the send time, after the
	// wait, it settles (asked without it, the wait would count from then again, for ever).
	short := e.client(core.WithTimeout(100*time.Millisecond), core.WithInFlightWindow(200*time.Millisecond))
	first, err := short.Reconcile(ctx, q)
	if err != nil || first.Verdict != core.InFlight || first.AssumedSentAt.IsZero() || time.Since(first.AssumedSentAt) > time.Minute {
		t.Fatalf("first look = %+v %v, want in_flight with the time it counted from", first, err)
	}
	time.Sleep(time.Until(first.Until) + 10*time.Millisecond)
	again := q
	again.SentAt = first.AssumedSentAt
	if res, err := short.Reconcile(ctx, again); err != nil || res.Verdict != core.NotFound || res.Proven || !res.AssumedSentAt.IsZero() {
		t.Fatalf("asked again with that time after the wait = %+v %v, want not_found (not proven)", res, err)
	}
}

// What no history lists (a conversion, a transfer to another merchant) is settled by comparing
// balances, which tells only once the original can no longer be carried out: without nonces
// the verdict waits (in_flight) until the original's in-flight bound; with nonces the fence
// runs first, and only then are balances the answer.
func TestReconcileOfAConversionWaitsForTheFence(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ctx := context.Background()
	sent := time.Now()
	q := core.ReconcileQuery{Cmd: "convert", Amount: "0.1", Currency: "BTC", Currency2: "LTC", SentAt: sent, Deadline: sent.Add(2 * time.Second)}
	c := e.client(core.WithInFlightWindow(time.Minute))
	res, err := c.Reconcile(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != core.InFlight || res.Proven || !res.Until.Equal(q.Deadline.Add(time.Minute)) || !strings.Contains(res.Detail, "compare your balances") {
		t.Fatalf("without nonces, within the in-flight bound = %+v, want in_flight until the deadline plus the window", res)
	}
	old := q
	old.SentAt, old.Deadline = sent.Add(-time.Hour), sent.Add(-time.Hour)
	if res, err := c.Reconcile(ctx, old); err != nil || res.Verdict != core.Ambiguous || res.Proven {
		t.Fatalf("without nonces, after the bound = %+v %v, want ambiguous (compare balances)", res, err)
	}
	cn := e.client(core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
	before := e.sb.Stats(e.demo.PublicKey).ByCmd["get_tx_ids"]
	// the fence proves nothing of an original whose nonce is not given: it waits, as without nonces
	if res, err := cn.Reconcile(ctx, q); err != nil || res.Verdict != core.InFlight || !res.Until.Equal(q.Deadline.Add(cn.InFlightUntil(sent, sent).Sub(sent))) {
		t.Fatalf("with nonces, the original's nonce unknown = %+v %v, want in_flight until its bound", res, err)
	}
	q.Nonce = 1
	res, err = cn.Reconcile(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != core.Ambiguous || !strings.Contains(res.Detail, "nonce fence has run") {
		t.Fatalf("with nonces = %+v, want ambiguous after the fence", res)
	}
	if after := e.sb.Stats(e.demo.PublicKey).ByCmd["get_tx_ids"]; after <= before {
		t.Fatalf("no fence call was made (%d get_tx_ids before, %d after)", before, after)
	}
}

// A machine clock ahead of the API's: a withdrawal carried out whose answer was lost is found by
// its operation id. 10 minutes ahead: the search used to start 6 minutes before the (local) send
// time, after the API's time for the withdrawal: not found, proven by the fence, and sent again.
// Three hours ahead (a hardware clock kept in local time and read as UTC, no NTP), more than the
// search's hour of slack: searched for from two hours after the API's time for it, with the same
// end. The search now widens by how far this machine's clock is ahead of the API's (its answers'
// Date header).
func TestReconcileWithAClockAheadFindsTheOperation(t *testing.T) {
	for _, ahead := range []time.Duration{10 * time.Minute, 3 * time.Hour} {
		t.Run(ahead.String(), func(t *testing.T) {
			e := newEnv(t, sandbox.Config{})
			c := e.client(core.WithNonces(nil), core.WithOpStore(core.NewMemoryStore()), core.WithFencePause(10*time.Millisecond),
				core.WithClock(func() time.Time { return time.Now().Add(ahead) }))
			ctx := context.Background()
			if _, err := c.Login(ctx); err != nil {
				t.Fatal(err)
			}
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
			note := "skew-" + ahead.String()
			_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.25", Currency: "BTC", Address: sandbox.NewAddress("BTC"), Note: &note})
			var ou *core.OutcomeUnknownError
			if !errors.As(err, &ou) {
				t.Fatalf("err = %v, want outcome unknown", err)
			}
			res, err := c.ReconcileOp(ctx, ou.OpID)
			if err != nil || res.Verdict != core.Found {
				t.Fatalf("reconcile: %+v %v, want found", res, err)
			}
		})
	}
}

// The same clock without nonces, asked from a fresh client (another run of the CLI: its token
// cached, so no login) once the in-flight bound has passed: the search must not start after the
// withdrawal either, or "not found" (not proven) invites sending it again.
func TestReconcileWithoutNoncesWithAClockHoursAheadFindsTheOperation(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	store := core.NewMemoryStore()
	ahead := core.WithClock(func() time.Time { return time.Now().Add(3 * time.Hour) })
	opts := []core.Option{core.WithOpStore(store), core.WithTokenStore(store), ahead,
		core.WithTimeout(200 * time.Millisecond), core.WithInFlightWindow(10 * time.Millisecond)}
	c := e.client(opts...)
	ctx := context.Background()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	note := "skew-3h-nonces-off"
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.25", Currency: "BTC", Address: sandbox.NewAddress("BTC"), Note: &note})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v, want outcome unknown", err)
	}
	time.Sleep(300 * time.Millisecond) // past its in-flight bound
	res, err := e.client(opts...).ReconcileOp(ctx, ou.OpID)
	if err != nil || res.Verdict != core.Found {
		t.Fatalf("reconcile: %+v %v, want found", res, err)
	}
}

// An OutcomeUnknownError of client A (key A, no nonces) reconciled on client B (key B, nonces):
// the error names the key that sent it (StoreKey), so B's fence proves nothing of it: in_flight
// until its bound. (A first version marked every outcome "sent with this key", and B's fence
// "proved" not_found while A's request was still held by the network; it then landed. Found by
// a review.)
func TestReconcileOfAnotherClientsOutcomeWaits(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ctx := context.Background()
	a := e.client(core.WithTimeout(300 * time.Millisecond))
	if _, err := a.Login(ctx); err != nil {
		t.Fatal(err)
	}
	kb := e.newKey(nil)
	b, err := core.New(core.WithAPIURL(e.url()), core.WithKeys(kb.PublicKey, kb.PrivateKey),
		core.WithTransport(nethttp.New(nil)), core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 2 * time.Second, Cmd: "create_withdrawal"})
	_, err = a.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.25", Currency: "BTC", Address: sandbox.TestAddress("BTC", 3), Note: core.String("x-1")})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v", err)
	}
	res, err := b.Reconcile(ctx, core.QueriesFromOutcome(ou, since)[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("B's verdict on A's operation: %s proven=%v: %s", res.Verdict, res.Proven, res.Detail)
	time.Sleep(2500 * time.Millisecond)
	again, _ := a.Reconcile(ctx, core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.25", Currency: "BTC", Address: sandbox.TestAddress("BTC", 3), Note: "x-1", Since: since, SentAt: since, Deadline: since})
	t.Logf("later: %s", again.Verdict)
	if res.Verdict != core.InFlight || res.Proven || again.Verdict != core.Found {
		t.Errorf("B's verdict %s (proven %v), then %s: want in_flight while A's request was held, and it found once it landed", res.Verdict, res.Proven, again.Verdict)
	}
}

// historyOf is a get_withdrawal_history answer of one item, created now.
func historyOf(status int, amountf, address, note string) string {
	units, _ := core.ParseAmount(amountf)
	return fmt.Sprintf(`{"error":"ok","result":[{"id":"W1","time_created":%d,"status":%d,"coin":"BTC","amount":%d,"amountf":%q,"send_address":%q,"send_txid":"","note":%q}]}`,
		time.Now().Unix(), status, units.Units(), units.Text(), address, note)
}

// reconcileAgainst reconciles q (sent with this key, nonce 1: the fence proves a miss) against a
// history that lists item, in both reads after the fence.
func reconcileAgainst(t *testing.T, item string, q core.ReconcileQuery) *core.ReconcileResult {
	t.Helper()
	s := &scripted{history: []string{`{"error":"ok","result":[]}`, item, item}}
	q.Nonce, q.Since = 1, time.Now().Add(-time.Minute)
	res, err := scriptedClient(t, s).Reconcile(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The API fills a withdrawal's send_address in only once it is complete (spec §7.3): a fresh
// withdrawal (awaiting its email confirmation, or pending) may list none. The withdrawal whose
// answer was lost is such a fresh one: "not found, proven" tells the merchant to send it again,
// and it is paid twice.
func TestReconcileOfAWithdrawalNotCompleteYetIsNeverNotFound(t *testing.T) {
	q := core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.1", Currency: "BTC", Address: "bc1qx"}
	for _, status := range []int{0, 1} {
		if res := reconcileAgainst(t, historyOf(status, "0.1", "", ""), q); res.Verdict == core.NotFound {
			t.Errorf("status %d without a send_address yet: %s proven=%v (%s), but it was carried out: a resend pays twice", status, res.Verdict, res.Proven, res.Detail)
		}
		// with the note it was sent with, it is that withdrawal
		qn := q
		qn.Note = "payout-9"
		if res := reconcileAgainst(t, historyOf(status, "0.1", "", "payout-9"), qn); res.Verdict != core.Found {
			t.Errorf("status %d without a send_address yet, same note: %s (%s), want found", status, res.Verdict, res.Detail)
		}
	}
	// another address listed is another withdrawal
	if res := reconcileAgainst(t, historyOf(2, "0.1", "bc1qother", ""), q); res.Verdict != core.NotFound || !res.Proven {
		t.Errorf("another address: %+v, want not_found, proven", res)
	}
}

// The history may list an address in the form the API keeps it in, not as it was typed: a Bech32
// or hex address in another case (Ethereum's EIP-55 capitals), a Bitcoin Cash address with or
// without its "bitcoincash:" prefix. Compared byte for byte, the withdrawal was "not found,
// proven", and sent again.
func TestReconcileFindsAnAddressTheAPIWroteInAnotherForm(t *testing.T) {
	for _, c := range []struct{ sent, listed string }{
		{"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
		{"qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"},
		{"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"},
		// a legacy Bitcoin Cash address the API may list in its CashAddr form: it cannot be told
		{"1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"},
	} {
		q := core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.1", Currency: "BTC", Address: c.sent}
		if res := reconcileAgainst(t, historyOf(2, "0.1", c.listed, ""), q); res.Verdict == core.NotFound {
			t.Errorf("sent to %s, listed as %s: %s proven=%v, but it was carried out: a resend pays twice", c.sent, c.listed, res.Verdict, res.Proven)
		}
	}
}

// add_tx_fee adds the coin's fee to the withdrawal (the sender pays it): the history may list
// the amount with the fee. Compared exactly with the amount asked for, the withdrawal was "not
// found, proven", and sent again.
func TestReconcileOfAWithdrawalWithItsFeeAddedIsNeverNotFound(t *testing.T) {
	ou := &core.OutcomeUnknownError{Cmd: "create_withdrawal", Ref: map[string]string{"amount": "0.1", "currency": "BTC", "address": "bc1qx", "add_tx_fee": "1"}}
	q := core.QueriesFromOutcome(ou, time.Now())[0]
	if res := reconcileAgainst(t, historyOf(1, "0.1001", "bc1qx", ""), q); res.Verdict == core.NotFound {
		t.Errorf("listed with its fee: %s proven=%v (%s), but it was carried out: a resend pays twice", res.Verdict, res.Proven, res.Detail)
	}
	if res := reconcileAgainst(t, historyOf(1, "0.1", "bc1qx", ""), q); res.Verdict != core.Found {
		t.Errorf("listed as asked: %+v, want found", res)
	}
	if res := reconcileAgainst(t, historyOf(1, "0.09", "bc1qx", ""), q); res.Verdict != core.NotFound {
		t.Errorf("a smaller amount: %+v, want not_found", res)
	}
	// the outcome of a real request says so
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	_, err := c.CreateWithdrawal(context.Background(), &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: "bc1qx", AddTxFee: core.Bool(true)})
	if !errors.As(err, &ou) || !core.QueriesFromOutcome(ou, time.Now())[0].AddTxFee {
		t.Errorf("err = %v: want an outcome unknown whose query says add_tx_fee", err)
	}
}

// A note the API kept trimmed or cut to its length differs from the one sent: it is not proof of
// another withdrawal, so the verdict is ambiguous, never "not found, proven".
func TestReconcileOfANoteTheAPITrimmedOrCutIsNeverNotFound(t *testing.T) {
	long := strings.Repeat("invoice 2026-77 for services, ", 10) // 300 characters
	for _, c := range []struct{ sent, listed string }{
		{" payout-9 ", "payout-9"},
		{long, strings.TrimSpace(long[:255])},
	} {
		q := core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.1", Currency: "BTC", Address: "bc1qx", Note: c.sent}
		if res := reconcileAgainst(t, historyOf(1, "0.1", "bc1qx", c.listed), q); res.Verdict == core.NotFound {
			t.Errorf("note %q listed as %q: %s proven=%v, but it was carried out: a resend pays twice", c.sent, c.listed, res.Verdict, res.Proven)
		}
	}
	q := core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.1", Currency: "BTC", Address: "bc1qx", Note: "payout-9"}
	if res := reconcileAgainst(t, historyOf(1, "0.1", "bc1qx", "payout-10"), q); res.Verdict != core.NotFound {
		t.Errorf("another note: %+v, want not_found", res)
	}
}

// A transfer is an internal ledger move when the coin allows (spec §7.3), to a merchant or to an
// address of another Wallex account, and the API lists such moves in no history: a transfer to
// an address that is not in the withdrawal history may be one. "Not found, proven" told the
// merchant to send it again: paid twice. It is settled like a transfer to a merchant, by the
// balances once the original can no longer land.
func TestReconcileOfATransferToAnAddressIsNeverNotFound(t *testing.T) {
	q := core.ReconcileQuery{Cmd: "create_transfer", Amount: "0.1", Currency: "BTC", Address: "bc1qx"}
	res := reconcileAgainst(t, `{"error":"ok","result":[]}`, q)
	if res.Verdict != core.Ambiguous || !strings.Contains(res.Detail, "balance") {
		t.Fatalf("a transfer to an address not in the history: %s proven=%v (%s), want ambiguous (compare balances): a resend may pay twice", res.Verdict, res.Proven, res.Detail)
	}
	// in the history: found, as before
	if res := reconcileAgainst(t, historyOf(2, "0.1", "bc1qx", ""), q); res.Verdict != core.Found {
		t.Fatalf("a transfer to an address listed: %+v, want found", res)
	}
	// without a fence: in_flight until its bound, as a transfer to a merchant
	s := &scripted{}
	c, _ := core.New(core.WithAPIURL("https://api.test/api"), core.WithKeys("pub", "priv"), core.WithTransport(s))
	q.SentAt = time.Now()
	if res, err := c.Reconcile(context.Background(), q); err != nil || res.Verdict != core.InFlight {
		t.Fatalf("without nonces, before its bound: %+v %v, want in_flight", res, err)
	}
}

// A payment's invoice or custom the API kept trimmed or cut to its length (128 characters on a
// payment button, spec §9; core sends what it is given) is not proof of another payment: after
// the fence "not found, proven" made a second payment for the sale.
func TestReconcileOfAnInvoiceTheAPICutIsNeverNotFound(t *testing.T) {
	invoice := "order-" + strings.Repeat("x", 150)
	c, _ := core.New(core.WithAPIURL("https://api.test/api"), core.WithKeys("pub", "priv"), core.WithNonces(nil), core.WithFencePause(time.Millisecond),
		core.WithTransport(core.TransportFunc(func(_ context.Context, req *core.Request) (*core.HTTPResponse, error) {
			f, _ := url.ParseQuery(string(req.Body))
			body := `{"error":"ok","result":[]}`
			switch f.Get("cmd") {
			case "login":
				body = `{"success":"true","result":{"access_token":"Bearer t","expires_at":"2099-01-01 00:00:00"}}`
			case "get_tx_ids":
				body = `{"error":"ok","result":["CP1"]}`
			case "get_tx_info":
				body = fmt.Sprintf(`{"error":"ok","result":{"time_created":%d,"status":0,"coin":"BTC","amount":1000,"amountf":"0.00001000","checkout":{"invoice":%q,"custom":""}}}`, time.Now().Unix(), invoice[:128])
			}
			return &core.HTTPResponse{Status: 200, Header: map[string]string{"content-type": "application/json"}, Body: []byte(body)}, nil
		})))
	q := core.ReconcileQuery{Cmd: "create_transaction", Invoice: invoice, Nonce: 1, Since: time.Now().Add(-time.Minute)}
	res, err := c.Reconcile(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict == core.NotFound {
		t.Fatalf("invoice listed cut to 128: %s proven=%v (%s), but the payment was created: a second one for the sale", res.Verdict, res.Proven, res.Detail)
	}
	q.Invoice = "order-y"
	if res, err := c.Reconcile(context.Background(), q); err != nil || res.Verdict != core.NotFound {
		t.Fatalf("another invoice: %+v %v, want not_found", res, err)
	}
}

// A history whose items carry no readable time_created (an API that leaves it out, or dates it in
// another form, such as login's "2006-01-02 15:04:05": spec §3, a result's fields are not certain)
// must not hide the original. The search window dropped every undated item as "older than the
// window": after the nonce fence, "not found, proven", and the withdrawal was sent again.
func TestReconcileOfAHistoryWithoutTimesIsNeverNotFound(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
	ctx := context.Background()
	since := time.Now()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qundated", Note: core.String("payout-u")})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v, want outcome unknown", err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultOmit, Field: "time_created", Cmd: "get_withdrawal_history", Count: 100})
	res, err := c.Reconcile(ctx, core.QueriesFromOutcome(ou, since)[0])
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict == core.NotFound {
		t.Fatalf("history without time_created: %s proven=%v (%s), but the withdrawal was carried out: a resend pays twice", res.Verdict, res.Proven, res.Detail)
	}
	if res.Verdict != core.Found {
		t.Errorf("history without time_created: %+v, want found (amount, coin, address and note match)", res)
	}
}

// get_tx_info's checkout details (full=1) are [compat] (spec §7.2): an API that gives none, or
// leaves invoice and custom out of them, tells nothing of which sale a payment is for. Read as an
// empty invoice, every recent payment was "another one": after the fence, "not found, proven", and
// a second payment was created for the sale.
func TestReconcileOfAPaymentWithoutCheckoutDetailsIsNeverNotFound(t *testing.T) {
	for _, field := range []string{"checkout", "invoice"} {
		e := newEnv(t, sandbox.Config{})
		c := e.client(core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
		ctx := context.Background()
		since := time.Now()
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_transaction"})
		_, err := c.CreateTransaction(ctx, &core.CreateTransactionParams{Amount: "10", Currency1: "USD", Currency2: "BTC",
			BuyerEmail: "buyer@example.com", Invoice: core.String("order-77")})
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) {
			t.Fatalf("err = %v, want outcome unknown", err)
		}
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultOmit, Field: field, Cmd: "get_tx_info", Count: 100})
		res, err := c.Reconcile(ctx, core.QueriesFromOutcome(ou, since)[0])
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict == core.NotFound {
			t.Fatalf("get_tx_info without %s: %s proven=%v (%s), but the payment was created: a second one for the sale", field, res.Verdict, res.Proven, res.Detail)
		}
		e.sb.ClearFaults()
		// with its checkout details, another invoice is another sale
		q := core.QueriesFromOutcome(ou, since)[0]
		q.Invoice = "order-78"
		if res, err := c.Reconcile(ctx, q); err != nil || res.Verdict != core.NotFound || !res.Proven {
			t.Fatalf("another invoice: %+v %v, want not_found, proven", res, err)
		}
	}
}

// A history item that lists no amount, or no coin (an API that leaves the field out or names it
// otherwise: spec §3, a result's fields are not certain) may be the original. Read as amount 0,
// or as another coin, it was skipped: after the fence, "not found, proven", and the withdrawal
// was sent again.
func TestReconcileOfAHistoryWithoutAmountOrCoinIsNeverNotFound(t *testing.T) {
	for _, fields := range []string{"amount,amountf", "coin"} {
		e := newEnv(t, sandbox.Config{})
		c := e.client(core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
		ctx := context.Background()
		since := time.Now()
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
		_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qbare"})
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) {
			t.Fatalf("err = %v, want outcome unknown", err)
		}
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultOmit, Field: fields, Cmd: "get_withdrawal_history", Count: 100})
		res, err := c.Reconcile(ctx, core.QueriesFromOutcome(ou, since)[0])
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict == core.NotFound {
			t.Fatalf("history without %s: %s proven=%v (%s), but the withdrawal was carried out: a resend pays twice", fields, res.Verdict, res.Proven, res.Detail)
		}
		e.sb.ClearFaults()
		// listed in full, another address is another withdrawal
		q := core.QueriesFromOutcome(ou, since)[0]
		q.Address = "bc1qother"
		if res, err := c.Reconcile(ctx, q); err != nil || res.Verdict != core.NotFound || !res.Proven {
			t.Fatalf("another address: %+v %v, want not_found, proven", res, err)
		}
	}
}

// get_tx_info's checkout details and the withdrawal history are [compat] (spec §7.2, §7.3): an
// API may write a numeric text as a JSON number (PHP's JSON_NUMERIC_CHECK: "000123" becomes 123).
// A zero-padded invoice or note, listed as a number, was read as "123", another sale's: after the
// fence, "not found, proven", and a second payment was created for the sale (the withdrawal sent
// again).
func TestReconcileOfAnInvoiceOrNoteListedAsANumberIsNeverNotFound(t *testing.T) {
	t.Run("invoice", func(t *testing.T) {
		e := newEnv(t, sandbox.Config{})
		c := e.client(core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
		ctx := context.Background()
		since := time.Now()
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_transaction"})
		_, err := c.CreateTransaction(ctx, &core.CreateTransactionParams{Amount: "10", Currency1: "USD", Currency2: "BTC",
			BuyerEmail: "buyer@example.com", Invoice: core.String("000123")})
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) {
			t.Fatalf("err = %v, want outcome unknown", err)
		}
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultRetype, Field: "invoice,custom", As: "number", Cmd: "get_tx_info", Count: 100})
		res, err := c.Reconcile(ctx, core.QueriesFromOutcome(ou, since)[0])
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict == core.NotFound {
			t.Fatalf("invoice listed as the number 123: %s proven=%v (%s), but the payment was created: a second one for the sale", res.Verdict, res.Proven, res.Detail)
		}
		// another number is another sale
		q := core.QueriesFromOutcome(ou, since)[0]
		q.Invoice = "000124"
		if res, err := c.Reconcile(ctx, q); err != nil || res.Verdict != core.NotFound || !res.Proven {
			t.Fatalf("another invoice: %+v %v, want not_found, proven", res, err)
		}
	})
	t.Run("note", func(t *testing.T) {
		e := newEnv(t, sandbox.Config{})
		c := e.client(core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
		ctx := context.Background()
		since := time.Now()
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
		_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qnumeric", Note: core.String("0042")})
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) {
			t.Fatalf("err = %v, want outcome unknown", err)
		}
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultRetype, Field: "note,amountf,amount,status,time_created", As: "number", Cmd: "get_withdrawal_history", Count: 100})
		res, err := c.Reconcile(ctx, core.QueriesFromOutcome(ou, since)[0])
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict == core.NotFound {
			t.Fatalf("note listed as the number 42: %s proven=%v (%s), but the withdrawal was carried out: a resend pays twice", res.Verdict, res.Proven, res.Detail)
		}
		q := core.QueriesFromOutcome(ou, since)[0]
		q.Note = "0043"
		if res, err := c.Reconcile(ctx, q); err != nil || res.Verdict != core.NotFound || !res.Proven {
			t.Fatalf("another note: %+v %v, want not_found, proven", res, err)
		}
	})
}

// create_transaction's result is [compat] (spec §7.2): an API that answers "ok" without a txn_id
// (left out, or under another name) has created the payment, and nothing in the answer names
// it. Taken as created, the tools went on with txn_id "": the gateway recorded the order done
// for no payment (its IPN then belonged to no order: the sale shown unpaid, the buyer asked to
// pay again), the Counter polled get_tx_info("") until the cashier gave up on the sale. And an
// "ok" whose amount could not be read was an outcome unknown that named no operation, while its
// record said done (the CLI's line was reconcile --op with an empty id). Both are an outcome unknown of the
// recorded operation, which reconcile settles by its invoice.
func TestCreatedPaymentWithoutItsTxnIDIsUnknownAndFound(t *testing.T) {
	for i, field := range []string{"txn_id", "amount"} {
		e := newEnv(t, sandbox.Config{})
		store := core.NewMemoryStore()
		c := e.client(core.WithNonces(store), core.WithOpStore(store), core.WithFencePause(10*time.Millisecond))
		ctx := context.Background()
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultOmit, Field: field, Cmd: "create_transaction"})
		id := "op_pos_" + strconv.Itoa(i)
		tx, err := c.CreateTransaction(core.WithOperationID(ctx, id), &core.CreateTransactionParams{Amount: "10", Currency1: "USD", Currency2: "BTC",
			BuyerEmail: "buyer@example.com", Invoice: core.String("POS-" + field)})
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) || ou.OpID != id {
			t.Fatalf("an ok without %s: tx %+v, err %v (op %q), want an outcome unknown of operation %s", field, tx, err, opIDOf(ou), id)
		}
		if ops, _ := c.Ops(ctx); len(ops) != 1 || ops[0].ID != id || ops[0].State != core.OpUnknown {
			t.Fatalf("an ok without %s: open ops %+v, want %s unknown", field, ops, id)
		}
		res, err := c.ReconcileOp(ctx, id)
		if err != nil || res.Verdict != core.Found || len(res.TxnIDs) != 1 || res.TxnIDs[0] == "" {
			t.Fatalf("an ok without %s: ReconcileOp = %+v %v, want found", field, res, err)
		}
	}
}

func opIDOf(ou *core.OutcomeUnknownError) string {
	if ou == nil {
		return ""
	}
	return ou.OpID
}

// A history whose items list no id (left out, or under another name: the fields of an answer
// are what the API gives, spec §3) gave every item the id "": the first withdrawal found took
// "", and every other item of the history was then skipped as taken. The second operation of
// one reconcile was "not found, proven" though carried out, and sent again.
func TestReconcileOfAHistoryWithoutIDsIsNeverNotFound(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithNonces(core.NewMemoryStore()), core.WithFencePause(10*time.Millisecond))
	ctx := context.Background()
	since := time.Now()
	var qs []core.ReconcileQuery
	for _, addr := range []string{"bc1qidless1", "bc1qidless2"} {
		e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
		_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: addr})
		var ou *core.OutcomeUnknownError
		if !errors.As(err, &ou) {
			t.Fatalf("err = %v, want outcome unknown", err)
		}
		qs = append(qs, core.QueriesFromOutcome(ou, since)...)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultOmit, Field: "id", Cmd: "get_withdrawal_history", Count: 100})
	rs, err := c.ReconcileAll(ctx, qs)
	if err != nil {
		t.Fatal(err)
	}
	for i, res := range rs {
		if res.Verdict == core.NotFound {
			t.Fatalf("history without ids, withdrawal to %s: %s proven=%v (%s), but it was carried out: a resend pays twice", qs[i].Address, res.Verdict, res.Proven, res.Detail)
		}
	}
}

// A client given its own clock (WithClock) ahead of the machine's: the operation's send time was
// that clock's and its deadline the context's, by the machine's clock, an hour before it. The
// in-flight wait (deadline plus the window) had then ended before the request left, and a
// reconcile without nonces said not_found at once: "send it again" while the first could land.
func TestAClientClockAheadOfTheMachineKeepsTheInFlightWait(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ahead := func() time.Time { return time.Now().Add(time.Hour) }
	c := e.client(core.WithoutNonces(), core.WithClock(ahead), core.WithTimeout(20*time.Second))
	ctx := context.Background()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qbare", Note: core.String("wk:clock")})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v, want outcome unknown", err)
	}
	if d := ou.Deadline.Sub(ou.SentAt); d <= 0 || d > 21*time.Second {
		t.Fatalf("deadline %s after the send time (%s, %s): both must be on the client's clock", d, ou.SentAt, ou.Deadline)
	}
	// the withdrawal was carried out; ask for another note so that only the wait can answer
	q := core.QueriesFromOutcome(ou, ahead().Add(-time.Minute))[0]
	q.Note = "wk:other"
	res, err := c.Reconcile(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict == core.NotFound {
		t.Fatalf("reconcile at once, without nonces: %s (%s), but the request may still land", res.Verdict, res.Detail)
	}
}

// Without nonces "not found" needs a history read that began after the in-flight bound. The
// verdict was taken by the clock after the search: a read that began inside the window (the
// request still held by the network), and ended after it (a slow history, many pages, a process
// paused), said not_found of a withdrawal that landed during the read. "Send it again" then paid
// twice.
func TestReconcileWithoutNoncesJudgesByWhenTheReadBegan(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	inner := nethttp.New(nil)
	var held *core.Request
	landed := false
	tr := core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
		switch {
		case strings.Contains(string(r.Body), "cmd=create_withdrawal") && held == nil:
			held = r // held by the network: the client hears nothing
			return nil, errors.New("connection reset")
		case strings.Contains(string(r.Body), "cmd=get_withdrawal_history") && held != nil && !landed:
			res, err := inner.RoundTrip(ctx, r) // the read sees no withdrawal yet
			// while the answer is on its way, the held request lands and the window ends
			if _, err := inner.RoundTrip(ctx, held); err != nil {
				t.Error(err)
			}
			landed = true
			mu.Lock()
			now = now.Add(10 * time.Minute)
			mu.Unlock()
			return res, err
		}
		return inner.RoundTrip(ctx, r)
	})
	c := e.client(core.WithoutNonces(), core.WithTransport(tr), core.WithClock(clock), core.WithTimeout(5*time.Second), core.WithInFlightWindow(time.Minute))
	ctx := context.Background()
	since := clock()
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qbare", Note: core.String("wk:slowread")})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v, want outcome unknown", err)
	}
	res, err := c.Reconcile(ctx, core.QueriesFromOutcome(ou, since)[0])
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict == core.NotFound {
		t.Fatalf("%s (%s): the read began inside the in-flight window, and the withdrawal landed during it", res.Verdict, res.Detail)
	}
	if res, err := c.Reconcile(ctx, core.QueriesFromOutcome(ou, since)[0]); err != nil || res.Verdict != core.Found {
		t.Fatalf("asked again after the window: %+v %v, want found", res, err)
	}
}

// Two withdrawals of one amount to one address, told apart by their notes, and a history that
// lists no notes (spec §7.3's get_withdrawal_history has none): the first carried out and
// answered, the second's request lost before the API acted. Reconciled, the second matched the
// first's withdrawal by amount, coin and address and was "found, proven": taken as paid, never
// paid (found by the seeded chaos test TestChaosAgents). The first's id is its own (its answer
// named it): the second is not found, proven by the fence.
func TestReconcileOpDoesNotTakeAnotherOperationsWithdrawal(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	store := core.NewMemoryStore()
	c := e.client(core.WithNonces(store), core.WithOpStore(store), core.WithFencePause(10*time.Millisecond))
	ctx := context.Background()
	addr := sandbox.NewAddress("BTC")
	first, err := c.CreateWithdrawal(core.WithOperationID(ctx, "op_first"), &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: addr, Note: core.String("order-1")})
	if err != nil {
		t.Fatal(err)
	}
	res := reconcileLostWithoutNotes(t, e, c, addr)
	if res.Verdict != core.NotFound || !res.Proven {
		t.Fatalf("order-2 (never carried out): %s proven=%v (%s), want not_found, proven (order-1's %s is order-1's)", res.Verdict, res.Proven, res.Detail, first.ID)
	}
	// a third carried out with its answer lost, the history still without notes: found, and
	// its own withdrawal (order-1's is order-1's), not "ambiguous" between the two
	e.sb.ClearFaults()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	var ou *core.OutcomeUnknownError
	if _, err := c.CreateWithdrawal(core.WithOperationID(core.AllowDuplicate(ctx), "op_third"), &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: addr, Note: core.String("order-3")}); !errors.As(err, &ou) {
		t.Fatalf("err = %v, want outcome unknown", err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultOmit, Field: "note", Cmd: "get_withdrawal_history", Count: 100})
	res, err = c.ReconcileOp(ctx, "op_third")
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != core.Found || res.Withdrawals[0].ID == first.ID {
		t.Fatalf("order-3 (carried out): %s %+v (%s), want found, not order-1's %s", res.Verdict, res.Withdrawals, res.Detail, first.ID)
	}
}

// TestReconcileOpDoesNotTakeAnotherOperationsWithdrawal for a mass withdrawal: a batch carried
// out and answered (its record done, several withdrawals and no single Result), then a
// withdrawal of the same amount to the same address lost before the API acted, and a history
// that lists no notes. Reconciled, the lost one matched the batch's withdrawal and was "found,
// proven": recorded paid, never paid (found by TestChaosAgents, mode mass). The batch's
// withdrawals are the batch's (its answer named them).
func TestReconcileOpDoesNotTakeABatchsWithdrawal(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	store := core.NewMemoryStore()
	c := e.client(core.WithNonces(store), core.WithOpStore(store), core.WithFencePause(10*time.Millisecond))
	ctx := context.Background()
	addr, other := sandbox.NewAddress("BTC"), sandbox.NewAddress("BTC")
	mw, err := c.CreateMassWithdrawal(core.WithOperationID(ctx, "op_batch"), []core.MassWithdrawalItem{
		{Key: "a", Amount: "0.01", Currency: "BTC", Address: addr, Note: core.String("order-1")},
		{Key: "b", Amount: "0.02", Currency: "BTC", Address: other, Note: core.String("order-9")},
	})
	if err != nil || mw.Results[0].Withdrawal == nil {
		t.Fatalf("batch: %+v %v", mw, err)
	}
	res := reconcileLostWithoutNotes(t, e, c, addr)
	if res.Verdict != core.NotFound || !res.Proven {
		t.Fatalf("order-2 (never carried out): %s proven=%v (%s), want not_found, proven (the batch's %s is the batch's)", res.Verdict, res.Proven, res.Detail, mw.Results[0].Withdrawal.ID)
	}
}

// reconcileLostWithoutNotes sends a withdrawal of 0.01 BTC to addr (op_second, note order-2) whose
// request is lost before the API acts, and reconciles it against a history that lists no notes.
func reconcileLostWithoutNotes(t *testing.T, e *env, c *core.Client, addr string) *core.ReconcileResult {
	t.Helper()
	ctx := context.Background()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultReset, Cmd: "create_withdrawal"}) // lost before the API acted
	_, err := c.CreateWithdrawal(core.WithOperationID(core.AllowDuplicate(ctx), "op_second"), &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: addr, Note: core.String("order-2")})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v, want outcome unknown", err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultOmit, Field: "note", Cmd: "get_withdrawal_history", Count: 100})
	res, err := c.ReconcileOp(ctx, "op_second")
	if err != nil {
		t.Fatal(err)
	}
	return res
}
