package payout

import (
	"context"
	"sync"
	"time"
)

// JournalVersion is the format of journal entries.
const JournalVersion = 2

// Entry is one line of a journal. The first entry of a journal is its header (V, File, SHA256,
// Rows); each later one records a change of one row (Line, State, ...) or that the history was
// scanned. A batch's "sending" entries are written, durably, before the batch can leave, with
// the nonce and the deadline of its request: a stop at any point leaves a journal from which the
// next run knows what to reconcile and how to prove it.
type Entry struct {
	V      int    `json:"v,omitempty"`
	File   string `json:"file,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Rows   int    `json:"rows,omitempty"`

	Line       int       `json:"line,omitempty"`
	State      State     `json:"state,omitempty"`
	ID         string    `json:"id,omitempty"` // the withdrawal id
	Error      string    `json:"error,omitempty"`
	Nonce      int64     `json:"nonce,omitempty"`
	SentAt     time.Time `json:"sent_at,omitzero"`
	Deadline   time.Time `json:"deadline,omitzero"`
	Until      time.Time `json:"until,omitzero"`
	Held       bool      `json:"held,omitempty"`  // in_flight: held back, not sent from this journal (RowStatus.Held)
	Batch      string    `json:"batch,omitempty"` // the batch's operation id
	Reconciled bool      `json:"reconciled,omitempty"`
	// Answered: unknown although its batch was answered: the answer left this payout out, or
	// named it neither "ok" nor a plain refusal. Found not carried out, it is refused (Failed),
	// not sent again.
	Answered bool      `json:"answered,omitempty"`
	Scanned  bool      `json:"scanned,omitempty"` // the history was searched for rows paid elsewhere
	Session  string    `json:"session,omitempty"` // Scanned: by which session (OpenOptions.Session)
	At       time.Time `json:"at,omitzero"`
}

// Journal stores the entries of one payout file (one SHA-256). Append must be durable when it
// returns: the engine sends nothing until the batch's entries are written.
type Journal interface {
	Load(ctx context.Context) ([]Entry, error)
	Append(ctx context.Context, entries []Entry) error
}

// Locker is implemented by a Journal that can keep other runs of the same file out (another
// process, another tab): Open takes the lock and Run.Close releases it.
type Locker interface {
	Lock(ctx context.Context) (unlock func(), err error)
}

// MemoryJournal is a Journal in memory (tests, and programs that keep it elsewhere).
type MemoryJournal struct {
	mu      sync.Mutex
	entries []Entry
	lock    chan struct{}
}

func (m *MemoryJournal) Load(context.Context) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Entry(nil), m.entries...), nil
}

func (m *MemoryJournal) Append(_ context.Context, es []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, es...)
	return nil
}

// Lock admits one run at a time.
func (m *MemoryJournal) Lock(ctx context.Context) (func(), error) {
	m.mu.Lock()
	if m.lock == nil {
		m.lock = make(chan struct{}, 1)
	}
	l := m.lock
	m.mu.Unlock()
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
