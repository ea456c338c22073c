//go:build js && wasm

package main

import (
	"context"
	"errors"
	"sync"
	"syscall/js"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/payout"
	"github.com/wallexkit/wallexkit/internal/errtext"
	"github.com/wallexkit/wallexkit/internal/jsonw"
)

// Mass payouts through the payout engine (core/payout): the console passes the file's text on
// every call; the journal lives in the host's storage (storage.loadJournal / appendJournal /
// lockJournal), so a stopped runtime loses nothing. Without such storage the journal is kept in
// this Go instance only.

// payoutFileView is a parsed file for JS.
type payoutFileView struct {
	*payout.File
}

// payoutParse(text, {name?, currencies?, fees?}) reads and checks a payout file: every problem
// at once, the rows as they will be sent (line, note), totals per coin.
func payoutParse(args []js.Value) (any, error) {
	f, err := parseArgs(args)
	if err != nil {
		return nil, err
	}
	return payoutFileView{f}, nil
}

func parseArgs(args []js.Value) (*payout.File, error) {
	text, err := stringArg(args, 0, "text")
	if err != nil {
		return nil, err
	}
	o := optsArg(args, 1, "options")
	name := o.text("name")
	if name == "" {
		name = "payouts.csv"
	}
	var po payout.Options
	if v, ok := o.get("currencies"); ok {
		list, err := stringList([]js.Value{v}, 0, "currencies")
		if err != nil {
			return nil, err
		}
		po.Currencies = map[string]bool{}
		for _, c := range list {
			if t, err := core.CheckTicker("currencies", c); err == nil {
				po.Currencies[t] = true
			}
		}
	}
	if v, ok := o.get("balances"); ok && v.Type() == js.TypeObject {
		po.Balances = map[string]core.Amount{}
		for _, k := range keys(v) {
			if x := v.Get(k); x.Type() == js.TypeString {
				if a, err := core.ParseAmount(x.String()); err == nil {
					po.Balances[k] = a
				}
			}
		}
	}
	if v, ok := o.get("fees"); ok && v.Type() == js.TypeObject {
		po.Fees = map[string]core.Amount{}
		for _, k := range keys(v) {
			if x := v.Get(k); x.Type() == js.TypeString {
				if a, err := core.ParseAmount(x.String()); err == nil {
					po.Fees[k] = a
				}
			}
		}
	}
	if o.err != nil {
		return nil, o.err
	}
	return payout.Parse(name, []byte(text), po), nil
}

// checkAddress(coin, address) says whether address has coin's format and checksum (core's
// check: a mistyped character is caught): {ok: true} or {ok: false, problem}.
func checkAddress(args []js.Value) (any, error) {
	coin, err := stringArg(args, 0, "coin")
	if err != nil {
		return nil, err
	}
	addr, err := stringArg(args, 1, "address")
	if err != nil {
		return nil, err
	}
	var ve *core.ValidationError
	if err := core.CheckAddress(coin, addr); errors.As(err, &ve) {
		return checkResult{Problem: ve.Problem}, nil
	}
	return checkResult{OK: true}, nil
}

// withdrawalSplit({amount, fee?, addTxFee?}) → {debited?, fee?, received?}: core's one rule
// (core.SplitWithdrawal) for what a withdrawal takes from the balance and what its address
// receives, the network fee taken out of the amount or, with addTxFee, added on top. fee "" (or
// left out, or text that is not a positive amount, as rates' tx_fee can be) is a fee not known:
// the figure that depends on it is left out, as the CLI does.
func withdrawalSplit(args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	amount, feeText, addFee := o.amount("amount"), o.amount("fee"), o.flag("addTxFee")
	if o.err != nil {
		return nil, o.err
	}
	a, err := core.ParseAmount(amount)
	if err != nil {
		return nil, err
	}
	var fee *core.Amount
	if f, err := core.ParseAmount(feeText); err == nil {
		fee = &f
	}
	return core.SplitWithdrawal(a, fee, addFee)
}

// newReference() → "wk:" and 10 random hex digits: core's note for a withdrawal the person gave
// none (core.NewReference), by which reconcile tells it apart.
func newReference([]js.Value) (any, error) { return js.ValueOf(core.NewReference()), nil }

// checkResult is checkAddress's answer.
type checkResult struct {
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
}

// runView is where a payout run stands.
type runView struct {
	Action  payout.Action      `json:"action,omitempty"`
	Lines   []int              `json:"lines,omitempty"`
	More    bool               `json:"more"`
	Summary summaryView        `json:"summary"`
	Rows    []payout.RowStatus `json:"rows"`
	SHA256  string             `json:"sha256"`
	CSV     string             `json:"resultsCsv"`
}

// summaryView is the engine's summary with the next step for a console: its code (step,
// step_lines) and the engine's sentence worded with the console's buttons (next, in place of the
// CLI's "run it again").
type summaryView struct {
	payout.Summary
	Step      payout.Step `json:"step"`
	StepLines []int       `json:"step_lines,omitempty"`
	Next      string      `json:"next"`
}

// consoleWording names the console's own controls (web/screens/payouts.js) in the engine's
// sentences; times are this machine's local clock time, as the console shows them.
var consoleWording = payout.Wording{
	Again:      "press Resume",
	AgainLater: "press Check again after that time",
	Retry:      "press Retry refused rows",
	Tool:       "this console",
	Time:       localClock,
}

// localClock writes t as HH:MM:SS on this machine's clock (Go's js/wasm runtime knows no time
// zone, so JavaScript's Date says it).
func localClock(t time.Time) string {
	off := js.Global().Get("Date").New(float64(t.UnixMilli())).Call("getTimezoneOffset").Int() // minutes behind UTC
	return t.Add(-time.Duration(off) * time.Minute).UTC().Format(time.TimeOnly)
}

func summarize(run *payout.Run) summaryView {
	a := run.Advice()
	return summaryView{Summary: run.Summary(), Step: a.Step, StepLines: a.Lines, Next: a.Say(consoleWording)}
}

// payoutStatus(text, {name?}) replays the journal: where the file stands, without sending.
func payoutStatus(c *core.Client, args []js.Value) (any, error) {
	return payoutRun(c, args, false)
}

// payoutStep(text, {name?, batch?, retryFailed?}) does the next thing the file needs (look it up
// in the history, reconcile rows of unknown outcome, or send one batch, which is journaled with
// its nonce before it leaves) and returns where the file stands. Call it while `more` is true.
// Pass retryFailed only on the first step of a run the person asked for: it sends rows the API
// refused earlier once more.
func payoutStep(c *core.Client, args []js.Value) (any, error) {
	return payoutRun(c, args, true)
}

func payoutRun(c *core.Client, args []js.Value, step bool) (any, error) {
	f, err := parseArgs(args)
	if err != nil {
		return nil, err
	}
	o := optsArg(args, 1, "options")
	batch := o.integer("batch")
	retry := o.flag("retryFailed")
	session := o.text("session")
	if o.err != nil {
		return nil, o.err
	}
	if len(f.Problems) > 0 {
		return nil, &core.ValidationError{Field: "text", Problem: "the file has " + errtext.D(len(f.Problems)) + " problem(s) (the first: " + f.Problems[0].String() + "): fix them; nothing was sent"}
	}
	j := journalFor(storageOf(c), f.Hash)
	run, err := payout.Open(ctx(), f, j, payout.OpenOptions{RetryFailed: retry, Session: session})
	if err != nil {
		return nil, err
	}
	defer run.Close()
	out := runView{SHA256: f.Hash}
	var stepErr error
	if step {
		res, err := run.Step(ctx(), c, payout.StepOptions{Batch: batch})
		out.Action, out.Lines, out.More = res.Action, res.Lines, res.More
		stepErr = err
	} else {
		out.More = run.Next() != payout.Finished
	}
	out.Summary, out.Rows = summarize(run), run.Rows()
	out.CSV = string(payout.ResultsCSV(out.Rows))
	if stepErr != nil {
		// The rows keep a state the next step settles safely; the caller shows why it stopped.
		out.Summary.Stopped = stepErr.Error()
		out.More = false
	}
	return out, nil
}

// journalFor returns the journal of a payout file: in the host's storage when it has
// loadJournal and appendJournal, else in this instance's memory.
func journalFor(s *jsStorage, hash string) payout.Journal {
	if s != nil && s.v.Get("loadJournal").Type() == js.TypeFunction && s.v.Get("appendJournal").Type() == js.TypeFunction {
		return &jsJournal{s: s, hash: hash}
	}
	memJournalsMu.Lock()
	defer memJournalsMu.Unlock()
	j := memJournals[hash]
	if j == nil {
		j = &payout.MemoryJournal{}
		memJournals[hash] = j
	}
	return j
}

var (
	memJournalsMu sync.Mutex
	memJournals   = map[string]*payout.MemoryJournal{} // without host storage: a cache that dies with the instance
)

// jsJournal is a payout.Journal in the host's storage: loadJournal(hash) returns the entries
// (an array of JSON texts or objects), appendJournal(hash, texts) adds entries and resolves once
// they are stored; lockJournal(hash), when given, resolves to a release function once no other
// run of the file holds it (the Web Locks API across tabs and the service worker).
type jsJournal struct {
	s    *jsStorage
	hash string
}

func (j *jsJournal) Load(ctx context.Context) ([]payout.Entry, error) {
	v, err := j.s.call(ctx, "loadJournal", j.hash)
	if err != nil || absent(v) {
		return nil, err
	}
	texts, err := storedTexts(v, "loadJournal")
	if err != nil {
		return nil, err
	}
	out := make([]payout.Entry, 0, len(texts))
	for i, text := range texts {
		e, err := decodeEntry(text)
		if err != nil {
			return nil, errtext.Prefix("the payout journal is damaged at entry "+errtext.D(i+1)+": ", err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (j *jsJournal) Append(ctx context.Context, es []payout.Entry) error {
	arr := js.Global().Get("Array").New()
	for i := range es {
		var w jsonw.Writer
		writeEntry(&w, &es[i])
		b, err := w.Bytes()
		if err != nil {
			return err
		}
		arr.Call("push", string(b))
	}
	_, err := j.s.call(ctx, "appendJournal", j.hash, arr)
	return err
}

func (j *jsJournal) Lock(ctx context.Context) (func(), error) {
	return j.s.lock(ctx, "lockJournal", j.hash)
}
