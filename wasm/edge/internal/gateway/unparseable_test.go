package gateway

import (
	"context"
	"strings"
	"testing"
)

// A create_transaction the API answered "ok" whose amount core cannot read (a number with an
// exponent) was a retryable transport error: the order was marked failed, and the same checkout
// then created a second payment. The payment exists: the answer is an outcome unknown, and the
// same checkout again finds it (by the order's invoice) instead of creating another.
func TestUnreadableCreatedPaymentIsNeverMadeTwice(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvFencePause: "10"})
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	pay := newFakePayments(f, func(n int) (int, string) {
		if n == 1 {
			return 200, `{"error":"ok","result":{"amount":4e-4,"txn_id":"CPSBX1","address":"addr1"}}`
		}
		return 0, ""
	})
	h := map[string]string{"cf-connecting-ip": "192.0.2.60"}
	body := `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"o-amt"}`
	first := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	if first.Status == 201 || strings.Contains(string(first.Body), `"retryable":true`) {
		t.Fatalf("first checkout: %d %s, want an outcome unknown, not retryable", first.Status, first.Body)
	}
	again := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	if n := len(pay.created); n != 1 {
		t.Fatalf("%d payments created for one order (second answer %d %s)", n, again.Status, again.Body)
	}
}
