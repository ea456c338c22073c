package payout_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/payout"
	"github.com/wallexkit/wallexkit/sandbox"
)

// otherKeyClient is a client of the account's second API key: another tool configured with its
// own key, whose nonces no fence of the first key covers.
func otherKeyClient(t *testing.T, e *env) *core.Client {
	t.Helper()
	k2, err := e.sb.CreateKey(e.demo.MerchantID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.client(true, core.WithKeys(k2.PublicKey, k2.PrivateKey))
}

// opener opens f's journal j with o, once per call: the console opens a Run for every step.
func opener(t *testing.T, ctx context.Context, f *payout.File, j payout.Journal, o payout.OpenOptions) func() *payout.Run {
	return func() *payout.Run {
		r, err := payout.Open(ctx, f, j, o)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

// stepUntilSend steps r (waiting holds) until its next Step would send a batch.
func stepUntilSend(t *testing.T, ctx context.Context, r *payout.Run, c *core.Client, batch int) {
	t.Helper()
	for range 30 {
		if r.Next() == payout.SentBatch {
			return
		}
		res, err := r.Step(ctx, c, payout.StepOptions{Batch: batch})
		if err != nil {
			t.Fatal(err)
		}
		if !res.More {
			s := r.Summary()
			time.Sleep(time.Until(s.WaitUntil) + 20*time.Millisecond)
		}
	}
	t.Fatal("never ready to send")
}

// A session whose rows have an unknown outcome (not pending): rows reconciled to pending are
// covered by the session's own look and hold before they are sent, while another run's batch is
// still held by the network.
func TestUnknownRowsAreHeldBeforeTheyAreSent(t *testing.T) {
	for _, tc := range []struct {
		name         string
		nonces       bool
		second       bool
		rows, aBatch int
	}{
		{name: "another key, all unknown", nonces: true, second: true, rows: 4, aBatch: 25},
		{name: "no nonces, all unknown", rows: 4, aBatch: 25},
		{name: "another key, some unknown some pending", nonces: true, second: true, rows: 8, aBatch: 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			f := file(t, tc.rows, "audit-unknown-"+tc.name)
			ca := e.client(tc.nonces)
			var opts []core.Option
			if tc.second {
				k2, err := e.sb.CreateKey(e.demo.MerchantID, nil)
				if err != nil {
					t.Fatal(err)
				}
				opts = append(opts, core.WithKeys(k2.PublicKey, k2.PrivateKey))
			}
			cb := e.client(tc.nonces, opts...)
			// A: its first batch gets a reset (nothing carried out, outcome unknown); the CLI exits.
			ja := &payout.MemoryJournal{}
			ra, err := payout.Open(ctx, f, ja, payout.OpenOptions{Session: "A1"})
			if err != nil {
				t.Fatal(err)
			}
			stepUntilSend(t, ctx, ra, ca, tc.aBatch)
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultReset, Cmd: "create_mass_withdrawal"})
			sendNext(t, ctx, ra, ca, tc.aBatch, nil)
			t.Logf("A: %s", ra.Summary().Next)
			ra.Close()
			// B (another tool, fresh journal): scans, holds, sends the whole file; the network
			// holds the batch and B's process dies.
			rb, err := payout.Open(ctx, f, &dropAfterSending{Journal: &payout.MemoryJournal{}}, payout.OpenOptions{Session: "B1"})
			if err != nil {
				t.Fatal(err)
			}
			stepUntilSend(t, ctx, rb, cb, 25)
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 800 * time.Millisecond, Cmd: "create_mass_withdrawal"})
			sendNext(t, ctx, rb, cb, 25, nil)
			rb.Close()
			// At once, A's advice ("run it again to reconcile them (it is safe at once...)"): a new
			// CLI process, one Open, one session.
			ra, err = payout.Open(ctx, f, ja, payout.OpenOptions{RetryFailed: true, Session: "A2"})
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				res, err := ra.Step(ctx, ca, payout.StepOptions{Batch: 25})
				t.Logf("A2 step: %s lines %v err %v", res.Action, res.Lines, err)
				if err != nil || !res.More || res.Action == payout.SentBatch {
					break
				}
			}
			ra.Close()
			time.Sleep(900 * time.Millisecond)
			assertOnce(t, e, f, tc.nonces)
		})
	}
}

// Two versions of a file (an edited copy) run at once: the version whose hold ends while the
// other is paying finds the other's payouts as "another version" (ambiguous) and holds again, and
// each run's look before a batch sees the other version's payouts too.
func TestTwoVersionsOfAFileAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c1, c2 := e.client(true), e.client(true)
	f1 := file(t, 9, "audit-v1")
	var b strings.Builder
	b.WriteString("address,currency,amount,memo\n# checked by finance\n")
	for _, row := range f1.Rows {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", row.Address, row.Currency, row.Amount.Text(), row.Memo)
	}
	f2 := payout.Parse("audit-v2.csv", []byte(b.String()), payout.Options{})
	r1, err := payout.Open(ctx, f1, &payout.MemoryJournal{}, payout.OpenOptions{Session: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := payout.Open(ctx, f2, &payout.MemoryJournal{}, payout.OpenOptions{Session: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	// both look and hold (v2 started a moment after v1)
	for _, x := range []struct {
		r *payout.Run
		c *core.Client
	}{{r1, c1}, {r2, c2}} {
		if res, err := x.r.Step(ctx, x.c, payout.StepOptions{Batch: 3}); err != nil || res.Action != payout.Scanned {
			t.Fatal(res, err)
		}
	}
	// v1's hold ends first (wait for the later of the two, as the spread is random), v1 pays lines 2-4
	time.Sleep(time.Until(r1.Summary().WaitUntil.Add(0)) + 20*time.Millisecond)
	time.Sleep(time.Until(r2.Summary().WaitUntil) + 20*time.Millisecond)
	stepUntilSend(t, ctx, r1, c1, 3)
	res, err := r1.Step(ctx, c1, payout.StepOptions{Batch: 3})
	t.Logf("v1: %s %v %v", res.Action, res.Lines, err)
	// v2's hold ends: it finds lines 2-4 paid by v1 (ambiguous) and, without holding again, sends
	for range 4 {
		res, err := r2.Step(ctx, c2, payout.StepOptions{Batch: 3})
		t.Logf("v2: %s %v %v held=%d", res.Action, res.Lines, err, r2.Summary().Held)
		if res.Action == payout.SentBatch || err != nil {
			break
		}
	}
	// v1 goes on with its next batch: its look before the batch does not see v2's payouts
	res, err = r1.Step(ctx, c1, payout.StepOptions{Batch: 3})
	t.Logf("v1: %s %v %v", res.Action, res.Lines, err)
	paid := paidPerAddress(t, ctx, c1)
	for _, row := range f1.Rows {
		if paid[row.Address] > 1 {
			t.Errorf("line %d (%s) paid %d times", row.Line, row.Address, paid[row.Address])
		}
	}
}

// A new session (the CLI run again "after that time") does not adopt the hold an earlier session
// of the same journal wrote (Ctrl-C during the hold): it holds for its own bound, so a batch
// another run sent shortly before this session started, still held by the network, lands first.
func TestANewSessionHoldsForItself(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := file(t, 4, "audit-adopt")
	ca, cb := e.client(true), otherKeyClient(t, e)
	ja := &payout.MemoryJournal{}
	ra, err := payout.Open(ctx, f, ja, payout.OpenOptions{Session: "A1"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := ra.Step(ctx, ca, payout.StepOptions{}); err != nil || res.Action != payout.Scanned {
		t.Fatal(res, err)
	}
	aUntil := ra.Summary().WaitUntil
	ra.Close() // Ctrl-C during the hold: "run it again after that time"
	time.Sleep(300 * time.Millisecond)
	// B (another key, fresh journal) starts during A's hold; it holds, sends; the network holds its batch; B dies
	rb, err := payout.Open(ctx, f, &dropAfterSending{Journal: &payout.MemoryJournal{}}, payout.OpenOptions{Session: "B1"})
	if err != nil {
		t.Fatal(err)
	}
	stepUntilSend(t, ctx, rb, cb, 25)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 800 * time.Millisecond, Cmd: "create_mass_withdrawal"})
	sendNext(t, ctx, rb, cb, 25, nil)
	rb.Close()
	t.Logf("A's hold ended %v ago; B's batch is on its way", time.Since(aUntil).Round(time.Millisecond))
	// A is run again after its hold's time (a new process, a new session)
	ra, err = payout.Open(ctx, f, ja, payout.OpenOptions{RetryFailed: true, Session: "A2"})
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		res, err := ra.Step(ctx, ca, payout.StepOptions{Batch: 25})
		t.Logf("A2 step: %s lines %v err %v held=%d", res.Action, res.Lines, err, ra.Summary().Held)
		if err != nil || !res.More || res.Action == payout.SentBatch {
			break
		}
	}
	ra.Close()
	time.Sleep(900 * time.Millisecond)
	assertOnce(t, e, f, true)
}

// The same, the console's way: every step is its own Open with the press's session (the bridge).
// Batch 1 (lines 2-5) unknown, lines 6-9 pending; another run (another key) sends all rows and
// dies with its batch held; Resume is pressed at once.
func TestUnknownRowsAreHeldInConsoleSteps(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := file(t, 8, "audit-console")
	ca, cb := e.client(true), otherKeyClient(t, e)
	ja := &payout.MemoryJournal{}
	ra, err := payout.Open(ctx, f, ja, payout.OpenOptions{Session: "ps_1"})
	if err != nil {
		t.Fatal(err)
	}
	stepUntilSend(t, ctx, ra, ca, 4)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultReset, Cmd: "create_mass_withdrawal"})
	sendNext(t, ctx, ra, ca, 4, nil)
	ra.Close() // the tab is closed
	rb, err := payout.Open(ctx, f, &dropAfterSending{Journal: &payout.MemoryJournal{}}, payout.OpenOptions{Session: "B"})
	if err != nil {
		t.Fatal(err)
	}
	stepUntilSend(t, ctx, rb, cb, 25)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 800 * time.Millisecond, Cmd: "create_mass_withdrawal"})
	sendNext(t, ctx, rb, cb, 25, nil)
	rb.Close()
	// Resume: payoutStep per step, session ps_2
	for range 6 {
		r, err := payout.Open(ctx, f, ja, payout.OpenOptions{Session: "ps_2"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Step(ctx, ca, payout.StepOptions{Batch: 10})
		r.Close()
		t.Logf("console step: %s lines %v err %v", res.Action, res.Lines, err)
		if err != nil || !res.More || res.Action == payout.SentBatch {
			break
		}
	}
	time.Sleep(900 * time.Millisecond)
	assertOnce(t, e, f, true)
}

// A run silent between two batches for longer than a bound (a laptop asleep, a CLI suspended, a
// console page between steps, a library Run kept open) looks and holds again before it sends:
// another run (another key) that started during the pause, looked, held and sent a batch that the
// network still holds lands first. It went on sending, and the batch was paid twice.
func TestAPausedRunHoldsAgain(t *testing.T) {
	for _, console := range []bool{false, true} {
		name := "same Run"
		if console {
			name = "console steps, one session"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			f := file(t, 9, "pause-"+name)
			ca, cb := e.client(true), otherKeyClient(t, e)
			ja := &payout.MemoryJournal{}
			const session = "ps_A"
			open := opener(t, ctx, f, ja, payout.OpenOptions{Session: session})
			// A: scan, hold, look, first batch (lines 2-4)
			ra := open()
			stepUntilSend(t, ctx, ra, ca, 3)
			if res, err := ra.Step(ctx, ca, payout.StepOptions{Batch: 3}); err != nil || res.Action != payout.SentBatch {
				t.Fatal(res, err)
			}
			if console {
				ra.Close() // the step's Open ends; the page awaits its next step (the machine sleeps)
			}
			pausedAt := time.Now()
			// B (another key, fresh journal) starts during A's pause: it finds A's 3 rows, holds,
			// looks again (A sent nothing meanwhile), sends the rest; the network holds B's batch.
			bRunsDuringThePause(t, ctx, e, f, cb)
			// A wakes up and goes on with its next step, in the same session
			if console {
				ra = open()
			}
			res, err := ra.Step(ctx, ca, payout.StepOptions{Batch: 3})
			t.Logf("A's step %v after its pause: %s lines %v err %v", time.Since(pausedAt).Round(time.Millisecond), res.Action, res.Lines, err)
			ra.Close()
			checkOnce(t, e, f, true)
		})
	}
}

// A run's look finds rows that an earlier run held and another run has paid since: they are sent,
// not held (Held and Until cleared), so the CLI's confirmation does not list them as payouts to make.
func TestALookClearsTheHoldOfRowsFound(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := file(t, 6, "held-found")
	c := e.client(true)
	j := &payout.MemoryJournal{}
	r, err := payout.Open(ctx, f, j, payout.OpenOptions{Session: "S1"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := r.Step(ctx, c, payout.StepOptions{}); err != nil || res.Action != payout.Scanned {
		t.Fatal(res, err)
	}
	r.Close() // Ctrl-C during the hold
	// another run pays lines 2-3
	var items []core.MassWithdrawalItem
	for _, row := range f.Rows[:2] {
		note := row.Note
		items = append(items, core.MassWithdrawalItem{Key: row.Key, Amount: row.Amount.Text(), Currency: row.Currency, Address: row.Address, Note: &note})
	}
	if _, err := e.client(true).CreateMassWithdrawal(ctx, items); err != nil {
		t.Fatal(err)
	}
	// the CLI run again at once (a new process, a new session) before S1's hold is over
	r2, err := payout.Open(ctx, f, j, payout.OpenOptions{RetryFailed: true, Session: "S2"})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if res, err := r2.Step(ctx, c, payout.StepOptions{}); err != nil || res.Action != payout.Scanned {
		t.Fatal(res, err)
	}
	todo := 0 // what cmd_mass.go's held() would confirm
	for _, p := range r2.Rows() {
		if p.State == payout.Pending || p.Held {
			todo++
		}
		if p.State != payout.InFlight && p.Held {
			t.Errorf("line %d is %s but still Held (until %v): the CLI confirms it as a payout to make", p.Line, p.State, p.Until)
		}
	}
	if s := r2.Summary(); todo != 4 || s.Held != 4 || s.Reconciled != 2 {
		t.Errorf("summary %+v; the CLI would confirm 'pay %d payouts' (%d of %d rows (%d already sent))", s, todo, todo, s.Rows, s.Sent)
	}
}

// stepUntilSendClock is stepUntilSend with the run's clock.
func stepUntilSendClock(t *testing.T, ctx context.Context, r *payout.Run, c *core.Client, batch int, clock func() time.Time) {
	t.Helper()
	for range 30 {
		if r.Next() == payout.SentBatch {
			return
		}
		res, err := r.Step(ctx, c, payout.StepOptions{Batch: batch})
		if err != nil {
			t.Fatal(err)
		}
		if !res.More {
			time.Sleep(r.Summary().WaitUntil.Sub(clock()) + 20*time.Millisecond)
		}
	}
	t.Fatal("never ready to send")
}

// bRunsDuringThePause: B (fresh journal, client cb) looks, holds, looks again, sends the rest;
// the network holds B's batch and B's process dies.
func bRunsDuringThePause(t *testing.T, ctx context.Context, e *env, f *payout.File, cb *core.Client) {
	t.Helper()
	rb, err := payout.Open(ctx, f, &dropAfterSending{Journal: &payout.MemoryJournal{}}, payout.OpenOptions{Session: "B"})
	if err != nil {
		t.Fatal(err)
	}
	stepUntilSend(t, ctx, rb, cb, 25)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 800 * time.Millisecond, Cmd: "create_mass_withdrawal"})
	sendNext(t, ctx, rb, cb, 25, nil)
	rb.Close()
}

func aWakes(t *testing.T, ctx context.Context, open func() *payout.Run, ra *payout.Run, c *core.Client, pausedAt time.Time) {
	t.Helper()
	for range 6 {
		if ra == nil {
			ra = open()
		}
		res, err := ra.Step(ctx, c, payout.StepOptions{Batch: 3})
		t.Logf("A's step %v after its pause: %s lines %v err %v held=%d", time.Since(pausedAt).Round(time.Millisecond), res.Action, res.Lines, err, ra.Summary().Held)
		if open != nil {
			ra.Close()
			ra = nil
		}
		if err != nil || !res.More || res.Action == payout.SentBatch {
			break
		}
	}
	if ra != nil {
		ra.Close()
	}
}

func checkOnce(t *testing.T, e *env, f *payout.File, nonces bool) {
	t.Helper()
	time.Sleep(900 * time.Millisecond)
	paid := e.paidPerNote(nonces)
	for _, row := range f.Rows {
		if paid[row.Note] > 1 {
			t.Errorf("line %d paid %d times", row.Line, paid[row.Note])
		}
	}
}

// sendOneThenLoseOne has r send its first batch of 3, then the answer of its second is lost (a
// reset: nothing carried out, the outcome unknown to r).
func sendOneThenLoseOne(t *testing.T, ctx context.Context, e *env, r *payout.Run, c *core.Client) {
	t.Helper()
	stepUntilSend(t, ctx, r, c, 3)
	if res, err := r.Step(ctx, c, payout.StepOptions{Batch: 3}); err != nil || res.Action != payout.SentBatch {
		t.Fatal(res, err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultReset, Cmd: "create_mass_withdrawal"})
	res, err := r.Step(ctx, c, payout.StepOptions{Batch: 3})
	t.Logf("batch 2: %s %v %v; %s", res.Action, res.Lines, err, r.Summary().Next)
}

// A's batch has an unknown outcome (reset: nothing carried out); A pauses (a laptop asleep) before
// its next step; B runs during the pause. A wakes: its look settles the rows to pending, and that
// look is not activity another run could see: A holds before it sends them.
func TestAnUnknownBatchLookedUpAfterAPauseIsHeld(t *testing.T) {
	for _, console := range []bool{false, true} {
		name := "same Run"
		if console {
			name = "console steps"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			f := file(t, 9, "unknown-pause-"+name)
			ca, cb := e.client(true), otherKeyClient(t, e)
			ja := &payout.MemoryJournal{}
			open := opener(t, ctx, f, ja, payout.OpenOptions{Session: "ps_A"})
			ra := open()
			sendOneThenLoseOne(t, ctx, e, ra, ca)
			var keep *payout.Run
			if console {
				ra.Close()
			} else {
				keep = ra
			}
			pausedAt := time.Now()
			bRunsDuringThePause(t, ctx, e, f, cb)
			if console {
				aWakes(t, ctx, open, nil, ca, pausedAt)
			} else {
				aWakes(t, ctx, nil, keep, ca, pausedAt)
			}
			checkOnce(t, e, f, true)
		})
	}
}

// Nonces off: A's last batch has an unknown outcome, in flight until a bound (not held). A waits much
// longer than that (asleep); B runs meanwhile. A wakes: the rows are due and not found (B's batch
// is held by the network); A holds before it sends them.
func TestNoncesOffInFlightRowsAfterAPauseAreHeld(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := file(t, 6, "inflight-pause")
	ca, cb := e.client(false), e.client(false)
	ja := &payout.MemoryJournal{}
	ra, err := payout.Open(ctx, f, ja, payout.OpenOptions{Session: "ps_A"})
	if err != nil {
		t.Fatal(err)
	}
	sendOneThenLoseOne(t, ctx, e, ra, ca)
	res, err := ra.Step(ctx, ca, payout.StepOptions{Batch: 3})
	t.Logf("A: %s %v %v; %s", res.Action, res.Lines, err, ra.Summary().Next)
	pausedAt := time.Now()
	bRunsDuringThePause(t, ctx, e, f, cb)
	aWakes(t, ctx, nil, ra, ca, pausedAt)
	checkOnce(t, e, f, false)
}

// A clock 10 minutes fast that is set right during the pause (NTP after a wake): the journal's
// times are in the future; the run's last activity is the newest entry's, and a time ahead of now
// holds too, so a console step sees the pause.
func TestAClockSetBackDuringAPauseIsSeen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := file(t, 9, "skew-pause")
	var off atomic.Int64
	off.Store(int64(10 * time.Minute))
	clock := func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
	ca, cb := e.client(false, core.WithClock(clock)), e.client(false)
	ja := &payout.MemoryJournal{}
	open := opener(t, ctx, f, ja, payout.OpenOptions{Session: "ps_A", Now: clock})
	ra := open()
	stepUntilSendClock(t, ctx, ra, ca, 3, clock)
	if res, err := ra.Step(ctx, ca, payout.StepOptions{Batch: 3}); err != nil || res.Action != payout.SentBatch {
		t.Fatal(res, err)
	}
	ra.Close()
	pausedAt := time.Now()
	off.Store(0) // the clock is set right
	bRunsDuringThePause(t, ctx, e, f, cb)
	aWakes(t, ctx, open, nil, ca, pausedAt)
	checkOnce(t, e, f, false)
}
