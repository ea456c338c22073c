package filestore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
)

func TestOpsRoundTripAndFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wk", "state.json")
	s, err := filestore.New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, id := range []string{"op_b", "op_a"} {
		op := core.Op{ID: id, Cmd: "create_withdrawal", Ref: map[string]string{"amount": "1"}, Nonce: int64(10 + i), SentAt: t0.Add(time.Duration(i) * time.Second), State: core.OpSending}
		if err := s.SaveOp(ctx, "k", op); err != nil {
			t.Fatal(err)
		}
	}
	// Another Store on the same file (another process) sees them, oldest first.
	s2, _ := filestore.New(path, nil)
	ops, err := s2.LoadOps(ctx, "k")
	if err != nil || len(ops) != 2 || ops[0].ID != "op_b" || ops[1].Nonce != 11 || !ops[0].SentAt.Equal(t0) {
		t.Fatalf("ops = %+v %v", ops, err)
	}
	if other, _ := s2.LoadOps(ctx, "other-key"); len(other) != 0 {
		t.Fatalf("ops leak across keys: %+v", other)
	}
	if err := s2.DeleteOp(ctx, "k", "op_b"); err != nil {
		t.Fatal(err)
	}
	if ops, _ := s.LoadOps(ctx, "k"); len(ops) != 1 || ops[0].ID != "op_a" {
		t.Fatalf("after delete: %+v", ops)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v %v", fi.Mode(), err)
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode = %v", di.Mode())
	}
}

// Two stores on one file stand for two processes: the nonce lock admits one holder at a time per
// key, and concurrent updates lose nothing.
func TestNonceLockAcrossStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	a, _ := filestore.New(path, nil)
	b, _ := filestore.New(path, nil)
	ctx := context.Background()
	var holders, overlaps atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := s.LockNonce(ctx, "key-1")
			if err != nil {
				t.Error(err)
				return
			}
			if holders.Add(1) > 1 {
				overlaps.Add(1)
			}
			n, _ := s.LoadNonce(ctx, "key-1")
			time.Sleep(2 * time.Millisecond)
			_ = s.SaveNonce(ctx, "key-1", n+1)
			holders.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	if overlaps.Load() != 0 {
		t.Fatalf("%d overlapping holders", overlaps.Load())
	}
	if n, _ := a.LoadNonce(ctx, "key-1"); n != 20 {
		t.Fatalf("nonce = %d, want 20 (an update was lost)", n)
	}
	// Another key is not held up by a held lock.
	unlock, _ := a.LockNonce(ctx, "key-1")
	defer unlock()
	done := make(chan struct{})
	go func() {
		u, err := b.LockNonce(ctx, "key-2")
		if err == nil {
			u()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("key-2 waited for key-1's lock")
	}
	// A waiter gives up when its context ends.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := b.LockNonce(cctx, "key-1"); err == nil {
		t.Fatal("got a held lock")
	}
}

func TestTokensAreSealed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, _ := filestore.New(path, []byte("private-key-1"))
	ctx := context.Background()
	tok := core.Token{AccessToken: "Bearer secret-token-value", ExpiresAt: time.Now().Add(time.Hour).UTC()}
	if err := s.SaveToken(ctx, "k", tok); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "secret-token-value") {
		t.Fatal("the token is in the file in plain text")
	}
	if got, ok, _ := s.LoadToken(ctx, "k"); !ok || got.AccessToken != tok.AccessToken {
		t.Fatalf("LoadToken = %+v %v", got, ok)
	}
	other, _ := filestore.New(path, []byte("another-key"))
	if _, ok, _ := other.LoadToken(ctx, "k"); ok {
		t.Fatal("a store with another secret opened the token")
	}
	if err := s.DeleteToken(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LoadToken(ctx, "k"); ok {
		t.Fatal("token still there after DeleteToken")
	}
}

// A store whose directory does not exist yet (a fresh machine, a state file named in a pasted
// line) reads as empty, creating nothing; the first write makes the directory.
func TestReadBeforeTheDirectoryExists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	s, err := filestore.New(filepath.Join(dir, "state.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if ops, err := s.LoadOps(ctx, "k"); err != nil || len(ops) != 0 {
		t.Fatalf("ops = %+v, err = %v; want none and no error", ops, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a read created %s (%v)", dir, err)
	}
	if err := s.SaveOp(ctx, "k", core.Op{ID: "op_1", Cmd: "create_withdrawal", State: core.OpSending}); err != nil {
		t.Fatal(err)
	}
	if ops, err := s.LoadOps(ctx, "k"); err != nil || len(ops) != 1 {
		t.Fatalf("after a write: %+v %v", ops, err)
	}
}

// A state file cut short (a copy to a full disk, a failed editor's save) fails closed, and what it
// says to do is safe to do at once: it said "move it aside to start over", and a withdrawal of
// unknown outcome that the file recorded, run again on a fresh file, was sent a second time. It
// now says to settle the operations the file lists before sending any of them again.
func TestDamagedStateFileSaysToReconcileFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wk", "state.json")
	s, err := filestore.New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.SaveOp(ctx, "k", core.Op{ID: "op_1", Cmd: "create_withdrawal", Nonce: 5, State: core.OpSending}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	// cut in half, and cut to nothing (a copy or restore that failed at its start; this store never
	// writes an empty file): an empty file read as "no state yet" lost the record, and the same
	// withdrawal was sent again
	for _, cut := range [][]byte{b[:len(b)/2], {}} {
		if err := os.WriteFile(path, cut, 0o600); err != nil {
			t.Fatal(err)
		}
		ops, err := s.LoadOps(ctx, "k")
		if err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("LoadOps of a state file cut to %d bytes = %+v, %v; want a 'damaged' error", len(cut), ops, err)
		}
		if msg := err.Error(); strings.Contains(msg, "start over") || !strings.Contains(msg, "wallexkit reconcile --cmd") {
			t.Fatalf("the error invites sending again before the operations it lists are settled: %s", msg)
		}
		if err := s.SaveNonce(ctx, "k", 9); err == nil {
			t.Fatal("a write replaced the damaged state file")
		}
	}
}

// A journal named through a symlink (`--journal` given as a link) and through its target is one
// journal: a run under either name holds the other off. Before, the lock file was taken next to
// the name given, so two runs of one payout file, one under each name, paid at once.
func TestJournalLockHoldsThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "vault", "run.jsonl")
	link := filepath.Join(dir, "home", "run.jsonl")
	for _, d := range []string{filepath.Dir(real), filepath.Dir(link)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	unlock, err := filestore.NewJournal(real).Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if u, err := filestore.NewJournal(link).Lock(context.Background()); err != filestore.ErrJournalLocked {
		if u != nil {
			u()
		}
		t.Fatalf("the journal's lock through its symlink: %v, want ErrJournalLocked", err)
	}
}
