package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn"
)

func TestForwardSignature(t *testing.T) {
	body := []byte(`{"ipn_id":"a"}`)
	sig := SignForward("fwd-secret", 1_800_000_000, body)
	// HMAC-SHA256("fwd-secret", "1800000000." + body), computed independently.
	if sig != "sha256=75a328a3dedcdfe1eccb1a434f7859fc2e7faf44966fdb4ba9a3ba952e582696" {
		t.Fatalf("signature format changed: %s", sig)
	}
	at := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name, secret, ts, sig string
		body                  []byte
		now                   time.Time
		want                  error
	}{
		{"valid", "fwd-secret", "1800000000", sig, body, at, nil},
		{"valid 4m59s later", "fwd-secret", "1800000000", sig, body, at.Add(299 * time.Second), nil},
		{"too old", "fwd-secret", "1800000000", sig, body, at.Add(301 * time.Second), ErrForwardTimestamp},
		{"from the future", "fwd-secret", "1800000000", sig, body, at.Add(-301 * time.Second), ErrForwardTimestamp},
		{"fresh timestamp on an old signature", "fwd-secret", "1800000100", sig, body, at.Add(100 * time.Second), ErrForwardSignature},
		{"altered body", "fwd-secret", "1800000000", sig, []byte(`{"ipn_id":"b"}`), at, ErrForwardSignature},
		{"other secret", "other", "1800000000", sig, body, at, ErrForwardSignature},
		{"no secret", "", "1800000000", sig, body, at, ErrForwardSignature},
		{"no prefix", "fwd-secret", "1800000000", strings.TrimPrefix(sig, "sha256="), body, at, ErrForwardSignature},
		{"short", "fwd-secret", "1800000000", "sha256=abcd", body, at, ErrForwardSignature},
		{"no timestamp", "fwd-secret", "", sig, body, at, ErrForwardTimestamp},
		{"signed timestamp", "fwd-secret", "+1800000000", sig, body, at, ErrForwardTimestamp},
	} {
		if err := VerifyForward(tc.secret, tc.ts, tc.body, tc.sig, tc.now); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestNoncesOnByDefault(t *testing.T) {
	for v, want := range map[string]bool{"": true, "1": true, "on": true, "0": false, "false": false, "off": false, " no ": false} {
		if got := LoadConfig(testEnv(map[string]string{EnvNonce: v})).Nonces; got != want {
			t.Errorf("WALLEX_NONCE=%q: nonces %v, want %v", v, got, want)
		}
	}
	c := LoadConfig(testEnv(map[string]string{EnvUpstreamTimeout: "1000", EnvInFlightWindow: "3000", EnvFencePause: "x"}))
	if c.UpstreamTimeout != time.Second || c.InFlightWindow != 3*time.Second || c.FencePause != DefaultFencePause || len(c.Problems()) != 1 {
		t.Fatalf("timing vars: %v %v %v %v", c.UpstreamTimeout, c.InFlightWindow, c.FencePause, c.Problems())
	}
	// A window of 0 (or under a second) would call a request the network still holds "not found".
	for _, v := range []string{"0", "999"} {
		c := LoadConfig(testEnv(map[string]string{EnvInFlightWindow: v}))
		if c.InFlightWindow != DefaultInFlightWindow || len(c.Problems()) != 1 || !strings.Contains(c.Problems()[0], "IN_FLIGHT_WINDOW_MS must be a whole number of milliseconds (1000 to 3600000)") {
			t.Fatalf("IN_FLIGHT_WINDOW_MS=%s: %v %v", v, c.InFlightWindow, c.Problems())
		}
	}
}

func TestUnsafe(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         bool
	}{
		{"POST", "/v1/checkout", true},
		{"POST", "/v1/call/create_withdrawal", true},
		{"POST", "/v1/call/create_transaction", true},
		{"POST", "/v1/call/convert", true},
		{"POST", "/v1/call/get_basic_info", false},
		{"POST", "/v1/reconcile", false},
		{"GET", "/v1/checkout/X", false},
		{"OPTIONS", "/v1/checkout", false},
		{"POST", "/ipn", false},
	} {
		if got := Unsafe(tc.method, tc.path); got != tc.want {
			t.Errorf("%s %s: %v", tc.method, tc.path, got)
		}
	}
}

func TestFieldNames(t *testing.T) {
	g, f := newGateway(t, nil)
	h := map[string]string{"authorization": "Bearer gw-token-aaaa", "content-type": "application/json"}
	for _, name := range []string{"Txid", "tx-id", "tx id", "ü", "a.b"} {
		res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_tx_info", h, `{"txid":"T",`+strconv.Quote(name)+`:"1"}`))
		if res.Status != 400 || !strings.Contains(string(res.Body), "field name") {
			t.Errorf("%q: %d %s", name, res.Status, res.Body)
		}
	}
	for _, name := range []string{"txid", "wd[a_1][amount]", "x9", "wd[L3][address]", "wd[Row-7][note]"} {
		if !validFieldName(name) {
			t.Errorf("%q refused", name)
		}
	}
	// A mass payout's KEY is the caller's, as core allows it (letters of either case, digits, '_',
	// '-'; core/payout's rows are L<line>), and only there: a payout file's batch through the
	// gateway was refused whole ("wd[L2][address]"), so the console's Mass payouts never paid.
	for _, name := range []string{"wd[L3][Address]", "Wd[L3][address]", "x-y", "wd[a b][amount]", "wd[L3]-[amount]", "wd[L3]]A"} {
		if validFieldName(name) {
			t.Errorf("%q accepted", name)
		}
	}
}

func TestLimitKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":              "203.0.113.9",
		"2001:db8:1:2::5":          "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:1:2:3":  "2001:db8:1:2::/64",
		"::ffff:198.51.100.4":      "198.51.100.4",
		"unknown":                  "unknown",
		"2001:db8:1:3:0:0:0:1%eth": "2001:db8:1:3::/64",
	} {
		if got := limitKey(in); got != want {
			t.Errorf("limitKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// A notification of the same payment recorded between the read and the commit makes the
// commit a conflict; the gateway decides again on the new status.
func TestIPNCompareAndSet(t *testing.T) {
	g, f := newGateway(t, nil)
	send := func(id, status string) *Response {
		body, sig := ipn.SignedTestIPN("ipn-secret-1234", "M1", "api", map[string]string{"ipn_id": id, "txn_id": "TX", "status": status, "status_text": "s"})
		return g.Handle(context.Background(), f, req("POST", "/ipn", map[string]string{"hmac": sig}, string(body)))
	}
	// While "cancelled" is being decided (last status: none), "complete" gets recorded.
	f.commitHook = func() {
		if res := send("c-1", "100"); decode(t, res)["result"] != "apply" {
			t.Fatalf("complete: %s", res.Body)
		}
	}
	res := send("x-1", "-1")
	if decode(t, res)["result"] != "stale" {
		t.Fatalf("cancelled after complete must be stale once decided again: %s", res.Body)
	}
	if len(f.events) != 1 || !strings.Contains(f.events[0], `"status":100`) || len(f.fwds) != 1 {
		t.Fatalf("events %v forwards %v", f.events, f.fwds)
	}
	if f.status["api:TX"] != 100 {
		t.Fatalf("status %v", f.status)
	}
	// The other order: cancelled recorded meanwhile, complete still applies (money that arrived
	// after a timeout must be known).
	f.commitHook = func() { send("x-2", "-1") }
	body, sig := ipn.SignedTestIPN("ipn-secret-1234", "M1", "api", map[string]string{"ipn_id": "c-2", "txn_id": "TY", "status": "100", "status_text": "s"})
	res = g.Handle(context.Background(), f, req("POST", "/ipn", map[string]string{"hmac": sig}, string(body)))
	if decode(t, res)["result"] != "apply" || f.status["api:TY"] != 100 {
		t.Fatalf("complete after cancelled: %s %v", res.Body, f.status)
	}
}

func TestFailedLoginReleasesTheLease(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvPrivateKey: "wrong-private-key-9"})
	res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": "Bearer gw-token-aaaa"}, ""))
	if res.Status != 502 || f.release != 1 {
		t.Fatalf("status %d, releases %d: %s", res.Status, f.release, res.Body)
	}
	g2, f2 := newGateway(t, nil)
	if res := g2.Handle(context.Background(), f2, req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": "Bearer gw-token-aaaa"}, "")); res.Status != 200 || f2.release != 0 {
		t.Fatalf("a successful login hands nothing on: %d %d", res.Status, f2.release)
	}
}

func TestOutcomeUnknownCarriesTheReconcileFields(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1", EnvFencePause: "10"})
	f.api = func(cmd string, form url.Values) (int, string) {
		if cmd == "create_withdrawal" {
			return 502, `<html>bad gateway</html>`
		}
		return 200, `{"error":"ok","result":{}}`
	}
	h := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", withKey(h, "op_r1"), "amount=0.1&currency=BTC&address=bc1qx&note=n1"))
	m := decode(t, res)
	if res.Status != 502 || m["code"] != "outcome_unknown" || m["retryable"] != false || m["op_id"] == "" {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	rq, _ := m["reconcile"].(map[string]any)
	if rq["cmd"] != "create_withdrawal" || rq["amount"] != "0.1" || rq["currency"] != "BTC" || rq["address"] != "bc1qx" || rq["note"] != "n1" ||
		rq["nonce"] == nil || rq["sent_at"] == "" || rq["deadline"] == "" || rq["since"] == "" {
		t.Fatalf("reconcile fields: %v", rq)
	}
	// Passing them back reconciles (fenced: nonces are on by default).
	back, _ := jsonMarshal(rq)
	f.api = func(cmd string, form url.Values) (int, string) {
		return 200, `{"error":"ok","result":[]}`
	}
	rec := g.Handle(context.Background(), f, req("POST", "/v1/reconcile", map[string]string{"authorization": "Bearer gw-token-aaaa", "content-type": "application/json"}, back))
	rm := decode(t, rec)
	if rec.Status != 200 || rm["verdict"] != "not_found" || rm["proven"] != true {
		t.Fatalf("reconcile: %d %s", rec.Status, rec.Body)
	}
	// The same key again only replays the first answer ("do not send it again; reconcile first"):
	// a caller told not_found who sends it again with that key goes round in circles. The verdict
	// says to send it as a new request, with a new Idempotency-Key.
	again := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", withKey(h, "op_r1"), "amount=0.1&currency=BTC&address=bc1qx&note=n1"))
	if again.Status != 502 || again.Header["idempotent-replay"] != "true" {
		t.Fatalf("same key after not_found: %d %s", again.Status, again.Body)
	}
	if d, _ := rm["detail"].(string); !strings.Contains(d, "new Idempotency-Key") {
		t.Fatalf("not_found does not say how to send it again: %s", rec.Body)
	}
}

func TestNotSentWhenTheSequencerDidNotSend(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	// Warm the token first.
	h := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", h, ""))
	ks := &stubKeys{fakeKeys: fakeKeys{f: f}, result: &NonceResult{NotSent: "its deadline passed before its turn"}}
	p := &keysPlatform{fakePlatform: f, keys: ks}
	res := g.Handle(context.Background(), p, req("POST", "/v1/call/create_withdrawal", withKey(h, "op_r2"), "amount=0.1&currency=BTC&address=bc1qx"))
	if m := decode(t, res); res.Status != 503 || m["code"] != "not_sent" || m["retryable"] != true {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
}

func TestStaleNonceIsRaisedAndResent(t *testing.T) {
	g, f := newGateway(t, nil)
	h := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	ks := &stubKeys{fakeKeys: fakeKeys{f: f}, staleOnce: time.Now().UnixMilli() + 10_000_000}
	p := &keysPlatform{fakePlatform: f, keys: ks}
	res := g.Handle(context.Background(), p, req("POST", "/v1/call/get_basic_info", h, ""))
	if res.Status != 200 || len(ks.nonces) < 2 {
		t.Fatalf("%d %s, nonces %v", res.Status, res.Body, ks.nonces)
	}
	last := ks.nonces[len(ks.nonces)-1]
	if n, _, _, ok := findNonce(ks.bodies[len(ks.bodies)-1]); last <= ks.staleOnce || !ok || n != last {
		t.Fatalf("raised nonce %d (stale %d), body %s", last, ks.staleOnce, ks.bodies[len(ks.bodies)-1])
	}
}

func TestCoinCache(t *testing.T) {
	var c coinCache
	now := time.Unix(1_800_000_000, 0)
	if v, refresh := c.check("BTC", now); v != coinUnknown || !refresh {
		t.Fatal("an empty cache reads the list")
	}
	if v, refresh := c.check("BTC", now); v != coinUnknown || refresh {
		t.Fatal("one read at a time")
	}
	c.store(map[string]bool{"BTC": true}, now)
	if v, _ := c.check("BTC", now.Add(time.Second)); v != coinAccepted {
		t.Fatal("BTC accepted")
	}
	if v, refresh := c.check("ZZZ", now.Add(time.Second)); v != coinRefused || refresh {
		t.Fatal("a miss within a minute of the last read is refused without a read")
	}
	if _, refresh := c.check("ZZZ", now.Add(coinsMissRefresh+time.Second)); !refresh {
		t.Fatal("a miss reads the list again after a minute")
	}
	if _, refresh := c.check("BTC", now.Add(coinsTTL+2*coinsMissRefresh)); !refresh {
		t.Fatal("an old list is read again")
	}
	g, f := newGateway(t, nil)
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	for i := 0; i < 5; i++ {
		res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", map[string]string{"cf-connecting-ip": "192.0.2.1"}, `{"item":"mug","currency2":"TRX","buyer_email":"b@example.com"}`))
		if res.Status != 422 || decode(t, res)["code"] != "coin_not_accepted" || !strings.Contains(string(res.Body), "BTC, LTC") {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
	}
	if n := strings.Count(strings.Join(f.apiCmds, ","), "rates"); n != 1 || strings.Contains(strings.Join(f.apiCmds, ","), "create_transaction") {
		t.Fatalf("api calls %v", f.apiCmds)
	}
}

func TestOrderCheckout(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvFencePause: "10"})
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	pay := newFakePayments(f, func(n int) (int, string) {
		if n == 1 {
			return 502, `<html>bad gateway after acting</html>`
		}
		return 0, ""
	})
	h := map[string]string{"cf-connecting-ip": "192.0.2.50"}
	body := `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"o-1"}`
	res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	m := decode(t, res)
	if res.Status != 502 || m["code"] != "outcome_unknown" || m["order_id"] != "o-1" || m["invoice"] != "wko-o-1" {
		t.Fatalf("first: %d %s", res.Status, res.Body)
	}
	// A storefront holds no gateway token: it is told what it can do (the same order_id again).
	if msg, _ := m["error"].(string); !strings.Contains(msg, "same order_id") || strings.Contains(msg, "/v1/reconcile") {
		t.Fatalf("first answer's instruction: %q", msg)
	}
	// The retry finds the payment by its invoice instead of creating another.
	res = g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	if m := decode(t, res); res.Status != 200 || m["txn_id"] != "CPSBX1" || m["recovered"] != true || pay.creates != 1 {
		t.Fatalf("retry: %d %s (creates %d)", res.Status, res.Body, pay.creates)
	}
	res = g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, body))
	if m := decode(t, res); res.Status != 200 || m["txn_id"] != "CPSBX1" || pay.creates != 1 || res.Header["idempotent-replay"] != "true" {
		t.Fatalf("replay: %d %s", res.Status, res.Body)
	}
	// A payment that does not exist (proven by the fence) is created once.
	pay.created = nil
	pay.creates = 1
	f.orders["o-2"] = `{"state":"unknown","fp":"` + orderFingerprintOf(t, g, f) + `","sent_at":"2026-01-01T00:00:00Z","deadline":"2026-01-01T00:00:01Z","v":1}`
	res = g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, strings.Replace(body, "o-1", "o-2", 1)))
	if m := decode(t, res); res.Status != 201 || m["invoice"] != "wko-o-2" || pay.creates != 2 {
		t.Fatalf("not found then created: %d %s (creates %d)", res.Status, res.Body, pay.creates)
	}
	// An order still being sent by another request is not touched.
	f.orders["o-3"] = `{"state":"sending","fp":"x","sent_at":"2026-01-01T00:00:00Z","deadline":"` + time.Now().Add(time.Minute).UTC().Format(time.RFC3339) + `","v":1}`
	res = g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, strings.Replace(body, "o-1", "o-3", 1)))
	if res.Status != 409 || decode(t, res)["code"] != "order_conflict" {
		t.Fatalf("other content: %d %s", res.Status, res.Body)
	}
	f.orders["o-3"] = strings.Replace(f.orders["o-3"], `"fp":"x"`, `"fp":"`+orderFingerprintOf(t, g, f)+`"`, 1)
	res = g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, strings.Replace(body, "o-1", "o-3", 1)))
	if m := decode(t, res); res.Status != 409 || m["code"] != "in_flight" || m["retryable"] != false || res.Header["retry-after"] == "" {
		t.Fatalf("in flight: %d %s", res.Status, res.Body)
	}
}

func orderFingerprintOf(t *testing.T, g *Gateway, f *fakePlatform) string {
	t.Helper()
	o, res := g.catalogOrder(context.Background(), f, parseJSON(`{"item":"mug","currency2":"BTC","buyer_email":"b@example.com"}`))
	if res != nil {
		t.Fatalf("%s", res.Body)
	}
	return orderFingerprint(o)
}

// stubKeys is a KeyState whose sequencer answers result (or Stale once, above staleOnce).
type stubKeys struct {
	fakeKeys
	result    *NonceResult
	staleOnce int64
	nonces    []int64
	bodies    [][]byte
}

func (k *stubKeys) NonceCall(ctx context.Context, c *NonceCall) (*NonceResult, error) {
	k.nonces = append(k.nonces, c.Nonce)
	k.bodies = append(k.bodies, c.Request.Body)
	if k.result != nil {
		return k.result, nil
	}
	if k.staleOnce > 0 && len(k.nonces) == 1 {
		return &NonceResult{Stale: k.staleOnce}, nil
	}
	return k.fakeKeys.NonceCall(ctx, c)
}

type keysPlatform struct {
	*fakePlatform
	keys KeyState
}

func (p *keysPlatform) Keys(string) KeyState { return p.keys }

var _ core.Transport = (*edgeTransport)(nil)

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func parseJSON(s string) gjson.Result { return gjson.Parse(s) }

// The sequencer sends the nonce it chose in its turn (above Go's when another isolate went
// first): the answer's nonce and its reconcile fence floor are that one, not Go's, the body Go
// handed over marks where the nonce goes, and core chose no nonce through a Durable Object call
// (LoadNonce/SaveNonce stay in the isolate).
func TestSequencerNonceIsTheOneReported(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	h := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", h, "")) // token cached
	raised := time.Now().UnixMilli() + 5_000_000
	ks := &stubKeys{fakeKeys: fakeKeys{f: f}, result: &NonceResult{SendError: "the request was sent but no answer came back", Nonce: raised}}
	res := g.Handle(context.Background(), &keysPlatform{fakePlatform: f, keys: ks}, req("POST", "/v1/call/create_withdrawal", withKey(h, "op_r3"), "amount=0.1&currency=BTC&address=bc1qx"))
	m := decode(t, res)
	rq, _ := m["reconcile"].(map[string]any)
	if res.Status != 502 || m["code"] != "outcome_unknown" || int64(m["nonce"].(float64)) != raised || int64(rq["nonce"].(float64)) != raised {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	body := ks.bodies[0]
	n, at, end, ok := findNonce(body)
	if !ok || n != ks.nonces[0] || string(body[at:end]) != strconv.FormatInt(n, 10) {
		t.Fatalf("body %s, nonce %d", body, ks.nonces[0])
	}
	if len(f.nonces) != 0 {
		t.Fatalf("core's nonce choice reached the key's Durable Object: %v", f.nonces)
	}
	// The isolate's view is raised to what the sequencer sent: the next choice starts above it.
	ks.result = nil
	g.Handle(context.Background(), &keysPlatform{fakePlatform: f, keys: ks}, req("POST", "/v1/call/get_basic_info", h, ""))
	if last := ks.nonces[len(ks.nonces)-1]; last <= raised {
		t.Fatalf("next nonce %d, want above %d", last, raised)
	}
}

// withKey is h with an Idempotency-Key (money commands need one).
func withKey(h map[string]string, key string) map[string]string {
	out := map[string]string{"idempotency-key": key}
	for k, v := range h {
		out[k] = v
	}
	return out
}

// Anyone can pay a Wallex payment button with any invoice and amount (spec §9), and its IPN
// reaches the gateway genuinely signed: a buyer who pays a 0.01 USD button with the invoice of
// another's order (wko-o-7) made an event that looked like that order's payment to a receiver
// matching by invoice. Events and forwards now say which payments this gateway's checkout
// created (checkout, order_id): the order's own payment carries its order_id; the button's none.
func TestIPNEventsNameTheOrderOnlyForPaymentsTheCheckoutCreated(t *testing.T) {
	g, f := newGateway(t, nil)
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	newFakePayments(f, nil)
	res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", map[string]string{"cf-connecting-ip": "192.0.2.70"},
		`{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"o-7"}`))
	created := decode(t, res)
	if res.Status != 201 || created["txn_id"] == "" {
		t.Fatalf("checkout: %d %s", res.Status, res.Body)
	}
	send := func(typ string, fields map[string]string) map[string]any {
		t.Helper()
		body, sig := ipn.SignedTestIPN("ipn-secret-1234", "M1", typ, fields)
		if res := g.Handle(context.Background(), f, req("POST", "/ipn", map[string]string{"hmac": sig}, string(body))); res.Status != 200 {
			t.Fatalf("ipn: %d %s", res.Status, res.Body)
		}
		var ev, fwd map[string]any
		if err := json.Unmarshal([]byte(f.events[len(f.events)-1]), &ev); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(f.fwds[len(f.fwds)-1]), &fwd); err != nil {
			t.Fatal(err)
		}
		if ev["checkout"] != fwd["checkout"] || ev["order_id"] != fwd["order_id"] {
			t.Fatalf("event and forward disagree: %v / %v", ev, fwd)
		}
		return ev
	}
	paid := map[string]string{"status": "100", "status_text": "Complete", "currency1": "USD", "currency2": "BTC", "received_confirms": "2"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := maps.Clone(m)
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	forged := send("button", with(paid, "ipn_id", "b-1", "txn_id", "CPBUTTON1", "invoice", "wko-o-7", "amount1", "0.01", "amount2", "0.0000001"))
	if forged["checkout"] != false || forged["order_id"] != nil || forged["first_paid"] != true {
		t.Fatalf("a button payment with the order's invoice: %v; want checkout false and no order_id", forged)
	}
	real := send("api", with(paid, "ipn_id", "a-1", "txn_id", created["txn_id"].(string), "invoice", "wko-o-7", "amount1", "12.50", "amount2", "0.0002"))
	if real["checkout"] != true || real["order_id"] != "o-7" || real["first_paid"] != true {
		t.Fatalf("the order's own payment: %v; want checkout true, order_id o-7", real)
	}
}

// A payment's first IPN can arrive before its checkout has recorded it as this gateway's (the
// API sends it as it creates the payment, and the checkout records the payment after the answer):
// it was forwarded as another's payment (checkout false) for good. Now, while the checkout is
// within its deadline (its order, or the mark a checkout without order_id writes first, is
// "sending"), the IPN is answered 503 and Wallex sends it again; an order already done names its
// payment itself; past the deadline, an unknown payment is another's, as before.
func TestAnIPNBeforeItsCheckoutRecordedThePaymentIsAskedAgain(t *testing.T) {
	g, f := newGateway(t, nil)
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	newFakePayments(f, nil)
	ctx := context.Background()
	led := f.Ledger()
	// a checkout without order_id marks its invoice before it creates the payment
	res := g.Handle(ctx, f, req("POST", "/v1/checkout", map[string]string{"cf-connecting-ip": "192.0.2.71"}, `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com"}`))
	created := decode(t, res)
	if res.Status != 201 {
		t.Fatalf("checkout: %d %s", res.Status, res.Body)
	}
	if _, ok, _ := led.GetOrder(ctx, "~"+created["invoice"].(string)); !ok {
		t.Fatalf("no mark of the checkout's invoice %v before its payment was created", created["invoice"])
	}
	post := func(fields map[string]string) *Response {
		body, sig := ipn.SignedTestIPN("ipn-secret-1234", "M1", "api", fields)
		return g.Handle(ctx, f, req("POST", "/ipn", map[string]string{"hmac": sig}, string(body)))
	}
	last := func() map[string]any {
		var ev map[string]any
		if err := json.Unmarshal([]byte(f.events[len(f.events)-1]), &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	waiting := func(id, txn, invoice string) map[string]string {
		return map[string]string{"ipn_id": id, "txn_id": txn, "invoice": invoice, "status": "0", "status_text": "Waiting for buyer funds",
			"currency1": "USD", "currency2": "BTC", "amount1": "12.50", "amount2": "0.0002"}
	}
	soon := orderRec{state: "sending", sentAt: time.Now(), deadline: time.Now().Add(30 * time.Second)}.json()
	// without order_id: the mark is "sending", the payment not recorded yet
	if _, _, err := led.PutOrder(ctx, "~wkx-000000000000000000000001", 0, soon); err != nil {
		t.Fatal(err)
	}
	if res := post(waiting("x-1", "CPX1", "wkx-000000000000000000000001")); res.Status != 503 || decode(t, res)["code"] != "checkout_recording" {
		t.Fatalf("an IPN of a payment its checkout has not recorded yet: %d %s, want 503 (send it again)", res.Status, res.Body)
	}
	if err := led.PutTxn(ctx, "CPX1", `{"invoice":"wkx-000000000000000000000001"}`); err != nil {
		t.Fatal(err)
	}
	if res := post(waiting("x-1", "CPX1", "wkx-000000000000000000000001")); res.Status != 200 || last()["checkout"] != true {
		t.Fatalf("sent again once recorded: %d %s, event %v; want the checkout's", res.Status, res.Body, last())
	}
	// with order_id: the order is "sending", then done with the payment's txn_id
	if _, _, err := led.PutOrder(ctx, "o-9", 0, soon); err != nil {
		t.Fatal(err)
	}
	if res := post(waiting("o-1", "CPO9", "wko-o-9")); res.Status != 503 {
		t.Fatalf("an IPN of an order still sending: %d %s, want 503", res.Status, res.Body)
	}
	done := orderRec{state: "done", answer: `{"txn_id":"CPO9"}`}.json()
	if ok, _, err := led.PutOrder(ctx, "o-9", 1, done); err != nil || !ok {
		t.Fatalf("order done: %v %v", ok, err)
	}
	if res := post(waiting("o-1", "CPO9", "wko-o-9")); res.Status != 200 || last()["checkout"] != true || last()["order_id"] != "o-9" {
		t.Fatalf("an IPN of an order done, before the payment was recorded: %d %s, event %v", res.Status, res.Body, last())
	}
	// past the mark's deadline, a payment no checkout recorded is another's (a payment button's)
	past := orderRec{state: "sending", sentAt: time.Now().Add(-time.Minute), deadline: time.Now().Add(-30 * time.Second)}.json()
	if _, _, err := led.PutOrder(ctx, "~wkx-000000000000000000000002", 0, past); err != nil {
		t.Fatal(err)
	}
	if res := post(waiting("x-2", "CPBUTTON2", "wkx-000000000000000000000002")); res.Status != 200 || last()["checkout"] != false {
		t.Fatalf("a button payment with a stale checkout's invoice: %d %s, event %v", res.Status, res.Body, last())
	}
	// a checkout begun minutes ago with a long upstream timeout (its Worker stopped): its IPN is not
	// held until that deadline, which Wallex's retries would not outlast
	long := orderRec{state: "sending", sentAt: time.Now().Add(-3 * time.Minute), deadline: time.Now().Add(time.Hour)}.json()
	if _, _, err := led.PutOrder(ctx, "~wkx-000000000000000000000003", 0, long); err != nil {
		t.Fatal(err)
	}
	if res := post(waiting("x-3", "CPX3", "wkx-000000000000000000000003")); res.Status != 200 {
		t.Fatalf("an IPN of a checkout begun 3 minutes ago: %d %s, want it recorded", res.Status, res.Body)
	}
}

// Anyone can pay a Wallex payment button with any invoice and amount (spec §9): a buyer who knows
// an order's id (the storefront sends it from the browser) pays a 0.01 USD button with invoice
// wko-<order> while the order's first checkout has an unknown outcome (that create never landed).
// The retry of the order looked the invoice up, found the button's payment, and answered it as
// the order's payment (recorded done, and in the payments): its IPN then said checkout true with
// the order's order_id, and the order was fulfilled by a 0.01 USD payment. A payment found by the
// invoice is the order's only when it is priced as the order (currency1, amount1).
func TestAnOrderRetryDoesNotAdoptAPaymentButtonsPaymentWithItsInvoice(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvFencePause: "10"})
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	pay := newFakePayments(f, func(n int) (int, string) {
		if n == 1 {
			return 502, `<html>bad gateway</html>`
		}
		return 0, ""
	})
	ctx := context.Background()
	h := map[string]string{"cf-connecting-ip": "192.0.2.72"}
	body := `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"o-8"}`
	if res := g.Handle(ctx, f, req("POST", "/v1/checkout", h, body)); res.Status != 502 || decode(t, res)["code"] != "outcome_unknown" {
		t.Fatalf("first: %d %s", res.Status, res.Body)
	}
	// that create never landed; a payment button's payment carries the order's invoice
	pay.created = []string{"wko-o-8"}
	pay.info["CPSBX1"] = `{"status":0,"status_text":"Waiting","coin":"BTC","amount":1,"amountf":"0.00000001","received":0,"receivedf":"0","payment_address":"addrB","checkout":{"invoice":"wko-o-8","currency":"USD","amountf":"0.01000000"}}`
	res := g.Handle(ctx, f, req("POST", "/v1/checkout", h, body))
	if m := decode(t, res); res.Status < 400 || m["txn_id"] == "CPSBX1" {
		t.Fatalf("retry: %d %s: a payment button's payment (0.01 USD) answered as the order's (12.50 USD)", res.Status, res.Body)
	}
	if pay.creates != 1 {
		t.Fatalf("creates %d: the retry created another payment while one with the order's invoice exists", pay.creates)
	}
	fields := map[string]string{"ipn_id": "b-8", "txn_id": "CPSBX1", "invoice": "wko-o-8", "status": "100", "status_text": "Complete",
		"currency1": "USD", "currency2": "BTC", "amount1": "0.01", "amount2": "0.00000001"}
	b, s := ipn.SignedTestIPN("ipn-secret-1234", "M1", "button", fields)
	if res := g.Handle(ctx, f, req("POST", "/ipn", map[string]string{"hmac": s}, string(b))); res.Status != 200 {
		t.Fatalf("ipn: %d %s", res.Status, res.Body)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(f.events[len(f.events)-1]), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["checkout"] != false || ev["order_id"] != nil {
		t.Fatalf("the button's payment's IPN: %v; want checkout false, no order_id", ev)
	}
}
