package payout_test

// A seeded "hostile network" property test of the payout engine: a file of about 12 rows run in
// batches through a transport that loses, holds, duplicates and delays requests (the hostile
// network of core/internal/chaosnet), the run killed at random points (mid-batch: its later journal
// writes lost; or between steps: the Run dropped) and started again on the same journal, following
// only the engine's advice (run again, wait until the time it gives, Retry refused rows only when it
// calls them refused). Invariant, against the sandbox's ledger: each row paid at most once under
// every seed; with nonces, every row paid exactly once at the end. `WALLEX_CHAOS_SEEDS=N go test
// -run Chaos ./core/payout/` runs N more random seeds.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/internal/chaosnet"
	"github.com/wallexkit/wallexkit/core/payout"
	"github.com/wallexkit/wallexkit/sandbox"
)

// dyingJournal is a process's view of the journal: once the process is killed, nothing it appends
// reaches it.
type dyingJournal struct {
	*payout.MemoryJournal
	dead *atomic.Bool
}

func (d dyingJournal) Append(ctx context.Context, es []payout.Entry) error {
	if d.dead.Load() {
		return errors.New("process gone")
	}
	return d.MemoryJournal.Append(ctx, es)
}

func runPayoutChaos(t *testing.T, seed uint64, nonces bool) (fail string) {
	const timeout, window = 30 * time.Second, 2 * time.Minute
	rng := rand.New(rand.NewPCG(seed, 11))
	clk := chaosnet.NewClock(time.Now())
	sb, err := sandbox.New(sandbox.Config{Now: clk.Now, TokenTTL: time.Duration(1+seed%8) * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	demo := sb.Demo()
	// a balance that may not cover the file: some rows refused (nothing moved), retried once it is
	// topped up
	if err := sb.SetBalances(demo.MerchantID, map[string]string{"BTC": []string{"1000", "0.1", "0.2"}[rng.IntN(3)]}); err != nil {
		t.Fatal(err)
	}
	tr := chaosnet.New(seed, sb.Handler(), clk, nonces, timeout, window)
	tr.CanKill = true
	tr.Faulty = 0.2 + 0.4*rng.Float64()
	var dead atomic.Pointer[atomic.Bool]
	dead.Store(new(atomic.Bool))
	tr.OnKill = func() { dead.Load().Store(true) }
	store := core.NewMemoryStore()
	j := &payout.MemoryJournal{}

	// the file: 12 rows, some with the same address, coin and amount (other memos)
	addrs := []string{sandbox.NewAddress("BTC"), sandbox.NewAddress("BTC"), sandbox.NewAddress("BTC")}
	var b strings.Builder
	b.WriteString("address,currency,amount,memo\n")
	for i := range 12 {
		fmt.Fprintf(&b, "%s,BTC,0.0%d,s%d row %d\n", addrs[rng.IntN(len(addrs))], 1+rng.IntN(3), seed, i)
	}
	f := payout.Parse(fmt.Sprintf("chaos-%d.csv", seed), []byte(b.String()), payout.Options{})
	if len(f.Problems) > 0 {
		t.Fatal(f.Problems)
	}

	var c *core.Client
	var session string
	kills, restarts, ambiguous := 0, 0, 0
	process := func() { // a new process: a new client over the same stores, a new session
		d := new(atomic.Bool)
		dead.Store(d)
		ds := chaosnet.DyingStore{MemoryStore: store, Dead: d}
		opts := []core.Option{core.WithAPIURL("http://127.0.0.1:9/api"), core.WithKeys(demo.PublicKey, demo.PrivateKey),
			core.WithTransport(tr), core.WithClock(clk.Now), core.WithSleep(clk.Sleep),
			core.WithTimeout(timeout), core.WithInFlightWindow(window), core.WithFencePause(time.Second),
			core.WithRetries(3, 100*time.Millisecond, time.Second), core.WithTokenStore(ds)}
		if nonces {
			opts = append(opts, core.WithNonces(ds))
		}
		var err error
		if c, err = core.New(opts...); err != nil {
			t.Fatal(err)
		}
		session = fmt.Sprintf("s%d-%d", seed, restarts)
		restarts++
	}
	process()

	check := func(final bool) string {
		per := map[string]int{}
		for _, e := range tr.Ledger() {
			if e.Cmd != "create_mass_withdrawal" && e.Cmd != "create_withdrawal" {
				continue
			}
			w, err := sb.GetWithdrawal(e.ID)
			if err != nil {
				return fmt.Sprintf("withdrawal %s answered by the API is not in its ledger: %v", e.ID, err)
			}
			per[w.Note]++
		}
		for _, r := range f.Rows {
			if n := per[r.Note]; n > 1 || final && n != 1 {
				return fmt.Sprintf("line %d (%s) paid %d times", r.Line, r.Note, n)
			}
		}
		return ""
	}
	defer func() {
		if (fail != "" && os.Getenv("WALLEX_CHAOS_TRACE") != "") || os.Getenv("WALLEX_CHAOS_TRACE") == "all" {
			t.Logf("trace of seed %d nonces=%v:\n%s", seed, nonces, tr.Trace())
		}
	}()

	retry, calm := false, false
	var last payout.Advice
	for round := 0; round < 400; round++ {
		if round == 60 || (!calm && last.Step == payout.StepDone) {
			// every held request lands; the network is calm from now on
			tr.Flush()
			tr.Calm()
			calm = true
		}
		tr.Tick()
		ctx, cancel := clk.Context(context.Background(), time.Hour)
		run, err := payout.Open(ctx, f, dyingJournal{MemoryJournal: j, dead: dead.Load()}, payout.OpenOptions{Now: clk.Now, Session: session, RetryFailed: retry})
		cancel()
		if err != nil {
			return "open: " + err.Error()
		}
		retry = false
		killed := false
		for range 50 {
			sctx, cancel := clk.Context(context.Background(), timeout)
			res, err := run.Step(sctx, c, payout.StepOptions{Batch: 1 + rng.IntN(5)})
			cancel()
			if tr.Killed() {
				killed = true
				tr.Logf("agent: process killed mid-step")
				break
			}
			if f := check(false); f != "" {
				return f
			}
			if err != nil {
				tr.Logf("agent: step: %v", err)
				break // "run it again"
			}
			tr.Logf("agent: step %s lines %v", res.Action, res.Lines)
			if !res.More {
				break
			}
			if !calm && rng.IntN(8) == 0 {
				killed = true // killed between steps: the Run is dropped
				tr.Logf("agent: process killed between steps")
				break
			}
		}
		last = run.Advice()
		run.Close()
		if killed {
			kills++
			process()
			continue
		}
		tr.Logf("agent: advice %s: %s", last.Step, last.Say(payout.CLI))
		switch last.Step {
		case payout.StepDone:
			if calm {
				if f := check(true); f != "" && nonces {
					return f
				} else if f != "" {
					return f
				}
				return ""
			}
		case payout.StepHold, payout.StepWait:
			clk.AdvanceTo(last.Until.Add(time.Millisecond))
		case payout.StepRetry:
			// fix the cause (top the balance up), then retry: only rows it calls refused are sent again
			if err := sb.SetBalances(demo.MerchantID, map[string]string{"BTC": "1000"}); err != nil {
				t.Fatal(err)
			}
			retry = true
		case payout.StepCheck:
			// a person checks the history: the tool never sends those rows again
			ambiguous++
			if calm {
				return fmt.Sprintf("ambiguous rows %v at the end (a person would check them)", last.Lines)
			}
			clk.Advance(time.Minute)
		}
		if !calm && rng.IntN(6) == 0 {
			process() // "run it again" is a new process: a new session
		}
	}
	if f := check(false); f != "" {
		return f
	}
	return fmt.Sprintf("the file never finished: last advice %s %v", last.Step, last.Lines)
}

func TestChaosPayoutFile(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	if n, _ := strconv.Atoi(os.Getenv("WALLEX_CHAOS_SEEDS")); n > 0 {
		base := uint64(time.Now().UnixNano())
		for i := range n {
			seeds = append(seeds, base+uint64(i))
		}
	}
	if s := os.Getenv("WALLEX_CHAOS_SEED"); s != "" {
		v, _ := strconv.ParseUint(s, 10, 64)
		seeds = []uint64{v}
	}
	for _, nonces := range []bool{true, false} {
		t.Run(fmt.Sprintf("nonces=%v", nonces), func(t *testing.T) {
			failed := 0
			for _, seed := range seeds {
				f := runPayoutChaos(t, seed, nonces)
				if os.Getenv("WALLEX_CHAOS_TRACE") == "all" {
					t.Logf("seed %d: %q", seed, f)
				}
				if f != "" {
					failed++
					t.Errorf("seed %d (nonces=%v): %s   [rerun: WALLEX_CHAOS_SEED=%d WALLEX_CHAOS_TRACE=1 go test -run 'ChaosPayoutFile/nonces=%v' ./core/payout/]", seed, nonces, f, seed, nonces)
					if failed > 5 {
						t.FailNow()
					}
				}
			}
		})
	}
}
