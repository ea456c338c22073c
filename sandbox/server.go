// Package sandbox is a stateful local emulator of the Wallex Pay merchant API
// (see spec/wallexpay-api.md). It is an independent reading of the spec: it
// shares no code with the client in core/.
//
// The API is served under /api (POST /api with a cmd field, or POST
// /api/{cmd}); test-only admin endpoints live under /sandbox/; buyer-facing
// pages for created transactions live under /checkout/, /status/ and
// /qrcode/.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Config configures a Server. The zero value is a memory-only sandbox with
// random demo keys and admin endpoints enabled.
type Config struct {
	TokenTTL       time.Duration                   // default 1h
	DataPath       string                          // "" = memory only; else a bbolt file; state survives restart
	DemoPublicKey  string                          // "" = random (or the stored one on restart)
	DemoPrivateKey string                          // "" = random (or the stored one on restart)
	Now            func() time.Time                // nil = time.Now
	DisableAdmin   bool                            // true = no /sandbox/ endpoints (404)
	AdminHosts     []string                        // host names besides loopback the admin endpoints answer on (lower case)
	Logger         *slog.Logger                    // nil = discard; never gets private keys, tokens, IPN secrets
	IPNClient      *http.Client                    // nil = default with 10s timeout
	IPNBackoff     func(attempt int) time.Duration // nil = 1s, 2s, 4s … capped at 60s
}

// Demo is the demo account created on first start, with one all-permission key and an IPN
// secret (IPNs go out once an IPN URL is set: 'wallexkit listen' sets one).
type Demo struct{ MerchantID, Username, PublicKey, PrivateKey, IPNSecret string }

// Server is one sandbox instance. Safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	ttl     time.Duration
	backoff func(int) time.Duration
	client  *http.Client

	db *bolt.DB
	mu sync.Mutex // guards st and demo
	st *state

	demo Demo

	statsMu  sync.Mutex
	stats    map[string]*keyStats
	failures map[string][]time.Time // throttle window per key

	faultMu sync.Mutex
	faults  []*Fault

	ipnMu      sync.Mutex // guards the fields below
	ipnLog     []IPNAttempt
	ipnQueue   []*ipnJob
	ipnPending int
	ipnWake    chan struct{}
	ipnWG      sync.WaitGroup

	ctx     context.Context
	cancel  context.CancelFunc
	closed  atomic.Bool
	handler http.Handler
}

// New starts a sandbox. With cfg.DataPath set it opens (or creates) the bbolt
// file and restores all state from it.
func New(cfg Config) (*Server, error) {
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		now:      cfg.Now,
		ttl:      cfg.TokenTTL,
		backoff:  cfg.IPNBackoff,
		client:   cfg.IPNClient,
		stats:    map[string]*keyStats{},
		failures: map[string][]time.Time{},
		ipnWake:  make(chan struct{}, 1),
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = time.Hour
	}
	if s.backoff == nil {
		s.backoff = defaultBackoff
	}
	if s.client == nil {
		s.client = &http.Client{
			Timeout: 10 * time.Second,
			// A redirect is not a delivery: answer with the 3xx and retry later.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if cfg.DataPath != "" {
		db, st, err := openStore(cfg.DataPath)
		if err != nil {
			return nil, err
		}
		s.db, s.st = db, st
	} else {
		s.st = newState()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.setupDemo(); err != nil {
		s.cancel()
		if s.db != nil {
			s.db.Close()
		}
		return nil, err
	}
	s.handler = s.routes()
	s.ipnWG.Add(1)
	go s.ipnDispatcher()
	return s, nil
}

func defaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 7 {
		return time.Minute
	}
	d := time.Second << (attempt - 1)
	return min(d, time.Minute)
}

// Handler serves the API under /api, admin endpoints under /sandbox/ (unless
// disabled) and the buyer pages under /checkout/, /status/, /qrcode/.
func (s *Server) Handler() http.Handler { return s.handler }

// Demo returns the demo account and its all-permission key.
func (s *Server) Demo() Demo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.demo
}

// Close stops IPN delivery (pending retries are abandoned) and closes the store.
// It is safe to call more than once.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	s.ipnWG.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db != nil {
		err := s.db.Close()
		s.db = nil
		return err
	}
	return nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api", s.serveAPI)
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("GET /checkout/{txn}", s.servePage)
	mux.HandleFunc("GET /status/{txn}", s.servePage)
	mux.HandleFunc("GET /qrcode/{txn}", s.serveQR)
	if !s.cfg.DisableAdmin {
		s.registerAdmin(mux)
	}
	return mux
}

func (s *Server) setupDemo() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().Unix()
	meta := s.st.meta
	acct := s.st.accounts[meta.DemoMerchant]
	var changes []change
	if acct == nil {
		var err error
		acct, err = s.newAccountLocked(AccountSpec{Username: "demo", Email: "demo@example.com", PublicName: "Demo Store"})
		if err != nil {
			return err
		}
		acct.Balances = map[string]int64{"BTC": 150_000_000, "LTC": 2_500_000_000, "ETH": 300_000_000, "LTCT": 10_000_000_000}
		changes = append(changes, put(bAccounts, acct.MerchantID, acct))
		meta.DemoMerchant = acct.MerchantID
	}
	if acct.IPNSecret == "" {
		// An IPN secret from minute one (no IPN is sent without one): a store made before the
		// demo had one gets it now.
		acct = acct.clone()
		acct.IPNSecret = randHex(24)
		changes = append(changes, put(bAccounts, acct.MerchantID, acct))
	}
	cur := s.st.keys[meta.DemoKey]
	if cur != nil && cur.MerchantID != acct.MerchantID {
		cur = nil
	}
	pub, priv := s.cfg.DemoPublicKey, s.cfg.DemoPrivateKey
	for _, k := range []string{pub, priv} {
		if len(k) > 128 || strings.ContainsAny(k, " \t\r\n") {
			return errors.New("sandbox: demo keys must be at most 128 characters without spaces")
		}
	}
	switch {
	case pub == "" && cur != nil:
		pub = cur.Public
	case pub == "":
		pub = randHex(32)
	}
	if priv == "" {
		if cur != nil && cur.Public == pub {
			priv = cur.Private
		} else {
			priv = randHex(32)
		}
	}
	if other := s.st.keys[pub]; other != nil && other.MerchantID != acct.MerchantID {
		return errors.New("sandbox: configured demo public key belongs to another account")
	}
	if cur == nil || cur.Public != pub || cur.Private != priv {
		var k *apiKey
		switch {
		case cur != nil && cur.Public == pub:
			k = cur.clone()
		case s.st.keys[pub] != nil:
			k = s.st.keys[pub].clone()
		default:
			k = &apiKey{Public: pub, MerchantID: acct.MerchantID, AllPerms: true, Created: now}
		}
		k.Private = priv
		if cur != nil && cur.Public != pub {
			changes = append(changes, del(bKeys, cur.Public))
		}
		changes = append(changes, put(bKeys, pub, k))
		meta.DemoKey = pub
	}
	if len(changes) > 0 {
		meta.Seq = s.st.meta.Seq
		changes = append(changes, put(bMeta, "meta", &meta))
		if err := s.commit(changes...); err != nil {
			return err
		}
	}
	s.demo = Demo{MerchantID: acct.MerchantID, Username: acct.Username, PublicKey: pub, PrivateKey: priv, IPNSecret: acct.IPNSecret}
	return nil
}

// randHex returns n random bytes as lowercase hex.
func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("sandbox: crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randID returns prefix plus n random upper-case letters and digits.
func randID(prefix string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("sandbox: crypto/rand: %v", err))
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + string(b)
}
