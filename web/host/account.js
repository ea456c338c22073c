// The stores (connections) around one wasm bridge: each store is one Wallex Pay account reached
// with API keys or through a gateway, with its own bridge client (createClient), token, nonce
// mark, operation records, payout journals and vault entry. Configuration survives a restart of
// the host (the extension's service worker or the page); the private key does not. Used by the
// service worker and by the local dev backend.
//
// Where things live (<id> is the store's id: the bridge's storeKey, API URL + "|" + public key):
//   sessionKV (chrome.storage.session / sessionStorage): wk.stores.session — the stores connected
//     in this browser session ({active, stores: {<id>: config}}; never a secret); the tokens
//     (wk.token.<id>); through a gateway, its token (wk.gatewayToken.<id>); a clock-skew note
//     (wk.clockSkew.<id>).
//   localKV (chrome.storage.local / localStorage): nonce high-water marks (wk.nonce.<id>);
//     operation records of money requests (wk.ops.<id>) and payout journals
//     (wk.journal.<id>.<sha256 of the file>), both written before a request leaves; with
//     "Remember on this device", the store's configuration (wk.stores: {<id>: config}) and its
//     encrypted vault (wk.vault.<id>: the private key, or the gateway token); wk.tuning, a test
//     hook (see tuningOf).
//   memory (the Go instance): the private keys, only while this host lives.
//
// Through a gateway (wasm/edge) the gateway holds the API keys: the store's client is made with
// {apiUrl: <gateway>/v1/call, gatewayToken}, never logs in and holds no key.
//
// Every call names its store. A store's lifecycle (connect, unlock, lock, sign out) holds the
// store's lock exclusively and its calls hold it shared (Web Locks, across tabs and the worker):
// a money call of one store finishes before that store is locked or signed out, and no call of
// one store ever runs on another store's client or storage.

import { sealVault, openVault, isVaultRecord, needsUpgrade, VaultError } from './vault.js';

/** @typedef {import('./kv.js').KV} KV */
/** @typedef {import('../backend.js').SessionState} SessionState */
/** @typedef {import('../backend.js').ConnectParams} ConnectParams */

import { lockManager } from './locks.js';
import { bridgeStorage, tuningOf, K_CONFIG, K_REMEMBERED, K_VAULT, K_GATEWAY_TOKEN, K_CLOCK_OLD, K_SESSION_STORES, K_STORES, K_LAST_STORE, VAULT_PREFIX, GW_TOKEN_PREFIX, CLOCK_PREFIX, TOKEN_PREFIX, K_TUNING } from './storage.js';
import { fail, checkConnectParams, checkGatewayParams, isLoopback, GATEWAY_CALL_PATH } from './connect-params.js';

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
 * A store's configuration. Never holds a secret.
 * @typedef {{mode?: 'keys', apiUrl: string, publicKey: string, nonce: boolean, name?: string} | {mode: 'gateway', apiUrl: string, gatewayUrl: string, name?: string}} Config
 */

/**
 * A store's live client in this host.
 * @typedef {{client: any, bridge: any, cfg: Config, keyInMemory: boolean}} Live
 */

/** A store as the switcher lists it. @typedef {{id: string, name: string, mode: 'keys'|'gateway', apiUrl: string, publicKey?: string, gatewayUrl?: string, state: 'connected'|'locked'}} StoreInfo */

/** The longest store name. */
const NAME_MAX = 60;
// How far ahead of the nonce sent the sole host's stored mark may run (milliseconds of nonce).
const NONCE_RESERVE_MS = 1000;

/** @param {string} name */
function cleanName(name) {
  return String(name ?? '').replace(/\s+/g, ' ').trim().slice(0, NAME_MAX);
}

export class Account {
  /**
   * opts.soleHost: this host is the only one that runs the core for these stores (the extension's
   * service worker; its pages only send it calls). Each store's call lock is then kept in memory
   * instead of a Web Lock, and the nonce marks are kept in memory and written straight through
   * (see bridgeStorage). The dev page is not: each of its tabs runs a core over one localStorage.
   * @param {{getBridge: () => Promise<any>, sessionKV: KV, localKV: KV, vaultIterations?: number, locks?: ReturnType<typeof lockManager>, soleHost?: boolean}} opts
   */
  constructor(opts) {
    this.getBridge = opts.getBridge;
    this.sessionKV = opts.sessionKV;
    this.localKV = opts.localKV;
    this.vaultIterations = opts.vaultIterations;
    this.locks = opts.locks ?? lockManager();
    this.soleHost = Boolean(opts.soleHost);
    /** the stores' call locks (wk.store.<id>) */
    this.storeLocks = this.soleHost ? lockManager(null) : this.locks;
    /** @type {Map<string, import('./storage.js').NonceMark>|undefined} */
    this.nonceMarks = this.soleHost ? new Map() : undefined;
    /** live clients by store id @type {Map<string, Live>} */
    this.live = new Map();
    /** @type {Promise<void>|null} */
    this.migrating = null;
  }

  // ---- stored state ----

  /** @returns {Promise<{active: string, stores: Record<string, Config>}>} */
  async sessionStores() {
    await this.migrate();
    const v = await this.sessionKV.get(K_SESSION_STORES);
    return { active: typeof v?.active === 'string' ? v.active : '', stores: v?.stores && typeof v.stores === 'object' ? v.stores : {} };
  }

  /** @param {{active: string, stores: Record<string, Config>}} v */
  async saveSessionStores(v) { await this.sessionKV.set(K_SESSION_STORES, v); }

  /** Remembered stores (a vault on this device). @returns {Promise<Record<string, Config>>} */
  async rememberedStores() {
    await this.migrate();
    const v = await this.localKV.get(K_STORES);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  }

  /**
   * The console of earlier versions held one connection (wk.config, wk.remembered, wk.vault,
   * wk.gatewayToken): it becomes a store, once.
   */
  migrate() {
    if (!this.migrating) {
      this.migrating = (async () => {
        const [cfg, remembered, vault] = await Promise.all([this.sessionKV.get(K_CONFIG), this.localKV.get(K_REMEMBERED), this.localKV.get(K_VAULT)]);
        if (!cfg && !remembered && !vault) return;
        const bridge = await this.getBridge();
        /** @param {Config} c */
        const idOf = async (c) => {
          const probe = await bridge.createClient({ apiUrl: c.apiUrl, publicKey: isGateway(c) ? '' : c.publicKey, gatewayToken: isGateway(c) ? 'probe' : undefined, insecureHttp: true });
          const id = probe.storeKey;
          probe.close();
          return id;
        };
        if (remembered && isVaultRecord(vault)) {
          const id = await idOf(remembered);
          const all = (await this.localKV.get(K_STORES)) ?? {};
          all[id] = { ...remembered };
          await this.localKV.set(K_STORES, all);
          await this.localKV.set(VAULT_PREFIX + id, vault);
          await this.localKV.set(K_LAST_STORE, id);
        }
        if (cfg) {
          const id = await idOf(cfg);
          const v = (await this.sessionKV.get(K_SESSION_STORES)) ?? { active: '', stores: {} };
          v.stores[id] = { ...cfg };
          v.active = id;
          await this.sessionKV.set(K_SESSION_STORES, v);
          const gw = await this.sessionKV.get(K_GATEWAY_TOKEN);
          if (gw) await this.sessionKV.set(GW_TOKEN_PREFIX + id, gw);
        }
        for (const k of [K_CONFIG, K_GATEWAY_TOKEN, K_CLOCK_OLD]) await this.sessionKV.remove(k);
        for (const k of [K_REMEMBERED, K_VAULT]) await this.localKV.remove(k);
      })().catch((e) => { this.migrating = null; throw e; });
    }
    return this.migrating;
  }

  /** Every store: those connected in this browser session, then those only remembered. @returns {Promise<StoreInfo[]>} */
  async stores() {
    const ss = await this.sessionStores();
    const rem = await this.rememberedStores();
    /** @type {StoreInfo[]} */
    const out = [];
    const info = (/** @type {string} */ id, /** @type {Config} */ c, /** @type {'connected'|'locked'} */ state) => {
      /** @type {StoreInfo} */
      const i = { id, name: c.name || defaultName(c), mode: isGateway(c) ? 'gateway' : 'keys', apiUrl: c.apiUrl, state };
      if (isGateway(c)) i.gatewayUrl = c.gatewayUrl;
      else i.publicKey = c.publicKey;
      return i;
    };
    for (const [id, c] of Object.entries(ss.stores)) out.push(info(id, c, 'connected'));
    for (const [id, c] of Object.entries(rem)) if (!(id in ss.stores)) out.push(info(id, c, 'locked'));
    return out.sort((x, y) => x.name.localeCompare(y.name, undefined, { sensitivity: 'base' }) || x.id.localeCompare(y.id));
  }

  /** The active store's id: the session's choice, else the last one used on this device, else the first. */
  async activeId() {
    const ss = await this.sessionStores();
    const all = await this.stores();
    if (ss.active && all.some((s) => s.id === ss.active)) return ss.active;
    const last = await this.localKV.get(K_LAST_STORE);
    if (last && all.some((s) => s.id === last)) return String(last);
    return all[0]?.id ?? '';
  }

  /** Makes id the active store (of this browser session). @param {string} id */
  async switchStore(id) {
    const all = await this.stores();
    if (!all.some((s) => s.id === id)) throw fail('not_connected', 'That store is not connected on this device any more: connect it again.');
    const ss = await this.sessionStores();
    ss.active = id;
    await this.saveSessionStores(ss);
    await this.noteLast(id);
    return this.session(id);
  }

  /** The store last used, for after the browser restarts: only a remembered one. @param {string} id */
  async noteLast(id) {
    if (id in (await this.rememberedStores())) await this.localKV.set(K_LAST_STORE, id);
  }

  /** @param {string} id @param {string} name */
  async renameStore(id, name) {
    const n = cleanName(name);
    if (!n) throw fail('invalid_input', 'Give the store a name, e.g. the shop it belongs to.', 'name');
    const ss = await this.sessionStores();
    const rem = await this.rememberedStores();
    if (!(id in ss.stores) && !(id in rem)) throw fail('not_connected', 'That store is not connected on this device any more.');
    if (id in ss.stores) { ss.stores[id] = { ...ss.stores[id], name: n }; await this.saveSessionStores(ss); }
    if (id in rem) { rem[id] = { ...rem[id], name: n }; await this.localKV.set(K_STORES, rem); }
    const l = this.live.get(id);
    if (l) l.cfg = { ...l.cfg, name: n };
    return this.session(id);
  }

  // ---- locks ----

  /** @template T @param {string} id @param {'shared'|'exclusive'} mode @param {() => Promise<T>} fn @returns {Promise<T>} */
  async withStore(id, mode, fn) {
    const release = await this.storeLocks.acquire(`wk.store.${id}`, { mode });
    try {
      return await fn();
    } finally {
      release();
    }
  }

  // ---- clients ----

  /**
   * Makes the store's client (sends nothing): its own storage adapter (journals under its id),
   * moneyNeedsNonces with keys, the tuning hook; duplicateCheck (a person drives the console: the
   * same payment again soon after, its answer lost to a closed popup, is asked about first).
   * @param {Config} cfg @param {string} [secret]  the private key (keys) or the gateway token (gateway: required)
   * @param {Promise<unknown>} [tuning]  the wk.tuning record, when the caller has started reading it
   * @returns {Promise<Live & {id: string}>}
   */
  async makeClient(cfg, secret, tuning) {
    const [bridge, t] = await Promise.all([this.getBridge(), tuning ?? this.localKV.get(K_TUNING)]);
    const storage = bridgeStorage(this.sessionKV, this.localKV, { locks: this.locks, marks: this.nonceMarks });
    /** @type {Record<string, unknown>} */
    let opts;
    if (isGateway(cfg)) {
      if (!secret) throw fail('not_connected', 'Not connected: enter your gateway URL and token.');
      opts = { apiUrl: cfg.apiUrl, gatewayToken: secret, storage, duplicateCheck: true };
    } else {
      // moneyNeedsNonces: while nonces are off the core refuses money before anything leaves
      // (Chromium resends a POST by itself when a reused connection drops before the answer,
      // after the API may have acted; only a nonce makes the API refuse that copy). Reads work.
      opts = { apiUrl: cfg.apiUrl, publicKey: cfg.publicKey, nonce: cfg.nonce, moneyNeedsNonces: true, storage, duplicateCheck: true };
      // The sole host keeps the mark in memory and writes it ahead by a margin (core's
      // WithNonceReserve): one storage write a second at most instead of one a call.
      if (this.soleHost) opts.nonceReserveMs = NONCE_RESERVE_MS;
      if (secret) opts.privateKey = secret;
      else opts.tokenOnly = true; // the key is not in memory: the token this store kept
    }
    if (isLoopback(new URL(cfg.apiUrl).hostname) && cfg.apiUrl.startsWith('http:')) opts.insecureHttp = true;
    Object.assign(opts, tuningOf(t));
    const client = await bridge.createClient(opts);
    storage.setStore(client.storeKey);
    return { id: client.storeKey, client, bridge, cfg: { ...cfg }, keyInMemory: !isGateway(cfg) && Boolean(secret) };
  }

  /** @param {string} id @param {Live} l */
  setLive(id, l) {
    const old = this.live.get(id);
    this.live.set(id, l);
    if (old && old.client !== l.client) closeClient(old.client);
  }

  /** @param {string} id */
  dropLive(id) {
    const old = this.live.get(id);
    this.live.delete(id);
    if (old) closeClient(old.client);
  }

  /**
   * The store's live client: the one in memory, or after a restart of the host (or of the Go
   * instance) one made again from the stored configuration (no private key: the token carries
   * on; through a gateway, with the gateway token from the session store). null when the store
   * is not connected in this browser session.
   * @param {string} id @returns {Promise<Live|null>}
   */
  async liveClient(id) {
    const l = this.live.get(id);
    if (l) {
      const bridge = await this.getBridge();
      if (l.bridge === bridge) return l;
      if (this.live.get(id) === l) this.live.delete(id); // its Go instance is gone
    }
    // A restarted host: what the client is made of is read while the wasm core starts.
    const tuning = this.localKV.get(K_TUNING);
    tuning.catch(() => {});
    const [bridge, ss] = await Promise.all([this.getBridge(), this.sessionStores()]);
    const cfg = ss.stores[id];
    if (!cfg) return null;
    let secret;
    if (isGateway(cfg)) {
      secret = await this.sessionKV.get(GW_TOKEN_PREFIX + id);
      if (!secret) return null;
    }
    const made = await this.makeClient(cfg, secret, tuning);
    if (made.id !== id) throw fail('internal', 'The stored connection does not match its store: connect it again.');
    const again = this.live.get(id);
    if (again && again.bridge === bridge) { closeClient(made.client); return again; }
    this.live.set(id, made);
    return made;
  }

  /**
   * A page of a gateway store's event log (GET <gateway>/v1/events: the IPNs the gateway took,
   * each with core's paid rule already applied as `paid`), for the paid alerts: one read of the
   * gateway, none of the API's own limits. null for a store that is not a connected gateway store.
   * @param {string} id @param {string} after  a cursor from an earlier page ('0': the start)
   * @param {number} [limit]  1 to 100
   * @returns {Promise<{events: any[], next_cursor: string, has_more: boolean}|null>}
   */
  async gatewayEvents(id, after, limit = 100) {
    const cfg = (await this.sessionStores()).stores[id];
    if (!isGateway(cfg)) return null;
    const token = await this.sessionKV.get(GW_TOKEN_PREFIX + id);
    if (!token) return null;
    const url = `${/** @type {any} */ (cfg).gatewayUrl}/v1/events?after=${encodeURIComponent(after)}&limit=${limit}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
    const body = await res.json().catch(() => null);
    if (!res.ok || !body || !Array.isArray(body.events)) {
      throw fail(res.status === 401 ? 'gateway_token' : 'transport', `The gateway's events could not be read (HTTP ${res.status}${body?.error ? `: ${body.error}` : ''}).`);
    }
    return { events: body.events, next_cursor: String(body.next_cursor ?? after), has_more: Boolean(body.has_more) };
  }

  // ---- session ----

  /** @param {string} [storeId]  default: the active store @returns {Promise<SessionState>} */
  async session(storeId) {
    const id = storeId ?? await this.activeId();
    const all = await this.stores();
    const store = all.find((x) => x.id === id);
    /** @type {SessionState} */
    const s = { configured: false, loggedIn: false, hasVault: false, keyInMemory: false, stores: all, storeId: store ? id : '' };
    if (!store) return s;
    s.storeName = store.name;
    s.apiUrl = store.apiUrl;
    s.mode = store.mode;
    if (store.mode === 'gateway') s.gatewayUrl = store.gatewayUrl;
    else s.publicKey = store.publicKey;
    s.hasVault = isVaultRecord(await this.localKV.get(VAULT_PREFIX + id));
    const cfg = (await this.sessionStores()).stores[id] ?? (await this.rememberedStores())[id];
    if (!isGateway(cfg)) s.nonces = /** @type {any} */ (cfg).nonce !== false;
    const l = await this.liveClient(id);
    if (!l) return s;
    s.configured = true;
    s.keyInMemory = l.keyInMemory;
    const st = await l.client.session();
    s.loggedIn = Boolean(st.loggedIn);
    if (!isGateway(l.cfg)) {
      if (st.expiresAt) s.expiresAt = String(st.expiresAt);
      // a token that looked expired on arrival (the server's clock is behind): the core uses it
      // until the API refuses it, then logs in again once
      if (st.expiryUnknown) s.expiryUnknown = true;
      if (!s.loggedIn && l.keyInMemory) {
        // The token has run out, but the private key is here: the client logs in again when the
        // next call needs it.
        s.loggedIn = true;
        s.renewsOnUse = true;
      }
      const skew = await this.sessionKV.get(CLOCK_PREFIX + id);
      if (skew && typeof skew === 'object') s.clockSkew = /** @type {any} */ (skew);
    }
    const t = tuningOf(await this.localKV.get(K_TUNING));
    if (Object.keys(t).length) s.tuning = t;
    return s;
  }

  /**
   * After a login: the bridge says expiryUnknown when the token's expires_at had already passed
   * by this machine's clock on arrival, i.e. the two clocks disagree (spec §2 reads expires_at as
   * UTC). Remember it for the session screen; the core uses the token until the API refuses it.
   * @param {string} id @param {{expiresAt?: string, expiryUnknown?: boolean}} r
   */
  async noteLogin(id, r) {
    if (r?.expiryUnknown) await this.sessionKV.set(CLOCK_PREFIX + id, { seenAt: new Date().toISOString() });
    else await this.sessionKV.remove(CLOCK_PREFIX + id);
  }

  /**
   * Stores a connected store: in this browser session (active), and with remember its
   * configuration and sealed secret on this device.
   * @param {string} id @param {Config} cfg @param {{remember?: boolean, passphrase?: string, secret: string, sealAs: {privateKey: string, publicKey: string, apiUrl: string}}} o
   */
  async keep(id, cfg, o) {
    const ss = await this.sessionStores();
    ss.stores[id] = { ...cfg };
    ss.active = id;
    await this.saveSessionStores(ss);
    const rem = await this.rememberedStores();
    if (o.remember) {
      const vault = await sealVault({ ...o.sealAs, passphrase: String(o.passphrase), iterations: this.vaultIterations });
      await this.localKV.set(VAULT_PREFIX + id, vault);
      rem[id] = { ...cfg };
      await this.localKV.set(K_STORES, rem);
      await this.localKV.set(K_LAST_STORE, id);
    } else if (id in rem) {
      // the same store connected again without remember: its saved key stays, and unlock uses
      // this configuration (nonce mode, name) from now on
      rem[id] = { ...cfg };
      await this.localKV.set(K_STORES, rem);
    }
  }

  /** A name for a store that has none: the account's public name or username. @param {Live} l @param {string} [given] */
  async nameFor(l, given) {
    const n = cleanName(given ?? '');
    if (n) return n;
    try {
      const info = await l.client.basicInfo();
      return cleanName(info.public_name || info.username) || defaultName(l.cfg);
    } catch {
      return defaultName(l.cfg);
    }
  }

  /** @param {ConnectParams} p */
  async connect(p) {
    if (p.mode === 'gateway') return this.connectGateway(p);
    const { apiUrl, publicKey } = checkConnectParams({ ...p, privateKey: p.privateKey ?? '' });
    const key = String(p.privateKey).trim();
    /** @type {Config} */
    const cfg = { apiUrl, publicKey, nonce: p.nonce !== false };
    const made = await this.makeClient(cfg, key);
    return this.withStore(made.id, 'exclusive', async () => {
      let r;
      try {
        r = await made.client.login();
      } catch (e) {
        closeClient(made.client);
        throw e;
      }
      this.setLive(made.id, made);
      await this.noteLogin(made.id, r);
      made.cfg.name = await this.nameFor(made, p.name);
      await this.keep(made.id, made.cfg, { remember: p.remember, passphrase: p.passphrase, secret: key, sealAs: { privateKey: key, publicKey, apiUrl } });
      return this.session(made.id);
    });
  }

  /**
   * Through a gateway: a client with the gateway token, checked with one read (the gateway
   * answers 401 for a token it does not know); the token is kept in the session store only, and
   * with remember sealed in the store's vault in place of a private key (bound to the gateway's URL).
   * @param {ConnectParams} p
   */
  async connectGateway(p) {
    const g = checkGatewayParams(p);
    /** @type {Config} */
    const cfg = { mode: 'gateway', apiUrl: g.apiUrl, gatewayUrl: g.gatewayUrl };
    const made = await this.makeClient(cfg, g.gatewayToken);
    return this.withStore(made.id, 'exclusive', async () => {
      let info;
      try {
        info = await made.client.basicInfo();
      } catch (e) {
        closeClient(made.client);
        throw gatewayError(e, true);
      }
      this.setLive(made.id, made);
      made.cfg.name = cleanName(p.name ?? '') || cleanName(info?.public_name || info?.username) || defaultName(cfg);
      await this.sessionKV.set(GW_TOKEN_PREFIX + made.id, g.gatewayToken);
      // publicKey '' marks a gateway token: no key pair has an empty public key
      await this.keep(made.id, made.cfg, { remember: p.remember, passphrase: p.passphrase, secret: g.gatewayToken, sealAs: { privateKey: g.gatewayToken, publicKey: '', apiUrl: cfg.apiUrl } });
      return this.session(made.id);
    });
  }

  /** Opens the active (or given) store's vault and signs in. @param {string} passphrase @param {string} [storeId] */
  async unlock(passphrase, storeId) {
    const id = storeId ?? await this.activeId();
    const vault = await this.localKV.get(VAULT_PREFIX + id);
    const remembered = (await this.rememberedStores())[id];
    if (!isVaultRecord(vault) || !remembered) throw fail('not_connected', 'No key is saved on this device for this store: connect with your API keys.');
    let secret;
    try {
      secret = await openVault(vault, passphrase);
    } catch (e) {
      if (e instanceof VaultError) throw fail(e.code === 'wrong_passphrase' ? 'wrong_passphrase' : 'invalid_input', e.message, 'passphrase');
      throw e;
    }
    const gateway = isGateway(remembered) && vault.publicKey === '';
    /** @type {Config} */
    const cfg = gateway
      ? { mode: 'gateway', apiUrl: vault.apiUrl, gatewayUrl: String(/** @type {any} */ (remembered).gatewayUrl ?? vault.apiUrl.slice(0, -GATEWAY_CALL_PATH.length)), name: remembered.name }
      : { apiUrl: vault.apiUrl, publicKey: vault.publicKey, nonce: /** @type {any} */ (remembered).nonce !== false, name: remembered.name };
    const made = await this.makeClient(cfg, secret);
    if (made.id !== id) {
      closeClient(made.client);
      throw fail('internal', 'The saved key does not belong to this store: sign out of it and connect again.');
    }
    return this.withStore(id, 'exclusive', async () => {
      try {
        if (gateway) await made.client.basicInfo();
        else await this.noteLogin(id, await made.client.login());
      } catch (e) {
        closeClient(made.client);
        throw gateway ? gatewayError(e) : e;
      }
      this.setLive(id, made);
      if (gateway) await this.sessionKV.set(GW_TOKEN_PREFIX + id, secret);
      const ss = await this.sessionStores();
      ss.stores[id] = { ...cfg };
      ss.active = id;
      await this.saveSessionStores(ss);
      await this.noteLast(id);
      if (needsUpgrade(vault, this.vaultIterations)) {
        await this.localKV.set(VAULT_PREFIX + id, await sealVault({ privateKey: secret, publicKey: vault.publicKey, apiUrl: vault.apiUrl, passphrase, iterations: this.vaultIterations }));
      }
      return this.session(id);
    });
  }

  /** Logs the active (or given) store in again with the key in memory. @param {string} [storeId] */
  async login(storeId) {
    const id = storeId ?? await this.activeId();
    const l = await this.liveClient(id);
    if (!l) throw fail('not_connected', 'Not connected: enter your API keys.');
    if (isGateway(l.cfg)) throw fail('invalid_input', 'Through a gateway the console never logs in: the gateway holds the API keys.');
    if (!l.keyInMemory) throw fail('locked', 'The session expired and the private key is not in memory: unlock or connect again.');
    const r = await l.client.login();
    await this.noteLogin(id, r);
    return r;
  }

  /**
   * Locks one store: forgets its token and in-memory key, keeps its configuration and vault.
   * Through a gateway: forgets the gateway token (and so the session's configuration). Waits for
   * the store's calls in flight. Other stores are untouched.
   * @param {string} [storeId]
   */
  async lock(storeId) {
    const id = storeId ?? await this.activeId();
    await this.withStore(id, 'exclusive', async () => {
      const l = await this.liveClient(id);
      if (!l) return;
      await l.client.logout().catch(() => {});
      if (isGateway(l.cfg)) {
        await this.forgetSession(id);
      } else {
        this.setLive(id, await this.makeClient(l.cfg)); // a client without the private key
        await this.sessionKV.remove(CLOCK_PREFIX + id);
      }
    });
    return this.session(id);
  }

  /**
   * Signs out of one store: logs out and forgets it on this device (its vault too), but keeps its
   * nonce mark and operation records. Other stores are untouched; the active one becomes the
   * next store, if any.
   * @param {string} [storeId]
   */
  async signOut(storeId) {
    const id = storeId ?? await this.activeId();
    await this.withStore(id, 'exclusive', async () => {
      const l = await this.liveClient(id).catch(() => null);
      if (l) await l.client.logout().catch(() => {});
      await this.forgetSession(id);
      await this.localKV.remove(VAULT_PREFIX + id);
      const rem = await this.rememberedStores();
      if (id in rem) {
        delete rem[id];
        await this.localKV.set(K_STORES, rem);
      }
      if ((await this.localKV.get(K_LAST_STORE)) === id) await this.localKV.remove(K_LAST_STORE);
    });
    return this.session();
  }

  /** Forgets a store's client and its session records (token, gateway token, clock note). @param {string} id */
  async forgetSession(id) {
    this.dropLive(id);
    const ss = await this.sessionStores();
    delete ss.stores[id];
    if (ss.active === id) ss.active = Object.keys(ss.stores)[0] ?? '';
    await this.saveSessionStores(ss);
    await this.sessionKV.remove(TOKEN_PREFIX + id);
    await this.sessionKV.remove(GW_TOKEN_PREFIX + id);
    await this.sessionKV.remove(CLOCK_PREFIX + id);
  }

  /**
   * Runs one bridge method on a store's client (the active store when none is named), holding
   * the store's lock shared.
   * @param {string} method @param {unknown[]} args @param {string} [storeId]
   */
  async invoke(method, args, storeId) {
    const id = storeId || await this.activeId();
    if (!id) throw fail('not_connected', 'Not connected: open Connect and enter your API keys.');
    return this.withStore(id, 'shared', async () => {
      const l = await this.liveClient(id);
      if (!l) {
        const known = (await this.stores()).some((x) => x.id === id);
        throw known
          ? fail('locked', 'This store is locked: unlock it with your passphrase, or connect it again.')
          : fail('not_connected', 'This store is not connected any more (it was signed out, perhaps in another window). Nothing was sent.');
      }
      const fn = method === 'checkAddress' ? l.bridge.checkAddress : l.client[method];
      if (typeof fn !== 'function') throw fail('internal', `The wasm core has no ${method} function`);
      try {
        return await fn(...args);
      } catch (e) {
        if (isGateway(l.cfg)) throw gatewayError(e);
        if (e && typeof e === 'object' && /** @type {any} */ (e).code === 'auth' && !l.keyInMemory) {
          throw fail('locked', isVaultRecord(await this.localKV.get(VAULT_PREFIX + id))
            ? 'The session expired. Unlock with your passphrase to continue.'
            : 'The session expired. Connect again with your API keys.');
        }
        throw e;
      }
    });
  }

  /** Functions of the bridge that need no client (paymentUri, fiatValue, ...). @param {string} method @param {unknown[]} args */
  async free(method, args) {
    const bridge = await this.getBridge();
    if (typeof bridge[method] !== 'function') throw fail('internal', `The wasm core has no ${method} function`);
    return bridge[method](...args);
  }
}

/** @param {any} client */
function closeClient(client) {
  try { client?.close?.(); } catch { /* already closed */ }
}

/** @param {Config} c */
function defaultName(c) {
  try {
    const u = new URL(isGateway(c) ? /** @type {any} */ (c).gatewayUrl : c.apiUrl);
    return isGateway(c) ? `Gateway ${u.host}` : `${u.host} · ${String(/** @type {any} */ (c).publicKey).slice(0, 8)}`;
  } catch {
    return 'Store';
  }
}
