package core

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Token is a bearer token from login.
type Token struct {
	AccessToken string    `json:"access_token"` // as sent by the server, usually "Bearer …"
	ExpiresAt   time.Time `json:"expires_at"`
	ObtainedAt  time.Time `json:"obtained_at"` // when the client logged in (by the client's clock)
}

// String never prints the token itself.
func (t Token) String() string {
	if t.AccessToken == "" {
		return "Token(none)"
	}
	return "Token(expires " + t.ExpiresAt.UTC().Format(time.RFC3339) + ")"
}

// GoString never prints the token itself either (%#v).
func (t Token) GoString() string { return t.String() }

// TokenStore keeps tokens between calls and processes. Keys identify an API URL and public key.
// Implementations must be safe for concurrent use.
type TokenStore interface {
	LoadToken(ctx context.Context, key string) (Token, bool, error)
	SaveToken(ctx context.Context, key string, t Token) error
	DeleteToken(ctx context.Context, key string) error
}

// NonceStore keeps the nonce high-water mark per key. The client saves a nonce before the
// request that carries it leaves, so a crash can never make it reuse one.
type NonceStore interface {
	LoadNonce(ctx context.Context, key string) (int64, error)
	SaveNonce(ctx context.Context, key string, n int64) error
}

// MemoryStore is a TokenStore and NonceStore held in memory.
type MemoryStore struct {
	mu     sync.Mutex
	tokens map[string]Token
	nonces map[string]int64
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{tokens: map[string]Token{}, nonces: map[string]int64{}}
}

func (m *MemoryStore) LoadToken(_ context.Context, key string) (Token, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[key]
	return t, ok, nil
}

func (m *MemoryStore) SaveToken(_ context.Context, key string, t Token) error {
	m.mu.Lock()
	m.tokens[key] = t
	m.mu.Unlock()
	return nil
}

func (m *MemoryStore) DeleteToken(_ context.Context, key string) error {
	m.mu.Lock()
	delete(m.tokens, key)
	m.mu.Unlock()
	return nil
}

func (m *MemoryStore) LoadNonce(_ context.Context, key string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.nonces[key], nil
}

func (m *MemoryStore) SaveNonce(_ context.Context, key string, n int64) error {
	m.mu.Lock()
	if n > m.nonces[key] {
		m.nonces[key] = n
	}
	m.mu.Unlock()
	return nil
}

// FileStore is a TokenStore and NonceStore kept in one JSON file, written atomically with mode
// 0600 in a 0700 directory. Tokens are sealed with AES-256-GCM under a key derived from a secret
// the caller supplies (the CLI uses the API private key), so the file never holds a usable token
// in plain text; a store without a seal secret refuses to keep tokens.
type FileStore struct {
	path string
	aead cipher.AEAD // nil: tokens are not kept
	mu   sync.Mutex
}

type fileState struct {
	Tokens map[string]string `json:"tokens,omitempty"` // key -> base64(nonce|sealed JSON token)
	Nonces map[string]int64  `json:"nonces,omitempty"`
}

// NewFileStore opens (or will create) the store at path. sealSecret protects tokens at rest;
// pass nil to keep only nonces.
func NewFileStore(path string, sealSecret []byte) (*FileStore, error) {
	if path == "" {
		return nil, &ValidationError{Field: "store path", Problem: "is empty: give a file path"}
	}
	s := &FileStore{path: path}
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
func (s *FileStore) Path() string { return s.path }

func (s *FileStore) read() (fileState, error) {
	var st fileState
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if len(b) == 0 {
		return st, nil
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("store %s is damaged (%v): delete it to start over", s.path, err)
	}
	return st, nil
}

func (s *FileStore) write(st fileState) error {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
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
	return os.Rename(name, s.path)
}

func (s *FileStore) LoadToken(_ context.Context, key string) (Token, bool, error) {
	if s.aead == nil {
		return Token{}, false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.read()
	if err != nil {
		return Token{}, false, err
	}
	enc, ok := st.Tokens[key]
	if !ok {
		return Token{}, false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	ns := s.aead.NonceSize()
	if err != nil || len(raw) < ns {
		return Token{}, false, nil
	}
	plain, err := s.aead.Open(nil, raw[:ns], raw[ns:], []byte(key))
	if err != nil {
		// Sealed under another secret (the private key changed): treat as absent.
		return Token{}, false, nil
	}
	var t Token
	if err := json.Unmarshal(plain, &t); err != nil {
		return Token{}, false, nil
	}
	return t, true, nil
}

func (s *FileStore) SaveToken(_ context.Context, key string, t Token) error {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.read()
	if err != nil {
		return err
	}
	if st.Tokens == nil {
		st.Tokens = map[string]string{}
	}
	st.Tokens[key] = base64.StdEncoding.EncodeToString(sealed)
	return s.write(st)
}

func (s *FileStore) DeleteToken(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.read()
	if err != nil {
		return err
	}
	if _, ok := st.Tokens[key]; !ok {
		return nil
	}
	delete(st.Tokens, key)
	return s.write(st)
}

func (s *FileStore) LoadNonce(_ context.Context, key string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.read()
	if err != nil {
		return 0, err
	}
	return st.Nonces[key], nil
}

func (s *FileStore) SaveNonce(_ context.Context, key string, n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.read()
	if err != nil {
		return err
	}
	if n <= st.Nonces[key] {
		return nil
	}
	if st.Nonces == nil {
		st.Nonces = map[string]int64{}
	}
	st.Nonces[key] = n
	return s.write(st)
}
