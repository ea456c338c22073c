package ipnhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/core/ipn"
)

// A merchant's handler built on Handler + Tracker, fulfilling an order when a notification says
// the payment is paid for the first time (FirstPaid; acting on Paid, the only signal before it,
// fulfilled it twice). Wallex sends "2" (paid, queued for the
// nightly payout) and later "100" (complete) for the same txn_id, each with its own ipn_id: the
// Tracker applies both (2 -> 100 moves it forward) and both are Paid(), so the order is fulfilled
// twice. The gateway fixed the same thing with first_paid, now the Tracker's for both.
func TestHandlerFulfilsAPaymentOnceAcross2Then100(t *testing.T) {
	v, err := ipn.NewVerifier(merchant, secret)
	if err != nil {
		t.Fatal(err)
	}
	fulfilled := map[string]int{}
	h := Handler(v, ipn.NewTracker(nil), func(ctx context.Context, n *ipn.Notification) error {
		if n.FirstPaid {
			fulfilled[n.Key()]++ // ship the order / credit the buyer
		}
		return nil
	})
	for _, s := range []struct{ id, status string }{{"n-1", "1"}, {"n-2", "2"}, {"n-3", "100"}} {
		body, sig := signed(map[string]string{"ipn_id": s.id, "txn_id": "CP-ORDER-1", "status": s.status,
			"currency1": "USD", "currency2": "BTC", "amount1": "10", "amount2": "0.0001", "received_amount": "0.0001"})
		req := httptest.NewRequest(http.MethodPost, "/ipn", strings.NewReader(string(body)))
		req.Header.Set("HMAC", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", s.id, rec.Code, rec.Body)
		}
	}
	if n := fulfilled["CP-ORDER-1"]; n != 1 {
		t.Fatalf("payment CP-ORDER-1 fulfilled %d times by a handler acting on paid notifications, want once", n)
	}
}
