package filestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/wallexkit/wallexkit/core/payout"
)

// Journal is a payout.Journal kept as JSON lines in a file, appended and synced. Its Lock keeps
// other processes from running the same payout file at once (it fails at once when taken).
type Journal struct {
	path string
	mu   sync.Mutex
	lock *os.File
}

var (
	_ payout.Journal = (*Journal)(nil)
	_ payout.Locker  = (*Journal)(nil)
)

// ErrJournalLocked: another process is running this payout file.
var ErrJournalLocked = errors.New("another run is paying this file right now (its journal is locked): wait for it to finish")

// NewJournal returns the journal at path (created on first Append, with its directory).
func NewJournal(path string) *Journal { return &Journal{path: path} }

// JournalPath is where the journal of a payout file lives by default: in dir, named by the
// file's SHA-256 (hash), so a renamed or copied file continues the same journal, and by the
// account it pays from (store: core.Client.StoreKey, the API URL and the public key), so the
// same file run against another API or key (the sandbox, then the live API) is a run of its own.
// A journal of an earlier version, named by the SHA-256 alone, is used while it exists.
func JournalPath(dir, hash, store string) string {
	legacy := filepath.Join(dir, "payouts", hash+".jsonl")
	if _, err := os.Stat(legacy); err == nil {
		return legacy
	}
	sum := sha256.Sum256([]byte(store))
	return filepath.Join(dir, "payouts", hash+"."+hex.EncodeToString(sum[:6])+".jsonl")
}

// Path returns the journal's file.
func (j *Journal) Path() string { return j.path }

// Lock takes the journal's lock (a sibling .lock file) or fails at once with ErrJournalLocked.
// The lock is the file's, not the name's: a journal named through a symlink takes it next to the
// link's target, so runs under either name hold each other off.
func (j *Journal) Lock(context.Context) (func(), error) {
	path := ResolvePath(j.path)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, ErrJournalLocked
	}
	return func() { unlockFile(f); f.Close() }, nil
}

// Load reads every entry. A torn last line (a crash while appending) is dropped and cut off the
// file: that entry never counted, and the row it was about still shows its previous state,
// which the engine settles safely.
func (j *Journal) Load(context.Context) ([]payout.Entry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := os.OpenFile(j.path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		keep := bytes.LastIndexByte(data, '\n') + 1
		if err := f.Truncate(int64(keep)); err != nil {
			return nil, fmt.Errorf("cannot repair the torn end of the journal %s: %w", j.path, err)
		}
		data = data[:keep]
	}
	var out []payout.Entry
	for i, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		var e payout.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			return nil, fmt.Errorf("the journal %s is damaged at line %d (%v): do not delete it (it records what was paid)", j.path, i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Append writes the entries and syncs the file before returning.
func (j *Journal) Append(_ context.Context, es []payout.Entry) error {
	if len(es) == 0 {
		return nil
	}
	var buf bytes.Buffer
	for _, e := range es {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(j.path), 0o700); err != nil {
		return err
	}
	_, statErr := os.Stat(j.path)
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if statErr != nil {
		syncDir(filepath.Dir(j.path)) // a new journal's name is durable only once its directory is
	}
	return nil
}
