// Package chaosnet is a hostile network for the seeded chaos tests of core and core/payout: a
// core.Transport in front of an in-process sandbox handler that, request by request and by a
// seeded PCG, delivers it, loses its answer, loses it, holds it and delivers it later, delivers
// it twice, or answers after the client's deadline; and can "kill" the calling process mid-call.
// Waits run on a fake clock. Tests only.
package chaosnet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"
	"github.com/wallexkit/wallexkit/core"
)

// Seeds are a chaos test's seeds: 1 to n (the suite's fixed run), and WALLEX_CHAOS_SEEDS=N random
// ones more; WALLEX_CHAOS_SEED=S runs S alone (the rerun line a failure prints).
func Seeds(n int) []uint64 {
	if s := os.Getenv("WALLEX_CHAOS_SEED"); s != "" {
		v, _ := strconv.ParseUint(s, 10, 64)
		return []uint64{v}
	}
	seeds := make([]uint64, 0, n)
	for i := range n {
		seeds = append(seeds, uint64(i+1))
	}
	if more, _ := strconv.Atoi(os.Getenv("WALLEX_CHAOS_SEEDS")); more > 0 {
		base := uint64(time.Now().UnixNano())
		for i := range more {
			seeds = append(seeds, base+uint64(i))
		}
	}
	return seeds
}

// Clock is a fake clock: waits advance it, and cost no real time. onAdvance runs (outside
// the lock) before the clock moves to a new time: the transport delivers the requests it holds
// that must land before then.
type Clock struct {
	mu        sync.Mutex
	t         time.Time
	timers    []timer
	onAdvance func(to time.Time)
}

// NewClock is a fake clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t.Round(0)} }

func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	to := c.Now().Add(d)
	if c.onAdvance != nil {
		c.onAdvance(to)
	}
	c.mu.Lock()
	if to.After(c.t) {
		c.t = to
	}
	var keep, due []timer
	for _, tm := range c.timers {
		if tm.at.After(c.t) {
			keep = append(keep, tm)
		} else {
			due = append(due, tm)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	for _, tm := range due {
		tm.cancel()
	}
}

type timer struct {
	at     time.Time
	cancel context.CancelFunc
}

// Context is a context whose deadline is d from now by this clock, and that ends when the clock
// passes it. Its Deadline is the real instant that is that far ahead of the real now, as a process
// reads its own context's deadline: core turns it into a deadline on its own clock (its now plus the
// time left), so an operation's send time and deadline are on the clock the client was given, and
// a process whose clock is skewed (ContextSkewed) reads it skewed as well.
func (c *Clock) Context(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.t.Add(d)
	inner, cancel := context.WithCancel(parent)
	c.timers = append(c.timers, timer{at: at, cancel: cancel})
	return &fakeCtx{Context: inner, clk: c, at: at}, cancel
}

// ContextSkewed is Context for a process whose clock is off by skew: core reads the deadline on
// its own clock (WithClock), so nothing differs here but the name kept for the callers.
func (c *Clock) ContextSkewed(parent context.Context, d, skew time.Duration) (context.Context, context.CancelFunc) {
	return c.Context(parent, d)
}

// fakeCtx is Context's context: it ends when the fake clock passes at (no real timer).
type fakeCtx struct {
	context.Context
	clk *Clock
	at  time.Time
}

type fakeKey struct{}

func (f *fakeCtx) Deadline() (time.Time, bool) {
	return time.Now().Add(f.at.Sub(f.clk.Now())), true
}

func (f *fakeCtx) Value(k any) any {
	if k == (fakeKey{}) {
		return f
	}
	return f.Context.Value(k)
}

// deadline is ctx's deadline on the fake clock (the network's), for a context made by Context.
func deadline(ctx context.Context) (time.Time, bool) {
	if f, ok := ctx.Value(fakeKey{}).(*fakeCtx); ok {
		return f.at, true
	}
	return ctx.Deadline()
}

func (c *Clock) AdvanceTo(t time.Time) { c.Advance(t.Sub(c.Now())) }

func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Advance(d)
	return nil
}

// fault kinds of the hostile transport
const (
	fDeliver   = "deliver"
	fLoseReply = "lose_reply"  // carried out, the answer lost
	fLoseReq   = "lose_req"    // lost before it reached the API
	fHold      = "hold"        // the client gets an error now; the request lands later
	fDuplicate = "duplicate"   // delivered twice (a retrying proxy)
	fSlowReply = "slow_reply"  // carried out, the answer comes after the client's deadline
	fLate      = "late"        // delivered and answered, minutes after it left (within the client's deadline): a token may expire meanwhile
	fKill      = "kill"        // the process is killed while the request is on its way (held, then delivered)
	fKillLost  = "kill_lost"   // the process is killed, the request never lands
	fKillDone  = "kill_landed" // the process is killed after the request landed
	fRace      = "race"        // held, then lands concurrently with a later request (Racy)
)

type held struct {
	req     *core.Request
	step    int       // delivered at this step of the transport, or
	latest  time.Time // before the clock passes this (nonces off: within the in-flight window)
	copyOf  string
	summary string
	race    bool // lands concurrently with the next request delivered after its step
}

// Entry is a money request the API carried out: its command, the request's fields and
// the id it made (from the API's own answer, whether or not the client saw it).
type Entry struct {
	Cmd  string
	Form map[string]string
	ID   string
}

type Net struct {
	mu       sync.Mutex
	rng      *rand.Rand
	h        http.Handler
	clk      *Clock
	nonces   bool
	window   time.Duration // the client's timeout plus in-flight window (nonces off: holds end before it)
	inFlight time.Duration // the client's in-flight window
	Faulty   float64       // the share of requests that meet a fault
	step     int
	held     []*held
	ledger   []Entry
	counts   map[string]int
	CanKill  bool
	OnKill   func() // the process dies at once: its later writes are lost
	trace    []string
	delivers int
	// Racy adds the fault "race" (with nonces only): the request is held, and lands concurrently
	// with a later request (a fence, a history read), both in the handler at once (the API's
	// nonce check is not atomic, spec §7.3). A racing delivery ends before the clock moves on (it
	// lands within the client's fence pause: the API's history does not lag behind for longer).
	Racy    bool
	raceMu  sync.Mutex
	raceCnd *sync.Cond
	racing  int
	// Dups: without nonces, a money request may still be delivered twice (a gateway's
	// Idempotency-Key gives the copy the first one's answer).
	Dups bool
	// agent of a call (AgentKey in its context): each agent is its own process, killed alone.
	killedBy    map[int]bool
	OnKillAgent func(agent int)
	// KillOnHold: the share of money requests held by the network (fault "hold") whose process is
	// then killed as well: the request lands later, after another process has taken over.
	KillOnHold float64
	// Holds counts the money requests held so far (fHold, fKill, fRace).
	Holds int
}

// AgentKey is the context key naming the agent (process) making a call.
type AgentKey struct{}

func agentOf(ctx context.Context) int { a, _ := ctx.Value(AgentKey{}).(int); return a }

// waitRaces waits for the racing deliveries under way. Called without t.mu.
func (t *Net) waitRaces() {
	t.raceMu.Lock()
	for t.racing > 0 {
		t.raceCnd.Wait()
	}
	t.raceMu.Unlock()
}

// startRaces launches the racing held requests due now, each in its own goroutine, to run in the
// handler while the caller delivers its own request. Called with t.mu held.
func (t *Net) startRaces() {
	var keep []*held
	for _, h := range t.held {
		if !h.race || t.step < h.step {
			keep = append(keep, h)
			continue
		}
		t.trace = append(t.trace, "  raced "+h.summary+" lands concurrently now")
		t.raceMu.Lock()
		t.racing++
		t.raceMu.Unlock()
		go func(req *core.Request) {
			out := t.serve(req)
			t.mu.Lock()
			t.record(req, out)
			t.mu.Unlock()
			t.raceMu.Lock()
			t.racing--
			t.raceCnd.Broadcast()
			t.raceMu.Unlock()
		}(h.req)
	}
	t.held = keep
}

func New(seed uint64, h http.Handler, clk *Clock, nonces bool, timeout, inFlight time.Duration) *Net {
	window := timeout + inFlight
	t := &Net{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), h: h, clk: clk, nonces: nonces, window: window, inFlight: inFlight,
		Faulty: 0.35, counts: map[string]int{}, killedBy: map[int]bool{}}
	t.raceCnd = sync.NewCond(&t.raceMu)
	clk.onAdvance = t.beforeAdvance
	return t
}

func cmdOf(req *core.Request) string {
	u := req.URL
	if i := strings.LastIndexByte(u, '/'); i >= 0 {
		u = u[i+1:]
	}
	return u
}

func isUnsafe(cmd string) bool {
	return core.IsMoneyCommand(cmd) || cmd == "create_transaction"
}

// deliver hands req to the sandbox and returns its answer; a money request carried out is
// written to the ledger. Called with t.mu held.
func (t *Net) deliver(req *core.Request) *core.HTTPResponse {
	return t.record(req, t.serve(req))
}

// serve hands req to the handler; it needs no lock (a racing delivery runs it concurrently).
func (t *Net) serve(req *core.Request) *core.HTTPResponse {
	hr := httptest.NewRequest(http.MethodPost, req.URL, strings.NewReader(string(req.Body)))
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	hr.RemoteAddr = "127.0.0.1:1234"
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, hr)
	out := &core.HTTPResponse{Status: rec.Code, Header: map[string]string{}, Body: rec.Body.Bytes()}
	for k, v := range rec.Header() {
		out.Header[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	if _, ok := out.Header["date"]; !ok {
		// as net/http's server writes it: the API's clock
		out.Header["date"] = t.clk.Now().UTC().Format(http.TimeFormat)
	}
	return out
}

// record counts what req met and writes a money request carried out to the ledger. Called with
// t.mu held.
func (t *Net) record(req *core.Request, out *core.HTTPResponse) *core.HTTPResponse {
	t.delivers++
	cmd := cmdOf(req)
	if cmd == "get_withdrawal_history" || cmd == "get_tx_ids" || cmd == "get_tx_info" || cmd == "get_tx_info_multi" {
		t.trace = append(t.trace, "  read "+cmd+" -> "+Clip(string(out.Body), 400))
	}
	if out.Status == 401 {
		t.counts["answered_401"]++
	}
	if strings.Contains(string(out.Body), "Invalid nonce") {
		t.counts["answered_nonce_refusal"]++
	}
	if isUnsafe(cmd) {
		root := gjson.ParseBytes(out.Body)
		if root.Get("error").String() == "ok" {
			form := map[string]string{}
			for _, kv := range strings.Split(string(req.Body), "&") {
				k, v, _ := strings.Cut(kv, "=")
				k, _ = urlUnescape(k)
				v, _ = urlUnescape(v)
				form[k] = v
			}
			switch cmd {
			case "create_mass_withdrawal":
				root.Get("result").ForEach(func(k, v gjson.Result) bool {
					if v.Get("error").String() == "ok" && v.Get("id").String() != "" {
						f := map[string]string{}
						p := "wd[" + k.String() + "]"
						for fk, fv := range form {
							if rest, ok := strings.CutPrefix(fk, p); ok {
								f[strings.Trim(rest, "[]")] = fv
							}
						}
						t.ledger = append(t.ledger, Entry{Cmd: cmd, Form: f, ID: v.Get("id").String()})
					}
					return true
				})
			case "create_transaction":
				t.ledger = append(t.ledger, Entry{Cmd: cmd, Form: form, ID: root.Get("result.txn_id").String()})
			default:
				t.ledger = append(t.ledger, Entry{Cmd: cmd, Form: form, ID: root.Get("result.id").String()})
			}
		}
		t.trace = append(t.trace, fmt.Sprintf("  delivered %s nonce=%s -> %s", cmd, nonceOf(req), Clip(string(out.Body), 90)))
	}
	return out
}

func urlUnescape(s string) (string, error) {
	s = strings.ReplaceAll(s, "+", " ")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

func nonceOf(req *core.Request) string {
	for _, kv := range strings.Split(string(req.Body), "&") {
		if v, ok := strings.CutPrefix(kv, "nonce="); ok {
			return v
		}
	}
	return "-"
}

// Clip cuts s to n bytes.
func Clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// deliverDue delivers the held requests due at this step or before the clock passes `before`.
// Called with t.mu held.
func (t *Net) deliverDue(before time.Time, all bool) {
	var keep []*held
	due := []*held{}
	for _, h := range t.held {
		if h.race && !all {
			keep = append(keep, h) // lands with a request (startRaces)
			continue
		}
		if all || t.step >= h.step || (!h.latest.IsZero() && !before.IsZero() && !before.Before(h.latest)) {
			due = append(due, h)
		} else {
			keep = append(keep, h)
		}
	}
	t.held = keep
	for _, h := range due {
		t.trace = append(t.trace, "  held "+h.summary+" lands now")
		t.deliver(h.req)
	}
}

func (t *Net) beforeAdvance(to time.Time) {
	t.waitRaces()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.deliverDue(to, false)
}

// Tick is one step of the world: held requests due now land.
func (t *Net) Tick() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.step++
	t.deliverDue(time.Time{}, false)
}

// Flush lands every held request.
func (t *Net) Flush() {
	t.waitRaces()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.deliverDue(time.Time{}, true)
}

func (t *Net) Killed() bool { return t.KilledAgent(0) }

// Kill kills the process (agent 0) now, from outside the network (e.g. while it writes a file).
func (t *Net) Kill() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.trace = append(t.trace, "  the process is killed (outside the network)")
	t.kill(0)
}

// HeldMoney is how many money requests the network holds now, not landed yet.
func (t *Net) HeldMoney() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, h := range t.held {
		if isUnsafe(cmdOf(h.req)) {
			n++
		}
	}
	return n
}

// KilledAgent reports (and clears) whether agent's process was killed.
func (t *Net) KilledAgent(a int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := t.killedBy[a]
	delete(t.killedBy, a)
	return k
}

func (t *Net) kill(a int) {
	t.killedBy[a] = true
	if t.OnKill != nil && a == 0 {
		t.OnKill()
	}
	if t.OnKillAgent != nil {
		t.OnKillAgent(a)
	}
}

func (t *Net) hold(ctx context.Context, req *core.Request, why string) {
	h := &held{req: req, step: t.step + 1 + t.rng.IntN(60), summary: why + " " + cmdOf(req) + " nonce=" + nonceOf(req)}
	if isUnsafe(cmdOf(req)) {
		t.Holds++
	}
	if !t.nonces {
		// Without nonces nothing refuses a late copy: a request held for longer than the
		// client's in-flight window can land after a "not found" (the known limit "Without
		// nonces there is no proof" of docs/reliability.md). Holds end within the window here.
		// The bound is the client's: its deadline plus its in-flight window.
		now := t.clk.Now()
		bound := now.Add(t.window)
		if d, ok := deadline(ctx); ok {
			bound = d.Add(t.inFlight)
		}
		h.latest = now.Add(time.Duration(float64(bound.Sub(now)) * (0.1 + 0.8*t.rng.Float64())))
	}
	t.held = append(t.held, h)
}

var ErrLost = errors.New("chaos: connection lost")

func (t *Net) RoundTrip(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.step++
	t.deliverDue(time.Time{}, false)
	if t.killedBy[agentOf(ctx)] {
		// the process is gone: nothing more leaves it
		return nil, core.NotSent(errors.New("chaos: process killed"))
	}
	if err := ctx.Err(); err != nil {
		// the client's deadline passed (the fake clock moved on while it waited, e.g. for another
		// client's login): like net/http and fetch, nothing leaves with a context that is done
		return nil, core.NotSent(err)
	}
	cmd := cmdOf(req)
	kind := fDeliver
	if t.rng.Float64() < t.Faulty {
		kinds := []string{fLoseReply, fLoseReq, fHold, fDuplicate, fSlowReply, fLate}
		if t.Racy && t.nonces && isUnsafe(cmd) {
			kinds = append(kinds, fRace, fRace)
		}
		if t.CanKill && isUnsafe(cmd) {
			kinds = append(kinds, fKill, fKillLost, fKillDone)
		}
		kind = kinds[t.rng.IntN(len(kinds))]
		if kind == fDuplicate && !t.nonces && !t.Dups && isUnsafe(cmd) {
			// Without nonces the API cannot tell a copy from a new request: a proxy that sends a
			// money request twice pays twice whatever a client does (docs/reliability.md, "What the
			// fence proves": without nonces there is no proof; rule 6). Not this test's case.
			kind = fLoseReply
		}
	}
	t.counts[kind]++
	if isUnsafe(cmd) || cmd == "close" {
		t.trace = append(t.trace, fmt.Sprintf("step %d at %s: %s nonce=%s key=%s: %s", t.step, t.clk.Now().Format("15:04:05"), cmd, nonceOf(req), req.Header["Idempotency-Key"]+map[bool]string{true: string(req.Body), false: ""}[cmd == "close"], kind))
	}
	if kind != fRace && kind != fDuplicate {
		// Not beside a proxy's duplicate: the sandbox's nonce check is not atomic (as the API's), so
		// a racing lower nonce that writes its mark after the first copy's lowers it, and the second
		// copy of one request is carried out again. That is the network and the API alone (no
		// client sends or sees the copy): not a client's to prevent. The race lands with a later one.
		t.startRaces()
	}
	switch kind {
	case fRace:
		t.hold(ctx, req, "race-held")
		t.held[len(t.held)-1].race = true
		return nil, ErrLost
	case fDeliver:
		return t.deliver(req), nil
	case fLate:
		if d, ok := deadline(ctx); ok {
			if left := d.Sub(t.clk.Now()); left > 0 {
				by := time.Duration(t.rng.Int64N(int64(left))) // the generator is shared: drawn under the lock
				t.mu.Unlock()
				t.clk.Advance(by)
				t.mu.Lock()
			}
		}
		return t.deliver(req), nil
	case fLoseReply:
		t.deliver(req)
		return nil, ErrLost
	case fLoseReq:
		return nil, ErrLost
	case fHold:
		t.hold(ctx, req, "held")
		if isUnsafe(cmd) && t.KillOnHold > 0 && t.rng.Float64() < t.KillOnHold {
			t.trace = append(t.trace, "  the process is killed while its request is held")
			t.kill(agentOf(ctx))
		}
		return nil, ErrLost
	case fDuplicate:
		first := t.deliver(req)
		second := t.deliver(req)
		if t.rng.IntN(2) == 0 {
			return first, nil
		}
		return second, nil
	case fSlowReply:
		t.deliver(req)
		if d, ok := deadline(ctx); ok {
			t.mu.Unlock()
			t.clk.AdvanceTo(d.Add(time.Millisecond))
			t.mu.Lock()
		}
		return nil, fmt.Errorf("chaos: no answer in time: %w", context.DeadlineExceeded)
	case fKill:
		t.hold(ctx, req, "killed-with")
		t.kill(agentOf(ctx))
		return nil, ErrLost
	case fKillLost:
		t.kill(agentOf(ctx))
		return nil, ErrLost
	case fKillDone:
		t.deliver(req)
		t.kill(agentOf(ctx))
		return nil, ErrLost
	}
	panic(kind)
}

// DyingStore is a process's view of the shared stores: once its process is killed, nothing it
// writes reaches them (its record of the call that was on its way stays "sending").
type DyingStore struct {
	*core.MemoryStore
	Dead *atomic.Bool
}

func (d DyingStore) isDead() bool { return d.Dead.Load() }

func (d DyingStore) SaveOp(ctx context.Context, key string, op core.Op) error {
	if d.isDead() {
		return errors.New("process gone")
	}
	return d.MemoryStore.SaveOp(ctx, key, op)
}

func (d DyingStore) ClaimOp(ctx context.Context, key string, op core.Op, conflict func(string, core.Op) bool) (*core.Op, string, error) {
	if d.isDead() {
		return nil, "", errors.New("process gone")
	}
	return d.MemoryStore.ClaimOp(ctx, key, op, conflict)
}

func (d DyingStore) SaveNonce(ctx context.Context, key string, n int64) error {
	if d.isDead() {
		return errors.New("process gone")
	}
	return d.MemoryStore.SaveNonce(ctx, key, n)
}

// Logf adds a line to the trace.
func (t *Net) Logf(format string, a ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.trace = append(t.trace, fmt.Sprintf(format, a...))
}

// Trace is what happened, one line per event.
func (t *Net) Trace() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.trace, "\n")
}

// Ledger is every money request the API carried out (and create_transaction), by the API's
// own answers, seen or not by the client.
func (t *Net) Ledger() []Entry {
	t.waitRaces()
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Entry(nil), t.ledger...)
}

// Counts is how many requests met each fault.
func (t *Net) Counts() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.counts)
}

// Calm ends the faults: every request is delivered from now on.
func (t *Net) Calm() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Faulty, t.CanKill = 0, false
}
