package gateway

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/hexstr"
	"github.com/wallexkit/wallexkit/internal/sha2"
)

// reconcile answers POST /v1/reconcile: a JSON object {cmd, amount, currency, currency2?,
// address?, merchant?, note?, invoice?, custom?, since?, nonce?, key_hash?, sent_at?, deadline?} (times in
// RFC 3339), as the "reconcile" member of an outcome_unknown answer gives it, looked up with
// core.Client.Reconcile through the gateway's own client: in nonce mode the fence goes through
// the key's sequencer, so it is above every nonce this gateway sent. It proves a miss only for a
// body with the original's nonce (an outcome_unknown answer gives it); one without (an operation
// described by its fields, which another key or tool may have sent) is in_flight until its
// in-flight bound, as without nonces. Answer:
// {verdict, proven, until?, detail, withdrawals?, txn_ids?}.
func (g *Gateway) reconcile(ctx context.Context, p Platform, r *Request) *Response {
	if len(r.Body) == 0 || !gjson.ValidBytes(r.Body) || !gjson.ParseBytes(r.Body).IsObject() {
		return errorResponse(400, "invalid_json", "send a JSON object such as the \"reconcile\" member of an outcome_unknown answer: {\"cmd\":\"create_withdrawal\",\"amount\":\"0.1\",\"currency\":\"BTC\",\"address\":\"...\",\"sent_at\":\"...\"}", false)
	}
	q, res := parseReconcileQuery(gjson.ParseBytes(r.Body))
	if res != nil {
		return res
	}
	c, res := g.client(ctx, p, r)
	if res != nil {
		return res
	}
	// A nonce proves something only on the key that sent it: the fence runs on this gateway's.
	// One from another key (another gateway, or this one before its key changed), or one whose
	// key the body does not name, is dropped: the query then waits for the original's in-flight
	// bound, as one by fields does.
	ownKey := gjson.GetBytes(r.Body, "key_hash").String() == keyHash(c.StoreKey())
	foreign := q.Nonce > 0 && !ownKey
	if foreign {
		q.Nonce = 0
	}
	// named as this key's (an outcome_unknown answer of this gateway, its nonce or none): the
	// fence settles it
	if ownKey {
		q.SentWith = c.StoreKey()
	}
	out, err := g.runReconcile(p, r.Upstream, c, q)
	if err == nil && foreign {
		out.Detail += "; the nonce given was not sent with this gateway's API key (its key_hash names another key, or none), so the nonce fence says nothing of it"
	}
	if err == nil && out.Verdict == core.NotFound && out.Proven {
		// The original's key answers its first answer again (outcome_unknown), whatever is sent
		// with it. Only a proven not_found says how to send it again: an unproven one (no fence
		// covered the original) says why it is not proven, and a copy may still land.
		out.Detail += "; if it is still wanted, send it once more as a new request: through /v1/call with a new Idempotency-Key (the first one's key only gives its first answer again)"
	}
	if err != nil {
		p.Log("edge: reconcile " + q.Cmd + ": " + err.Error())
		var ve *core.ValidationError
		if errors.As(err, &ve) {
			return errorResponse(400, "invalid_input", err.Error(), false)
		}
		status := 502
		if upstreamEnded(r.Upstream) {
			status = 504
		}
		// Reconciling only reads: asking again is always safe.
		return errorResponse(status, "reconcile_failed", "nothing is concluded, reconcile again: "+err.Error(), true)
	}
	return jsonResponse(200, reconcileJSON(out))
}

// keyHash names an API key (core.Client.StoreKey: its API URL and public key) in a reconcile body,
// beside the nonce sent with it: 16 hex digits of a SHA-256.
func keyHash(storeKey string) string {
	h := sha2.New256()
	h.Write([]byte("wallexkit-reconcile-key-v1\x00"))
	h.Write([]byte(storeKey))
	return hexstr.Encode(h.Sum(nil)[:8])
}

// runReconcile is core's Reconcile with its pause after the fence taken on the platform's timer:
// core's own pause is off (clientOptions), so a not_found after the fence is confirmed by a second
// fenced lookup FencePause later. That second lookup reads the history at least FencePause after
// the first fence returned, which is what the pause is for (spec §7.3).
func (g *Gateway) runReconcile(p Platform, up context.Context, c *apiClient, q core.ReconcileQuery) (*core.ReconcileResult, error) {
	res, err := c.Reconcile(up, q)
	if err != nil || !g.cfg.Nonces || res.Verdict != core.NotFound || g.cfg.FencePause <= 0 {
		return res, err
	}
	if err := sleep(p, up, g.cfg.FencePause); err != nil {
		return nil, err
	}
	return c.Reconcile(up, q)
}

// parseReconcileQuery reads a reconcile body.
func parseReconcileQuery(b gjson.Result) (core.ReconcileQuery, *Response) {
	var q core.ReconcileQuery
	str := func(name string, dst *string, max int) *Response {
		v := b.Get(name)
		if !v.Exists() || v.Type == gjson.Null {
			return nil
		}
		if v.Type != gjson.String && v.Type != gjson.Number {
			return badInput(name, "must be a string")
		}
		s := v.Str
		if v.Type == gjson.Number {
			s = v.Raw
		}
		if len(s) > max {
			return badInput(name, "is longer than "+strconv.Itoa(max)+" bytes")
		}
		*dst = s
		return nil
	}
	for _, f := range [...]struct {
		name string
		dst  *string
		max  int
	}{
		{"cmd", &q.Cmd, 64}, {"amount", &q.Amount, 64}, {"currency", &q.Currency, 16}, {"currency2", &q.Currency2, 16},
		{"address", &q.Address, 256}, {"merchant", &q.Merchant, 128}, {"note", &q.Note, 255},
		{"invoice", &q.Invoice, 128}, {"custom", &q.Custom, 128},
	} {
		if res := str(f.name, f.dst, f.max); res != nil {
			return q, res
		}
	}
	if q.Cmd == "" {
		return q, badInput("cmd", "is required: create_withdrawal, create_mass_withdrawal, create_transfer, create_transaction or convert")
	}
	for _, t := range [...]struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"sent_at", &q.SentAt}, {"deadline", &q.Deadline}} {
		v := b.Get(t.name)
		if !v.Exists() || v.Type == gjson.Null || v.Str == "" && v.Type == gjson.String {
			continue
		}
		tm, err := time.Parse(time.RFC3339, v.Str)
		if v.Type != gjson.String || err != nil {
			return q, badInput(t.name, "must be a time in RFC 3339, e.g. 2026-01-02T15:04:05Z")
		}
		*t.dst = tm
	}
	if v := b.Get("add_tx_fee"); v.Exists() && v.Type != gjson.Null {
		if v.Type != gjson.True && v.Type != gjson.False && v.Raw != "0" && v.Raw != "1" {
			return q, badInput("add_tx_fee", "must be true or false (the original was sent with add_tx_fee)")
		}
		q.AddTxFee = v.Type == gjson.True || v.Raw == "1"
	}
	if v := b.Get("nonce"); v.Exists() && v.Type != gjson.Null {
		raw := v.Raw
		if v.Type == gjson.String {
			raw = v.Str
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if (v.Type != gjson.Number && v.Type != gjson.String) || err != nil || n < 0 {
			return q, badInput("nonce", "must be a whole number (the nonce of the original request)")
		}
		q.Nonce = n
	}
	if q.Since.IsZero() && !q.SentAt.IsZero() {
		q.Since = q.SentAt.Add(-time.Minute)
	}
	return q, nil
}

// reconcileJSON is the answer of POST /v1/reconcile.
func reconcileJSON(r *core.ReconcileResult) []byte {
	o := newObj().str("verdict", string(r.Verdict)).bool("proven", r.Proven)
	if !r.Until.IsZero() {
		o.str("until", rfc3339(r.Until))
		o.int("retry_after", int64(max(0, time.Until(r.Until)+time.Second-1)/time.Second))
	}
	if !r.AssumedSentAt.IsZero() {
		// no sent_at was given: the wait counted from this; send it back as sent_at, or the wait
		// starts again
		o.str("assumed_sent_at", rfc3339(r.AssumedSentAt))
	}
	o.str("detail", r.Detail)
	if len(r.Withdrawals) > 0 {
		list := []byte{'['}
		for i, w := range r.Withdrawals {
			if i > 0 {
				list = append(list, ',')
			}
			wo := newObj().str("id", w.ID).int("status", int64(w.Status)).str("status_text", w.StatusText).
				str("coin", w.Coin).str("amount", w.Amount.String()).str("send_address", w.SendAddress).
				str("send_txid", w.SendTxID).str("note", w.Note)
			if !w.TimeCreated.IsZero() {
				wo.str("time_created", rfc3339(w.TimeCreated))
			}
			list = append(list, wo.bytes()...)
		}
		o.raw("withdrawals", string(append(list, ']')))
	}
	if len(r.TxnIDs) > 0 {
		o.strList("txn_ids", r.TxnIDs)
	}
	return o.bytes()
}
