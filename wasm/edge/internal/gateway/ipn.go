package gateway

import (
	"context"
	"errors"
	"strconv"

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
	var dup bool
	d, err := ipn.NewTracker(led).Handle(ctx, n, func(ctx context.Context, n *ipn.Notification) error {
		forward := ""
		if g.cfg.forwarding() {
			forward = forwardBody(n)
		}
		var err error
		dup, _, err = led.RecordEvent(ctx, n.ID, eventBody(n, g.now().Unix()), forward)
		return err
	})
	if err != nil {
		p.Log("edge: IPN " + clip(n.ID, 64) + " not recorded: " + err.Error())
		return errorResponse(503, "unavailable", "the notification could not be recorded; send it again", true)
	}
	decision := d.String()
	if d == ipn.Apply && dup {
		decision = ipn.Duplicate.String() // another isolate recorded it first
	}
	p.Log("edge: IPN " + clip(n.ID, 64) + " type=" + clip(n.Type, 20) + " status=" + strconv.Itoa(int(n.Status)) + ": " + decision)
	return jsonResponse(200, newObj().bool("ok", true).str("ipn_id", n.ID).str("result", decision).bytes())
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

// forwardBody is what FORWARD_URL receives: {ipn_id, type, status, status_text, txn_id, fields}.
func forwardBody(n *ipn.Notification) string {
	return newObj().str("ipn_id", n.ID).str("type", n.Type).int("status", int64(n.Status)).
		str("status_text", n.StatusText).str("txn_id", n.Fields.Get("txn_id")).strMap("fields", flatFields(n)).String()
}

// eventBody is the event kept for /v1/events (the ledger adds cursor and forwarding state).
func eventBody(n *ipn.Notification, now int64) string {
	return newObj().str("ipn_id", n.ID).str("type", n.Type).int("status", int64(n.Status)).
		str("status_text", n.StatusText).str("txn_id", n.Fields.Get("txn_id")).str("payment", n.Key()).
		bool("paid", n.Paid()).int("received_at", now).strMap("fields", flatFields(n)).String()
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
