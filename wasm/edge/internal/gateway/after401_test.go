package gateway

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// exactNotSentKeys is a key sequencer that sends every call but refuses core's resend after a
// 401 (the same nonce, Exact) as not sent, as keys.mjs does when its deadline passes while other
// calls of the key are ahead of it in the queue, or when a reconcile's fence ran after it was made.
type exactNotSentKeys struct{ fakeKeys }

func (k *exactNotSentKeys) NonceCall(ctx context.Context, c *NonceCall) (*NonceResult, error) {
	if c.Exact {
		return &NonceResult{NotSent: "its deadline passed before its turn"}, nil
	}
	return k.fakeKeys.NonceCall(ctx, c)
}

// commit401 makes f's API carry cmd out and answer the first one 401 (rule 1: a 401 does not
// prove the API did not act, e.g. an HTTP stack's resent copy got it). It returns how many were
// carried out.
func commit401(f *fakePlatform, cmd, okBody string) *int {
	n := 0
	api := f.api
	f.api = func(c string, form url.Values) (int, string) {
		if c == cmd {
			n++
			if n == 1 {
				return 401, `{"error":"Invalid token"}`
			}
			return 200, okBody
		}
		return api(c, form)
	}
	return &n
}

// /v1/call: the withdrawal was carried out but answered 401; core logs in again and resends it
// with the same nonce, and the sequencer does not send that resend. The gateway must answer
// outcome unknown, not "503 not_sent, retryable: send it again" (which also releases the
// Idempotency-Key): followed, that pays twice.
func TestMoney401ThenResendNotSentIsUnknown(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	h := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", h, "")) // token cached
	carried := commit401(f, "create_withdrawal", `{"error":"ok","result":{"id":"WD1","status":1,"amount":"0.1"}}`)
	p := &keysPlatform{fakePlatform: f, keys: &exactNotSentKeys{fakeKeys{f: f}}}
	res := g.Handle(context.Background(), p, req("POST", "/v1/call/create_withdrawal", withKey(h, "op_a401"), wdBody))
	m := decode(t, res)
	t.Logf("first answer: %d %s", res.Status, res.Body)
	if m["retryable"] == true {
		// Follow the answer at once: the same request, same Idempotency-Key.
		again := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", withKey(h, "op_a401"), wdBody))
		t.Logf("sent again as told: %d %s", again.Status, again.Body)
	}
	if *carried != 1 || m["code"] != "outcome_unknown" {
		t.Fatalf("withdrawals carried out: %d (want 1); first answer %d %s", *carried, res.Status, res.Body)
	}
}

// The same for a checkout with order_id: the order is marked "failed" (created anew on a retry).
func TestCheckout401ThenResendNotSentIsUnknown(t *testing.T) {
	g, f := newGateway(t, nil)
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	hh := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", hh, "")) // token cached
	carried := commit401(f, "create_transaction", `{"error":"ok","result":{"amount":"0.00040000","txn_id":"CPSBX2","address":"addr1","confirms_needed":"2","timeout":7200,"checkout_url":"https://x/c","status_url":"https://x/s","qrcode_url":"https://x/q"}}`)
	p := &keysPlatform{fakePlatform: f, keys: &exactNotSentKeys{fakeKeys{f: f}}}
	h := map[string]string{"cf-connecting-ip": "192.0.2.77"}
	body := `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"o-401"}`
	res := g.Handle(context.Background(), p, req("POST", "/v1/checkout", h, body))
	m := decode(t, res)
	t.Logf("first answer: %d %s", res.Status, res.Body)
	if m["retryable"] == true || strings.Contains(m["error"].(string), "send the same checkout again") {
		again := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
		t.Logf("sent again as told: %d %s", again.Status, again.Body)
	}
	if *carried != 1 {
		t.Fatalf("payments created for order o-401: %d (want 1); first answer %d %s; order %s", *carried, res.Status, res.Body, f.orders["o-401"])
	}
}

// A payment created but answered 401, and core's resend after a new login (same nonce) answered
// 401 too: core returns an AuthError, the order is marked "failed" (none created), and the same
// checkout sent again (README: "one order never gets two payments, whatever is retried and
// when") creates a second payment.
func TestCheckoutTwice401IsUnknownNotFailed(t *testing.T) {
	g, f := newGateway(t, nil)
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": "Bearer gw-token-aaaa"}, ""))
	created, calls := 0, 0
	api := f.api
	f.api = func(c string, form url.Values) (int, string) {
		if c == "create_transaction" {
			calls++
			switch calls {
			case 1: // carried out; the answer that comes back is a 401
				created++
				return 401, `{"error":"Invalid token"}`
			case 2: // core's resend after a new login, same nonce: refused, 401 again
				return 401, `{"error":"Invalid token"}`
			}
			created++
			return 200, `{"error":"ok","result":{"amount":"0.00040000","txn_id":"CPSBX9","address":"addr1","confirms_needed":"2","timeout":7200,"checkout_url":"https://x/c","status_url":"https://x/s","qrcode_url":"https://x/q"}}`
		}
		return api(c, form)
	}
	h := map[string]string{"cf-connecting-ip": "192.0.2.78"}
	body := `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"o-2x401"}`
	first := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	t.Logf("first: %d %s; order %s", first.Status, first.Body, f.orders["o-2x401"])
	again := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	t.Logf("again: %d %s", again.Status, again.Body)
	if created != 1 {
		t.Fatalf("payments created for one order: %d (want 1)", created)
	}
}
