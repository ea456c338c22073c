package gateway

import (
	"context"
	"strings"
	"testing"
	"time"
)

// An order whose checkout had an unknown outcome on key A (its record holds A's nonce, here with no
// key_hash, as every record written before it), retried after the gateway's key became B
// (WALLEX_PUBLIC_KEY changed; the ledger is the same): the order path trusted the recorded nonce on
// B's fence and created a second payment at once, while A's request could still land. It now
// waits for the first attempt's in-flight bound (found by a review).
func TestOrderRetryOnAnotherKeyWaitsForTheBound(t *testing.T) {
	gB, f := newGateway(t, map[string]string{EnvFencePause: "10", EnvPublicKey: "pub-key-5678"})
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	pay := newFakePayments(f, func(n int) (int, string) { return 0, "" })
	now := time.Now().UTC()
	f.orders["o-9"] = `{"state":"unknown","fp":"` + orderFingerprintOf(t, gB, f) + `","sent_at":"` + now.Add(-5*time.Second).Format(time.RFC3339) +
		`","deadline":"` + now.Add(-time.Second).Format(time.RFC3339) + `","nonce":1900000000000,"v":1}`
	body := `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"o-9"}`
	res := gB.Handle(context.Background(), f, req("POST", "/v1/checkout", map[string]string{"cf-connecting-ip": "192.0.2.90"}, body))
	t.Logf("%d %s (creates %d)", res.Status, res.Body, pay.creates)
	if res.Status == 201 || pay.creates != 0 || !strings.Contains(string(res.Body), "in_flight") {
		t.Errorf("a payment was created at once, 1 s after A's attempt's deadline, on the strength of A's nonce fenced on B's key: %d %s", res.Status, res.Body)
	}
}
