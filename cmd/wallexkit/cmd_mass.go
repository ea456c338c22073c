package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
	"github.com/wallexkit/wallexkit/core/payout"
)

// mass-withdraw: the payout engine (core/payout) with a file journal. The rules (file format,
// row identity, note tag, states, journal, reconcile before send) are the engine's; this file
// only reads the file, asks to confirm, draws progress and writes the results.

const maxShownProbs = 200 // bad rows printed at most (the count is always exact)

func massWithdrawCommand() command {
	return command{
		name:    "mass-withdraw",
		args:    "FILE.csv [--results PATH] [--journal PATH] [--batch N] [--yes]",
		summary: "pay every row of a CSV file of payouts (create_mass_withdrawal)",
		help: "FILE.csv has the columns address,currency,amount[,memo], with an optional header row (a\n" +
			"header may name the columns in another order); blank lines and lines starting with # are\n" +
			"skipped. Every row is checked first (address, ticker, a positive amount with at most 8\n" +
			"decimals, memo length); if any row is bad, all bad rows are listed with their line numbers\n" +
			"and nothing is sent (exit 2). Rows that repeat an address, currency and amount are paid each\n" +
			"time, with a warning.\n" +
			"Each payout carries the note \"memo (wk:HASH:LINE)\" (HASH = the start of the file's SHA-256),\n" +
			"so it can be found again in the withdrawal history, by this tool or the console.\n" +
			"A journal records each batch, with its nonce and deadline, before it leaves. It is kept by\n" +
			"the file's content and the account, not the file's name (default <state dir>/payouts/\n" +
			"SHA256.ACCOUNT.jsonl, ACCOUNT from the API URL and public key): a renamed or\n" +
			"copied file continues the same run. Running the same command again is always safe, at once:\n" +
			"rows already sent are skipped, rows whose outcome is unknown are looked up first (with\n" +
			"nonces, proven by a nonce fence), only what is left is paid, and no row is paid twice. The\n" +
			"run of a file that will send (each time it is run) also looks for rows of it already paid\n" +
			"from another tool, journal or API key, then holds what is left for the timeout plus the\n" +
			"in-flight window (2.5 minutes by\n" +
			"default; a batch of the file sent elsewhere lands by then or never), looks again, and pays.\n" +
			"It holds again while rows of the file keep turning up (another run of it is going on), and\n" +
			"each batch first checks that no other run paid its rows. A row that matches a payout of an\n" +
			"earlier version of the file (same address, coin, amount and memo; or all but the memo, within\n" +
			"a day) is ambiguous, not paid: to pay it again on purpose, give it another memo.\n" +
			"The results CSV (default FILE.csv.results.csv) has line,address,currency,amount,memo,note,\n" +
			"status (sent|pending|failed|unknown|in_flight|ambiguous),withdrawal_id,error.\n" +
			yesHelp + "\n" +
			"Exit status: 0 all rows sent, 1 some rows were refused (nothing moved for them; run again\n" +
			"to retry) or the run stopped, 2 bad file or usage, 3 the API could not be reached (nothing\n" +
			"in doubt), 4 some rows are unknown, in flight or ambiguous (the message says what to do).",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			var o massOptions
			fs.StringVar(&o.results, "results", "", "results CSV `PATH` (default FILE.csv.results.csv)")
			fs.StringVar(&o.journal, "journal", "", "journal `PATH` (default: in the state directory, by the file's SHA-256)")
			fs.IntVar(&o.batch, "batch", 25, "payouts per API call, 1-100")
			fs.BoolVar(&o.yes, "yes", false, "do not ask for confirmation")
			return func(ctx context.Context, a *app, args []string) error {
				if len(args) != 1 {
					return usagef("mass-withdraw needs exactly one CSV file, e.g. 'wallexkit mass-withdraw payouts.csv'")
				}
				o.file = args[0]
				return a.massWithdraw(ctx, o)
			}
		},
	}
}

type massOptions struct {
	file, results, journal string
	batch                  int
	yes                    bool
}

func (a *app) massWithdraw(ctx context.Context, o massOptions) error {
	if o.batch < 1 || o.batch > payout.MaxBatch {
		return usagef("--batch %d: give 1 to %d payouts per call", o.batch, payout.MaxBatch)
	}
	if o.results == "" {
		o.results = o.file + ".results.csv"
	}
	data, err := os.ReadFile(o.file)
	if err != nil {
		return usagef("cannot read the payouts file: %v", err)
	}
	f := payout.Parse(filepath.Base(o.file), data, payout.Options{})
	var c *core.Client
	if len(f.Problems) == 0 {
		// The file is well formed: check it against the account too (the coins it has enabled,
		// their network fees, the balances), every row at once, before anything is sent.
		if c, err = a.client(true); err != nil {
			return err
		}
		if opts, err := a.accountChecks(ctx, c); err != nil {
			a.warnf("could not check the coins and balances first (%s); the API checks them when each batch is sent", a.redact(err.Error()))
		} else {
			f = payout.Parse(filepath.Base(o.file), data, opts)
		}
	}
	for _, w := range f.Warnings {
		a.warnf("%s", w)
	}
	if len(f.Problems) > 0 {
		// the count and the file are said once, in the error line below (-o json's message too)
		fmt.Fprintln(a.stderr, "Problems:")
		for i, p := range f.Problems {
			if i == maxShownProbs {
				fmt.Fprintf(a.stderr, "  ... and %d more\n", len(f.Problems)-i)
				break
			}
			fmt.Fprintf(a.stderr, "  %s\n", p)
		}
		return usagef("%d problem(s) in %s: fix them and run again; nothing was sent", len(f.Problems), o.file)
	}
	state, err := a.statePath()
	if err != nil {
		return err
	}
	// next to the state file itself when its path is a symlink (as the state file's locks are):
	// runs under either name use one journal, and its lock keeps them from paying at once
	state = filestore.ResolvePath(state)
	if o.journal == "" {
		o.journal = filestore.JournalPath(filepath.Dir(state), f.Hash, c.StoreKey())
	}
	// A file edited after a run started is a new file (its content is its identity): its rows
	// that match payouts of the earlier content would be ambiguous, each for a person to check.
	// Refuse it at the same path.
	paths := filepath.Join(filepath.Dir(state), "payouts", "paths.json")
	if prev, err := lastHashAt(paths, o.file); err == nil && prev != "" && prev != f.Hash {
		if _, err := os.Stat(filestore.JournalPath(filepath.Dir(state), prev, c.StoreKey())); err == nil {
			return usagef("%s changed since it was paid from (its earlier content has a journal, and some of its rows may be paid): "+
				"restore the original to continue it, and put new or corrected rows in a file of their own (a new name). A changed file "+
				"is a new list: its rows that match a payout of the earlier content are never paid again, but each is left for you to check", o.file)
		}
	}
	if samePath(o.results, o.file) || samePath(o.journal, o.file) || samePath(o.results, o.journal) {
		return usagef("the file, --results and --journal must be three different paths")
	}
	if err := a.canConfirm(o.yes); err != nil {
		return err
	}
	run, err := payout.Open(ctx, f, filestore.NewJournal(o.journal), payout.OpenOptions{RetryFailed: true, Now: a.now, Session: core.NewOpID()})
	if err != nil {
		if errors.Is(err, filestore.ErrJournalLocked) {
			return usagef("%s: %v", o.file, err)
		}
		return usagef("%s: %v (journal %s)", o.file, err, o.journal)
	}
	defer run.Close()
	if err := rememberHashAt(paths, o.file, f.Hash); err != nil {
		return fmt.Errorf("cannot record the payouts file in %s: %w", paths, err)
	}
	m := &massRun{a: a, c: c, o: o, run: run}
	return m.do(ctx)
}

// accountChecks reads what the payout checks need from the account: enabled coins with their
// network fees (rates accepted=1) and the balances.
func (a *app) accountChecks(ctx context.Context, c *core.Client) (payout.Options, error) {
	o := payout.Options{Currencies: map[string]bool{}, Fees: map[string]core.Amount{}, Balances: map[string]core.Amount{}}
	rates, err := c.Rates(ctx, &core.RatesParams{Accepted: true})
	if err != nil {
		return o, err
	}
	for _, r := range rates.Coins {
		if r.IsFiat {
			continue
		}
		o.Currencies[r.Coin] = true
		if fee, err := r.TxFee.Amount(); err == nil && fee.Sign() > 0 {
			o.Fees[r.Coin] = fee
		}
	}
	bal, err := c.Balances(ctx, &core.BalancesParams{All: true})
	if err != nil {
		return o, err
	}
	for _, b := range bal.Coins {
		o.Balances[b.Coin] = b.Amount
	}
	return o, nil
}

func samePath(x, y string) bool {
	ax, err1 := filepath.Abs(x)
	ay, err2 := filepath.Abs(y)
	return err1 == nil && err2 == nil && ax == ay
}

type massRun struct {
	a   *app
	c   *core.Client
	o   massOptions
	run *payout.Run

	stepErr error
}

func (m *massRun) do(ctx context.Context) error {
	a := m.a
	var prog *progress
	confirmed := false
	for {
		switch m.run.Next() {
		case payout.Finished:
			if a := m.run.Advice(); a.Step == payout.StepHold && a.Until.Sub(m.a.now()) <= maxHold {
				// The rows of a first run (or of a file another run is paying) wait out one
				// in-flight bound here, then are looked up again and sent.
				if !confirmed {
					todo := m.held()
					if err := m.confirm(todo); err != nil {
						return err
					}
					confirmed = true
					prog = newProgress(m.a, len(todo))
				}
				if err := m.hold(ctx, a); err != nil {
					prog.finish()
					return m.finish()
				}
				continue
			}
			prog.finish()
			return m.finish()
		case payout.Scanned:
			fmt.Fprintf(a.stderr, "Looking for rows of %s already paid (by this or another run of it) before sending...\n", m.o.file)
		case payout.Reconciled:
			s := m.run.Summary()
			if unknown := s.Unknown + s.InFlight - s.Held; unknown > 0 {
				fmt.Fprintf(a.stderr, "Looking up %d payout(s) whose outcome is unknown before sending anything...\n", unknown)
			} else {
				fmt.Fprintf(a.stderr, "Looking the %d held payout(s) up again before sending...\n", s.Held)
			}
		case payout.SentBatch:
			if !confirmed {
				todo := m.run.Pending()
				if err := m.confirm(todo); err != nil {
					return err
				}
				confirmed = true
				prog = newProgress(a, len(todo))
			}
		}
		res, err := m.run.Step(ctx, m.c, payout.StepOptions{Batch: m.o.batch})
		if res.Action == payout.SentBatch {
			prog.add(len(res.Lines))
		}
		if err != nil {
			m.stepErr = err
			prog.finish()
			return m.finish()
		}
		if !res.More {
			prog.finish()
			return m.finish()
		}
		if ctx.Err() != nil {
			prog.finish()
			return m.finish()
		}
	}
}

// maxHold is the longest hold the CLI waits out itself; a longer one ends the run with the advice
// to run it again after that time.
const maxHold = 15 * time.Minute

// confirm asks the person to confirm paying todo.
func (m *massRun) confirm(todo []payout.RowStatus) error {
	return m.a.confirm(m.o.yes, "pay "+strconv.Itoa(len(todo))+" payouts from "+m.o.file, m.confirmPairs(todo)...)
}

// held returns the rows a run would send once its hold is over: the held and the pending ones.
func (m *massRun) held() []payout.RowStatus {
	var out []payout.RowStatus
	for _, p := range m.run.Rows() {
		if p.State == payout.Pending || (p.State == payout.InFlight && p.Held) {
			out = append(out, p)
		}
	}
	return out
}

// hold waits until the advice's time, saying why; it returns the context's error if the person
// stops it (the rows stay held in the journal, and a run after that time looks them up).
func (m *massRun) hold(ctx context.Context, a payout.Advice) error {
	d := a.Until.Sub(m.a.now())
	fmt.Fprintf(m.a.stderr, "Holding %d payout(s) until %s (%s): a batch of this file sent from another tool, journal or API key arrives first; then they are looked up again and sent. Ctrl-C stops here with nothing sent.\n",
		a.Count, a.Until.UTC().Format(time.RFC3339), d.Round(time.Second))
	t := time.NewTimer(max(d, 0) + 10*time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *massRun) confirmPairs(todo []payout.RowStatus) []string {
	totals := map[string]core.Amount{}
	var curs []string
	for _, p := range todo {
		t, ok := totals[p.Currency]
		if !ok {
			curs = append(curs, p.Currency)
		}
		totals[p.Currency], _ = t.Add(p.Amount)
	}
	s := m.run.Summary()
	pairs := []string{"Payouts", fmt.Sprintf("%d of %d rows (%d already sent)", len(todo), s.Rows, s.Sent)}
	for _, cur := range curs {
		pairs = append(pairs, "Total "+cur, totals[cur].Text())
	}
	if len(todo) <= 5 {
		for _, p := range todo {
			pairs = append(pairs, "Line "+strconv.Itoa(p.Line), coinAmount(p.Amount, p.Currency)+" to "+p.Address)
		}
	}
	pairs = append(pairs, "Batches", fmt.Sprintf("%d of up to %d", (len(todo)+m.o.batch-1)/m.o.batch, m.o.batch))
	return pairs
}

// finish writes the results CSV, prints the summary and returns the exit status as an error.
func (m *massRun) finish() error {
	a := m.a
	s := m.run.Summary()
	resErr := writeFileAtomic(m.o.results, payout.ResultsCSV(m.run.Rows()))
	if resErr != nil {
		fmt.Fprintf(a.stderr, "wallexkit: cannot write the results file: %v (the journal %s has every outcome)\n", resErr, m.o.journal)
	}
	stopped := s.Stopped
	if m.stepErr != nil {
		stopped = a.redact(m.stepErr.Error())
	}
	out := struct {
		File    string `json:"file"`
		SHA256  string `json:"sha256"`
		Results string `json:"results"`
		Journal string `json:"journal"`
		payout.Summary
	}{m.o.file, m.run.File.Hash, m.o.results, m.o.journal, s}
	out.Stopped = stopped
	if err := a.show(out, func(w io.Writer) {
		writeFields(w,
			"Payouts", fmt.Sprintf("%d rows in %s", s.Rows, m.o.file),
			"Sent", fmt.Sprintf("%d (%d now, %d confirmed by lookup, %d earlier)", s.Sent, s.SentNow, s.Reconciled, s.Earlier),
			"Pending", strconv.Itoa(s.Pending),
			"Failed", strconv.Itoa(s.Failed),
			"Unknown", strconv.Itoa(s.Unknown),
			"In flight", strconv.Itoa(s.InFlight),
			"Ambiguous", strconv.Itoa(s.Ambiguous),
			"Results", m.o.results,
			"Journal", m.o.journal)
		if stopped != "" {
			writeFields(w, "Stopped", stopped)
		}
	}); err != nil {
		return err
	}
	// The line to run it again names the journal it used: the rows it sent are recorded there, and
	// a run with another journal (a --journal left out, another WALLEX_STATE) would start without
	// them.
	again := a.printedLine("mass-withdraw", m.o.file, "--journal", m.o.journal)
	switch {
	case s.Done && resErr != nil:
		return &codedError{code: exitAPI, msg: "every payout was sent, but the results file could not be written"}
	case s.Done:
		return nil
	case s.Unknown > 0 || s.InFlight > 0 || s.Ambiguous > 0:
		msg := s.Next
		if s.Unknown > 0 && m.stepErr != nil {
			msg = fmt.Sprintf("%d payout(s) have an unknown outcome and could not be looked up (%s): run it again when the API answers; they are looked up first and never paid twice", s.Unknown, stopped)
		}
		return &codedError{code: exitUnknown, msg: msg + "\n  " + again}
	case s.Failed > 0:
		return &codedError{code: exitAPI, msg: fmt.Sprintf("%s (see the error column of %s)\n  %s", s.Next, m.o.results, again)}
	case s.Pending > 0 && strings.HasPrefix(stopped, "not sent"):
		return &codedError{code: exitTransport, msg: fmt.Sprintf("the API could not be reached (%s); %d payout(s) not sent: run it again to send them\n  %s", stopped, s.Pending, again)}
	case s.Pending > 0:
		return &codedError{code: exitAPI, msg: fmt.Sprintf("stopped (%s): %s\n  %s", orDash(stopped), s.Next, again)}
	}
	return &codedError{code: exitAPI, msg: s.Next}
}

// lastHashAt returns the SHA-256 of the payout file last run from path (by absolute path).
func lastHashAt(index, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	m := map[string]string{}
	b, err := os.ReadFile(index)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", nil
		}
		return "", err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	return m[abs], nil
}

// rememberHashAt records that the payout file at path has the given SHA-256. The caller holds
// the run's journal lock; two runs of different files may race here, which at worst loses one
// path's entry (and with it only this extra check).
func rememberHashAt(index, path, hash string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	m := map[string]string{}
	if b, err := os.ReadFile(index); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	if m[abs] == hash {
		return nil
	}
	m[abs] = hash
	b, _ := json.MarshalIndent(m, "", " ")
	if err := os.MkdirAll(filepath.Dir(index), 0o700); err != nil {
		return err
	}
	return writeFileAtomic(index, b)
}

// writeFileAtomic writes data to a temporary file renamed over path.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// progress draws a bar on a terminal ("[#####.....] 120/500", redrawn) and otherwise prints a
// plain line now and then. A nil progress draws nothing.
type progress struct {
	a     *app
	tty   bool
	total int
	done  int
	last  time.Time
	ended bool
}

func newProgress(a *app, total int) *progress {
	return &progress{a: a, tty: a.isTerminal(a.stderr), total: total, last: a.now()}
}

func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.done += n
	if p.tty {
		const width = 30
		k := min(p.done, p.total) * width / max(p.total, 1)
		fmt.Fprintf(p.a.stderr, "\r[%s%s] %d/%d", strings.Repeat("#", k), strings.Repeat(".", width-k), p.done, p.total)
		return
	}
	if now := p.a.now(); now.Sub(p.last) >= 2*time.Second && p.done < p.total {
		p.last = now
		fmt.Fprintf(p.a.stderr, "%d/%d payouts processed\n", p.done, p.total)
	}
}

func (p *progress) finish() {
	if p == nil || p.ended {
		return
	}
	p.ended = true
	if p.tty {
		fmt.Fprintln(p.a.stderr)
		return
	}
	fmt.Fprintf(p.a.stderr, "%d/%d payouts processed\n", p.done, p.total)
}
