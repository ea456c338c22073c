// Package gateway is the edge gateway's HTTP logic, independent of the host: it sees a plain
// Request, answers a plain Response, and reaches storage, the price list and the network only
// through the Platform interfaces. The Cloudflare Worker (package main next to this one)
// implements them over Durable Objects, KV and the Fetch API; tests implement them in memory.
package gateway

import (
	"context"
	"time"

	"github.com/wallexkit/wallexkit/core"
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
	// WithTimeout is context.WithTimeout, with the timer the host allows: on Workers a JS timer
	// set from the request's own event, never a Go timer (which can fire while the instance runs
	// another request's event, and wake this request's goroutine into I/O there). The returned
	// context reports the earlier of its own and ctx's deadlines.
	WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
}

// ReportedDeadline is a context that reports At as its deadline (or its parent's, when earlier)
// without arming a Go timer for it: something else ends it by its cancel. A host whose Go timers
// are unsafe (on Workers a Go timer can fire while the instance runs another request's event, and
// the goroutine it wakes would abort or start I/O on behalf of the wrong request) enforces the
// deadline with a timer of its own; reporting it keeps core from adding a timeout of its own.
type ReportedDeadline struct {
	context.Context
	At time.Time
}

func (c ReportedDeadline) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.At) {
		return d, true
	}
	return c.At, true
}

// sleep waits d, or until ctx ends, on the platform's timer.
func sleep(p Platform, ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t, cancel := p.WithTimeout(ctx, d)
	defer cancel()
	<-t.Done()
	return ctx.Err()
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
	// LoadToken returns the stored token while it is fresh (the key store decided when it needs
	// renewal and saved that time with it, see SaveToken). Otherwise the first caller gets
	// ok=false at once: it holds the login lease and should log in; callers after it wait (up to
	// lease, or until the holder saves a token or hands the lease on) so that requests and
	// isolates needing a token together log in once.
	LoadToken(ctx context.Context, lease time.Duration) (tok core.Token, ok bool, err error)
	// SaveToken stores tok, renewable from refreshAt on, ends the login lease and hands tok to
	// every waiter.
	SaveToken(ctx context.Context, tok core.Token, refreshAt time.Time) error
	// ReleaseLogin ends a lease whose login failed: exactly one waiter (if any) gets the lease
	// and logs in next; the others keep waiting.
	ReleaseLogin(ctx context.Context) error
	DeleteToken(ctx context.Context) error
	LoadNonce(ctx context.Context) (int64, error)
	SaveNonce(ctx context.Context, n int64) error
	// NonceCall sends a nonce-bearing request upstream from the key's single sequencer, in one
	// step: one at a time per key across every isolate, in queue order. When the call's turn
	// comes, the sequencer sends it with nonce max(call.Nonce, the last nonce the key sent or
	// stored + 1), after storing that nonce as the key's mark (spec §4: persisted before the
	// request leaves), and reports it in NonceResult.Nonce. It never sends a call whose deadline
	// has passed or that was abandoned (NotSent), and bounds the request by the time left until
	// the deadline. (A sequencer of an older deployment answers Stale instead of raising.)
	NonceCall(ctx context.Context, call *NonceCall) (*NonceResult, error)
	// Abandon tells the sequencer that the caller of call id stopped waiting. sent reports
	// whether the request had already left (or may have): if not, it never will.
	Abandon(ctx context.Context, id string) (sent bool, err error)
}

// NonceCall is one request for the key's sequencer.
type NonceCall struct {
	ID      string // unique per call, for Abandon
	Request *core.Request
	// Nonce is the nonce in Request.Body, at Request.Body[At:End]: the floor of the one the
	// sequencer sends (it puts its own in that place).
	Nonce    int64
	At, End  int
	Deadline time.Time // not sent after this; the request is aborted then
	// Exact: send it with Nonce as it is, never raised, even at or below the last nonce sent
	// (core.Request.SameNonce: core's resend after a 401, which the API must refuse if the first
	// copy was carried out).
	Exact bool
	// Created is when the gateway made the request, Fence whether it is one of a reconcile's calls
	// (core.Request.Fence). A fence proves that a request made before it is never carried out
	// after it only if the sequencer then refuses such a request: one held between an isolate and
	// the sequencer has no nonce yet, and would get one above the fence's.
	Created time.Time
	Fence   bool
}

// NonceResult is the sequencer's answer: exactly one of Response, NotSent, Stale (the last nonce
// sent, which the call's nonce does not exceed), or SendError (sent, no answer) is set. Nonce is
// the nonce the request carried when it was sent (Response, SendError).
type NonceResult struct {
	Response  *core.HTTPResponse
	NotSent   string
	Stale     int64
	SendError string
	Nonce     int64
}

// Ledger keeps the gateway's durable records.
type Ledger interface {
	// SeenID reports whether the notification ipnID was recorded.
	SeenID(ctx context.Context, ipnID string) (bool, error)
	// LastStatus returns the last applied status of payment key.
	LastStatus(ctx context.Context, key string) (status int, ok bool, err error)
	// CommitIPN records a notification in one atomic step: its ID, the payment's new status, the
	// event and its forwarding. It does nothing and reports Dup when the ID is already recorded,
	// or Conflict when the payment's last status is no longer c.Expect (another notification
	// of the payment was recorded since it was read).
	CommitIPN(ctx context.Context, c *IPNCommit) (IPNCommitResult, error)
	// PutTxn records that this gateway created payment id; rec is a JSON object.
	PutTxn(ctx context.Context, id string, rec string) error
	// GetTxn returns the record of payment id, if this gateway created it.
	GetTxn(ctx context.Context, id string) (rec string, ok bool, err error)
	// GetOrder returns the record of a storefront order (a JSON object with a version "v").
	GetOrder(ctx context.Context, orderID string) (rec string, ok bool, err error)
	// PutOrder stores rec as order orderID's record if its version is still expectV (0: no
	// record yet), and gives it version expectV+1. Otherwise it changes nothing and returns the
	// current record.
	PutOrder(ctx context.Context, orderID string, expectV int64, rec string) (ok bool, current string, err error)
	// Events returns the page of events after cursor as the JSON object
	// {"events":[...],"next_cursor":"N"}.
	Events(ctx context.Context, after int64, limit int) (string, error)
	// ClaimIdempotency stores rec as the record of idempotency id, made by claim, in one atomic
	// step, unless a record of id younger than ttl exists: then it changes nothing and returns
	// that record (ok false).
	ClaimIdempotency(ctx context.Context, id, claim, rec string, ttl time.Duration) (ok bool, current string, err error)
	// SettleIdempotency replaces record id with rec ("" deletes it) if it is still the one
	// claim made.
	SettleIdempotency(ctx context.Context, id, claim, rec string) error
}

// IPNCommit is what CommitIPN writes.
type IPNCommit struct {
	ID        string
	Key       string // payment key ("" for notifications without one)
	Expect    int    // the last status that was read (when HasExpect)
	HasExpect bool
	Status    int // the payment's new last status (when SetStatus)
	SetStatus bool
	Event     string // the event JSON for /v1/events
	Forward   string // the body to forward, "" for none
}

// IPNCommitResult is CommitIPN's answer.
type IPNCommitResult struct {
	Dup      bool
	Conflict bool
	Cursor   int64
}

// Limiter is a fixed-window rate limiter for one client.
type Limiter interface {
	// Hit counts one request; it reports whether it is allowed and, if not, when to retry.
	Hit(ctx context.Context, limit int, window time.Duration) (ok bool, retryAfter time.Duration, err error)
}
