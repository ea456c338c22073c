// Package gateway is the edge gateway's HTTP logic, independent of the host: it sees a plain
// Request, answers a plain Response, and reaches storage, the price list and the network only
// through the Platform interfaces. The Cloudflare Worker (package main next to this one)
// implements them over Durable Objects, KV and the Fetch API; tests implement them in memory.
package gateway

import (
	"context"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/ipn"
)

// Platform is what one request may use of its host. It is built per request: on Workers, Durable
// Object stubs belong to the request that created them.
type Platform interface {
	// Prices reads the merchant's price list.
	Prices() PriceList
	// Keys returns the state of one API key (token, nonce high-water mark, nonce sequencer),
	// shared by every isolate. storeKey is core.Client.StoreKey().
	Keys(storeKey string) KeyState
	// Ledger is the gateway's own records: payments it created, IPN dedupe and order, events,
	// forwarding.
	Ledger() Ledger
	// Limiter is the rate limit window of one client (an IP address).
	Limiter(client string) Limiter
	// Transport reaches the Wallex API directly.
	Transport() core.Transport
	// Log writes one line to the host's log. Callers never pass secrets.
	Log(msg string)
}

// Price is one entry of the price list (KV key "price:<sku>").
type Price struct {
	Amount   string // decimal text in Currency, e.g. "12.50"
	Currency string // pricing currency (currency1), e.g. USD
	Name     string // item name shown to the buyer
}

// PriceList looks up prices by SKU.
type PriceList interface {
	// Price returns the raw JSON entry for sku; ok is false when there is none.
	Price(ctx context.Context, sku string) (raw string, ok bool, err error)
}

// KeyState is the shared state of one API key.
type KeyState interface {
	// LoadToken returns the stored token while it is fresh (by core's rule: until a margin of
	// 60 s, at most a tenth of its lifetime, before it expires). Otherwise the first caller gets
	// ok=false at once and should log in; callers after it wait (up to lease) for the token it
	// saves, so that requests and isolates needing a token together log in once.
	LoadToken(ctx context.Context, lease time.Duration) (tok core.Token, ok bool, err error)
	SaveToken(ctx context.Context, tok core.Token) error
	DeleteToken(ctx context.Context) error
	LoadNonce(ctx context.Context) (int64, error)
	SaveNonce(ctx context.Context, n int64) error
	// NonceCall sends a nonce-bearing request upstream from the key's single sequencer: one at a
	// time per key across every isolate, with the nonce raised above the last one sent if another
	// isolate got there first, and persisted before the request leaves.
	NonceCall(ctx context.Context, req *core.Request) (*core.HTTPResponse, error)
}

// Ledger keeps the gateway's durable records.
type Ledger interface {
	ipn.TrackerStore
	// PutTxn records that this gateway created payment id; rec is a JSON object.
	PutTxn(ctx context.Context, id string, rec string) error
	// GetTxn returns the record of payment id, if this gateway created it.
	GetTxn(ctx context.Context, id string) (rec string, ok bool, err error)
	// RecordEvent stores a verified notification as an event and, when forward is not empty,
	// queues forward (a JSON body) for delivery to FORWARD_URL. It is idempotent per ipnID:
	// dup is true when the ID was already recorded (nothing is stored or sent again).
	RecordEvent(ctx context.Context, ipnID, event, forward string) (dup bool, cursor int64, err error)
	// Events returns the page of events after cursor as the JSON object
	// {"events":[...],"next_cursor":"N"}.
	Events(ctx context.Context, after int64, limit int) (string, error)
}

// Limiter is a fixed-window rate limiter for one client.
type Limiter interface {
	// Hit counts one request; it reports whether it is allowed and, if not, when to retry.
	Hit(ctx context.Context, limit int, window time.Duration) (ok bool, retryAfter time.Duration, err error)
}
