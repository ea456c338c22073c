// Package payout pays a file of payouts (address, currency, amount, memo) with
// create_mass_withdrawal so that no row is ever paid twice: whichever tool runs it (the CLI, or
// the console through the wasm bridge), whatever stops it half way (a crash, a killed process, a
// stopped service worker, a lost answer), and however often it is run again.
//
// Everything that decides about the money lives here, once: how a file is read and checked, a
// row's identity (its line) and the note that tags it in the account's history
// ("memo (wk:HASH:LINE)"), the row state machine, and the journal that records each batch before
// it leaves. Callers keep only what is theirs: where the journal is stored (a file, browser
// storage: the Journal interface), the screen, and the confirmation.
//
// A file is known by its content (SHA-256), not its name: a renamed or copied file continues
// the same run, and a file run in one tool and resumed in another is recognised through the
// history (its rows' notes carry the hash).
package payout

import (
	"bytes"
	"errors"
	"github.com/wallexkit/wallexkit/internal/order"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/errtext"
	"github.com/wallexkit/wallexkit/internal/hexstr"
	"github.com/wallexkit/wallexkit/internal/sha2"
)

// Limits of a payout file.
const (
	MaxNote   = 128  // bytes of the note sent with a payout: memo and tag
	MaxRows   = 1000 // payouts in one file
	MaxBatch  = 100  // payouts in one create_mass_withdrawal
	MaxFile   = 2 << 20
	tagPrefix = "wk:"
)

// Row is one payout of a file.
type Row struct {
	Line     int         `json:"line"` // 1-based line of the file: the row's identity
	Key      string      `json:"key"`  // its wd[KEY] in the request: "L<line>"
	Address  string      `json:"address"`
	Currency string      `json:"currency"`
	Amount   core.Amount `json:"amount"`
	Memo     string      `json:"memo,omitempty"`
	Note     string      `json:"note"` // sent with the payout: "memo (wk:HASH:LINE)" or "wk:HASH:LINE"
}

// Problem is a bad row (or, with Line 0, a problem with the whole file).
type Problem struct {
	Line int    `json:"line"`
	Msg  string `json:"message"`
}

func (p Problem) String() string {
	if p.Line == 0 {
		return p.Msg
	}
	return "line " + errtext.D(p.Line) + ": " + p.Msg
}

// Total is the sum of one currency's payouts.
type Total struct {
	Currency string      `json:"currency"`
	Amount   core.Amount `json:"amount"`
	Rows     int         `json:"rows"`
}

// File is a parsed payout file. Problems lists every bad row at once; a File with problems must
// not be paid (Open refuses it).
type File struct {
	Name     string    `json:"name"`
	Hash     string    `json:"sha256"` // of the bytes as read
	Tag      string    `json:"tag"`    // "wk:" and the first 8 hex digits of Hash
	Header   bool      `json:"header"`
	Rows     []Row     `json:"rows"`
	Problems []Problem `json:"problems"`
	Warnings []Problem `json:"warnings"`
	Totals   []Total   `json:"totals"`
}

// Options tune the checks of Parse.
type Options struct {
	// Currencies, when not nil, are the coins the account accepts (rates accepted=1): any other
	// ticker is a problem.
	Currencies map[string]bool
	// Fees are network fees per coin (rates tx_fee): a payout not above its fee is a warning.
	Fees map[string]core.Amount
	// Balances, when not nil, are the account's balances: a payout larger than its coin's
	// balance is a problem (it cannot be paid), and a coin whose payouts add up to more is a
	// warning (the last ones will be refused).
	Balances map[string]core.Amount
	// NoAddressCheck turns off the address format check (core.CheckAddress: Base58Check,
	// Bech32/Bech32m, CashAddr, EIP-55), which catches a mistyped character before money goes
	// to an address nobody owns.
	NoAddressCheck bool
}

// columnOf is the column a header names (coin is currency, note is memo), ok false for another.
func columnOf(header string) (name string, ok bool) {
	switch header {
	case "address", "currency", "amount", "memo":
		return header, true
	case "coin":
		return "currency", true
	case "note":
		return "memo", true
	}
	return "", false
}

// Hash returns the hex SHA-256 of data: a payout file's identity.
func Hash(data []byte) string {
	sum := sha2.Sum256(data)
	return hexstr.Encode(sum[:])
}

// Parse reads and checks every row of a payout file: CSV (RFC 4180, a BOM, CRLF or LF) with the
// columns address,currency,amount[,memo], an optional header row (which may name the columns in
// another order, "coin" and "note" being accepted for currency and memo), blank lines and lines
// starting with '#' ignored. Every problem is reported, with its line.
func Parse(name string, data []byte, o Options) *File {
	hash := Hash(data)
	f := &File{Name: name, Hash: hash, Tag: tagPrefix + hash[:8], Problems: []Problem{}, Warnings: []Problem{}, Totals: []Total{}, Rows: []Row{}}
	if len(data) > MaxFile {
		f.Problems = append(f.Problems, Problem{0, "the file is " + errtext.D(len(data)) + " bytes: a payout file of at most " + errtext.D(MaxRows) + " rows is far smaller; is it the right file?"})
		return f
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := &csvReader{data: data}
	cols := map[string]int{"address": 0, "currency": 1, "amount": 2, "memo": 3}
	first := true
	for {
		rec, line, err := r.read()
		if err == io.EOF {
			break
		}
		if err != nil { // a *csvError: the next record is read all the same
			f.Problems = append(f.Problems, Problem{line, "not valid CSV: " + err.Error()})
			continue
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		if first {
			first = false
			if hdr, ok, msg := headerColumns(rec); ok {
				if msg != "" {
					f.Problems = append(f.Problems, Problem{line, msg})
				}
				cols, f.Header = hdr, true
				continue
			}
		}
		row, msgs := checkRow(rec, cols, line, f.Tag, o)
		if len(msgs) > 0 {
			f.Problems = append(f.Problems, Problem{line, strings.Join(msgs, "; ")})
			continue
		}
		f.Rows = append(f.Rows, row)
	}
	if len(f.Rows)+countRowProblems(f.Problems) > MaxRows {
		f.Problems = append(f.Problems, Problem{0, "the file has " + errtext.D(len(f.Rows)+countRowProblems(f.Problems)) + " payouts; at most " + errtext.D(MaxRows) + " per file: split it"})
	}
	if len(f.Rows) == 0 && len(f.Problems) == 0 {
		f.Problems = append(f.Problems, Problem{0, "the file holds no payouts: write one per line as address,currency,amount[,memo]"})
	}
	seen := map[string]int{}
	totals := map[string]*Total{}
	for _, p := range f.Rows {
		k := p.Address + "\x00" + p.Currency + "\x00" + strconv.FormatInt(p.Amount.Units(), 10)
		if prev, dup := seen[k]; dup {
			f.Warnings = append(f.Warnings, Problem{p.Line, "same address, currency and amount as line " + errtext.D(prev) + ": both will be paid"})
		} else {
			seen[k] = p.Line
		}
		if fee, ok := o.Fees[p.Currency]; ok && p.Amount.Cmp(fee) <= 0 {
			f.Warnings = append(f.Warnings, Problem{p.Line, "amount " + p.Amount.Text() + " is not above the " + p.Currency + " network fee (" + fee.Text() + "): Wallex Pay may refuse it"})
		}
		t := totals[p.Currency]
		if t == nil {
			t = &Total{Currency: p.Currency}
			totals[p.Currency] = t
		}
		t.Amount, _ = t.Amount.Add(p.Amount)
		t.Rows++
	}
	for _, t := range totals {
		f.Totals = append(f.Totals, *t)
		if bal, ok := o.Balances[t.Currency]; ok && t.Amount.Cmp(bal) > 0 {
			f.Warnings = append(f.Warnings, Problem{0, "the " + t.Currency + " payouts add up to " + t.Amount.Text() + ", more than the " + t.Currency + " balance (" + bal.Text() + "): the last ones will be refused"})
		}
	}
	order.Slice(len(f.Totals), func(i, j int) bool { return f.Totals[i].Currency < f.Totals[j].Currency }, func(i, j int) { f.Totals[i], f.Totals[j] = f.Totals[j], f.Totals[i] })
	order.Slice(len(f.Problems), func(i, j int) bool { return f.Problems[i].Line < f.Problems[j].Line }, func(i, j int) { f.Problems[i], f.Problems[j] = f.Problems[j], f.Problems[i] })
	order.Slice(len(f.Warnings), func(i, j int) bool { return f.Warnings[i].Line < f.Warnings[j].Line }, func(i, j int) { f.Warnings[i], f.Warnings[j] = f.Warnings[j], f.Warnings[i] })
	return f
}

func countRowProblems(ps []Problem) int {
	n := 0
	for _, p := range ps {
		if p.Line > 0 {
			n++
		}
	}
	return n
}

// headerColumns recognises a header row; msg reports a header that names unknown or missing
// columns.
func headerColumns(rec []string) (map[string]int, bool, string) {
	cols := map[string]int{}
	var unknown []string
	for i, c := range rec {
		name, ok := columnOf(strings.ToLower(c))
		if !ok {
			if c != "" {
				unknown = append(unknown, c)
			}
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
		msg = "the header names unknown columns " + quoteList(unknown) + ": use address,currency,amount[,memo]"
	case len(cols) < 3 || cols["address"] == cols["amount"]:
		msg = "the header must name address, currency and amount (and optionally memo)"
	}
	for _, k := range []string{"address", "currency", "amount", "memo"} {
		if _, ok := cols[k]; !ok {
			cols[k] = -1
		}
	}
	return cols, true, msg
}

// FormulaLike reports whether a spreadsheet would run s as a formula (it starts with = + - @, a
// tab or a carriage return): such text is never an address, and is defused in CSV output.
func FormulaLike(s string) bool {
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// NoteFor is the note a row is sent with: the tag that finds it again, after the memo.
func NoteFor(tag string, line int, memo string) string {
	wk := tag + ":" + strconv.Itoa(line)
	if memo == "" {
		return wk
	}
	return memo + " (" + wk + ")"
}

func checkRow(rec []string, cols map[string]int, line int, tag string, o Options) (Row, []string) {
	var msgs []string
	if len(rec) < 3 || len(rec) > 4 {
		return Row{}, []string{"has " + errtext.D(len(rec)) + " columns: want address,currency,amount[,memo] (quote a memo that contains commas)"}
	}
	get := func(k string) string {
		if i := cols[k]; i >= 0 && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	p := Row{Line: line, Key: "L" + strconv.Itoa(line), Address: get("address"), Memo: get("memo")}
	switch {
	case p.Address == "":
		msgs = append(msgs, "address is empty")
	case FormulaLike(p.Address):
		msgs = append(msgs, "address "+errtext.Q(clip(p.Address, 40))+" starts like a spreadsheet formula: no address does")
	case strings.IndexFunc(p.Address, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		msgs = append(msgs, "address "+errtext.Q(clip(p.Address, 40))+" contains spaces")
	case strings.ContainsAny(p.Address, `"'<>;,`):
		msgs = append(msgs, "address "+errtext.Q(clip(p.Address, 40))+" has characters no address has")
	case len(p.Address) > 128:
		msgs = append(msgs, "address is longer than 128 characters")
	}
	cur, err := core.CheckTicker("currency", get("currency"))
	var ve *core.ValidationError
	switch {
	case errors.As(err, &ve) && ve.Value != "":
		msgs = append(msgs, "currency "+errtext.Q(clip(get("currency"), 20))+" "+ve.Problem)
	case err != nil:
		msgs = append(msgs, "currency is empty")
	case o.Currencies != nil && !o.Currencies[cur]:
		msgs = append(msgs, "currency "+cur+" is not enabled on this account (see 'rates --accepted')")
	}
	p.Currency = cur
	addressCheckable := len(msgs) == 0 // its own checks and the currency passed: its checksum can be checked
	if raw := get("amount"); raw == "" {
		msgs = append(msgs, "amount is empty")
	} else if amt, err := core.ParseAmount(raw); err != nil {
		msgs = append(msgs, "amount "+err.(*core.ValidationError).Problem)
	} else if amt.Sign() <= 0 {
		msgs = append(msgs, "amount "+raw+" must be greater than zero")
	} else {
		p.Amount = amt
	}
	if !o.NoAddressCheck && addressCheckable { // (whatever the amount's problems: every problem of a row at once)
		var ve *core.ValidationError
		if err := core.CheckAddress(cur, p.Address); errors.As(err, &ve) {
			msgs = append(msgs, "address "+errtext.Q(clip(p.Address, 60))+" "+ve.Problem)
		}
	}
	if bal, ok := o.Balances[cur]; ok && o.Balances != nil && p.Amount.Cmp(bal) > 0 {
		msgs = append(msgs, "amount "+p.Amount.Text()+" "+cur+" is more than the "+cur+" balance ("+bal.Text()+")")
	} else if !ok && o.Balances != nil && len(msgs) == 0 && p.Amount.Sign() > 0 {
		msgs = append(msgs, "the account holds no "+cur)
	}
	p.Note = NoteFor(tag, line, p.Memo)
	if p.Memo != "" {
		if strings.IndexFunc(p.Memo, unicode.IsControl) >= 0 {
			msgs = append(msgs, "memo contains control characters (a line break?)")
		}
		if len(p.Note) > MaxNote {
			wk := tag + ":" + strconv.Itoa(line)
			msgs = append(msgs, "memo is "+errtext.D(len(p.Memo))+" bytes: at most "+errtext.D(MaxNote-len(wk)-3)+" fit in the note beside the "+errtext.Q(wk)+" tag")
		}
	}
	return p, msgs
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// quoteList is fmt's %q of a list of strings: ["a" "b"].
func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = errtext.Q(s)
	}
	return "[" + strings.Join(q, " ") + "]"
}
