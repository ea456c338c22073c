// Package core is the Wallex Pay merchant API client: login and bearer tokens, nonces,
// form-encoded commands, exact money, typed errors, reconciliation and operation records. It is
// pure Go (no net/http, no syscall/js), so the same code runs natively, in a browser extension
// and at the edge.
//
// # Getting a client
//
// A Client needs a Transport, the only way core reaches the network. Native programs use the
// root package, which wires the net/http transport in one line:
//
//	c, err := wallexkit.New(publicKey, privateKey)
//
// or build it themselves with core.New(core.WithKeys(...), core.WithTransport(nethttp.New(nil))).
// Under GOOS=js the transport is wasm/fetch. Every option is a With… function; the zero
// configuration talks to https://wallexpay.io/api.
//
// # Calls
//
// Typed methods exist for every documented command (Balances, Rates, CreateTransaction, TxInfo,
// CreateWithdrawal, CreateMassWithdrawal, CreateTransfer, Convert, WithdrawalHistory, …); Call
// sends any command. Optional parameters are pointers (String, Bool, Int) so "unset" differs
// from zero, Extra carries fields the SDK does not know yet, and every result keeps the raw
// Response next to its typed fields. Lists (TxIDs, WithdrawalHistory) are iterators that fetch
// page by page.
//
// # Money
//
// Amount is an exact number of base units (1e-8 of a coin), Decimal exact text: money never
// passes through a float. A request amount with more than 8 decimals is refused before
// anything is sent.
//
// # Errors, retries and the outcome of money requests
//
// Errors are typed (ValidationError, APIError, AuthError, PermissionError, NonceError,
// RateLimitError, TransportError, OutcomeUnknownError, PendingOpError) and carry an ErrorCode
// (CodeOf) and whether a retry is safe (IsRetryable). Reads are retried with backoff; a money
// command (and create_transaction) is never sent twice once it may have reached the server.
// When its answer is lost the error is an OutcomeUnknownError: do not resend, Reconcile it.
//
// Reconcile looks the operation up in the history. With nonces (WithNonces) it first completes a
// call with a higher nonce (the fence): the API takes only increasing nonces, so a late copy of
// the original can no longer be carried out, and "not found" is then proven, for a request this
// key sent (QueriesFromOutcome, ReconcileOp; a ReconcileQuery with the original's Nonce or
// SentWith). A query by fields alone, and any query without nonces, may concern a request the
// network still holds: the verdict is in_flight until its deadline plus the in-flight window
// (WithInFlightWindow), then not_found, not proven. Act on ReconcileResult.Proven and Until.
//
// WithOpStore records every money request before it leaves; after a crash Ops lists what is
// unsettled, ReconcileOp settles it by its ID (and, once settled, answers the same every time), and an
// identical request is refused with a PendingOpError meanwhile.
//
// # Stores and runtimes
//
// Tokens, the nonce high-water mark and operation records live behind small interfaces
// (TokenStore, NonceStore, OpStore): MemoryStore in memory, core/filestore in a file shared by
// processes (with a per-key nonce lock held for the whole request), browser storage and Durable
// Objects in the wasm hosts. A Go instance that may vanish (a service worker, a Worker isolate)
// keeps nothing but caches.
//
// Related packages: core/ipn verifies IPNs (HMAC-SHA512 over the raw body) and orders them;
// core/ipn/ipnhttp serves them; core/payout pays a CSV of payouts without ever paying a row
// twice; core/xmlwire reads format=xml answers.
package core
