package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func (f *fakePlatform) count(cmd string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.apiCmds {
		if c == cmd {
			n++
		}
	}
	return n
}

func idemHeaders(key string) map[string]string {
	h := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	if key != "" {
		h["idempotency-key"] = key
	}
	return h
}

const wdBody = "amount=0.1&currency=BTC&address=bc1qx&note=n1"

func withdrawalAPI(f *fakePlatform, hold <-chan struct{}) {
	f.api = func(cmd string, form url.Values) (int, string) {
		if cmd == "create_withdrawal" {
			if hold != nil {
				select { // a copy that wrongly reaches the API is not held for ever
				case <-hold:
				case <-time.After(3 * time.Second):
				}
			}
			return 200, `{"error":"ok","result":{"id":"WD1","status":1,"amount":"0.1"}}`
		}
		return 200, `{"error":"ok","result":{}}`
	}
}

// One after the other: the copy gets the first answer, byte for byte, and is never sent.
func TestIdempotencyKeyReplaysTheFirstAnswer(t *testing.T) {
	for _, nonces := range []string{"1", "0"} {
		g, f := newGateway(t, map[string]string{EnvAllowMoney: "1", EnvNonce: nonces})
		withdrawalAPI(f, nil)
		first := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_1"), wdBody))
		second := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_1"), wdBody))
		if first.Status != 200 || second.Status != 200 || string(first.Body) != string(second.Body) {
			t.Fatalf("nonces %s: %d %s / %d %s", nonces, first.Status, first.Body, second.Status, second.Body)
		}
		if second.Header["idempotent-replay"] != "true" || first.Header["idempotent-replay"] != "" {
			t.Fatalf("replay header: first %v, second %v", first.Header, second.Header)
		}
		if n := f.count("create_withdrawal"); n != 1 {
			t.Fatalf("nonces %s: %d withdrawals sent, want 1", nonces, n)
		}
		// Field order and the envelope fields a client adds do not change what is asked for.
		third := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_1"), "note=n1&version=1&address=bc1qx&cmd=create_withdrawal&currency=BTC&amount=0.1&nonce=5"))
		if third.Status != 200 || f.count("create_withdrawal") != 1 {
			t.Fatalf("reordered copy: %d %s, %d sent", third.Status, third.Body, f.count("create_withdrawal"))
		}
		noSecrets(t, f, first, second, third)
	}
}

func TestIdempotencyKeyWithAnotherRequestIsRefused(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	withdrawalAPI(f, nil)
	g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_2"), wdBody))
	for _, body := range []string{strings.Replace(wdBody, "0.1", "0.2", 1), wdBody + "&dest_tag=7"} {
		res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_2"), body))
		if m := decode(t, res); res.Status != 422 || m["code"] != "idempotency_key_reused" || m["retryable"] != false {
			t.Fatalf("%d %s", res.Status, res.Body)
		}
	}
	res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_transfer", idemHeaders("op_2"), wdBody))
	if res.Status != 422 {
		t.Fatalf("another command with the key: %d %s", res.Status, res.Body)
	}
	if n := f.count("create_withdrawal") + f.count("create_transfer"); n != 1 {
		t.Fatalf("%d money calls sent, want 1", n)
	}
	if res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("bad key"), wdBody)); res.Status != 400 {
		t.Fatalf("a key with a space: %d %s", res.Status, res.Body)
	}
}

// In parallel: while the first is held upstream, a copy is answered outcome unknown (in
// progress, a 5xx core reads as such), never sent; after it, the copy gets the first's answer.
func TestIdempotencyKeyWhileTheFirstIsInFlight(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	hold := make(chan struct{})
	withdrawalAPI(f, hold)
	var wg sync.WaitGroup
	var first *Response
	wg.Add(1)
	go func() {
		defer wg.Done()
		first = g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_3"), wdBody))
	}()
	for deadline := time.Now().Add(5 * time.Second); f.count("create_withdrawal") == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the first request never reached the API")
		}
		time.Sleep(time.Millisecond)
	}
	dup := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_3"), wdBody))
	m := decode(t, dup)
	if dup.Status != 502 || m["code"] != "outcome_unknown" || m["retryable"] != false || m["in_progress"] != true || m["until"] == "" || dup.Header["retry-after"] == "" {
		t.Fatalf("copy in flight: %d %s %v", dup.Status, dup.Body, dup.Header)
	}
	close(hold)
	wg.Wait()
	again := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_3"), wdBody))
	if first.Status != 200 || again.Status != 200 || string(again.Body) != string(first.Body) {
		t.Fatalf("first %d %s, again %d %s", first.Status, first.Body, again.Status, again.Body)
	}
	if n := f.count("create_withdrawal"); n != 1 {
		t.Fatalf("%d withdrawals sent, want 1", n)
	}
}

// The first's outcome unknown: the copy gets the same outcome_unknown answer (with the reconcile
// fields), never sent. A record whose first request died with the Worker is answered unknown
// with the reconcile fields once its deadline is past.
func TestIdempotencyKeyAfterAnUnknownOutcome(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	f.api = func(cmd string, form url.Values) (int, string) {
		if cmd == "create_withdrawal" {
			return 502, `<html>bad gateway</html>`
		}
		return 200, `{"error":"ok","result":{}}`
	}
	first := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_4"), wdBody))
	second := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_4"), wdBody))
	if first.Status != 502 || string(second.Body) != string(first.Body) || f.count("create_withdrawal") != 1 {
		t.Fatalf("first %d %s, second %d %s, sent %d", first.Status, first.Body, second.Status, second.Body, f.count("create_withdrawal"))
	}

	// A claim left "sending" past its deadline (its Worker stopped).
	withdrawalAPI(f, nil)
	led := f.Ledger()
	id := idempotencyID("op_5")
	past := time.Now().Add(-time.Minute)
	rec := newObj().str("claim", "c0").str("fp", requestFingerprint("create_withdrawal", map[string]string{"amount": "0.1", "currency": "BTC", "address": "bc1qx", "note": "n1"})).
		str("state", "sending").str("cmd", "create_withdrawal").str("sent_at", rfc3339(past.Add(-20*time.Second))).str("deadline", rfc3339(past)).
		strMap("fields", map[string]string{"amount": "0.1", "currency": "BTC", "address": "bc1qx", "note": "n1"}).String()
	if ok, _, _ := led.ClaimIdempotency(context.Background(), id, "c0", rec, IdempotencyRetention); !ok {
		t.Fatal("claim")
	}
	res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_5"), wdBody))
	m := decode(t, res)
	rq, _ := m["reconcile"].(map[string]any)
	if res.Status != 502 || m["code"] != "outcome_unknown" || rq["address"] != "bc1qx" || rq["note"] != "n1" || rq["deadline"] == "" {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	if n := f.count("create_withdrawal"); n != 1 {
		t.Fatalf("%d withdrawals sent, want 1 (the first request's)", n)
	}
}

// Nothing carried out (retryable): the key is released and the same request may go again.
// Without the header, each copy is a new call (as before); on a read the header changes nothing;
// another gateway token is the same scope.
func TestIdempotencyKeyReleasedAndScoped(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", idemHeaders(""), "")) // token cached
	ks := &stubKeys{fakeKeys: fakeKeys{f: f}, result: &NonceResult{NotSent: "its deadline passed before its turn"}}
	res := g.Handle(context.Background(), &keysPlatform{fakePlatform: f, keys: ks}, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_6"), wdBody))
	if res.Status != 503 {
		t.Fatalf("not sent: %d %s", res.Status, res.Body)
	}
	withdrawalAPI(f, nil)
	if res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_6"), wdBody)); res.Status != 200 || res.Header["idempotent-replay"] != "" {
		t.Fatalf("after a not_sent answer: %d %s", res.Status, res.Body)
	}
	before := f.count("create_withdrawal")
	g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_7"), wdBody))
	g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_8"), wdBody))
	if n := f.count("create_withdrawal") - before; n != 2 {
		t.Fatalf("two keys: %d sent, want 2", n)
	}
	// Another gateway token is the same scope (the account's): the same request is a copy.
	other := map[string]string{"authorization": "Bearer gw-token-bbbb", "idempotency-key": "op_6"}
	sent := f.count("create_withdrawal")
	if res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", other, wdBody)); res.Status != 200 || res.Header["idempotent-replay"] != "true" || f.count("create_withdrawal") != sent {
		t.Fatalf("another token's copy: %d %s", res.Status, res.Body)
	}
	reads := f.count("get_basic_info")
	for range 2 {
		if res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", idemHeaders("op_7"), "")); res.Status != 200 || res.Header["idempotent-replay"] != "" {
			t.Fatalf("read: %d %s", res.Status, res.Body)
		}
	}
	if f.count("get_basic_info") != reads+2 {
		t.Fatal("reads are sent each time")
	}
}

// The gateway's API key rotated (WALLEX_PUBLIC_KEY changed: new isolates, the same ledger) while a
// money call was in flight, or after it was carried out and its answer lost: the caller sends the
// same request with the same Idempotency-Key, as the answers say to. The key's record was scoped to
// the API key that sent it, so the new key's gateway found none, claimed it anew and sent it: a
// second withdrawal. Both keys are the same merchant's account: the copy must get the first one's
// answer (or be told it is in progress), never be sent.
func TestIdempotencyKeyHoldsAcrossAKeyRotation(t *testing.T) {
	gA, gB, f := sentAgainAfterAChange(t, "the key rotated", map[string]string{EnvAllowMoney: "1"},
		map[string]string{EnvAllowMoney: "1", EnvPublicKey: "pub-key-5678"})

	// In progress under the old key when the copy comes to the new one.
	hold := make(chan struct{})
	withdrawalAPI(f, hold)
	done := make(chan *Response)
	go func() {
		done <- gA.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_rot2"), wdBody))
	}()
	for deadline := time.Now().Add(5 * time.Second); f.count("create_withdrawal") < 2; {
		if time.Now().After(deadline) {
			t.Fatal("the first request never reached the API")
		}
		time.Sleep(time.Millisecond)
	}
	dup := gB.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_rot2"), wdBody))
	close(hold)
	<-done
	if m := decode(t, dup); dup.Status != 502 || m["in_progress"] != true {
		t.Errorf("a copy while the first is in progress under the old key: %d %s, want 502 in_progress", dup.Status, dup.Body)
	}
	if n := f.count("create_withdrawal"); n != 2 {
		t.Fatalf("%d withdrawals carried out, want 2 (one per Idempotency-Key)", n)
	}
}

// WALLEX_MERCHANT_ID set (or corrected) after a money call whose answer was lost, to turn IPNs on:
// the same request sent again with the same Idempotency-Key must get the first one's answer. The
// key's record was scoped to the merchant ID as configured, so the copy was a new claim and a
// second withdrawal, as after a key rotation.
func TestIdempotencyKeyHoldsWhenTheMerchantIDIsSet(t *testing.T) {
	sentAgainAfterAChange(t, "WALLEX_MERCHANT_ID was set", map[string]string{EnvAllowMoney: "1", EnvMerchantID: "", EnvIPNSecret: ""},
		map[string]string{EnvAllowMoney: "1"})
}

// sentAgainAfterAChange sends a withdrawal with an Idempotency-Key through a gateway configured
// with before, then (its answer lost) the same request with the same key through one configured
// with after, on the same ledger and API: the copy must get the first one's answer, nothing sent.
// It returns both gateways and the fake API, for more of the same.
func sentAgainAfterAChange(t *testing.T, change string, before, after map[string]string) (gA, gB *Gateway, f *fakePlatform) {
	t.Helper()
	gA, f = newGateway(t, before)
	gB, _ = newGateway(t, after)
	withdrawalAPI(f, nil)
	first := gA.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_again1"), wdBody))
	if first.Status != 200 || f.count("create_withdrawal") != 1 {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	again := gB.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_again1"), wdBody))
	if n := f.count("create_withdrawal"); n != 1 || again.Status != 200 || string(again.Body) != string(first.Body) {
		t.Fatalf("the copy after %s: %d %s; %d withdrawals carried out, want 1 (the copy gets the first one's answer)", change, again.Status, again.Body, n)
	}
	return gA, gB, f
}

// /v1/call is not offered to pages cross-origin: no CORS headers, a preflight is refused, so a
// page cannot send it (or its Idempotency-Key) from another origin; servers, the extension (host
// permission) and same-origin pages do.
func TestCallHasNoCORS(t *testing.T) {
	g, f := newGateway(t, nil)
	pre := g.Handle(context.Background(), f, req("OPTIONS", "/v1/call/create_withdrawal", map[string]string{
		"origin": "https://shop.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, idempotency-key"}, ""))
	res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", map[string]string{"origin": "https://shop.example", "authorization": "Bearer gw-token-aaaa"}, ""))
	for _, r := range []*Response{pre, res} {
		if r.Header["access-control-allow-origin"] != "" || r.Header["access-control-allow-headers"] != "" {
			t.Fatalf("CORS headers on /v1/call: %d %v", r.Status, r.Header)
		}
	}
	if pre.Status != 405 {
		t.Fatalf("preflight: %d %s", pre.Status, pre.Body)
	}
}

// failingClaims is a ledger whose idempotency records cannot be written.
type failingClaims struct{ fakeLedger }

func (failingClaims) ClaimIdempotency(context.Context, string, string, string, time.Duration) (bool, string, error) {
	return false, "", errors.New("storage unavailable")
}

type claimPlatform struct{ *fakePlatform }

func (p claimPlatform) Ledger() Ledger { return failingClaims{fakeLedger{p.fakePlatform}} }

// The key is recorded before anything is sent: when it cannot be, nothing is sent (503 not_sent,
// retryable), and the same request may be sent again.
func TestIdempotencyKeyRecordedBeforeSending(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	withdrawalAPI(f, nil)
	res := g.Handle(context.Background(), claimPlatform{f}, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_8"), wdBody))
	if m := decode(t, res); res.Status != 503 || m["code"] != "not_sent" || m["retryable"] != true {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
	if n := f.count("create_withdrawal"); n != 0 {
		t.Fatalf("%d withdrawals sent without a recorded key", n)
	}
	noSecrets(t, f, res)
	if res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_8"), wdBody)); res.Status != 200 || f.count("create_withdrawal") != 1 {
		t.Fatalf("sent again: %d %s", res.Status, res.Body)
	}
}

// committedClaims is a ledger whose claims are stored but answer an error (the Durable Object
// stored the record, then its reply was lost: the shard reset).
type committedClaims struct{ fakeLedger }

func (l committedClaims) ClaimIdempotency(ctx context.Context, id, claim, rec string, ttl time.Duration) (bool, string, error) {
	l.fakeLedger.ClaimIdempotency(ctx, id, claim, rec, ttl)
	return false, "", errors.New("the Durable Object was reset")
}

type committedPlatform struct{ *fakePlatform }

func (p committedPlatform) Ledger() Ledger { return committedClaims{fakeLedger{p.fakePlatform}} }

// A claim stored whose reply was lost: the answer is "not sent, send it again" (503), and nothing
// was sent, so the key is released: the same request sent again is carried out, not told "in
// progress" and then "outcome unknown" for a request that never left.
func TestAClaimStoredButNotConfirmedIsReleased(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	withdrawalAPI(f, nil)
	res := g.Handle(context.Background(), committedPlatform{f}, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_9"), wdBody))
	if m := decode(t, res); res.Status != 503 || m["code"] != "not_sent" || m["retryable"] != true || f.count("create_withdrawal") != 0 {
		t.Fatalf("%d %s, %d sent", res.Status, res.Body, f.count("create_withdrawal"))
	}
	if res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_9"), wdBody)); res.Status != 200 || f.count("create_withdrawal") != 1 {
		t.Fatalf("the same request sent again: %d %s, %d sent", res.Status, res.Body, f.count("create_withdrawal"))
	}
}

// A money command without Idempotency-Key is refused before anything is sent (a copy of it could
// not be told from a new request); a read and create_transaction do not need one.
func TestMoneyWithoutIdempotencyKeyIsRefused(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	withdrawalAPI(f, nil)
	for _, cmd := range []string{"create_withdrawal", "create_transfer", "convert", "create_mass_withdrawal"} {
		res := g.Handle(context.Background(), f, req("POST", "/v1/call/"+cmd, idemHeaders(""), wdBody))
		m := decode(t, res)
		if res.Status != 428 || m["code"] != "idempotency_key_required" || m["retryable"] != false || !strings.Contains(m["error"].(string), "Nothing was sent") {
			t.Fatalf("%s without a key: %d %s", cmd, res.Status, res.Body)
		}
	}
	if n := len(f.apiCmds); n != 0 {
		t.Fatalf("%d calls reached the API: %v", n, f.apiCmds)
	}
	if res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", idemHeaders(""), "")); res.Status != 200 {
		t.Fatalf("a read without a key: %d %s", res.Status, res.Body)
	}
}

// The caller's gateway token rotated (GATEWAY_TOKENS holds the old and the new one; the caller now
// sends the new) after a money call whose answer was lost, or while it is in progress: the same
// request sent again with the same Idempotency-Key, as the answers say to, must get the first
// one's answer (or "in progress"), never be sent. The key's record was scoped to the gateway token
// too, so the copy under the new token was a new claim and a second withdrawal, as after an API
// key rotation (TestIdempotencyKeyHoldsAcrossAKeyRotation).
func TestIdempotencyKeyHoldsAcrossAGatewayTokenRotation(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	withdrawalAPI(f, nil)
	newTok := func(key string) map[string]string {
		return map[string]string{"authorization": "Bearer gw-token-bbbb", "idempotency-key": key}
	}
	first := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_tok1"), wdBody))
	if first.Status != 200 || f.count("create_withdrawal") != 1 {
		t.Fatalf("first: %d %s", first.Status, first.Body)
	}
	again := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", newTok("op_tok1"), wdBody))
	if n := f.count("create_withdrawal"); n != 1 || again.Status != 200 || string(again.Body) != string(first.Body) {
		t.Errorf("the copy under the new token after the first was answered: %d %s; %d withdrawals carried out, want 1", again.Status, again.Body, n)
	}

	// In progress under the old token when the copy comes with the new one.
	hold := make(chan struct{})
	withdrawalAPI(f, hold)
	before := f.count("create_withdrawal")
	done := make(chan *Response)
	go func() {
		done <- g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_tok2"), wdBody))
	}()
	for deadline := time.Now().Add(5 * time.Second); f.count("create_withdrawal") == before; {
		if time.Now().After(deadline) {
			t.Fatal("the first request never reached the API")
		}
		time.Sleep(time.Millisecond)
	}
	dup := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", newTok("op_tok2"), wdBody))
	close(hold)
	<-done
	if m := decode(t, dup); dup.Status != 502 || m["in_progress"] != true {
		t.Errorf("a copy under the new token while the first is in progress: %d %s, want 502 in_progress", dup.Status, dup.Body)
	}
	if n := f.count("create_withdrawal") - before; n != 1 {
		t.Fatalf("%d withdrawals carried out for op_tok2, want 1", n)
	}
}

func closeKey(t *testing.T, g *Gateway, f *fakePlatform, key string) (*Response, map[string]any) {
	t.Helper()
	h := map[string]string{"authorization": "Bearer gw-token-aaaa", "content-type": "application/json"}
	res := g.Handle(context.Background(), f, req("POST", "/v1/idempotency/close", h, `{"key":"`+key+`"}`))
	return res, decode(t, res)
}

// POST /v1/idempotency/close fences a key no request claimed: a copy of its request delivered
// afterwards (held by the network past the reconcile) is refused 409, nothing sent. A key that was
// answered or is in progress is not closed: its state is reported.
func TestIdempotencyCloseFencesAKeyNoRequestClaimed(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	withdrawalAPI(f, nil)
	for range 2 { // closed now, then already closed
		if res, m := closeKey(t, g, f, "op_c1"); res.Status != 200 || m["state"] != "closed" {
			t.Fatalf("close: %d %s", res.Status, res.Body)
		}
	}
	res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_c1"), wdBody))
	m := decode(t, res)
	if msg, _ := m["error"].(string); res.Status != 409 || m["code"] != "idempotency_key_closed" || m["retryable"] != false || !strings.Contains(msg, "new Idempotency-Key") {
		t.Fatalf("the held copy after the close: %d %s", res.Status, res.Body)
	}
	if n := f.count("create_withdrawal"); n != 0 {
		t.Fatalf("%d withdrawals sent after the close, want 0", n)
	}
	// answered: reported, not closed; its copy still gets its answer
	if res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_c2"), wdBody)); res.Status != 200 {
		t.Fatalf("op_c2: %d %s", res.Status, res.Body)
	}
	if res, m := closeKey(t, g, f, "op_c2"); res.Status != 200 || m["state"] != "done" || m["status"] != float64(200) {
		t.Fatalf("close of an answered key: %d %s", res.Status, res.Body)
	}
	if res := g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_c2"), wdBody)); res.Status != 200 || res.Header["idempotent-replay"] != "true" {
		t.Fatalf("op_c2's copy after a close: %d %s", res.Status, res.Body)
	}
	// in progress: reported with until
	hold := make(chan struct{})
	withdrawalAPI(f, hold)
	done := make(chan *Response)
	go func() {
		done <- g.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_c3"), wdBody))
	}()
	for deadline := time.Now().Add(5 * time.Second); f.count("create_withdrawal") < 2; {
		if time.Now().After(deadline) {
			t.Fatal("op_c3 never reached the API")
		}
		time.Sleep(time.Millisecond)
	}
	if res, m := closeKey(t, g, f, "op_c3"); res.Status != 200 || m["state"] != "sending" || m["until"] == nil {
		t.Fatalf("close of a key in progress: %d %s", res.Status, res.Body)
	}
	close(hold)
	if res := <-done; res.Status != 200 {
		t.Fatalf("op_c3: %d %s", res.Status, res.Body)
	}
	if n := f.count("create_withdrawal"); n != 2 {
		t.Fatalf("%d withdrawals, want 2 (op_c2, op_c3)", n)
	}
	// bad input, no token, wrong method
	h := map[string]string{"authorization": "Bearer gw-token-aaaa", "content-type": "application/json"}
	for _, body := range []string{``, `{}`, `{"key":"a b"}`, `{"key":7}`, `not json`} {
		if res := g.Handle(context.Background(), f, req("POST", "/v1/idempotency/close", h, body)); res.Status != 400 {
			t.Fatalf("body %q: %d %s", body, res.Status, res.Body)
		}
	}
	if res := g.Handle(context.Background(), f, req("POST", "/v1/idempotency/close", map[string]string{}, `{"key":"op_c9"}`)); res.Status != 401 {
		t.Fatalf("no token: %d %s", res.Status, res.Body)
	}
	if res := g.Handle(context.Background(), f, req("GET", "/v1/idempotency/close", h, "")); res.Status != 405 {
		t.Fatalf("GET: %d %s", res.Status, res.Body)
	}
	noSecrets(t, f)
}

// WALLEX_API_URL corrected (another spelling of the same account's API: a host name for an
// address, http to https, a new domain of the API) after a money call whose answer was lost: the
// reconcile's close must not report the key as never used. The records were scoped to the API
// URL, so the close under the new URL found none, stored "closed" and proved not_found: the
// payment, carried out under the old URL, was sent again.
func TestIdempotencyCloseAfterTheAPIURLChanged(t *testing.T) {
	gA, gB, f := sentAgainAfterAChange(t, "WALLEX_API_URL changed", map[string]string{EnvAllowMoney: "1"},
		map[string]string{EnvAllowMoney: "1", EnvAPIURL: "http://localhost:1/api"})
	if res := gA.Handle(context.Background(), f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_url1"), wdBody)); res.Status != 200 {
		t.Fatalf("op_url1: %d %s", res.Status, res.Body)
	}
	if res, m := closeKey(t, gB, f, "op_url1"); res.Status != 200 || m["state"] != "done" {
		t.Fatalf("close after the API URL changed of a key answered before: %d %s, want state done (never closed: it was carried out)", res.Status, res.Body)
	}
}

// oldVersionIdempotencyIDs are the record ids earlier versions of the gateway gave key (each with the
// scope of its day): v1 (the API key and the gateway token), v2 (the API URL and merchant ID, then
// the API URL, and the token), v3 (the API URL). Written out here as those versions hashed them.
func oldVersionIdempotencyIDs(t *testing.T, g *Gateway, token, key string) map[string]string {
	t.Helper()
	base, err := g.baseClient()
	if err != nil {
		t.Fatal(err)
	}
	h := func(parts ...string) string {
		s := sha256.New()
		for _, p := range parts {
			s.Write([]byte(p))
			s.Write([]byte{0})
		}
		return hex.EncodeToString(s.Sum(nil)[:16])
	}
	return map[string]string{
		"v1":          h("wallexkit-idempotency-v1", base.StoreKey(), token, key),
		"v2 merchant": h("wallexkit-idempotency-v2", base.APIURL()+"|merchant:"+g.cfg.MerchantID, token, key),
		"v2":          h("wallexkit-idempotency-v2", base.APIURL(), token, key),
		"v3 api url":  h("wallexkit-idempotency-v3", base.APIURL(), key),
	}
}

// The gateway upgraded between a money call and its copy, or its reconcile's close: the record
// the earlier version stored under its own id must still be found. It was not: the copy (a
// proxy's, a browser's resend, or the caller sending it again with the same key, as the answer
// 'in progress' says to) was a new claim and a second withdrawal, and the close stored "closed"
// and proved "never sent" of a request the earlier version had sent.
func TestIdempotencyKeyOfAnEarlierGatewayVersion(t *testing.T) {
	fields := map[string]string{"amount": "0.1", "currency": "BTC", "address": "bc1qx", "note": "n1"}
	fp := requestFingerprint("create_withdrawal", fields)
	for i, form := range []string{"v1", "v2 merchant", "v2", "v3 api url"} {
		g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
		withdrawalAPI(f, nil)
		led := f.Ledger()
		ctx := context.Background()
		// answered by the earlier version
		done := "op_up_done" + strconv.Itoa(i)
		answer := `{"error":"ok","result":{"id":"WD0","status":1,"amount":"0.1"}}`
		rec := newObj().str("claim", "c0").str("fp", fp).str("state", "done").str("cmd", "create_withdrawal").int("status", 200).str("answer", answer).String()
		if ok, _, _ := led.ClaimIdempotency(ctx, oldVersionIdempotencyIDs(t, g, "gw-token-aaaa", done)[form], "c0", rec, IdempotencyRetention); !ok {
			t.Fatal("seed")
		}
		// sent by the earlier version, its answer never recorded (the deploy stopped its Worker)
		sending := "op_up_sending" + strconv.Itoa(i)
		now := time.Now()
		rec = newObj().str("claim", "c1").str("fp", fp).str("state", "sending").str("cmd", "create_withdrawal").
			str("sent_at", rfc3339(now.Add(-5*time.Second))).str("deadline", rfc3339(now.Add(25*time.Second))).strMap("fields", fields).String()
		if ok, _, _ := led.ClaimIdempotency(ctx, oldVersionIdempotencyIDs(t, g, "gw-token-aaaa", sending)[form], "c1", rec, IdempotencyRetention); !ok {
			t.Fatal("seed")
		}

		res := g.Handle(ctx, f, req("POST", "/v1/call/create_withdrawal", idemHeaders(done), wdBody))
		if n := f.count("create_withdrawal"); n != 0 || res.Status != 200 || string(res.Body) != answer {
			t.Errorf("%s: a copy of a request answered before the upgrade: %d %s; %d withdrawals sent again, want 0 (its answer replayed)", form, res.Status, res.Body, n)
		}
		if res, m := closeKey(t, g, f, sending); res.Status != 200 || m["state"] != "sending" {
			t.Errorf("%s: close of a key the earlier version sent: %d %s, want state sending (never closed: it may be carried out)", form, res.Status, res.Body)
		}
		res = g.Handle(ctx, f, req("POST", "/v1/call/create_withdrawal", idemHeaders(sending), wdBody))
		if n := f.count("create_withdrawal"); n != 0 || res.Status == 200 {
			t.Errorf("%s: a copy of a request in progress before the upgrade: %d %s; %d withdrawals sent again, want 0", form, res.Status, res.Body, n)
		}
	}
}

// A rollout runs the earlier version and this one side by side (a gradual deployment, or the old
// isolates still serving while the new ones start). The earlier version looks only under its own
// id: a request this version claimed (or a key this version closed) must hold that id too, or a
// copy of the request (a proxy's, or one held by the network for a minute) delivered to an old
// isolate is a new claim there and a second withdrawal; after a close it is the very request the
// reconcile proved "never sent", and the caller has sent it again with a new key.
func TestIdempotencyHoldsAgainstAnEarlierVersionRunningBeside(t *testing.T) {
	fields := map[string]string{"amount": "0.1", "currency": "BTC", "address": "bc1qx", "note": "n1"}
	fp := requestFingerprint("create_withdrawal", fields)
	// oldIsolate is the earlier version's claim: it sends the request when it gets the key's id.
	oldIsolate := func(led Ledger, id string) bool {
		rec := newObj().str("claim", "old").str("fp", fp).str("state", "sending").str("cmd", "create_withdrawal").String()
		ok, _, err := led.ClaimIdempotency(context.Background(), id, "old", rec, IdempotencyRetention)
		return err == nil && ok
	}
	for _, form := range []string{"v1", "v2 merchant", "v2", "v3 api url"} {
		g, f := newGateway(t, map[string]string{EnvAllowMoney: "1"})
		withdrawalAPI(f, nil)
		ctx := context.Background()
		// sent and answered by this version; its copy reaches an old isolate
		if res := g.Handle(ctx, f, req("POST", "/v1/call/create_withdrawal", idemHeaders("op_side1"), wdBody)); res.Status != 200 {
			t.Fatalf("%s: %d %s", form, res.Status, res.Body)
		}
		if oldIsolate(f.Ledger(), oldVersionIdempotencyIDs(t, g, "gw-token-aaaa", "op_side1")[form]) {
			t.Errorf("%s: a copy of a request this version sent, delivered to an isolate of the earlier version, is sent again there (paid twice)", form)
		}
		// closed by a reconcile on this version; the request, held by the network, reaches an old isolate
		if res, m := closeKey(t, g, f, "op_side2"); res.Status != 200 || m["state"] != "closed" {
			t.Fatalf("%s: close: %d %s", form, res.Status, res.Body)
		}
		if oldIsolate(f.Ledger(), oldVersionIdempotencyIDs(t, g, "gw-token-aaaa", "op_side2")[form]) {
			t.Errorf("%s: a request whose key this version closed (not_found proven, sent again) is carried out by an isolate of the earlier version (paid twice)", form)
		}
	}
}
