package core

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/internal/errtext"
	"github.com/wallexkit/wallexkit/internal/hexstr"
	"github.com/wallexkit/wallexkit/internal/idrand"
	"github.com/wallexkit/wallexkit/internal/jsonw"
)

// Op is a request that is not safe to repeat (a money command or create_transaction), recorded
// in an OpStore before it leaves, so that its outcome can be found again after a lost answer, a
// crash, or a restarted runtime (a browser stops an extension's service worker at will).
//
// The record is kept after the outcome is known (for OpRetention), so that asking again about
// an operation, even one whose answer arrived but never reached the person (a page whose service
// worker stopped after the call), gives the same, true answer. Then (or when a person forgets it,
// ForgetOp) it shrinks to a trace (OpForgotten), kept for OpForgottenRetention, so that the ID is
// still known to have been used. An ID this store never held was never sent by a client using this
// store: the record is written before a request leaves. (Another store, such as another state
// file, knows nothing of its operations.)
type Op struct {
	ID       string            `json:"id"`
	Cmd      string            `json:"cmd"`
	Ref      map[string]string `json:"ref"`             // identifying fields, as in OutcomeUnknownError
	Nonce    int64             `json:"nonce,omitempty"` // the nonce it carried; 0 without nonces
	SentAt   time.Time         `json:"sent_at"`
	Deadline time.Time         `json:"deadline"` // when the client stops waiting for it
	State    OpState           `json:"state"`
	Result   string            `json:"result,omitempty"` // done: the id it created (withdrawal, transfer, payment)
	// Results, done: the withdrawals a mass withdrawal created (its answer named them, or its
	// reconcile found them): theirs, never another operation's (ReconcileOp's taken).
	Results []string  `json:"results,omitempty"`
	Until   time.Time `json:"until,omitzero"`   // in_flight: not to be settled before; forgotten: when the record was forgotten
	Error   string    `json:"error,omitempty"`  // why it is not settled, or why it was refused (redacted)
	Settled time.Time `json:"settled,omitzero"` // when its outcome became known
	// Unproven, for not_found: no fence proved it (without nonces: only the in-flight window has
	// passed), so asking again gives the same, unproven, answer.
	Unproven bool `json:"unproven,omitempty"`
	// Fenced, for ambiguous: reconciled after a fence (the nonce fence, or the gateway's closed
	// key), so no copy of it can be carried out any more and what the account shows is final: a
	// person who checked it may forget it at once (ForgetOp). A conversion or a transfer to a
	// merchant, which no history lists, is settled so.
	Fenced bool `json:"fenced,omitempty"`
}

// OpState is where an Op stands.
type OpState string

const (
	// OpSending: the request is on its way, or the program that sent it stopped before the
	// answer came (a crash, a killed process, a stopped service worker).
	OpSending OpState = "sending"
	// OpUnknown: the request failed in a way that leaves its outcome unknown.
	OpUnknown OpState = "unknown"
	// OpInFlight: reconciled without nonces, not found yet, and it may still land before Until.
	OpInFlight OpState = "in_flight"
	// OpAmbiguous: reconciling could not tell; a person decides (ForgetOp).
	OpAmbiguous OpState = "ambiguous"
	// OpDone: it was carried out (Result holds the id it created).
	OpDone OpState = "done"
	// OpRefused: the API refused it: nothing moved.
	OpRefused OpState = "refused"
	// OpNotFound: reconciled: it was not carried out, and can no longer be.
	OpNotFound OpState = "not_found"
	// OpForgotten: the trace of a record that was dropped (a settled one after OpRetention, or
	// one a person forgot, ForgetOp): what became of the operation is no longer known here, only
	// that its ID was used. It keeps ID, Cmd, SentAt, Settled (zero if it never settled) and, in
	// Until, when it was forgotten. It is neither listed (Ops) nor holds anything up, but
	// ReconcileOp of its ID answers ambiguous, never "never sent", and the same ID is not sent
	// again.
	OpForgotten OpState = "forgotten"
)

// Unresolved reports whether the operation's outcome is still open. While it is, an identical
// request is refused (PendingOpError). A state this version does not know (a record of a newer
// one, read after a rollback) is open: only a state known to be settled settles it.
func (s OpState) Unresolved() bool {
	return s != OpDone && s != OpRefused && s != OpNotFound && s != OpForgotten
}

// OpRetention is how long a settled operation's record is kept.
const OpRetention = 7 * 24 * time.Hour

// OpForgottenRetention is how long the trace of a forgotten record (OpForgotten) is kept after it
// was forgotten. A trace is a few fields with no amounts or addresses; once it is dropped too,
// nothing in the store tells that the ID was ever used.
//
// Why a trace per record rather than one "records were dropped before T" mark per store key: an
// operation ID carries no time, so such a mark could not tell a dropped operation from one that
// was never recorded (a page names an ID before the record is written; if the runtime stops in
// between, nothing was sent, and ReconcileOp must be able to say so). A trace per ID keeps both
// answers exact, within the OpStore methods every store already has.
const OpForgottenRetention = 400 * 24 * time.Hour

// OpStore keeps operation records per client store key (Client.StoreKey). SaveOp writes (or
// replaces) an op by ID and must be durable when it returns: the client sends nothing until it
// has. Implementations must be safe for concurrent use. A store without ClaimOp (OpClaimer)
// keeps the clients of one process from sending one request twice at once, not processes.
type OpStore interface {
	SaveOp(ctx context.Context, key string, op Op) error
	LoadOps(ctx context.Context, key string) ([]Op, error)
	DeleteOp(ctx context.Context, key, id string) error
}

type opIDKey struct{}
type journaledKey struct{}
type nonceFloorKey struct{}
type fenceKey struct{}
type allowDupKey struct{}
type allowDupUntilKey struct{}

// AllowDuplicate marks the next money call made with ctx as meant to be sent even though the same
// payment was carried out a moment ago (WithDuplicateCheck): a person has seen the earlier one and
// pays again on purpose.
func AllowDuplicate(ctx context.Context) context.Context {
	return context.WithValue(ctx, allowDupKey{}, true)
}

// AllowDuplicateUntil is AllowDuplicate for the payments a person was shown: those carried out
// up to settled (the DuplicateError's Op.Settled, to the millisecond). A payment like it carried
// out after that (the same "pay it again" pressed in another window, which paid it meanwhile) is
// refused as a duplicate again, naming it: one confirmation pays once.
func AllowDuplicateUntil(ctx context.Context, settled time.Time) context.Context {
	return context.WithValue(ctx, allowDupUntilKey{}, settled)
}

// withFence marks the calls made with ctx as a reconcile's (Request.Fence).
func withFence(ctx context.Context) context.Context { return context.WithValue(ctx, fenceKey{}, true) }

func isFence(ctx context.Context) bool { v, _ := ctx.Value(fenceKey{}).(bool); return v }

// WithOperationID names the operation of the next unsafe call made with ctx, so that a caller
// that may lose the answer (a page whose service worker stops) can ask about it by that name
// (Client.ReconcileOp). Without it the client makes a random ID.
func WithOperationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, opIDKey{}, id)
}

// Journaled marks calls made with ctx as recorded by the caller's own journal (the payout
// engine): the client's OpStore neither records them nor refuses them as duplicates. Instead,
// record (when not nil) is called with the operation (its nonce, sent time and deadline) before
// each attempt leaves, and nothing is sent unless it returns nil: so the journal holds exactly
// what Reconcile needs, written before the request could land.
func Journaled(ctx context.Context, record func(context.Context, Op) error) context.Context {
	if record == nil {
		record = func(context.Context, Op) error { return nil }
	}
	return context.WithValue(ctx, journaledKey{}, record)
}

// withNonceFloor makes the nonces of calls made with ctx greater than n (the fence).
func withNonceFloor(ctx context.Context, n int64) context.Context {
	if n <= 0 {
		return ctx
	}
	return context.WithValue(ctx, nonceFloorKey{}, n)
}

func nonceFloor(ctx context.Context) int64 {
	n, _ := ctx.Value(nonceFloorKey{}).(int64)
	return n
}

// NewOpID returns a random operation ID.
func NewOpID() string {
	var b [12]byte
	idrand.Read(b[:])
	return "op_" + hexstr.Encode(b[:])
}

// opRecorder tracks one unsafe call in the OpStore (or the caller's journal).
type opRecorder struct {
	c       *Client
	op      Op
	on      bool // recording in the OpStore
	put     bool // the op is in the store
	journal func(context.Context, Op) error
	// after: the latest settle time of a payment like this one carried out, among the records
	// seen when it was checked and claimed; its own settle time comes after it (settledAfter)
	after time.Time
}

// settledAfter is when an operation settles at now: now, or just after after, the latest
// settle time of a payment like it already carried out, when the clock was set back since. The
// settle times of one payment's repeats keep their order, which AllowDuplicateUntil and the
// duplicate check's naming of the latest rely on: a "Pay it again" allowed up to the payment it
// was shown never allows the repeat another window paid after it.
func settledAfter(now, after time.Time) time.Time {
	if next := time.UnixMilli(after.UnixMilli() + 1); !after.IsZero() && now.Before(next) {
		return next
	}
	return now
}

// notes keeps in r.after the settle time of o when it is a payment like this one carried out.
func (r *opRecorder) notes(o Op) {
	if o.State == OpDone && o.Settled.After(r.after) && o.Cmd == r.op.Cmd && sameOperation(o.Cmd, o.Ref, r.op.Ref) {
		r.after = o.Settled
	}
}

// beginOp checks that no identical call is unresolved and prepares the record. The record is
// written by sending, before each attempt leaves.
func (c *Client) beginOp(ctx context.Context, cmd string, class cmdClass, fields Fields) (*opRecorder, error) {
	r := &opRecorder{c: c}
	if class == classRead {
		return r, nil
	}
	id, _ := ctx.Value(opIDKey{}).(string)
	if id == "" {
		id = NewOpID()
	}
	r.op = Op{ID: id, Cmd: cmd, Ref: refOf(fields)}
	if j, ok := ctx.Value(journaledKey{}).(func(context.Context, Op) error); ok {
		r.journal = j
		return r, nil
	}
	if c.cfg.ops == nil {
		return r, nil
	}
	r.on = true
	ops, err := c.cfg.ops.LoadOps(ctx, c.storeKey)
	if err != nil {
		return nil, &opStoreError{op: "read", err: err}
	}
	now := c.cfg.now()
	var dup *Op
	for _, o := range ops {
		r.notes(o)
		switch {
		case r.conflicts(o):
			return nil, &PendingOpError{Op: o}
		case r.repeats(ctx, o, now):
			if dup == nil || o.Settled.After(dup.Settled) {
				dup = &o
			}
		case o.State == OpForgotten:
			if now.Sub(o.Until) > OpForgottenRetention {
				_ = c.cfg.ops.DeleteOp(ctx, c.storeKey, o.ID)
			}
		case !o.State.Unresolved() && now.Sub(o.Settled) > OpRetention:
			// Replaced by its trace, not deleted: asking about it later must not answer
			// "never sent". If the write fails the record stays as it was, which is safe.
			_ = c.cfg.ops.SaveOp(ctx, c.storeKey, forgottenOp(o, now))
		}
	}
	if dup != nil {
		return nil, &DuplicateError{Op: *dup, Ago: now.Sub(dup.Settled)}
	}
	return r, nil
}

// repeats reports whether o is a payment carried out within the duplicate window
// (WithDuplicateCheck) that this one looks the same as: a withdrawal or a transfer with the same
// fields, whatever the note (sameOperation).
func (r *opRecorder) repeats(ctx context.Context, o Op, now time.Time) bool {
	w := r.c.cfg.dupWindow
	if w <= 0 || o.State != OpDone || o.Cmd != r.op.Cmd || (o.Cmd != "create_withdrawal" && o.Cmd != "create_transfer") {
		return false
	}
	if allow, _ := ctx.Value(allowDupKey{}).(bool); allow {
		return false
	}
	if until, ok := ctx.Value(allowDupUntilKey{}).(time.Time); ok && o.Settled.UnixMilli() <= until.UnixMilli() {
		return false
	}
	// a clock set back since counts as within the window: asking once more costs a click
	return now.Sub(o.Settled) < w && sameOperation(o.Cmd, o.Ref, r.op.Ref)
}

// conflicts reports whether the recorded operation o stops this one from being sent: the same
// operation asked for again (its answer was lost on the way to the person: settled, forgotten or
// not, it is never sent twice), or one that looks the same whose outcome is not settled yet.
func (r *opRecorder) conflicts(o Op) bool {
	return o.ID == r.op.ID || o.State.Unresolved() && o.Cmd == r.op.Cmd && sameOperation(r.op.Cmd, o.Ref, r.op.Ref)
}

// conflictsAt is conflicts for an operation recorded under storeKey, which may be another key's
// or API URL's of the same store: of those, the same operation asked for again under its opId (a
// key rotated since; settled, forgotten or not, it is never sent twice), or one that looks the
// same and is not settled.
func (r *opRecorder) conflictsAt(storeKey string, o Op) bool {
	if storeKey == r.c.storeKey {
		return r.conflicts(o)
	}
	// The same request: while it is unresolved, or ever again under its own operation id (asked
	// for again after a key switch, its answer lost). The same id for another request is another
	// account's or tenant's numbering sharing the store (a server's order ids): not this operation.
	return (o.ID == r.op.ID || o.State.Unresolved()) && o.Cmd == r.op.Cmd && sameOperation(r.op.Cmd, o.Ref, r.op.Ref)
}

// sameOperation reports whether two requests of cmd look like one operation while the first is
// unresolved: the same identifying fields, and for a withdrawal or a transfer whatever their
// notes. A note is often made up for the request (the console gives an empty note a random
// reference): a second withdrawal of the same amount of the same coin to the same address,
// sent while the first may have been carried out, waits until the first is reconciled.
func sameOperation(cmd string, a, b map[string]string) bool {
	anyNote := cmd == "create_withdrawal" || cmd == "create_transfer"
	within := func(x, y map[string]string) bool {
		for k, v := range x {
			// add_tx_fee: the same payout with the fee paid by the other side
			if w, ok := y[k]; (!ok || !sameField(k, w, v)) && !(anyNote && k == "note") && k != "add_tx_fee" {
				return false
			}
		}
		return true
	}
	return within(a, b) && within(b, a)
}

// sameField reports whether two values of field k name the same thing however they are
// written: an amount with or without trailing zeros, a coin in either case, an address in
// either case or with its "bitcoincash:" prefix (CompareSendAddress's forms). A request given
// through call() is sent as written, so "0.10 btc" and "0.1 BTC" are one payment.
func sameField(k, a, b string) bool {
	if a == b {
		return true
	}
	// the field's own name, inside a mass withdrawal's wd[KEY][name]
	if i := strings.LastIndexByte(k, '['); i >= 0 && strings.HasSuffix(k, "]") {
		k = k[i+1 : len(k)-1]
	}
	switch k {
	case "amount":
		x, err1 := ParseAmount(strings.TrimSpace(a))
		y, err2 := ParseAmount(strings.TrimSpace(b))
		return err1 == nil && err2 == nil && x.Cmp(y) == 0
	case "currency", "currency1", "currency2":
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	case "address", "toaddress":
		return canonAddress(a) == canonAddress(b)
	}
	return false
}

// forgottenOp is the trace that replaces o's record when it is forgotten at now: its ID, the
// command and when it was sent (to look it up again by its fields), and when it settled; not its
// fields, outcome or error.
func forgottenOp(o Op, now time.Time) Op {
	return Op{ID: o.ID, Cmd: o.Cmd, SentAt: o.SentAt, State: OpForgotten, Settled: o.Settled, Until: now}
}

// stamp gives an outcome unknown (err, if it is one) what reconcile needs of this operation: its
// id, nonce, send time and deadline. Any other error is returned as it is.
func (r *opRecorder) stamp(err error) error {
	var ou *OutcomeUnknownError
	if errors.As(err, &ou) {
		ou.OpID, ou.Nonce, ou.SentAt, ou.Deadline = r.op.ID, r.op.Nonce, r.op.SentAt, r.op.Deadline
	}
	return err
}

// sending records the op before an attempt leaves.
func (r *opRecorder) sending(ctx context.Context, nonce int64, sentAt, deadline time.Time) error {
	r.op.Nonce, r.op.SentAt, r.op.Deadline, r.op.State = nonce, sentAt, deadline, OpSending
	if r.journal != nil {
		if err := r.journal(ctx, r.op); err != nil {
			return &opStoreError{op: "write", err: err}
		}
		return nil
	}
	if !r.on {
		return nil
	}
	if !r.put {
		cl, ok := r.c.cfg.ops.(OpClaimer)
		if !ok {
			cl = localClaimer{r.c.cfg.ops} // an OpStore of the caller's own making
		}
		// First write: beginOp's check again and the write in one step, so that two processes
		// that both passed beginOp's check (a slow login between it and here) cannot both send;
		// and the only check of the records of the store's other keys and API URLs (a key
		// switched on one state file), made where the claim is atomic.
		// And the duplicate check (WithDuplicateCheck) again: the same payment carried out by
		// another client between beginOp's look and here, or under another key of the store (a
		// key rotated: its unsettled request refused this one until it was settled there, and
		// found, the person comes back and sends it again).
		now := r.c.cfg.now()
		other, k, err := cl.ClaimOp(ctx, r.c.storeKey, r.op, func(k string, o Op) bool {
			r.notes(o)
			return r.conflictsAt(k, o) || r.repeats(ctx, o, now)
		})
		if err != nil {
			return &opStoreError{op: "write", err: err}
		}
		if other != nil && !r.conflictsAt(k, *other) {
			return &DuplicateError{Op: *other, Ago: now.Sub(other.Settled)}
		}
		if other != nil {
			pe := &PendingOpError{Op: *other}
			if k != r.c.storeKey {
				pe.StoreKey = k
			}
			return pe
		}
		r.put = true
		return nil
	}
	if err := r.c.cfg.ops.SaveOp(ctx, r.c.storeKey, r.op); err != nil {
		return &opStoreError{op: "write", err: err}
	}
	r.put = true
	return nil
}

// localClaimer is ClaimOp for an OpStore that has none (one a developer wrote over a database):
// the check of this key's records and the write, with no other client of this process between
// them. Two processes sharing such a store are not kept apart: that takes an OpClaimer.
type localClaimer struct{ s OpStore }

var localClaimMu sync.Mutex

func (l localClaimer) ClaimOp(ctx context.Context, key string, op Op, conflict func(string, Op) bool) (*Op, string, error) {
	localClaimMu.Lock()
	defer localClaimMu.Unlock()
	ops, err := l.s.LoadOps(ctx, key)
	if err != nil {
		return nil, "", err
	}
	for _, o := range ops {
		if conflict(key, o) {
			return &o, key, nil
		}
	}
	return nil, "", l.s.SaveOp(ctx, key, op)
}

// OpClaimer is an OpStore that writes an operation's first record unless a recorded one
// conflicts (returned with the store key it is recorded under, nothing written), in one step that
// no other process can come between (filestore: under its file lock). conflict is asked of the
// records of every store key the store holds.
type OpClaimer interface {
	ClaimOp(ctx context.Context, key string, op Op, conflict func(storeKey string, o Op) bool) (other *Op, otherKey string, err error)
}

// finish settles the record after the call. A failure to update the store is ignored: the op
// stays "sending", which is unresolved, and ReconcileOp settles it.
func (r *opRecorder) finish(ctx context.Context, res *Response, err error) {
	if !r.put {
		return
	}
	var ou *OutcomeUnknownError
	switch {
	case err == nil:
		r.op.State, r.op.Result, r.op.Error = OpDone, resultID(res), ""
		if r.op.Cmd == "create_mass_withdrawal" && res != nil {
			r.op.Results = nil
			for _, v := range res.Result.r.Map() {
				if id := v.Get("id").String(); id != "" && v.Get("error").String() == "ok" {
					r.op.Results = append(r.op.Results, id)
				}
			}
		}
	case asOutcomeUnknown(err, &ou):
		r.op.State, r.op.Error = OpUnknown, ou.Error()
	default:
		r.op.State, r.op.Error = OpRefused, err.Error()
	}
	if !r.op.State.Unresolved() {
		r.op.Settled = settledAfter(r.c.cfg.now(), r.after)
	}
	_ = r.c.cfg.ops.SaveOp(context.WithoutCancel(ctx), r.c.storeKey, r.op)
}

// resultID is the id an answer names: the result's id or txn_id, or a bare string result.
func resultID(res *Response) string {
	if res == nil {
		return ""
	}
	if id := res.Result.Get("id").Text(); id != "" {
		return id
	}
	if id := res.Result.Get("txn_id").Text(); id != "" {
		return id
	}
	if !res.Result.IsObject() && !res.Result.IsArray() {
		return clip(res.Result.Text(), 64)
	}
	return ""
}

// opStoreError: the op could not be recorded, so nothing was sent.
type opStoreError struct {
	op  string
	err error
}

func (e *opStoreError) Error() string {
	return "wallex: cannot " + e.op + " the operation record, nothing was sent: " + e.err.Error()
}
func (e *opStoreError) Unwrap() error { return e.err }

// Ops lists this key's operations whose outcome is still open (none without an OpStore).
func (c *Client) Ops(ctx context.Context) ([]Op, error) {
	if c.cfg.ops == nil {
		return nil, nil
	}
	all, err := c.cfg.ops.LoadOps(ctx, c.storeKey)
	if err != nil {
		return nil, err
	}
	var out []Op
	for _, o := range all {
		if o.State.Unresolved() {
			out = append(out, o)
		}
	}
	return out, nil
}

// ForgetOp drops an operation's record without reconciling it: for a person who has checked
// the account by other means. Nothing is sent. Its trace stays (OpForgotten): the operation no
// longer holds up an identical request, and ReconcileOp of its ID answers ambiguous (the record
// was forgotten), never "never sent".
//
// An unresolved operation is not forgotten while it may still arrive (before its in-flight
// bound, or the later end of an in_flight verdict): no look at the account can tell yet, and an
// identical request sent after forgetting it could land beside it. That refusal is a
// ValidationError of field "operation" that says until when; ReconcileOp settles it at once
// with nonces.
func (c *Client) ForgetOp(ctx context.Context, id string) error {
	if c.cfg.ops == nil {
		return nil
	}
	all, err := c.cfg.ops.LoadOps(ctx, c.storeKey)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ID == id && o.State != OpForgotten {
			now := c.cfg.now()
			if o.State.Unresolved() && !o.SentAt.IsZero() && !(o.State == OpAmbiguous && o.Fenced) {
				// the later of its deadline's bound and its send time's with this client's timeout
				until := c.InFlightUntil(o.SentAt, o.Deadline)
				if u := c.InFlightUntil(o.SentAt, time.Time{}); u.After(until) {
					until = u
				}
				if o.Until.After(until) {
					until = o.Until
				}
				if now.Before(until) {
					return &ValidationError{Field: "operation", Value: id, Problem: "may still arrive until " +
						until.UTC().Format(time.RFC3339) + ", so nothing can show yet that it did not: reconcile it first (with nonces, or through a gateway, that makes sure at once that it can no longer arrive), or forget it after that time"}
				}
			}
			return c.cfg.ops.SaveOp(ctx, c.storeKey, forgottenOp(o, now))
		}
	}
	return nil
}

// ReconcileOp says what became of an operation by its ID, and records the answer. It is safe to
// call at once and as often as needed:
//   - an ID this store never held was never sent by a client using this store (its record is
//     written before a request leaves, and a trace of it outlives the record): not_found,
//     proven. The answer is about this store only: an operation recorded in another store
//     (another state file, another browser profile) must be asked about there;
//   - a settled operation answers from its record (done: found, with the id it created;
//     refused or not_found: not_found);
//   - a forgotten one (OpForgotten) answers ambiguous, not proven: only its history, looked up
//     by its fields, can tell;
//   - an unresolved one is looked up in the history with Reconcile (fenced when the client has
//     nonces) and its record updated; through a gateway (WithGatewayCloseURL) its
//     Idempotency-Key is closed there first, which makes that look final at once (found, or
//     not_found proven) when the gateway closed it.
func (c *Client) ReconcileOp(ctx context.Context, id string) (*ReconcileResult, error) {
	if c.cfg.ops == nil {
		return nil, &ValidationError{Field: "operation", Value: id, Problem: "this client keeps no operation records (WithOpStore)"}
	}
	all, err := c.cfg.ops.LoadOps(ctx, c.storeKey)
	if err != nil {
		return nil, err
	}
	for _, o := range all {
		if o.ID != id {
			continue
		}
		switch o.State {
		case OpDone:
			res := &ReconcileResult{Verdict: Found, Proven: true, Detail: "it was carried out: the answer named " + orNone(o.Result)}
			if o.Result != "" {
				if o.Cmd == "create_transaction" {
					res.TxnIDs = []string{o.Result}
				} else {
					res.Withdrawals = []WithdrawalInfo{{ID: o.Result}}
				}
			}
			return res, nil
		case OpRefused:
			return &ReconcileResult{Verdict: NotFound, Proven: true, Detail: "the API refused it, so nothing moved: " + o.Error}, nil
		case OpNotFound:
			return &ReconcileResult{Verdict: NotFound, Proven: !o.Unproven, Detail: o.Error}, nil
		case OpForgotten:
			return &ReconcileResult{Verdict: Ambiguous, Detail: forgottenDetail(o)}, nil
		}
		// through a gateway, its Idempotency-Key closed first: then the history is final for it
		closed := c.closeAtGateway(ctx, o)
		qs := queriesFromRef(o.Cmd, o.Ref, o.SentAt.Add(-time.Minute))
		// What this store's other operations were answered with (or found to be) is theirs: a
		// history that lists no notes (spec §7.3 lists none) tells two withdrawals of one amount
		// to one address apart only so, and the other's would be "found" for this one, never paid.
		// A mass withdrawal's are all its own (Results).
		taken := map[string]bool{}
		for _, p := range all {
			if p.ID != o.ID && p.State == OpDone {
				taken[p.Result] = true
				for _, id := range p.Results {
					taken[id] = true
				}
			}
		}
		delete(taken, "") // an operation that named no id takes none
		for i := range qs {
			// this store's own record: sent with this key, with o.Nonce or none
			qs[i].Nonce, qs[i].SentAt, qs[i].Deadline, qs[i].SentWith, qs[i].GatewayClosed = o.Nonce, o.SentAt, o.Deadline, c.storeKey, closed
			qs[i].Exclude = taken
		}
		rs, err := c.ReconcileAll(ctx, qs)
		if err != nil {
			return nil, err
		}
		res := mergeResults(rs)
		switch res.Verdict {
		case Found:
			o.State, o.Error = OpDone, ""
			if len(res.Withdrawals) == 1 {
				o.Result = res.Withdrawals[0].ID
			} else if len(res.Withdrawals) > 1 {
				o.Results = nil
				for _, w := range res.Withdrawals {
					o.Results = append(o.Results, w.ID)
				}
			} else if len(res.TxnIDs) == 1 {
				o.Result = res.TxnIDs[0]
			}
		case NotFound:
			o.State, o.Error, o.Unproven = OpNotFound, res.Detail, !res.Proven
		case InFlight:
			o.State, o.Until, o.Error = OpInFlight, res.Until, res.Detail
		default:
			o.State, o.Error, o.Fenced = OpAmbiguous, res.Detail, res.fenced
		}
		if !o.State.Unresolved() {
			r := &opRecorder{op: o}
			for _, p := range all {
				r.notes(p)
			}
			o.Settled = settledAfter(c.cfg.now(), r.after)
		}
		if err := c.cfg.ops.SaveOp(ctx, c.storeKey, o); err != nil {
			return nil, err
		}
		return res, nil
	}
	// Not proven: true of this store only (another store, or this one before it was cleared,
	// may have sent it).
	if _, mem := c.cfg.ops.(*MemoryStore); mem {
		// Records in memory are gone with the process: an earlier run of this program (stopped
		// while the request was on its way) may have sent it, and it may still land.
		return &ReconcileResult{Verdict: NotFound, NoRecord: true, Detail: "no record of operation " + id + " in this store's operation records, which live in memory (no storage keeps them): " +
			"a restart empties them, so an earlier run of this program may have sent it and it may still land: do not send it again on this answer. " +
			"Look it up by its fields (reconcile with its command, amount, coin, address and note: without its nonce it waits out the in-flight window), " +
			"and keep operation records in storage that outlives the process"}, nil
	}
	return &ReconcileResult{Verdict: NotFound, NoRecord: true, Detail: "no record of operation " + id + " in this store's operation records: " +
		"one is always written before a request leaves, and a trace of it is kept for " + errtext.D(OpForgottenRetention/(24*time.Hour)) +
		" days after the record is forgotten, so no client using this store sent it (an operation recorded in another store must be reconciled there)"}, nil
}

// gatewayCloseWindow: how long after it was sent an operation's Idempotency-Key is closed at the
// gateway (closeAtGateway). The gateway keeps a key's record for OpRetention: a key whose record
// was pruned would close as never used. Half of it leaves room for a clock set wrong.
const gatewayCloseWindow = OpRetention / 2

// closeAtGateway closes o's Idempotency-Key at the gateway (WithGatewayCloseURL) and reports
// whether it is closed there: the gateway had no record of it (or closed it before), and refuses
// any request with it from now on, so no copy still on the network can land and the history read
// next is final for it (ReconcileQuery.GatewayClosed). It does not prove by itself that the
// request was never sent: a gateway's records can be lost (its storage replaced, its key
// records' format changed), and the history says whether it was carried out. false in every other
// case (no gateway, answered, in progress, an error, or sent too long ago, or later than now by
// this clock): the history decides, as without it.
func (c *Client) closeAtGateway(ctx context.Context, o Op) bool {
	if age := c.cfg.now().Sub(o.SentAt); c.cfg.closeURL == "" || o.SentAt.IsZero() || age < 0 || age > gatewayCloseWindow {
		return false
	}
	h := c.headers(c.cfg.staticToken)
	h["Content-Type"] = "application/json"
	hr, err := c.cfg.transport.RoundTrip(ctx, &Request{URL: c.cfg.closeURL, Header: h, Body: closeBody(o.ID)})
	return err == nil && hr.Status == 200 && gjson.ParseBytes(hr.Body).Get("state").Str == "closed"
}

// CloseAtGateway is the gateway fence of ReconcileOp (closeAtGateway) for an operation a caller
// records in its own journal (Journaled: a payout batch, whose Op.ID it recorded): through a
// gateway (WithGatewayCloseURL) it closes the Idempotency-Key id, which the request sent at sentAt
// carried, and reports whether it is closed: then set GatewayClosed on its ReconcileQuery, whose
// history read is final (found, or not_found proven). false otherwise (no gateway, answered, in
// progress, an error, too old): Reconcile waits as without it.
func (c *Client) CloseAtGateway(ctx context.Context, id string, sentAt time.Time) bool {
	return c.closeAtGateway(ctx, Op{ID: id, SentAt: sentAt})
}

// closeBody is {"key": id} in JSON. An id the gateway refuses as a key (not 1 to 255 printable
// ASCII characters without spaces) was refused there as a request too: nothing is closed.
func closeBody(id string) []byte {
	return append(jsonw.AppendString([]byte(`{"key":`), id), '}')
}

// forgottenDetail explains the answer for a forgotten record: what it was, and how to find out.
func forgottenDetail(o Op) string {
	s := "the record of operation " + o.ID
	if o.Cmd != "" {
		s += " (" + o.Cmd
		if !o.SentAt.IsZero() {
			s += ", sent " + o.SentAt.UTC().Format(time.RFC3339)
		}
		s += ")"
	}
	if o.Settled.IsZero() {
		s += " was forgotten before it was settled"
	} else {
		s += " was forgotten " + errtext.D(int64(o.Until.Sub(o.Settled)/(24*time.Hour))) + " days after it settled (settled records are kept for " +
			errtext.D(int64(OpRetention/(24*time.Hour))) + " days)"
	}
	s += ", so what became of it is no longer known here: look it up in the history by its fields (its command, amount, currency and address"
	if !o.SentAt.IsZero() {
		s += ", from " + o.SentAt.Add(-time.Minute).UTC().Format(time.RFC3339)
	}
	return s + ") before sending anything again"
}

func orNone(s string) string {
	if s == "" {
		return "no id"
	}
	return s
}

// mergeResults folds the per-payout verdicts of one operation (a mass withdrawal) into one:
// found only when every payout was found, not_found only when none was.
func mergeResults(rs []*ReconcileResult) *ReconcileResult {
	if len(rs) == 1 {
		return rs[0]
	}
	out := &ReconcileResult{Proven: true, fenced: true}
	var found, notFound, inFlight int
	for _, r := range rs {
		out.Withdrawals = append(out.Withdrawals, r.Withdrawals...)
		out.TxnIDs = append(out.TxnIDs, r.TxnIDs...)
		out.Proven = out.Proven && r.Proven
		out.fenced = out.fenced && r.fenced
		if r.Until.After(out.Until) {
			out.Until = r.Until
		}
		switch r.Verdict {
		case Found:
			found++
		case NotFound:
			notFound++
		case InFlight:
			inFlight++
		}
	}
	switch {
	case found == len(rs):
		out.Verdict, out.Detail = Found, "every payout of the operation was found"
	case notFound == len(rs):
		out.Verdict, out.Detail = NotFound, rs[0].Detail
	case found == 0 && inFlight > 0 && notFound+inFlight == len(rs):
		out.Verdict, out.Detail = InFlight, "not in the history yet, and it may still land before the time given"
	default:
		out.Verdict, out.Detail = Ambiguous, "some payouts of the operation were found and others not: check each one"
	}
	return out
}

func copyRef(m map[string]string) map[string]string { return maps.Clone(m) }
