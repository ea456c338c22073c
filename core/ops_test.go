package core_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
	"github.com/wallexkit/wallexkit/sandbox"
)

// The op store records a money request before it leaves; after a lost answer the op stays,
// an identical request is refused (not sent), and ReconcileOp settles it.
func TestOpStoreGuardsAndReconciles(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	store := core.NewMemoryStore()
	c := e.client(core.WithNonces(store), core.WithOpStore(store), core.WithFencePause(10*time.Millisecond))
	ctx := context.Background()
	params := func() *core.WithdrawalParams {
		return &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qops", Note: core.String("order-9")}
	}
	// A definite answer leaves no open op behind, and the record answers for it: a page whose
	// reply was lost after the call asks by its id and learns it was carried out.
	w, err := c.CreateWithdrawal(core.WithOperationID(ctx, "op_done"), &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: "bc1qfine"})
	if err != nil {
		t.Fatal(err)
	}
	if ops, _ := c.Ops(ctx); len(ops) != 0 {
		t.Fatalf("ops after a definite answer: %+v", ops)
	}
	if res, err := c.ReconcileOp(ctx, "op_done"); err != nil || res.Verdict != core.Found || res.Withdrawals[0].ID != w.ID {
		t.Fatalf("ReconcileOp(done) = %+v %v", res, err)
	}
	// The same operation sent again is refused.
	if _, err := c.CreateWithdrawal(core.WithOperationID(ctx, "op_done"), &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: "bc1qfine"}); !errors.As(err, new(*core.PendingOpError)) {
		t.Fatalf("resending a done operation: %v", err)
	}
	// A refused one neither.
	if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "99999", Currency: "BTC", Address: "bc1qfine"}); err == nil {
		t.Fatal("want the API's refusal")
	}
	if ops, _ := c.Ops(ctx); len(ops) != 0 {
		t.Fatalf("ops after a refusal: %+v", ops)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	opctx := core.WithOperationID(ctx, "op_page_1")
	_, err = c.CreateWithdrawal(opctx, params())
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) || ou.OpID != "op_page_1" {
		t.Fatalf("err = %v", err)
	}
	ops, _ := c.Ops(ctx)
	if len(ops) != 1 || ops[0].ID != "op_page_1" || ops[0].State != core.OpUnknown || ops[0].Nonce != ou.Nonce || ops[0].Ref["note"] != "order-9" {
		t.Fatalf("ops = %+v", ops)
	}
	// The same withdrawal again (a second click, the same command re-run) is refused unsent.
	_, err = c.CreateWithdrawal(ctx, params())
	var pe *core.PendingOpError
	if !errors.As(err, &pe) || pe.Op.ID != "op_page_1" || core.CodeOf(err) != "pending_operation" || core.IsRetryable(err) {
		t.Fatalf("err = %v, want PendingOpError", err)
	}
	if n := countTo(t, c, "bc1qops"); n != 1 {
		t.Fatalf("%d withdrawals, want 1", n)
	}
	// The same withdrawal with another note (the console gives an empty note a random reference)
	// is held up too: it would pay the same address the same amount again.
	other := params()
	other.Note = core.String("ref-7f3a")
	if _, err = c.CreateWithdrawal(ctx, other); !errors.As(err, &pe) || pe.Op.ID != "op_page_1" || !strings.Contains(err.Error(), "the same amount of the same coin to the same destination") {
		t.Fatalf("another note: err = %v, want PendingOpError", err)
	}
	// A different withdrawal is not held up.
	if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qother"}); err != nil {
		t.Fatal(err)
	}
	res, err := c.ReconcileOp(ctx, "op_page_1")
	if err != nil || res.Verdict != core.Found || !res.Proven {
		t.Fatalf("ReconcileOp = %+v %v", res, err)
	}
	if ops, _ := c.Ops(ctx); len(ops) != 0 {
		t.Fatalf("ops after a found verdict: %+v", ops)
	}
	// Asking again gives the same answer (the instruction is safe to follow twice).
	if again, err := c.ReconcileOp(ctx, "op_page_1"); err != nil || again.Verdict != core.Found || again.Withdrawals[0].ID != res.Withdrawals[0].ID {
		t.Fatalf("ReconcileOp again = %+v %v", again, err)
	}
	// An op the store never held was never sent with this store: not_found, but not proven (another
	// store, or this one before it was cleared, may have sent it).
	res, err = c.ReconcileOp(ctx, "op_never")
	if err != nil || res.Verdict != core.NotFound || res.Proven || !res.NoRecord {
		t.Fatalf("ReconcileOp(unknown id) = %+v %v", res, err)
	}
	// Reconciled: the merchant may now pay the same again on purpose.
	if _, err := c.CreateWithdrawal(ctx, params()); err != nil {
		t.Fatal(err)
	}
	// A payout file's engine keeps its own journal: Journaled calls skip the op store.
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	_, err = c.CreateWithdrawal(core.Journaled(ctx, nil), &core.WithdrawalParams{Amount: "0.02", Currency: "BTC", Address: "bc1qj"})
	if !errors.As(err, &ou) {
		t.Fatal(err)
	}
	if ops, _ := c.Ops(ctx); len(ops) != 0 {
		t.Fatalf("journaled call recorded: %+v", ops)
	}
}

// A settled record is dropped after OpRetention, but its trace stays: asking about the
// operation later must not answer "never sent, safe to send again" (it was carried out). An ID
// the store never held still answers not_found, proven.
func TestForgottenOpIsNotNeverSent(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newEnv(t, sandbox.Config{Now: clk.now})
	store := core.NewMemoryStore()
	c := e.client(core.WithNonces(store), core.WithOpStore(store), core.WithClock(clk.now), core.WithFencePause(10*time.Millisecond))
	ctx := context.Background()
	wd := func() *core.WithdrawalParams {
		return &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: "bc1qold", Note: core.String("order-old")}
	}
	if _, err := c.CreateWithdrawal(core.WithOperationID(ctx, "op_old"), wd()); err != nil {
		t.Fatal(err)
	}
	if res, err := c.ReconcileOp(ctx, "op_old"); err != nil || res.Verdict != core.Found {
		t.Fatalf("ReconcileOp(op_old) at once = %+v %v", res, err)
	}
	// Eight days on, a new unsafe call prunes the settled record.
	clk.add(core.OpRetention + 24*time.Hour)
	if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: "bc1qnew"}); err != nil {
		t.Fatal(err)
	}
	res, err := c.ReconcileOp(ctx, "op_old")
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict == core.NotFound || res.Proven || res.Verdict != core.Ambiguous ||
		!strings.Contains(res.Detail, "forgotten 8 days after it settled") || !strings.Contains(res.Detail, "(create_withdrawal, sent ") {
		t.Fatalf("ReconcileOp(pruned op) = %+v, want ambiguous, not proven, forgotten", res)
	}
	// The trace is not an open operation: not listed, and it holds nothing up.
	if ops, _ := c.Ops(ctx); len(ops) != 0 {
		t.Fatalf("ops lists the trace: %+v", ops)
	}
	if _, err := c.CreateWithdrawal(ctx, wd()); err != nil {
		t.Fatalf("the same withdrawal as a new operation: %v", err)
	}
	// The forgotten ID itself is still not sent again.
	if _, err := c.CreateWithdrawal(core.WithOperationID(ctx, "op_old"), wd()); !errors.As(err, new(*core.PendingOpError)) {
		t.Fatalf("resending a forgotten operation id: %v", err)
	}
	// Never recorded: never sent from this store (not proven of others), and the answer says which store.
	res, err = c.ReconcileOp(ctx, "op_never_recorded")
	if err != nil || res.Verdict != core.NotFound || res.Proven || !strings.Contains(res.Detail, "in this store's operation records") {
		t.Fatalf("ReconcileOp(never recorded) = %+v %v", res, err)
	}
	// A person forgetting an unsettled operation leaves a trace too.
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	if _, err := c.CreateWithdrawal(core.WithOperationID(ctx, "op_lost"), &core.WithdrawalParams{Amount: "0.02", Currency: "BTC", Address: "bc1qlost"}); !errors.As(err, new(*core.OutcomeUnknownError)) {
		t.Fatalf("want an unknown outcome: %v", err)
	}
	// Not while it may still arrive: nothing can show yet that it did not (found by an audit: the
	// console offered "I checked, forget it" at once, and then the same withdrawal again).
	var ve *core.ValidationError
	if err := c.ForgetOp(ctx, "op_lost"); !errors.As(err, &ve) || ve.Field != "operation" || !strings.Contains(ve.Problem, "may still arrive until") {
		t.Fatalf("ForgetOp while it may still arrive = %v, want refused (field operation, until when)", err)
	}
	if ops, _ := c.Ops(ctx); len(ops) != 1 {
		t.Fatalf("ops after a refused ForgetOp: %+v", ops)
	}
	if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.02", Currency: "BTC", Address: "bc1qlost"}); !errors.As(err, new(*core.PendingOpError)) {
		t.Fatalf("the same withdrawal after a refused ForgetOp: %v, want pending", err)
	}
	clk.add(30*time.Second + 2*time.Minute + time.Second) // the default timeout and in-flight window
	if err := c.ForgetOp(ctx, "op_lost"); err != nil {
		t.Fatal(err)
	}
	if ops, _ := c.Ops(ctx); len(ops) != 0 {
		t.Fatalf("ops after ForgetOp: %+v", ops)
	}
	if res, err := c.ReconcileOp(ctx, "op_lost"); err != nil || res.Verdict != core.Ambiguous || res.Proven || !strings.Contains(res.Detail, "forgotten before it was settled") {
		t.Fatalf("ReconcileOp(forgotten by hand) = %+v %v", res, err)
	}
	// Traces go too, after OpForgottenRetention: then the ID is unknown again.
	clk.add(core.OpForgottenRetention + 24*time.Hour)
	if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.01", Currency: "BTC", Address: "bc1qlater"}); err != nil {
		t.Fatal(err)
	}
	if res, err := c.ReconcileOp(ctx, "op_old"); err != nil || res.Verdict != core.NotFound {
		t.Fatalf("ReconcileOp(trace dropped) = %+v %v", res, err)
	}
}

// Two CLI processes on one state file, nonces off (WALLEX_NONCE=0), the same withdrawal: the
// first process is slow (login, then its withdrawal), the merchant runs the same command again in
// a second terminal. The second process's beginOp looks for an identical unresolved operation
// before its own (slow) login, finds none yet, and writes its record and sends after the login
// without looking again, although by then the first process's record is there, "sending": the
// identical-request guard ("refused while one is unsettled") never fired: paid twice. The first
// write of a record now checks again, in one step under the state file's lock (OpClaimer).
//
// The same with the second process on another key of the account (the key switched in the
// environment, the state file kept): the check under the lock covers every key's records, or the
// two are not kept apart at all.
func TestIdenticalRequestGuardHoldsAcrossProcesses(t *testing.T) {
	for _, otherKey := range []bool{false, true} {
		t.Run(map[bool]string{false: "one key", true: "two keys"}[otherKey], func(t *testing.T) {
			e := newEnv(t, sandbox.Config{})
			path := filepath.Join(t.TempDir(), "state.json")
			proc := func(opts ...core.Option) *core.Client { // one CLI process: its own Store on the shared file
				s, err := filestore.New(path, []byte(e.demo.PrivateKey))
				if err != nil {
					t.Fatal(err)
				}
				return e.client(append([]core.Option{core.WithTokenStore(s), core.WithOpStore(s)}, opts...)...)
			}
			a := proc()
			var b *core.Client
			if otherKey {
				k := e.newKey(nil)
				b = proc(core.WithKeys(k.PublicKey, k.PrivateKey))
			} else {
				b = proc()
			}
			ctx := context.Background()
			params := func() *core.WithdrawalParams {
				return &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qrace", Note: core.String("order-11")}
			}
			// Both processes must log in (no token yet, or it expired), over a slow network; the
			// first one's withdrawal is slow too (still unsettled while the second process gets to send).
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: 400 * time.Millisecond, Cmd: "login"})
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: 600 * time.Millisecond, Cmd: "login"})
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: time.Second, Cmd: "create_withdrawal"})
			// the merchant, impatient, runs it again
			pe := sentOnce(t, ctx, a, b, params, 150*time.Millisecond, "bc1qrace")
			if otherKey && pe.StoreKey == "" {
				t.Errorf("refused as pending without naming the other key's store key: %v", pe)
			}
		})
	}
}

// Two clients of one key on one MemoryStore (the bridge's createClient without storage, a Go
// server that makes a client per request), or one client without nonces (no turn-taking): a
// double-clicked button sends the same withdrawal twice at once. Both pass beginOp's check while
// the first is still logging in; the first record must be claimed, not just written.
func TestIdenticalRequestGuardHoldsOnOneMemoryStore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nonce bool
		two   bool
		own   bool // the developer's own OpStore (a database table): SaveOp, LoadOps, DeleteOp, no ClaimOp
	}{{"two clients, nonces", true, true, false}, {"one client, no nonces", false, false, false},
		{"own store, one client, no nonces", false, false, true}, {"own store, two clients, nonces", true, true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Config{})
			m := core.NewMemoryStore()
			var ops core.OpStore = m
			if tc.own {
				ops = plainOpStore{m}
			}
			opts := []core.Option{core.WithTokenStore(m), core.WithOpStore(ops)}
			if tc.nonce {
				opts = append(opts, core.WithNonces(m))
			}
			a := e.client(opts...)
			b := a
			if tc.two {
				b = e.client(opts...)
			}
			ctx := core.WithOperationID(context.Background(), "order-12")
			params := func() *core.WithdrawalParams {
				return &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qmemrace", Note: core.String("order-12")}
			}
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: 300 * time.Millisecond, Cmd: "login"})
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: 300 * time.Millisecond, Cmd: "login"})
			sentOnce(t, ctx, a, b, params, 50*time.Millisecond, "bc1qmemrace")
		})
	}
}

// plainOpStore is an OpStore with only the interface's three methods, as a developer writes one
// over a database: no OpClaimer.
type plainOpStore struct{ m *core.MemoryStore }

func (p plainOpStore) SaveOp(ctx context.Context, key string, op core.Op) error {
	return p.m.SaveOp(ctx, key, op)
}
func (p plainOpStore) LoadOps(ctx context.Context, key string) ([]core.Op, error) {
	return p.m.LoadOps(ctx, key)
}
func (p plainOpStore) DeleteOp(ctx context.Context, key, id string) error {
	return p.m.DeleteOp(ctx, key, id)
}

// sentOnce sends the withdrawal params makes with a, and after pause the same with b (a click
// again, a command run again), and checks that one was sent to address and the other refused as
// pending; it returns that refusal.
func sentOnce(t *testing.T, ctx context.Context, a, b *core.Client, params func() *core.WithdrawalParams, pause time.Duration, address string) *core.PendingOpError {
	t.Helper()
	var wg sync.WaitGroup
	var errA error
	wg.Add(1)
	go func() { defer wg.Done(); _, errA = a.CreateWithdrawal(ctx, params()) }()
	time.Sleep(pause)
	_, errB := b.CreateWithdrawal(ctx, params())
	wg.Wait()
	var pe *core.PendingOpError
	refused := errors.As(errA, &pe) || errors.As(errB, &pe)
	if n := countTo(t, a, address); n != 1 || !refused {
		t.Fatalf("%d withdrawals to the address (first: %v, second: %v); want 1, the second refused as pending", n, errA, errB)
	}
	return pe
}

// The same operation (its opId) asked for again after the key was switched on one state file (a
// rotated key of the same account; a server retrying a request whose answer it lost). Under the
// first key it was carried out and settled. The guard looked at another key's records only for
// an identical request still unsettled, so the same opId under the new key was sent again: paid
// twice. An operation asked for again is never sent twice, whichever key recorded it.
func TestSameOpIDAfterAKeySwitchIsNotSentAgain(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	path := filepath.Join(t.TempDir(), "state.json")
	proc := func(opts ...core.Option) *core.Client {
		s, err := filestore.New(path, []byte(e.demo.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		return e.client(append([]core.Option{core.WithTokenStore(s), core.WithOpStore(s)}, opts...)...)
	}
	ctx := core.WithOperationID(context.Background(), "order-21")
	params := &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qrotate", Note: core.String("order-21")}
	if _, err := proc().CreateWithdrawal(ctx, params); err != nil {
		t.Fatal(err)
	}
	k := e.newKey(nil)
	_, err := proc(core.WithKeys(k.PublicKey, k.PrivateKey)).CreateWithdrawal(ctx, params)
	if n := countTo(t, proc(), "bc1qrotate"); n != 1 || !errors.As(err, new(*core.PendingOpError)) {
		t.Fatalf("%d withdrawals to the address; the same opId under the new key: %v, want refused as pending", n, err)
	}
}

// A withdrawal is paid, and its answer is lost to the person after it was recorded (the popup
// closed mid-send, the terminal dropped): "it failed" and the same form is sent again, a new
// operation. With the duplicate check (the console's, the CLI's) that second one is refused,
// naming the first, until the person says they mean it (AllowDuplicate); another amount, another
// address and a client without the check are not held up; nor is the same payment after the window.
func TestTheSamePaymentAgainSoonIsRefusedAsAPossibleDuplicate(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	m := core.NewMemoryStore()
	now := time.Now()
	clock := func() time.Time { return now }
	checked := e.client(core.WithTokenStore(m), core.WithOpStore(m), core.WithNonces(m), core.WithClock(clock),
		core.WithDuplicateCheck(core.DuplicateWindow))
	ctx := context.Background()
	wd := func(amount, address, note string) *core.WithdrawalParams {
		return &core.WithdrawalParams{Amount: amount, Currency: "BTC", Address: address, Note: core.String(note)}
	}
	first, err := checked.CreateWithdrawal(ctx, wd("0.2", "bc1qdupe", "wk:aa"))
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(3 * time.Minute)
	_, err = checked.CreateWithdrawal(ctx, wd("0.2", "bc1qdupe", "wk:bb"))
	var de *core.DuplicateError
	if !errors.As(err, &de) || core.CodeOf(err) != core.CodeDuplicate || de.Op.Result != first.ID || de.Ago != 3*time.Minute ||
		!strings.Contains(err.Error(), first.ID) {
		t.Fatalf("the same withdrawal 3 minutes later: %v; want a possible_duplicate naming %s, 3 minutes ago", err, first.ID)
	}
	if n := countTo(t, checked, "bc1qdupe"); n != 1 {
		t.Fatalf("%d withdrawals after the refusal, want 1", n)
	}
	// not held up: another amount, another address, a transfer (another command)
	for _, p := range []*core.WithdrawalParams{wd("0.25", "bc1qdupe", "x"), wd("0.2", "bc1qother", "x")} {
		if _, err := checked.CreateWithdrawal(ctx, p); err != nil {
			t.Fatalf("%s to %s: %v", p.Amount, p.Address, err)
		}
	}
	// meant: sent, and the check then names the latest
	again, err := checked.CreateWithdrawal(core.AllowDuplicate(ctx), wd("0.2", "bc1qdupe", "wk:cc"))
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if _, err := checked.CreateWithdrawal(ctx, wd("0.2", "bc1qdupe", "wk:dd")); !errors.As(err, &de) || de.Op.Result != again.ID {
		t.Fatalf("after a meant repeat: %v; want the repeat named (%s)", err, again.ID)
	}
	// a client without the check (an SDK's server) is not held up
	plain := e.client(core.WithTokenStore(m), core.WithOpStore(m), core.WithNonces(m), core.WithClock(clock))
	if _, err := plain.CreateWithdrawal(ctx, wd("0.2", "bc1qdupe", "srv-1")); err != nil {
		t.Fatal(err)
	}
	// after the window
	now = now.Add(core.DuplicateWindow)
	if _, err := checked.CreateWithdrawal(ctx, wd("0.2", "bc1qdupe", "wk:ee")); err != nil {
		t.Fatalf("the same withdrawal after the window: %v", err)
	}
	if n := countTo(t, checked, "bc1qdupe"); n != 5 {
		t.Fatalf("%d withdrawals to the address, want 5 (first, +0.25, the meant repeat, the server's, after the window)", n)
	}
}

// "Pay it again" pressed in two windows that both showed the same earlier payment
// (AllowDuplicateUntil its Settled: the console's `again`): the first press pays the second
// payment; the other is refused, naming that one, not sent as a third. Also with the clock set
// back (an NTP correction) between the payment shown and the first press: the second payment's
// settle time fell before the one shown, and the other window's press, allowed up to that time,
// paid a third.
func TestPayItAgainPaysOnceForThePaymentItWasShown(t *testing.T) {
	for _, c := range []struct {
		name, address string
		step          time.Duration // the clock's move between the duplicate shown and the first press
	}{
		{"clock steady", "bc1qtwice", time.Second},
		{"clock set back", "bc1qsetback", -10 * time.Minute},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Config{})
			m := core.NewMemoryStore()
			now := time.Now()
			clock := func() time.Time { return now }
			checked := e.client(core.WithTokenStore(m), core.WithOpStore(m), core.WithNonces(m), core.WithClock(clock),
				core.WithDuplicateCheck(core.DuplicateWindow))
			ctx := context.Background()
			wd := func(note string) *core.WithdrawalParams {
				return &core.WithdrawalParams{Amount: "0.2", Currency: "BTC", Address: c.address, Note: core.String(note)}
			}
			if _, err := checked.CreateWithdrawal(ctx, wd("wk:aa")); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Minute)
			var de *core.DuplicateError
			if _, err := checked.CreateWithdrawal(ctx, wd("wk:bb")); !errors.As(err, &de) {
				t.Fatalf("the same withdrawal again: %v, want a possible duplicate", err)
			}
			shown := de.Op.Settled
			now = now.Add(c.step)
			second, err := checked.CreateWithdrawal(core.AllowDuplicateUntil(ctx, shown), wd("wk:cc"))
			if err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Second)
			if _, err := checked.CreateWithdrawal(core.AllowDuplicateUntil(ctx, shown), wd("wk:dd")); !errors.As(err, &de) || de.Op.Result != second.ID {
				t.Fatalf("the other window's Pay it again: %v; want a possible duplicate naming %s", err, second.ID)
			}
			if n := countTo(t, checked, c.address); n != 2 {
				t.Fatalf("%d withdrawals, want 2 (the first and one meant repeat)", n)
			}
		})
	}
}

// loadHook is a MemoryStore (an OpClaimer) that runs hook once, after a LoadOps: what another
// process does between a client's check of the records (beginOp) and its claim (a slow login).
type loadHook struct {
	*core.MemoryStore
	hook func()
}

func (s *loadHook) LoadOps(ctx context.Context, key string) ([]core.Op, error) {
	ops, err := s.MemoryStore.LoadOps(ctx, key)
	if h := s.hook; h != nil {
		s.hook = nil
		h()
	}
	return ops, err
}

// The same withdrawal started twice (two terminals, or a command run again while the first
// still logs in; without nonces nothing serialises them): the second checked the records
// before the first was recorded, and the first was carried out before the second claimed its
// record. The claim must refuse it as a possible duplicate, as beginOp would have: else paid twice.
func TestTheSamePaymentCarriedOutBetweenTheCheckAndTheClaimIsRefused(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	m := core.NewMemoryStore()
	first := e.client(core.WithTokenStore(m), core.WithOpStore(m), core.WithDuplicateCheck(core.DuplicateWindow))
	hooked := &loadHook{MemoryStore: m}
	second := e.client(core.WithTokenStore(m), core.WithOpStore(hooked), core.WithDuplicateCheck(core.DuplicateWindow))
	ctx := context.Background()
	wd := func(note string) *core.WithdrawalParams {
		return &core.WithdrawalParams{Amount: "0.2", Currency: "BTC", Address: "bc1qrace", Note: core.String(note)}
	}
	var paid *core.Withdrawal
	hooked.hook = func() {
		var err error
		if paid, err = first.CreateWithdrawal(ctx, wd("wk:aa")); err != nil {
			t.Error(err)
		}
	}
	_, err := second.CreateWithdrawal(ctx, wd("wk:bb"))
	var de *core.DuplicateError
	if n := countTo(t, first, "bc1qrace"); n != 1 || !errors.As(err, &de) || paid == nil || de.Op.Result != paid.ID {
		t.Fatalf("%d withdrawals to the address; the second: %v, want refused as a possible duplicate of the first", n, err)
	}
}

// The same withdrawal written another way (through Call, as the bridge's call() and the CLI's
// `call` send it): "0.10 btc" to an address in capitals is "0.1 BTC" to it in lower case. While the
// first is unsettled the second is refused; written differently, it was sent.
func TestTheSameRequestWrittenAnotherWayIsTheSame(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	m := core.NewMemoryStore()
	c := e.client(core.WithTokenStore(m), core.WithOpStore(m), core.WithNonces(m), core.WithDuplicateCheck(core.DuplicateWindow))
	ctx := context.Background()
	addr := "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	_, err := c.Call(ctx, "create_withdrawal", core.Fields{"amount": "0.10", "currency": "btc", "address": strings.ToUpper(addr), "note": "a"})
	if !errors.As(err, new(*core.OutcomeUnknownError)) {
		t.Fatalf("first: %v, want an unknown outcome", err)
	}
	_, err = c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr, Note: core.String("b")})
	if !errors.As(err, new(*core.PendingOpError)) {
		t.Fatalf("the same withdrawal written another way while the first is unsettled: %v, want refused as pending", err)
	}
	ops, _ := c.Ops(ctx)
	if _, err := c.ReconcileOp(ctx, ops[0].ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Call(ctx, "create_withdrawal", core.Fields{"amount": "0.1000", "currency": "Btc", "address": addr, "note": "c"})
	if !errors.As(err, new(*core.DuplicateError)) {
		t.Fatalf("the same withdrawal written another way after the first was found: %v, want a possible duplicate", err)
	}
}

// A key rotated on one store (the console's storage, the CLI's state file) while a withdrawal of
// the old key is unsettled: the same withdrawal under the new key is refused, naming the old
// key's store: "settle it there, then come back". Settled there, it was found: carried out. Back
// under the new key, the same withdrawal (as the refusal said to) was sent: the duplicate check
// looked at the new key's records only, and the old key's done record was not a possible
// duplicate. Paid twice. A payment the store recorded as done is one whichever key recorded it.
func TestTheSamePaymentDoneUnderAnotherKeyIsAPossibleDuplicate(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	m := core.NewMemoryStore()
	old := e.client(core.WithTokenStore(m), core.WithOpStore(m), core.WithNonces(m), core.WithDuplicateCheck(core.DuplicateWindow))
	k := e.newKey(nil)
	rotated := e.client(core.WithTokenStore(m), core.WithOpStore(m), core.WithNonces(m), core.WithDuplicateCheck(core.DuplicateWindow),
		core.WithKeys(k.PublicKey, k.PrivateKey))
	ctx := context.Background()
	wd := func(note string) *core.WithdrawalParams {
		return &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qrotdupe", Note: core.String(note)}
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	_, err := old.CreateWithdrawal(ctx, wd("a"))
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("first: %v, want an unknown outcome", err)
	}
	var pe *core.PendingOpError
	if _, err := rotated.CreateWithdrawal(ctx, wd("b")); !errors.As(err, &pe) || pe.StoreKey != old.StoreKey() {
		t.Fatalf("under the new key while the old key's is unsettled: %v, want refused as pending under the old key", err)
	}
	// what it says to do names where: the new key's ReconcileOp has no record of it
	if !strings.Contains(pe.Error(), "with a client of the API key and URL it was sent with (store key "+old.StoreKey()+")") {
		t.Fatalf("the refusal does not say which key to reconcile it with: %v", pe)
	}
	// settled there: found
	if r, err := old.ReconcileOp(ctx, ou.OpID); err != nil || r.Verdict != core.Found {
		t.Fatalf("reconcile under the old key: %v, %v; want found", r, err)
	}
	// "then come back": the same withdrawal under the new key
	_, err = rotated.CreateWithdrawal(ctx, wd("c"))
	var de *core.DuplicateError
	if n := countTo(t, old, "bc1qrotdupe"); n != 1 || !errors.As(err, &de) || de.Op.ID != ou.OpID {
		t.Fatalf("%d withdrawals to the address; the same one under the new key after the old key's was found: %v, want a possible duplicate of %s", n, err, ou.OpID)
	}
}

// A record a newer version wrote, in a state this version does not know (a rollback: the CLI
// replaced by an older one while a withdrawal of the newer one is unsettled), read by this one:
// it was neither unresolved (the same withdrawal was sent again) nor kept (the next money call
// replaced it by a trace, its Settled time being zero). A state not known to be settled is
// unsettled: the same request is refused, and ReconcileOp looks it up.
func TestAnOpInAStateOfANewerVersionStaysUnsettled(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	path := filepath.Join(t.TempDir(), "state.json")
	s, err := filestore.New(path, []byte(e.demo.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(core.WithTokenStore(s), core.WithOpStore(s))
	ctx := context.Background()
	sent := time.Now().Add(-time.Second).UTC()
	rec := core.Op{ID: "op_newer", Cmd: "create_withdrawal", SentAt: sent, Deadline: sent.Add(30 * time.Second), State: core.OpState("closing"),
		Ref: map[string]string{"amount": "0.3", "currency": "BTC", "address": "bc1qnewer", "note": "n"}}
	if err := s.SaveOp(ctx, c.StoreKey(), rec); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qnewer", Note: core.String("n")})
	var pe *core.PendingOpError
	if n := countTo(t, c, "bc1qnewer"); n != 0 || !errors.As(err, &pe) || pe.Op.ID != "op_newer" {
		t.Fatalf("the same withdrawal with one of a newer version unsettled: %d sent (%v), want 0, refused as pending", n, err)
	}
}
