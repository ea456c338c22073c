// The one seam the console talks to. Two implementations: extension/backend-sw.js (messages
// to the extension's service worker, which hosts the wasm core) and web/backend-local.js (the
// wasm core in the page, for the local dev page). Method names follow the wasm bridge
// (wasm/bridge/wallexkit.d.ts); the few extras manage the key vault and site access.
//
// Every method returns a Promise. Failures reject with a BridgeError {code, message,
// retryable, ref?, field?} (see lib/errors.js): never a bare string.
//
// Stores: the console holds several connections (stores). A Backend has the store this page
// shows (useStore); every call it makes names that store, so a call never runs in another
// store, even when another window switched the active one meanwhile.

/** @typedef {import('./lib/errors.js').BridgeError} BridgeError */

/**
 * @typedef {object} ConnectParams
 * @property {'keys'|'gateway'} [mode]  'gateway': through a wallexkit edge gateway that holds the API keys (default 'keys')
 * @property {string} [apiUrl]        keys
 * @property {string} [publicKey]     keys
 * @property {string} [privateKey]    keys
 * @property {string} [gatewayUrl]    gateway: its address, e.g. https://pay-gateway.example.workers.dev (the bridge calls <gatewayUrl>/v1/call)
 * @property {string} [gatewayToken]  gateway: one of its GATEWAY_TOKENS; kept in the session store only
 * @property {boolean} [remember]     keep the private key (or the gateway token) in an encrypted vault on this device
 * @property {string} [passphrase]    required with remember
 * @property {boolean} [nonce]        keys: send a nonce with every call (default true); a gateway orders nonces itself
 * @property {string} [name]          the store's name (default: the account's public name or username)
 */

/**
 * @typedef {object} AlertState
 * @property {boolean} muted          no "Paid" notifications for this store
 * @property {{store: string, storeName: string, txn: string, text: string, at: number}[]} unseen  paid payments not opened yet
 */

/**
 * @typedef {object} StoreInfo
 * @property {string} id              the bridge's storeKey: API URL + "|" + public key
 * @property {string} name
 * @property {'keys'|'gateway'} mode
 * @property {string} apiUrl
 * @property {string} [publicKey]
 * @property {string} [gatewayUrl]
 * @property {'connected'|'locked'} state   connected in this browser session, or only remembered (unlock with the passphrase)
 */

/**
 * @typedef {object} SessionState
 * @property {boolean} configured     an API URL and public key (or a gateway and its token) are set
 * @property {boolean} loggedIn       a token is held (it may be near expiry); through a gateway, its token
 * @property {string} [expiresAt]     ISO time the token expires (none through a gateway)
 * @property {'keys'|'gateway'} [mode]
 * @property {string} [apiUrl]        through a gateway: <gatewayUrl>/v1/call
 * @property {string} [publicKey]     keys only
 * @property {boolean} [nonces]       keys only: a nonce goes with every call (the default; off only by the opt-out in Connect → Advanced)
 * @property {string} [gatewayUrl]    gateway only
 * @property {boolean} hasVault       an encrypted private key is saved on this device
 * @property {boolean} keyInMemory    the private key is held in memory (can log in again)
 * @property {boolean} [renewsOnUse]  loggedIn although the token ran out: the key is in memory and the next call logs in
 * @property {boolean} [expiryUnknown]  the token looked expired on arrival (the server's clock is behind): used until the API refuses it
 * @property {{seenAt: string}} [clockSkew]  the last login's token had already expired by this machine's clock
 * @property {{timeoutMs?: number, inFlightWindowMs?: number, fencePauseMs?: number}} [tuning]  test timing in effect (wk.tuning)
 * @property {string} storeId         the store this state is about ('' when there is none)
 * @property {string} [storeName]
 * @property {StoreInfo[]} stores     every store on this device
 */

// Result and option types are the bridge's own (wasm/bridge/wallexkit.d.ts); the Backend
// passes them through unchanged.
/**
 * @typedef {import('../wasm/bridge/wallexkit').CoinAmount} CoinAmount
 * @typedef {import('../wasm/bridge/wallexkit').Rate} Rate
 * @typedef {import('../wasm/bridge/wallexkit').BasicInfo} BasicInfo
 * @typedef {import('../wasm/bridge/wallexkit').CreateTransactionOptions} CreateTransactionParams
 * @typedef {import('../wasm/bridge/wallexkit').Transaction} Transaction
 * @typedef {import('../wasm/bridge/wallexkit').TxInfo} TxInfo
 * @typedef {{id: string, status: number, amount?: string}} MoneyResult
 * @typedef {import('../wasm/bridge/wallexkit').MassWithdrawalItem} MassItem
 * @typedef {import('../wasm/bridge/wallexkit').MassWithdrawalResult} MassResult
 * @typedef {import('../wasm/bridge/wallexkit').WithdrawalInfo} WithdrawalInfo
 * @typedef {import('../wasm/bridge/wallexkit').ReconcileOptions} ReconcileQuery
 * @typedef {import('../wasm/bridge/wallexkit').ReconcileResult} ReconcileResult
 * @typedef {import('../wasm/bridge/wallexkit').Op} Op
 * @typedef {import('../wasm/bridge/wallexkit').PayoutFile} PayoutFile
 * @typedef {import('../wasm/bridge/wallexkit').PayoutRun} PayoutRun
 * @typedef {import('../wasm/bridge/wallexkit').PayoutOptions} PayoutOptions
 * @typedef {{opId?: string, again?: boolean|number}} OpOption  names a money request so reconcileOp can find it after a lost answer; again: a second payment, meant (after possible_duplicate: its settledAtMs, so that one carried out since is asked about)
 */

/**
 * @typedef {object} Backend
 * @property {string} kind                                   'extension' | 'local'
 * @property {(id: string) => void} useStore                 the store this page shows: every later call names it
 * @property {() => string} storeId
 * @property {(id: string) => Backend} inStore                a view whose bridge calls all name store id, whatever this page shows later (a review sends from, and reconciles in, the store it showed)
 * @property {() => Promise<StoreInfo[]>} stores
 * @property {(id: string) => Promise<SessionState>} switchStore   make id the active store (and this page's)
 * @property {(id: string, name: string) => Promise<SessionState>} renameStore
 * @property {() => Promise<AlertState>} [alerts]             extension only: paid alerts of this page's store
 * @property {(v: {muted?: boolean, seen?: string|true}) => Promise<AlertState>} [setAlerts]  extension only: mute, or mark paid payments seen
 * @property {(apiUrl: string) => Promise<boolean>} requestAccess   ask for host access to apiUrl, or a gateway URL (extension); must run inside the click handler
 * @property {(p: ConnectParams) => Promise<SessionState>} connect configure + login (+ seal the vault when remember)
 * @property {(passphrase: string) => Promise<SessionState>} unlock open the vault, configure, login
 * @property {() => Promise<SessionState>} lock              forget the token and the in-memory key; keep the vault
 * @property {() => Promise<SessionState>} signOut           log out, forget the configuration and the vault
 * @property {() => Promise<SessionState>} session
 * @property {() => Promise<{expiresAt: string}>} login       log in again with the key in memory
 * @property {(cmd: string, fields: Record<string, string>) => Promise<{result: unknown, raw?: string}>} call
 * @property {() => Promise<BasicInfo>} basicInfo
 * @property {(p?: {all?: boolean}) => Promise<{coins: CoinAmount[]}>} balances
 * @property {(currency: string) => Promise<{currency: string, address: string}>} depositAddress
 * @property {(p?: {accepted?: boolean, short?: boolean}) => Promise<{coins: Rate[]}>} rates
 * @property {(p: CreateTransactionParams & OpOption) => Promise<Transaction>} createTransaction
 * @property {(txid: string, full?: boolean) => Promise<TxInfo>} txInfo
 * @property {(ids: string[]) => Promise<Record<string, {info?: TxInfo, error?: {code: string, message: string}}>>} txInfoMulti  up to 25 ids
 * @property {(p?: {limit?: number}) => Promise<string[]>} txIds
 * @property {(p: {amount: string, currency: string, merchant?: string, toAddress?: string, autoConfirm?: boolean} & OpOption) => Promise<MoneyResult>} createTransfer
 * @property {(p: {amount: string, currency: string, address: string, note?: string, autoConfirm?: boolean} & OpOption) => Promise<MoneyResult>} createWithdrawal
 * @property {(items: MassItem[], opts?: OpOption) => Promise<MassResult[]>} createMassWithdrawal
 * @property {(p: {amount: string, from: string, to: string} & OpOption) => Promise<{id: string}>} convert
 * @property {(p?: {limit?: number}) => Promise<WithdrawalInfo[]>} withdrawalHistory
 * @property {(id: string) => Promise<WithdrawalInfo>} withdrawalInfo
 * @property {(q: ReconcileQuery) => Promise<ReconcileResult>} reconcile
 * @property {(opId: string) => Promise<ReconcileResult>} reconcileOp   what became of a recorded money request (safe at once and again)
 * @property {() => Promise<Op[]>} ops                       money requests whose outcome is still open, oldest first
 * @property {(opId: string) => Promise<void>} forgetOp      drop a record a person has checked by other means
 * @property {(coin: string, address: string) => Promise<{ok: boolean, problem?: string}>} checkAddress  core's address check (format and checksum)
 * @property {() => Promise<string>} newReference  core's note for a withdrawal given none (wk: and 10 hex digits)
 * @property {(o: {amount: string, fee?: string, addTxFee?: boolean}) => Promise<import('../wasm/bridge/wallexkit').WithdrawalSplit>} withdrawalSplit  core's rule: what leaves the balance, what the address receives
 * @property {(o: {fromMs: number, toMs: number, payments?: boolean, payouts?: boolean, details?: Record<string, object>}) => Promise<import('../wasm/bridge/wallexkit').Statement>} statement
 * @property {(o: {coin: string, amount: string, fiat: string, rates: {coins: Rate[]}}) => Promise<import('../wasm/bridge/wallexkit').FiatValue>} fiatValue
 * @property {(o: {items: {coin: string, amount: string}[], fiat: string, rates: {coins: Rate[]}}) => Promise<(import('../wasm/bridge/wallexkit').FiatValue | {error: string})[]>} fiatValues
 * @property {(o: {items: {coin: string, amount: string}[], fiat: string, rates: {coins: Rate[]}}) => Promise<import('../wasm/bridge/wallexkit').FiatValue>} fiatTotal  the sum of fiatValues' values (an item with none is left out)
 * @property {(o: {coin: string, address: string, amount: string}) => Promise<import('../wasm/bridge/wallexkit').PaymentUri>} paymentUri
 * @property {(text: string, opts?: PayoutOptions) => Promise<PayoutFile>} payoutParse
 * @property {(text: string, opts?: PayoutOptions) => Promise<PayoutRun>} payoutStatus
 * @property {(text: string, opts?: PayoutOptions & {batch?: number, retryFailed?: boolean, session?: string}) => Promise<PayoutRun>} payoutStep
 */

/** The methods a Backend forwards to the bridge unchanged. */
export const BRIDGE_METHODS = /** @type {const} */ ([
  'call', 'basicInfo', 'balances', 'depositAddress', 'rates', 'createTransaction', 'txInfo', 'txInfoMulti', 'txIds',
  'createTransfer', 'createWithdrawal', 'createMassWithdrawal', 'convert', 'withdrawalHistory', 'withdrawalInfo', 'reconcile',
  'reconcileOp', 'ops', 'forgetOp', 'payoutStatus', 'payoutStep', 'statement',
]);

/** Bridge functions that need no store (no client, no network). */
export const FREE_METHODS = /** @type {const} */ (['checkAddress', 'withdrawalSplit', 'newReference', 'payoutParse', 'fiatValue', 'fiatValues', 'fiatTotal', 'paymentUri']);

/** Methods that act on one store (the page's): it goes last in their arguments. */
export const STORE_METHODS = /** @type {const} */ (['unlock', 'lock', 'signOut', 'session', 'login']);

/** Commands that move money (and createTransaction): never resent automatically; each carries an opId. */
export const MONEY_METHODS = new Set(['createTransfer', 'createWithdrawal', 'createMassWithdrawal', 'convert', 'createTransaction']);

/**
 * Methods that may send money as part of their work: the money methods, a payout step (it sends
 * a batch) and the generic call(cmd, fields), whose command may be one that moves money. Never
 * asked twice; a lost answer is an unknown outcome.
 */
export const SENDING_METHODS = new Set([...MONEY_METHODS, 'payoutStep', 'call']);

/** Index of the options argument that carries opId, per money method. */
const OP_ARG = /** @type {Record<string, number>} */ ({ createTransfer: 0, createWithdrawal: 0, convert: 0, createTransaction: 0, createMassWithdrawal: 1 });

/**
 * A view of backend b whose bridge calls all name store id, whatever the page shows by then
 * (Backend.inStore: a review sends from, and reconciles in, the store it showed). call is how b
 * makes a bridge call for a given store. An empty id is refused, never the active store: a call
 * naming no store runs in the active one, which may be another by then.
 * @param {any} b @param {string} id @param {(m: string, args: unknown[], store: string) => Promise<unknown>} call
 * @returns {any}
 */
export function storeView(b, id, call) {
  const v = Object.create(b);
  v.storeId = () => id;
  for (const m of BRIDGE_METHODS) {
    v[m] = async (/** @type {unknown[]} */ ...args) => {
      if (!id) throw { code: 'not_connected', message: 'No store is shown on this page: nothing was sent. Open Connect.', retryable: false };
      return call(m, args, id);
    };
  }
  return v;
}

/**
 * The store a screen shows now, and the backend pinned to it (Backend.inStore): what a review,
 * a charge or a payout run sends, and reconciles, goes to that store whatever the page shows by
 * then. (A backend without stores is used as it is.)
 * @param {{backend: Backend, session?: {storeId?: string}|null}} ctx
 * @returns {{id: string, backend: Backend}}
 */
export function shownStore(ctx) {
  const id = ctx.session?.storeId ?? '';
  return { id, backend: ctx.backend.inStore ? ctx.backend.inStore(id) : ctx.backend };
}

/** A new operation id (the page names each money request before it leaves). */
export function newOpId() {
  return crypto.randomUUID();
}

/**
 * The arguments of a money method with an opId: the caller's own, or a new one. Returns the
 * arguments (a copy when one was added) and the id. Other methods pass through with no id.
 * @param {string} method @param {unknown[]} args
 * @returns {{args: unknown[], opId?: string}}
 */
export function withOpId(method, args) {
  const i = OP_ARG[method];
  if (i === undefined) return { args };
  const out = [...args];
  while (out.length <= i) out.push(undefined);
  const o = out[i] && typeof out[i] === 'object' ? /** @type {Record<string, unknown>} */ (out[i]) : {};
  if (typeof o.opId === 'string' && o.opId) return { args: out, opId: o.opId };
  const opId = newOpId();
  out[i] = { ...o, opId };
  return { args: out, opId };
}

export {};
