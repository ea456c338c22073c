// Where a store's state lives in the host's key-value stores (see account.js for the map), and the
// bridge's StorageAdapter over them: tokens in the session store; nonce marks, operation records
// and payout journals in the durable local store.

import { lockManager } from './locks.js';

/** @typedef {import('./kv.js').KV} KV */

// The one-store console of earlier versions kept these; they become a store on first use.
export const K_CONFIG = 'wk.config';
export const K_REMEMBERED = 'wk.remembered';
export const K_VAULT = 'wk.vault';
export const K_GATEWAY_TOKEN = 'wk.gatewayToken';
export const K_CLOCK_OLD = 'wk.clockSkew';
// Stores.
export const K_SESSION_STORES = 'wk.stores.session';
export const K_STORES = 'wk.stores';
export const K_LAST_STORE = 'wk.stores.last';
export const VAULT_PREFIX = 'wk.vault.';
export const GW_TOKEN_PREFIX = 'wk.gatewayToken.';
export const CLOCK_PREFIX = 'wk.clockSkew.';
/** Test hook in the local store: {timeoutMs?, inFlightWindowMs?, fencePauseMs?} (see tuningOf). */
export const K_TUNING = 'wk.tuning';
export const TOKEN_PREFIX = 'wk.token.';
export const NONCE_PREFIX = 'wk.nonce.';
export const OPS_PREFIX = 'wk.ops.';
export const JOURNAL_PREFIX = 'wk.journal.';
/** The gateway route a Wallex client uses as its API URL (wasm/edge: POST /v1/call/{cmd}). */

/**
 * The bridge's StorageAdapter over two KVs: tokens in the session store; nonce high-water
 * marks, operation records and payout journals in the durable local store. Tokens, nonces and
 * operation records are keyed by the bridge's storeKey (API URL + public key); payout journals,
 * which the bridge names by the file's SHA-256 only, are kept under the store's own name as well
 * (opts.store, or setStore once the client's storeKey is known): the same file paid from two
 * stores is two runs, each in its own account. A journal written before stores existed
 * (wk.journal.<sha256>) belongs to the first store that opens it.
 *
 * opts.marks: the nonce marks of a host that is the only one writing them (the extension's
 * service worker: its pages run no core). The mark read once is then kept here, and each new
 * mark is written straight through, in order, without the lock and the read that guard a mark
 * shared by several hosts (the dev page's tabs each run a core over one localStorage). A mark
 * kept here is never below the stored one, and setNonce still resolves only once the mark is
 * stored: nothing leaves before its nonce is persisted (spec §4).
 * @param {KV} sessionKV @param {KV} localKV
 * @param {{locks?: ReturnType<typeof lockManager>, store?: string, marks?: Map<string, NonceMark>}} [opts]
 */
export function bridgeStorage(sessionKV, localKV, opts = {}) {
  const locks = opts.locks ?? lockManager();
  const marks = opts.marks;
  let store = opts.store ?? '';
  /** The journal's key: wk.journal.<store>.<sha256>. @param {string} sha */
  const jkey = (sha) => {
    if (!store) throw new Error('payout journals need the store they belong to (setStore)');
    return `${JOURNAL_PREFIX}${store}.${sha}`;
  };
  /** Claims a journal of the one-store console for this store. @param {string} sha */
  const claimLegacy = async (sha) => {
    const old = await localKV.get(JOURNAL_PREFIX + sha);
    if (!Array.isArray(old) || (await localKV.get(jkey(sha))) !== undefined) return;
    await localKV.set(jkey(sha), old);
    await localKV.remove(JOURNAL_PREFIX + sha);
  };
  /** @template T @param {string} name @param {() => Promise<T>} fn @returns {Promise<T>} */
  const locked = async (name, fn) => {
    const release = await locks.acquire(name);
    try {
      return await fn();
    } finally {
      release();
    }
  };
  /** @param {string} key @returns {Promise<Record<string, string>>} */
  const opsOf = async (key) => {
    const m = await localKV.get(OPS_PREFIX + key);
    return m && typeof m === 'object' && !Array.isArray(m) ? m : {};
  };
  /** @type {Record<string, unknown>} */
  const shared = marks ? {} : {
    // Several hosts over one storage (the dev page's tabs, each with its own core): one
    // nonce-bearing call per key at a time across all of them, held for the whole request (spec
    // §4; the core takes it after its own turn). A sole host's core takes turns by itself.
    /** @param {string} key */
    lockNonce(key) { return locks.acquire(`${NONCE_PREFIX}${key}.call`); },
    // The claim of a new money request's record (checked against every key's records, opKeys),
    // one at a time across the hosts: one lock for every key, since the check reads them all.
    // Tabs on two keys, or on a gateway store (no nonce lock), claimed at once otherwise.
    /** @param {string} _key */
    lockOps(_key) { return locks.acquire(`${OPS_PREFIX}claim`); },
  };
  return {
    ...shared,
    /** @param {string} key */
    async getToken(key) { return (await sessionKV.get(TOKEN_PREFIX + key)) ?? null; },
    /** @param {string} key @param {unknown} token */
    async setToken(key, token) { await sessionKV.set(TOKEN_PREFIX + key, token); },
    /** @param {string} key */
    async deleteToken(key) { await sessionKV.remove(TOKEN_PREFIX + key); },
    /** A number, or a Promise of one the first time (the bridge takes either). @param {string} key */
    getNonce(key) {
      const m = marks?.get(key);
      if (m) return m.n;
      return localKV.get(NONCE_PREFIX + key).then((v) => {
        const n = Number(v ?? 0);
        if (marks && !marks.has(key)) marks.set(key, { n, stored: Promise.resolve() });
        return marks?.get(key)?.n ?? n;
      });
    },
    /** @param {string} key @param {number} n */
    async setNonce(key, n) {
      const m = marks?.get(key);
      if (m) {
        if (n <= m.n) return m.stored; // not above the mark: nothing to write (but wait for its write)
        m.n = n;
        m.stored = m.stored.catch(() => {}).then(() => localKV.set(NONCE_PREFIX + key, n));
        return m.stored;
      }
      // a high-water mark only moves up, even if two hosts race
      await locked(NONCE_PREFIX + key, async () => {
        const cur = Number((await localKV.get(NONCE_PREFIX + key)) ?? 0);
        if (n > cur) await localKV.set(NONCE_PREFIX + key, n);
        if (marks && !marks.has(key)) marks.set(key, { n: Math.max(n, cur), stored: Promise.resolve() });
      });
    },
    // Operation records: one object per store key, id -> the record's JSON text. Written by the
    // bridge before a money request leaves (so a record that is missing was never sent).
    /** @param {string} key */
    async getOps(key) { return Object.values(await opsOf(key)); },
    /** Every store key with records: a new request is checked against all of them. */
    async opKeys() { return (await localKV.keys(OPS_PREFIX)).map((k) => k.slice(OPS_PREFIX.length)); },
    /** @param {string} key @param {string} id @param {string} text */
    async setOp(key, id, text) {
      await locked(OPS_PREFIX + key, async () => {
        const m = await opsOf(key);
        m[id] = String(text);
        await localKV.set(OPS_PREFIX + key, m);
      });
    },
    /** @param {string} key @param {string} id */
    async deleteOp(key, id) {
      await locked(OPS_PREFIX + key, async () => {
        const m = await opsOf(key);
        if (!(id in m)) return;
        delete m[id];
        await localKV.set(OPS_PREFIX + key, m);
      });
    },
    // Payout journals, by the store and the file's SHA-256: an array of JSON texts, only ever
    // appended to.
    /** @param {string} sha */
    async loadJournal(sha) {
      await locked(`${jkey(sha)}.write`, () => claimLegacy(sha));
      const j = await localKV.get(jkey(sha));
      return Array.isArray(j) ? j : [];
    },
    /** Resolves only once the entries are stored: the engine sends a batch only after that. @param {string} sha @param {string[]} entries */
    async appendJournal(sha, entries) {
      await locked(`${jkey(sha)}.write`, async () => {
        await claimLegacy(sha);
        const j = await localKV.get(jkey(sha));
        await localKV.set(jkey(sha), [...(Array.isArray(j) ? j : []), ...[...entries].map(String)]);
      });
    },
    /** One run of a file at a time (per store), across tabs and the extension's worker. @param {string} sha */
    lockJournal(sha) { return locks.acquire(`${jkey(sha)}.run`); },
    /** Names the store the journals belong to; once, before the adapter is used. @param {string} key */
    setStore(key) {
      if (store && store !== key) throw new Error('this storage adapter belongs to another store');
      store = key;
    },
  };
}

/** A sole host's nonce mark: the highest mark, and the write of it. @typedef {{n: number, stored: Promise<void>}} NonceMark */

/**
 * The timing a test may set in the local store under wk.tuning (never shown in the console):
 * {timeoutMs, inFlightWindowMs, fencePauseMs}, each a whole number of milliseconds. Anything
 * else is ignored, so a merchant's console always runs with the bridge's defaults (30 s, 2 min,
 * 1 s).
 * @param {unknown} t
 * @returns {{timeoutMs?: number, inFlightWindowMs?: number, fencePauseMs?: number}}
 */
export function tuningOf(t) {
  /** @type {Record<string, number>} */
  const out = {};
  if (!t || typeof t !== 'object') return out;
  const limits = { timeoutMs: [100, 600_000], inFlightWindowMs: [0, 3_600_000], fencePauseMs: [0, 60_000] };
  for (const [k, [lo, hi]] of Object.entries(limits)) {
    const v = /** @type {any} */ (t)[k];
    if (Number.isInteger(v) && v >= lo && v <= hi) out[k] = v;
  }
  return out;
}
