package gateway

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

// apiFailure answers an error from core for a call of cmd made with r.Upstream. What may have
// moved money or created a payment is never answered retryable:
//
//   - outcome unknown (the request may have been carried out): 502 outcome_unknown with what
//     POST /v1/reconcile needs (field "reconcile");
//   - a command that is not a read, stopped before it left (the upstream deadline, a queued
//     nonce call whose turn came too late): 503 not_sent, retryable;
//   - a read cut off by the upstream deadline: 504 timeout, retryable.
func (g *Gateway) apiFailure(r *Request, c *apiClient, cmd string, err error) *Response {
	var ou *core.OutcomeUnknownError
	if errors.As(err, &ou) {
		return outcomeUnknown(ou, c.tr.sentNonce(), keyHash(c.StoreKey()), nil)
	}
	if !core.IsReadCommand(cmd) && (core.IsNotSent(err) || isContextError(err)) {
		return errorResponse(503, "not_sent", "the gateway stopped before the request was sent to the Wallex API: nothing was carried out, send it again", true)
	}
	if upstreamEnded(r.Upstream) && (core.IsRetryable(err) || isContextError(err)) {
		return errorResponse(504, "timeout", "the Wallex API did not answer in time", true)
	}
	return coreError(err)
}

// upstreamEnded reports whether a request's upstream context has ended: cancelled, or its
// deadline passed. The key's sequencer bounds its fetch by that same deadline with its own timer,
// so its "no answer came back" can reach the gateway a moment before the host's cancel does.
func upstreamEnded(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

func isContextError(err error) bool {
	var ce core.Error
	if errors.As(err, &ce) {
		return false
	}
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// outcomeUnknown is the 502 answer for a request that may have been carried out. Besides the
// error it carries the operation (cmd, op_id, nonce, sent_at, deadline, ref) and, under
// "reconcile", exactly the body to POST to /v1/reconcile (for create_mass_withdrawal, a list:
// one body per payout). sent is the nonce the request actually carried when the key's sequencer
// had to raise it; key is keyHash of the API key it was sent with, which the body carries beside
// the nonce (a nonce proves nothing on another key). extra adds members (checkout: order_id,
// invoice).
func outcomeUnknown(ou *core.OutcomeUnknownError, sent int64, key string, extra func(*jsonObj)) *Response {
	return outcomeUnknownSaying(ou, sent, key, "the request may have been carried out but no answer came back: do not send it again; reconcile first (POST /v1/reconcile with the \"reconcile\" fields)", extra)
}

// What a storefront (which holds no gateway token, so cannot reconcile) is told about a checkout
// whose payment may have been created: the glue's own answer at its hard deadline says the same.
const (
	checkoutUnknownWithOrder = "the checkout may have created its payment but no answer came back: do not start another payment for this order; send the same checkout again with the same order_id (the gateway answers the payment it made, never a second one)"
	checkoutUnknownNoOrder   = "the checkout may have created its payment but no answer came back: do not start another payment; ask the merchant to look for its invoice (a checkout with an order_id can be sent again safely)"
)

// outcomeUnknownSaying is outcomeUnknown with its own instruction.
func outcomeUnknownSaying(ou *core.OutcomeUnknownError, sent int64, key, msg string, extra func(*jsonObj)) *Response {
	if sent > ou.Nonce {
		ou.Nonce = sent
	}
	o := newObj().
		str("error", msg).
		str("code", "outcome_unknown").
		bool("retryable", false).
		str("cmd", ou.Cmd).
		str("op_id", ou.OpID).
		int("nonce", ou.Nonce).
		str("sent_at", rfc3339(ou.SentAt)).
		str("deadline", rfc3339(ou.Deadline)).
		strMap("ref", ou.Ref)
	qs := core.QueriesFromOutcome(ou, ou.SentAt.Add(-time.Minute))
	if ou.Cmd == "create_mass_withdrawal" {
		list := []byte{'['}
		for i := range qs {
			if i > 0 {
				list = append(list, ',')
			}
			list = append(list, queryJSON(&qs[i], key)...)
		}
		o.raw("reconcile", string(append(list, ']')))
	} else if len(qs) > 0 {
		o.raw("reconcile", string(queryJSON(&qs[0], key)))
	}
	if extra != nil {
		extra(o)
	}
	return jsonResponse(502, o.bytes())
}

// queryJSON is a reconcile query as POST /v1/reconcile reads it (empty fields left out), with
// key_hash, the API key it was sent with (keyHash): its nonce (or its lack of one) is that key's.
func queryJSON(q *core.ReconcileQuery, key string) []byte {
	o := newObj().str("cmd", q.Cmd)
	for _, f := range [...]struct{ k, v string }{
		{"amount", q.Amount}, {"currency", q.Currency}, {"currency2", q.Currency2}, {"address", q.Address},
		{"merchant", q.Merchant}, {"note", q.Note}, {"invoice", q.Invoice}, {"custom", q.Custom},
	} {
		if f.v != "" {
			o.str(f.k, f.v)
		}
	}
	if q.AddTxFee {
		o.bool("add_tx_fee", true)
	}
	if !q.Since.IsZero() {
		o.str("since", rfc3339(q.Since))
	}
	if q.Nonce > 0 {
		o.int("nonce", q.Nonce)
	}
	if key != "" {
		o.str("key_hash", key)
	}
	if !q.SentAt.IsZero() {
		o.str("sent_at", rfc3339(q.SentAt))
	}
	if !q.Deadline.IsZero() {
		o.str("deadline", rfc3339(q.Deadline))
	}
	return o.bytes()
}

// rfc3339 formats t in UTC with milliseconds ("" for the zero time).
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// retryAfterSeconds is d rounded up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}
