package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn"
)

func decode(t *testing.T, r *Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, r.Body)
	}
	return m
}

func TestAuthorize(t *testing.T) {
	g, f := newGateway(t, nil)
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"", 401},
		{"Bearer", 401},
		{"Bearer ", 401},
		{"Basic gw-token-aaaa", 401},
		{"Bearer gw-token-aaa", 401},
		{"Bearer gw-token-aaaaa", 401},
		{"Bearer gw-token-aaaa", 200},
		{"bearer gw-token-bbbb", 200},
	} {
		res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": tc.auth}, ""))
		if res.Status != tc.want {
			t.Errorf("%q: status %d, want %d: %s", tc.auth, res.Status, tc.want, res.Body)
		}
		noSecrets(t, f, res)
	}
	g2, _ := newGateway(t, map[string]string{EnvGatewayTokens: " , "})
	res := g2.Handle(context.Background(), f, req("GET", "/v1/events", map[string]string{"authorization": "Bearer x"}, ""))
	if res.Status != 503 || !strings.Contains(string(res.Body), EnvGatewayTokens) {
		t.Fatalf("no tokens: %d %s", res.Status, res.Body)
	}
}

func TestCallPassesTheEnvelopeThrough(t *testing.T) {
	g, f := newGateway(t, nil)
	auth := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", auth, ""))
	want := `{"error":"ok","result":{"username":"demo","merchant_id":"M1","email":"d@example.com","public_name":""}}`
	if res.Status != 200 || string(res.Body) != want {
		t.Fatalf("got %d %s", res.Status, res.Body)
	}
	res = g.Handle(context.Background(), f, req("POST", "/v1/call/get_tx_info", map[string]string{"authorization": "Bearer gw-token-aaaa", "content-type": "application/json"}, `{"txid":"CPSBX1","full":true}`))
	if res.Status != 200 {
		t.Fatalf("get_tx_info: %d %s", res.Status, res.Body)
	}
	// The token was fetched once and is now in the isolate cache.
	if n := strings.Count(strings.Join(f.apiCmds, ","), "login"); n != 1 {
		t.Fatalf("logins: %d (%v)", n, f.apiCmds)
	}
	f.api = func(string, url.Values) (int, string) { return 200, `{"error":"Invalid txid","result":[]}` }
	res = g.Handle(context.Background(), f, req("POST", "/v1/call/get_tx_info", auth, "txid=nope"))
	m := decode(t, res)
	if res.Status != 422 || m["code"] != "api_error" || m["retryable"] != false || m["error"] != "Invalid txid" {
		t.Fatalf("api error: %d %s", res.Status, res.Body)
	}
	noSecrets(t, f, res)
}

func TestCallErrors(t *testing.T) {
	g, f := newGateway(t, nil)
	h := func(ct string) map[string]string {
		return map[string]string{"authorization": "Bearer gw-token-aaaa", "content-type": ct}
	}
	for _, tc := range []struct {
		cmd, ct, body string
		status        int
		code, msg     string
	}{
		{"create_withdrawal", "", "", 403, "money_disabled", "ALLOW_MONEY"},
		{"login", "", "", 403, "command_not_allowed", "login"},
		{"get_tx_info", "application/json", `{"txid":`, 400, "invalid_json", "not valid JSON"},
		{"get_tx_info", "application/json", `"x"`, 400, "invalid_json", "JSON object"},
		{"get_tx_info", "application/json", `{"a":[1]}`, 400, "invalid_input", "a: must be a string"},
		{"get_tx_info", "application/json", `{"a":"1","a":"2"}`, 400, "invalid_input", "twice"},
		{"get_tx_info", "application/x-www-form-urlencoded", "a=%z", 400, "invalid_form", "bad escape"},
		{"get_tx_info", "", "a=1&a=2", 400, "invalid_form", "twice"},
		{"get_tx_info", "application/x-www-form-urlencoded", "a=1;b=2", 400, "invalid_form", "';'"},
		{"get_tx_info", "text/plain", "a", 415, "unsupported_media_type", "text/plain"},
		{"get_basic_info", "", "version=2&cmd=get_basic_info", 400, "invalid_input", "version"},
		{"get_basic_info", "", "version=1&cmd=balances", 400, "invalid_input", "balances"},
		{"get_basic_info", "", "format=xml", 400, "invalid_input", "JSON only"},
	} {
		res := g.Handle(context.Background(), f, req("POST", "/v1/call/"+tc.cmd, h(tc.ct), tc.body))
		m := decode(t, res)
		if res.Status != tc.status || m["code"] != tc.code || !strings.Contains(m["error"].(string), tc.msg) {
			t.Errorf("%s %q: got %d %s", tc.cmd, tc.body, res.Status, res.Body)
		}
	}
	// What a Wallex client sends on every call is accepted: the gateway uses its own key and nonces.
	res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", h("application/x-www-form-urlencoded"), "version=1&key=theirs&cmd=get_basic_info&nonce=99&format=json"))
	if res.Status != 200 {
		t.Fatalf("envelope fields: %d %s", res.Status, res.Body)
	}
	g2, _ := newGateway(t, map[string]string{EnvAllowMoney: "1"})
	if ok, _ := g2.allowed("create_withdrawal"); !ok {
		t.Fatal("ALLOW_MONEY=1 should allow money commands")
	}
	if ok, _ := g2.allowed("create_widget"); ok {
		t.Fatal("unknown commands stay refused")
	}
}

// A command the gateway does not serve (a typo, or one it never forwards such as login) is answered
// with the commands it does serve, so the caller can tell a typo from a permission.
func TestAnUnservedCommandNamesTheServedOnes(t *testing.T) {
	g, f := newGateway(t, nil)
	auth := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	for _, cmd := range []string{"balance", "login", "get_tx_info_multiple"} {
		res := g.Handle(context.Background(), f, req("POST", "/v1/call/"+cmd, auth, ""))
		m := decode(t, res)
		msg, _ := m["error"].(string)
		if res.Status != 403 || m["code"] != "command_not_allowed" {
			t.Fatalf("%s: %d %s", cmd, res.Status, res.Body)
		}
		for _, want := range []string{"balances", "get_basic_info", "get_tx_info_multi", "create_transaction", "create_withdrawal", EnvAllowMoney} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: the answer does not name %s: %s", cmd, want, msg)
			}
		}
	}
	if len(f.apiCmds) != 0 {
		t.Fatalf("sent upstream: %v", f.apiCmds)
	}
	for cmd := range readCommands {
		if !strings.Contains(servedCommands, cmd+",") && !strings.Contains(servedCommands, cmd+";") && !strings.Contains(servedCommands, cmd+" ") {
			t.Errorf("servedCommands does not name %s", cmd)
		}
	}
	for _, cmd := range []string{"create_withdrawal", "create_mass_withdrawal", "create_transfer", "convert"} {
		if !core.IsMoneyCommand(cmd) {
			t.Errorf("servedCommands names %s as a money command; core does not", cmd)
		}
	}
}

func TestAuthFailureUpstreamIsA502WithoutTheKey(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvPrivateKey: "wrong-private-key-9"})
	res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": "Bearer gw-token-aaaa"}, ""))
	if res.Status != 502 || decode(t, res)["code"] != "auth" {
		t.Fatalf("got %d %s", res.Status, res.Body)
	}
	if strings.Contains(string(res.Body)+strings.Join(f.logs, ""), "wrong-private-key-9") {
		t.Fatal("private key leaked")
	}
	g3, _ := newGateway(t, map[string]string{EnvPrivateKey: ""})
	res = g3.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": "Bearer gw-token-aaaa"}, ""))
	if res.Status != 503 || !strings.Contains(string(res.Body), EnvPrivateKey) {
		t.Fatalf("missing key: %d %s", res.Status, res.Body)
	}
}

func TestCORS(t *testing.T) {
	g, f := newGateway(t, nil)
	pre := func(origin, method, headers string) *Response {
		return g.Handle(context.Background(), f, req("OPTIONS", "/v1/checkout", map[string]string{
			"origin": origin, "access-control-request-method": method, "access-control-request-headers": headers}, ""))
	}
	res := pre("https://shop.example", "POST", "Content-Type")
	if res.Status != 204 || res.Header["access-control-allow-origin"] != "https://shop.example" || res.Header["vary"] != "Origin" {
		t.Fatalf("allowed preflight: %d %v", res.Status, res.Header)
	}
	res = pre("https://SHOP.example/", "POST", "")
	if res.Status != 204 {
		t.Fatalf("origin compare ignores case and a trailing slash: %d", res.Status)
	}
	for _, bad := range []*Response{pre("https://evil.example", "POST", ""), pre("null", "POST", ""), pre("https://shop.example", "POST", "authorization")} {
		if bad.Status != 403 {
			t.Fatalf("refused preflight: %d %s", bad.Status, bad.Body)
		}
	}
	if res := pre("https://evil.example", "POST", ""); res.Header["access-control-allow-origin"] != "" {
		t.Fatal("no CORS header for a foreign origin")
	}
	res = g.Handle(context.Background(), f, req("POST", "/v1/checkout", map[string]string{"origin": "https://evil.example"}, `{}`))
	if res.Status != 403 || f.hits["unknown"] != 0 {
		t.Fatalf("foreign origin post: %d (limiter hits %v)", res.Status, f.hits)
	}
}

func TestCheckoutFromThePriceList(t *testing.T) {
	g, f := newGateway(t, nil)
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	var sent url.Values
	api := f.api
	f.api = func(cmd string, form url.Values) (int, string) {
		if cmd == "create_transaction" {
			sent = form
		}
		return api(cmd, form)
	}
	h := map[string]string{"origin": "https://shop.example", "cf-connecting-ip": "203.0.113.9", "content-type": "application/json"}
	res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, `{"item":"mug","quantity":3,"currency2":"BTC","buyer_email":"b@example.com"}`))
	if res.Status != 201 {
		t.Fatalf("checkout: %d %s", res.Status, res.Body)
	}
	m := decode(t, res)
	if m["txn_id"] != "CPSBX1" || m["amount"] != "0.00040000" || m["currency"] != "BTC" || m["timeout"] != float64(7200) || m["address"] != "addr1" {
		t.Fatalf("answer: %s", res.Body)
	}
	if sent.Get("amount") != "37.5" || sent.Get("currency1") != "USD" || sent.Get("ipn_url") != "https://edge.example/ipn" ||
		sent.Get("item_number") != "mug" || !strings.HasPrefix(sent.Get("invoice"), "wkx-") || sent.Get("item_name") != "3 × Blue mug" {
		t.Fatalf("create_transaction fields: %v", sent)
	}
	if res.Header["access-control-allow-origin"] != "https://shop.example" {
		t.Fatal("CORS header missing")
	}
	if _, ok := f.txns["CPSBX1"]; !ok || f.hits["203.0.113.9"] != 1 {
		t.Fatalf("ledger %v, limiter %v", f.txns, f.hits)
	}
	st := g.Handle(context.Background(), f, req("GET", "/v1/checkout/CPSBX1", nil, ""))
	if st.Status != 200 || string(st.Body) != `{"txn_id":"CPSBX1","status":100,"status_text":"Complete","paid":true,"received":"0.00040000","amount":"0.00040000","coin":"BTC"}` {
		t.Fatalf("status: %d %s", st.Status, st.Body)
	}
	if st := g.Handle(context.Background(), f, req("GET", "/v1/checkout/OTHER", nil, "")); st.Status != 404 {
		t.Fatalf("unknown payment: %d", st.Status)
	}
	g2, _ := newGateway(t, map[string]string{EnvPublicURL: "https://pay.example.com/"})
	res = g2.Handle(context.Background(), f, req("POST", "/v1/checkout", h, `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com"}`))
	if res.Status != 201 || sent.Get("ipn_url") != "https://pay.example.com/ipn" {
		t.Fatalf("PUBLIC_URL: %d %v", res.Status, sent.Get("ipn_url"))
	}
	noSecrets(t, f, res, st)
}

// A storefront that posts its checkout as a form (an HTML form's default) or as broken JSON is told
// the checkout takes a JSON object, with one to copy.
func TestACheckoutThatIsNotJSONSaysWhatToSend(t *testing.T) {
	g, f := newGateway(t, nil)
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	for _, tc := range []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", "item=mug&currency2=BTC&buyer_email=b@example.com"},
		{"application/json", `{"item":"mug"`},
		{"application/json", `["mug"]`},
	} {
		h := map[string]string{"origin": "https://shop.example", "cf-connecting-ip": "203.0.113.9", "content-type": tc.ct}
		res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, tc.body))
		m := decode(t, res)
		msg, _ := m["error"].(string)
		if res.Status != 400 || m["code"] != "invalid_json" || !strings.Contains(msg, "application/json") || !strings.Contains(msg, `"buyer_email"`) {
			t.Errorf("%s %s: %d %s", tc.ct, tc.body, res.Status, res.Body)
		}
	}
}

// A price list entry the gateway cannot read is answered with what an entry looks like (the
// detail is in the log), so the developer who put it there with wrangler kv key put can fix it.
func TestAMalformedPriceSaysWhatAnEntryLooksLike(t *testing.T) {
	g, f := newGateway(t, nil)
	f.prices["pen"] = `{"price":"2.00","currency":"USD","name":"Pen"}`
	f.prices["cup"] = `{"amount":"-1","currency":"USD","name":"Cup"}`
	h := map[string]string{"origin": "https://shop.example", "cf-connecting-ip": "203.0.113.9", "content-type": "application/json"}
	for _, sku := range []string{"pen", "cup"} {
		res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, `{"item":"`+sku+`","currency2":"BTC","buyer_email":"b@example.com"}`))
		m := decode(t, res)
		msg, _ := m["error"].(string)
		if res.Status != 500 || m["code"] != "bad_price" || !strings.Contains(msg, `"price:`+sku+`"`) || !strings.Contains(msg, `{"amount":"12.50","currency":"USD","name":`) || !strings.Contains(msg, "log") {
			t.Errorf("%s: %d %s", sku, res.Status, res.Body)
		}
	}
}

// A developer used to Stripe sends a checkout with an Idempotency-Key and retries it with the same
// key. Checkout's key is order_id: the header, silently ignored, let each retry create another
// payment. It is refused (nothing created) unless the body has an order_id, and a browser's
// preflight asking for it is told the same.
func TestACheckoutIdempotencyKeyWithoutOrderIDIsRefused(t *testing.T) {
	g, f := newGateway(t, nil)
	f.prices["mug"] = `{"amount":"12.50","currency":"USD","name":"Blue mug"}`
	h := map[string]string{"cf-connecting-ip": "203.0.113.9", "content-type": "application/json", "idempotency-key": "order-77"}
	for i := 0; i < 2; i++ {
		res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com"}`))
		m := decode(t, res)
		msg, _ := m["error"].(string)
		if res.Status != 400 || m["code"] != "idempotency_key_not_read" || m["retryable"] != false || !strings.Contains(msg, "order_id") || !strings.Contains(msg, "nothing was created") {
			t.Fatalf("attempt %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	if strings.Contains(strings.Join(f.apiCmds, ","), "create_transaction") {
		t.Fatalf("a payment was created: %v", f.apiCmds)
	}
	res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, `{"item":"mug","currency2":"BTC","buyer_email":"b@example.com","order_id":"order-77"}`))
	if res.Status != 201 {
		t.Fatalf("with order_id: %d %s", res.Status, res.Body)
	}
	pre := req("OPTIONS", "/v1/checkout", map[string]string{"origin": "https://shop.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type, idempotency-key"}, "")
	res = g.Handle(context.Background(), f, pre)
	if msg, _ := decode(t, res)["error"].(string); res.Status != 403 || !strings.Contains(msg, "order_id") {
		t.Fatalf("preflight: %d %s", res.Status, res.Body)
	}
}

func TestSignedCheckout(t *testing.T) {
	g, f := newGateway(t, nil)
	canon := CanonicalCheckout("7.25", "USD", "BTC", "b@example.com", "Gift card", 1_800_000_600)
	if canon != "wallexkit-checkout-v1\namount=7.25\ncurrency1=USD\ncurrency2=BTC\nbuyer_email=b@example.com\nitem_name=Gift card\nexpires=1800000600" {
		t.Fatalf("canonical string changed: %q", canon)
	}
	sig := SignCheckout("checkout-secret-1234", canon)
	if len(sig) != 64 || strings.ToLower(sig) != sig {
		t.Fatalf("signature shape: %q", sig)
	}
	body := func(amount, sig string, expires int64) string {
		return `{"amount":"` + amount + `","currency1":"USD","currency2":"BTC","buyer_email":"b@example.com","item_name":"Gift card","expires":` +
			strconv.FormatInt(expires, 10) + `,"sig":"` + sig + `"}`
	}
	do := func(b string) *Response {
		return g.Handle(context.Background(), f, req("POST", "/v1/checkout", map[string]string{"cf-connecting-ip": "203.0.113.7"}, b))
	}
	if res := do(body("7.25", sig, 1_800_000_600)); res.Status != 201 {
		t.Fatalf("valid: %d %s", res.Status, res.Body)
	}
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{body("0.25", sig, 1_800_000_600), 403, "bad_signature"},
		{body("7.25", strings.Repeat("0", 64), 1_800_000_600), 403, "bad_signature"},
		{body("7.25", "zz", 1_800_000_600), 400, "invalid_input"},
		{body("7.25", SignCheckout("checkout-secret-1234", CanonicalCheckout("7.25", "USD", "BTC", "b@example.com", "Gift card", 1_799_999_000)), 1_799_999_000), 400, "expired"},
		{`{"amount":"7.25","sig":"` + sig + `"}`, 400, "invalid_input"},
	} {
		res := do(tc.body)
		if res.Status != tc.status || decode(t, res)["code"] != tc.code {
			t.Errorf("%s: %d %s", tc.body, res.Status, res.Body)
		}
	}
	g2, _ := newGateway(t, map[string]string{EnvCheckoutSecret: ""})
	res := g2.Handle(context.Background(), f, req("POST", "/v1/checkout", nil, body("7.25", sig, 1_800_000_600)))
	if res.Status != 400 || decode(t, res)["code"] != "signed_prices_disabled" {
		t.Fatalf("disabled: %d %s", res.Status, res.Body)
	}
	noSecrets(t, f, res)
}

// A price the merchant's backend signed is for the order it signed it for. The storefront's
// checkout comes from the buyer's browser, so the buyer chooses the order_id sent with it: a
// price signed for a cheap order (or item) sent with the order_id of a dear one made a payment
// of the cheap price named for the dear order, and its IPN's event and forward said that order
// paid (first_paid, checkout, order_id), which the README says to fulfil by, never by the
// amounts. With order_id, the signature must cover it (a last line order_id=...).
func TestASignedPriceIsForTheOrderItNames(t *testing.T) {
	g, f := newGateway(t, nil)
	fp := newFakePayments(f, nil)
	const expires = 1_800_000_600
	body := func(sig, orderID string) string {
		return `{"amount":"1.00","currency1":"USD","currency2":"BTC","buyer_email":"b@example.com","item_name":"Sticker","expires":` +
			strconv.FormatInt(expires, 10) + `,"sig":"` + sig + `","order_id":"` + orderID + `"}`
	}
	do := func(b string) *Response {
		return g.Handle(context.Background(), f, req("POST", "/v1/checkout", map[string]string{"cf-connecting-ip": "203.0.113.9"}, b))
	}
	// Signed for the sticker order (or with no order at all), sent with the dear order's id.
	cheap := SignCheckout("checkout-secret-1234", CanonicalCheckout("1.00", "USD", "BTC", "b@example.com", "Sticker", expires))
	if res := do(body(cheap, "big-7")); res.Status != 403 || decode(t, res)["code"] != "bad_signature" || fp.creates != 0 {
		t.Fatalf("a signed price whose signature does not name order big-7, sent for it: %d %s (%d payments created), want 403 bad_signature and none", res.Status, res.Body, fp.creates)
	}
	forSticker := SignCheckout("checkout-secret-1234", CanonicalCheckoutOrder("1.00", "USD", "BTC", "b@example.com", "Sticker", expires, "sticker-3"))
	if res := do(body(forSticker, "big-7")); res.Status != 403 || fp.creates != 0 {
		t.Fatalf("a price signed for order sticker-3 sent for order big-7: %d %s, want 403 and no payment", res.Status, res.Body)
	}
	if res := do(body(forSticker, "sticker-3")); res.Status != 201 || decode(t, res)["order_id"] != "sticker-3" || fp.creates != 1 {
		t.Fatalf("the price signed for order sticker-3: %d %s", res.Status, res.Body)
	}
	if got := CanonicalCheckoutOrder("1.00", "USD", "BTC", "b@example.com", "Sticker", expires, "sticker-3"); got != CanonicalCheckout("1.00", "USD", "BTC", "b@example.com", "Sticker", expires)+"\norder_id=sticker-3" {
		t.Fatalf("canonical string with order_id: %q", got)
	}
	noSecrets(t, f)
}

func TestRateLimit(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvRateLimit: "2"})
	h := map[string]string{"cf-connecting-ip": "192.0.2.1"}
	var got []int
	for i := 0; i < 4; i++ {
		got = append(got, g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, `{}`)).Status)
	}
	if fmt.Sprint(got) != "[400 400 429 429]" {
		t.Fatalf("statuses %v", got)
	}
	res := g.Handle(context.Background(), f, req("POST", "/v1/checkout", h, `{}`))
	if res.Header["retry-after"] != "30" {
		t.Fatalf("retry-after %q", res.Header["retry-after"])
	}
	// A developer trying checkouts by hand meets the limit within a minute (invalid ones count too):
	// the answer says when to try again and which variable sets the limit.
	if msg, _ := decode(t, res)["error"].(string); !strings.Contains(msg, EnvRateLimit) || !strings.Contains(msg, "30 s") {
		t.Fatalf("rate limit answer: %s", res.Body)
	}
	if clientIP(req("GET", "/", map[string]string{"x-forwarded-for": "192.0.2.5, 10.0.0.1"}, "")) != "192.0.2.5" ||
		clientIP(req("GET", "/", nil, "")) != "unknown" {
		t.Fatal("clientIP fallbacks")
	}
}

func TestIPN(t *testing.T) {
	g, f := newGateway(t, nil)
	send := func(fields map[string]string, secret string) *Response {
		body, sig := ipn.SignedTestIPN(secret, "M1", "api", fields)
		return g.Handle(context.Background(), f, req("POST", "/ipn", map[string]string{"hmac": sig}, string(body)))
	}
	base := map[string]string{"ipn_id": "id-1", "txn_id": "T1", "status": "100", "status_text": "Complete", "currency1": "USD", "currency2": "BTC",
		"amount1": "1", "amount2": "0.1", "received_amount": "0.1", "received_confirms": "2"}
	res := send(base, "ipn-secret-1234")
	if res.Status != 200 || decode(t, res)["result"] != "apply" || len(f.events) != 1 || len(f.fwds) != 1 {
		t.Fatalf("valid: %d %s events=%d", res.Status, res.Body, len(f.events))
	}
	var fwd map[string]any
	if err := json.Unmarshal([]byte(f.fwds[0]), &fwd); err != nil || fwd["ipn_id"] != "id-1" || fwd["type"] != "api" || fwd["status"] != float64(100) || fwd["txn_id"] != "T1" {
		t.Fatalf("forward body %s", f.fwds[0])
	}
	if res := send(base, "ipn-secret-1234"); decode(t, res)["result"] != "duplicate" || len(f.events) != 1 {
		t.Fatalf("duplicate: %s", res.Body)
	}
	stale := map[string]string{"ipn_id": "id-2", "txn_id": "T1", "status": "0", "status_text": "Waiting"}
	if res := send(stale, "ipn-secret-1234"); res.Status != 200 || decode(t, res)["result"] != "stale" || len(f.events) != 1 {
		t.Fatalf("stale: %s", res.Body)
	}
	if res := send(map[string]string{"ipn_id": "id-3"}, "other-secret"); res.Status != 401 {
		t.Fatalf("bad signature: %d", res.Status)
	}
	body, sig := ipn.SignedTestIPN("ipn-secret-1234", "M2", "api", map[string]string{"ipn_id": "id-4", "txn_id": "T2"})
	if res := g.Handle(context.Background(), f, req("POST", "/ipn", map[string]string{"hmac": sig}, string(body))); res.Status != 403 {
		t.Fatalf("merchant mismatch: %d", res.Status)
	}
	if res := g.Handle(context.Background(), f, req("POST", "/ipn", map[string]string{"hmac": ipn.Sign("ipn-secret-1234", []byte("a=%zz"))}, "a=%zz")); res.Status != 400 {
		t.Fatalf("malformed: %d %s", res.Status, res.Body)
	}
	gNo, _ := newGateway(t, map[string]string{EnvForwardSecret: ""})
	if len(gNo.cfg.Problems()) != 1 || gNo.cfg.forwarding() {
		t.Fatalf("forwarding without a secret must be off and reported: %v", gNo.cfg.Problems())
	}
	noSecrets(t, f, res)
}

func TestJSONStrings(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          `"plain"`,
		`q"b\`:           `"q\"b\\"`,
		"<a&b>":          `"\u003ca\u0026b\u003e"`,
		"line\nbreak\t":  `"line\nbreak\t"`,
		"\x01\x7f":       `"\u0001\u007f"`,
		"caf\xc3\xa9":    `"café"`,
		"bad\xff":        `"bad\ufffd"`,
		"sep\u2028":      `"sep\u2028"`,
		"× multiplied ü": `"× multiplied ü"`,
	} {
		if got := string(appendJSONString(nil, in)); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
		var back string
		if err := json.Unmarshal(appendJSONString(nil, in), &back); err != nil {
			t.Errorf("%q: not valid JSON: %v", in, err)
		}
	}
	o := newObj().str("a", "x").int("b", -3).bool("c", true).raw("d", `[1]`).strMap("e", map[string]string{"z": "1", "a": "2"})
	if o.String() != `{"a":"x","b":-3,"c":true,"d":[1],"e":{"a":"2","z":"1"}}` {
		t.Fatal(o.String())
	}
}

func TestConfigNeverShowsSecrets(t *testing.T) {
	c := LoadConfig(testEnv(map[string]string{EnvRateLimit: "x", EnvPublicURL: "ftp://nope"}))
	s := c.String() + strings.Join(c.Problems(), " ")
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Fatalf("config text shows %q: %s", sec, s)
		}
	}
	if len(c.Problems()) != 2 || c.RateLimit != DefaultRateLimit || c.PublicURL != "" {
		t.Fatalf("problems %v", c.Problems())
	}
}

func TestParseQuery(t *testing.T) {
	m, err := parseQuery("a=1&b=x+y&c=%41&&d=")
	if err != nil || m["a"] != "1" || m["b"] != "x y" || m["c"] != "A" || m["d"] != "" || len(m) != 4 {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"a=%", "%zz=1", "a=1&a=2", "a;b", "=1"} {
		if _, err := parseQuery(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestRoutes(t *testing.T) {
	g, f := newGateway(t, nil)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/", 200},
		{"GET", "/v1/health", 200},
		{"POST", "/v1/health", 405},
		{"GET", "/nope", 404},
		{"GET", "/ipn", 405},
		{"POST", "/v1/events", 405},
		{"GET", "/v1/call/get_basic_info", 405},
		{"PUT", "/v1/checkout", 405},
		{"GET", "/v1/checkout/", 404},
		{"GET", "/v1/checkout/a/b", 404},
	} {
		if res := g.Handle(context.Background(), f, req(tc.method, tc.path, nil, "")); res.Status != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, res.Status, tc.status, res.Body)
		}
	}
	big := req("POST", "/ipn", nil, strings.Repeat("a", MaxBody+1))
	if res := g.Handle(context.Background(), f, big); res.Status != 413 {
		t.Fatalf("big body: %d", res.Status)
	}
}

// A Wallex client pointed at the gateway the wrong way (the command only in the body, at /v1/call
// itself, or the gateway's origin as its API URL) is told where the command goes, not only that
// the route does not exist.
func TestAWrongAPIURLSaysWhereTheCommandGoes(t *testing.T) {
	g, f := newGateway(t, nil)
	auth := map[string]string{"authorization": "Bearer gw-token-aaaa"}
	for _, tc := range []struct{ path, body string }{
		{"/v1/call", "cmd=balances"},
		{"/v1/call/", "cmd=balances"},
		{"/get_basic_info", "cmd=get_basic_info"},
		{"/api/balances", "cmd=balances"},
	} {
		res := g.Handle(context.Background(), f, req("POST", tc.path, auth, tc.body))
		m := decode(t, res)
		msg, _ := m["error"].(string)
		if res.Status != 404 || m["code"] != "not_found" || m["retryable"] != false || !strings.Contains(msg, "/v1/call/{cmd}") || !strings.Contains(msg, "API URL") {
			t.Errorf("POST %s: %d %s", tc.path, res.Status, res.Body)
		}
		noSecrets(t, f, res)
	}
	if len(f.apiCmds) != 0 {
		t.Fatalf("sent upstream: %v", f.apiCmds)
	}
}

// GET /v1/health, the first thing one checks after a deploy, says which secrets are missing (their
// names, never a value), instead of "ok" while every route that needs them answers 503.
func TestHealthNamesMissingSecrets(t *testing.T) {
	g, f := newGateway(t, nil)
	res := g.Handle(context.Background(), f, req("GET", "/v1/health", nil, ""))
	if res.Status != 200 || string(res.Body) != `{"ok":true,"service":"wallexkit-edge"}` {
		t.Fatalf("configured: %d %s", res.Status, res.Body)
	}
	g2, _ := newGateway(t, map[string]string{EnvPrivateKey: "", EnvIPNSecret: " ", EnvGatewayTokens: "", EnvForwardSecret: "", EnvForwardURL: "https://shop.example/hook"})
	res = g2.Handle(context.Background(), f, req("GET", "/v1/health", nil, ""))
	m := decode(t, res)
	got, _ := json.Marshal(m["missing"])
	if res.Status != 200 || m["ok"] != true || string(got) != `["WALLEX_PRIVATE_KEY","WALLEX_IPN_SECRET","GATEWAY_TOKENS","FORWARD_SECRET"]` {
		t.Fatalf("missing secrets: %d %s", res.Status, res.Body)
	}
	noSecrets(t, f, res)
	// A var the gateway could not read (logged once at load) is there too, by name.
	g3, _ := newGateway(t, map[string]string{EnvRateLimit: "ten", EnvPublicURL: "pay.example.com"})
	res = g3.Handle(context.Background(), f, req("GET", "/v1/health", nil, ""))
	m = decode(t, res)
	got, _ = json.Marshal(m["problems"])
	if res.Status != 200 || m["missing"] != nil || !strings.Contains(string(got), EnvRateLimit+" must be") || !strings.Contains(string(got), EnvPublicURL+" must be") {
		t.Fatalf("problems: %d %s", res.Status, res.Body)
	}
}

func TestFresh(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	hour := core.Token{AccessToken: "Bearer x", ObtainedAt: now.Add(-time.Minute), ExpiresAt: now.Add(59 * time.Minute)}
	short := core.Token{AccessToken: "Bearer x", ObtainedAt: now.Add(-2 * time.Second), ExpiresAt: now.Add(time.Second)}
	for _, tc := range []struct {
		tok  core.Token
		at   time.Time
		want bool
	}{
		{hour, now, true},
		{hour, now.Add(57 * time.Minute), true},
		{hour, now.Add(58*time.Minute + 1), false}, // within 60 s of expiry
		{short, now, true},                         // 3 s life: margin 0.3 s
		{short, now.Add(800 * time.Millisecond), false},
		{core.Token{}, now, false},
	} {
		if got := fresh(tc.tok, tc.at); got != tc.want {
			t.Errorf("fresh(%v at %v) = %v", tc.tok, tc.at.Sub(now), got)
		}
	}
}

// An API URL core refuses (plain http to a host that is not loopback) is reported on every call
// that needs the API client, not only the first (the base client is checked once, its error
// kept), with nothing sent and no secret in the answer or the log.
func TestBaseClientErrorOnEveryCall(t *testing.T) {
	g, f := newGateway(t, map[string]string{EnvAPIURL: "http://wallex.example/api", EnvNonce: "0"})
	for i := 0; i < 2; i++ {
		res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": "Bearer gw-token-aaaa"}, ""))
		if res.Status != 503 || !strings.Contains(string(res.Body), "not_configured") || !strings.Contains(string(res.Body), "API URL") {
			t.Fatalf("call %d: %d %s", i+1, res.Status, res.Body)
		}
		noSecrets(t, f, res)
	}
	if len(f.apiCmds) != 0 {
		t.Fatalf("requests reached the API: %v", f.apiCmds)
	}
	if len(f.logs) != 2 || !strings.Contains(f.logs[0], "cannot build the API client") {
		t.Fatalf("log: %q", f.logs)
	}
}

// A gateway started with the API key pair not filled in (.dev.vars copied from the example and
// not edited) names every missing variable at once, and where secrets are set, so the developer
// does not fix one and meet the next; nothing is sent.
// A WALLEX_API_URL the client cannot use is answered naming the variable, with a fix the gateway
// offers: there is no --insecure-http on a Worker (that is the CLI's flag).
func TestABadAPIURLNamesTheVariable(t *testing.T) {
	for _, u := range []string{"http://192.168.1.5:8787/api", "wallexpay.io/api"} {
		g, f := newGateway(t, map[string]string{EnvAPIURL: u})
		res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": "Bearer gw-token-aaaa"}, ""))
		m := decode(t, res)
		msg, _ := m["error"].(string)
		if res.Status != 503 || m["code"] != "not_configured" || !strings.Contains(msg, EnvAPIURL) || strings.Contains(msg, "--insecure-http") || strings.Contains(msg, "core.With") {
			t.Errorf("%s: %d %s", u, res.Status, res.Body)
		}
		noSecrets(t, f, res)
	}
}

func TestMissingAPIKeysNamedTogether(t *testing.T) {
	for _, tc := range []struct {
		over map[string]string
		want []string
	}{
		{map[string]string{EnvPublicKey: "", EnvPrivateKey: ""}, []string{EnvPublicKey + " and " + EnvPrivateKey}},
		{map[string]string{EnvPrivateKey: ""}, []string{"set " + EnvPrivateKey}},
	} {
		g, f := newGateway(t, tc.over)
		res := g.Handle(context.Background(), f, req("POST", "/v1/call/get_basic_info", map[string]string{"authorization": "Bearer gw-token-aaaa"}, ""))
		body := string(res.Body)
		if res.Status != 503 || !strings.Contains(body, "not_configured") || !strings.Contains(body, ".dev.vars") || !strings.Contains(body, "wrangler secret put") {
			t.Fatalf("%v: %d %s", tc.over, res.Status, body)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%v: %s does not name %q", tc.over, body, w)
			}
		}
		noSecrets(t, f, res)
		if len(f.apiCmds) != 0 {
			t.Fatalf("requests reached the API: %v", f.apiCmds)
		}
	}
}
