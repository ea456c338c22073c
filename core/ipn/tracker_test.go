package ipn

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// note builds a parsed api notification for payment key with the given id and status.
func note(t testing.TB, typ, key, id string, status int) *Notification {
	t.Helper()
	keyField := map[string]string{"api": "txn_id", "deposit": "deposit_id", "withdrawal": "id"}[typ]
	f := map[string]string{"ipn_id": id, "status": strconv.Itoa(status)}
	if keyField != "" && key != "" {
		f[keyField] = key
	} else if key != "" {
		f["txn_id"] = key
	}
	body, _ := SignedTestIPN(testSecret, testMerchant, typ, f)
	n, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type step struct {
	typ, key, id string
	status       int
	want         Decision
}

func TestTrackerSequences(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"first applies", []step{{"api", "T", "a", 0, Apply}}},
		{"replayed ipn_id", []step{{"api", "T", "a", 0, Apply}, {"api", "T", "a", 0, Duplicate}}},
		{"replay of final", []step{{"api", "T", "a", 100, Apply}, {"api", "T", "a", 100, Duplicate}}},
		{"pending after complete ignored", []step{{"api", "T", "a", 100, Apply}, {"api", "T", "b", 0, Stale}, {"api", "T", "c", 1, Stale}}},
		{"pending progresses", []step{{"api", "T", "a", 0, Apply}, {"api", "T", "b", 1, Apply}, {"api", "T", "c", 100, Apply}}},
		{"same pending with new id applies", []step{{"api", "T", "a", 0, Apply}, {"api", "T", "b", 0, Apply}}},
		{"lower pending is stale", []step{{"api", "T", "a", 1, Apply}, {"api", "T", "b", 0, Stale}}},
		{"queued then complete", []step{{"api", "T", "a", 2, Apply}, {"api", "T", "b", 100, Apply}}},
		{"complete then queued", []step{{"api", "T", "a", 100, Apply}, {"api", "T", "b", 2, Stale}}},
		{"cancel then complete applies", []step{{"api", "T", "a", -1, Apply}, {"api", "T", "b", 100, Apply}}},
		{"complete then cancel is stale", []step{{"api", "T", "a", 100, Apply}, {"api", "T", "b", -1, Stale}}},
		{"pending after cancel is stale", []step{{"api", "T", "a", -1, Apply}, {"api", "T", "b", 0, Stale}}},
		{"same final status new id is stale", []step{{"api", "T", "a", 100, Apply}, {"api", "T", "b", 100, Stale}}},
		{"payments are independent", []step{{"api", "T", "a", 100, Apply}, {"api", "U", "b", 0, Apply}}},
		{"types are independent", []step{{"api", "X", "a", 100, Apply}, {"withdrawal", "X", "b", 0, Apply}}},
		{"withdrawal complete then pending", []step{{"withdrawal", "W", "a", 1, Apply}, {"withdrawal", "W", "b", 2, Apply}, {"withdrawal", "W", "c", 1, Stale}}},
		{"deposit confirms", []step{{"deposit", "D", "a", 0, Apply}, {"deposit", "D", "b", 100, Apply}, {"deposit", "D", "c", 0, Stale}}},
		{"no key only dedupes", []step{{"simple", "", "a", 100, Apply}, {"simple", "", "b", 0, Apply}, {"simple", "", "b", 0, Duplicate}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(nil)
			for i, s := range tt.steps {
				n := note(t, s.typ, s.key, s.id, s.status)
				d, err := tr.Accept(n)
				if err != nil {
					t.Fatal(err)
				}
				if d != s.want {
					t.Fatalf("step %d (%s %s status %d): %v, want %v", i, s.typ, s.id, s.status, d, s.want)
				}
				if d == Apply {
					if err := tr.Commit(context.Background(), n); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

func TestTrackerAcceptDoesNotRecord(t *testing.T) {
	tr := NewTracker(nil)
	n := note(t, "api", "T", "a", 100)
	for range 2 {
		if d, _ := tr.Accept(n); d != Apply {
			t.Fatalf("Accept without Commit = %v, want apply", d)
		}
	}
}

func TestTrackerCommitNeverMovesBack(t *testing.T) {
	tr := NewTracker(nil)
	ctx := context.Background()
	_ = tr.Commit(ctx, note(t, "api", "T", "a", 100))
	_ = tr.Commit(ctx, note(t, "api", "T", "b", 0)) // stale, committed anyway
	if d, _ := tr.Accept(note(t, "api", "T", "c", 1)); d != Stale {
		t.Fatalf("after stale commit: %v, want stale", d)
	}
	if d, _ := tr.Accept(note(t, "api", "T", "b", 0)); d != Duplicate {
		t.Fatalf("committed id: %v, want duplicate", d)
	}
}

func TestTrackerHandleRetryAfterError(t *testing.T) {
	tr := NewTracker(NewMemoryTrackerStore())
	ctx := context.Background()
	n := note(t, "api", "T", "a", 100)
	boom := errors.New("db down")
	calls := 0
	fn := func(ctx context.Context, n *Notification) error {
		calls++
		if calls == 1 {
			return boom
		}
		return nil
	}
	tests := []struct {
		want    Decision
		wantErr error
		calls   int
	}{
		{Apply, boom, 1}, // fn fails: not recorded
		{Apply, nil, 2},  // retry applies
		{Duplicate, nil, 2},
	}
	for i, tt := range tests {
		d, err := tr.Handle(ctx, n, fn)
		if d != tt.want || !errors.Is(err, tt.wantErr) || calls != tt.calls {
			t.Fatalf("delivery %d: %v, %v, calls %d; want %v, %v, %d", i, d, err, calls, tt.want, tt.wantErr, tt.calls)
		}
	}
}

// ctxStore is a TrackerStore that honours its context, as a database one does (database/sql's
// ExecContext fails once the context is done).
type ctxStore struct{ *MemoryTrackerStore }

func (s ctxStore) MarkID(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.MemoryTrackerStore.MarkID(ctx, id)
}

func (s ctxStore) SetStatus(ctx context.Context, key string, status int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.MemoryTrackerStore.SetStatus(ctx, key, status)
}

// Wallex gives up on a delivery (its HTTP client times out, the connection drops) while the
// merchant's fn is fulfilling the order: ipnhttp's request context is cancelled, fn finishes
// and returns nil. The record of the notification must not depend on that context: committed
// with it, a database store refused the write, the redelivery of the same ipn_id was Apply and
// FirstPaid again, and the order was fulfilled twice.
func TestTrackerHandleCommitsAfterTheSenderGaveUp(t *testing.T) {
	tr := NewTracker(ctxStore{NewMemoryTrackerStore()})
	fulfilled := 0
	fn := func(_ context.Context, n *Notification) error {
		if n.FirstPaid {
			fulfilled++
		}
		return nil
	}
	ctx, giveUp := context.WithCancel(context.Background())
	d, err := tr.Handle(ctx, note(t, "api", "T", "a", 100), func(ctx context.Context, n *Notification) error {
		giveUp() // the sender disconnects while the order ships
		return fn(ctx, n)
	})
	if d != Apply || fulfilled != 1 {
		t.Fatalf("first delivery: %v, %v, fulfilled %d", d, err, fulfilled)
	}
	d, err = tr.Handle(context.Background(), note(t, "api", "T", "a", 100), fn) // Wallex retries the same ipn_id
	if d != Duplicate || err != nil || fulfilled != 1 {
		t.Fatalf("redelivery of a handled notification: %v, %v; fulfilled %d times, want duplicate and once", d, err, fulfilled)
	}
}

type failingStore struct{ *MemoryTrackerStore }

func (failingStore) SeenID(context.Context, string) (bool, error) {
	return false, errors.New("store offline")
}

func TestTrackerStoreError(t *testing.T) {
	tr := NewTracker(failingStore{NewMemoryTrackerStore()})
	called := false
	_, err := tr.Handle(context.Background(), note(t, "api", "T", "a", 0), func(context.Context, *Notification) error {
		called = true
		return nil
	})
	if err == nil || called {
		t.Fatalf("err = %v, called = %v", err, called)
	}
	if _, err := tr.Accept(nil); err == nil {
		t.Fatal("nil notification accepted")
	}
}

func TestTrackerConcurrentDeliveries(t *testing.T) {
	tr := NewTracker(nil)
	var calls atomic.Int32
	var inFlight, maxInFlight atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// 10 ipn_ids, each delivered 5 times, same payment.
			n := note(t, "api", "T", fmt.Sprint("id", i%10), 0)
			_, err := tr.Handle(context.Background(), n, func(context.Context, *Notification) error {
				if c := inFlight.Add(1); c > maxInFlight.Load() {
					maxInFlight.Store(c)
				}
				calls.Add(1)
				inFlight.Add(-1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 10 {
		t.Errorf("fn called %d times, want 10 (one per ipn_id)", calls.Load())
	}
	if maxInFlight.Load() != 1 {
		t.Errorf("%d handlers ran at once for one payment", maxInFlight.Load())
	}
	if len(tr.locks) != 0 {
		t.Errorf("%d locks leaked", len(tr.locks))
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{Apply: "apply", Duplicate: "duplicate", Stale: "stale", 9: "Decision(9)"} {
		if d.String() != want {
			t.Errorf("%d: %q", int(d), d.String())
		}
	}
}
