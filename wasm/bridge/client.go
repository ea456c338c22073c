//go:build js && wasm

package main

import (
	"context"
	"sync"
	"syscall/js"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/wasm/fetch"
)

var (
	mu     sync.Mutex
	client *core.Client // a cache: configure makes a new one, state lives in the stores
	// memStore keeps tokens and nonces when configure is given no storage, across configures.
	memStore = core.NewMemoryStore()
	// hostStorage is the host's StorageAdapter of each live client (configure's and
	// createClient's), for the payout journals.
	hostStorage = map[*core.Client]*jsStorage{}
)

// turnless is memStore without its nonce turn (MemoryStore.LockNonce), as clients without storage
// had it before MemoryStore took turns: in a Worker, a request waiting on another request's turn
// is woken inside that request's event, and its fetch starts there, on behalf of the wrong request
// (Workers bind I/O to the request that started it): cut off when that request ends, a money call
// would end outcome unknown. Clients without storage keep a nonce order each, as the README says;
// several of one key share a storage with lockNonce.
type turnless struct{ m *core.MemoryStore }

func (t turnless) LoadNonce(ctx context.Context, key string) (int64, error) {
	return t.m.LoadNonce(ctx, key)
}
func (t turnless) SaveNonce(ctx context.Context, key string, n int64) error {
	return t.m.SaveNonce(ctx, key, n)
}

// storageOf returns the StorageAdapter c was made with (nil without one).
func storageOf(c *core.Client) *jsStorage {
	mu.Lock()
	defer mu.Unlock()
	return hostStorage[c]
}

func current() (*core.Client, error) {
	mu.Lock()
	defer mu.Unlock()
	if client == nil {
		return nil, &notConfigured{}
	}
	return client, nil
}

type configured struct {
	StoreKey string `json:"storeKey"`
}

// configure (re)creates the client from {apiUrl, publicKey, privateKey?, gatewayToken?, nonce?,
// nonceReserveMs?, format?, insecureHttp?, timeoutMs?, inFlightWindowMs?, fencePauseMs?, storage?}. It sends
// nothing. Nonces are on unless nonce is false. With gatewayToken the client
// talks to a wallexkit edge gateway (apiUrl = https://gateway/v1/call) that holds the API keys:
// it never logs in and needs no key pair.
func configure(args []js.Value) (any, error) {
	c, host, err := newClient(args)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	if client != nil {
		delete(hostStorage, client)
	}
	client = c
	if host != nil {
		hostStorage[c] = host
	}
	mu.Unlock()
	return configured{StoreKey: c.StoreKey()}, nil
}

// newClient makes a client from configure's options (see configure).
func newClient(args []js.Value) (*core.Client, *jsStorage, error) {
	o := optsArg(args, 0, "options")
	if len(args) == 0 || absent(args[0]) {
		o.fail("options", "are required: {apiUrl, publicKey, privateKey?, ...}")
	}
	apiURL, pub, priv, gwToken := o.optText("apiUrl"), o.text("publicKey"), o.text("privateKey"), o.text("gatewayToken")
	nonceOpt, insecure, format := o.optFlag("nonce"), o.flag("insecureHttp"), o.optText("format")
	moneyNeedsNonces, dupCheck, tokenOnly := o.flag("moneyNeedsNonces"), o.flag("duplicateCheck"), o.flag("tokenOnly")
	nonce := nonceOpt == nil || *nonceOpt // on unless {nonce: false} (spec §4)
	timeoutMs, windowMs, pauseMs := o.integer("timeoutMs"), o.integer("inFlightWindowMs"), o.integer("fencePauseMs")
	reserveMs := o.integer("nonceReserveMs")
	storageV, hasStorage := o.get("storage")
	if o.err != nil {
		return nil, nil, o.err
	}
	if apiURL == nil {
		return nil, nil, &core.ValidationError{Field: "apiUrl", Problem: "is required, e.g. https://wallexpay.io/api"}
	}
	var store interface {
		core.TokenStore
		core.NonceStore
	} = memStore
	var nonces core.NonceStore = turnless{memStore}
	var ops core.OpStore = memStore
	var host *jsStorage
	if hasStorage {
		s, err := newJSStorage(storageV)
		if err != nil {
			return nil, nil, err
		}
		// Without getOps/setOp/deleteOp the records stay in memory (as without storage): a
		// client with no records at all would send an identical request, or the same opId, again.
		store, nonces, host = s, s, s
		if s.ops {
			ops = s
		}
	}
	opts := []core.Option{
		core.WithAPIURL(*apiURL),
		core.WithKeys(pub, priv),
		core.WithTransport(fetch.New()),
		core.WithTokenStore(store),
		core.WithUserAgent(""), // browsers refuse to set it; the runtime sends its own
	}
	if ops != nil {
		opts = append(opts, core.WithOpStore(ops))
	}
	if gwToken != "" {
		if priv != "" {
			return nil, nil, &core.ValidationError{Field: "gatewayToken", Problem: "a gateway holds the keys: give a gateway token or a private key, not both"}
		}
		// The gateway orders nonces itself, next to the keys. Its close route (beside /v1/call)
		// is the fence reconcileOp uses: no copy of a lost request can land after it.
		opts = append(opts, core.WithStaticToken(gwToken))
		if u, ok := core.GatewayCloseURL(*apiURL); ok {
			opts = append(opts, core.WithGatewayCloseURL(u))
		}
	} else if nonce {
		opts = append(opts, core.WithNonces(nonces))
		if reserveMs < 0 || reserveMs > maxNonceReserveMs {
			return nil, nil, &core.ValidationError{Field: "nonceReserveMs", Problem: "must be between 0 and " + itoa(maxNonceReserveMs) + " (milliseconds of nonce the stored mark may run ahead)"}
		}
		opts = append(opts, core.WithNonceReserve(time.Duration(reserveMs)*time.Millisecond))
	}
	if insecure {
		opts = append(opts, core.WithInsecureHTTP())
	}
	if moneyNeedsNonces {
		opts = append(opts, core.WithMoneyNeedsNonces())
	}
	if dupCheck {
		opts = append(opts, core.WithDuplicateCheck(core.DuplicateWindow))
	}
	if format != nil && *format != "json" {
		// The XML decoder (core/xmlwire) is not in this build: 10 KB of its gzip budget, for answers
		// that read the same in JSON. The CLI and Go programs speak xml.
		return nil, nil, &core.ValidationError{Field: "format", Value: *format, Problem: `must be "json" here (the answers are the same; the CLI's --format xml and Go's xmlwire read xml)`}
	}
	if timeoutMs != 0 {
		if timeoutMs < 0 {
			return nil, nil, &core.ValidationError{Field: "timeoutMs", Problem: "must be positive"}
		}
		opts = append(opts, core.WithTimeout(time.Duration(timeoutMs)*time.Millisecond))
	}
	if windowMs < 0 || pauseMs < 0 {
		return nil, nil, &core.ValidationError{Field: "inFlightWindowMs", Problem: "inFlightWindowMs and fencePauseMs must not be negative"}
	}
	if windowMs > 0 {
		opts = append(opts, core.WithInFlightWindow(time.Duration(windowMs)*time.Millisecond))
	}
	if _, ok := o.get("fencePauseMs"); ok {
		opts = append(opts, core.WithFencePause(time.Duration(pauseMs)*time.Millisecond))
	}
	c, err := core.New(opts...)
	if err != nil {
		return nil, nil, err
	}
	// Without a private key a client can only use a token already stored for this public key:
	// only the caller's own storage's (a page that kept the token, not the key), and only when
	// asked for. Otherwise anyone who knows a public key (it is not a secret) would use the token
	// another client of this process logged in for.
	if priv == "" && gwToken == "" && (!tokenOnly || !hasStorage) {
		return nil, nil, &core.ValidationError{Field: "privateKey", Problem: "is required (or gatewayToken); a page that kept only the token in its own storage passes tokenOnly: true with that storage"}
	}
	return c, host, nil
}

// maxNonceReserveMs bounds nonceReserveMs: a restarted host starts its nonces above the margin,
// ahead of the clock by up to this much.
const maxNonceReserveMs = 60_000

func ctx() context.Context { return context.Background() }
