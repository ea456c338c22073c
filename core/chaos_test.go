package core_test

// A seeded "hostile network" property test of the money paths: a merchant agent that follows
// only what the tools say, against an in-process sandbox behind a transport that loses, holds,
// duplicates and delays requests, with process restarts between (and kills during) calls. The
// invariant is checked against the sandbox's own ledger: each intended withdrawal (by note) and
// each sale's payment (by invoice) at most once under every seed; with nonces, exactly once at the
// end. `WALLEX_CHAOS_SEEDS=N go test -run Chaos ./core/` runs N more random seeds.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/internal/chaosnet"
	"github.com/wallexkit/wallexkit/sandbox"
)

// intent is one thing the merchant wants done once: a withdrawal (by note) or a payment for a
// sale (by invoice). Its record in the merchant's own database: the operation id it is about to
// use (written before the call), and done.
type intent struct {
	kind    string // "wd" or "pay"
	key     string // note or invoice
	amount  string
	address string
	opID    string
	done    bool
	waitTil time.Time
	ambig   int
	again   *time.Time           // "Pay it again" for the payment a duplicate check named (chaos2_test.go)
	q       *core.ReconcileQuery // an item of a mass withdrawal of unknown outcome (chaos2_test.go)
	wid     string               // the withdrawal id it was carried out as, when known
}

type chaosRun struct {
	t        testing.TB
	seed     uint64
	nonces   bool
	rng      *rand.Rand
	clk      *chaosnet.Clock
	tr       *chaosnet.Net
	sb       *sandbox.Server
	demo     sandbox.Demo
	store    *core.MemoryStore
	client   *core.Client
	dead     *atomic.Bool
	intents  []*intent
	timeout  time.Duration
	window   time.Duration
	restarts int
	kills    int
	log      []string
	opSeq    int
}

func (r *chaosRun) logf(format string, a ...any) {
	r.tr.Logf(format, a...)
}

// restart is a new process: a new client over the same stores, no in-memory state.
func (r *chaosRun) restart() {
	r.dead = new(atomic.Bool)
	ds := chaosnet.DyingStore{MemoryStore: r.store, Dead: r.dead}
	opts := []core.Option{
		core.WithAPIURL("http://127.0.0.1:9/api"),
		core.WithKeys(r.demo.PublicKey, r.demo.PrivateKey),
		core.WithTransport(r.tr), core.WithClock(r.clk.Now), core.WithSleep(r.clk.Sleep),
		core.WithTimeout(r.timeout), core.WithInFlightWindow(r.window),
		core.WithFencePause(time.Second), core.WithRetries(3, 100*time.Millisecond, time.Second),
		core.WithOpStore(ds), core.WithTokenStore(ds),
	}
	if r.nonces {
		opts = append(opts, core.WithNonces(ds))
	}
	c, err := core.New(opts...)
	if err != nil {
		r.t.Fatal(err)
	}
	r.client = c
}

// ctx is a call's context: its deadline by the fake clock (a real deadline later than any this
// test reaches), so that an operation's recorded deadline and send time are on one clock.
func (r *chaosRun) ctx() (context.Context, context.CancelFunc) {
	return r.clk.Context(context.Background(), r.timeout)
}

// crashed reports whether the process was killed during the last call; then the agent restarts
// and sees nothing of that call's answer.
func (r *chaosRun) crashed() bool {
	if !r.tr.Killed() {
		return false
	}
	r.kills++
	r.logf("agent: process killed mid-call; restart")
	r.restart()
	return true
}

func (r *chaosRun) newOpID() string {
	r.opSeq++
	return fmt.Sprintf("op_chaos_%d_%d", r.seed, r.opSeq)
}

// act does one thing for in, as the tools advise.
func (r *chaosRun) act(in *intent) {
	now := r.clk.Now()
	if now.Before(in.waitTil) {
		r.clk.AdvanceTo(in.waitTil) // told to wait until then: wait
	}
	ctx, cancel := r.ctx()
	defer cancel()
	if in.opID != "" {
		// an operation of this intent may have been carried out: ask what became of it
		res, err := r.client.ReconcileOp(ctx, in.opID)
		if r.crashed() {
			return
		}
		if err != nil {
			r.logf("agent: reconcile %s %s: %v", in.key, in.opID, err)
			return // nothing concluded: ask again later
		}
		r.logf("agent: reconcile %s %s: %s proven=%v norecord=%v %s", in.key, in.opID, res.Verdict, res.Proven, res.NoRecord, chaosnet.Clip(res.Detail, 100))
		switch res.Verdict {
		case core.Found:
			in.done = true
		case core.NotFound:
			if res.NoRecord {
				// the store never held it: it was never sent (the record is written first)
				in.opID = ""
				return
			}
			in.opID = "" // send it again, as a new operation
		case core.InFlight:
			in.waitTil = res.Until.Add(time.Millisecond)
		case core.Ambiguous:
			in.ambig++
			in.waitTil = r.clk.Now().Add(time.Minute)
		}
		return
	}
	// send it, under an operation id written to the merchant's database first
	in.opID = r.newOpID()
	octx := core.WithOperationID(ctx, in.opID)
	var err error
	if in.kind == "wd" {
		note := in.key
		_, err = r.client.CreateWithdrawal(octx, &core.WithdrawalParams{Amount: in.amount, Currency: "BTC", Address: in.address, Note: &note})
	} else {
		inv := in.key
		_, err = r.client.CreateTransaction(octx, &core.CreateTransactionParams{Amount: in.amount, Currency1: "USD", Currency2: "BTC",
			BuyerEmail: "buyer@example.com", Invoice: &inv})
	}
	if r.crashed() {
		return
	}
	var ou *core.OutcomeUnknownError
	var pe *core.PendingOpError
	switch {
	case err == nil:
		r.logf("agent: sent %s %s: ok", in.key, in.opID)
		in.done = true
	case errors.As(err, &ou):
		r.logf("agent: sent %s %s: outcome unknown", in.key, in.opID)
		// reconcile it (next turn)
	case errors.As(err, &pe):
		// nothing sent: an identical operation (another intent's) is unsettled; it is
		// reconciled in its own turn. Never bypassed.
		r.logf("agent: sent %s %s: refused, pending %s", in.key, in.opID, pe.Op.ID)
		in.opID = ""
	default:
		// a plain refusal (nothing carried out, says the client): it may be sent again
		r.logf("agent: sent %s %s: refused: %v", in.key, in.opID, err)
		in.opID = ""
	}
}

func runChaos(t testing.TB, seed uint64, nonces bool) (fail string) {
	clk := chaosnet.NewClock(time.Now())
	// a short token life: logins, and a token that expires while a request is on its way (401)
	ttl := time.Duration(1+seed%8) * time.Minute
	sb, err := sandbox.New(sandbox.Config{Now: clk.Now, TokenTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	demo := sb.Demo()
	// a balance that may not cover every withdrawal at first: refused (nothing moved), sent again
	// once it is topped up
	lowBalance := seed%3 == 0
	if err := sb.SetBalances(demo.MerchantID, map[string]string{"BTC": map[bool]string{true: "0.03", false: "1000"}[lowBalance]}); err != nil {
		t.Fatal(err)
	}
	r := &chaosRun{t: t, seed: seed, nonces: nonces, clk: clk, sb: sb, demo: demo, store: core.NewMemoryStore(),
		timeout: 30 * time.Second, window: 2 * time.Minute}
	r.rng = rand.New(rand.NewPCG(seed, 7))
	r.tr = chaosnet.New(seed, sb.Handler(), clk, nonces, r.timeout, r.window)
	r.tr.CanKill = true
	r.tr.Faulty = 0.2 + 0.5*r.rng.Float64()
	r.tr.OnKill = func() { r.dead.Store(true) }
	r.restart()

	// K withdrawals, some with the same amount and address (distinct notes); M payments.
	K, M := 4+r.rng.IntN(4), 2+r.rng.IntN(3)
	addrs := []string{sandbox.NewAddress("BTC"), sandbox.NewAddress("BTC")}
	for i := range K {
		r.intents = append(r.intents, &intent{kind: "wd", key: fmt.Sprintf("chaos-%d-wd-%d", seed, i),
			amount: []string{"0.01", "0.02"}[r.rng.IntN(2)], address: addrs[r.rng.IntN(len(addrs))]})
	}
	for i := range M {
		r.intents = append(r.intents, &intent{kind: "pay", key: fmt.Sprintf("inv-%d-%d", seed, i), amount: strconv.Itoa(10 + i)})
	}

	check := func(final bool) string {
		per := map[string]int{}
		ledger := r.tr.Ledger()
		for _, e := range ledger {
			switch e.Cmd {
			case "create_withdrawal":
				w, err := sb.GetWithdrawal(e.ID)
				if err != nil {
					return fmt.Sprintf("withdrawal %s answered by the API is not in its ledger: %v", e.ID, err)
				}
				per[w.Note]++
			case "create_transaction":
				if _, err := sb.GetTransaction(e.ID); err != nil {
					return fmt.Sprintf("payment %s answered by the API is not in its ledger: %v", e.ID, err)
				}
				per[e.Form["invoice"]]++
			}
		}
		for _, in := range r.intents {
			switch n := per[in.key]; {
			case n > 1:
				return fmt.Sprintf("%s carried out %d times", in.key, n)
			case final && n != 1:
				return fmt.Sprintf("%s carried out %d times at the end, want exactly 1 (done=%v op=%s ambiguous=%d)", in.key, n, in.done, in.opID, in.ambig)
			case in.done && n == 0:
				return fmt.Sprintf("%s: the agent was told it is done, but the API never carried it out", in.key)
			}
		}
		return ""
	}
	defer func() {
		if fail != "" && os.Getenv("WALLEX_CHAOS_TRACE") != "" {
			t.Logf("trace of seed %d nonces=%v:\n%s", seed, nonces, r.tr.Trace())
		}
	}()

	pending := func() []*intent {
		var out []*intent
		for _, in := range r.intents {
			if !in.done {
				out = append(out, in)
			}
		}
		return out
	}
	// the hostile phase
	for step := 0; step < 150; step++ {
		p := pending()
		if len(p) == 0 {
			break
		}
		r.tr.Tick()
		if lowBalance && step == 40 {
			if err := sb.SetBalances(demo.MerchantID, map[string]string{"BTC": "1000"}); err != nil {
				t.Fatal(err)
			}
		}
		if r.rng.IntN(12) == 0 {
			r.restarts++
			r.logf("agent: restart")
			r.restart()
		}
		r.act(p[r.rng.IntN(len(p))])
		if f := check(false); f != "" {
			return f
		}
	}
	// every held request lands; then the network is calm, and the agent follows the advice to the end
	r.tr.Flush()
	if f := check(false); f != "" {
		return f
	}
	r.tr.Calm()
	for step := 0; step < 200; step++ {
		p := pending()
		if len(p) == 0 {
			break
		}
		r.act(p[0])
		if f := check(false); f != "" {
			return f
		}
	}
	if f := check(true); f != "" {
		return f
	}
	if os.Getenv("WALLEX_CHAOS_TRACE") == "all" {
		t.Logf("trace of seed %d nonces=%v:\n%s", seed, nonces, r.tr.Trace())
	}
	chaosStats.add(r)
	return ""
}

// chaosStats totals what the runs met, for the log.
type chaosTotals struct {
	sync.Mutex
	faults                 map[string]int
	restarts, kills, money int
}

var chaosStats = &chaosTotals{faults: map[string]int{}}

func (s *chaosTotals) add(r *chaosRun) {
	s.Lock()
	defer s.Unlock()
	for k, v := range r.tr.Counts() {
		s.faults[k] += v
	}
	s.restarts += r.restarts
	s.kills += r.kills
	s.money += len(r.tr.Ledger())
}

func TestChaosMerchantAgent(t *testing.T) {
	for _, nonces := range []bool{true, false} {
		t.Run(fmt.Sprintf("nonces=%v", nonces), func(t *testing.T) {
			failed := 0
			for _, seed := range chaosnet.Seeds(20) {
				start := time.Now()
				f := runChaos(t, seed, nonces)
				if d := time.Since(start); d > 200*time.Millisecond {
					t.Logf("seed %d took %v", seed, d)
				}
				if f != "" {
					failed++
					t.Errorf("seed %d (nonces=%v): %s   [rerun: WALLEX_CHAOS_SEED=%d WALLEX_CHAOS_TRACE=1 go test -run 'Chaos/nonces=%v' ./core/]", seed, nonces, f, seed, nonces)
					if failed > 5 {
						t.FailNow()
					}
				}
			}
			chaosStats.Lock()
			t.Logf("requests by fault: %v; restarts %d, kills %d, money requests carried out %d", chaosStats.faults, chaosStats.restarts, chaosStats.kills, chaosStats.money)
			chaosStats.faults, chaosStats.restarts, chaosStats.kills, chaosStats.money = map[string]int{}, 0, 0, 0
			chaosStats.Unlock()
		})
	}
}
