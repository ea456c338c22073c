package core_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn"
	"github.com/wallexkit/wallexkit/core/ipn/ipnhttp"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

// ipnSink is a merchant's IPN endpoint built from the ipn packages: it keeps every verified,
// applied notification.
type ipnSink struct {
	mu  sync.Mutex
	got []*ipn.Notification
	ch  chan *ipn.Notification
	srv *httptest.Server
}

func newIPNSink(t *testing.T, merchant, secret string) *ipnSink {
	v, err := ipn.NewVerifier(merchant, secret)
	if err != nil {
		t.Fatal(err)
	}
	s := &ipnSink{ch: make(chan *ipn.Notification, 64)}
	s.srv = httptest.NewServer(ipnhttp.Handler(v, ipn.NewTracker(nil), func(_ context.Context, n *ipn.Notification) error {
		s.mu.Lock()
		s.got = append(s.got, n)
		s.mu.Unlock()
		s.ch <- n
		return nil
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// waitFor returns the first notification for txn with the given status.
func (s *ipnSink) waitFor(t *testing.T, txn string, status int) *ipn.Notification {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case n := <-s.ch:
			if n.Key() == txn && int(n.Status) == status {
				return n
			}
		case <-deadline:
			t.Fatalf("no IPN for %s with status %d", txn, status)
		}
	}
}

func newFlowEnv(t *testing.T) (*env, *ipnSink, *core.Client) {
	e := newEnv(t, sandbox.Config{IPNBackoff: func(int) time.Duration { return 10 * time.Millisecond }})
	const secret = "ipn-secret-for-tests"
	sink := newIPNSink(t, e.demo.MerchantID, secret)
	if err := e.sb.SetIPN(e.demo.MerchantID, sink.srv.URL+"/ipn", secret); err != nil {
		t.Fatal(err)
	}
	return e, sink, e.client()
}

func TestPaymentFlowComplete(t *testing.T) {
	e, sink, c := newFlowEnv(t)
	ctx := context.Background()
	tx, err := c.CreateTransaction(ctx, &core.CreateTransactionParams{
		Amount: "12.5", Currency1: "USD", Currency2: "BTC", BuyerEmail: "buyer@example.com",
		ItemName: core.String("T-shirt"), Invoice: core.String("INV-1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if tx.TxnID == "" || tx.Address == "" || tx.Amount.Sign() <= 0 || tx.CheckoutURL == "" || tx.Timeout <= 0 {
		t.Fatalf("transaction = %+v", tx)
	}
	if _, err := e.sb.PayTransaction(tx.TxnID, "", true); err != nil {
		t.Fatal(err)
	}
	n := sink.waitFor(t, tx.TxnID, int(core.PaymentComplete))
	if n.API == nil || !n.Paid() || n.API.Invoice != "INV-1" || n.Merchant != e.demo.MerchantID {
		t.Fatalf("IPN = %+v", n)
	}
	info, err := c.TxInfo(ctx, tx.TxnID, true)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Paid() || info.Status != core.PaymentComplete || info.Received != tx.Amount || info.Checkout.Get("invoice").Text() != "INV-1" {
		t.Fatalf("info = %+v", info)
	}
	bal, _ := c.Balances(ctx, nil)
	if want, _ := core.MustParseAmount("1.5").Add(tx.Amount); bal.Get("BTC") != want {
		t.Fatalf("BTC balance = %s, want %s", bal.Get("BTC"), want)
	}
}

func TestPaymentFlowPartialThenExpiry(t *testing.T) {
	e, sink, c := newFlowEnv(t)
	ctx := context.Background()
	tx, err := c.CreateTransaction(ctx, &core.CreateTransactionParams{Amount: "0.01", Currency1: "BTC", Currency2: "BTC", BuyerEmail: "b@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.PayTransaction(tx.TxnID, "0.004", false); err != nil {
		t.Fatal(err)
	}
	info, err := c.TxInfo(ctx, tx.TxnID, false)
	if err != nil {
		t.Fatal(err)
	}
	if info.Status != core.PaymentWaiting || info.Received.String() != "0.00400000" || !info.Pending() {
		t.Fatalf("after partial payment: %+v", info)
	}
	if _, err := e.sb.ExpireTransaction(tx.TxnID); err != nil {
		t.Fatal(err)
	}
	n := sink.waitFor(t, tx.TxnID, int(core.PaymentCancelled))
	if !n.Failed() {
		t.Fatalf("IPN = %+v", n)
	}
	info, _ = c.TxInfo(ctx, tx.TxnID, false)
	if !info.Failed() {
		t.Fatalf("after expiry: %+v", info)
	}
	// The id shows up in the paged list, and in get_tx_info_multi.
	var ids []string
	for id, err := range c.TxIDs(ctx, &core.ListParams{PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) != 1 || ids[0] != tx.TxnID {
		t.Fatalf("ids = %v", ids)
	}
	multi, err := c.TxInfoMulti(ctx, []string{tx.TxnID, "NOPE"})
	if err != nil || multi[tx.TxnID].Info == nil || multi["NOPE"].Err == nil {
		t.Fatalf("multi = %+v %v", multi, err)
	}
}

func TestPagedIteratorsFetchPageByPage(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: "bc1qpage", AutoConfirm: core.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for w, err := range c.WithdrawalHistory(ctx, &core.ListParams{PageSize: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, w.ID)
	}
	if len(got) != 7 {
		t.Fatalf("got %d withdrawals, want 7", len(got))
	}
	if n := e.sb.Stats(e.demo.PublicKey).ByCmd["get_withdrawal_history"]; n != 3 {
		t.Fatalf("%d history pages fetched, want 3 (3+3+1)", n)
	}
	// Stopping early stops fetching.
	for range c.WithdrawalHistory(ctx, &core.ListParams{PageSize: 3}) {
		break
	}
	if n := e.sb.Stats(e.demo.PublicKey).ByCmd["get_withdrawal_history"]; n != 4 {
		t.Fatalf("breaking after the first item fetched %d pages in all, want 4", n)
	}
}

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
	// ...and with nonces the fence proves it: not_found, proven. (Last: from now on the key
	// needs a nonce on every call.)
	cn := e.client(core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
	if res, err := cn.Reconcile(ctx, qs[0]); err != nil || res.Verdict != core.NotFound || !res.Proven {
		t.Fatalf("reconcile of an unsent payout with nonces = %+v %v", res, err)
	}
	// A client without nonces is told why it is refused now.
	_, err = c.BasicInfo(ctx)
	var ne *core.NonceError
	if !errors.As(err, &ne) || !ne.Required || !strings.Contains(err.Error(), "turn nonces on") {
		t.Fatalf("err = %v, want a NonceError saying to turn nonces on", err)
	}
}

func TestMassWithdrawalPerItem(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	mw, err := c.CreateMassWithdrawal(ctx, []core.MassWithdrawalItem{
		{Key: "a", Amount: "0.1", Currency: "BTC", Address: "bc1qa", Note: core.String("a")},
		{Key: "b", Amount: "5000", Currency: "BTC", Address: "bc1qb"}, // more than the balance
		{Key: "c", Amount: "1", Currency: "LTC", Address: "Lc"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := mw.Results
	if res[0].Withdrawal == nil || res[0].Withdrawal.ID == "" || res[1].Err == nil || res[2].Withdrawal == nil {
		t.Fatalf("results = %+v", res)
	}
	w, err := c.WithdrawalInfo(ctx, res[0].Withdrawal.ID)
	if err != nil || w.Amount.String() != "0.10000000" || w.SendAddress != "bc1qa" || w.Coin != "BTC" {
		t.Fatalf("info = %+v %v", w, err)
	}
}

func TestTransferAndConvert(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	other, err := e.sb.CreateAccount(sandbox.AccountSpec{Username: "other"})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := c.CreateTransfer(ctx, &core.TransferParams{Amount: "0.5", Currency: "BTC", Merchant: core.String(other.MerchantID), AutoConfirm: core.Bool(true)})
	if err != nil || tr.ID == "" {
		t.Fatalf("transfer = %+v %v", tr, err)
	}
	bals, _ := e.sb.Balances(other.MerchantID)
	if bals["BTC"] != "0.50000000" {
		t.Fatalf("receiver balances = %v", bals)
	}
	cv, err := c.Convert(ctx, &core.ConvertParams{Amount: "0.1", From: "BTC", To: "LTC"})
	if err != nil || cv.ID == "" || cv.Response == nil {
		t.Fatalf("convert = %+v %v", cv, err)
	}
	bal, _ := c.Balances(ctx, nil)
	if bal.Get("BTC").String() != "0.90000000" {
		t.Fatalf("BTC after transfer and convert = %s", bal.Get("BTC"))
	}
	if _, err := c.CallbackAddress(ctx, "LTC", &core.CallbackAddressParams{Label: core.String("shop")}); err != nil {
		t.Fatal(err)
	}
}

// replayOnDrop stands for a browser's HTTP stack: when a request on a reused connection dies
// without an answer, it sends the same bytes again and hands back the second answer.
type replayOnDrop struct{ next core.Transport }

func (r replayOnDrop) RoundTrip(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
	res, err := r.next.RoundTrip(ctx, req)
	if err != nil && !core.IsNotSent(err) {
		return r.next.RoundTrip(ctx, req)
	}
	return res, err
}

func TestReplayedMoneyCallIsNotPaidTwice(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithNonces(nil), core.WithTransport(replayOnDrop{next: nethttp.New(nil)}))
	ctx := context.Background()
	c.Login(ctx)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.2", Currency: "BTC", Address: "bc1qreplay"})
	var ou *core.OutcomeUnknownError
	var ne *core.NonceError
	if !errors.As(err, &ou) || !errors.As(err, &ne) {
		t.Fatalf("err = %v, want outcome unknown wrapping the nonce refusal of the replayed copy", err)
	}
	n := 0
	for w, err := range c.WithdrawalHistory(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if w.SendAddress == "bc1qreplay" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d withdrawals, want exactly 1", n)
	}
	// Reads are still resent after a nonce refusal.
	if _, err := c.BasicInfo(ctx); err != nil {
		t.Fatal(err)
	}
}

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
