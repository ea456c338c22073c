package gateway

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/wallexkit/wallexkit/core/ipn"
)

// A payment complete (2), then "100" with another ipn_id: both notifications apply and both are
// paid, but only the first is the payment becoming paid. A receiver acting on every paid event
// shipped twice; first_paid is true on exactly one event and its forward.
func TestOnlyTheFirstPaidNotificationIsFirstPaid(t *testing.T) {
	g, f := newGateway(t, nil)
	send := func(id, status string) {
		t.Helper()
		body, sig := ipn.SignedTestIPN("ipn-secret-1234", "M1", "api", map[string]string{"ipn_id": id, "txn_id": "TP1", "status": status,
			"status_text": "x", "currency1": "USD", "currency2": "BTC", "amount1": "1", "amount2": "0.1", "received_amount": "0.1", "received_confirms": "2"})
		if res := g.Handle(context.Background(), f, req("POST", "/ipn", map[string]string{"hmac": sig}, string(body))); decode(t, res)["result"] != "apply" {
			t.Fatalf("%s: %d %s", id, res.Status, res.Body)
		}
	}
	send("p-1", "1")
	send("p-2", "2")
	send("p-3", "100")
	var first []bool
	for i, raw := range append(append([]string(nil), f.events...), f.fwds...) {
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("%d: %v %s", i, err, raw)
		}
		first = append(first, m["first_paid"] == true)
	}
	want := []bool{false, true, false, false, true, false} // events, then forwards
	if len(first) != len(want) {
		t.Fatalf("%d events and forwards: %v", len(first), f.events)
	}
	for i := range want {
		if first[i] != want[i] {
			t.Fatalf("first_paid %v, want %v", first, want)
		}
	}
}
