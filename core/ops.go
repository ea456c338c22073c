package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"time"
)

// Op is a request that is not safe to repeat (a money command or create_transaction), recorded
// in an OpStore before it leaves, so that its outcome can be found again after a lost answer, a
// crash, or a restarted runtime (a browser stops an extension's service worker at will).
//
// An Op in the store is unresolved: its request left and no definite answer was recorded. The
// client removes it when the answer arrives (carried out, or refused), and ReconcileOp removes it
// once the history proves what happened.
type Op struct {
	ID       string            `json:"id"`
	Cmd      string            `json:"cmd"`
	Ref      map[string]string `json:"ref"`             // identifying fields, as in OutcomeUnknownError
	Nonce    int64             `json:"nonce,omitempty"` // the nonce it carried; 0 without nonces
	SentAt   time.Time         `json:"sent_at"`
	Deadline time.Time         `json:"deadline"` // when the client stops waiting for it
	State    OpState           `json:"state"`
	Error    string            `json:"error,omitempty"` // why the outcome is unknown (redacted)
}

// OpState is where an unresolved Op stands.
type OpState string

const (
	// OpSending: the request is on its way, or the program that sent it stopped before the
	// answer came (a crash, a killed process, a stopped service worker).
	OpSending OpState = "sending"
	// OpUnknown: the client saw the request fail in a way that leaves its outcome unknown.
	OpUnknown OpState = "unknown"
)

// OpStore keeps unresolved operations per client store key (Client.StoreKey). SaveOp writes
// (or replaces) an op by ID and must be durable when it returns: the client sends nothing until
// it has. Implementations must be safe for concurrent use.
type OpStore interface {
	SaveOp(ctx context.Context, key string, op Op) error
	LoadOps(ctx context.Context, key string) ([]Op, error)
	DeleteOp(ctx context.Context, key, id string) error
}

type opIDKey struct{}
type journaledKey struct{}
type nonceFloorKey struct{}

// WithOperationID names the operation of the next unsafe call made with ctx, so that a caller
// that may lose the answer (a page whose service worker stops) can reconcile it by that name.
// Without it the client makes a random ID.
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
	_, _ = rand.Read(b[:])
	return "op_" + hex.EncodeToString(b[:])
}

func sameRef(a, b map[string]string) bool { return maps.Equal(a, b) }

// opRecorder tracks one unsafe call in the OpStore.
type opRecorder struct {
	c       *Client
	op      Op
	on      bool // recording (an OpStore is set and the call is not journaled by its caller)
	put     bool // the op is in the store
	journal func(context.Context, Op) error
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
	r.op.ID = id
	if j, ok := ctx.Value(journaledKey{}).(func(context.Context, Op) error); ok {
		r.op.Cmd, r.op.Ref, r.journal = cmd, refOf(fields), j
		return r, nil
	}
	if c.cfg.ops == nil {
		return r, nil
	}
	r.on = true
	ref := refOf(fields)
	ops, err := c.cfg.ops.LoadOps(ctx, c.storeKey)
	if err != nil {
		return nil, &opStoreError{op: "read", err: err}
	}
	for _, o := range ops {
		if o.Cmd == cmd && sameRef(o.Ref, ref) {
			return nil, &PendingOpError{Op: o}
		}
	}
	r.op = Op{ID: id, Cmd: cmd, Ref: ref}
	return r, nil
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
	if err := r.c.cfg.ops.SaveOp(ctx, r.c.storeKey, r.op); err != nil {
		return &opStoreError{op: "write", err: err}
	}
	r.put = true
	return nil
}

// finish settles the record after the call: removed on a definite outcome, kept (unknown) when
// the outcome is unknown. A failure to update the store is ignored: the op stays "sending",
// which is also unresolved, and Reconcile settles it.
func (r *opRecorder) finish(ctx context.Context, err error) {
	if !r.put {
		return
	}
	var ou *OutcomeUnknownError
	if asOutcomeUnknown(err, &ou) {
		r.op.State, r.op.Error = OpUnknown, ou.Error()
		_ = r.c.cfg.ops.SaveOp(context.WithoutCancel(ctx), r.c.storeKey, r.op)
		return
	}
	_ = r.c.cfg.ops.DeleteOp(context.WithoutCancel(ctx), r.c.storeKey, r.op.ID)
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

// Ops lists the unresolved operations of this client's key (none without an OpStore).
func (c *Client) Ops(ctx context.Context) ([]Op, error) {
	if c.cfg.ops == nil {
		return nil, nil
	}
	return c.cfg.ops.LoadOps(ctx, c.storeKey)
}

// ForgetOp drops an unresolved operation without reconciling it: for a person who has checked
// the account by other means. Nothing is sent.
func (c *Client) ForgetOp(ctx context.Context, id string) error {
	if c.cfg.ops == nil {
		return nil
	}
	return c.cfg.ops.DeleteOp(ctx, c.storeKey, id)
}

// ReconcileOp reconciles an unresolved operation by its ID and removes it from the store once
// the verdict is final (found, or a proven not_found). An ID the store does not hold never left:
// its record is written before the request is sent, so the answer is a proven not_found.
func (c *Client) ReconcileOp(ctx context.Context, id string) (*ReconcileResult, error) {
	ops, err := c.Ops(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range ops {
		if o.ID != id {
			continue
		}
		qs := queriesFromRef(o.Cmd, o.Ref, o.SentAt.Add(-time.Minute))
		for i := range qs {
			qs[i].Nonce, qs[i].SentAt, qs[i].Deadline = o.Nonce, o.SentAt, o.Deadline
		}
		res, err := c.ReconcileAll(ctx, qs)
		if err != nil {
			return nil, err
		}
		out := mergeResults(res)
		if out.Final() {
			if err := c.ForgetOp(ctx, id); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if c.cfg.ops == nil {
		return nil, &ValidationError{Field: "operation", Value: id, Problem: "this client keeps no operation records (WithOpStore)"}
	}
	return &ReconcileResult{Verdict: NotFound, Proven: true, Detail: "operation " + id + " was never sent: no record of it was written, and one is always written before a request leaves"}, nil
}

// mergeResults folds the per-payout verdicts of one operation (a mass withdrawal) into one:
// found only when every payout was found, not_found only when none was and that is proven.
func mergeResults(rs []*ReconcileResult) *ReconcileResult {
	if len(rs) == 1 {
		return rs[0]
	}
	out := &ReconcileResult{Proven: true}
	var found, notFound int
	for _, r := range rs {
		out.Withdrawals = append(out.Withdrawals, r.Withdrawals...)
		out.TxnIDs = append(out.TxnIDs, r.TxnIDs...)
		out.Proven = out.Proven && r.Proven
		if r.Until.After(out.Until) {
			out.Until = r.Until
		}
		switch r.Verdict {
		case Found:
			found++
		case NotFound:
			notFound++
		}
	}
	switch {
	case found == len(rs):
		out.Verdict, out.Detail = Found, "every payout of the operation was found"
	case notFound == len(rs):
		out.Verdict, out.Detail = NotFound, rs[0].Detail
	case !out.Until.IsZero() && found+notFound < len(rs):
		out.Verdict, out.Detail = InFlight, "some payouts may still be on their way"
	default:
		out.Verdict, out.Detail = Ambiguous, "some payouts of the operation were found and others not: check each one"
	}
	return out
}

func copyRef(m map[string]string) map[string]string { return maps.Clone(m) }
