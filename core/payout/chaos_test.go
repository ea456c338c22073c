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
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
	"github.com/wallexkit/wallexkit/core/internal/chaosnet"
	"github.com/wallexkit/wallexkit/core/payout"
	"github.com/wallexkit/wallexkit/sandbox"
)

// dyingJournal is a process's view of the journal: once the process is killed, nothing it
// appends reaches it. A file journal (core/filestore, the CLI's) may also kill its process while it
// appends (torn, when set): the entries before the one being written reach the file, that one
// only in part (a torn last line).
type dyingJournal struct {
	payout.Journal
	dead *atomic.Bool
	torn func() bool // kill the process in this Append, leaving a torn write
	path string
	kill func()
	rng  *rand.Rand
}

func (d dyingJournal) Append(ctx context.Context, es []payout.Entry) error {
	if d.dead.Load() {
		return errors.New("process gone")
	}
	if d.torn != nil && len(es) > 0 && d.torn() {
		var buf []byte
		for _, e := range es {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			buf = append(append(buf, b...), '\n')
		}
		// killed mid-write: a prefix of the bytes, never the whole last line
		n := d.rng.IntN(len(buf) - 1)
		if err := os.MkdirAll(filepath.Dir(d.path), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		f.Write(buf[:n])
		f.Close()
		tornKills.Add(1)
		d.kill()
		return errors.New("process gone (killed while appending to the journal)")
	}
	return d.Journal.Append(ctx, es)
}

func (d dyingJournal) Lock(ctx context.Context) (func(), error) {
	if l, ok := d.Journal.(payout.Locker); ok {
		return l.Lock(ctx)
	}
	return func() {}, nil
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
	// the journal: in memory, or in some seeds the CLI's file journal (core/filestore), whose
	// appends a kill can tear
	var j payout.Journal = &payout.MemoryJournal{}
	fileJournal := rng.IntN(3) == 0
	jpath := ""
	if fileJournal {
		jpath = filepath.Join(t.TempDir(), "payouts", fmt.Sprintf("chaos-%d.jsonl", seed))
		j = filestore.NewJournal(jpath)
	}
	// in some seeds a process whose batch the network holds is killed with it, and the next
	// process resumes the journal at once (its batch still on its way)
	if rng.IntN(2) == 0 {
		tr.KillOnHold = 0.6
	}
	// in some seeds the run pauses between batches for minutes to hours, then goes on
	pauses := rng.IntN(2) == 0

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
	pauseCount, resumedHeld := 0, 0
	defer func() {
		stats.Add(seed, fileJournal, pauseCount, resumedHeld)
	}()
	calm := false
	journal := func() payout.Journal {
		d := dyingJournal{Journal: j, dead: dead.Load(), path: jpath, kill: tr.Kill, rng: rng}
		if fileJournal && !calm {
			d.torn = func() bool { return rng.IntN(25) == 0 }
		}
		return d
	}
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

	retry := false
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
		run, err := payout.Open(ctx, f, journal(), payout.OpenOptions{Now: clk.Now, Session: session, RetryFailed: retry})
		cancel()
		if err != nil {
			if tr.Killed() {
				tr.Logf("agent: process killed while opening: %v", err)
				kills++
				process()
				continue
			}
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
			if pauses && rng.IntN(5) == 0 {
				// the process is paused (a laptop asleep, a stopped job) between batches and
				// goes on with the same Run and client
				d := time.Duration(math.Exp(math.Log(float64(time.Minute)) + rng.Float64()*math.Log(float64(6*time.Hour/time.Minute))))
				tr.Logf("agent: paused for %s between steps", d.Round(time.Second))
				pauseCount++
				clk.Advance(d)
			}
		}
		last = run.Advice()
		run.Close()
		if killed {
			kills++
			if tr.HeldMoney() > 0 {
				resumedHeld++
			}
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
		if pauses && rng.IntN(8) == 0 {
			// the person runs it again much later
			d := time.Duration(math.Exp(math.Log(float64(time.Minute)) + rng.Float64()*math.Log(float64(6*time.Hour/time.Minute))))
			tr.Logf("agent: resumes the file %s later", d.Round(time.Second))
			pauseCount++
			clk.Advance(d)
		}
	}
	if f := check(false); f != "" {
		return f
	}
	return fmt.Sprintf("the file never finished: last advice %s %v", last.Step, last.Lines)
}

// chaosStats counts how often the seeds met the scenarios they are meant to cover.
type chaosStats struct {
	mu                                       sync.Mutex
	seeds, file, paused, pauses, resumedHeld int
}

func (c *chaosStats) Add(seed uint64, file bool, pauses, resumedHeld int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seeds++
	if file {
		c.file++
	}
	if pauses > 0 {
		c.paused++
	}
	c.pauses += pauses
	c.resumedHeld += resumedHeld
}

var (
	stats     chaosStats
	tornKills atomic.Int64
)

func TestChaosPayoutFile(t *testing.T) {
	defer func() {
		t.Logf("%d runs: %d on a file journal, %d paused (%d pauses), %d resumes while a killed process's batch was held, %d processes killed mid-append to a file journal", stats.seeds, stats.file, stats.paused, stats.pauses, stats.resumedHeld, tornKills.Load())
	}()
	seeds := chaosnet.Seeds(12)
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
