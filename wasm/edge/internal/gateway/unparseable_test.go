package gateway

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// A create_transaction the API answered "ok" whose amount core cannot read (a number with an
// exponent) was a retryable transport error: the order was marked failed, and the same checkout
// then created a second payment. The payment exists: the answer is an outcome unknown, and the
// same checkout again finds it (by the order's invoice) instead of creating another.
func TestUnreadableCreatedPaymentIsNeverMadeTwice(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvFencePause: "10"})
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	var mu sync.Mutex
	var invoices []string
	api := f.api
	f.api = func(cmd string, form url.Values) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		switch cmd {
		case "create_transaction":
			invoices = append(invoices, form.Get("invoice"))
			n := strconv.Itoa(len(invoices))
			if len(invoices) == 1 {
				return 200, `{"error":"ok","result":{"amount":4e-4,"txn_id":"CPSBX1","address":"addr1"}}`
			}
			return 200, `{"error":"ok","result":{"amount":"0.00040000","txn_id":"CPSBX` + n + `","address":"addr1","confirms_needed":"2","timeout":7200,"checkout_url":"https://x/c","status_url":"https://x/s","qrcode_url":"https://x/q"}}`
		case "get_tx_ids":
			var ids []string
			for i := range invoices {
				ids = append(ids, strconv.Quote("CPSBX"+strconv.Itoa(i+1)))
			}
			return 200, `{"error":"ok","result":[` + strings.Join(ids, ",") + `]}`
		case "get_tx_info":
			i, _ := strconv.Atoi(strings.TrimPrefix(form.Get("txid"), "CPSBX"))
			return 200, `{"error":"ok","result":{"status":0,"status_text":"Waiting","coin":"BTC","amount":40000,"amountf":"0.00040000","received":0,"receivedf":"0","payment_address":"addr1","checkout":{"invoice":` + strconv.Quote(invoices[i-1]) + `}}}`
		}
		return api(cmd, form)
	}
	h := map[string]string{"cf-connecting-ip": "192.0.2.60"}
	body := `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"o-amt"}`
	first := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	if first.Status == 201 || strings.Contains(string(first.Body), `"retryable":true`) {
		t.Fatalf("first checkout: %d %s, want an outcome unknown, not retryable", first.Status, first.Body)
	}
	again := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	mu.Lock()
	n := len(invoices)
	mu.Unlock()
	if n != 1 {
		t.Fatalf("%d payments created for one order (second answer %d %s)", n, again.Status, again.Body)
	}
}
