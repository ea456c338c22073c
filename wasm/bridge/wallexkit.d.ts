// Types of globalThis.wallexkit, the wallexkit core compiled to WebAssembly (wasm/bridge).
//
// Load Go's wasm_exec.js, instantiate wallexkit.wasm with `new Go().importObject` and call
// `go.run(instance)` (do not await it): globalThis.wallexkit exists as soon as run() returns.
//
// Conventions
// - Every function returns a Promise at once; the work runs off the JS event loop's critical path.
// - Results are plain, structured-clonable objects (no functions, no Go handles): safe to post
//   between a service worker and a page.
// - Money is never a JS number: amounts are decimal strings with 8 places ("0.10000000"), and
//   amount *inputs* must be strings too (a number is rejected with code invalid_input).
// - Times are ISO-8601 UTC strings ("2026-01-02T15:04:05Z").
// - Typed results use the API's snake_case member names (txn_id, time_created, ...); the objects
//   the bridge itself defines ({storeKey}, {expiresAt}, {loggedIn}, reconcile's txnIds) use camelCase.
// - An optional option that is undefined (or null) is not sent at all; "" is sent as an empty value.
// - Failures reject with a WallexError (a plain object, not an Error instance).
// - No secret (private key, token) ever appears in a rejection or on the console.
// - The Go instance may be stopped at any time (MV3 service worker): the token and the nonce
//   high-water mark live in the StorageAdapter; after a restart call configure() again.

import type { CoreErrorCode } from './codes.gen';

export type { CoreErrorCode, PaymentState } from './codes.gen';

/** Stable machine-readable failure codes: core's (generated from Go, see codes.gen.d.ts) and the bridge's own. */
export type WallexErrorCode =
  | CoreErrorCode
  | 'not_configured'; // configure() was not called in this Go instance (call it again after a restart)

/** What every function rejects with. */
export interface WallexError {
  code: WallexErrorCode;
  /** Human-readable, already redacted. */
  message: string;
  /** Whether sending the same request again is safe (transport errors of reads, rate_limited, nonce). */
  retryable: boolean;
  /** invalid_input: the offending option, by its JS name ("currency", "buyerEmail", "items[a].amount", "apiUrl"); call(): the wire field name. */
  field?: string;
  /** outcome_unknown: the command that may have run; permission: the command to enable for the key. */
  cmd?: string;
  /** outcome_unknown: the identifying fields that were sent (amount, currency, address, note, invoice, custom, wd[KEY][...], ...), ready for reconcile({cmd, ...ref}) (not for create_mass_withdrawal, whose ref holds every item: reconcileOp(opId) settles each). */
  ref?: Record<string, string>;
  /** outcome_unknown, pending_operation: the operation to ask about with reconcileOp(opId); possible_duplicate: the earlier payment's operation. */
  opId?: string;
  /** outcome_unknown: the nonce the request carried (reconcile's fence goes above it). */
  nonce?: number;
  /** outcome_unknown: when the request left, and when the client stopped waiting for it (Unix ms). */
  sentAtMs?: number;
  deadlineMs?: number;
  /** outcome_unknown: the client (API URL and public key, its storeKey) that sent it: reconcile's sentWith. pending_operation: the other client's storeKey when the blocking operation is recorded under another key (settle it with a client of that key). */
  storeKey?: string;
  /** pending_operation under another key: that storeKey's API URL and public key. */
  storeApiUrl?: string;
  storePublicKey?: string;
  /** pending_operation: the state of the operation that blocks this one. */
  opState?: Op['state'];
  /** possible_duplicate: the withdrawal or transfer the earlier payment made, and when it was carried out (Unix ms). */
  result?: string;
  settledAtMs?: number;
  /** The HTTP status of the answer, when one arrived (e.g. 502 for an HTML error page). */
  httpStatus?: number;
  /** api_error: the answer's own machine-readable code, when it has one (the edge gateway's: "money_disabled", "command_not_allowed", ...). */
  serverCode?: string;
}

/** Per-item error inside a successful result (txInfoMulti, createMassWithdrawal). */
export interface ItemError {
  code: WallexErrorCode;
  message: string;
  retryable: boolean;
}

/**
 * A createMassWithdrawal payout of unknown outcome (code outcome_unknown: the answer left it out,
 * or neither made nor plainly refused it): it may have been carried out, so never send it again
 * before it is settled. It carries what a rejection's outcome_unknown does, of the batch that
 * carried it (opId, nonce, sentAtMs, deadlineMs, storeKey; ref: this payout's wd[KEY][...] fields),
 * and what reconcile takes (cmd, the payout's amount/currency/address/note/currency2, sinceMs,
 * sentWith = storeKey): `client.reconcile(error)` settles it in one call, with nonces at once (the
 * batch was answered: the fence above its nonce proves a miss). Not reconcileOp(opId): that
 * answers for the batch as a whole, which was answered ("found" whatever became of this payout).
 */
export interface MassItemUnknown extends ItemError, ReconcileOptions {
  code: 'outcome_unknown';
  cmd: 'create_mass_withdrawal';
  /** This payout's fields as sent (wd[KEY][amount], ...). */
  ref: Record<string, string>;
  /** The batch's operation (reconcileOp of it answers for the whole batch). */
  opId: string;
  /** The client (API URL and public key) that sent the batch; the same as sentWith. */
  storeKey: string;
}

/** A stored bearer token. Keep it somewhere private (chrome.storage.session, sessionStorage). */
export interface StoredToken {
  /** The token as the API sent it, usually "Bearer …". Secret. */
  access_token: string;
  /** ISO-8601 UTC. */
  expires_at: string;
  /** ISO-8601 UTC, by this machine's clock. */
  obtained_at: string;
}

/**
 * Where the core keeps its state, supplied by the host. Go calls these and awaits the returned
 * promises (plain return values work too). `key` identifies the API URL and public key (the
 * `storeKey` configure returns). A method that throws or rejects fails the call that needed it
 * (code internal), except that an unreadable token is treated as absent (the core logs in again).
 */
export interface StorageAdapter {
  /** The token saved for key, or null when none. */
  getToken(key: string): Promise<StoredToken | null>;
  setToken(key: string, token: StoredToken): Promise<void>;
  deleteToken(key: string): Promise<void>;
  /** The nonce high-water mark for key (a non-negative integer; 0 when none). */
  getNonce(key: string): Promise<number>;
  /** Persist n before the request that carries it is sent. Keep the larger of n and the stored value. */
  setNonce(key: string, n: number): Promise<void>;
  /**
   * When several hosts share this storage (tabs, each running its own core; the processes of a
   * Node cluster or of several servers, e.g. a database advisory lock): resolves to a
   * release function once no other host has a nonce-bearing call of key in flight (e.g.
   * navigator.locks). Held for the whole request: the API's nonce check is not atomic (spec §4).
   */
  lockNonce?(key: string): Promise<() => void>;
  /**
   * Operation records (give all three, or none: then they live in this Go instance's memory and
   * are lost on restart): every money request and createTransaction is
   * written with setOp before it leaves and updated when its outcome is known, so that
   * reconcileOp(opId) can answer after a lost answer or a restart. `text` is a JSON text; return
   * the texts (or objects) from getOps, whole, and only those setOp stored under that key (a
   * record that cannot be read, or of another key, fails the call: nothing is sent). Keep them in durable storage (chrome.storage.local).
   */
  getOps?(key: string): Promise<Array<string | Op>>;
  setOp?(key: string, id: string, text: string): Promise<void>;
  deleteOp?(key: string, id: string): Promise<void>;
  /**
   * For records several processes share (a Node cluster, two servers on one database): resolves
   * to a release function once no other process holds key's lock (e.g. a database advisory lock).
   * It is held while the record of a new money request is checked against the unsettled ones and
   * written, so that the same request given to two processes at once is sent once. getOps and
   * setOp are called while it is held (they must not wait for it). Without it that check holds
   * within one process (one Go instance) only.
   */
  lockOps?(key: string): Promise<() => void>;
  /**
   * The store keys this storage holds operation records of (optional). With it, a new money
   * request is checked against the unsettled records of every key, not only its own: after a key
   * was rotated or a store added while a request of the old key is unsettled, the same request
   * under the new key is refused (pending_operation with the old key's `storeKey`).
   */
  opKeys?(): Promise<string[]>;
  /**
   * Payout journals, by the file's SHA-256 (give load and append to keep them; otherwise they live
   * in the Go instance only). appendJournal must resolve only once the entries are stored: a
   * batch is sent only after its entries are. lockJournal, when given, resolves to a release
   * function once no other run of the file holds the lock (e.g. navigator.locks).
   */
  loadJournal?(sha256: string): Promise<Array<string | object>>;
  appendJournal?(sha256: string, entries: string[]): Promise<void>;
  lockJournal?(sha256: string): Promise<() => void>;
}

export interface ConfigureOptions {
  /** API base URL, e.g. "https://wallexpay.io/api". Plain http is refused except to loopback unless insecureHttp. */
  apiUrl: string;
  /** Required unless gatewayToken is given. */
  publicKey?: string;
  /** Needed only to log in; never stored by the bridge. Omit it to run on a stored token alone. */
  privateKey?: string;
  /**
   * Connect through a wallexkit edge gateway (wasm/edge) that holds the API keys: apiUrl is then
   * the gateway's `https://…/v1/call`, this is one of its GATEWAY_TOKENS, and the client never logs
   * in and holds no key. The gateway orders nonces itself, so `nonce` is ignored.
   */
  gatewayToken?: string;
  /**
   * Send a nonce with every call (default true; one nonce-bearing call in flight at a time, in
   * order). Nonces let reconcile prove at once that a lost request can no longer land. Once a key
   * has used nonces it must keep using them (a call without then rejects with code nonce).
   */
  nonce?: boolean;
  /**
   * For the one long-lived host of a key (the extension's worker): the stored nonce mark may run
   * up to this many milliseconds of nonce ahead of the nonce sent, so the calls within it need no
   * storage write (default 0: every nonce is saved before it leaves; at most 60000). The mark
   * still covers every nonce sent; a restarted host starts above it.
   */
  nonceReserveMs?: number;
  /** How long after its deadline a lost request that no nonce fence covers may still land (default 120000). reconcile says in_flight until then. */
  inFlightWindowMs?: number;
  /** reconcile's pause between its two history reads after the nonce fence (default 1000). */
  fencePauseMs?: number;
  /** Answer format asked of the API: "json", the only one this build reads (the CLI and Go's core read xml too; the results are the same). */
  format?: 'json';
  /** Allow plain http to a host that is not loopback (keys and tokens then travel unencrypted). */
  insecureHttp?: boolean;
  /**
   * Refuse money commands (code invalid_input, nothing sent) while nonces are off. Set it in a
   * browser: Chromium sends a POST again by itself when a reused connection drops before the
   * answer, after the API may have acted, and only a nonce makes the API refuse that copy.
   */
  moneyNeedsNonces?: boolean;
  /**
   * Refuse a withdrawal or transfer like one this client's records show carried out in the last
   * 12 hours (the same amount, coin and destination, whatever the note): code possible_duplicate,
   * nothing sent. For a tool a person drives, where the first one's answer can be lost to them
   * (a popup closed mid-send) and "it failed, send it again" would pay twice. Pass `again: true`
   * on the call that is meant as a second payment. Off by default.
   */
  duplicateCheck?: boolean;
  /**
   * No private key: use only the token this `storage` already holds for the public key (a page
   * that kept the token but not the key). Without it a missing privateKey is invalid_input: a
   * public key is not a secret, and a client must not take a token another one logged in for.
   */
  tokenOnly?: boolean;
  /** Deadline of each call, in milliseconds (default 30000). The request is aborted when it passes. */
  timeoutMs?: number;
  /** Where tokens and nonces live; in memory (lost with the Go instance) when omitted. */
  storage?: StorageAdapter;
}

export interface BasicInfo {
  username: string;
  merchant_id: string;
  email: string;
  /** May be "". */
  public_name: string;
}

export interface CoinAmount {
  /** Ticker, e.g. "BTC". */
  coin: string;
  /** Exact decimal string, 8 places. */
  amount: string;
}

export interface Balances {
  /** Sorted by coin. Zero balances only with {all: true}. */
  coins: CoinAmount[];
}

export interface Rate {
  coin: string;
  /** "" with {short: true}. */
  name: string;
  is_fiat: boolean;
  /** Exact decimal text, as the API sent it. */
  rate_btc: string;
  /** ISO-8601 UTC. */
  last_update: string;
  /** Exact decimal text. */
  tx_fee: string;
  status: string;
  /** 0 with {short: true}. */
  confirms: number;
  can_convert: boolean;
  /** null with {short: true}. */
  capabilities: string[] | null;
  accepted: boolean;
}

export interface Rates {
  /** Sorted by coin. */
  coins: Rate[];
}

export interface Address {
  /** Ticker, upper case. */
  currency: string;
  address: string;
  dest_tag?: string;
}

export interface CreateTransactionOptions {
  /** Price in currency1, decimal string, e.g. "12.5". */
  amount: string;
  /** Pricing currency, e.g. "USD". */
  currency1: string;
  /** Currency the buyer pays, e.g. "BTC". */
  currency2: string;
  buyerEmail: string;
  address?: string;
  buyerName?: string;
  itemName?: string;
  itemNumber?: string;
  /** Set invoice or custom so reconcile can find the payment again. */
  invoice?: string;
  custom?: string;
  /** Falls back to the account's IPN URL when omitted. */
  ipnUrl?: string;
  successUrl?: string;
  cancelUrl?: string;
}

export interface Transaction {
  txn_id: string;
  /** What the buyer pays, in `currency`. */
  amount: string;
  /** currency2. */
  currency: string;
  address: string;
  confirms_needed: number;
  /** Seconds the buyer has to pay. */
  timeout: number;
  checkout_url: string;
  status_url: string;
  qrcode_url: string;
}

export interface TxInfo {
  txn_id: string;
  /** ISO-8601 UTC ("0001-01-01T00:00:00Z" when the API gave none). */
  time_created: string;
  time_expires: string;
  /** -1 cancelled/timed out, 0 waiting, 1 received, 2 queued for payout, 100 complete. Paid: >= 100 or 2; failed: < 0. */
  status: number;
  status_text: string;
  type: string;
  coin: string;
  amount: string;
  received: string;
  recv_confirms: number;
  payment_address: string;
  /** txInfo(txid, true) only: the checkout details as the API sent them (invoice, custom, item_name, ...). */
  checkout?: Record<string, unknown>;
}

export interface ListOptions {
  /** Items per request, 1–100 (default 100). */
  pageSize?: number;
  /** Offset of the first item. */
  start?: number;
  /** Only items newer than this: Unix seconds (as the API) or a Date. */
  newer?: number | Date;
  /** Stop after this many items (default: all). */
  limit?: number;
}

export interface TransferOptions {
  amount: string;
  currency: string;
  /** Exactly one of merchant (a merchant ID, not a username) and toAddress. */
  merchant?: string;
  toAddress?: string;
  /** Skip the email confirmation. */
  autoConfirm?: boolean;
}

export interface Transfer {
  id: string;
  /** 0 awaiting email confirmation, 1 created. */
  status: number;
}

export interface WithdrawalOptions {
  amount: string;
  currency: string;
  address: string;
  /** Add the coin's fee to the amount instead of taking it out. */
  addTxFee?: boolean;
  /** Send the value of amount given in currency2. */
  currency2?: string;
  destTag?: string;
  ipnUrl?: string;
  autoConfirm?: boolean;
  /** Kept with the withdrawal; also how reconcile tells payouts apart. */
  note?: string;
}

export interface Withdrawal {
  id: string;
  /** -1 cancelled, 0 awaiting email confirmation, 1 pending, 2 complete. */
  status: number;
  amount: string;
}

export interface MassWithdrawalItem {
  /** Names the payout in the request and the answer: 1–64 letters, digits, '_' or '-', unique. */
  key: string;
  amount: string;
  currency: string;
  address: string;
  destTag?: string;
  currency2?: string;
  note?: string;
}

/** One payout's outcome, in the order of the items: id/status/amount, or error. */
export interface MassWithdrawalResult {
  key: string;
  id?: string;
  status?: number;
  amount?: string;
  /** A refusal (api_error: nothing moved), or outcome_unknown (MassItemUnknown): reconcile(error) first. */
  error?: ItemError | MassItemUnknown;
}

export interface WithdrawalInfo {
  id: string;
  /** ISO-8601 UTC. */
  time_created: string;
  /** -1 cancelled, 0 awaiting email confirmation, 1 pending, 2 complete. */
  status: number;
  status_text: string;
  coin: string;
  amount: string;
  send_address: string;
  /** Only meaningful once complete. */
  send_txid: string;
  note?: string;
}

export interface ReconcileOptions {
  /** create_withdrawal, create_mass_withdrawal, create_transfer, create_transaction or convert. */
  cmd: string;
  amount: string;
  /** Coin (create_transaction: currency2). */
  currency: string;
  /** A withdrawal priced in another currency (as sent; in `ref`): matched on coin, address and note, not on the amount. */
  currency2?: string;
  address?: string;
  merchant?: string;
  note?: string;
  /** create_transaction. */
  invoice?: string;
  custom?: string;
  /** Ignore operations created before this (Unix milliseconds), minus an hour of slack (clock skew). */
  sinceMs?: number;
  /**
   * From the outcome_unknown rejection: the nonce, sent time and deadline of the original. The
   * nonce fence proves a miss only for a nonce this key sent: without it (an operation described
   * by its fields, which another key or tool may have sent) the verdict is in_flight until the
   * original's in-flight bound (from sentAtMs, or from now when it is not given).
   */
  nonce?: number;
  sentAtMs?: number;
  deadlineMs?: number;
  /**
   * From the outcome_unknown rejection: its storeKey, the client that sent it. Give it with the
   * nonce: the fence then proves a miss only when that is this client (a key changed since, or
   * another key's client, waits for the in-flight bound instead). Without it the nonce is taken
   * as this key's.
   */
  sentWith?: string;
}

export interface ReconcileResult {
  /**
   * found: exactly one match, it was carried out. not_found: nothing matches and (proven) the
   * original can no longer land. in_flight: nothing proves it will not still land (no nonces, or no
   * nonce of this key given):
   * wait until untilMs and ask again; never resend before. ambiguous: ask a person.
   */
  verdict: 'found' | 'not_found' | 'in_flight' | 'ambiguous';
  /** The verdict cannot change any more (found, or not_found behind a nonce fence). */
  proven: boolean;
  /** in_flight: when the original can no longer be in its client's hands (Unix ms). */
  untilMs?: number;
  /**
   * in_flight, when no sentAtMs was given: the send time the wait counted from (this look's time).
   * Ask again with it as sentAtMs: asked without one, the wait starts again.
   */
  /**
   * reconcileOp: this storage holds no record of the id. The not_found is of this storage only,
   * never proof: memory storage (no `storage` given) forgets on restart, and another storage may
   * have sent it. Reconcile it by its fields (with its nonce and sentAtMs, saved from the error).
   */
  noRecord?: boolean;
  assumedSentAtMs?: number;
  /** From the history; `{id}` alone when reconcileOp answers from its record (withdrawalInfo(id) has the rest). */
  withdrawals?: (WithdrawalInfo | { id: string })[];
  txnIds?: string[];
  detail: string;
}

/** A recorded money request (see StorageAdapter.setOp). */
export interface Op {
  id: string;
  cmd: string;
  ref: Record<string, string>;
  nonce?: number;
  /** ISO-8601. */
  sent_at: string;
  deadline: string;
  state: 'sending' | 'unknown' | 'in_flight' | 'ambiguous' | 'done' | 'refused' | 'not_found';
  result?: string;
  until?: string;
  error?: string;
  settled?: string;
}

/** A payout file as the engine reads it. */
export interface PayoutFile {
  name: string;
  sha256: string;
  /** "wk:" and the first 8 hex digits of sha256: in every row's note. */
  tag: string;
  header: boolean;
  rows: PayoutRow[];
  /** Every bad row at once (line 0: the whole file). A file with problems is never sent. */
  problems: { line: number; message: string }[];
  warnings: { line: number; message: string }[];
  totals: { currency: string; amount: string; rows: number }[];
}

export interface PayoutRow {
  /** The row's identity: its line in the file. */
  line: number;
  key: string;
  address: string;
  currency: string;
  amount: string;
  memo?: string;
  /** Sent with the payout: "memo (wk:HASH:LINE)" or "wk:HASH:LINE". */
  note: string;
}

export interface PayoutRowStatus extends PayoutRow {
  state: 'pending' | 'sending' | 'sent' | 'failed' | 'unknown' | 'in_flight' | 'ambiguous';
  withdrawal_id?: string;
  error?: string;
  until?: string;
  /** in_flight rows this run never sent: held until `until` (a batch of the file sent elsewhere lands by then or never), then looked up again and sent. */
  held?: boolean;
  reconciled: boolean;
  earlier: boolean;
  sent_now?: boolean;
}

export interface PayoutSummary {
  rows: number;
  pending: number;
  sent: number;
  sent_now: number;
  reconciled: number;
  sent_earlier: number;
  failed: number;
  unknown: number;
  in_flight: number;
  /** Of the in_flight rows, those held back (see PayoutRowStatus.held). */
  held: number;
  ambiguous: number;
  done: boolean;
  stopped?: string;
  /** ISO-8601: when in_flight rows may be settled. */
  wait_until?: string;
  /**
   * What to do next, for any host to act on (core/payout Advice): done; hold (the rows of a first
   * run, or of a file another run is paying, wait until wait_until, then step again: they are
   * looked up, then sent); wait (until wait_until: rows no nonce fence covers); reconcile (unknown outcomes: step again now, they are looked up); check
   * (ambiguous rows, step_lines: a person looks at the history); retry (refused rows, step_lines:
   * fix the cause, then step with retryFailed); send (rows not sent yet: step again).
   */
  step: 'done' | 'hold' | 'wait' | 'reconcile' | 'check' | 'retry' | 'send' | '';
  /** check, retry: the lines concerned. */
  step_lines?: number[];
  /**
   * The engine's sentence for the step, safe to follow at once, worded for a console: "press
   * Resume", "press Check again after that time" (a local HH:MM:SS), "press Retry refused rows".
   * (The CLI words the same step "run it again".)
   */
  next: string;
}

export interface PayoutRun {
  /** What this step did (payoutStep only). */
  action?: 'scanned' | 'reconciled' | 'sent' | 'finished';
  lines?: number[];
  /** Call payoutStep again. */
  more: boolean;
  summary: PayoutSummary;
  rows: PayoutRowStatus[];
  sha256: string;
  /** The results file, every cell defused against spreadsheet formulas. */
  resultsCsv: string;
}

export interface PayoutOptions {
  name?: string;
  /** Coins the account accepts (rates accepted): others are problems. */
  currencies?: string[];
  /** Network fee per coin: a payout not above it is a warning. */
  fees?: Record<string, string>;
  /** Balances per coin: a payout over its coin's balance is a problem, a total over it a warning. */
  balances?: Record<string, string>;
}

/** One payment or payout of a statement (core/statement.Row). Amounts are exact decimal strings. */
export interface StatementRow {
  kind: 'payment' | 'payout';
  /** txn id (payment) or withdrawal id (payout). */
  id: string;
  /** RFC 3339, UTC. */
  time: string;
  timeMs: number;
  status: number;
  status_text: string;
  /** payments: paid | pending | failed; payouts: complete | pending | cancelled. */
  state: string;
  coin: string;
  amount: string;
  /** payments: received so far (absent when nothing). */
  received?: string;
  address: string;
  txid?: string;
  note?: string;
  invoice?: string;
  item_name?: string;
  item_number?: string;
  custom?: string;
  buyer_name?: string;
  buyer_email?: string;
  /** The price the payment was created with, in price_currency. */
  price?: string;
  price_currency?: string;
  /** The value in fiat at the time, where known (a price in a fiat currency). */
  fiat_value?: string;
  fiat_currency?: string;
}

export interface StatementTotal {
  coin: string;
  payments_paid: string;
  paid_count: number;
  payouts_sent: string;
  sent_count: number;
  payouts_pending: string;
  pending_count: number;
  /** payments_paid − payouts_sent. */
  net: string;
}

export interface Statement {
  fromMs: number;
  toMs: number;
  /** Newest first. */
  rows: StatementRow[];
  totals: StatementTotal[];
  /** Prices of paid payments summed per pricing currency. */
  prices: { currency: string; paid: string; count: number }[];
  /** The statement as CSV (CRLF lines, cells defused against spreadsheet formulas). */
  csv: string;
  /** Payment details by txn id: pass them back as options.details to skip fetching them again. */
  details: Record<string, object>;
}

/** withdrawalSplit's answer: decimal strings in the coin; a figure that needs an unknown fee is left out. */
export interface WithdrawalSplit {
  /** taken from the balance: the amount, plus the fee with addTxFee */
  debited?: string;
  /** the coin's network fee, when given */
  fee?: string;
  /** what the address receives: the amount, less the fee without addTxFee */
  received?: string;
}

export interface FiatValue {
  /** Exact decimal, rounded half up to cents. */
  value: string;
  fiat: string;
  /** Always true: a market estimate at the rates' time, never an amount to charge. */
  approximate: true;
}

export interface PaymentUri {
  uri: string;
  /** bip21: scheme:address?amount=…; eip681: ethereum:address?value=wei; address: the address alone. */
  kind: 'bip21' | 'eip681' | 'address';
  /** What the code carries, in a merchant's words. */
  note: string;
}

export interface WallexKit {
  /** Bridge version. */
  readonly version: string;

  /** (Re)creates the client. Sends nothing. Calls already running finish on the previous client. */
  configure(opts: ConfigureOptions): Promise<{ storeKey: string }>;
  /**
   * Logs in now (even with a valid stored token) and saves the token through the storage.
   * expiryUnknown instead of expiresAt: the token's expires_at had already passed by this
   * machine's clock when it arrived (the server's clock is behind, spec §2): the client uses it
   * until the API refuses it, then logs in again once (with the private key).
   */
  login(): Promise<{ expiresAt: string; expiryUnknown?: never } | { expiryUnknown: true; expiresAt?: never }>;
  /** Forgets the token in memory and in the storage (the API has no logout call). */
  logout(): Promise<void>;
  /**
   * Whether an unexpired token is held (in memory or in the storage). Sends nothing.
   * expiryUnknown: a token whose expiry is unknown (see login), used until the API refuses it.
   * Through a gateway neither is set.
   */
  session(): Promise<{ loggedIn: boolean; expiresAt?: string; expiryUnknown?: true }>;
  /**
   * Sends any command with string fields (wire names: `{all: "1"}`). The client adds version,
   * key, cmd, nonce and format itself; passing them is invalid_input. Logs in when needed.
   * `result` is the answer's result member as JSON (null when absent), `raw` the body as received.
   * A money command takes `opId` and `again` as the money methods do.
   */
  call(cmd: string, fields?: Record<string, string>, opts?: OpOption): Promise<{ result: any; raw: string }>;

  basicInfo(): Promise<BasicInfo>;
  balances(opts?: { all?: boolean }): Promise<Balances>;
  depositAddress(currency: string): Promise<Address>;
  rates(opts?: { accepted?: boolean; short?: boolean }): Promise<Rates>;

  /** Not resent once it may have reached the server (outcome_unknown instead). */
  createTransaction(opts: CreateTransactionOptions & OpOption): Promise<Transaction>;
  callbackAddress(currency: string, opts?: { ipnUrl?: string; label?: string }): Promise<Address>;
  txInfo(txid: string, full?: boolean): Promise<TxInfo>;
  /** Up to 25 ids; each succeeds or fails alone. */
  txInfoMulti(ids: string[]): Promise<Record<string, { info?: TxInfo; error?: ItemError }>>;
  /** Transaction ids, newest first, fetched page by page. */
  txIds(opts?: ListOptions & { all?: boolean }): Promise<string[]>;

  /** Moves money: never resent once it may have reached the server (outcome_unknown instead). */
  createTransfer(opts: TransferOptions & OpOption): Promise<Transfer>;
  /** Moves money: never resent once it may have reached the server (outcome_unknown instead). */
  createWithdrawal(opts: WithdrawalOptions & OpOption): Promise<Withdrawal>;
  /** Moves money: never resent. Resolves when the call succeeded; each item may still have failed alone. */
  createMassWithdrawal(items: MassWithdrawalItem[], opts?: OpOption): Promise<MassWithdrawalResult[]>;
  /** Moves money: never resent. */
  convert(opts: { amount: string; from: string; to: string } & OpOption): Promise<{ id: string }>;
  /** Withdrawals, newest first, fetched page by page. */
  withdrawalHistory(opts?: ListOptions): Promise<WithdrawalInfo[]>;
  withdrawalInfo(id: string): Promise<WithdrawalInfo>;
  /** Looks an operation of unknown outcome up in the history. Only reads; never resends it. With nonces it first completes a fence call. */
  reconcile(opts: ReconcileOptions): Promise<ReconcileResult>;
  /**
   * What became of a recorded operation (needs StorageAdapter ops): an opId this storage has no
   * record of was never sent with it (not_found, not proven, noRecord: memory storage forgets on
   * restart, so look such a one up by its fields with reconcile); a settled one answers from its
   * record; an open one is looked up (fenced) and its record updated. Safe to call at once and again.
   */
  reconcileOp(opId: string): Promise<ReconcileResult>;
  /** Operations whose outcome is still open (sending, unknown, in_flight, ambiguous), oldest first. */
  ops(): Promise<Op[]>;
  /** Drops a record without reconciling it (a person checked the account). Sends nothing. */
  forgetOp(opId: string): Promise<void>;

  /**
   * Whether address has coin's format and checksum (Base58Check, Bech32/Bech32m, CashAddr,
   * EIP-55): a mistyped character is caught before money goes to an address nobody owns. Coins
   * whose format the core does not know pass. Needs no configure().
   */
  checkAddress(coin: string, address: string): Promise<{ ok: boolean; problem?: string }>;
  /**
   * What a withdrawal of amount takes from the balance (debited) and what its address receives,
   * the coin's network fee (rates' tx_fee) taken out of the amount, or added on top with addTxFee:
   * core's one rule. A fee left out (or "") is not known: the figure that needs it is left out.
   * An amount the fee taken out of it would eat rejects (invalid_input). Needs no configure().
   */
  withdrawalSplit(opts: { amount: string; fee?: string; addTxFee?: boolean }): Promise<WithdrawalSplit>;
  /** A note for a withdrawal given none ("wk:" and 10 random hex digits): reconcile tells it apart by it. Needs no configure(). */
  newReference(): Promise<string>;
  /**
   * Payments and payouts created in [fromMs, toMs), with totals and a CSV (core/statement: the
   * same statement as 'wallexkit statement'). Reads only. Payments need one get_tx_info each
   * unless their details are passed back from an earlier statement.
   */
  statement(opts: { fromMs: number; toMs: number; payments?: boolean; payouts?: boolean; details?: Record<string, object> }): Promise<Statement>;
  /** amount of coin in fiat at these rates (exact; no network). rates: what rates() resolved with. */
  fiatValue(opts: { coin: string; amount: string; fiat: string; rates: Rates }): Promise<FiatValue>;
  /** fiatValue for many amounts in one call; an item that cannot be converted gets {error}. */
  fiatValues(opts: { items: { coin: string; amount: string }[]; fiat: string; rates: Rates }): Promise<(FiatValue | { error: string })[]>;
  /**
   * The sum of the values fiatValues gives for these items (each rounded to cents: what that
   * column adds up to). An item fiatValues gives {error} (a coin not in the rates) is left out:
   * say so where the total is shown.
   */
  fiatTotal(opts: { items: { coin: string; amount: string }[]; fiat: string; rates: Rates }): Promise<FiatValue>;
  /** What a payment QR code carries for this coin, address and amount (the address is checked first). */
  paymentUri(opts: { coin: string; address: string; amount: string }): Promise<PaymentUri>;
  /** Reads and checks a payout file (addresses always; coins, fees and balances when given); needs no configure(). */
  payoutParse(text: string, opts?: PayoutOptions): Promise<PayoutFile>;
  /** Where a payout file stands, from its journal. Sends nothing. */
  payoutStatus(text: string, opts?: PayoutOptions): Promise<PayoutRun>;
  /**
   * Does the next thing the file needs: look it up in the history (first step in this journal),
   * reconcile rows of unknown outcome, or send one batch (journaled with its nonce before it
   * leaves). Call while `more`. Pass retryFailed only on the first step of a run a person asked
   * for. A stopped runtime loses nothing: the next step settles what was in flight.
   *
   * session names the run a person started (a press of Confirm, Resume or Retry, and the steps
   * that follow it, a hold's end included): its first step that would send looks the file up and
   * holds the rows first, because another run of the file may have a batch on its way; the steps
   * of one session go on without looking again. Without it every step is a session of its own.
   */
  payoutStep(text: string, opts?: PayoutOptions & { batch?: number; retryFailed?: boolean; session?: string }): Promise<PayoutRun>;
}

/** Names the operation so it can be asked about with reconcileOp after a lost answer. */
export interface OpOption {
  opId?: string;
  /**
   * Send it even if the same payment was carried out a moment ago (duplicateCheck): a second
   * payment, meant. A number: the `settledAtMs` of the possible_duplicate answer the person was
   * shown; a payment like it carried out after that (another window paid it again meanwhile) is
   * refused as possible_duplicate again, naming it. `true`: whatever was carried out.
   */
  again?: boolean | number;
}
