package gateway

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/wallexkit/wallexkit/core/ipn"
)

// ipn answers POST /ipn: verify on the raw body, drop duplicates and stale statuses (ipn.Tracker
// over the ledger Durable Object), store the event and queue its forwarding. 200 for valid,
// duplicate and stale notifications (Wallex stops retrying), 401 bad signature, 403 another
// merchant, 400 malformed; 503 when the gateway cannot record it (Wallex will retry).
func (g *Gateway) ipn(ctx context.Context, p Platform, r *Request) *Response {
	if g.cfg.verifierErr != nil {
		p.Log("edge: IPN refused: the gateway has no " + EnvIPNSecret + " or " + EnvMerchantID)
		return errorResponse(503, "not_configured", "the gateway cannot verify IPNs: set "+EnvIPNSecret+" and "+EnvMerchantID, false)
	}
	n, err := g.cfg.verifier.Verify(r.Body, r.Header["hmac"])
	if err != nil {
		status, code := 400, "malformed"
		switch {
		case errors.Is(err, ipn.ErrMissingSignature), errors.Is(err, ipn.ErrBadSignature):
			status, code = 401, "bad_signature"
		case errors.Is(err, ipn.ErrMerchantMismatch):
			status, code = 403, "merchant_mismatch"
		}
		p.Log("edge: IPN rejected (" + strconv.Itoa(status) + "): " + err.Error())
		return errorResponse(status, code, err.Error(), false)
	}
	led := p.Ledger()
	now := g.now().Unix()
	var d ipn.Decision
	for attempt := 1; ; attempt++ {
		d, err = g.recordIPN(ctx, led, n, now, g.cfg.forwarding())
		if !errors.Is(err, errIPNConflict) || attempt == maxIPNAttempts {
			break
		}
	}
	if errors.Is(err, errCheckoutRecording) {
		p.Log("edge: IPN " + clip(n.ID, 64) + " not recorded yet: " + err.Error())
		return errorResponse(503, "checkout_recording", "this payment's checkout is still recording it: send the notification again shortly", true)
	}
	if err != nil {
		p.Log("edge: IPN " + clip(n.ID, 64) + " not recorded: " + err.Error())
		return errorResponse(503, "unavailable", "the notification could not be recorded; send it again", true)
	}
	p.Log("edge: IPN " + clip(n.ID, 64) + " type=" + clip(n.Type, 20) + " status=" + strconv.Itoa(int(n.Status)) + ": " + d.String())
	return jsonResponse(200, newObj().bool("ok", true).str("ipn_id", n.ID).str("result", d.String()).bytes())
}

// maxIPNAttempts bounds how often one notification is decided again because another one of the
// same payment was recorded between the read and the write.
const maxIPNAttempts = 5

var errIPNConflict = errors.New("another notification of the payment was recorded meanwhile")

// recordIPN decides with ipn.Tracker (the rule: dedupe by ipn_id, never let a late or lower
// status overwrite a final one) over what the ledger holds now, and records the decision in one
// atomic ledger step that only takes effect if the payment's status is still the one the Tracker
// read. So two notifications of one payment arriving together (complete and cancelled) are
// decided one after the other, never both against the same old status.
func (g *Gateway) recordIPN(ctx context.Context, led Ledger, n *ipn.Notification, now int64, forwarding bool) (ipn.Decision, error) {
	st := &casStore{led: led}
	d, err := ipn.NewTracker(st).Handle(ctx, n, nil)
	if err != nil || d != ipn.Apply {
		return d, err
	}
	// first_paid: this notification makes the payment paid, which no earlier one did (a complete
	// payment's later "100" is paid too, and must not be acted on twice): the Tracker's decision
	// (ipn.Notification.FirstPaid) over the status it read. The commit only takes effect if that
	// status is still the last one, so exactly one event of a payment has it.
	firstPaid := n.FirstPaid
	// Whose payment: one this gateway's checkout created (its ledger has the txn_id), with the
	// order it was for. Anyone can pay a Wallex payment button with any invoice and amount (spec
	// §9), and its IPN reaches this gateway genuinely signed: an order is fulfilled by this
	// order_id (or the txn_id the checkout answered), never by the IPN's invoice or amounts.
	ours, err := createdHere(ctx, led, n.Fields.Get("txn_id"), n.Fields.Get("invoice"), time.Now()) // the clock the checkout's deadlines are in
	if err != nil {
		return d, err
	}
	event, forward := eventBody(n, now, firstPaid, ours), ""
	if forwarding {
		forward = forwardBody(n, firstPaid, ours)
	}
	c := &IPNCommit{ID: n.ID, Key: st.key, Expect: st.last, HasExpect: st.hasLast, Status: st.status, SetStatus: st.set, Event: event, Forward: forward}
	res, err := led.CommitIPN(ctx, c)
	switch {
	case err != nil:
		return d, err
	case res.Dup:
		return ipn.Duplicate, nil // another isolate recorded it first
	case res.Conflict:
		return d, errIPNConflict
	}
	return ipn.Apply, nil
}

// casStore is the ipn.TrackerStore the Tracker decides over: reads go to the ledger and are
// remembered (the status read is the expectation of the commit), writes are collected for the
// one atomic CommitIPN.
type casStore struct {
	led     Ledger
	key     string
	read    bool
	last    int
	hasLast bool
	status  int
	set     bool
}

func (s *casStore) SeenID(ctx context.Context, id string) (bool, error) { return s.led.SeenID(ctx, id) }

func (s *casStore) MarkID(context.Context, string) error { return nil } // CommitIPN marks it

func (s *casStore) LastStatus(ctx context.Context, key string) (int, bool, error) {
	if !s.read || s.key != key {
		last, ok, err := s.led.LastStatus(ctx, key)
		if err != nil {
			return 0, false, err
		}
		s.key, s.read, s.last, s.hasLast = key, true, last, ok
	}
	if s.set {
		return s.status, true, nil
	}
	return s.last, s.hasLast, nil
}

func (s *casStore) SetStatus(_ context.Context, key string, status int) error {
	s.key, s.status, s.set = key, status, true
	return nil
}

func flatFields(n *ipn.Notification) map[string]string {
	m := make(map[string]string, len(n.Fields))
	for k, vs := range n.Fields {
		if len(vs) > 0 {
			m[k] = vs[0]
		}
	}
	return m
}

// checkoutOf is what the ledger knows of a payment this gateway's checkout created.
type checkoutOf struct {
	created bool   // the ledger has the txn_id
	orderID string // the order_id it was created for, if any
}

// errCheckoutRecording: the notification is of a payment whose checkout may still be recording
// it (pendingCheckout): answered 503, Wallex sends it again.
var errCheckoutRecording = errors.New("its payment's checkout is still recording it")

// createdHere looks txnID up in the ledger's payments (PutTxn at checkout). A payment created a
// moment ago may not be there yet: its first IPN can arrive before the checkout has recorded it,
// and told "not this gateway's" it would be forwarded so for good. So an invoice of this
// gateway's own form whose checkout is still within its deadline (its order, or its mark, is
// "sending") is errCheckoutRecording; an order already done names its payment itself.
func createdHere(ctx context.Context, led Ledger, txnID, invoice string, now time.Time) (checkoutOf, error) {
	if txnID == "" {
		return checkoutOf{}, nil
	}
	rec, ok, err := led.GetTxn(ctx, txnID)
	if err != nil {
		return checkoutOf{}, err
	}
	if ok {
		return checkoutOf{created: true, orderID: gjson.Get(rec, "order_id").String()}, nil
	}
	var id string
	switch {
	case strings.HasPrefix(invoice, "wko-"):
		id = strings.TrimPrefix(invoice, "wko-")
	case strings.HasPrefix(invoice, "wkx-"):
		id = pendingOrderID(invoice)
	default:
		return checkoutOf{}, nil
	}
	raw, ok, err := led.GetOrder(ctx, id)
	if err != nil || !ok {
		return checkoutOf{}, err
	}
	o := parseOrder(raw)
	switch {
	case o.state == "done" && strings.HasPrefix(invoice, "wko-") && gjson.Get(o.answer, "txn_id").String() == txnID:
		return checkoutOf{created: true, orderID: id}, nil
	case o.state == "sending" && now.Before(o.deadline.Add(idempotencyGrace)) && now.Before(o.sentAt.Add(maxCheckoutRecording)):
		return checkoutOf{}, errCheckoutRecording
	}
	return checkoutOf{}, nil
}

// maxCheckoutRecording bounds how long after a checkout began its payment's IPN is answered "send
// it again" (errCheckoutRecording), whatever the upstream timeout (EDGE_UPSTREAM_TIMEOUT_MS may be up
// to an hour): a checkout whose Worker stopped stays "sending" until its deadline, and Wallex gives
// up on an IPN after some minutes of retries.
const maxCheckoutRecording = 2 * time.Minute

// pendingOrderID is the ledger id of the mark of a checkout without order_id (invoice wkx-…):
// '~' is not allowed in an order_id, so it never names a storefront's order.
func pendingOrderID(invoice string) string { return "~" + invoice }

// add writes checkout (true for a payment this gateway created) and its order_id.
func (c checkoutOf) add(o *jsonObj) *jsonObj {
	o.bool("checkout", c.created)
	if c.orderID != "" {
		o.str("order_id", c.orderID)
	}
	return o
}

// forwardBody is what FORWARD_URL receives: {ipn_id, type, status, status_text, txn_id,
// first_paid, checkout, order_id?, fields}.
func forwardBody(n *ipn.Notification, firstPaid bool, c checkoutOf) string {
	o := newObj().str("ipn_id", n.ID).str("type", n.Type).int("status", int64(n.Status)).
		str("status_text", n.StatusText).str("txn_id", n.Fields.Get("txn_id")).bool("first_paid", firstPaid)
	return c.add(o).strMap("fields", flatFields(n)).String()
}

// eventBody is the event kept for /v1/events (the ledger adds cursor and forwarding state).
func eventBody(n *ipn.Notification, now int64, firstPaid bool, c checkoutOf) string {
	o := newObj().str("ipn_id", n.ID).str("type", n.Type).int("status", int64(n.Status)).
		str("status_text", n.StatusText).str("txn_id", n.Fields.Get("txn_id")).str("payment", n.Key()).
		bool("paid", n.Paid()).bool("first_paid", firstPaid)
	return c.add(o).int("received_at", now).strMap("fields", flatFields(n)).String()
}

// events answers GET /v1/events?after=CURSOR&limit=N.
func (g *Gateway) events(ctx context.Context, p Platform, r *Request) *Response {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return errorResponse(400, "invalid_input", "malformed query string: "+err.Error(), false)
	}
	after := int64(0)
	if s := q["after"]; s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return badInput("after", "must be a cursor returned as next_cursor (a whole number, 0 for the start)")
		}
		after = n
	}
	limit := 50
	if s := q["limit"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return badInput("limit", "must be a whole number from 1 to 100")
		}
		limit = n
	}
	page, err := p.Ledger().Events(ctx, after, limit)
	if err != nil {
		p.Log("edge: ledger unavailable: " + err.Error())
		return errorResponse(503, "unavailable", "the gateway's ledger is unavailable, try again", true)
	}
	return jsonResponse(200, []byte(page))
}
