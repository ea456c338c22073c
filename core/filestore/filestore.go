// Package filestore keeps a wallexkit client's state in one file: the bearer token (sealed), the
// nonce high-water mark and the unresolved operations of each key. It is what the CLI uses; a
// native program can use it too. It lives apart from core so that programs that never write a
// file (the wasm bridge, the edge Worker) do not carry its cryptography.
//
// Several processes may share one file. Every change is a read-modify-write under an exclusive
// lock on a sibling lock file, written to a temporary file, synced and renamed over the old one,
// so a crash leaves either the old state or the new one. The nonce lock (core.NonceLocker) is a
// second, per-key lock that a client holds for the whole of a nonce-bearing request, so that one
// key has one such request in flight across every process (spec §4).
//
// Where flock(2) is not available (not Unix) the locks only serialise the goroutines of one
// process.
package filestore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/wallexkit/wallexkit/core"
)

// Store is a core.TokenStore, core.NonceStore, core.NonceLocker and core.OpStore kept in one JSON
// file, mode 0600 in a 0700 directory. Tokens are sealed with AES-256-GCM under a key derived
// (HKDF-SHA256) from a secret the caller supplies (the CLI uses the API private key), so the file
// never holds a usable token in plain text; a store without a seal secret keeps no tokens.
type Store struct {
	path string
	aead cipher.AEAD // nil: tokens are not kept
	mu   sync.Mutex  // serialises this process's goroutines; the file lock the processes
}

var (
	_ core.TokenStore  = (*Store)(nil)
	_ core.NonceStore  = (*Store)(nil)
	_ core.NonceLocker = (*Store)(nil)
	_ core.OpStore     = (*Store)(nil)
	_ core.OpClaimer   = (*Store)(nil)
)

type fileState struct {
	Tokens map[string]string             `json:"tokens,omitempty"` // key -> base64(nonce|sealed JSON token)
	Nonces map[string]int64              `json:"nonces,omitempty"`
	Ops    map[string]map[string]core.Op `json:"ops,omitempty"` // key -> op id -> op
}

// New opens (or will create) the store at path. sealSecret protects tokens at rest; pass nil to
// keep only nonces and operations.
func New(path string, sealSecret []byte) (*Store, error) {
	if path == "" {
		return nil, &core.ValidationError{Field: "store path", Problem: "is empty: give a file path"}
	}
	s := &Store{path: path}
	if len(sealSecret) > 0 {
		key, err := hkdf.Key(sha256.New, sealSecret, nil, "wallexkit token store v1", 32)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		if s.aead, err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Path returns the file the store writes.
func (s *Store) Path() string { return s.path }

// file is the file the store reads and writes (ResolvePath of its path).
func (s *Store) file() string { return ResolvePath(s.path) }

// ResolvePath is the file a state file's path names: the path, or, when it is a symlink (the
// state kept on another volume, or a name shared with a tool that names the target), the file
// the link leads to. Each write renames a new file over the old one, so a write to the link's
// own name would replace the link with a copy: from then on the two names would hold two sets
// of operation records, and a request recorded under one would not be refused under the other.
// The locks are taken next to the target too (and the CLI keeps payout journals there), so that
// runs under either name take turns.
func ResolvePath(path string) string {
	p := path
	for range 40 { // as many links as the kernel follows
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return p
		}
		t, err := os.Readlink(p)
		if err != nil {
			return p
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = t
	}
	return p
}

func (s *Store) read(path string) (fileState, error) {
	var st fileState
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if len(b) == 0 {
		// never written so by this store (a new file is renamed into place whole): cut by
		// something else, a copy or a restore that failed, and what it recorded is lost
		err = errors.New("it is empty")
	} else {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		return st, fmt.Errorf("store %s is damaged (%v); nothing was sent. Do not send anything again yet: it may record money requests "+
			"whose outcome is unknown (\"state\": \"sending\", \"unknown\", \"in_flight\" or \"ambiguous\"), which a fresh file would not stop "+
			"from being sent twice. Keep a copy, then move it aside, and settle each such request by its fields (wallexkit reconcile --cmd ... "+
			"--sent TIME; without a nonce fence it waits out the in-flight window) before sending it again", path, err)
	}
	return st, nil
}

// view reads the state under the locks.
func (s *Store) view(fn func(*fileState) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := s.file()
	if _, err := os.Stat(filepath.Dir(path)); errors.Is(err, os.ErrNotExist) {
		// No directory, so no state yet (and nowhere for the lock file): a read finds nothing,
		// as it would a moment before the first write.
		return fn(&fileState{})
	}
	unlock, err := s.lockFile(context.Background(), path+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.read(path)
	if err != nil {
		return err
	}
	return fn(&st)
}

// errUnchanged from an update function: nothing to write.
var errUnchanged = errors.New("unchanged")

// update runs a read-modify-write of the state under the locks.
func (s *Store) update(fn func(*fileState) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := s.file()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	unlock, err := s.lockFile(context.Background(), path+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	st, err := s.read(path)
	if err != nil {
		return err
	}
	if err := fn(&st); err != nil {
		if errors.Is(err, errUnchanged) {
			return nil
		}
		return err
	}
	return s.write(path, st)
}

func (s *Store) write(path string, st fileState) error {
	dir := filepath.Dir(path)
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".wallexkit-store-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	// The rename is durable only once the directory is: without this a power loss can bring back
	// the file before it, whose missing operation record would read as "never sent".
	syncDir(dir)
	return nil
}

// syncDir flushes a directory's entries to disk (best effort: some systems cannot sync a
// directory, and there a rename is as durable as they make it).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

func (s *Store) LoadToken(_ context.Context, key string) (core.Token, bool, error) {
	if s.aead == nil {
		return core.Token{}, false, nil
	}
	var enc string
	var ok bool
	if err := s.view(func(st *fileState) error { enc, ok = st.Tokens[key]; return nil }); err != nil {
		return core.Token{}, false, err
	}
	if !ok {
		return core.Token{}, false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	ns := s.aead.NonceSize()
	if err != nil || len(raw) < ns {
		return core.Token{}, false, nil
	}
	plain, err := s.aead.Open(nil, raw[:ns], raw[ns:], []byte(key))
	if err != nil {
		// Sealed under another secret (the private key changed): treat as absent.
		return core.Token{}, false, nil
	}
	var t core.Token
	if err := json.Unmarshal(plain, &t); err != nil {
		return core.Token{}, false, nil
	}
	return t, true, nil
}

func (s *Store) SaveToken(_ context.Context, key string, t core.Token) error {
	if s.aead == nil {
		return nil
	}
	plain, err := json.Marshal(t)
	if err != nil {
		return err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	sealed := s.aead.Seal(nonce, nonce, plain, []byte(key))
	return s.update(func(st *fileState) error {
		if st.Tokens == nil {
			st.Tokens = map[string]string{}
		}
		st.Tokens[key] = base64.StdEncoding.EncodeToString(sealed)
		return nil
	})
}

func (s *Store) DeleteToken(_ context.Context, key string) error {
	return s.update(func(st *fileState) error {
		if _, ok := st.Tokens[key]; !ok {
			return errUnchanged
		}
		delete(st.Tokens, key)
		return nil
	})
}

func (s *Store) LoadNonce(_ context.Context, key string) (int64, error) {
	var n int64
	err := s.view(func(st *fileState) error { n = st.Nonces[key]; return nil })
	return n, err
}

func (s *Store) SaveNonce(_ context.Context, key string, n int64) error {
	return s.update(func(st *fileState) error {
		if n <= st.Nonces[key] {
			return errUnchanged
		}
		if st.Nonces == nil {
			st.Nonces = map[string]int64{}
		}
		st.Nonces[key] = n
		return nil
	})
}

// LockNonce takes the per-key nonce lock (a lock file next to the store), waiting for other
// processes until ctx is done.
func (s *Store) LockNonce(ctx context.Context, key string) (func(), error) {
	path := s.file()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	return s.lockFile(ctx, filepath.Join(dir, "."+filepath.Base(path)+".nonce-"+hex.EncodeToString(sum[:8])+".lock"))
}

func (s *Store) SaveOp(_ context.Context, key string, op core.Op) error {
	return s.update(func(st *fileState) error {
		st.putOp(key, op)
		return nil
	})
}

// ClaimOp writes op under key unless a recorded op of any key in the file conflicts with it,
// which it returns with its key (core.OpClaimer).
func (s *Store) ClaimOp(_ context.Context, key string, op core.Op, conflict func(storeKey string, o core.Op) bool) (*core.Op, string, error) {
	var other *core.Op
	var otherKey string
	err := s.update(func(st *fileState) error {
		for k, ops := range st.Ops {
			for _, o := range ops {
				if conflict(k, o) {
					other, otherKey = &o, k
					return errUnchanged
				}
			}
		}
		st.putOp(key, op)
		return nil
	})
	return other, otherKey, err
}

func (st *fileState) putOp(key string, op core.Op) {
	if st.Ops == nil {
		st.Ops = map[string]map[string]core.Op{}
	}
	if st.Ops[key] == nil {
		st.Ops[key] = map[string]core.Op{}
	}
	st.Ops[key][op.ID] = op
}

func (s *Store) LoadOps(_ context.Context, key string) ([]core.Op, error) {
	var out []core.Op
	err := s.view(func(st *fileState) error { out = core.SortOps(st.Ops[key]); return nil })
	return out, err
}

func (s *Store) DeleteOp(_ context.Context, key, id string) error {
	return s.update(func(st *fileState) error {
		if _, ok := st.Ops[key][id]; !ok {
			return errUnchanged
		}
		delete(st.Ops[key], id)
		if len(st.Ops[key]) == 0 {
			delete(st.Ops, key)
		}
		return nil
	})
}

// lockFile takes an exclusive lock on the file at path (created if missing), waiting until ctx is
// done. The returned function releases it.
func (s *Store) lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	got := make(chan error, 1)
	go func() { got <- lockExclusive(f) }()
	select {
	case err := <-got:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot lock %s: %w", path, err)
		}
		return func() { unlockFile(f); f.Close() }, nil
	case <-ctx.Done():
		go func() {
			if <-got == nil {
				unlockFile(f)
			}
			f.Close()
		}()
		return nil, ctx.Err()
	}
}
