package gateway

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/hexstr"
	"github.com/wallexkit/wallexkit/internal/idrand"
	"github.com/wallexkit/wallexkit/internal/ipaddr"
	"github.com/wallexkit/wallexkit/internal/sha2"
)

// MaxQuantity is the largest quantity one checkout may ask for.
const MaxQuantity = 1000

// CanonicalCheckout is the string a merchant's backend signs (HMAC-SHA256 with
// CHECKOUT_SIGNING_SECRET, hex) to hand a browser a price it may not change: the fields in this
// fixed order, one per line, after a version line, with no trailing newline:
//
//	wallexkit-checkout-v1
//	amount=12.50
//	currency1=USD
//	currency2=BTC
//	buyer_email=buyer@example.com
//	item_name=Blue mug
//	expires=1767225600
//
// Values are taken exactly as sent (no trimming or case change); none may contain a line break.
func CanonicalCheckout(amount, currency1, currency2, buyerEmail, itemName string, expires int64) string {
	return "wallexkit-checkout-v1\namount=" + amount + "\ncurrency1=" + currency1 + "\ncurrency2=" + currency2 +
		"\nbuyer_email=" + buyerEmail + "\nitem_name=" + itemName + "\nexpires=" + strconv.FormatInt(expires, 10)
}

// CanonicalCheckoutOrder is CanonicalCheckout for a checkout sent with order_id: the same lines
// and a last one, order_id=<orderID> (none when orderID is ""). The buyer's browser sends the
// checkout and chooses its order_id: a signature that names the order keeps a price signed for
// one order from being sent, and reported paid, for another.
func CanonicalCheckoutOrder(amount, currency1, currency2, buyerEmail, itemName string, expires int64, orderID string) string {
	c := CanonicalCheckout(amount, currency1, currency2, buyerEmail, itemName, expires)
	if orderID != "" {
		c += "\norder_id=" + orderID
	}
	return c
}

// SignCheckout returns the hex HMAC-SHA256 of the canonical string under secret.
func SignCheckout(secret, canonical string) string {
	m := sha2.NewHMAC256([]byte(secret))
	m.Write([]byte(canonical))
	return hexstr.Encode(m.Sum(nil))
}

type checkoutOrder struct {
	amount     core.Amount
	currency1  string
	currency2  string
	buyerEmail string
	itemName   string
	itemNumber string
	custom     string
}

// badInput is a 400 answer naming the field at fault.
func badInput(field, problem string) *Response {
	return errorResponse(400, "invalid_input", "invalid "+field+": "+problem, false)
}

func (g *Gateway) checkout(ctx context.Context, p Platform, r *Request) *Response {
	ok, wait, err := p.Limiter(limitKey(clientIP(r))).Hit(ctx, g.cfg.RateLimit, time.Minute)
	if err != nil {
		p.Log("edge: rate limiter unavailable: " + err.Error())
		return errorResponse(503, "unavailable", "the rate limiter is unavailable, try again", true)
	}
	if !ok {
		after := strconv.Itoa(max(1, int((wait+time.Second-1)/time.Second)))
		res := errorResponse(429, "rate_limited", "too many checkouts from this client: at most "+strconv.Itoa(g.cfg.RateLimit)+
			" a minute, invalid ones included ("+EnvRateLimit+"); nothing was created, try again in "+after+" s (Retry-After)", true)
		res.Header["retry-after"] = after
		return res
	}
	if len(r.Body) == 0 {
		return errorResponse(400, "invalid_input", "the body is empty: send "+checkoutExample, false)
	}
	if !gjson.ValidBytes(r.Body) {
		return errorResponse(400, "invalid_json", "the body is not valid JSON: send "+checkoutExample, false)
	}
	body := gjson.ParseBytes(r.Body)
	if !body.IsObject() {
		return errorResponse(400, "invalid_json", "the body must be a JSON object: send "+checkoutExample, false)
	}
	orderID := ""
	if v := body.Get("order_id"); v.Exists() {
		if v.Type != gjson.String || !validOrderID(v.Str) {
			return badInput("order_id", "must be 1 to 64 letters, digits, '_' or '-'")
		}
		orderID = v.Str
	}
	if orderID == "" && r.Header["idempotency-key"] != "" {
		// Checkout's retry key is order_id: the header, ignored, would let a retry make a second payment.
		return errorResponse(400, "idempotency_key_not_read", "POST /v1/checkout does not read Idempotency-Key: its retry key is order_id in the body (1 to 64 letters, digits, '_' or '-'), "+
			"and the same order_id sent again gets the same payment, never a second one. Send order_id (your Idempotency-Key, if it fits), or no Idempotency-Key; nothing was created", false)
	}
	var order *checkoutOrder
	var res *Response
	switch {
	case body.Get("sig").Exists():
		order, res = g.signedOrder(body, orderID)
	case body.Get("item").Exists():
		order, res = g.catalogOrder(ctx, p, body)
	default:
		return errorResponse(400, "invalid_input", "give either item (a product of the price list, with currency2 and buyer_email) or a signed price (amount, currency1, currency2, buyer_email, item_name, expires, sig)", false)
	}
	if res != nil {
		return res
	}
	c, res := g.client(ctx, p, r)
	if res != nil {
		return res
	}
	switch g.coinAccepted(r.Upstream, p, c, order.currency2) {
	case coinRefused:
		return errorResponse(422, "coin_not_accepted", "currency2 "+strconv.Quote(order.currency2)+" is not accepted by this merchant; accepted: "+g.coins.list(), false)
	}
	if orderID != "" {
		return g.orderCheckout(ctx, p, r, c, order, orderID)
	}
	invoice := "wkx-" + randomHex(12)
	up, cancel := p.WithTimeout(r.Upstream, g.cfg.UpstreamTimeout)
	defer cancel()
	// Marked before it is created: the payment's first IPN can arrive before the gateway has
	// recorded the payment as its own (PutTxn below), and is then answered "send it again" until
	// the mark's deadline (pendingCheckout), not forwarded as another's payment.
	deadline, _ := up.Deadline()
	if _, _, err := p.Ledger().PutOrder(ctx, pendingOrderID(invoice), 0, orderRec{state: "sending", sentAt: time.Now(), deadline: deadline}.json()); err != nil {
		p.Log("edge: checkout " + invoice + ": ledger unavailable: " + err.Error())
		return errorResponse(503, "unavailable", "the gateway's ledger is unavailable; nothing was created, try again", true)
	}
	tx, ou, res := g.createPayment(p, r, up, c, order, invoice)
	switch {
	case ou != nil:
		return outcomeUnknownSaying(ou, c.tr.sentNonce(), keyHash(c.StoreKey()), checkoutUnknownNoOrder, func(o *jsonObj) { o.str("invoice", invoice) })
	case res != nil:
		return res
	}
	return g.paymentCreated(ctx, p, order, invoice, "", tx)
}

// createPayment calls create_transaction for order with up (bounded by the upstream timeout).
// When it fails, either the outcome is unknown (ou: the payment may exist) or res is the answer
// (the API refused it, or it was not sent).
func (g *Gateway) createPayment(p Platform, r *Request, up context.Context, c *apiClient, order *checkoutOrder, invoice string) (*core.Transaction, *core.OutcomeUnknownError, *Response) {
	ipnURL := g.publicBase(r) + "/ipn"
	params := &core.CreateTransactionParams{
		Amount:     order.amount.Text(),
		Currency1:  order.currency1,
		Currency2:  order.currency2,
		BuyerEmail: order.buyerEmail,
		ItemName:   &order.itemName,
		Invoice:    &invoice,
		Custom:     &order.custom,
		IPNURL:     &ipnURL,
	}
	if order.itemNumber != "" {
		params.ItemNumber = &order.itemNumber
	}
	tx, err := c.CreateTransaction(up, params)
	if err != nil {
		p.Log("edge: checkout " + invoice + ": " + err.Error())
		var ou *core.OutcomeUnknownError
		if errors.As(err, &ou) {
			return nil, ou, nil
		}
		return nil, nil, g.apiFailure(r, c, "create_transaction", err)
	}
	return tx, nil, nil
}

// paymentCreated records a new payment in the ledger and answers 201.
func (g *Gateway) paymentCreated(ctx context.Context, p Platform, order *checkoutOrder, invoice, orderID string, tx *core.Transaction) *Response {
	rec := newObj().int("created", g.now().Unix()).str("invoice", invoice).str("amount1", order.amount.Text()).
		str("currency1", order.currency1).str("currency2", order.currency2).str("item", order.itemNumber)
	if orderID != "" {
		rec.str("order_id", orderID)
	}
	if err := p.Ledger().PutTxn(ctx, tx.TxnID, rec.String()); err != nil {
		if err = p.Ledger().PutTxn(ctx, tx.TxnID, rec.String()); err != nil {
			p.Log("edge: payment " + tx.TxnID + " (invoice " + invoice + ") was created but not recorded: " + err.Error())
			return errorResponse(502, "record_failed", "the payment was created but the gateway could not record it; invoice "+invoice, false)
		}
	}
	return jsonResponse(201, paymentJSON(tx, invoice, orderID))
}

func paymentJSON(tx *core.Transaction, invoice, orderID string) []byte {
	out := newObj().
		str("txn_id", tx.TxnID).
		str("amount", tx.Amount.String()).
		str("currency", tx.Currency).
		str("address", tx.Address).
		str("checkout_url", tx.CheckoutURL).
		str("status_url", tx.StatusURL).
		str("qrcode_url", tx.QRCodeURL).
		int("timeout", int64(tx.Timeout/time.Second)).
		int("confirms_needed", tx.ConfirmsNeeded).
		str("invoice", invoice)
	if orderID != "" {
		out.str("order_id", orderID)
	}
	return out.bytes()
}

// catalogOrder prices {item, quantity?, currency2, buyer_email} from the price list.
func (g *Gateway) catalogOrder(ctx context.Context, p Platform, body gjson.Result) (*checkoutOrder, *Response) {
	sku, res := stringField(body, "item", 64)
	if res != nil {
		return nil, res
	}
	if !validSKU(sku) {
		return nil, badInput("item", "must be a product code of letters, digits, '.', '_' or '-'")
	}
	qty := int64(1)
	if q := body.Get("quantity"); q.Exists() {
		if q.Type != gjson.Number || strings.ContainsAny(q.Raw, ".eE-+") {
			return nil, badInput("quantity", "must be a whole number from 1 to "+strconv.Itoa(MaxQuantity))
		}
		n, err := strconv.ParseInt(q.Raw, 10, 64)
		if err != nil || n < 1 || n > MaxQuantity {
			return nil, badInput("quantity", "must be a whole number from 1 to "+strconv.Itoa(MaxQuantity))
		}
		qty = n
	}
	cur2, email, res := buyerFields(body)
	if res != nil {
		return nil, res
	}
	raw, ok, err := p.Prices().Price(ctx, sku)
	if err != nil {
		p.Log("edge: price list unavailable: " + err.Error())
		return nil, errorResponse(503, "unavailable", "the price list is unavailable, try again", true)
	}
	if !ok {
		return nil, errorResponse(404, "unknown_item", "no product "+strconv.Quote(sku)+" in the price list", false)
	}
	price, perr := parsePrice(raw)
	if perr != "" {
		p.Log("edge: price list entry price:" + sku + " is malformed: " + perr)
		return nil, badPrice(sku)
	}
	unit, err := core.ParseAmount(price.Amount)
	if err != nil || unit.Sign() <= 0 {
		p.Log("edge: price list entry price:" + sku + " has a bad amount")
		return nil, badPrice(sku)
	}
	units := unit.Units()
	if units > (1<<62)/qty {
		return nil, badInput("quantity", "the total is too large")
	}
	name := price.Name
	if name == "" {
		name = sku
	}
	if qty > 1 {
		name = strconv.FormatInt(qty, 10) + " × " + name
	}
	return &checkoutOrder{
		amount:     core.AmountFromUnits(units * qty),
		currency1:  price.Currency,
		currency2:  cur2,
		buyerEmail: email,
		itemName:   clip(name, 250),
		itemNumber: sku,
		custom:     "sku:" + sku + ";qty:" + strconv.FormatInt(qty, 10),
	}, nil
}

// badPrice answers a price list entry the gateway cannot read: the shop's mistake, not the buyer's,
// so it says what an entry looks like (the log line before it says what is wrong with this one).
func badPrice(sku string) *Response {
	return errorResponse(500, "bad_price", "the price list entry "+strconv.Quote("price:"+sku)+" is malformed (the gateway's log says why): "+
		"an entry is a JSON object such as {\"amount\":\"12.50\",\"currency\":\"USD\",\"name\":\"Blue mug\"}: amount above 0, currency a ticker", false)
}

// checkoutExample ends the answers to a body that is not a JSON object (a form post, say).
const checkoutExample = "a JSON object (Content-Type: application/json), such as {\"item\":\"sku\",\"currency2\":\"BTC\",\"buyer_email\":\"you@example.com\"}"

// parsePrice reads {"amount":"12.50","currency":"USD","name":"..."}; it returns a problem text.
func parsePrice(raw string) (Price, string) {
	if !gjson.Valid(raw) {
		return Price{}, "not JSON"
	}
	v := gjson.Parse(raw)
	if !v.IsObject() {
		return Price{}, "not a JSON object"
	}
	p := Price{Amount: strings.TrimSpace(v.Get("amount").String()), Currency: strings.TrimSpace(v.Get("currency").String()), Name: v.Get("name").String()}
	if a := v.Get("amount"); a.Type != gjson.String && a.Type != gjson.Number {
		return Price{}, "amount must be decimal text such as \"12.50\""
	}
	if !validTicker(p.Currency) {
		return Price{}, "currency must be a ticker such as USD"
	}
	return p, ""
}

// signedOrder checks a price signed by the merchant's backend; sent with orderID, its signature
// must name it (CanonicalCheckoutOrder).
func (g *Gateway) signedOrder(body gjson.Result, orderID string) (*checkoutOrder, *Response) {
	if g.cfg.checkoutSecret == "" {
		return nil, errorResponse(400, "signed_prices_disabled", "signed prices are not enabled on this gateway ("+EnvCheckoutSecret+" is not set): use item", false)
	}
	fields := map[string]string{}
	for _, name := range []string{"amount", "currency1", "currency2", "buyer_email", "item_name", "sig"} {
		v, res := stringField(body, name, 255)
		if res != nil {
			return nil, res
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, badInput(name, "must not contain a line break")
		}
		fields[name] = v
	}
	ev := body.Get("expires")
	var expires int64
	var err error
	switch ev.Type {
	case gjson.Number:
		expires, err = strconv.ParseInt(ev.Raw, 10, 64)
	case gjson.String:
		expires, err = strconv.ParseInt(ev.Str, 10, 64)
	default:
		return nil, badInput("expires", "is required: a Unix time in seconds")
	}
	if err != nil || expires <= 0 {
		return nil, badInput("expires", "must be a Unix time in seconds")
	}
	sig, ok := decodeHex(fields["sig"])
	if !ok || len(sig) != sha2.Size256 {
		return nil, badInput("sig", "must be 64 hex digits (HMAC-SHA256)")
	}
	canon := CanonicalCheckoutOrder(fields["amount"], fields["currency1"], fields["currency2"], fields["buyer_email"], fields["item_name"], expires, orderID)
	m := sha2.NewHMAC256([]byte(g.cfg.checkoutSecret))
	m.Write([]byte(canon))
	if !sha2.Equal(sig, m.Sum(nil)) {
		msg := "sig does not match the signed fields (amount, currency1, currency2, buyer_email, item_name, expires)"
		if orderID != "" {
			msg = strings.TrimSuffix(msg, ")") + ", order_id): a checkout with order_id needs a price signed for that order (a last line order_id=...)"
		}
		return nil, errorResponse(403, "bad_signature", msg, false)
	}
	if g.now().Unix() >= expires {
		return nil, errorResponse(400, "expired", "the signed price expired at "+time.Unix(expires, 0).UTC().Format(time.RFC3339)+": ask the shop for a new one", false)
	}
	amount, err := core.ParseAmount(fields["amount"])
	if err != nil || amount.Sign() <= 0 {
		return nil, badInput("amount", "must be a positive decimal number with at most 8 decimals")
	}
	if !validTicker(fields["currency1"]) {
		return nil, badInput("currency1", "must be a ticker such as USD")
	}
	if !validTicker(fields["currency2"]) {
		return nil, badInput("currency2", "must be a ticker such as BTC")
	}
	if !validEmail(fields["buyer_email"]) {
		return nil, badInput("buyer_email", "must be an email address")
	}
	return &checkoutOrder{
		amount:     amount,
		currency1:  fields["currency1"],
		currency2:  fields["currency2"],
		buyerEmail: fields["buyer_email"],
		itemName:   fields["item_name"],
		custom:     "signed",
	}, nil
}

func buyerFields(body gjson.Result) (cur2, email string, res *Response) {
	if cur2, res = stringField(body, "currency2", 16); res != nil {
		return "", "", res
	}
	if !validTicker(cur2) {
		return "", "", badInput("currency2", "must be the ticker of the coin the buyer pays with, such as BTC")
	}
	if email, res = stringField(body, "buyer_email", 254); res != nil {
		return "", "", res
	}
	if !validEmail(email) {
		return "", "", badInput("buyer_email", "must be an email address")
	}
	return cur2, email, nil
}

// stringField reads a required, non-empty JSON string of at most max bytes.
func stringField(body gjson.Result, name string, max int) (string, *Response) {
	v := body.Get(gjsonEscape(name))
	switch {
	case !v.Exists() || v.Type == gjson.Null:
		return "", badInput(name, "is required")
	case v.Type != gjson.String:
		return "", badInput(name, "must be a string")
	case strings.TrimSpace(v.Str) == "":
		return "", badInput(name, "is empty")
	case len(v.Str) > max:
		return "", badInput(name, "is longer than "+strconv.Itoa(max)+" bytes")
	}
	return v.Str, nil
}

func gjsonEscape(s string) string {
	if !strings.ContainsAny(s, ".*?|#@\\") {
		return s
	}
	var b strings.Builder
	for _, ch := range s {
		if strings.ContainsRune(".*?|#@\\", ch) {
			b.WriteByte('\\')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

func validSKU(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func validTicker(s string) bool {
	if len(s) < 2 || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && len(s) <= 254 && !strings.ContainsAny(s, " \t\r\n<>,;\"") && !strings.Contains(domain, "@")
}

// clientIP is the client's address as Cloudflare reports it, for rate limiting.
func clientIP(r *Request) string {
	for _, h := range []string{"cf-connecting-ip", "x-real-ip"} {
		if v := strings.TrimSpace(r.Header[h]); v != "" {
			return clip(v, 64)
		}
	}
	if v := r.Header["x-forwarded-for"]; v != "" {
		first, _, _ := strings.Cut(v, ",")
		if first = strings.TrimSpace(first); first != "" {
			return clip(first, 64)
		}
	}
	return "unknown"
}

// limitKey is the rate limit bucket of a client address: an IPv6 client by its /64 (one
// subscriber usually gets a whole /64 and can use any address in it), others by the address.
func limitKey(ip string) string {
	// ipaddr reads addresses as net/netip does (its tests compare them), without linking
	// net/netip into the Worker.
	a, ok := ipaddr.Parse(ip)
	if !ok || !a.Is6() {
		return ip
	}
	if a.Is4In6() {
		return a.Unmapped4()
	}
	return a.Prefix64()
}

// publicBase is the gateway's own origin: PUBLIC_URL, else the origin the request came to.
func (g *Gateway) publicBase(r *Request) string {
	if g.cfg.PublicURL != "" {
		return g.cfg.PublicURL
	}
	return r.URL.Scheme + "://" + r.URL.Host
}

func randomHex(n int) string {
	b := make([]byte, n)
	idrand.Read(b)
	return hexstr.Encode(b)
}

// status answers GET /v1/checkout/{txn_id} for payments this gateway created.
func (g *Gateway) status(ctx context.Context, p Platform, r *Request, id string) *Response {
	if len(id) > 128 || strings.ContainsAny(id, "|\r\n") {
		return errorResponse(404, "not_found", "no payment with this txn_id was created by this gateway", false)
	}
	_, ok, err := p.Ledger().GetTxn(ctx, id)
	if err != nil {
		p.Log("edge: ledger unavailable: " + err.Error())
		return errorResponse(503, "unavailable", "the gateway's ledger is unavailable, try again", true)
	}
	if !ok {
		return errorResponse(404, "not_found", "no payment with this txn_id was created by this gateway", false)
	}
	c, res := g.client(ctx, p, r)
	if res != nil {
		return res
	}
	info, err := c.TxInfo(r.Upstream, id, false)
	if err != nil {
		p.Log("edge: status " + id + ": " + err.Error())
		return g.apiFailure(r, c, "get_tx_info", err)
	}
	out := newObj().
		str("txn_id", id).
		int("status", int64(info.Status)).
		str("status_text", info.StatusText).
		bool("paid", info.Paid()).
		str("received", info.Received.String()).
		str("amount", info.Amount.String()).
		str("coin", info.Coin)
	return jsonResponse(200, out.bytes())
}

// decodeHex is hex.DecodeString without encoding/hex's error type (its message needs fmt).
func decodeHex(s string) ([]byte, bool) {
	if len(s)%2 != 0 {
		return nil, false
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		hi, lo := unhex(s[2*i]), unhex(s[2*i+1])
		if hi > 15 || lo > 15 {
			return nil, false
		}
		out[i] = hi<<4 | lo
	}
	return out, true
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}
