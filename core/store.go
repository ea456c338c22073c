package core

import (
	"context"
	"github.com/wallexkit/wallexkit/internal/order"
	"sync"
	"time"

	"github.com/wallexkit/wallexkit/internal/hexstr"
	"github.com/wallexkit/wallexkit/internal/sha2"
)

// Token is a bearer token from login.
type Token struct {
	AccessToken string `json:"access_token"` // as sent by the server, usually "Bearer …"
	// ExpiresAt is zero when unknown: the server's expires_at was already past by this
	// machine's clock at login (a skewed clock); the token is then used until it is refused.
	ExpiresAt  time.Time `json:"expires_at"`
	ObtainedAt time.Time `json:"obtained_at"` // when the client logged in (by the client's clock)
	// Owner tells which key pair logged in for it (TokenOwner of the public and private key),
	// without holding the private key: a client given another private key for the same public
	// key does not take this token from a shared store; it logs in, and the API refuses a wrong
	// key. Empty for a token saved by an older version (used only by a client with no private key).
	Owner string `json:"owner,omitempty"`
}

// TokenOwner is the Owner a key pair's tokens carry: the first 16 bytes of
// HMAC-SHA256(privateKey, "wallexkit token owner" + publicKey), in hex. It proves nothing to
// anyone without the private key and reveals nothing of it.
func TokenOwner(publicKey, privateKey string) string {
	if privateKey == "" {
		return ""
	}
	m := sha2.NewHMAC256([]byte(privateKey))
	m.Write([]byte("wallexkit token owner\x00" + publicKey))
	return hexstr.Encode(m.Sum(nil)[:16])
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

// MemoryStore is a TokenStore, NonceStore and OpStore held in memory.
type MemoryStore struct {
	mu     sync.Mutex
	tokens map[string]Token
	nonces map[string]int64
	ops    map[string]map[string]Op
	turns  map[string]chan struct{} // LockNonce: one nonce-bearing call of a key at a time
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

// LockNonce holds key's turn for one nonce-bearing call (NonceLocker) until unlock, or gives up
// when ctx ends: the clients that share this store (made by Derive, or by New with one store)
// each have a turn of their own, and the API wants one nonce-bearing call of a key at a time
// (spec §4). Without it their calls crossed, and a money call whose nonce another client's call
// overtook was refused after it left: an outcome unknown for nothing.
func (m *MemoryStore) LockNonce(ctx context.Context, key string) (func(), error) {
	m.mu.Lock()
	if m.turns == nil {
		m.turns = map[string]chan struct{}{}
	}
	t := m.turns[key]
	if t == nil {
		t = make(chan struct{}, 1)
		m.turns[key] = t
	}
	m.mu.Unlock()
	select {
	case t <- struct{}{}:
		return func() { <-t }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m *MemoryStore) SaveOp(_ context.Context, key string, op Op) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putOp(key, op)
	return nil
}

func (m *MemoryStore) putOp(key string, op Op) {
	if m.ops == nil {
		m.ops = map[string]map[string]Op{}
	}
	if m.ops[key] == nil {
		m.ops[key] = map[string]Op{}
	}
	op.Ref = copyRef(op.Ref)
	m.ops[key][op.ID] = op
}

// ClaimOp writes op under key unless a recorded op of any key conflicts with it, which it
// returns with its key (OpClaimer): two
// clients of one key on this store, or one client without nonces, given the same request at
// once (a double click), send it once.
func (m *MemoryStore) ClaimOp(_ context.Context, key string, op Op, conflict func(storeKey string, o Op) bool) (*Op, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, ops := range m.ops {
		for _, o := range ops {
			if conflict(k, o) {
				o.Ref = copyRef(o.Ref)
				return &o, k, nil
			}
		}
	}
	m.putOp(key, op)
	return nil, "", nil
}

var _ OpClaimer = (*MemoryStore)(nil)

func (m *MemoryStore) LoadOps(_ context.Context, key string) ([]Op, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return SortOps(m.ops[key]), nil
}

func (m *MemoryStore) DeleteOp(_ context.Context, key, id string) error {
	m.mu.Lock()
	delete(m.ops[key], id)
	m.mu.Unlock()
	return nil
}

// SortOps returns the ops of a map, oldest first (for OpStore implementations).
func SortOps(m map[string]Op) []Op {
	out := make([]Op, 0, len(m))
	for _, o := range m {
		o.Ref = copyRef(o.Ref)
		out = append(out, o)
	}
	order.Slice(len(out), func(i, j int) bool {
		if c := out[i].SentAt.Compare(out[j].SentAt); c != 0 {
			return c < 0
		}
		return out[i].ID < out[j].ID
	}, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
