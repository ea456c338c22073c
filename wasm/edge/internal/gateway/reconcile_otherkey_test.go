package gateway

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// An outcome_unknown answer's "reconcile" object carries the nonce its request was sent with,
// on the API key of the gateway that sent it, but nothing says which key. Posted to
// /v1/reconcile of a gateway with another key (README: "running a gateway per key" to spread
// the load; or the same gateway after its WALLEX_PUBLIC_KEY was rotated), that gateway's fence
// covers only its own key's nonces, yet it answered not_found, proven: "send it once more", while
// the first key's request was still held by the network. It landed: paid twice. The body now
// names the key (key_hash), and a nonce of another key, or of none named, is not trusted.
func TestReconcileOfAnotherKeysNonceWaits(t *testing.T) {
	gA, f := newGateway(t, map[string]string{EnvAllowMoney: "1", EnvFencePause: "10"})
	gB, _ := newGateway(t, map[string]string{EnvAllowMoney: "1", EnvFencePause: "10", EnvPublicKey: "pub-key-5678"})
	carried := 0
	f.api = func(cmd string, form url.Values) (int, string) {
		switch cmd {
		case "create_withdrawal":
			carried++
			return 200, `{"error":"ok","result":{"id":"WD","status":1,"amount":"0.1"}}`
		case "get_withdrawal_history":
			return 200, `{"error":"ok","result":[]}` // the held request has not landed yet
		}
		return 200, `{"error":"ok","result":{}}`
	}
	h := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	gA.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", h, "")) // token cached
	// Gateway A's sequencer sent the withdrawal; the network holds it (no answer came back).
	held := &stubKeys{fakeKeys: fakeKeys{f: f}, result: &NonceResult{SendError: "the request was sent but no answer came back", Nonce: 1_900_000_000_000}}
	res := gA.Handle(context.Background(), &keysPlatform{fakePlatform: f, keys: held}, req("POST", "/v1/call/create_withdrawal", withKey(h, "op_k1"), wdBody))
	m := decode(t, res)
	if res.Status != 502 || m["code"] != "outcome_unknown" {
		t.Fatalf("first: %d %s", res.Status, res.Body)
	}
	body, _ := json.Marshal(m["reconcile"])
	if !strings.Contains(string(body), `"key_hash":"`) {
		t.Fatalf("the reconcile body names no key: %s", body)
	}
	rh := map[string]string{"authorization": "Bearer gw-token-aaaa", "content-type": "application/json"}
	rec := gB.Handle(context.Background(), f, req("POST", "/v1/reconcile", rh, string(body)))
	rm := decode(t, rec)
	if rm["verdict"] != "in_flight" || rm["proven"] != false || !strings.Contains(rm["detail"].(string), "not sent with this gateway's API key") {
		t.Fatalf("reconcile at the other key's gateway: %d %s, want in_flight until the original's bound", rec.Status, rec.Body)
	}
	// The gateway that sent it: its fence covers its own nonce, and settles it at once.
	own := gA.Handle(context.Background(), f, req("POST", "/v1/reconcile", rh, string(body)))
	if om := decode(t, own); om["verdict"] != "not_found" || om["proven"] != true {
		t.Fatalf("reconcile at the sending gateway: %d %s, want not_found, proven", own.Status, own.Body)
	}
	// The same nonce without the key that sent it proves nothing either.
	var bare map[string]any
	json.Unmarshal(body, &bare)
	delete(bare, "key_hash")
	nb, _ := json.Marshal(bare)
	if bm := decode(t, gA.Handle(context.Background(), f, req("POST", "/v1/reconcile", rh, string(nb)))); bm["verdict"] != "in_flight" {
		t.Fatalf("a nonce without key_hash: %v, want in_flight", bm)
	}
	if carried != 0 {
		t.Fatalf("withdrawals carried out: %d (want 0: the held one has not landed)", carried)
	}
}

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

// A not_found no fence proves (another key's nonce, its in-flight bound passed) says why it is not
// proven, and never how to send it again: a copy of the original may still land.
func TestAnUnprovenNotFoundDoesNotSayToSendItAgain(t *testing.T) {
	gA, f := newGateway(t, map[string]string{EnvAllowMoney: "1", EnvFencePause: "10"})
	gB, _ := newGateway(t, map[string]string{EnvAllowMoney: "1", EnvFencePause: "10", EnvPublicKey: "pub-key-5678"})
	f.api = func(cmd string, form url.Values) (int, string) {
		if cmd == "get_withdrawal_history" {
			return 200, `{"error":"ok","result":[]}`
		}
		return 200, `{"error":"ok","result":{}}`
	}
	h := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	gA.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", h, ""))
	held := &stubKeys{fakeKeys: fakeKeys{f: f}, result: &NonceResult{SendError: "the request was sent but no answer came back", Nonce: 1_900_000_000_000}}
	m := decode(t, gA.Handle(context.Background(), &keysPlatform{fakePlatform: f, keys: held}, req("POST", "/v1/call/create_withdrawal", withKey(h, "op_k2"), wdBody)))
	var body map[string]any
	b, _ := json.Marshal(m["reconcile"])
	json.Unmarshal(b, &body)
	for k := range body {
		if strings.HasPrefix(k, "sent_at") || strings.HasPrefix(k, "deadline") {
			delete(body, k)
		}
	}
	body["sent_at"] = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	nb, _ := json.Marshal(body)
	rh := map[string]string{"authorization": "Bearer gw-token-aaaa", "content-type": "application/json"}
	rm := decode(t, gB.Handle(context.Background(), f, req("POST", "/v1/reconcile", rh, string(nb))))
	if rm["verdict"] != "not_found" || rm["proven"] != false {
		t.Fatalf("reconcile at the other key's gateway an hour on: %v, want not_found, not proven", rm)
	}
	if d := rm["detail"].(string); strings.Contains(d, "send it once more") || strings.Contains(d, "new Idempotency-Key") {
		t.Fatalf("an unproven not_found says to send it again: %s", d)
	}
}
