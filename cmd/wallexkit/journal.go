package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// The mass-withdraw journal: JSON lines, appended and synced. The first line names the payouts
// file by its SHA-256; each later line is one row's state change:
//
//	sending    the row's batch is about to leave (written and synced before the request)
//	sent       the API created withdrawal id (reconciled: found by Reconcile after a doubt)
//	failed     the API refused the row (error): safe to send again
//	unknown    no usable answer: reconcile before anything else
//	not_found  Reconcile found nothing: safe to send again
//	ambiguous  Reconcile found several candidates: a person must decide

const rfc3339Milli = "2006-01-02T15:04:05.000Z07:00"

func parseRFC3339(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

type journalEntry struct {
	V          int    `json:"v,omitempty"` // header only: format version 1
	File       string `json:"file,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
	Rows       int    `json:"rows,omitempty"`
	At         string `json:"at,omitempty"`
	Line       int    `json:"line,omitempty"`
	State      string `json:"state,omitempty"`
	Key        string `json:"key,omitempty"`
	Note       string `json:"note,omitempty"`
	Address    string `json:"address,omitempty"`
	Currency   string `json:"currency,omitempty"`
	Amount     string `json:"amount,omitempty"`
	ID         string `json:"id,omitempty"`
	Error      string `json:"error,omitempty"`
	Reconciled bool   `json:"reconciled,omitempty"`
}

type journal struct {
	path    string
	f       *os.File
	entries []journalEntry // as read at open, header excluded
	now     func() time.Time
}

// openJournal opens (or creates) the journal, locks it against a concurrent run, and checks
// that it belongs to this version of the payouts file.
func openJournal(path, file, hash string, rows int, now func() time.Time) (*journal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, usagef("cannot open the journal: %v", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, usagef("the journal %s is locked: another 'wallexkit mass-withdraw' is paying this file; wait for it to finish", path)
	}
	j := &journal{path: path, f: f, now: now}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, usagef("cannot read the journal %s: %v", path, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if err := j.write(journalEntry{V: 1, File: file, SHA256: hash, Rows: rows}); err != nil {
			f.Close()
			return nil, err
		}
		return j, nil
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		// The last write was cut short (a crash): that entry never counted, and a row whose
		// outcome it held still shows "sending", so it is reconciled. Drop the torn tail so
		// the next entries start on a line of their own.
		keep := bytes.LastIndexByte(data, '\n') + 1
		if err := f.Truncate(int64(keep)); err != nil {
			f.Close()
			return nil, usagef("cannot repair the torn end of the journal %s: %v", path, err)
		}
		data = data[:keep]
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		var e journalEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			f.Close()
			return nil, usagef("the journal %s is damaged at line %d (%v): do not delete it (it records what was paid); ask for help", path, i+1, err)
		}
		if i == 0 {
			if e.V != 1 || e.SHA256 == "" {
				f.Close()
				return nil, usagef("%s is not a wallexkit journal: pass another --journal", path)
			}
			if e.SHA256 != hash {
				f.Close()
				return nil, usagef("the payouts file changed since the journal %s was written, and some of its rows may have been paid: "+
					"restore the original file to continue it, and put new or corrected rows in a new file", path)
			}
			continue
		}
		j.entries = append(j.entries, e)
	}
	return j, nil
}

// apply replays the journal onto the rows of the file.
func (j *journal) apply(rows []*payout) error {
	byLine := make(map[int]*payout, len(rows))
	for _, p := range rows {
		byLine[p.line] = p
	}
	for _, e := range j.entries {
		p := byLine[e.Line]
		if p == nil {
			return usagef("the journal %s names line %d, which holds no payout: it does not belong to this file", j.path, e.Line)
		}
		switch e.State {
		case "sending":
			p.status, p.since, p.err = rowUnknown, e.At, "outcome unknown: no answer was recorded for its batch"
		case "sent":
			p.status, p.id, p.err, p.earlier = rowSent, e.ID, "", true
		case "failed":
			p.status, p.err = rowFailed, e.Error
		case "unknown":
			p.status, p.err = rowUnknown, e.Error
		case "not_found":
			p.status, p.err = rowPending, ""
		case "ambiguous":
			p.status, p.err = rowUnknown, "ambiguous: "+e.Error
		default:
			return usagef("the journal %s has an unknown state %q for line %d", j.path, e.State, e.Line)
		}
	}
	return nil
}

// write appends entries and syncs the journal to disk before returning.
func (j *journal) write(entries ...journalEntry) error {
	if err := j.writeNoSync(entries...); err != nil {
		return err
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("cannot sync the journal %s: %w", j.path, err)
	}
	return nil
}

// writeNoSync appends entries; they reach the disk with the next sync.
func (j *journal) writeNoSync(entries ...journalEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var buf bytes.Buffer
	at := j.now().UTC().Format(rfc3339Milli)
	for _, e := range entries {
		if e.At == "" {
			e.At = at
		}
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if _, err := j.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("cannot write the journal %s: %w", j.path, err)
	}
	return nil
}

// close syncs what is not synced yet and closes (which releases the lock).
func (j *journal) close() {
	_ = j.f.Sync()
	j.f.Close()
}

// progress draws a bar on a terminal ("[#####.....] 120/500", redrawn) and otherwise prints a
// plain line now and then.
type progress struct {
	a     *app
	tty   bool
	total int
	last  time.Time
}

func newProgress(a *app, total int) *progress {
	return &progress{a: a, tty: a.isTerminal(a.stderr), total: total, last: a.now()}
}

func (p *progress) update(done int) {
	if p.tty {
		const width = 30
		n := done * width / max(p.total, 1)
		fmt.Fprintf(p.a.stderr, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), done, p.total)
		return
	}
	if now := p.a.now(); now.Sub(p.last) >= 2*time.Second && done < p.total {
		p.last = now
		fmt.Fprintf(p.a.stderr, "%d/%d payouts processed\n", done, p.total)
	}
}

func (p *progress) finish(done int) {
	if p.tty {
		fmt.Fprintln(p.a.stderr)
		return
	}
	fmt.Fprintf(p.a.stderr, "%d/%d payouts processed\n", done, p.total)
}
