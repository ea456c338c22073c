package core_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn"
	"github.com/wallexkit/wallexkit/core/ipn/ipnhttp"
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
