package payout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/core/payout"
	"github.com/wallexkit/wallexkit/sandbox"
)

// One payout file, several runs of it: other tools, journals, API keys, clocks, and versions of
// the file. Each of these paid rows twice before a journal's first run held its rows for one
// in-flight bound, before a batch looked for rows paid elsewhere, and before an edited file's
// rows were compared with the earlier version's payouts.

// startAndDie sends the file's first batch from a run whose process dies while the network holds
// the batch (it lands 800 ms later).
func startAndDie(t *testing.T, e *env, f *payout.File, c *core.Client) {
	t.Helper()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 800 * time.Millisecond, Cmd: "create_mass_withdrawal"})
	r, err := payout.Open(context.Background(), f, &dropAfterSending{Journal: &payout.MemoryJournal{}}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Step(context.Background(), c, payout.StepOptions{}); err != nil { // the first look-up
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // a person reads the confirmation
	sendNext(t, context.Background(), r, c, 25, nil)
	r.Close()
}

// A run whose batch the network holds dies; the file is run again at once from a fresh journal
// by another run, which must not pay the held batch's rows again:
//   - fresh journal: another state directory or machine, with or without nonces;
//   - another key: its fence does not cover the first key's nonces;
//   - slower clock: the second tool's clock is a minute behind the first one's, so its fence nonce
//     is below the held batch's.
func TestResumedWhileABatchIsHeld(t *testing.T) {
	for _, tc := range []struct {
		name   string
		nonces bool
		first  []core.Option
		second func(e *env) []core.Option
	}{
		{name: "fresh journal, nonces", nonces: true},
		{name: "fresh journal, no nonces"},
		{name: "another key", nonces: true, second: func(e *env) []core.Option {
			k2, err := e.sb.CreateKey(e.demo.MerchantID, nil)
			if err != nil {
				e.t.Fatal(err)
			}
			return []core.Option{core.WithKeys(k2.PublicKey, k2.PrivateKey)}
		}},
		{name: "slower clock", nonces: true, first: []core.Option{core.WithClock(func() time.Time { return time.Now().Add(time.Minute) })}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			f := file(t, 4, tc.name)
			startAndDie(t, e, f, e.client(tc.nonces, tc.first...))
			var second []core.Option
			if tc.second != nil {
				second = tc.second(e)
			}
			follow(t, context.Background(), f, &payout.MemoryJournal{}, e.client(tc.nonces, second...), 25)
			time.Sleep(900 * time.Millisecond)
			assertOnce(t, e, f, tc.nonces)
		})
	}
}

// A run going on while another run of the file, in another journal, paid rows in between (the CLI
// and the console, or two state directories): before its next batch it takes every row the other
// paid as paid, its next batch's and the later ones', and no row is paid twice.
func TestTwoJournalsTakingTurns(t *testing.T) {
	e := newEnv(t)
	f := file(t, 9, "turns")
	ctx := context.Background()
	ca, cb := e.client(true), e.client(true)
	ra, err := payout.Open(ctx, f, &payout.MemoryJournal{}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	sendNext(t, ctx, ra, ca, 3, nil) // A pays lines 2-4, and pauses (a person has not pressed Resume)
	// B runs the file to the end: it finds A's rows, holds the rest, then pays them.
	if s := follow(t, ctx, f, &payout.MemoryJournal{}, cb, 3); s.Reconciled != 3 || s.SentNow != 6 {
		t.Fatalf("B: %+v", s)
	}
	// A goes on (the same run): before its next batch leaves it finds the rows B paid.
	res, err := ra.Step(ctx, ca, payout.StepOptions{Batch: 3})
	if err != nil || res.Action != payout.Reconciled {
		t.Fatalf("A's next step = %+v, %v; want the rows B paid taken as paid", res, err)
	}
	if s := ra.Summary(); !s.Done || s.Reconciled != 6 || s.SentNow != 3 {
		t.Fatalf("A after its look: %+v", s)
	}
	ra.Close()
	assertOnce(t, e, f, true)
	if s := e.sb.Stats(e.demo.PublicKey).ByCmd["create_mass_withdrawal"]; s != 3 {
		t.Fatalf("%d batches sent, want 3 (A's one, B's two)", s)
	}
}

// The same, with a history that lists no ids (left out, or null: results are [compat], spec §7.3):
// the look before A's next batch read only the items newer than the newest one its last look saw,
// by id, and stopped at the first item whose id was "" (its last look's mark, "" as well): it saw
// nothing, and A paid again the rows B had paid.
func TestTwoJournalsTakingTurnsWithAHistoryWithoutIDs(t *testing.T) {
	e := newEnv(t)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultOmit, Field: "id", Cmd: "get_withdrawal_history", Count: 10000})
	f := file(t, 9, "turns-noid")
	ctx := context.Background()
	ca, cb := e.client(true), e.client(true)
	ra, err := payout.Open(ctx, f, &payout.MemoryJournal{}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	sendNext(t, ctx, ra, ca, 3, nil) // A pays lines 2-4, and pauses
	follow(t, ctx, f, &payout.MemoryJournal{}, cb, 3)
	// A goes on to the end within its own bound (its tool has a longer timeout than B's, so its
	// pause while B ran is no silence that makes it hold again): only its look before each batch
	// can see the rows B paid
	ca = e.client(true, core.WithInFlightWindow(time.Minute))
	for range 20 {
		res, err := ra.Step(ctx, ca, payout.StepOptions{Batch: 3})
		if err != nil {
			t.Fatal(err)
		}
		if !res.More {
			break
		}
	}
	ra.Close()
	assertOnce(t, e, f, true)
}

// Two runs of the file going on at once, each in its own journal, each followed to the end.
func TestTwoJournalsAtOnce(t *testing.T) {
	e := newEnv(t)
	f := file(t, 30, "atonce")
	ctx := context.Background()
	ra, err := payout.Open(ctx, f, &payout.MemoryJournal{}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ca := e.client(true)
	sendNext(t, ctx, ra, ca, 3, nil) // A is under way when B starts
	done := make(chan payout.Summary)
	go func() {
		for {
			res, err := ra.Step(ctx, ca, payout.StepOptions{Batch: 3})
			if err != nil || !res.More {
				done <- ra.Summary()
				return
			}
			time.Sleep(40 * time.Millisecond) // A's batches keep coming while B looks
		}
	}()
	sb := follow(t, ctx, f, &payout.MemoryJournal{}, e.client(true), 3)
	sa := <-done
	ra.Close()
	if !sb.Done || sb.SentNow != 0 {
		t.Fatalf("B sent rows that A was paying: A %+v, B %+v", sa, sb)
	}
	assertOnce(t, e, f, true)
}

// A file partly paid, then edited (a comment added, rows moved, a paid row's memo corrected) and
// run from a fresh journal (the console; the CLI from another path): its rows have a new tag, and
// the rows paid from the first version are ambiguous, never paid again, the one whose memo was
// corrected too; the rest are paid.
func TestEditedFileDoesNotPayAgain(t *testing.T) {
	e := newEnv(t)
	f1 := file(t, 6, "edited")
	ctx := context.Background()
	c := e.client(true)
	r, err := payout.Open(ctx, f1, &payout.MemoryJournal{}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sendNext(t, ctx, r, c, 3, nil) // lines 2-4 paid
	r.Close()
	var b strings.Builder
	b.WriteString("address,currency,amount,memo\n# checked by finance\n")
	for i := len(f1.Rows) - 1; i >= 0; i-- { // another order: other line numbers
		row := f1.Rows[i]
		memo := row.Memo
		if i == 1 {
			memo = "row 1 corrected" // an edited memo: still the same payout
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", row.Address, row.Currency, row.Amount.Text(), memo)
	}
	f2 := payout.Parse("edited-v2.csv", []byte(b.String()), payout.Options{})
	if len(f2.Problems) > 0 || f2.Tag == f1.Tag {
		t.Fatal(f2.Problems, f2.Tag)
	}
	r2, err := payout.Open(ctx, f2, &payout.MemoryJournal{}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	stepToEnd(t, ctx, r2, c, 3)
	s := r2.Summary()
	if s.Ambiguous != 3 || s.SentNow != 3 || s.Next == "" || !strings.Contains(s.Next, "ambiguous") {
		t.Fatalf("edited file: %+v", s)
	}
	memoEdited := 0
	for _, row := range r2.Rows() {
		if row.State == payout.Ambiguous && !strings.Contains(row.Error, "another version of this file") {
			t.Fatalf("line %d: %q", row.Line, row.Error)
		}
		if row.State == payout.Ambiguous && strings.Contains(row.Error, `(memo "row 1"): if it is this payout, it is paid; to pay it again on purpose, put it in a new file after `) {
			memoEdited++
		}
	}
	if memoEdited != 1 {
		t.Fatalf("the row whose memo was edited: %+v", r2.Rows())
	}
	paid := paidPerAddress(t, ctx, c)
	for _, row := range f1.Rows {
		if paid[row.Address] != 1 {
			t.Errorf("%s (line %d of the first version) paid %d times, want 1", row.Address, row.Line, paid[row.Address])
		}
	}
}

// A clock 10 minutes fast: a batch carried out whose answer was lost is found again.
func TestFastClockFindsALostBatch(t *testing.T) {
	e := newEnv(t)
	f := file(t, 3, "fastclock")
	clk := func() time.Time { return time.Now().Add(10 * time.Minute) }
	c := e.client(true, core.WithClock(clk))
	ctx := context.Background()
	j := &payout.MemoryJournal{}
	r, err := payout.Open(ctx, f, j, payout.OpenOptions{Now: clk})
	if err != nil {
		t.Fatal(err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_mass_withdrawal"})
	sendNext(t, ctx, r, c, 25, clk)
	r.Close()
	for range 4 {
		r, err := payout.Open(ctx, f, j, payout.OpenOptions{Now: clk})
		if err != nil {
			t.Fatal(err)
		}
		for {
			res, err := r.Step(ctx, c, payout.StepOptions{})
			if err != nil || !res.More {
				break
			}
		}
		r.Close()
	}
	assertOnce(t, e, f, true)
}

// asTheAPIListsIt is a transport that lists the history as the API does (spec §7.3): no
// send_address before a withdrawal is complete, and, with noNotes, no note at all.
func asTheAPIListsIt(t *testing.T, noNotes bool) core.Transport {
	inner := nethttp.New(nil)
	return core.TransportFunc(func(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
		hr, err := inner.RoundTrip(ctx, req)
		if err != nil || hr == nil || !strings.Contains(string(req.Body), "cmd=get_withdrawal_history") {
			return hr, err
		}
		var ans map[string]any
		if json.Unmarshal(hr.Body, &ans) != nil {
			return hr, err
		}
		items, _ := ans["result"].([]any)
		for _, it := range items {
			w, _ := it.(map[string]any)
			if st, _ := w["status"].(float64); st != 2 {
				w["send_address"] = ""
			}
			if noNotes {
				delete(w, "note")
			}
		}
		b, jerr := json.Marshal(ans)
		if jerr != nil {
			t.Fatal(jerr)
		}
		return &core.HTTPResponse{Status: hr.Status, Header: hr.Header, Body: b}, nil
	})
}

// A withdrawal of the same coin and amount, made without a note and still awaiting its email
// confirmation (the history lists no address for it yet), makes a row of a new file ambiguous for
// good: once it is confirmed and complete (another address), the row was still never paid, and no
// step of the tool ever looked again.
func TestALookAlikeAwaitingConfirmationDoesNotBlockARowForGood(t *testing.T) {
	e := newEnv(t)
	f := file(t, 2, "lookalike")
	ctx := context.Background()
	c := e.client(true, core.WithTransport(asTheAPIListsIt(t, false)))
	w, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: f.Rows[0].Amount.Text(), Currency: "BTC", Address: sandbox.NewAddress("BTC")})
	if err != nil {
		t.Fatal(err)
	}
	j := &payout.MemoryJournal{}
	r, err := payout.Open(ctx, f, j, payout.OpenOptions{Session: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Step(ctx, c, payout.StepOptions{}); err != nil { // the scan
		t.Fatal(err)
	}
	s := r.Summary()
	r.Close()
	if s.Ambiguous == 0 && s.Held == 0 {
		t.Fatalf("a look-alike awaiting confirmation settled nothing either way: %+v", r.Rows())
	}
	for _, p := range r.Rows() {
		if p.Line == f.Rows[0].Line && !strings.Contains(p.Error, w.ID) {
			t.Errorf("line %d is not sent but does not name the withdrawal to check (%s): %q", p.Line, w.ID, p.Error)
		}
	}
	// The merchant checks: it is another payment, confirmed and sent to its own address.
	if _, err := e.sb.CompleteWithdrawal(w.ID); err != nil {
		t.Fatal(err)
	}
	follow(t, ctx, f, j, c, 25)
	assertOnce(t, e, f, true)
}

// The API lists no note and no address before completion: a batch whose answer was lost, looked
// up while its withdrawals are pending, is ambiguous for good, though once they are complete the
// history tells them apart by address.
func TestALostBatchLookedUpBeforeItCompletesIsNotAmbiguousForGood(t *testing.T) {
	e := newEnv(t)
	f := file(t, 3, "lostpending")
	ctx := context.Background()
	c := e.client(true, core.WithTransport(asTheAPIListsIt(t, true)))
	j := &payout.MemoryJournal{}
	r, err := payout.Open(ctx, f, j, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_mass_withdrawal"})
	sendNext(t, ctx, r, c, 25, nil)
	r.Close()
	r, err = payout.Open(ctx, f, j, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Step(ctx, c, payout.StepOptions{}); err != nil { // reconcile, withdrawals pending
		t.Fatal(err)
	}
	r.Close()
	// They complete; the history now lists their addresses.
	for w, err := range e.client(true).WithdrawalHistory(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.sb.CompleteWithdrawal(w.ID); err != nil {
			t.Fatal(err)
		}
	}
	s := follow(t, ctx, f, j, c, 25)
	if s.Reconciled != 3 {
		t.Fatalf("summary = %+v", s)
	}
	assertOnce(t, e, f, true)
}

// The same edited file, against a history that gives no readable time_created (an API that leaves
// it out or dates it in another form): the payout of the row whose memo was edited cannot be
// dated, so "within the day" cannot be ruled out. It was taken as older than a day and the row
// paid again.
func TestEditedFileDoesNotPayAgainWhenTheHistoryGivesNoTimes(t *testing.T) {
	e := newEnv(t)
	f1 := file(t, 4, "undated")
	ctx := context.Background()
	c := e.client(true)
	r, err := payout.Open(ctx, f1, &payout.MemoryJournal{}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sendNext(t, ctx, r, c, 2, nil) // lines 2-3 paid
	r.Close()
	var b strings.Builder
	b.WriteString("address,currency,amount,memo\n")
	for i, row := range f1.Rows {
		memo := row.Memo
		if i == 1 {
			memo = "row 1 corrected" // an edited memo: still the same payout
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", row.Address, row.Currency, row.Amount.Text(), memo)
	}
	f2 := payout.Parse("undated-v2.csv", []byte(b.String()), payout.Options{})
	if len(f2.Problems) > 0 || f2.Tag == f1.Tag {
		t.Fatal(f2.Problems, f2.Tag)
	}
	if err := e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultOmit, Field: "time_created", Cmd: "get_withdrawal_history", Count: 10000}); err != nil {
		t.Fatal(err)
	}
	r2, err := payout.Open(ctx, f2, &payout.MemoryJournal{}, payout.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	stepToEnd(t, ctx, r2, c, 3)
	e.sb.ClearFaults()
	paid := paidPerAddress(t, ctx, c)
	for _, row := range f1.Rows {
		if paid[row.Address] != 1 {
			t.Errorf("%s (line %d of the first version) paid %d times, want 1", row.Address, row.Line, paid[row.Address])
		}
	}
	for _, row := range r2.Rows() {
		if row.State == payout.Ambiguous && strings.Contains(row.Error, "0001-") {
			t.Errorf("line %d names a time the history did not give: %q", row.Line, row.Error)
		}
	}
}

// stepToEnd steps r until it has nothing more to do, waiting out its holds; a step error fails
// the test.
func stepToEnd(t *testing.T, ctx context.Context, r *payout.Run, c *core.Client, batch int) {
	t.Helper()
	for range 20 {
		res, err := r.Step(ctx, c, payout.StepOptions{Batch: batch})
		if err != nil {
			t.Fatal(err)
		}
		if !res.More {
			if s := r.Summary(); s.Held > 0 {
				time.Sleep(time.Until(s.WaitUntil) + 20*time.Millisecond)
				continue
			}
			return
		}
	}
}

// paidPerAddress counts the account's withdrawals by destination address.
func paidPerAddress(t *testing.T, ctx context.Context, c *core.Client) map[string]int {
	t.Helper()
	paid := map[string]int{}
	for w, err := range c.WithdrawalHistory(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		paid[w.SendAddress]++
	}
	return paid
}
