package gateway

import (
	"context"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
)

// Checkout idempotency. A storefront that sends order_id gets at most one payment per order,
// whatever it retries and whenever: the order is recorded in the ledger before create_transaction
// leaves (with an invoice derived from it), and a retry of an order whose outcome is unknown
// first looks the invoice up in the account's payments (reconcile, fenced in nonce mode).
//
// Order record (ledger "order:<id>", JSON; "v" is its version, kept by the ledger):
//
//	state     sending (create_transaction may be on its way), unknown (its outcome is unknown),
//	          done (answer holds the payment), failed (refused or never sent: may be created anew)
//	fp        what was ordered (a hash of amount, currencies, buyer and item): a retry must match
//	sent_at, deadline, nonce   the create_transaction attempt, for reconcile
//	key_hash                   the API key it was sent with (keyHash): its nonce proves nothing on another
//	answer    the checkout answer, once done

// maxOrderAttempts bounds how often one checkout re-reads an order that changed under it.
const maxOrderAttempts = 4

func validOrderID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// orderInvoice is the invoice of the payment of an order: how reconcile finds it again.
func orderInvoice(orderID string) string { return "wko-" + orderID }

func orderFingerprint(o *checkoutOrder) string {
	return hashParts(12, o.amount.Text(), o.currency1, o.currency2, o.buyerEmail, o.itemName, o.itemNumber, o.custom)
}

type orderRec struct {
	v        int64
	state    string
	fp       string
	sentAt   time.Time
	deadline time.Time
	nonce    int64
	key      string // keyHash of the API key that sends (sent) it: its nonce proves nothing on another
	answer   string
}

func parseOrder(raw string) orderRec {
	v := gjson.Parse(raw)
	r := orderRec{v: v.Get("v").Int(), state: v.Get("state").String(), fp: v.Get("fp").String(),
		nonce: v.Get("nonce").Int(), key: v.Get("key_hash").String(), answer: v.Get("answer").Raw}
	r.sentAt, _ = time.Parse(time.RFC3339, v.Get("sent_at").String())
	r.deadline, _ = time.Parse(time.RFC3339, v.Get("deadline").String())
	return r
}

func (r orderRec) json() string {
	o := newObj().str("state", r.state).str("fp", r.fp)
	if !r.sentAt.IsZero() {
		o.str("sent_at", rfc3339(r.sentAt)).str("deadline", rfc3339(r.deadline))
	}
	if r.nonce > 0 {
		o.int("nonce", r.nonce)
	}
	if r.key != "" {
		o.str("key_hash", r.key)
	}
	if r.answer != "" {
		o.raw("answer", r.answer)
	}
	return o.String()
}

// orderCheckout creates the payment of order orderID at most once.
func (g *Gateway) orderCheckout(ctx context.Context, p Platform, r *Request, c *apiClient, order *checkoutOrder, orderID string) *Response {
	led := p.Ledger()
	invoice := orderInvoice(orderID)
	fp := orderFingerprint(order)
	unavailable := func(err error) *Response {
		p.Log("edge: order " + orderID + ": ledger unavailable: " + err.Error())
		return errorResponse(503, "unavailable", "the gateway's ledger is unavailable; nothing was created, try again", true)
	}
	for range maxOrderAttempts {
		raw, ok, err := led.GetOrder(ctx, orderID)
		if err != nil {
			return unavailable(err)
		}
		var rec orderRec
		if ok {
			rec = parseOrder(raw)
			if rec.fp != fp {
				if rec.state == "failed" {
					return errorResponse(409, "order_conflict", "order_id "+strconv.Quote(orderID)+" was already used for a different checkout (amount, coin, buyer or item) that created no payment: use a new order_id", false)
				}
				// A payment exists for the order, or may (the first checkout's outcome is not settled,
				// or it is in progress): a new order_id would make a second one for the same order
				// (the price read for it may have changed since).
				return errorResponse(409, "order_conflict", "order_id "+strconv.Quote(orderID)+" already has a payment, or one that may exist, for a different checkout (amount, coin, buyer or item; the price may have changed since): do not start another payment for this order; send the first checkout again as it was, or ask the merchant to look for invoice "+invoice, false)
			}
		}
		switch rec.state {
		case "done":
			res := jsonResponse(200, []byte(rec.answer))
			res.Header["idempotent-replay"] = "true"
			return res
		case "sending", "unknown":
			if rec.state == "sending" && time.Now().Before(rec.deadline) {
				// The first attempt may still be on its way inside the gateway (before its nonce
				// was even chosen): no lookup can prove anything yet.
				return inFlight(orderID, rec.deadline, "the first checkout of this order is still in progress")
			}
			// Sent with this gateway's API key, the fence settles it (its nonce, or none: the key's
			// sequencer refuses a call made before the fence). A record of another key (the key
			// changed since) or of none named (recorded before key_hash) waits for its bound.
			q := core.ReconcileQuery{Cmd: "create_transaction", Invoice: invoice, Since: rec.sentAt.Add(-time.Minute),
				SentAt: rec.sentAt, Deadline: rec.deadline}
			if rec.key != "" && rec.key == keyHash(c.StoreKey()) {
				q.Nonce, q.SentWith = rec.nonce, c.StoreKey()
			}
			found, err := g.runReconcile(p, r.Upstream, c, q)
			if err != nil {
				p.Log("edge: order " + orderID + ": reconcile: " + err.Error())
				return errorResponse(503, "reconcile_failed", "the gateway could not yet find out whether this order's payment was created; nothing new was created, try again", true)
			}
			switch found.Verdict {
			case core.Found:
				return g.orderFound(ctx, p, r, c, order, orderID, invoice, rec, found.TxnIDs[0])
			case core.InFlight:
				return inFlight(orderID, found.Until, found.Detail)
			case core.Ambiguous:
				return errorResponse(409, "ambiguous", "order "+orderID+": "+found.Detail+"; ask the merchant to check the payments with invoice "+invoice, false)
			}
			// not_found, and final: the first attempt can no longer create a payment.
		}
		// No payment exists for the order and none can appear: claim the order, then create.
		up, cancel := p.WithTimeout(r.Upstream, g.cfg.UpstreamTimeout)
		deadline, _ := up.Deadline()
		claim := orderRec{state: "sending", fp: fp, sentAt: time.Now(), deadline: deadline, key: keyHash(c.StoreKey())}
		okPut, _, err := led.PutOrder(ctx, orderID, rec.v, claim.json())
		if err != nil {
			cancel()
			return unavailable(err)
		}
		if !okPut {
			cancel()
			continue // another request changed the order meanwhile: look again
		}
		res := g.orderCreate(ctx, p, r, up, c, order, orderID, invoice, claim, rec.v+1)
		cancel()
		return res
	}
	return inFlight(orderID, g.now().Add(time.Second), "the order keeps changing under this request")
}

// orderCreate sends create_transaction for a claimed order (version v) and records the outcome.
func (g *Gateway) orderCreate(ctx context.Context, p Platform, r *Request, up context.Context, c *apiClient, order *checkoutOrder, orderID, invoice string, claim orderRec, v int64) *Response {
	led := p.Ledger()
	tx, ou, res := g.createPayment(p, r, up, c, order, invoice)
	switch {
	case ou != nil:
		claim.state, claim.nonce = "unknown", max(ou.Nonce, c.tr.sentNonce())
		if !ou.SentAt.IsZero() {
			claim.sentAt, claim.deadline = ou.SentAt, ou.Deadline
		}
		if _, _, err := led.PutOrder(ctx, orderID, v, claim.json()); err != nil {
			p.Log("edge: order " + orderID + ": could not record the unknown outcome (it stays 'sending'): " + err.Error())
		}
		return outcomeUnknownSaying(ou, c.tr.sentNonce(), keyHash(c.StoreKey()), checkoutUnknownWithOrder, func(o *jsonObj) { o.str("order_id", orderID).str("invoice", invoice) })
	case res != nil:
		// Refused, or never sent: nothing exists, the order may be created anew.
		claim.state = "failed"
		if _, _, err := led.PutOrder(ctx, orderID, v, claim.json()); err != nil {
			p.Log("edge: order " + orderID + ": could not record the failure: " + err.Error())
		}
		return res
	}
	answer := paymentJSON(tx, invoice, orderID)
	claim.state, claim.answer = "done", string(answer)
	if _, _, err := led.PutOrder(ctx, orderID, v, claim.json()); err != nil {
		p.Log("edge: order " + orderID + ": payment " + tx.TxnID + " created but the order not updated (a retry will find it by its invoice): " + err.Error())
	}
	return g.paymentCreated(ctx, p, order, invoice, orderID, tx)
}

// orderFound answers an order whose payment the lookup found, and records it as done. Anyone can
// pay a Wallex payment button with any invoice (spec §9), the order's too: a payment found by the
// invoice is the order's only when it is priced as the order was (currency1, amount1, the coin),
// else it is answered ambiguous and nothing is recorded (no second payment is created either).
func (g *Gateway) orderFound(ctx context.Context, p Platform, r *Request, c *apiClient, order *checkoutOrder, orderID, invoice string, rec orderRec, txnID string) *Response {
	info, err := c.TxInfo(r.Upstream, txnID, true)
	if err != nil {
		p.Log("edge: order " + orderID + ": payment " + txnID + " found, its details not read: " + err.Error())
		return errorResponse(503, "unavailable", "the payment of this order exists ("+txnID+") but its details could not be read; try again", true)
	}
	amount1, aerr := core.ParseAmount(info.Checkout.Get("amountf").Text())
	if aerr != nil || amount1.Cmp(order.amount) != 0 || info.Checkout.Get("currency").Text() != order.currency1 || info.Coin != order.currency2 {
		p.Log("edge: order " + orderID + ": payment " + txnID + " has its invoice but not its price (" + info.Checkout.Get("amountf").Text() + " " + info.Checkout.Get("currency").Text() + " in " + info.Coin + "): not taken as the order's")
		return errorResponse(409, "ambiguous", "order "+orderID+": payment "+txnID+" has this order's invoice but not its price or coin (a payment button can carry any invoice): it is not taken as this order's payment, and no other is created; ask the merchant to check the payments with invoice "+invoice, false)
	}
	out := newObj().str("txn_id", txnID).str("amount", info.Amount.String()).str("currency", info.Coin).
		str("address", info.PaymentAddress).int("status", int64(info.Status)).str("invoice", invoice).str("order_id", orderID).
		bool("recovered", true)
	if !info.TimeExpires.IsZero() {
		out.int("timeout", int64(max(0, time.Until(info.TimeExpires))/time.Second))
	}
	answer := out.bytes()
	rec.state, rec.answer = "done", string(answer)
	if _, _, err := p.Ledger().PutOrder(ctx, orderID, rec.v, rec.json()); err != nil {
		p.Log("edge: order " + orderID + ": could not record its payment " + txnID + ": " + err.Error())
	}
	txr := newObj().int("created", g.now().Unix()).str("invoice", invoice).str("order_id", orderID).bool("recovered", true).String()
	if err := p.Ledger().PutTxn(ctx, txnID, txr); err != nil {
		p.Log("edge: order " + orderID + ": could not record payment " + txnID + ": " + err.Error())
	}
	return jsonResponse(200, answer)
}

// inFlight is the 409 answer for an order whose first attempt may still create its payment:
// do not create another, ask again after until.
func inFlight(orderID string, until time.Time, why string) *Response {
	wait := max(time.Until(until), 0)
	res := jsonResponse(409, newObj().
		str("error", "order "+orderID+": "+why+": do not start another payment for it; send the same checkout (same order_id) again after "+rfc3339(until)).
		str("code", "in_flight").bool("retryable", false).str("order_id", orderID).
		str("until", rfc3339(until)).int("retry_after", int64((wait+time.Second-1)/time.Second)).bytes())
	res.Header["retry-after"] = retryAfterSeconds(wait)
	return res
}
