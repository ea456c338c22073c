package gateway

import (
	"context"
	"sort"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/hexstr"
	"github.com/wallexkit/wallexkit/internal/sha2"
)

// Idempotency of POST /v1/call/{cmd} for every command that is not a read (money commands and
// create_transaction). A browser resends a POST by itself when a reused keep-alive connection
// drops after the server acted, and a proxy may deliver a request twice; the gateway orders the
// API's nonces itself, so without a key each copy would become a new upstream call. wallexkit's
// core sends its operation id as Idempotency-Key through a gateway (core.WithStaticToken).
//
// The key is recorded, with the request's fingerprint, in one atomic Durable Object step before
// anything is sent (Ledger.ClaimIdempotency, in the ledger shard its id hashes to). A copy then
// never reaches the API:
//
//   - the first one answered: the copy gets the same status and body (idempotent-replay: true);
//   - the first one still in progress: 502 outcome_unknown, in_progress, with retry_after and
//     until (its upstream deadline): the same request sent again gets the first one's answer
//     once there is one, by until at the latest;
//   - the first one's outcome never recorded (the Worker died during it): 502 outcome_unknown
//     with the reconcile fields, once its deadline has passed (the gateway can no longer send it);
//   - the same key with another command or other fields: 422 idempotency_key_reused;
//   - a key closed by a reconcile (closeIdempotency): 409 idempotency_key_closed.
//
// An answer that says nothing was carried out (retryable: true, e.g. 503 not_sent) releases the
// key, so the same request may be sent again with it. Records are scoped to the account (the
// deployment's one: not the API URL, the API key nor the gateway token, which may be changed,
// nor the optional merchant ID),
// and kept for IdempotencyRetention. A request without the header is sent as before (each copy
// is a new call).

// IdempotencyRetention is how long an Idempotency-Key's record is kept: core.OpRetention, how long
// core keeps a settled operation.
const IdempotencyRetention = core.OpRetention

// idempotencyGrace is how long after the first request's upstream deadline a copy is still told
// "in progress" rather than "unknown": the time the first one takes to record its answer.
const idempotencyGrace = 2 * time.Second

// idempotencyPoll is the longest Retry-After given to a copy while the first is in progress: it
// may ask again sooner than until, the latest time the first one's outcome is settled.
const idempotencyPoll = 2 * time.Second

// validIdempotencyKey: 1 to 255 printable ASCII characters, no spaces (core sends op_<hex>).
func validIdempotencyKey(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// idemClaim is a request's claim on its Idempotency-Key.
type idemClaim struct {
	id    string // the record's id: a hash of the account and the key
	claim string // this request's claim, which only it may settle
	fp    string
	cmd   string
	// also: the ids earlier versions give the key (earlierIdempotencyIDs), claimed with the same
	// record, so that an isolate of such a version still serving beside this one finds it
	also []string
}

// held is every id this claim holds: its own, then the earlier versions'.
func (cl *idemClaim) held() []string { return append([]string{cl.id}, cl.also...) }

// idemRec is a stored record.
type idemRec struct {
	fp, state, cmd   string
	sentAt, deadline time.Time
	status           int
	answer           string
	fields           map[string]string
}

func parseIdemRec(raw string) idemRec {
	v := gjson.Parse(raw)
	r := idemRec{fp: v.Get("fp").String(), state: v.Get("state").String(), cmd: v.Get("cmd").String(),
		status: int(v.Get("status").Int()), answer: v.Get("answer").String(), fields: map[string]string{}}
	r.sentAt, _ = time.Parse(time.RFC3339, v.Get("sent_at").String())
	r.deadline, _ = time.Parse(time.RFC3339, v.Get("deadline").String())
	v.Get("fields").ForEach(func(k, val gjson.Result) bool {
		r.fields[k.Str] = val.Str
		return true
	})
	return r
}

// idempotencyID is key's record id, hashed (no key appears in storage keys), scoped to the
// deployment's one Wallex account (README) and nothing else. Not to the API URL: corrected (a host
// name for an address, http to https, a new domain of the API) between a request and its copy it
// made the copy a new claim, and between a request and the reconcile's close (closeIdempotency)
// the close found no record under the new URL and proved "never sent" of a request carried out
// under the old one. Not to the API key: a key rotated (WALLEX_PUBLIC_KEY changed) while a request
// was in flight, or after its answer was lost, made the same request sent again with the same
// Idempotency-Key a new claim, and a second payment. Nor to the caller's gateway token, for the
// same reason (a token rotated, or the old one removed and its copy refused 401), nor to the
// optional WALLEX_MERCHANT_ID (IPNs only). Every gateway token may move the account's money; two
// callers that happen to use one key for different requests get 422 idempotency_key_reused,
// nothing sent.
func idempotencyID(key string) string {
	return hashParts(16, "wallexkit-idempotency-v3", "account", key)
}

// hashParts is the hex of the first n bytes of the SHA-256 of parts, each ended by a NUL byte (no
// two lists of parts hash the same text): the gateway's record ids and fingerprints.
func hashParts(n int, parts ...string) string {
	h := sha2.New256()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hexstr.Encode(h.Sum(nil)[:n])
}

// earlierIdempotencyIDs are the ids earlier versions of the gateway gave key's record, newest
// first: (v3, the API URL), (v2, the API URL, the caller's token), (v2, the API URL and merchant
// ID, the token), (v1, the API key, the token). A deployment upgraded keeps their records (7
// days): a copy of a request an earlier version claimed, or its reconcile's close, must find it,
// or the copy is a second withdrawal and the close proves "never sent" of a request that was sent;
// and an isolate of an earlier version serving beside this one in a rollout must find what this
// one claimed or closed (claimAll).
func earlierIdempotencyIDs(apiURL, storeKey, merchantID, authorization, key string) []string {
	_, tok, _ := bearerToken(authorization)
	return []string{
		hashParts(16, "wallexkit-idempotency-v3", apiURL, key),
		hashParts(16, "wallexkit-idempotency-v2", apiURL, tok, key),
		hashParts(16, "wallexkit-idempotency-v2", apiURL+"|merchant:"+merchantID, tok, key),
		hashParts(16, "wallexkit-idempotency-v1", storeKey, tok, key),
	}
}

// claimAll stores rec under key's id (cl.id), then under the ids earlier versions of the gateway
// gave it (earlierIdempotencyIDs), each in its own atomic step, in that order: in a rollout an
// isolate of an earlier version runs beside this one and looks under its own id only, so a request
// this version claims, or a key it closes, must hold that id too, or a copy delivered to the old
// isolate (a proxy's, one held by the network) is a new claim there and a second payment. A record
// found under any of them (a copy of this request, or a request an earlier version claimed) is
// returned as current (ok false) and what this claim took is released; cl.also lists the earlier
// ids it holds. On an error what it took is released too.
func (g *Gateway) claimAll(ctx context.Context, p Platform, r *Request, cl *idemClaim, key, rec string) (ok bool, current string, err error) {
	base, err := g.baseClient()
	if err != nil {
		return false, "", err
	}
	led := p.Ledger()
	if ok, current, err = led.ClaimIdempotency(ctx, cl.id, cl.claim, rec, IdempotencyRetention); err != nil || !ok {
		return ok, current, err // (an error: the caller releases cl.id)
	}
	for _, id := range earlierIdempotencyIDs(base.APIURL(), base.StoreKey(), g.cfg.MerchantID, r.Header["authorization"], key) {
		if id == cl.id {
			continue
		}
		ok, current, err = led.ClaimIdempotency(ctx, id, cl.claim, rec, IdempotencyRetention)
		if err != nil {
			cl.also = append(cl.also, id) // it may have been stored with its reply lost
		}
		if err != nil || !ok {
			g.releaseAll(ctx, p, cl)
			return false, current, err
		}
		cl.also = append(cl.also, id)
	}
	return true, "", nil
}

// releaseAll deletes the records this claim holds (its own: another claim's are left).
func (g *Gateway) releaseAll(ctx context.Context, p Platform, cl *idemClaim) {
	led := p.Ledger()
	for _, id := range cl.held() {
		if err := led.SettleIdempotency(ctx, id, cl.claim, ""); err != nil {
			p.Log("edge: call " + cl.cmd + ": could not release an Idempotency-Key record (a copy is told in progress until its deadline): " + err.Error())
		}
	}
	cl.also = nil
}

// requestFingerprint identifies what a request asks for: its command and fields (the envelope's
// version, key, nonce and format are already dropped), in sorted order.
func requestFingerprint(cmd string, fields core.Fields) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha2.New256()
	h.Write([]byte(cmd))
	for _, k := range keys {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{'='})
		h.Write([]byte(fields[k]))
	}
	return hexstr.Encode(h.Sum(nil)[:16])
}

// claimIdempotency records the request's key before it is sent. It returns the claim to settle
// afterwards, or the answer to give instead of sending (a copy, a reused key, the ledger down).
func (g *Gateway) claimIdempotency(ctx context.Context, p Platform, r *Request, c *apiClient, cmd string, fields core.Fields, key string, deadline time.Time) (*idemClaim, *Response) {
	cl := &idemClaim{id: idempotencyID(key), claim: randomHex(8), fp: requestFingerprint(cmd, fields), cmd: cmd}
	rec := newObj().str("claim", cl.claim).str("fp", cl.fp).str("state", "sending").str("cmd", cmd).
		str("sent_at", rfc3339(time.Now())).str("deadline", rfc3339(deadline)).strMap("fields", fields).String()
	led := p.Ledger()
	ok, current, err := g.claimAll(ctx, p, r, cl, key, rec)
	if err != nil {
		p.Log("edge: call " + cmd + ": cannot record its Idempotency-Key, nothing was sent: " + err.Error())
		// The record may have been stored with its reply lost (the shard reset): nothing was sent,
		// so release it (only this claim's), or the same request sent again would be told "in
		// progress", then "outcome unknown", for a request that never left.
		if err := led.SettleIdempotency(ctx, cl.id, cl.claim, ""); err != nil {
			p.Log("edge: call " + cmd + ": could not release its Idempotency-Key either (a copy is told in progress until its deadline): " + err.Error())
		}
		return nil, errorResponse(503, "not_sent", "the gateway could not record the Idempotency-Key: nothing was sent, send it again", true)
	}
	if ok {
		return cl, nil
	}
	prev := parseIdemRec(current)
	switch {
	case prev.state == "closed": // before the fingerprint: a closed record has none
		return nil, errorResponse(409, "idempotency_key_closed", "this Idempotency-Key was closed by a reconcile (POST /v1/idempotency/close), which reported its request as never carried out: this copy was not sent, and no request with this key ever will be. If the payment is still wanted, send it as a new request with a new Idempotency-Key", false)
	case prev.fp != cl.fp:
		return nil, errorResponse(422, "idempotency_key_reused", "this Idempotency-Key was already used for a different request (another command or other fields) in the last 7 days: this one was not sent. If it is the same payment written differently, the first request with this key may have been carried out: send it exactly as the first (or reconcile that one) before anything else; use a new key only for a new payment", false)
	case prev.state == "done":
		res := &Response{Status: prev.status, Header: map[string]string{"content-type": "application/json; charset=utf-8", "cache-control": "no-store", "idempotent-replay": "true"}, Body: []byte(prev.answer)}
		return nil, res
	}
	if until := prev.deadline.Add(idempotencyGrace); time.Now().Before(until) {
		wait := time.Until(until)
		res := jsonResponse(502, newObj().
			str("error", "a request with this Idempotency-Key is still in progress and may yet be carried out, so this copy was not sent: do not send a new request for it; send this same request (same Idempotency-Key) again after retry_after seconds: by "+rfc3339(until)+" it gets the first one's answer").
			str("code", "outcome_unknown").bool("retryable", false).bool("in_progress", true).
			str("cmd", prev.cmd).str("sent_at", rfc3339(prev.sentAt)).str("until", rfc3339(until)).
			int("retry_after", int64((min(wait, idempotencyPoll)+time.Second-1)/time.Second)).bytes())
		res.Header["retry-after"] = retryAfterSeconds(min(wait, idempotencyPoll))
		return nil, res
	}
	// The first one's answer was never recorded (the Worker stopped during it), and past its
	// deadline the gateway can no longer send it: what it did is found by reconciling.
	ou := &core.OutcomeUnknownError{Cmd: prev.cmd, Ref: prev.fields, SentAt: prev.sentAt, Deadline: prev.deadline}
	return nil, outcomeUnknown(ou, 0, "", nil)
}

// settleIdempotency records the first request's answer for its copies, or releases the key when
// the answer says nothing was carried out (retryable: true), so that it may be sent again.
func (g *Gateway) settleIdempotency(ctx context.Context, p Platform, cl *idemClaim, res *Response) {
	rec := ""
	if res.Status < 400 || !gjson.GetBytes(res.Body, "retryable").Bool() {
		rec = newObj().str("claim", cl.claim).str("fp", cl.fp).str("state", "done").str("cmd", cl.cmd).
			int("status", int64(res.Status)).str("answer", string(res.Body)).String()
	}
	for _, id := range cl.held() {
		if err := p.Ledger().SettleIdempotency(ctx, id, cl.claim, rec); err != nil {
			// The record stays "sending": copies are told in progress, then outcome unknown.
			p.Log("edge: call " + cl.cmd + ": could not record its answer for its Idempotency-Key: " + err.Error())
		}
	}
}

// closeIdempotency answers POST /v1/idempotency/close, {"key": "..."}: the fence for a caller that
// sends no nonces (the gateway orders them). A reconcile whose request's answer was lost stores a
// "closed" record for its key if none exists, in the same atomic step a request claims it with:
// then, as far as its records go, no request with that key was sent by the gateway, and none will
// be (a copy held by the network and delivered later gets 409 idempotency_key_closed), so the
// history the caller reads next is final (it decides: records can be lost). Answers 200 {"state":"closed"} (stored now, or closed before), {"state":"done","status":N}
// (the request was answered: reconcile by the history), or {"state":"sending","until":...} (it
// was claimed and may have been sent).
func (g *Gateway) closeIdempotency(ctx context.Context, p Platform, r *Request) *Response {
	key := gjson.GetBytes(r.Body, "key")
	if !gjson.ValidBytes(r.Body) || key.Type != gjson.String || !validIdempotencyKey(key.Str) {
		return badInput("key", "send a JSON object {\"key\": \"...\"}: the Idempotency-Key to close, 1 to 255 printable ASCII characters without spaces")
	}
	if name := g.cfg.missingAPI(); name != "" {
		return notConfiguredAPI(name)
	}
	cl := &idemClaim{id: idempotencyID(key.Str), claim: randomHex(8), cmd: "idempotency close"}
	rec := newObj().str("state", "closed").str("closed_at", rfc3339(time.Now())).String()
	// closed under the ids earlier versions give the key too: an isolate of such a version
	// serving beside this one in a rollout must refuse the request as well
	ok, current, err := g.claimAll(ctx, p, r, cl, key.Str, rec)
	if err != nil {
		p.Log("edge: idempotency close: cannot record it: " + err.Error())
		return errorResponse(503, "not_recorded", "the gateway could not record the close: nothing is concluded, ask again", true)
	}
	prev := parseIdemRec(current)
	switch {
	case ok || prev.state == "closed":
		return jsonResponse(200, newObj().str("state", "closed").bytes())
	case prev.state == "done":
		return jsonResponse(200, newObj().str("state", "done").int("status", int64(prev.status)).bytes())
	}
	return jsonResponse(200, newObj().str("state", "sending").str("until", rfc3339(prev.deadline.Add(idempotencyGrace))).bytes())
}
