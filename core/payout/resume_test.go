package payout_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/payout"
	"github.com/wallexkit/wallexkit/sandbox"
)

// runToRest steps a run until it has nothing more to do in this process, waiting out holds.
func runToRest(t *testing.T, ctx context.Context, r *payout.Run, c *core.Client, batch int) payout.Summary {
	t.Helper()
	for range 60 {
		res, err := r.Step(ctx, c, payout.StepOptions{Batch: batch})
		if err != nil {
			t.Logf("step error: %v", err)
			break
		}
		if !res.More {
			if s := r.Summary(); s.Held > 0 && s.Held == s.InFlight {
				time.Sleep(time.Until(s.WaitUntil) + 20*time.Millisecond)
				continue
			}
			break
		}
	}
	return r.Summary()
}

// A run resumed after another run paid later rows of the file than its next batch (B's rows 5-7
// were refused, 8-10 paid): the look before A's first batch reads past B's payouts, so it must
// take them all, not only its batch's; the look before A's next batch reads only newer ones.
func TestResumedAfterAnotherRunPaidLaterRows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("address,currency,amount,memo\n")
	for i := range 9 {
		coin := "BTC"
		if i >= 3 && i < 6 {
			coin = "LTC" // lines 5-7
		}
		fmt.Fprintf(&b, "%s,%s,0.0%d,row %d\n", sandbox.NewAddress(coin), coin, 1+i, i)
	}
	f := payout.Parse("peektop.csv", []byte(b.String()), payout.Options{})
	if len(f.Problems) > 0 {
		t.Fatal(f.Problems)
	}
	c := e.client(true)
	// A (the CLI, journal JA): pays lines 2-4, then the person stops it (Ctrl-C between batches).
	ja := &payout.MemoryJournal{}
	ra, err := payout.Open(ctx, f, ja, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sendNext(t, ctx, ra, c, 3, nil)
	ra.Close()
	// B (the console, its own journal): the LTC balance is short, so lines 5-7 are refused and
	// lines 8-10 are paid.
	if err := e.sb.SetBalances(e.demo.MerchantID, map[string]string{"LTC": "0.001"}); err != nil {
		t.Fatal(err)
	}
	rb, err := payout.Open(ctx, f, &payout.MemoryJournal{}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sb := runToRest(t, ctx, rb, c, 3)
	rb.Close()
	t.Logf("B: %+v", sb)
	// The person tops LTC up and runs the CLI again ("run it again to send them").
	if err := e.sb.SetBalances(e.demo.MerchantID, map[string]string{"LTC": "1000"}); err != nil {
		t.Fatal(err)
	}
	ra, err = payout.Open(ctx, f, ja, payout.OpenOptions{RetryFailed: true})
	if err != nil {
		t.Fatal(err)
	}
	sa := runToRest(t, ctx, ra, c, 3)
	ra.Close()
	t.Logf("A resumed: %+v", sa)
	assertOnce(t, e, f, true)
}

// A journal resumed (not new) while a batch that another run sent (and died) is still held by the
// network: every session that will send looks and holds first, not only a journal's first.
func TestResumedJournalHoldsFirst(t *testing.T) {
	for _, tc := range []struct {
		name   string
		nonces bool
		second bool // B uses another API key of the account
	}{
		{name: "another key", nonces: true, second: true},
		{name: "no nonces"},
		{name: "same key, nonces (control)", nonces: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			f := file(t, 9, "resumed-"+tc.name)
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
			// A pays lines 2-4 and stops (Ctrl-C between batches).
			ja := &payout.MemoryJournal{}
			ra, err := payout.Open(ctx, f, ja, payout.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			sendNext(t, ctx, ra, ca, 3, nil)
			ra.Close()
			// B (another tool, fresh journal) takes over; its first batch (lines 5-7) is held by
			// the network and B's process dies.
			rb, err := payout.Open(ctx, f, &dropAfterSending{Journal: &payout.MemoryJournal{}}, payout.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// scan + hold + reconcile first, then the fault for B's send
			for range 20 {
				if rb.Next() == payout.SentBatch {
					break
				}
				res, err := rb.Step(ctx, cb, payout.StepOptions{Batch: 3})
				if err != nil {
					t.Fatal(err)
				}
				if !res.More {
					s := rb.Summary()
					time.Sleep(time.Until(s.WaitUntil) + 20*time.Millisecond)
				}
			}
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 800 * time.Millisecond, Cmd: "create_mass_withdrawal"})
			sendNext(t, ctx, rb, cb, 3, nil)
			rb.Close()
			// At once, the person runs A again ("run it again to send them").
			s := follow(t, ctx, f, ja, ca, 3)
			t.Logf("A resumed: %+v", s)
			time.Sleep(900 * time.Millisecond)
			assertOnce(t, e, f, tc.nonces)
		})
	}
}

// Version 1 of a file resumed from its journal after version 2 (edited) paid rows of it: the
// session's look finds them as payouts of another version (ambiguous), never pays them again.
func TestOlderVersionResumedAfterAnEditedOne(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(true)
	f1 := file(t, 6, "v1")
	j1 := &payout.MemoryJournal{}
	r1, err := payout.Open(ctx, f1, j1, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sendNext(t, ctx, r1, c, 3, nil) // lines 2-4 paid; the person stops
	r1.Close()
	var b strings.Builder
	b.WriteString("address,currency,amount,memo\n# checked by finance\n")
	for i := len(f1.Rows) - 1; i >= 0; i-- {
		row := f1.Rows[i]
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", row.Address, row.Currency, row.Amount.Text(), row.Memo)
	}
	f2 := payout.Parse("v2.csv", []byte(b.String()), payout.Options{})
	r2, err := payout.Open(ctx, f2, &payout.MemoryJournal{}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s2 := runToRest(t, ctx, r2, c, 3)
	r2.Close()
	t.Logf("v2: %+v", s2)
	// v1 again, from its journal (its last advice: "3 payout(s) are not sent yet: run it again")
	r1, err = payout.Open(ctx, f1, j1, payout.OpenOptions{RetryFailed: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("v1 advice before resuming: %s", r1.Summary().Next)
	s1 := runToRest(t, ctx, r1, c, 3)
	r1.Close()
	t.Logf("v1 resumed: %+v", s1)
	paid := paidPerAddress(t, ctx, c)
	for _, row := range f1.Rows {
		if paid[row.Address] != 1 {
			t.Errorf("line %d of v1 (%s) paid %d times", row.Line, row.Address, paid[row.Address])
		}
	}
}

// The look at a hold's end finds rows paid meanwhile, and its read for rows of other versions
// fails: nothing changes (the rows stay held, with their time), and the hold-again for the rows
// paid meanwhile is not lost, in the same run or the next.
func TestHoldEndWhoseLookFailsChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := file(t, 6, "evErr")
	c := e.client(true)
	j := &payout.MemoryJournal{}
	r, err := payout.Open(ctx, f, j, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if res, err := r.Step(ctx, c, payout.StepOptions{Batch: 2}); err != nil || res.Action != payout.Scanned {
		t.Fatal(res, err)
	}
	// another run of the file pays lines 2-3 during the hold
	other := e.client(true)
	var items []core.MassWithdrawalItem
	for _, row := range f.Rows[:2] {
		note := row.Note
		items = append(items, core.MassWithdrawalItem{Key: row.Key, Amount: row.Amount.Text(), Currency: row.Currency, Address: row.Address, Note: &note})
	}
	if _, err := other.CreateMassWithdrawal(ctx, items); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(r.Summary().WaitUntil) + 20*time.Millisecond)
	// fence, search, search after the pause pass; earlierVersions' history read fails (and its retry)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: time.Millisecond, Count: 3, Cmd: "get_withdrawal_history"})
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultStatus, Count: 4, Cmd: "get_withdrawal_history"})
	_, err = r.Step(ctx, c, payout.StepOptions{Batch: 2})
	t.Logf("step at hold end: %v", err)
	e.sb.ClearFaults()
	s := r.Summary()
	if s.Held != 6 || s.WaitUntil.IsZero() || s.WaitUntil.Year() < 2000 {
		t.Fatalf("after the error: %+v", s)
	}
	// the library caller steps again (Step's doc: the next Step settles it safely)
	for range 4 {
		res, err := r.Step(ctx, c, payout.StepOptions{Batch: 2})
		t.Logf("step: %+v %v held=%d", res.Action, err, r.Summary().Held)
		if res.Action == payout.SentBatch {
			t.Errorf("a batch left right after rows of the file were found paid meanwhile (no hold-again): lines %v", res.Lines)
			break
		}
	}
	r.Close()
	// the next run of this journal
	r2, err := payout.Open(ctx, f, j, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	for range 3 {
		res, err := r2.Step(ctx, c, payout.StepOptions{Batch: 2})
		t.Logf("next run: %+v %v held=%d", res.Action, err, r2.Summary().Held)
		if res.Action == payout.SentBatch {
			t.Errorf("next run sent lines %v at once: the hold-again for rows paid meanwhile was lost", res.Lines)
			break
		}
		if !res.More {
			break
		}
	}
}
