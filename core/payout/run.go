package payout

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/errtext"
)

// State is where a row stands.
type State string

const (
	Pending  State = "pending"   // not sent, or proven not carried out: it will be sent
	Sending  State = "sending"   // its batch left and no answer is recorded: reconciled before anything else
	Sent     State = "sent"      // a withdrawal exists (ID)
	Failed   State = "failed"    // the API refused it: nothing moved (sent again only on RetryFailed)
	Unknown  State = "unknown"   // the answer was lost: reconciled before anything else
	InFlight State = "in_flight" // without nonces, cannot be settled before Until: never sent before then
	// Ambiguous: the history has several candidates, or reconciling cannot tell: a person
	// decides; it is never sent again by the engine.
	Ambiguous State = "ambiguous"
)

// RowStatus is a row and what has become of it.
type RowStatus struct {
	Row
	State      State     `json:"state"`
	ID         string    `json:"withdrawal_id,omitempty"`
	Error      string    `json:"error,omitempty"`
	Nonce      int64     `json:"nonce,omitempty"`    // of its last batch
	SentAt     time.Time `json:"sent_at,omitzero"`   // when its last batch left
	Deadline   time.Time `json:"deadline,omitzero"`  // when that batch's client stopped waiting
	Until      time.Time `json:"until,omitzero"`     // in_flight: not to be settled before
	Reconciled bool      `json:"reconciled"`         // found by reconciling, not from an answer
	Earlier    bool      `json:"earlier"`            // settled in an earlier run
	Now        bool      `json:"sent_now,omitempty"` // sent in this run
	// Held: in_flight although this journal never sent it: held back until Until, because a
	// batch of this file that another tool, journal or API key sent may still arrive by then.
	Held bool `json:"held,omitempty"`
	// answered: unknown because its batch's answer left it out or named it neither "ok" nor a
	// plain refusal (Entry.Answered): found not carried out, the API refused it.
	answered bool
	// batch: the operation id of its last batch, which went through a gateway as its
	// Idempotency-Key (reconcile closes it there first).
	batch string
}

// Open options.
type OpenOptions struct {
	// RetryFailed sends rows the API refused in an earlier run again (they moved nothing).
	RetryFailed bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// ScanWindow is how far back the first run in a journal looks for rows of this file paid
	// by another tool (default 7 days, as long as a settled operation's record is kept). A file
	// resumed in another tool after that is not recognised; within one tool its journal, kept by
	// the file's content, never forgets it.
	ScanWindow time.Duration
	// Session names one run of the file that a person started: a CLI process; in a console, a press
	// of Confirm, Resume or Retry and the steps that follow it. A session looks the file up in the
	// history and holds its rows (hold) before it sends its first batch, because another run of the
	// file (another tool, journal or API key) may have sent a batch that is still on its way; the
	// steps of the same session, each its own Open, then go on without looking again. Empty: each
	// Open is a session of its own.
	Session string
}

// Run is one payout file and its journal. It is not safe for concurrent use; a Journal that is
// a Locker keeps other runs of the same file (other processes, other tabs) out until Close.
type Run struct {
	File *File
	j    Journal
	rows []*RowStatus
	now  func() time.Time
	// scan: this journal has never sent a row; the first Step looks the file up in the history
	// (it may have been started in another tool) before anything is sent.
	scan       bool
	scanWindow time.Duration
	started    time.Time // when this journal began (its header)
	session    string    // OpenOptions.Session
	peekTop    string    // the newest withdrawal the last peek saw (peek reads only newer ones)
	looked     bool      // this journal has looked the file up before (a session's scan)
	unlock     func()
	unknownRun int // batches in a row that ended with an unknown outcome
	// lastActive: when this journal last sent a batch, or ended a hold having seen nothing new (the
	// journal's SentAt and At). Within one in-flight bound after it, another run of the file that
	// started since is still in its own hold, and one already going on has seen this run's batches;
	// a run silent for longer looks and holds again before it sends.
	lastActive time.Time
	stopped    string // why the run stops early
}

// Open replays the journal onto the file's rows. The file must have no problems.
func Open(ctx context.Context, f *File, j Journal, o OpenOptions) (*Run, error) {
	if len(f.Problems) > 0 {
		return nil, &core.ValidationError{Field: "payout file", Value: f.Name, Problem: "has " + errtext.D(len(f.Problems)) + " problem(s) (the first: " + f.Problems[0].String() + "): fix them; nothing was sent"}
	}
	r := &Run{File: f, j: j, now: o.Now, scanWindow: o.ScanWindow, session: o.Session}
	if r.now == nil {
		r.now = time.Now
	}
	clock := r.now
	r.now = func() time.Time { return clock().Round(0) } // wall clock: a machine asleep stops the monotonic one
	if r.scanWindow <= 0 {
		r.scanWindow = 7 * 24 * time.Hour
	}
	if l, ok := j.(Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return nil, err
		}
		r.unlock = unlock
	}
	fail := func(err error) (*Run, error) {
		r.Close()
		return nil, err
	}
	entries, err := j.Load(ctx)
	if err != nil {
		return fail(errtext.Prefix("cannot read the journal: ", err))
	}
	r.rows = make([]*RowStatus, len(f.Rows))
	byLine := make(map[int]*RowStatus, len(f.Rows))
	for i, row := range f.Rows {
		r.rows[i] = &RowStatus{Row: row, State: Pending}
		byLine[row.Line] = r.rows[i]
	}
	if len(entries) == 0 {
		r.started = r.now().UTC()
		if err := j.Append(ctx, []Entry{{V: JournalVersion, File: f.Name, SHA256: f.Hash, Rows: len(f.Rows), At: r.started}}); err != nil {
			return fail(errtext.Prefix("cannot write the journal: ", err))
		}
		r.scan = true
		return r, nil
	}
	h := entries[0]
	if h.V == 0 || h.SHA256 == "" {
		return fail(errors.New("the journal does not start with a payout journal header: it is not a wallexkit journal"))
	}
	if h.V > JournalVersion {
		// Its entries may carry states and members this version cannot read: read as today's,
		// a row another version sent could count as not sent.
		return fail(errors.New("the journal was written by a newer wallexkit (journal format " + errtext.D(h.V) + ", this one reads up to " + errtext.D(JournalVersion) + "): continue this file with that version; nothing was sent"))
	}
	if h.SHA256 != f.Hash {
		return fail(errors.New("the journal belongs to another payout file (its SHA-256 differs): restore that file to continue it, and put new or corrected rows in a new file"))
	}
	r.started = h.At
	if r.started.IsZero() {
		r.started = r.now().Add(-r.scanWindow)
	}
	looked := false // this session has looked the file up already
	var retried []Entry
	for _, e := range entries[1:] {
		// the newest in the journal's order, not the latest time (a clock set back since)
		if !e.SentAt.IsZero() {
			r.lastActive = e.SentAt
		}
		if !e.Scanned && !e.At.IsZero() {
			r.lastActive = e.At // a hold ended with nothing new (reconcile)
		}
		if e.Scanned {
			r.looked = true
			looked = o.Session != "" && e.Session == o.Session
			continue
		}
		p := byLine[e.Line]
		if p == nil {
			return fail(errors.New("the journal names line " + errtext.D(e.Line) + ", which holds no payout: it does not belong to this file"))
		}
		p.apply(e)
	}
	for _, p := range r.rows {
		if p.State == Sending {
			// The run that sent it stopped before the answer was recorded.
			p.State, p.Error = Unknown, "its batch left and no answer was recorded (the run stopped mid-call)"
		}
		if p.State == Sent {
			p.Earlier = true
		}
		if o.RetryFailed && p.State == Failed {
			p.State, p.Error = Pending, ""
			retried = append(retried, Entry{Line: p.Line, State: Pending, Error: "sent again on request (it was refused)"})
		}
		if (p.State == Pending || p.State == Unknown || p.State == InFlight) && !looked {
			// A session that may send looks first (OpenOptions.Session), after its rows of
			// unknown outcome are settled.
			r.scan = true
		}
	}
	if len(retried) > 0 {
		// Recorded, so that the session's later steps (each its own Open) keep the request.
		if err := j.Append(ctx, retried); err != nil {
			return fail(errtext.Prefix("cannot write the journal: ", err))
		}
	}
	return r, nil
}

// apply replays one journal entry onto the row. A state it does not know (a newer version's)
// makes the row's outcome unknown: looked up before anything is sent, never pending.
func (p *RowStatus) apply(e Entry) {
	p.Held = false
	if e.State != InFlight { // a look-up that waits keeps what the answer said
		p.answered = e.State == Unknown && e.Answered
	}
	switch e.State {
	case Sending:
		p.State, p.Nonce, p.SentAt, p.Deadline, p.Until, p.Error, p.batch = Sending, e.Nonce, e.SentAt, e.Deadline, time.Time{}, "", e.Batch
	case Sent:
		p.State, p.ID, p.Error, p.Reconciled = Sent, e.ID, "", e.Reconciled
	case Failed:
		p.State, p.Error = Failed, e.Error
	case Unknown:
		p.State, p.Error = Unknown, e.Error
		if e.Nonce != 0 {
			p.Nonce = e.Nonce
		}
	case Pending:
		p.State, p.Error, p.Until, p.Held = Pending, "", time.Time{}, false
	case InFlight:
		p.State, p.Until, p.Error = InFlight, e.Until, e.Error
		// (a journal of an earlier version marks a held row only by its missing send time)
		p.Held = e.Held || p.SentAt.IsZero()
	case Ambiguous:
		p.State, p.Error = Ambiguous, e.Error
	default:
		p.State, p.Error = Unknown, "the journal gives it a state this version does not know ("+string(e.State)+"): it is looked up before anything is sent"
	}
}

// Close releases the journal's lock.
func (r *Run) Close() {
	if r.unlock != nil {
		r.unlock()
		r.unlock = nil
	}
}

// Rows returns every row with its state, in file order.
func (r *Run) Rows() []RowStatus {
	out := make([]RowStatus, len(r.rows))
	for i, p := range r.rows {
		out[i] = *p
	}
	return out
}

// Summary counts the rows by state.
type Summary struct {
	Rows       int    `json:"rows"`
	Pending    int    `json:"pending"`
	Sent       int    `json:"sent"`
	SentNow    int    `json:"sent_now"`     // sent in this run, known from the answer
	Reconciled int    `json:"reconciled"`   // known from the history (a lost answer, or paid by another tool)
	Earlier    int    `json:"sent_earlier"` // sent in an earlier run, known from the answer
	Failed     int    `json:"failed"`
	Unknown    int    `json:"unknown"` // unknown and sending
	InFlight   int    `json:"in_flight"`
	Held       int    `json:"held"` // of the in_flight rows, those held back (RowStatus.Held)
	Ambiguous  int    `json:"ambiguous"`
	Done       bool   `json:"done"` // every row is sent
	Stopped    string `json:"stopped,omitempty"`
	// WaitUntil: the earliest time an in_flight row may be settled.
	WaitUntil time.Time `json:"wait_until,omitzero"`
	// Next tells a person what to do now, in one sentence that is safe to follow at once, in the
	// CLI's words (Advice().Say(CLI)); other tools word Run.Advice with their own verbs.
	Next string `json:"next"`
}

// Lines returns the lines of the rows in state s.
func (r *Run) Lines(s ...State) []int {
	var out []int
	for _, p := range r.rows {
		if slices.Contains(s, p.State) {
			out = append(out, p.Line)
		}
	}
	return out
}

// Summary reports where the run stands and what to do next.
func (r *Run) Summary() Summary {
	s := r.count()
	s.Next = r.advice(s).Say(CLI)
	return s
}

// count is the summary without the sentence.
func (r *Run) count() Summary {
	s := Summary{Rows: len(r.rows), Stopped: r.stopped}
	for _, p := range r.rows {
		switch p.State {
		case Pending:
			s.Pending++
		case Sent:
			s.Sent++
			switch {
			case p.Reconciled:
				s.Reconciled++
			case p.Now:
				s.SentNow++
			default:
				s.Earlier++
			}
		case Failed:
			s.Failed++
		case Unknown, Sending:
			s.Unknown++
		case InFlight:
			s.InFlight++
			if p.Held {
				s.Held++
			}
			if s.WaitUntil.IsZero() || p.Until.Before(s.WaitUntil) {
				s.WaitUntil = p.Until
			}
		case Ambiguous:
			s.Ambiguous++
		}
	}
	s.Done = s.Sent == s.Rows
	return s
}

// Step names what a person should do next about a payout file, whatever the tool: each tool
// words it with its own verbs (Advice.Say).
type Step string

const (
	StepDone      Step = "done"      // every payout is sent
	StepWait      Step = "wait"      // payouts may still be on their way: run it again after Until (or turn nonces on)
	StepHold      Step = "hold"      // payouts held until Until (Run.hold): run it again after that time
	StepReconcile Step = "reconcile" // payouts of unknown outcome: run it again now; they are looked up, never sent twice
	StepCheck     Step = "check"     // ambiguous payouts (Lines): a person checks the history; never sent again by a tool
	StepRetry     Step = "retry"     // refused payouts (Lines; nothing moved): fix the cause, then retry them
	StepSend      Step = "send"      // payouts not sent yet: run it again to send them
)

// Advice is the next step in a form any tool can word: the step, the rows it is about, and for
// StepWait the time before which nothing can be settled.
type Advice struct {
	Step  Step      `json:"step"`
	Count int       `json:"count"`           // the rows concerned
	Lines []int     `json:"lines,omitempty"` // StepCheck, StepRetry: their lines
	Until time.Time `json:"until,omitzero"`  // StepWait: not settled before
}

// Advice says what to do next; the first that applies of: done, wait, reconcile, check, retry,
// send.
func (r *Run) Advice() Advice { return r.advice(r.count()) }

func (r *Run) advice(s Summary) Advice {
	switch {
	case s.Done:
		return Advice{Step: StepDone}
	case s.InFlight > 0 && s.Held == s.InFlight:
		return Advice{Step: StepHold, Count: s.InFlight, Until: s.WaitUntil}
	case s.InFlight > 0:
		return Advice{Step: StepWait, Count: s.InFlight, Until: s.WaitUntil}
	case s.Unknown > 0:
		return Advice{Step: StepReconcile, Count: s.Unknown}
	case s.Ambiguous > 0:
		return Advice{Step: StepCheck, Count: s.Ambiguous, Lines: r.Lines(Ambiguous)}
	case s.Failed > 0:
		return Advice{Step: StepRetry, Count: s.Failed, Lines: r.Lines(Failed)}
	case s.Pending > 0:
		return Advice{Step: StepSend, Count: s.Pending}
	}
	return Advice{}
}

// Wording is how a tool names its own actions in the sentences of Advice.Say.
type Wording struct {
	Again      string                 // does the next thing: "run it again" (CLI), "press Resume" (console)
	AgainLater string                 // the same once the wait is over: "run it again after that time"
	Retry      string                 // sends refused rows once more: "retry them"
	Tool       string                 // "this tool", "this console"
	Time       func(time.Time) string // how a time is written (nil: RFC 3339, UTC)
}

// CLI is the wording of the wallexkit CLI (mass-withdraw).
var CLI = Wording{Again: "run it again", AgainLater: "run it again after that time", Retry: "retry them", Tool: "this tool"}

// Say words the advice as one sentence that is safe to follow at once.
func (a Advice) Say(w Wording) string {
	at := func(t time.Time) string {
		if w.Time != nil {
			return w.Time(t)
		}
		return t.UTC().Format(time.RFC3339)
	}
	switch a.Step {
	case StepDone:
		return "every payout is sent"
	case StepWait:
		// (rows sent without a nonce: the fence covers only a nonce the row's journal holds, so
		// turning nonces on now would not settle them any sooner)
		return errtext.D(a.Count) + " payout(s) may still be on their way and no nonce fence covers them, so they cannot be settled before " + at(a.Until) + ": " +
			w.AgainLater + "; they are never sent twice"
	case StepHold:
		return errtext.D(a.Count) + " payout(s) are held until " + at(a.Until) + ", so that a batch of this file sent from another tool, journal or API key arrives first: " +
			w.AgainLater + "; they are looked up again before they are sent, never paid twice"
	case StepReconcile:
		return errtext.D(a.Count) + " payout(s) have an unknown outcome: " + w.Again + " to reconcile them (it is safe at once: they are looked up, never sent twice)"
	case StepCheck:
		return errtext.D(a.Count) + " payout(s) are ambiguous (lines " + joinLines(a.Lines) + "): check them in the withdrawal history; they are never sent again by " + w.Tool
	case StepRetry:
		return errtext.D(a.Count) + " payout(s) were refused (lines " + joinLines(a.Lines) + "; nothing moved): fix the cause, then " + w.Retry
	case StepSend:
		return errtext.D(a.Count) + " payout(s) are not sent yet: " + w.Again + " to send them"
	}
	return ""
}

func joinLines(ls []int) string {
	var b strings.Builder
	for i, l := range ls {
		if i == 20 {
			b.WriteString(" and " + errtext.D(len(ls)-20) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(l))
	}
	return b.String()
}

// Action is what a Step did.
type Action string

const (
	Scanned    Action = "scanned"    // looked the file up in the history (first run in this journal)
	Reconciled Action = "reconciled" // settled rows of unknown outcome
	SentBatch  Action = "sent"       // sent one batch
	Finished   Action = "finished"   // nothing more to do in this run
)

// StepResult is what one Step did.
type StepResult struct {
	Action Action `json:"action"`
	Lines  []int  `json:"lines,omitempty"` // the rows it touched
	// More is true while another Step has work to do in this run.
	More bool `json:"more"`
}

// StepOptions tune Step.
type StepOptions struct {
	Batch int // payouts per create_mass_withdrawal, 1–100 (default 25)
}

// Step does the next thing the file needs, and only one: look it up in the history (first run
// here), reconcile rows of unknown outcome (always before anything is sent), or send one batch
// of pending rows. A batch is journaled (with its nonce and deadline) before it leaves. Step
// returns an error only when it could not find out or record what happened; the rows then keep
// a state that the next Step settles safely.
func (r *Run) Step(ctx context.Context, c *core.Client, o StepOptions) (StepResult, error) {
	if o.Batch == 0 {
		o.Batch = 25
	}
	if o.Batch < 1 || o.Batch > MaxBatch {
		return StepResult{}, &core.ValidationError{Field: "batch", Value: strconv.Itoa(o.Batch), Problem: "give 1 to " + errtext.D(MaxBatch) + " payouts per call"}
	}
	now := r.now()
	var unsettled []*RowStatus
	for _, p := range r.rows {
		if p.State == Unknown || p.State == Sending || (p.State == InFlight && !now.Before(p.Until)) {
			unsettled = append(unsettled, p)
		}
	}
	if len(unsettled) > 0 {
		return r.reconcile(ctx, c, unsettled)
	}
	if r.scan {
		return r.scanHistory(ctx, c)
	}
	if r.stopped != "" {
		return StepResult{Action: Finished}, nil
	}
	var batch []*RowStatus
	for _, p := range r.rows {
		if p.State == Pending {
			batch = append(batch, p)
			if len(batch) == o.Batch {
				break
			}
		}
	}
	if len(batch) == 0 {
		return StepResult{Action: Finished}, nil
	}
	paid, err := r.peek(ctx, c)
	if err != nil {
		r.stopped = "cannot check the history before sending: " + err.Error()
		return StepResult{}, errtext.Prefix("cannot check the withdrawal history before sending (nothing was sent): ", err)
	}
	if now := r.now(); len(paid) == 0 && (r.lastActive.IsZero() || r.lastActive.After(now) || now.After(c.InFlightUntil(r.lastActive.Round(0), time.Time{}))) {
		// Silent for longer than one bound (a laptop asleep, a page frozen, a paused process, its
		// own batch of unknown outcome looked up much later): another run may have held, found
		// nothing new and sent a batch that is still on its way.
		why := "this run has not sent or looked since " + r.lastActive.UTC().Format(time.RFC3339) + ", longer than a request may take to land, and another run may have sent meanwhile"
		if r.lastActive.IsZero() {
			why = "this run has not held the file yet"
		}
		entries := r.hold(c, r.pending(), why)
		entries = append(entries, Entry{Scanned: true, Session: r.session, At: r.now().UTC()})
		if err := r.j.Append(ctx, entries); err != nil {
			return StepResult{}, errtext.Prefix("cannot write the journal: ", err)
		}
		return StepResult{Action: Reconciled, More: true}, nil
	}
	if len(paid) > 0 {
		// Another run of this file is going on: take what it paid, and hold the rest until it
		// is quiet (hold), as a run that starts while another goes on does.
		var entries []Entry
		var lines []int
		for _, p := range r.rows { // in file order
			if !slices.Contains(paid, p) {
				continue
			}
			if p.State == Ambiguous {
				entries = append(entries, Entry{Line: p.Line, State: Ambiguous, Error: p.Error})
			} else {
				entries = append(entries, Entry{Line: p.Line, State: Sent, ID: p.ID, Reconciled: true})
			}
			lines = append(lines, p.Line)
		}
		entries = append(entries, r.hold(c, r.pending(), "rows of this file were paid from another tool, journal or API key while this run was not looking (lines "+joinLines(lines)+"): another run of it may be going on")...)
		if err := r.j.Append(ctx, entries); err != nil {
			return StepResult{}, errtext.Prefix("cannot write the journal: ", err)
		}
		return StepResult{Action: Reconciled, Lines: lines, More: true}, nil
	}
	return r.send(ctx, c, batch)
}

// Next says what the next Step will do (Finished: nothing), so that a caller can ask for a
// confirmation before the first batch is sent.
func (r *Run) Next() Action {
	now := r.now()
	for _, p := range r.rows {
		if p.State == Unknown || p.State == Sending || (p.State == InFlight && !now.Before(p.Until)) {
			return Reconciled
		}
	}
	if r.scan {
		return Scanned
	}
	if r.stopped != "" {
		return Finished
	}
	for _, p := range r.rows {
		if p.State == Pending {
			return SentBatch
		}
	}
	return Finished
}

// Pending returns the rows a Step would send in this run, in file order.
func (r *Run) Pending() []RowStatus {
	var out []RowStatus
	for _, p := range r.pending() {
		out = append(out, *p)
	}
	return out
}

// scanHistory is the first Step of a session that will send (OpenOptions.Session): rows of this
// file may have been paid by another run of it (another tool, journal or API key). It looks the
// rows not sent yet up in the recent history (fenced when the client has nonces): rows found are
// sent; rows that match a payout of another version of the file are ambiguous; the others are held
// (hold) and looked up once more before their first batch.
func (r *Run) scanHistory(ctx context.Context, c *core.Client) (StepResult, error) {
	since := r.now().Add(-r.scanWindow)
	// The rows this session may send: pending ones, and held ones (an earlier session's hold
	// is not this session's: it holds them again, from now).
	var rows []*RowStatus
	for _, p := range r.rows {
		if p.State == Pending || (p.State == InFlight && p.Held) {
			rows = append(rows, p)
		}
	}
	qs := make([]core.ReconcileQuery, len(rows))
	for i, p := range rows {
		qs[i] = r.query(p, since)
	}
	res, err := c.ReconcileAll(ctx, qs)
	if err != nil {
		return StepResult{}, errtext.Prefix("cannot look the file up in the withdrawal history before sending (nothing was sent): ", err)
	}
	found := map[*RowStatus]core.WithdrawalInfo{}
	for i, p := range rows {
		if res[i].Verdict == core.Found {
			found[p] = res[i].Withdrawals[0]
		}
	}
	var rest []*RowStatus
	for i, p := range rows {
		if res[i].Verdict != core.Found && res[i].Verdict != core.Ambiguous {
			rest = append(rest, p)
		}
	}
	earlier, err := r.earlierVersions(ctx, c, rest, since, found)
	if err != nil {
		return StepResult{}, errtext.Prefix("cannot look the file up in the withdrawal history before sending (nothing was sent): ", err)
	}
	// Nothing has changed yet: from here on every change is journaled.
	var lines []int
	var entries []Entry
	for i, p := range rows {
		switch {
		case res[i].Verdict == core.Found:
			w := found[p]
			p.State, p.ID, p.Reconciled, p.Error, p.Until, p.Held = Sent, w.ID, true, "", time.Time{}, false
			lines = append(lines, p.Line)
			entries = append(entries, Entry{Line: p.Line, State: Sent, ID: w.ID, Reconciled: true})
		case notYet(res[i]):
			// Held below, and looked up again once its look-alikes may list their address.
		case res[i].Verdict == core.Ambiguous:
			// The history could not tell (it held more than the search read, or several
			// withdrawals look like this row): a person decides, nothing is sent for it.
			p.State, p.Error, p.Until, p.Held = Ambiguous, res[i].Detail+lookAlikes(res[i]), time.Time{}, false
			entries = append(entries, Entry{Line: p.Line, State: Ambiguous, Error: p.Error})
		case earlier[p] != "":
			p.State, p.Error, p.Until, p.Held = Ambiguous, earlier[p], time.Time{}, false
			entries = append(entries, Entry{Line: p.Line, State: Ambiguous, Error: p.Error})
		}
	}
	why := "not sent from this journal yet"
	if r.looked {
		why = "this journal resumes the file"
	}
	if len(lines) > 0 {
		why = "rows of this file were paid from another tool, journal or API key (lines " + joinLines(lines) + ")"
	}
	var held, waiting []*RowStatus
	var waitingOn []*core.ReconcileResult
	for i, p := range rows {
		switch {
		case notYet(res[i]):
			waiting, waitingOn = append(waiting, p), append(waitingOn, res[i])
		case p.State == Pending || p.State == InFlight:
			held = append(held, p)
		}
	}
	entries = append(entries, r.hold(c, held, why)...)
	entries = append(entries, r.holdNotYet(c, waiting, waitingOn)...)
	entries = append(entries, Entry{Scanned: true, Session: r.session, At: r.now().UTC()})
	if err := r.j.Append(ctx, entries); err != nil {
		return StepResult{}, errtext.Prefix("cannot write the journal: ", err)
	}
	r.scan, r.looked = false, true
	return StepResult{Action: Scanned, Lines: lines, More: true}, nil
}

// pending returns the rows in state Pending.
func (r *Run) pending() []*RowStatus {
	var out []*RowStatus
	for _, p := range r.rows {
		if p.State == Pending {
			out = append(out, p)
		}
	}
	return out
}

// hold keeps rows that this journal has not sent from being sent for one in-flight bound (the
// client's timeout plus its in-flight window), and returns their journal entries. A batch of this
// file that another tool, journal or API key sent before now (a process killed while the network
// held its batch) lands by then or never; no fence proves it sooner, because a fence covers only
// its own key's nonces, and only nonces below its own. When the time has come, the rows are looked
// up again (reconcile): rows of the file paid in the meantime mean another run of it may be going
// on, and the rest are held once more.
func (r *Run) hold(c *core.Client, rows []*RowStatus, why string) []Entry {
	if len(rows) == 0 {
		return nil
	}
	now := r.now()
	until := c.InFlightUntil(now, time.Time{})
	// Two runs of one file started together in two tools would be held alike and both send at
	// the end: a random part of up to a quarter of the wait (at most 30 s) makes one of them
	// look again after the other's first batch has landed.
	if spread := min(until.Sub(now)/4, 30*time.Second); spread > 0 {
		until = until.Add(rand.N(spread))
	}
	msg := why + ": held until " + until.UTC().Format(time.RFC3339) + ", by which time a batch of this file sent earlier from another tool, journal or API key has arrived or never will; then looked up again before it is sent"
	out := make([]Entry, 0, len(rows))
	for _, p := range rows {
		p.State, p.Until, p.Error, p.Held = InFlight, until, msg, true
		out = append(out, Entry{Line: p.Line, State: InFlight, Until: until, Error: msg, Held: true})
	}
	return out
}

// notYet reports whether v is ambiguous only because of withdrawals that list no address
// because they are not complete yet (awaiting email confirmation, or pending): once complete the
// history lists their address and tells them apart from the row, so the row is looked up again
// then rather than left ambiguous for good. Nothing is sent for it before.
func notYet(v *core.ReconcileResult) bool {
	if v.Verdict != core.Ambiguous || len(v.Withdrawals) == 0 {
		return false
	}
	for _, w := range v.Withdrawals {
		if w.SendAddress != "" || (w.Status != core.WithdrawalAwaitingConfirm && w.Status != core.WithdrawalPending) {
			return false
		}
	}
	return true
}

// lookAlikes names the withdrawals an ambiguous verdict is about, for a person to check.
func lookAlikes(v *core.ReconcileResult) string {
	if len(v.Withdrawals) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" (")
	for i, w := range v.Withdrawals {
		if i == 10 {
			b.WriteString(", and " + errtext.D(len(v.Withdrawals)-10) + " more")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("withdrawal " + w.ID + " of " + w.TimeCreated.UTC().Format(time.RFC3339) + ", " + w.Status.String())
	}
	b.WriteString(")")
	return b.String()
}

// holdNotYet holds rows whose look-alikes are not complete yet (notYet), saying which.
func (r *Run) holdNotYet(c *core.Client, rows []*RowStatus, res []*core.ReconcileResult) []Entry {
	out := make([]Entry, 0, len(rows))
	for i, p := range rows {
		e := r.hold(c, []*RowStatus{p}, res[i].Detail+lookAlikes(res[i])+"; they list their address once complete (confirm or cancel one awaiting its email confirmation)")
		out = append(out, e...)
	}
	return out
}

// earlierVersions looks, among rows about to be sent, for payouts made from another version of
// this file: an edited file has another tag, so its paid rows are not found by their notes. A row
// whose coin, amount, address and memo match such a withdrawal (with a wallexkit tag of another
// file) is ambiguous: a person decides, and to pay it again on purpose gives it another memo; so
// is a row that differs from one made in the last day only in its memo (an edited memo). It
// returns why, by row, and changes nothing; found holds the withdrawals just found for other rows.
func (r *Run) earlierVersions(ctx context.Context, c *core.Client, rows []*RowStatus, since time.Time, found map[*RowStatus]core.WithdrawalInfo) (map[*RowStatus]string, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	taken := map[string]bool{}
	for _, p := range r.rows {
		if p.ID != "" {
			taken[p.ID] = true
		}
	}
	for _, w := range found {
		if w.ID != "" {
			taken[w.ID] = true
		}
	}
	var hist []core.WithdrawalInfo
	for w, err := range c.WithdrawalHistory(ctx, &core.ListParams{Newer: since.Add(-core.DefaultReconcileSlack - c.ClockAhead()), Limit: historyItems}) {
		if err != nil {
			return nil, err
		}
		hist = append(hist, w)
	}
	return r.matchEarlier(rows, hist, taken), nil
}

// matchEarlier gives each row that a withdrawal of hist paid from another version of this file
// (earlierVersions) the reason it is ambiguous. A withdrawal in taken, or matched once, is not
// matched again.
func (r *Run) matchEarlier(rows []*RowStatus, hist []core.WithdrawalInfo, taken map[string]bool) map[*RowStatus]string {
	var others []core.WithdrawalInfo
	for _, w := range hist {
		if memo, tag, ok := splitNote(w.Note); ok && tag != r.File.Tag && !taken[w.ID] {
			w.Note = memo
			others = append(others, w)
		}
	}
	out := map[*RowStatus]string{}
	recent := r.now().Add(-sameDay)
	for _, p := range rows {
		for _, w := range others {
			if taken[w.ID] || !strings.EqualFold(w.Coin, p.Currency) || w.Amount != p.Amount || !addressMayBe(w.SendAddress, p.Address) {
				continue
			}
			// A withdrawal the history gives no readable time may be of today: within the day.
			undated := w.TimeCreated.IsZero()
			at, until := "withdrawal "+w.ID, "a day from now"
			if !undated {
				at += " of " + w.TimeCreated.UTC().Format(time.RFC3339)
				until = w.TimeCreated.Add(sameDay).UTC().Format(time.RFC3339)
			}
			switch {
			case w.Note == p.Memo:
				out[p] = at + " paid the same amount, coin, address and memo from another version of this file: if it is this payout, it is paid; " +
					"to pay it again on purpose, put it in a new file with another memo. Not sent"
			case undated || w.TimeCreated.After(recent):
				// Only the memo differs, within the day: an edited memo, more likely than a
				// second payout of the same amount to the same address.
				out[p] = at + " paid the same amount and coin to this address from another version of this file (memo " + errtext.Q(w.Note) + "): " +
					"if it is this payout, it is paid; to pay it again on purpose, put it in a new file after " + until + ". Not sent"
			default:
				continue
			}
			if w.ID != "" {
				taken[w.ID] = true
			}
			break
		}
	}
	return out
}

// sameDay is how long a payout of another version of a file stops a row that differs from it only
// in its memo (earlierVersions).
const sameDay = 24 * time.Hour

// splitNote reads a note that NoteFor wrote: its memo and the file's tag ("wk:" and 8 hex digits).
func splitNote(note string) (memo, tag string, ok bool) {
	wk := note
	if strings.HasSuffix(note, ")") {
		i := strings.LastIndex(note, " (")
		if i < 0 {
			return "", "", false
		}
		memo, wk = note[:i], note[i+2:len(note)-1]
	}
	hexTag, line, found := strings.Cut(strings.TrimPrefix(wk, tagPrefix), ":")
	if !strings.HasPrefix(wk, tagPrefix) || !found || len(hexTag) != 8 || strings.Trim(hexTag, "0123456789abcdef") != "" {
		return "", "", false
	}
	if n, err := strconv.Atoi(line); err != nil || n < 1 {
		return "", "", false
	}
	return memo, tagPrefix + hexTag, true
}

// addressMayBe reports whether a withdrawal's send_address may be the row's address: the same in
// whatever form the API keeps it, or none listed yet (the API gives it once the withdrawal is
// complete). The row's note (its file's tag and line) or memo is matched as well.
func addressMayBe(listed, address string) bool {
	same, unknown := core.CompareSendAddress(listed, address)
	return same || unknown
}

// historyItems bounds a look-up of the file in the withdrawal history. The search window (the
// scan window, or since a batch left) is what ends it; this only stops a runaway read, and a
// read stopped by it concludes nothing "not found" (core.ReconcileQuery.MaxItems): a file of
// 1,000 rows is more than the client's default of 500 items on its own.
const historyItems = 50_000

// query is the reconcile query of a row.
func (r *Run) query(p *RowStatus, since time.Time) core.ReconcileQuery {
	q := core.ReconcileQuery{Cmd: "create_mass_withdrawal", Amount: p.Amount.Text(), Currency: p.Currency,
		Address: p.Address, Note: p.Note, Since: since, Nonce: p.Nonce, SentAt: p.SentAt, Deadline: p.Deadline,
		Exclude: map[string]bool{}, MaxItems: historyItems}
	for _, o := range r.rows {
		if o.State == Sent && o.ID != "" {
			q.Exclude[o.ID] = true
		}
	}
	return q
}

// reconcile settles rows of unknown outcome, and held rows whose time has come, before anything
// else is sent.
func (r *Run) reconcile(ctx context.Context, c *core.Client, rows []*RowStatus) (StepResult, error) {
	// Through a gateway (core.WithGatewayCloseURL) a batch of this journal's carried its
	// operation id as Idempotency-Key: closed there first, no copy of it still on the network can
	// land, so the history read now is final for its rows (found, or not_found proven). Not a
	// held row's: what it waits for is a batch sent from elsewhere, not its own last one.
	closed := map[string]bool{}
	qs := make([]core.ReconcileQuery, len(rows))
	for i, p := range rows {
		since := p.SentAt.Add(-time.Minute)
		if p.SentAt.IsZero() || p.Held {
			since = r.now().Add(-r.scanWindow)
		}
		qs[i] = r.query(p, since)
		if p.Held {
			// Held (hold) while a batch of this file from elsewhere could still arrive, until
			// p.Until. That is the wait to check, so the query carries the send time whose
			// in-flight bound is p.Until (an unknown one would count as now, and the wait would
			// never end).
			wait := c.InFlightUntil(p.Until, time.Time{}).Sub(p.Until) // the client's timeout plus its in-flight window
			qs[i].SentAt, qs[i].Deadline = p.Until.Add(-wait), time.Time{}
		} else if p.batch != "" {
			v, ok := closed[p.batch]
			if !ok {
				v = c.CloseAtGateway(ctx, p.batch, p.SentAt)
				closed[p.batch] = v
			}
			qs[i].GatewayClosed = v
		}
	}
	res, err := c.ReconcileAll(ctx, qs)
	if err != nil {
		r.stopped = "reconciling failed: " + err.Error()
		return StepResult{}, errtext.Prefix("cannot reconcile "+errtext.D(len(rows))+" payout(s) of unknown outcome (nothing was sent): ", err)
	}
	// Rows of another version of the file are looked for before anything changes: a read that
	// fails leaves every row as it was.
	var candidates []*RowStatus
	found := map[*RowStatus]core.WithdrawalInfo{}
	now := r.now()
	stale := map[*RowStatus]bool{}
	for i, p := range rows {
		switch res[i].Verdict {
		case core.NotFound:
			if p.Held && now.After(c.InFlightUntil(p.Until, time.Time{})) {
				// Looked up more than a bound after its hold ended (a page left open, Check
				// again pressed later): a batch of another run sent since may be on its way.
				stale[p] = true
			} else if p.Held {
				candidates = append(candidates, p)
			}
		case core.Found:
			found[p] = res[i].Withdrawals[0]
		}
	}
	earlier, err := r.earlierVersions(ctx, c, candidates, r.now().Add(-r.scanWindow), found)
	if err != nil {
		r.stopped = "reconciling failed: " + err.Error()
		return StepResult{}, errtext.Prefix("cannot look held payouts up in the withdrawal history (nothing was sent): ", err)
	}
	entries := make([]Entry, 0, len(rows))
	lines := make([]int, 0, len(rows))
	var paidMeanwhile []int    // held rows found: paid elsewhere while this run held them
	released := map[int]bool{} // held rows not found: due to be sent
	var waiting []*RowStatus   // held rows whose look-alikes list no address yet: held again
	var waitingOn []*core.ReconcileResult
	for i, p := range rows {
		v := res[i]
		lines = append(lines, p.Line)
		switch {
		case notYet(v) && p.Held:
			waiting, waitingOn = append(waiting, p), append(waitingOn, v)
		case notYet(v):
			// Its batch left (or may have): once the look-alikes are complete the history lists
			// their address and tells them apart; looked up again then, never sent before.
			p.State, p.Until, p.Error = InFlight, c.InFlightUntil(now, time.Time{}), v.Detail+lookAlikes(v)+": looked up again after that time"
			entries = append(entries, Entry{Line: p.Line, State: InFlight, Until: p.Until, Error: p.Error})
		case v.Verdict == core.Found:
			if p.Held {
				paidMeanwhile = append(paidMeanwhile, p.Line)
			}
			p.State, p.ID, p.Reconciled, p.Error, p.Until, p.Held = Sent, v.Withdrawals[0].ID, true, "", time.Time{}, false
			entries = append(entries, Entry{Line: p.Line, State: Sent, ID: p.ID, Reconciled: true})
		case v.Verdict == core.NotFound && stale[p]:
			p.State, p.Error, p.Until, p.Held = Pending, "", time.Time{}, false // held again below
		case v.Verdict == core.NotFound && earlier[p] != "":
			p.State, p.Error, p.Until, p.Held = Ambiguous, earlier[p], time.Time{}, false
			entries = append(entries, Entry{Line: p.Line, State: Ambiguous, Error: p.Error})
			paidMeanwhile = append(paidMeanwhile, p.Line) // another version of the file may be being paid
		case v.Verdict == core.NotFound && p.answered:
			// Its batch was answered, unclearly for it, and it was not carried out: the API
			// refused it. Sent again by the run itself, an API that answers so every time would
			// have it sent for ever; "Retry refused rows" sends it on the person's word.
			p.State, p.Error, p.answered = Failed, p.Error+"; not carried out (not in the withdrawal history after the fence): refused", false
			entries = append(entries, Entry{Line: p.Line, State: Failed, Error: p.Error})
		case v.Verdict == core.NotFound:
			if p.Held {
				released[p.Line] = true
			}
			p.State, p.Error, p.Until, p.Held = Pending, "", time.Time{}, false
			entries = append(entries, Entry{Line: p.Line, State: Pending, Error: v.Detail})
		case v.Verdict == core.InFlight:
			p.State, p.Until, p.Error = InFlight, v.Until, v.Detail
			entries = append(entries, Entry{Line: p.Line, State: InFlight, Until: v.Until, Error: v.Detail, Held: p.Held})
		default:
			p.State, p.Error, p.Held = Ambiguous, v.Detail+lookAlikes(v), false
			entries = append(entries, Entry{Line: p.Line, State: Ambiguous, Error: p.Error})
		}
	}
	entries = append(entries, r.holdNotYet(c, waiting, waitingOn)...)
	switch {
	case len(paidMeanwhile) > 0:
		// Another run of this file may be going on: hold the rest again until it is quiet.
		entries = append(entries, r.hold(c, r.pending(), "rows of this file were paid from another tool, journal or API key while this run held it (lines "+joinLines(paidMeanwhile)+"): another run of it may be going on")...)
	case len(stale) > 0:
		entries = append(entries, r.hold(c, r.pending(), "looked up long after its hold ended, so another run's batch may be on its way")...)
	}
	if len(paidMeanwhile) == 0 && len(stale) == 0 {
		// A hold ended with nothing new: this run may send for one bound (lastActive).
		quiet := false
		for i := range entries {
			if entries[i].State == Pending && released[entries[i].Line] {
				entries[i].At, quiet = now.UTC(), true
			}
		}
		if quiet {
			r.lastActive = now
		}
	}
	if err := r.j.Append(ctx, entries); err != nil {
		return StepResult{}, errtext.Prefix("cannot write the journal: ", err)
	}
	return StepResult{Action: Reconciled, Lines: lines, More: true}, nil
}

// peek looks, just before a batch leaves, for rows not sent yet that another run of this file
// (another tool, journal or API key) paid while this run was not looking: a run going on beside
// another. It reads only withdrawals newer than those its last look saw, so it looks for every row
// not sent yet, not only the batch's.
func (r *Run) peek(ctx context.Context, c *core.Client) ([]*RowStatus, error) {
	byNote := map[string]*RowStatus{}
	for _, p := range r.rows {
		if p.State == Pending || p.State == Failed || (p.State == InFlight && p.Held) {
			byNote[p.Note] = p
		}
	}
	var seen []core.WithdrawalInfo
	top := ""
	for w, err := range c.WithdrawalHistory(ctx, &core.ListParams{Newer: r.started.Add(-core.DefaultReconcileSlack - c.ClockAhead()), Limit: historyItems}) {
		if err != nil {
			return nil, err
		}
		// A history that lists no ids (left out, or null) gives no mark to stop at: an id ""
		// would stop at its first item, and nothing paid meanwhile would be seen.
		if w.ID != "" && w.ID == r.peekTop {
			break
		}
		if len(seen) == 0 {
			top = w.ID // the newest: "" keeps the last mark
		}
		seen = append(seen, w)
	}
	// Nothing has changed yet: a read that fails leaves every row as it was.
	var paid []*RowStatus
	taken := map[string]bool{}
	for _, w := range seen {
		if p := byNote[w.Note]; p != nil && strings.EqualFold(w.Coin, p.Currency) && w.Amount == p.Amount && addressMayBe(w.SendAddress, p.Address) {
			p.State, p.ID, p.Reconciled, p.Error, p.Until, p.Held = Sent, w.ID, true, "", time.Time{}, false
			paid = append(paid, p)
			if w.ID != "" {
				taken[w.ID] = true // "" would take every id-less item
			}
			delete(byNote, w.Note)
		}
	}
	for _, p := range r.rows {
		if p.ID != "" {
			taken[p.ID] = true
		}
	}
	// Payouts of another version of the file, made while this run was not looking.
	var rest []*RowStatus // in file order (no sort: it would link a generic sort into the wasm builds)
	for _, p := range r.rows {
		if byNote[p.Note] == p {
			rest = append(rest, p)
		}
	}
	for p, why := range r.matchEarlier(rest, seen, taken) {
		p.State, p.Error, p.Until, p.Held = Ambiguous, why, time.Time{}, false
		paid = append(paid, p)
	}
	if top != "" {
		r.peekTop = top
	}
	return paid, nil
}

// send pays one batch.
func (r *Run) send(ctx context.Context, c *core.Client, batch []*RowStatus) (StepResult, error) {
	items := make([]core.MassWithdrawalItem, len(batch))
	lines := make([]int, len(batch))
	for i, p := range batch {
		note := p.Note
		items[i] = core.MassWithdrawalItem{Key: p.Key, Amount: p.Amount.Text(), Currency: p.Currency, Address: p.Address, Note: &note}
		lines[i] = p.Line
	}
	journaled := false
	record := func(ctx context.Context, op core.Op) error {
		entries := make([]Entry, len(batch))
		for i, p := range batch {
			entries[i] = Entry{Line: p.Line, State: Sending, Nonce: op.Nonce, SentAt: op.SentAt, Deadline: op.Deadline, Batch: op.ID}
		}
		if err := r.j.Append(ctx, entries); err != nil {
			return err
		}
		journaled = true
		for _, p := range batch {
			p.State, p.Nonce, p.SentAt, p.Deadline, p.Error, p.Now, p.batch = Sending, op.Nonce, op.SentAt, op.Deadline, "", true, op.ID
			p.answered = false
		}
		r.lastActive = op.SentAt.Round(0)
		return nil
	}
	mw, err := c.CreateMassWithdrawal(core.Journaled(ctx, record), items)
	var out []Entry
	if err != nil {
		state, msg := classify(err)
		if !journaled {
			// Refused before the request left (the journal could not be written, the context
			// ended, bad input): nothing was sent.
			state = Pending
		}
		for _, p := range batch {
			switch state {
			case Pending:
				p.State, p.Error = Pending, ""
				if journaled {
					out = append(out, Entry{Line: p.Line, State: Pending, Error: "not sent: " + msg})
				}
			case Failed:
				p.State, p.Error = Failed, msg
				out = append(out, Entry{Line: p.Line, State: Failed, Error: msg})
			default:
				p.State, p.Error = Unknown, msg
				var ou *core.OutcomeUnknownError
				if errors.As(err, &ou) && ou.Nonce != 0 {
					p.Nonce = ou.Nonce
				}
				out = append(out, Entry{Line: p.Line, State: Unknown, Error: msg, Nonce: p.Nonce})
			}
		}
		switch {
		case state == Unknown:
			r.unknownRun++
		case core.CodeOf(err) == core.CodeTransport || !journaled:
			r.stopped = "not sent: " + msg
		default:
			r.unknownRun = 0
		}
		if r.unknownRun >= 2 {
			r.stopped = "two batches in a row ended with an unknown outcome (the network may be failing): stopped sending"
		}
	} else {
		r.unknownRun = 0
		for i, p := range batch {
			res := mw.Results[i]
			switch {
			case core.CodeOf(res.Err) == core.CodeOutcomeUnknown:
				// The answer does not say this payout was refused (it left it out, or named it
				// unclearly): it may have been carried out. The batch was answered: found not
				// carried out, it was refused, and is not sent again by the run itself (an API
				// that answers so every time would have it sent for ever).
				p.State, p.Error, p.answered = Unknown, errtext.Of(errors.Unwrap(res.Err)), true
				out = append(out, Entry{Line: p.Line, State: Unknown, Error: p.Error, Answered: true})
			case res.Err != nil:
				p.State, p.Error = Failed, res.Err.Error()
				out = append(out, Entry{Line: p.Line, State: Failed, Error: p.Error})
			case res.Withdrawal == nil || res.Withdrawal.ID == "":
				p.State, p.Error = Unknown, "the answer has no withdrawal id for this payout"
				out = append(out, Entry{Line: p.Line, State: Unknown, Error: p.Error})
			default:
				p.State, p.ID, p.Error = Sent, res.Withdrawal.ID, ""
				out = append(out, Entry{Line: p.Line, State: Sent, ID: p.ID})
			}
		}
	}
	if len(out) > 0 {
		if jerr := r.j.Append(context.WithoutCancel(ctx), out); jerr != nil {
			// The outcome is lost from the journal: its rows replay as "sending" and are
			// reconciled next time. Stop here.
			r.stopped = "cannot write the journal: " + jerr.Error()
			return StepResult{Action: SentBatch, Lines: lines}, errtext.Prefix("cannot write the journal: ", jerr)
		}
	}
	return StepResult{Action: SentBatch, Lines: lines, More: r.stopped == "" || r.hasUnsettled()}, nil
}

func (r *Run) hasUnsettled() bool {
	for _, p := range r.rows {
		if p.State == Unknown || p.State == Sending {
			return true
		}
	}
	return false
}

// classify says what a failed create_mass_withdrawal call means for its rows: Failed (refused:
// nothing was carried out), Pending (it never left), or Unknown.
func classify(err error) (State, string) {
	msg := err.Error()
	switch core.CodeOf(err) {
	case core.CodeOutcomeUnknown:
		return Unknown, "outcome unknown: " + msg
	case core.CodeInvalidInput, core.CodeAPIError, core.CodeAuth, core.CodePermission, core.CodeNonce, core.CodeRateLimited:
		return Failed, msg
	case core.CodeTransport:
		// For a money command the core returns a plain TransportError only when the request
		// never reached the server.
		return Pending, msg
	case core.CodeCanceled, core.CodeTimeout:
		if core.IsNotSent(err) {
			return Pending, msg
		}
	}
	return Unknown, "outcome unknown: " + msg
}
