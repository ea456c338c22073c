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

// create_transaction's result is [compat] (spec §7.2). An "ok" without a txn_id was taken as the
// order's payment: the order was recorded done with txn_id "", so its paid IPN belonged to no
// order (forwarded checkout false, no order_id: the sale shown unpaid, the buyer asked to pay
// again) and GET /v1/checkout/{txn_id} knew no such payment. The payment exists but the answer
// does not name it: an outcome unknown, and the same checkout again finds it by the order's
// invoice and answers with its txn_id.
func TestCreatedPaymentWithoutTxnIDIsFoundForItsOrder(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvFencePause: "10"})
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	pay := newFakePayments(f, func(n int) (int, string) {
		if n == 1 {
			return 200, `{"error":"ok","result":{"amount":"0.00040000","address":"addr1","timeout":7200}}`
		}
		return 0, ""
	})
	h := map[string]string{"cf-connecting-ip": "192.0.2.61"}
	body := `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"o-notxn"}`
	first := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	if first.Status == 201 || strings.Contains(string(first.Body), `"retryable":true`) {
		t.Fatalf("first checkout: %d %s, want an outcome unknown (the payment exists, the answer names none)", first.Status, first.Body)
	}
	again := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	if n := len(pay.created); n != 1 {
		t.Fatalf("%d payments created for one order (second answer %d %s)", n, again.Status, again.Body)
	}
	if again.Status != 200 || !strings.Contains(string(again.Body), `"txn_id":"CPSBX1"`) {
		t.Fatalf("the same checkout again: %d %s, want the order's payment CPSBX1", again.Status, again.Body)
	}
	if _, ok, _ := f.Ledger().GetTxn(context.Background(), "CPSBX1"); !ok {
		t.Fatal("payment CPSBX1 not recorded as this gateway's: its IPN would be forwarded as no order's")
	}
}
