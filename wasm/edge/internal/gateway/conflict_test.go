package gateway

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// The price changed between a checkout whose outcome is unknown and the same checkout sent again:
// the order's fingerprint differs. The answer must not say "use a new order_id", which would make
// a second payment for an order that may already have one.
func TestOrderConflictAfterAnUnknownOutcomeKeepsTheOrder(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvFencePause: "10"})
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	api := f.api
	f.api = func(cmd string, form url.Values) (int, string) {
		if cmd == "create_transaction" {
			return 502, `<html>bad gateway after acting</html>`
		}
		return api(cmd, form)
	}
	h := map[string]string{"cf-connecting-ip": "192.0.2.63"}
	body := `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"o-pc"}`
	if res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body)); decode(t, res)["code"] != "outcome_unknown" {
		t.Fatalf("first checkout: %d %s", res.Status, res.Body)
	}
	f.prices["mug"] = `{"amount":"13.00","currency":"USD","name":"Blue mug"}`
	res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	if res.Status != 409 || strings.Contains(string(res.Body), "use a new order_id") || !strings.Contains(string(res.Body), "do not start another payment") {
		t.Fatalf("same checkout, new price: %d %s", res.Status, res.Body)
	}
}
