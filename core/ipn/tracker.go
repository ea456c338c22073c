package ipn

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/internal/errtext"
)

// Decision is what a Tracker says to do with a verified notification.
type Decision int

const (
	// Apply: new information; handle it, then Commit.
	Apply Decision = iota
	// Duplicate: this ipn_id was already handled; acknowledge and ignore.
	Duplicate
	// Stale: the status would move the payment backwards (e.g. "pending"
	// after "complete"); acknowledge and ignore.
	Stale
)

func (d Decision) String() string {
	switch d {
	case Apply:
		return "apply"
	case Duplicate:
		return "duplicate"
	case Stale:
		return "stale"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// TrackerStore persists what a Tracker has seen. Implementations must be safe
// for concurrent use. Back it by a database to survive restarts and to share
// state between instances; the Tracker serialises calls for one payment only
// within its own process, so a shared store should make MarkID and SetStatus
// part of the same transaction as the caller's own update where it can.
type TrackerStore interface {
	// SeenID reports whether the notification ipnID was handled.
	SeenID(ctx context.Context, ipnID string) (bool, error)
	// MarkID records the notification ipnID as handled.
	MarkID(ctx context.Context, ipnID string) error
	// LastStatus returns the last applied status of the payment key; ok is
	// false when none was recorded.
	LastStatus(ctx context.Context, key string) (status int, ok bool, err error)
	// SetStatus records status as the last applied status of key.
	SetStatus(ctx context.Context, key string, status int) error
}

// MemoryTrackerStore is an in-memory TrackerStore. It forgets everything on
// restart and keeps every ipn_id it saw, so it suits tests, tools and
// short-lived processes.
type MemoryTrackerStore struct {
	mu     sync.Mutex
	seen   map[string]struct{}
	status map[string]int
}

// NewMemoryTrackerStore returns an empty in-memory store.
func NewMemoryTrackerStore() *MemoryTrackerStore {
	return &MemoryTrackerStore{seen: map[string]struct{}{}, status: map[string]int{}}
}

// SeenID implements TrackerStore.
func (m *MemoryTrackerStore) SeenID(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.seen[id]
	return ok, nil
}

// MarkID implements TrackerStore.
func (m *MemoryTrackerStore) MarkID(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen[id] = struct{}{}
	return nil
}

// LastStatus implements TrackerStore.
func (m *MemoryTrackerStore) LastStatus(_ context.Context, key string) (int, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.status[key]
	return s, ok, nil
}

// SetStatus implements TrackerStore.
func (m *MemoryTrackerStore) SetStatus(_ context.Context, key string, status int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status[key] = status
	return nil
}

// Tracker makes IPN handling idempotent and monotonic. It is safe for
// concurrent use.
//
// Ordering rules, per payment (ipn_type + Notification.Key):
//
//   - an ipn_id already committed is a Duplicate;
//   - the first status seen for a payment applies;
//   - once the payment is final — paid (status >= 100 or == 2) or failed
//     (< 0) — only a numerically higher final status applies. So 2 → 100
//     applies, and a "complete" after a "cancelled" applies (money that
//     arrived after a timeout must be known to the merchant), while
//     "cancelled" after "complete" and any pending status after a final one
//     are Stale;
//   - while pending (0..99 but 2), any final status applies, and a pending
//     status applies unless it is lower than the last applied one (an equal
//     status applies: it may carry more confirmations or a larger
//     received amount).
//
// Notifications without a payment key are only de-duplicated.
//
// Paid twice over: 2 (paid, queued for payout) then 100 (complete) both apply, and both are
// Paid. The notification that makes a payment paid gets Notification.FirstPaid: ship, credit or
// fulfil on FirstPaid, never on Paid.
//
// A notification is recorded only by Commit (or by Handle once its function
// succeeded), so a failed handler leaves it to be retried by Wallex.
type Tracker struct {
	store TrackerStore

	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

// NewTracker returns a Tracker backed by store, or by a new in-memory store
// when store is nil.
func NewTracker(store TrackerStore) *Tracker {
	if store == nil {
		store = NewMemoryTrackerStore()
	}
	return &Tracker{store: store, locks: map[string]*keyLock{}}
}

var errNilNotification = errors.New("ipn: nil notification")

// Accept is AcceptContext with context.Background().
func (t *Tracker) Accept(n *Notification) (Decision, error) {
	return t.AcceptContext(context.Background(), n)
}

// AcceptContext says whether n should be applied, without recording anything.
// After applying it successfully, call Commit. Prefer Handle, which also keeps
// two deliveries of the same payment from running at once.
func (t *Tracker) AcceptContext(ctx context.Context, n *Notification) (Decision, error) {
	if n == nil {
		return 0, errNilNotification
	}
	unlock := t.lock(lockKey(n))
	defer unlock()
	return t.decide(ctx, n)
}

// Commit records n as handled: its ipn_id is marked seen and its status
// becomes the payment's last status if it moves the payment forward under the
// ordering rules (so committing a stale notification never moves it back).
func (t *Tracker) Commit(ctx context.Context, n *Notification) error {
	if n == nil {
		return errNilNotification
	}
	unlock := t.lock(lockKey(n))
	defer unlock()
	return t.commit(ctx, n)
}

// Handle runs fn for n when the Tracker decides Apply, and commits n only when
// fn returns nil (then even if ctx was cancelled meanwhile: the commit keeps ctx's
// values, not its cancellation). Deliveries for the same payment are serialised while fn
// runs. It returns the decision and fn's error unchanged (or a store error);
// when the error is non-nil, n is not recorded and a redelivery will be
// accepted again.
func (t *Tracker) Handle(ctx context.Context, n *Notification, fn func(context.Context, *Notification) error) (Decision, error) {
	if n == nil {
		return 0, errNilNotification
	}
	unlock := t.lock(lockKey(n))
	defer unlock()
	d, err := t.decide(ctx, n)
	if err != nil || d != Apply {
		return d, err
	}
	if fn != nil {
		if err := fn(ctx, n); err != nil {
			return Apply, err
		}
	}
	// fn has acted: record it whatever became of ctx (an HTTP handler's context is cancelled when
	// the sender gives up mid-fn, which is when it will send the notification again; a store that
	// honours the context would refuse the record, and the retry would be applied a second time).
	return Apply, t.commit(context.WithoutCancel(ctx), n)
}

func (t *Tracker) decide(ctx context.Context, n *Notification) (Decision, error) {
	seen, err := t.store.SeenID(ctx, n.ID)
	if err != nil {
		return 0, errtext.Prefix("ipn: tracker store: ", err)
	}
	n.FirstPaid = false
	if seen {
		return Duplicate, nil
	}
	key := statusKey(n)
	if key == "" {
		n.FirstPaid = n.Paid() // nothing to order it by: each such notification stands alone
		return Apply, nil
	}
	last, ok, err := t.store.LastStatus(ctx, key)
	if err != nil {
		return 0, errtext.Prefix("ipn: tracker store: ", err)
	}
	d := order(last, ok, int(n.Status))
	n.FirstPaid = d == Apply && n.Paid() && !(ok && core.PaymentStatus(last).Paid())
	return d, nil
}

func (t *Tracker) commit(ctx context.Context, n *Notification) error {
	if key := statusKey(n); key != "" {
		last, ok, err := t.store.LastStatus(ctx, key)
		if err != nil {
			return errtext.Prefix("ipn: tracker store: ", err)
		}
		if order(last, ok, int(n.Status)) == Apply {
			if err := t.store.SetStatus(ctx, key, int(n.Status)); err != nil {
				return errtext.Prefix("ipn: tracker store: ", err)
			}
		}
	}
	if err := t.store.MarkID(ctx, n.ID); err != nil {
		return errtext.Prefix("ipn: tracker store: ", err)
	}
	return nil
}

// order applies the rules documented on Tracker.
func order(last int, hasLast bool, next int) Decision {
	final := func(s int) bool { return core.PaymentStatus(s).Final() }
	switch {
	case !hasLast:
		return Apply
	case final(last):
		if final(next) && next > last {
			return Apply
		}
		return Stale
	case final(next):
		return Apply
	case next < last:
		return Stale
	}
	return Apply
}

func statusKey(n *Notification) string {
	k := n.Key()
	if k == "" {
		return ""
	}
	return n.Type + ":" + k
}

func lockKey(n *Notification) string {
	if k := statusKey(n); k != "" {
		return "p:" + k
	}
	return "i:" + n.ID
}

// lock takes the per-key mutex and returns its release.
func (t *Tracker) lock(key string) func() {
	t.mu.Lock()
	l := t.locks[key]
	if l == nil {
		l = &keyLock{}
		t.locks[key] = l
	}
	l.refs++
	t.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		t.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(t.locks, key)
		}
		t.mu.Unlock()
	}
}
