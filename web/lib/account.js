// The session around one wasm bridge: configuration that survives a restart of its host (the
// extension's service worker or the page), the token and nonce storage the bridge reads, and
// the optional passphrase vault. Used by the service worker and by the local dev backend.
//
// Where things live:
//   sessionKV (chrome.storage.session / sessionStorage): the token, the active configuration
//     (API URL, public key, nonce mode) — never the private key; through a gateway, the gateway
//     token (wk.gatewayToken) and the gateway's URL.
//   localKV (chrome.storage.local / localStorage): the nonce high-water mark; the operation
//     records of money requests (wk.ops.<storeKey>) and the payout journals
//     (wk.journal.<sha256 of the file>), both written before a request leaves; with "Remember
//     on this device", the encrypted vault (the private key, or the gateway token) and the
//     remembered API URL + public key (or gateway URL); wk.tuning, a test hook (see tuningOf).
//   memory (the Go instance): the private key, only while this host lives.
//
// Through a gateway (wasm/edge) the gateway holds the API keys: the bridge is configured with
// {apiUrl: <gateway>/v1/call, gatewayToken}, never logs in and holds no key.

import { sealVault, openVault, isVaultRecord, needsUpgrade, VaultError } from './vault.js';

/** @typedef {import('./kv.js').KV} KV */
/** @typedef {import('../backend.js').SessionState} SessionState */
/** @typedef {import('../backend.js').ConnectParams} ConnectParams */

const K_CONFIG = 'wk.config';
const K_REMEMBERED = 'wk.remembered';
const K_VAULT = 'wk.vault';
const K_CLOCK = 'wk.clockSkew';
/** Test hook in the local store: {timeoutMs?, inFlightWindowMs?, fencePauseMs?} (see tuningOf). */
export const K_TUNING = 'wk.tuning';
const TOKEN_PREFIX = 'wk.token.';
const NONCE_PREFIX = 'wk.nonce.';
export const OPS_PREFIX = 'wk.ops.';
export const JOURNAL_PREFIX = 'wk.journal.';
const K_GATEWAY_TOKEN = 'wk.gatewayToken';
/** The gateway route a Wallex client uses as its API URL (wasm/edge: POST /v1/call/{cmd}). */
export const GATEWAY_CALL_PATH = '/v1/call';
// Replaces a client that held a secret: a client with no key and no token (configure sends nothing).
const NO_CLIENT = { apiUrl: 'https://wallexpay.io/api', publicKey: 'signed-out' };

/**
 * Named locks: the Web Locks API where the host has one (pages and service workers share it per
 * origin, so it holds across tabs and the extension's worker), else an in-memory queue (node).
 * A lock held by a page or worker that goes away is released with it.
 * @param {any} [locks]  a LockManager (navigator.locks)
 * @returns {{acquire: (name: string) => Promise<() => void>}}
 */
export function lockManager(locks = /** @type {any} */ (globalThis).navigator?.locks) {
  if (locks && typeof locks.request === 'function') {
    return {
      acquire(name) {
        return new Promise((resolve, reject) => {
          /** @type {() => void} */
          let release = () => {};
          const held = new Promise((r) => { release = () => r(undefined); });
          locks.request(name, () => { resolve(release); return held; }).catch(reject);
        });
      },
    };
  }
  /** @type {Map<string, Promise<unknown>>} */
  const tails = new Map();
  return {
    async acquire(name) {
      /** @type {() => void} */
      let release = () => {};
      const held = new Promise((r) => { release = () => r(undefined); });
      const prev = tails.get(name) ?? Promise.resolve();
      const mine = prev.then(() => held);
      tails.set(name, mine);
      await prev;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        release();
        if (tails.get(name) === mine) tails.delete(name);
      };
    },
  };
}

/**
 * The bridge's StorageAdapter over two KVs: tokens in the session store; nonce high-water
 * marks, operation records and payout journals in the durable local store.
 * @param {KV} sessionKV @param {KV} localKV
 * @param {{locks?: ReturnType<typeof lockManager>}} [opts]
 */
export function bridgeStorage(sessionKV, localKV, opts = {}) {
  const locks = opts.locks ?? lockManager();
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
  return {
    /** @param {string} key */
    async getToken(key) { return (await sessionKV.get(TOKEN_PREFIX + key)) ?? null; },
    /** @param {string} key @param {unknown} token */
    async setToken(key, token) { await sessionKV.set(TOKEN_PREFIX + key, token); },
    /** @param {string} key */
    async deleteToken(key) { await sessionKV.remove(TOKEN_PREFIX + key); },
    /** @param {string} key */
    async getNonce(key) { return Number((await localKV.get(NONCE_PREFIX + key)) ?? 0); },
    /** @param {string} key @param {number} n */
    async setNonce(key, n) {
      // a high-water mark only moves up, even if two hosts race
      await locked(NONCE_PREFIX + key, async () => {
        const cur = Number((await localKV.get(NONCE_PREFIX + key)) ?? 0);
        if (n > cur) await localKV.set(NONCE_PREFIX + key, n);
      });
    },
    // Operation records: one object per store key, id -> the record's JSON text. Written by the
    // bridge before a money request leaves (so a record that is missing was never sent).
    /** @param {string} key */
    async getOps(key) { return Object.values(await opsOf(key)); },
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
    // Payout journals, by the file's SHA-256: an array of JSON texts, only ever appended to.
    /** @param {string} sha */
    async loadJournal(sha) {
      const j = await localKV.get(JOURNAL_PREFIX + sha);
      return Array.isArray(j) ? j : [];
    },
    /** Resolves only once the entries are stored: the engine sends a batch only after that. @param {string} sha @param {string[]} entries */
    async appendJournal(sha, entries) {
      await locked(`${JOURNAL_PREFIX}${sha}.write`, async () => {
        const j = await localKV.get(JOURNAL_PREFIX + sha);
        await localKV.set(JOURNAL_PREFIX + sha, [...(Array.isArray(j) ? j : []), ...[...entries].map(String)]);
      });
    },
    /** One run of a file at a time, across tabs and the extension's worker. @param {string} sha */
    lockJournal(sha) { return locks.acquire(`${JOURNAL_PREFIX}${sha}.run`); },
  };
}

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

/** @param {string} code @param {string} message @param {string} [field] */
function fail(code, message, field) {
  /** @type {{code: string, message: string, retryable: boolean, field?: string}} */
  const e = { code, message, retryable: false };
  if (field) e.field = field;
  return e;
}

/**
 * Checks the Connect form locally (nothing is sent while it fails).
 * @param {{apiUrl?: string, publicKey?: string, privateKey?: string, remember?: boolean, passphrase?: string}} p
 */
export function checkConnectParams(p) {
  const apiUrl = String(p.apiUrl ?? '').trim();
  let u;
  try {
    u = new URL(apiUrl);
  } catch {
    throw fail('invalid_input', 'API URL is not a valid address, e.g. https://wallexpay.io/api', 'apiUrl');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw fail('invalid_input', 'API URL must start with https://', 'apiUrl');
  if (u.username || u.password) throw fail('invalid_input', 'API URL must not contain a user name or password', 'apiUrl');
  const loopback = isLoopback(u.hostname);
  if (u.protocol === 'http:' && !loopback) {
    throw fail('invalid_input', 'API URL must use https:// (plain http is only allowed for 127.0.0.1 and localhost)', 'apiUrl');
  }
  if (!String(p.publicKey ?? '').trim()) throw fail('invalid_input', 'Public key is required', 'publicKey');
  if (/\s/.test(String(p.publicKey).trim())) throw fail('invalid_input', 'Public key must not contain spaces', 'publicKey');
  if (p.privateKey !== undefined && !String(p.privateKey).trim()) throw fail('invalid_input', 'Private key is required', 'privateKey');
  if (p.remember && String(p.passphrase ?? '').length < 8) {
    throw fail('invalid_input', 'Passphrase must be at least 8 characters to remember the key on this device', 'passphrase');
  }
  return { apiUrl: apiUrl.replace(/\/+$/, ''), publicKey: String(p.publicKey).trim(), loopback };
}

/**
 * Checks the "Through my gateway" form locally (nothing is sent while it fails).
 * @param {{gatewayUrl?: string, gatewayToken?: string, remember?: boolean, passphrase?: string}} p
 * @returns {{gatewayUrl: string, apiUrl: string, gatewayToken: string}}
 */
export function checkGatewayParams(p) {
  const raw = String(p.gatewayUrl ?? '').trim();
  let u;
  try {
    u = new URL(raw);
  } catch {
    throw fail('invalid_input', 'Gateway URL is not a valid address, e.g. https://pay-gateway.example.workers.dev', 'gatewayUrl');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw fail('invalid_input', 'Gateway URL must start with https://', 'gatewayUrl');
  if (u.username || u.password) throw fail('invalid_input', 'Gateway URL must not contain a user name or password', 'gatewayUrl');
  if (u.search || u.hash) throw fail('invalid_input', 'Gateway URL must not contain ? or #: give the gateway\'s address only', 'gatewayUrl');
  if (u.protocol === 'http:' && !isLoopback(u.hostname)) {
    throw fail('invalid_input', 'Gateway URL must use https:// (plain http is only allowed for 127.0.0.1 and localhost)', 'gatewayUrl');
  }
  // the gateway's address; its call route may have been pasted too
  let path = u.pathname.replace(/\/+$/, '');
  if (path.endsWith(GATEWAY_CALL_PATH)) path = path.slice(0, -GATEWAY_CALL_PATH.length);
  const gatewayUrl = u.origin + path;
  const gatewayToken = String(p.gatewayToken ?? '').trim().replace(/^Bearer\s+/i, '');
  if (!gatewayToken) throw fail('invalid_input', 'Gateway token is required', 'gatewayToken');
  if (/\s/.test(gatewayToken)) throw fail('invalid_input', 'Gateway token must not contain spaces', 'gatewayToken');
  if (p.remember && String(p.passphrase ?? '').length < 8) {
    throw fail('invalid_input', 'Passphrase must be at least 8 characters to remember the token on this device', 'passphrase');
  }
  return { gatewayUrl, apiUrl: gatewayUrl + GATEWAY_CALL_PATH, gatewayToken };
}

/**
 * What the bridge reports about a gateway, in the console's words. The gateway answers 401 for
 * a token it does not know, and 403 (an api_error to the bridge) for a command it does not allow,
 * e.g. a money command while ALLOW_MONEY is off: nothing reached Wallex Pay in either case.
 * @param {unknown} e @param {boolean} [connecting]
 */
function gatewayError(e, connecting = false) {
  const x = /** @type {any} */ (e);
  if (!x || typeof x !== 'object') return e;
  if (x.code === 'auth') {
    const err = fail('gateway_token', connecting
      ? 'The gateway refused this token. Enter one of the tokens set in the gateway (GATEWAY_TOKENS).'
      : 'The gateway refused the gateway token: it may have been removed from the gateway. Connect again with a valid token.', connecting ? 'gatewayToken' : undefined);
    return { ...err, httpStatus: x.httpStatus };
  }
  if (x.code === 'api_error' && x.httpStatus === 403) {
    return { code: 'gateway_refused', message: String(x.message ?? '').replace(/^wallex [a-z_]+: /, ''), retryable: false, httpStatus: 403 };
  }
  if (connecting && x.code === 'transport') return { ...x, field: 'gatewayUrl' };
  return e;
}

/** @param {unknown} cfg */
function isGateway(cfg) {
  return Boolean(cfg && typeof cfg === 'object' && /** @type {any} */ (cfg).mode === 'gateway');
}

/**
 * Whether host (a URL's hostname: IPv6 in brackets) is loopback, exactly as Go's
 * core.IsLoopbackHost decides: localhost, any *.localhost, any IPv4 address in 127.0.0.0/8, ::1,
 * and IPv4-mapped 127.x.y.z (::ffff:127.0.0.1). Case does not matter; brackets around an IPv6
 * address are ignored.
 * @param {string} host
 */
export function isLoopback(host) {
  const h = String(host);
  const lower = h.toLowerCase();
  if (lower === 'localhost' || lower.endsWith('.localhost')) return true;
  const ip = h.replace(/^[[\]]+|[[\]]+$/g, '');
  const v4 = ipv4(ip);
  if (v4) return v4[0] === 127;
  const v6 = ipv6(ip);
  if (!v6) return false;
  if (v6.slice(0, 5).every((x) => x === 0) && v6[5] === 0xffff) return v6[6] >> 8 === 127; // ::ffff:a.b.c.d
  return v6.slice(0, 7).every((x) => x === 0) && v6[7] === 1;
}

/** Four octets of a dotted-quad (Go's netip rules: no leading zeros), or null. @param {string} s */
function ipv4(s) {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

/** Eight 16-bit groups of an IPv6 address (an optional %zone ignored), or null. @param {string} s */
function ipv6(s) {
  let a = s;
  const zone = a.indexOf('%');
  if (zone >= 0) {
    if (zone === a.length - 1) return null;
    a = a.slice(0, zone);
  }
  if (!a.includes(':')) return null;
  /** @param {string} part @returns {number[]|null} */
  const groups = (part) => {
    if (part === '') return [];
    const out = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i];
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = ipv4(g);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(g)) out.push(parseInt(g, 16));
      else return null;
    }
    return out;
  };
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const head = groups(halves[0]);
  if (!head) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  if (halves[0] !== '' && halves[0].split(':').some((g) => g.includes('.'))) return null;
  const tail = groups(halves[1]);
  if (!tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * The active configuration (wk.config). Never holds a secret.
 * @typedef {{mode?: 'keys', apiUrl: string, publicKey: string, nonce: boolean} | {mode: 'gateway', apiUrl: string, gatewayUrl: string}} Config
 */

export class Account {
  /**
   * @param {{getBridge: () => Promise<any>, sessionKV: KV, localKV: KV, vaultIterations?: number, locks?: ReturnType<typeof lockManager>}} opts
   */
  constructor(opts) {
    this.getBridge = opts.getBridge;
    this.sessionKV = opts.sessionKV;
    this.localKV = opts.localKV;
    this.vaultIterations = opts.vaultIterations;
    this.storage = bridgeStorage(opts.sessionKV, opts.localKV, { locks: opts.locks });
    /** configuration applied to this bridge instance, or null @type {null|Config} */
    this.applied = null;
    this.keyInMemory = false;
    /** @type {Promise<void>|null} */
    this.restoring = null;
  }

  /**
   * @param {Config} cfg
   * @param {string} [secret]  the private key (keys), the gateway token (gateway: required)
   */
  async apply(cfg, secret) {
    const bridge = await this.getBridge();
    /** @type {Record<string, unknown>} */
    let opts;
    if (isGateway(cfg)) {
      if (!secret) throw fail('not_connected', 'Not connected: enter your gateway URL and token.');
      opts = { apiUrl: cfg.apiUrl, gatewayToken: secret, storage: this.storage };
    } else {
      // moneyNeedsNonces: while nonces are off the core refuses money before anything leaves
      // (Chromium resends a POST by itself when a reused connection drops before the answer,
      // after the API may have acted; only a nonce makes the API refuse that copy). Reads work.
      opts = { apiUrl: cfg.apiUrl, publicKey: cfg.publicKey, nonce: cfg.nonce, moneyNeedsNonces: true, storage: this.storage };
      if (secret) opts.privateKey = secret;
    }
    if (isLoopback(new URL(cfg.apiUrl).hostname) && cfg.apiUrl.startsWith('http:')) opts.insecureHttp = true;
    Object.assign(opts, tuningOf(await this.localKV.get(K_TUNING)));
    await bridge.configure(opts);
    this.applied = { ...cfg };
    this.keyInMemory = !isGateway(cfg) && Boolean(secret);
  }

  /**
   * After the host restarted: re-apply the stored configuration (no private key: the token
   * carries on; through a gateway, with the gateway token from the session store).
   */
  async restore() {
    if (this.applied) return;
    if (!this.restoring) {
      this.restoring = (async () => {
        const cfg = await this.sessionKV.get(K_CONFIG);
        if (cfg && !this.applied) {
          if (!isGateway(cfg)) await this.apply(cfg);
          else {
            // through a gateway: the token lives beside the configuration in the session store
            const token = await this.sessionKV.get(K_GATEWAY_TOKEN);
            if (token) await this.apply(cfg, token);
          }
        }
      })().finally(() => { this.restoring = null; });
    }
    await this.restoring;
  }

  /** @returns {Promise<SessionState>} */
  async session() {
    await this.restore();
    const remembered = await this.localKV.get(K_REMEMBERED);
    const vault = await this.localKV.get(K_VAULT);
    /** @type {SessionState} */
    const s = { configured: Boolean(this.applied), loggedIn: false, hasVault: isVaultRecord(vault), keyInMemory: this.keyInMemory };
    const cfg = this.applied ?? remembered;
    if (cfg) {
      s.apiUrl = cfg.apiUrl;
      if (isGateway(cfg)) {
        s.mode = 'gateway';
        s.gatewayUrl = cfg.gatewayUrl;
      } else {
        s.mode = 'keys';
        s.publicKey = cfg.publicKey;
        s.nonces = cfg.nonce !== false;
      }
    }
    if (this.applied) {
      const bridge = await this.getBridge();
      const st = await bridge.session().catch(async (/** @type {any} */ e) => {
        if (e?.code !== 'not_configured') throw e;
        this.applied = null; // a fresh Go instance: configure it again from the stored config
        await this.restore();
        return this.applied ? bridge.session() : { loggedIn: false };
      });
      s.loggedIn = Boolean(st.loggedIn);
      // a gateway token does not expire here (the bridge reports neither)
      if (st.expiresAt && !isGateway(this.applied)) s.expiresAt = String(st.expiresAt);
      // a token that looked expired on arrival (the server's clock is behind): the core uses it
      // until the API refuses it, then logs in again once
      if (st.expiryUnknown && !isGateway(this.applied)) s.expiryUnknown = true;
      if (!s.loggedIn && this.keyInMemory && !isGateway(this.applied)) {
        // The token has run out, but the private key is here: the bridge logs in again when the
        // next call needs it.
        s.loggedIn = true;
        s.renewsOnUse = true;
      }
      if (!isGateway(this.applied)) {
        const skew = await this.sessionKV.get(K_CLOCK);
        if (skew && typeof skew === 'object') s.clockSkew = /** @type {any} */ (skew);
      }
      const t = tuningOf(await this.localKV.get(K_TUNING));
      if (Object.keys(t).length) s.tuning = t;
    }
    return s;
  }

  /**
   * After a login: the bridge says expiryUnknown when the token's expires_at had already passed
   * by this machine's clock on arrival, i.e. the two clocks disagree (spec §2 reads expires_at as
   * UTC). Remember it for the session screen; the core uses the token until the API refuses it.
   * @param {{expiresAt?: string, expiryUnknown?: boolean}} r
   */
  async noteLogin(r) {
    if (r?.expiryUnknown) await this.sessionKV.set(K_CLOCK, { seenAt: new Date().toISOString() });
    else await this.sessionKV.remove(K_CLOCK);
  }

  /** @param {ConnectParams} p */
  async connect(p) {
    if (p.mode === 'gateway') return this.connectGateway(p);
    const { apiUrl, publicKey } = checkConnectParams({ ...p, privateKey: p.privateKey ?? '' });
    const cfg = { apiUrl, publicKey, nonce: p.nonce !== false };
    const bridge = await this.getBridge();
    let r;
    try {
      await this.apply(cfg, String(p.privateKey).trim());
      r = await bridge.login();
    } catch (e) {
      await this.forgetActive();
      throw e;
    }
    await this.noteLogin(r);
    await this.sessionKV.set(K_CONFIG, cfg);
    await this.sessionKV.remove(K_GATEWAY_TOKEN);
    if (p.remember) {
      const vault = await sealVault({ privateKey: String(p.privateKey).trim(), publicKey, apiUrl, passphrase: String(p.passphrase), iterations: this.vaultIterations });
      await this.localKV.set(K_VAULT, vault);
      await this.localKV.set(K_REMEMBERED, cfg);
    } else {
      // a vault for other keys must not linger beside a session it does not belong to
      const old = await this.localKV.get(K_VAULT);
      if (old && (old.publicKey !== publicKey || old.apiUrl !== apiUrl)) {
        await this.localKV.remove(K_VAULT);
        await this.localKV.remove(K_REMEMBERED);
      } else if (old) {
        await this.localKV.set(K_REMEMBERED, cfg); // the same keys: unlock uses this nonce mode from now on
      }
    }
    return this.session();
  }

  /**
   * Through a gateway: configure with the gateway token, check it with one read (the gateway
   * answers 401 for a token it does not know), keep the token in the session store only; with
   * remember, sealed in the vault in place of a private key (bound to the gateway's URL).
   * @param {ConnectParams} p
   */
  async connectGateway(p) {
    const g = checkGatewayParams(p);
    /** @type {Config} */
    const cfg = { mode: 'gateway', apiUrl: g.apiUrl, gatewayUrl: g.gatewayUrl };
    const bridge = await this.getBridge();
    try {
      await this.apply(cfg, g.gatewayToken);
      await bridge.basicInfo();
    } catch (e) {
      await this.forgetActive();
      throw gatewayError(e, true);
    }
    await this.sessionKV.set(K_GATEWAY_TOKEN, g.gatewayToken);
    await this.sessionKV.set(K_CONFIG, cfg);
    const old = await this.localKV.get(K_VAULT);
    if (p.remember) {
      // publicKey '' marks a gateway token: no key pair has an empty public key
      const vault = await sealVault({ privateKey: g.gatewayToken, publicKey: '', apiUrl: cfg.apiUrl, passphrase: String(p.passphrase), iterations: this.vaultIterations });
      await this.localKV.set(K_VAULT, vault);
      await this.localKV.set(K_REMEMBERED, cfg);
    } else if (old && (old.publicKey !== '' || old.apiUrl !== cfg.apiUrl)) {
      await this.localKV.remove(K_VAULT);
      await this.localKV.remove(K_REMEMBERED);
    }
    return this.session();
  }

  /** @param {string} passphrase */
  async unlock(passphrase) {
    const vault = await this.localKV.get(K_VAULT);
    const remembered = await this.localKV.get(K_REMEMBERED);
    if (!isVaultRecord(vault) || !remembered) throw fail('not_connected', 'No key is saved on this device: connect with your API keys.');
    let privateKey;
    try {
      privateKey = await openVault(vault, passphrase);
    } catch (e) {
      if (e instanceof VaultError) throw fail(e.code === 'wrong_passphrase' ? 'wrong_passphrase' : 'invalid_input', e.message, 'passphrase');
      throw e;
    }
    const gateway = isGateway(remembered) && vault.publicKey === '';
    /** @type {Config} */
    const cfg = gateway
      ? { mode: 'gateway', apiUrl: vault.apiUrl, gatewayUrl: String(remembered.gatewayUrl ?? vault.apiUrl.slice(0, -GATEWAY_CALL_PATH.length)) }
      : { apiUrl: vault.apiUrl, publicKey: vault.publicKey, nonce: remembered.nonce !== false };
    const bridge = await this.getBridge();
    try {
      await this.apply(cfg, privateKey);
      if (gateway) await bridge.basicInfo();
      else await this.noteLogin(await bridge.login());
    } catch (e) {
      await this.forgetActive();
      throw gateway ? gatewayError(e) : e;
    }
    if (gateway) await this.sessionKV.set(K_GATEWAY_TOKEN, privateKey);
    else await this.sessionKV.remove(K_GATEWAY_TOKEN);
    await this.sessionKV.set(K_CONFIG, cfg);
    if (needsUpgrade(vault, this.vaultIterations)) {
      await this.localKV.set(K_VAULT, await sealVault({ privateKey, publicKey: vault.publicKey, apiUrl: vault.apiUrl, passphrase, iterations: this.vaultIterations }));
    }
    return this.session();
  }

  /** Logs in again with the key in memory (the bridge also does this on its own near expiry). */
  async login() {
    await this.restore();
    if (!this.applied) throw fail('not_connected', 'Not connected: enter your API keys.');
    if (isGateway(this.applied)) throw fail('invalid_input', 'Through a gateway the console never logs in: the gateway holds the API keys.');
    if (!this.keyInMemory) throw fail('locked', 'The session expired and the private key is not in memory: unlock or connect again.');
    const bridge = await this.getBridge();
    const r = await bridge.login();
    await this.noteLogin(r);
    return r;
  }

  /**
   * Forget the token and the in-memory key; keep the configuration and the vault. Through a
   * gateway: forget the gateway token (and so the configuration); keep the vault.
   */
  async lock() {
    await this.restore();
    if (isGateway(this.applied)) await this.forgetActive();
    else if (this.applied) {
      const bridge = await this.getBridge();
      await bridge.logout().catch(() => {});
      await this.apply(this.applied); // a fresh client without the private key
    }
    return this.session();
  }

  /** Log out and forget everything but the nonce high-water mark. */
  async signOut() {
    await this.restore();
    await this.forgetActive();
    await this.localKV.remove(K_VAULT);
    await this.localKV.remove(K_REMEMBERED);
    return this.session();
  }

  async forgetActive() {
    const bridge = await this.getBridge();
    if (this.applied) await bridge.logout().catch(() => {});
    // replace the Go client with one that holds no key or gateway token (configure sends nothing)
    if (isGateway(this.applied)) await bridge.configure({ ...NO_CLIENT }).catch(() => {});
    else if (this.applied) await this.apply(this.applied).catch(() => {});
    this.applied = null;
    this.keyInMemory = false;
    await this.sessionKV.remove(K_CONFIG);
    await this.sessionKV.remove(K_GATEWAY_TOKEN);
    await this.sessionKV.remove(K_CLOCK);
  }

  /**
   * Forwards one bridge method after restoring the configuration.
   * @param {string} method @param {unknown[]} args
   */
  async invoke(method, args) {
    await this.restore();
    if (!this.applied) throw fail('not_connected', 'Not connected: open Connect and enter your API keys.');
    let bridge = await this.getBridge();
    if (typeof bridge[method] !== 'function') throw fail('internal', `The wasm core has no ${method} function`);
    try {
      try {
        return await bridge[method](...args);
      } catch (e) {
        // A fresh Go instance (the old one exited) has no client yet: nothing was sent, so
        // restore the configuration and try once more.
        if (!(e && typeof e === 'object' && /** @type {any} */ (e).code === 'not_configured')) throw e;
        this.applied = null;
        this.keyInMemory = false;
        await this.restore();
        if (!this.applied) throw fail('not_connected', 'Not connected: open Connect and enter your API keys.');
        bridge = await this.getBridge();
        return await bridge[method](...args);
      }
    } catch (e) {
      if (isGateway(this.applied)) throw gatewayError(e);
      if (e && typeof e === 'object' && /** @type {any} */ (e).code === 'auth' && !this.keyInMemory) {
        const vault = await this.localKV.get(K_VAULT);
        throw fail('locked', isVaultRecord(vault)
          ? 'The session expired. Unlock with your passphrase to continue.'
          : 'The session expired. Connect again with your API keys.');
      }
      throw e;
    }
  }
}
