package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/wallexkit/wallexkit/core"
)

// mass-withdraw: pay a CSV of payouts in batches, with a journal so that a re-run after a
// crash or an unknown outcome reconciles first and never pays a row twice.

const (
	maxNote       = 128 // the note sent with each payout, memo and tag included
	maxBatch      = 100 // the most payouts per create_mass_withdrawal (the sandbox's limit)
	maxShownProbs = 200 // bad rows printed at most (the count is always exact)
)

// Row statuses, as written to the results CSV.
const (
	rowPending = ""        // to be sent this run
	rowSent    = "sent"    // a withdrawal exists (id known)
	rowFailed  = "failed"  // the API refused it: safe to send again
	rowUnknown = "unknown" // it may or may not have been carried out
	rowSkipped = "skipped" // not attempted in this run
)

func massWithdrawCommand() command {
	return command{
		name:    "mass-withdraw",
		args:    "FILE.csv [--results PATH] [--batch N] [--yes]",
		summary: "pay every row of a CSV file of payouts (create_mass_withdrawal)",
		help: "FILE.csv has the columns address,currency,amount[,memo], with an optional header row (a\n" +
			"header may name the columns in another order). Every row is checked first (address,\n" +
			"ticker, a positive amount with at most 8 decimals, memo length); if any row is bad, all bad\n" +
			"rows are listed with their line numbers and nothing is sent (exit 2). Rows that repeat an\n" +
			"address, currency and amount are paid each time, with a warning.\n" +
			"Rows are sent in batches of --batch. Each payout carries the note \"wk:HASH:LINE\" (HASH =\n" +
			"the start of the file's SHA-256; a memo is kept in front: \"memo (wk:HASH:LINE)\", at most\n" +
			"128 characters), so each one can be found again in the withdrawal history.\n" +
			"A journal (FILE.csv.journal) records each batch before it leaves and its outcome after, so\n" +
			"running the same command again skips rows already sent, looks up (reconciles) rows whose\n" +
			"outcome is unknown, pays only what is left, and never pays a row twice. After an unknown\n" +
			"outcome the run stops: run it again. The file must not change between runs (the journal\n" +
			"refuses it); put new or corrected rows in a new file.\n" +
			"The results CSV (default FILE.csv.results.csv) has line,address,currency,amount,memo,\n" +
			"status (sent|failed|unknown|skipped),withdrawal_id,error.\n" +
			yesHelp + "\n" +
			"Exit status: 0 all rows sent, 1 some rows failed (API errors; run again to retry them) or\n" +
			"the run was interrupted, 2 bad file or usage, 3 the API could not be reached (nothing in\n" +
			"doubt), 4 some rows remain unknown or ambiguous.",
		setup: func(fs *flag.FlagSet) func(context.Context, *app, []string) error {
			var o massOptions
			fs.StringVar(&o.results, "results", "", "results CSV `PATH` (default FILE.results.csv)")
			fs.StringVar(&o.journal, "journal", "", "journal `PATH` (default FILE.journal)")
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

// payout is one CSV row and what became of it.
type payout struct {
	line     int
	address  string
	currency string
	amount   core.Amount
	memo     string
	note     string // sent as the withdrawal's note
	key      string // the wd[KEY] of the request

	status     string
	id         string
	err        string
	since      string // RFC 3339 time its last batch left (from the journal), for Reconcile
	earlier    bool   // sent in an earlier run
	reconciled bool   // found by Reconcile in this run
	sentNow    bool
}

type rowProblem struct {
	line int
	msg  string
}

var columnAliases = map[string]string{"address": "address", "currency": "currency", "coin": "currency",
	"amount": "amount", "memo": "memo", "note": "memo"}

// parsePayouts reads and checks every row. tag is the file's hash prefix used in notes.
func parsePayouts(data []byte, tag string) ([]*payout, []rowProblem, []string) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var (
		rows     []*payout
		problems []rowProblem
		warnings []string
		cols     = map[string]int{"address": 0, "currency": 1, "amount": 2, "memo": 3}
		first    = true
	)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				problems = append(problems, rowProblem{pe.StartLine, "not valid CSV: " + pe.Err.Error()})
				if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
					continue
				}
			}
			problems = append(problems, rowProblem{0, "cannot read the file: " + err.Error()})
			break
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if first {
			first = false
			if hdr, ok, msg := headerColumns(rec); ok {
				if msg != "" {
					problems = append(problems, rowProblem{line, msg})
				}
				cols = hdr
				continue
			}
		}
		if len(rec) == 1 && rec[0] == "" {
			continue // a line of spaces
		}
		p, msgs := checkPayout(rec, cols, line, tag)
		if len(msgs) > 0 {
			problems = append(problems, rowProblem{line, strings.Join(msgs, "; ")})
			continue
		}
		rows = append(rows, p)
	}
	seen := map[string]int{}
	for _, p := range rows {
		k := p.address + "\x00" + p.currency + "\x00" + strconv.FormatInt(p.amount.Units(), 10)
		if prev, dup := seen[k]; dup {
			warnings = append(warnings, fmt.Sprintf("line %d: same address, currency and amount as line %d: both will be paid", p.line, prev))
			continue
		}
		seen[k] = p.line
	}
	return rows, problems, warnings
}

// headerColumns recognises a header row; msg reports a header that names unknown or missing
// columns.
func headerColumns(rec []string) (map[string]int, bool, string) {
	cols := map[string]int{}
	var unknown []string
	for i, c := range rec {
		name, ok := columnAliases[strings.ToLower(c)]
		if !ok {
			unknown = append(unknown, c)
			continue
		}
		cols[name] = i
	}
	if _, ok := cols["address"]; !ok {
		if _, ok := cols["amount"]; !ok {
			return nil, false, "" // data, not a header
		}
	}
	var msg string
	switch {
	case len(unknown) > 0:
		msg = fmt.Sprintf("header names unknown columns %q: use address,currency,amount[,memo]", unknown)
	case len(cols) < 3 || cols["address"] == cols["amount"]:
		msg = "header must name address, currency and amount (and optionally memo)"
	}
	if _, ok := cols["memo"]; !ok {
		cols["memo"] = -1
	}
	for _, k := range []string{"address", "currency", "amount"} {
		if _, ok := cols[k]; !ok {
			cols[k] = -1
		}
	}
	return cols, true, msg
}

func checkPayout(rec []string, cols map[string]int, line int, tag string) (*payout, []string) {
	var msgs []string
	if len(rec) < 3 || len(rec) > 4 {
		return nil, []string{fmt.Sprintf("%d columns: want address,currency,amount[,memo]", len(rec))}
	}
	get := func(k string) string {
		if i := cols[k]; i >= 0 && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	p := &payout{line: line, address: get("address"), memo: get("memo"), key: "L" + strconv.Itoa(line)}
	switch {
	case p.address == "":
		msgs = append(msgs, "address is empty")
	case strings.IndexFunc(p.address, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		msgs = append(msgs, fmt.Sprintf("address %q contains spaces", clip(p.address, 40)))
	case len(p.address) > 128:
		msgs = append(msgs, "address is longer than 128 characters")
	}
	cur, err := core.CheckTicker("currency", get("currency"))
	var ve *core.ValidationError
	switch {
	case errors.As(err, &ve) && ve.Value != "":
		msgs = append(msgs, fmt.Sprintf("currency %q %s", clip(get("currency"), 20), ve.Problem))
	case err != nil:
		msgs = append(msgs, err.Error())
	}
	p.currency = cur
	if raw := get("amount"); raw == "" {
		msgs = append(msgs, "amount is empty")
	} else if amt, err := core.ParseAmount(raw); err != nil {
		msgs = append(msgs, err.Error())
	} else if amt.Sign() <= 0 {
		msgs = append(msgs, fmt.Sprintf("amount %s must be greater than zero", raw))
	} else {
		p.amount = amt
	}
	wk := fmt.Sprintf("wk:%s:%d", tag, line)
	p.note = wk
	if p.memo != "" {
		if strings.IndexFunc(p.memo, unicode.IsControl) >= 0 {
			msgs = append(msgs, "memo contains control characters (a line break?)")
		}
		p.note = p.memo + " (" + wk + ")"
		if len(p.note) > maxNote {
			msgs = append(msgs, fmt.Sprintf("memo is %d bytes: at most %d fit in the note with the %q tag", len(p.memo), maxNote-len(wk)-3, wk))
		}
	}
	return p, msgs
}

func (a *app) massWithdraw(ctx context.Context, o massOptions) error {
	if o.batch < 1 || o.batch > maxBatch {
		return usagef("--batch %d: give 1 to %d payouts per call", o.batch, maxBatch)
	}
	if o.results == "" {
		o.results = o.file + ".results.csv"
	}
	if o.journal == "" {
		o.journal = o.file + ".journal"
	}
	if samePath(o.results, o.file) || samePath(o.journal, o.file) || samePath(o.results, o.journal) {
		return usagef("the file, --results and --journal must be three different paths")
	}
	data, err := os.ReadFile(o.file)
	if err != nil {
		return usagef("cannot read the payouts file: %v", err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	rows, problems, warnings := parsePayouts(data, hash[:8])
	for _, w := range warnings {
		fmt.Fprintf(a.stderr, "wallexkit: warning: %s\n", w)
	}
	if len(problems) > 0 {
		fmt.Fprintf(a.stderr, "%s has %d bad row(s):\n", o.file, len(problems))
		for i, p := range problems {
			if i == maxShownProbs {
				fmt.Fprintf(a.stderr, "  ... and %d more\n", len(problems)-i)
				break
			}
			if p.line > 0 {
				fmt.Fprintf(a.stderr, "  line %d: %s\n", p.line, p.msg)
			} else {
				fmt.Fprintf(a.stderr, "  %s\n", p.msg)
			}
		}
		return usagef("%d bad row(s) in %s: fix them and run again; nothing was sent", len(problems), o.file)
	}
	if len(rows) == 0 {
		return usagef("%s holds no payouts: write one per line as address,currency,amount[,memo]", o.file)
	}
	if err := a.canConfirm(o.yes); err != nil {
		return err
	}

	j, err := openJournal(o.journal, filepath.Base(o.file), hash, len(rows), a.now)
	if err != nil {
		return err
	}
	defer j.close()
	if err := j.apply(rows); err != nil {
		return err
	}

	c, err := a.client(true)
	if err != nil {
		return err
	}
	run := &massRun{a: a, c: c, o: o, j: j, rows: rows}
	return run.do(ctx)
}

func samePath(x, y string) bool {
	ax, err1 := filepath.Abs(x)
	ay, err2 := filepath.Abs(y)
	return err1 == nil && err2 == nil && ax == ay
}

type massRun struct {
	a    *app
	c    *core.Client
	o    massOptions
	j    *journal
	rows []*payout

	notReached bool // a batch was refused before reaching the API (exit 3)
	stopped    string
}

func (m *massRun) do(ctx context.Context) error {
	a := m.a
	// 1. Rows whose outcome is unknown: look them up before anything is sent.
	if err := m.reconcile(ctx); err != nil {
		m.finish()
		return err
	}
	// 2. Send what is left.
	var todo []*payout
	for _, p := range m.rows {
		if p.status == rowPending || p.status == rowFailed {
			todo = append(todo, p)
		}
	}
	if len(todo) > 0 {
		if err := a.confirm(m.o.yes, "pay "+strconv.Itoa(len(todo))+" payouts from "+m.o.file, m.confirmPairs(todo)...); err != nil {
			return err
		}
		m.send(ctx, todo)
	}
	return m.finish()
}

func (m *massRun) confirmPairs(todo []*payout) []string {
	totals := map[string]core.Amount{}
	var curs []string
	for _, p := range todo {
		t, ok := totals[p.currency]
		if !ok {
			curs = append(curs, p.currency)
		}
		totals[p.currency], _ = t.Add(p.amount)
	}
	sort.Strings(curs)
	sent := 0
	for _, p := range m.rows {
		if p.status == rowSent {
			sent++
		}
	}
	pairs := []string{"Payouts", fmt.Sprintf("%d of %d rows (%d already sent)", len(todo), len(m.rows), sent)}
	for _, cur := range curs {
		pairs = append(pairs, "Total "+cur, totals[cur].Text())
	}
	if len(todo) <= 5 {
		for _, p := range todo {
			pairs = append(pairs, "Line "+strconv.Itoa(p.line), p.amount.Text()+" "+p.currency+" to "+p.address)
		}
	}
	pairs = append(pairs, "Batches", fmt.Sprintf("%d of up to %d", (len(todo)+m.o.batch-1)/m.o.batch, m.o.batch))
	return pairs
}

// reconcile looks every unknown row up. found → sent; not_found → to send; ambiguous → stays
// unknown (never sent). A failed lookup stops the run before anything is sent.
func (m *massRun) reconcile(ctx context.Context) error {
	known := map[string]bool{}
	var unknown []*payout
	for _, p := range m.rows {
		switch p.status {
		case rowSent:
			known[p.id] = true
		case rowUnknown:
			unknown = append(unknown, p)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	fmt.Fprintf(m.a.stderr, "Reconciling %d payout(s) whose outcome is unknown...\n", len(unknown))
	for i, p := range unknown {
		q := m.query(p)
		q.Exclude = known
		res, err := m.c.Reconcile(ctx, q)
		if err != nil {
			m.stopped = fmt.Sprintf("reconciling line %d failed: %s", p.line, m.a.redact(err.Error()))
			for _, rest := range unknown[i:] {
				rest.err = "outcome unknown; reconcile failed: " + m.a.redact(err.Error())
			}
			return &codedError{code: exitUnknown, msg: fmt.Sprintf("cannot reconcile line %d: %s; nothing was sent: run again later",
				p.line, m.a.redact(err.Error()))}
		}
		switch res.Verdict {
		case core.Found:
			w := res.Withdrawals[0]
			p.status, p.id, p.err, p.reconciled = rowSent, w.ID, "", true
			known[w.ID] = true
			if err := m.j.write(journalEntry{Line: p.line, State: "sent", ID: w.ID, Reconciled: true}); err != nil {
				return err
			}
		case core.NotFound:
			p.status, p.err = rowPending, ""
			if err := m.j.write(journalEntry{Line: p.line, State: "not_found"}); err != nil {
				return err
			}
		default:
			p.status, p.err = rowUnknown, "ambiguous: "+res.Detail
			if err := m.j.write(journalEntry{Line: p.line, State: "ambiguous", Error: res.Detail}); err != nil {
				return err
			}
			fmt.Fprintf(m.a.stderr, "wallexkit: line %d is ambiguous (%s); it will not be sent. Check it with\n  %s\n",
				p.line, res.Detail, m.a.redact(shellJoin(m.a.reconcileArgs(q))))
		}
	}
	return nil
}

func (m *massRun) query(p *payout) core.ReconcileQuery {
	q := core.ReconcileQuery{Cmd: "create_mass_withdrawal", Amount: p.amount.Text(), Currency: p.currency,
		Address: p.address, Note: p.note}
	if t, err := parseRFC3339(p.since); err == nil {
		q.Since = t
	}
	return q
}

// send pays todo in batches. It stops after an unknown outcome, a refused call or ctx.
func (m *massRun) send(ctx context.Context, todo []*payout) {
	prog := newProgress(m.a, len(todo))
	done := 0
	for start := 0; start < len(todo); start += m.o.batch {
		batch := todo[start:min(start+m.o.batch, len(todo))]
		if ctx.Err() != nil {
			m.stopped = "interrupted"
			break
		}
		if err := m.sendBatch(ctx, batch); err != nil {
			m.stopped = m.a.redact(err.Error())
			break
		}
		done += len(batch)
		prog.update(done)
		if m.stopped != "" {
			break
		}
	}
	prog.finish(done)
	for _, p := range todo {
		if !p.sentNow {
			p.status, p.err = rowSkipped, "not sent in this run"
		}
	}
}

// sendBatch journals the batch, sends it and journals the outcome. A returned error is a
// journal failure: the batch may not have been recorded, so the run stops.
func (m *massRun) sendBatch(ctx context.Context, batch []*payout) error {
	now := m.a.now().UTC()
	entries := make([]journalEntry, len(batch))
	items := make([]core.MassWithdrawalItem, len(batch))
	for i, p := range batch {
		p.since = now.Format(rfc3339Milli)
		entries[i] = journalEntry{Line: p.line, State: "sending", Key: p.key, Note: p.note, Address: p.address,
			Currency: p.currency, Amount: p.amount.Text(), At: p.since}
		note := p.note
		items[i] = core.MassWithdrawalItem{Key: p.key, Amount: p.amount.Text(), Currency: p.currency, Address: p.address, Note: &note}
		p.sentNow = true
	}
	// Recorded (and synced) before the request leaves: a crash now leaves "sending", which the
	// next run reconciles.
	if err := m.j.write(entries...); err != nil {
		for _, p := range batch {
			p.status, p.err = rowSkipped, "not sent: "+err.Error()
		}
		return err
	}
	results, resp, err := m.c.CreateMassWithdrawal(ctx, items)
	out := make([]journalEntry, len(batch))
	if err != nil {
		state, msg := classifyBatchError(err)
		msg = m.a.redact(msg)
		for i, p := range batch {
			p.status, p.err = state, msg
			out[i] = journalEntry{Line: p.line, State: state, Error: msg}
		}
		var tr *core.TransportError
		if state == rowFailed && errors.As(err, &tr) {
			m.notReached = true
		}
		m.stopped = msg
	} else {
		for i, p := range batch {
			r := results[i]
			switch {
			case r.Err != nil && (resp == nil || !resp.Result.Member(p.key).Exists()):
				// The answer says nothing about this payout: it may have been carried out.
				p.status, p.err = rowUnknown, "outcome unknown: "+m.a.redact(r.Err.Error())
				out[i] = journalEntry{Line: p.line, State: "unknown", Error: p.err}
				m.stopped = p.err
			case r.Err != nil:
				p.status, p.err = rowFailed, m.a.redact(r.Err.Error())
				out[i] = journalEntry{Line: p.line, State: "failed", Error: p.err}
			case r.Withdrawal == nil || r.Withdrawal.ID == "":
				p.status, p.err = rowUnknown, "the answer has no withdrawal id for this payout"
				out[i] = journalEntry{Line: p.line, State: "unknown", Error: p.err}
				m.stopped = p.err
			default:
				p.status, p.id, p.err = rowSent, r.Withdrawal.ID, ""
				out[i] = journalEntry{Line: p.line, State: "sent", ID: p.id}
			}
		}
	}
	// The outcome need not be synced now: the next batch's "sending" sync (or the final one)
	// flushes it, and if it were lost the row would show "sending" and be reconciled.
	return m.j.writeNoSync(out...)
}

// classifyBatchError says what a failed create_mass_withdrawal call means for its rows:
// failed (refused; nothing was carried out) or unknown (it may have been carried out).
func classifyBatchError(err error) (string, string) {
	var (
		ou    *core.OutcomeUnknownError
		api   *core.APIError
		auth  *core.AuthError
		perm  *core.PermissionError
		nonce *core.NonceError
		rate  *core.RateLimitError
		inval *core.ValidationError
		tr    *core.TransportError
	)
	switch {
	case errors.As(err, &ou):
		return rowUnknown, "outcome unknown: " + err.Error()
	case errors.As(err, &api), errors.As(err, &auth), errors.As(err, &perm), errors.As(err, &nonce),
		errors.As(err, &rate), errors.As(err, &inval):
		return rowFailed, err.Error()
	case errors.As(err, &tr):
		// The core returns a plain TransportError for a money command only when the request
		// never reached the server.
		return rowFailed, "not sent: " + err.Error()
	}
	return rowUnknown, "outcome unknown: " + err.Error() // interrupted mid-call, or anything else
}

// finish writes the results CSV, prints the summary and returns the exit status as an error.
func (m *massRun) finish() error {
	a := m.a
	var sent, failed, unknown, skipped, earlier, reconciled, now int
	var failedLines, unknownLines, skippedLines []string
	for _, p := range m.rows {
		switch p.status {
		case rowSent:
			sent++
			switch {
			case p.reconciled:
				reconciled++
			case p.sentNow:
				now++
			default:
				earlier++
			}
		case rowFailed:
			failed++
			failedLines = append(failedLines, strconv.Itoa(p.line))
		case rowUnknown:
			unknown++
			unknownLines = append(unknownLines, strconv.Itoa(p.line))
		default:
			if p.status == rowPending {
				p.status = rowSkipped
			}
			skipped++
			skippedLines = append(skippedLines, strconv.Itoa(p.line))
		}
	}
	resErr := writeResults(m.o.results, m.rows)
	if resErr != nil {
		fmt.Fprintf(a.stderr, "wallexkit: cannot write the results file: %v (the journal %s has every outcome)\n", resErr, m.o.journal)
	}
	summary := struct {
		File       string `json:"file"`
		Results    string `json:"results"`
		Journal    string `json:"journal"`
		Rows       int    `json:"rows"`
		Sent       int    `json:"sent"`
		SentNow    int    `json:"sent_now"`
		Reconciled int    `json:"reconciled"`
		Earlier    int    `json:"sent_earlier"`
		Failed     int    `json:"failed"`
		Unknown    int    `json:"unknown"`
		Skipped    int    `json:"skipped"`
		Stopped    string `json:"stopped,omitempty"`
	}{m.o.file, m.o.results, m.o.journal, len(m.rows), sent, now, reconciled, earlier, failed, unknown, skipped, m.stopped}
	if err := a.show(summary, func(w io.Writer) {
		writeFields(w,
			"Payouts", fmt.Sprintf("%d rows in %s", len(m.rows), m.o.file),
			"Sent", fmt.Sprintf("%d (%d now, %d reconciled, %d earlier)", sent, now, reconciled, earlier),
			"Failed", strconv.Itoa(failed),
			"Unknown", strconv.Itoa(unknown),
			"Skipped", strconv.Itoa(skipped),
			"Results", m.o.results,
			"Journal", m.o.journal)
		if m.stopped != "" {
			writeFields(w, "Stopped", m.stopped)
		}
	}); err != nil {
		return err
	}
	lines := func(l []string) string {
		if len(l) > 20 {
			return strings.Join(l[:20], ", ") + fmt.Sprintf(" and %d more", len(l)-20)
		}
		return strings.Join(l, ", ")
	}
	switch {
	case unknown > 0:
		return &codedError{code: exitUnknown, msg: fmt.Sprintf("%d payout(s) have an unknown outcome (lines %s): do NOT pay them another way; "+
			"run the same command again to reconcile them (it never pays a row twice)", unknown, lines(unknownLines))}
	case failed > 0 && m.notReached:
		return &codedError{code: exitTransport, msg: fmt.Sprintf("the API could not be reached; %d payout(s) not sent (lines %s): run again to send them",
			failed+skipped, lines(append(failedLines, skippedLines...)))}
	case failed > 0:
		return &codedError{code: exitAPI, msg: fmt.Sprintf("%d payout(s) failed (lines %s): see the error column of %s; run again to retry them",
			failed, lines(failedLines), m.o.results)}
	case skipped > 0:
		return &codedError{code: exitAPI, msg: fmt.Sprintf("stopped (%s): %d payout(s) not sent (lines %s): run again to send them",
			orDash(m.stopped), skipped, lines(skippedLines))}
	case resErr != nil:
		return &codedError{code: exitAPI, msg: "every payout was sent, but the results file could not be written"}
	}
	return nil
}

// writeResults writes the results CSV atomically (a temporary file renamed over it).
func writeResults(path string, rows []*payout) error {
	sorted := append([]*payout(nil), rows...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].line < sorted[j].line })
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"line", "address", "currency", "amount", "memo", "status", "withdrawal_id", "error"})
	for _, p := range sorted {
		w.Write([]string{strconv.Itoa(p.line), p.address, p.currency, p.amount.Text(), p.memo, p.status, p.id, p.err})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
