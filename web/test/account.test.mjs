import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account } from '../host/account.js';
import { checkConnectParams, isLoopback } from '../host/connect-params.js';
import { bridgeStorage, tuningOf, K_TUNING } from '../host/storage.js';
import { lockManager } from '../host/locks.js';
import { memoryKV } from '../host/kv.js';

// A stand-in for globalThis.wallexkit with createClient, as the real bridge has it: each client
// has its own options and keeps its token in the StorageAdapter it was given (pure-module test
// only). storeKey: "k-<public key>" with keys, "<apiUrl>|" through a gateway.
function fakeBridge(o = {}) {
  const made = [];
  const keyOf = (opts) => (opts.gatewayToken ? `${opts.apiUrl}|` : `k-${opts.publicKey}`);
  return {
    made,
    /** the last client's options */
    get cfg() { return made.at(-1)?.cfg; },
    async checkAddress() { return { ok: true }; },
    async createClient(cfg) {
      const key = keyOf(cfg);
      let closed = false;
      const live = () => { if (closed) throw new Error('closed client called'); };
      const gwGuard = () => {
        if (cfg.gatewayToken !== 'GWTOK') throw { code: 'auth', message: 'wallex get_basic_info: authentication failed: invalid bearer token (check the public and private key)', httpStatus: 401 };
      };
      const c = {
        cfg, storeKey: key, get closed() { return closed; },
        close() { closed = true; },
        async login() {
          live();
          if (cfg.gatewayToken) throw { code: 'invalid_input', message: 'never logs in', field: 'login' };
          if (cfg.privateKey !== 'PRIV') throw { code: 'auth', message: 'Invalid API key pair' };
          if (o.skew) {
            await cfg.storage.setToken(key, { access_token: 'Bearer t', expires_at: '0001-01-01T00:00:00Z', obtained_at: new Date().toISOString() });
            return { expiryUnknown: true };
          }
          const t = { access_token: 'Bearer t', expires_at: new Date(Date.now() + 3600e3).toISOString(), obtained_at: new Date().toISOString() };
          await cfg.storage.setToken(key, t);
          await cfg.storage.setNonce(key, 1000);
          return { expiresAt: t.expires_at };
        },
        async logout() { live(); await cfg.storage.deleteToken(key); },
        async session() {
          live();
          if (cfg.gatewayToken) return { loggedIn: true };
          const t = await cfg.storage.getToken(key);
          if (!t) return { loggedIn: false };
          return o.skew ? { loggedIn: true, expiryUnknown: true } : { loggedIn: true, expiresAt: t.expires_at };
        },
        async basicInfo() {
          live();
          if (cfg.gatewayToken) { gwGuard(); return { username: 'gw-demo', public_name: '' }; }
          if (!(await cfg.storage.getToken(key))) throw { code: 'auth', message: 'token expired' };
          return { username: `user-${cfg.publicKey}`, public_name: o.publicName?.[cfg.publicKey] ?? '' };
        },
        async createWithdrawal(p) {
          live();
          if (cfg.gatewayToken) {
            gwGuard();
            throw { code: 'api_error', message: 'wallex create_withdrawal: command create_withdrawal moves funds and is disabled on this gateway (set ALLOW_MONEY=1 to allow it)', retryable: false, httpStatus: 403 };
          }
          await cfg.storage.setOp(key, p.opId, JSON.stringify({ id: p.opId, state: 'sending' }));
          if (o.slowMoney) await o.slowMoney;
          await cfg.storage.setOp(key, p.opId, JSON.stringify({ id: p.opId, state: 'done' }));
          return { id: `W-${cfg.publicKey}`, status: 1, amount: p.amount };
        },
      };
      made.push(c);
      return c;
    },
  };
}

const P = { apiUrl: 'http://127.0.0.1:8787/api/', publicKey: 'pub', privateKey: 'PRIV' };
const P2 = { apiUrl: 'http://127.0.0.1:8787/api', publicKey: 'pub2', privateKey: 'PRIV' };

/** One bridge per host, as startBridge gives: made on first use. @param {() => any} make */
function once(make) {
  let b;
  return async () => (b ??= make());
}

/** Everything in both stores, as one text. */
async function dumpAll(/** @type {any[]} */ ...kvs) {
  const out = [];
  for (const kv of kvs) for (const k of await kv.keys('')) out.push(k, await kv.get(k));
  return JSON.stringify(out);
}

test('checkConnectParams: https only, except loopback; keys required; passphrase with remember', () => {
  assert.deepEqual(checkConnectParams(P), { apiUrl: 'http://127.0.0.1:8787/api', publicKey: 'pub', loopback: true });
  assert.throws(() => checkConnectParams({ ...P, apiUrl: 'http://example.com/api' }), (e) => e.field === 'apiUrl' && /https/.test(e.message));
  assert.throws(() => checkConnectParams({ ...P, apiUrl: 'wallexpay' }), (e) => e.field === 'apiUrl');
  assert.throws(() => checkConnectParams({ ...P, apiUrl: 'https://u:p@x.io/api' }), (e) => e.field === 'apiUrl');
  assert.throws(() => checkConnectParams({ ...P, publicKey: ' ' }), (e) => e.field === 'publicKey');
  assert.throws(() => checkConnectParams({ ...P, privateKey: '' }), (e) => e.field === 'privateKey');
  assert.throws(() => checkConnectParams({ ...P, remember: true, passphrase: 'short' }), (e) => e.field === 'passphrase' && e.code === 'invalid_input');
});

test('the storage adapter: token in the session store, nonce high-water mark in the local store, only moving up', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const a = bridgeStorage(s, l);
  assert.equal(await a.getToken('k'), null);
  assert.equal(await a.getNonce('k'), 0);
  await a.setToken('k', { access_token: 'x' });
  await a.setNonce('k', 5);
  await a.setNonce('k', 3);
  assert.deepEqual(await s.get('wk.token.k'), { access_token: 'x' });
  assert.equal(await l.get('wk.nonce.k'), 5);
  await a.deleteToken('k');
  assert.equal(await a.getToken('k'), null);
});

test('the storage adapter of several hosts: one claim of a money request at a time for every key (lockOps); a sole host needs none', async () => {
  const a = bridgeStorage(memoryKV(), memoryKV());
  const release = await a.lockOps('https://x/api|key1');
  let second = false;
  const other = a.lockOps('https://x/api|key2').then((r) => { second = true; return r; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(second, false, 'a claim under another key waits: the claim reads every key\'s records');
  release();
  (await other)();
  assert.equal(second, true);
  assert.equal(bridgeStorage(memoryKV(), memoryKV(), { marks: new Map() }).lockOps, undefined, 'the extension\'s worker: Go\'s own lock');
});

test('the storage adapter of a sole host: the mark read once, kept, written through in order and never lowered', async () => {
  const l = memoryKV();
  await l.set('wk.nonce.k', 1000);
  const writes = [];
  const slow = { ...l, async set(k, v) { await new Promise((r) => setTimeout(r, 5)); writes.push(v); await l.set(k, v); } };
  const marks = new Map();
  const a = bridgeStorage(memoryKV(), slow, { marks });
  assert.equal(await a.getNonce('k'), 1000, 'read from the store the first time');
  await l.set('wk.nonce.k', 1); // nobody else writes it; if someone did, the kept mark stays the higher one
  assert.equal(a.getNonce('k'), 1000, 'then kept (a plain number: no await in the bridge)');
  const p1 = a.setNonce('k', 1001);
  const p2 = a.setNonce('k', 1002);
  assert.equal(a.getNonce('k'), 1002);
  await p2;
  assert.deepEqual(writes, [1001, 1002], 'each mark written, in order, and stored before setNonce resolves');
  assert.equal(await l.get('wk.nonce.k'), 1002);
  await p1;
  await a.setNonce('k', 900);
  assert.equal(await l.get('wk.nonce.k'), 1002, 'never lowered');
  // a mark set before any read goes through the guarded path (read, compare, write)
  await l.set('wk.nonce.j', 50);
  const b = bridgeStorage(memoryKV(), l, { marks: new Map() });
  await b.setNonce('j', 10);
  assert.equal(await l.get('wk.nonce.j'), 50);
  assert.equal(await b.getNonce('j'), 50);
});

test('connect, restart without the key, the token carries on; no store ever holds the private key', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const b1 = fakeBridge();
  const a1 = new Account({ getBridge: async () => b1, sessionKV: s, localKV: l });
  const st = await a1.connect({ ...P, nonce: true });
  assert.equal(st.loggedIn, true);
  assert.equal(st.keyInMemory, true);
  assert.equal(st.storeId, 'k-pub');
  assert.equal(st.storeName, 'user-pub', 'named after the account when no name is given');
  assert.equal(b1.cfg.insecureHttp, true); // loopback http
  assert.equal(b1.cfg.nonce, true);
  assert.equal(b1.cfg.moneyNeedsNonces, true, 'money needs nonces in a browser');
  // the host restarts: a new Account and a new bridge over the same stores
  const b2 = fakeBridge();
  const a2 = new Account({ getBridge: async () => b2, sessionKV: s, localKV: l });
  assert.deepEqual(await a2.invoke('basicInfo', []), { username: 'user-pub', public_name: '' });
  assert.equal(b2.cfg.privateKey, undefined);
  assert.equal(b2.cfg.apiUrl, 'http://127.0.0.1:8787/api');
  assert.ok(!(await dumpAll(s, l)).includes('PRIV'));
  // without the key an expired session is reported as locked, with a clear message
  await s.remove('wk.token.k-pub');
  await assert.rejects(a2.invoke('basicInfo', []), (e) => e.code === 'locked' && /Connect again/.test(e.message));
});

test('a failed login leaves nothing configured, and its client is closed', async () => {
  const s = memoryKV();
  const b = fakeBridge();
  const a = new Account({ getBridge: async () => b, sessionKV: s, localKV: memoryKV() });
  await assert.rejects(a.connect({ ...P, privateKey: 'WRONG' }), (e) => e.code === 'auth');
  assert.equal((await a.session()).configured, false);
  assert.deepEqual((await a.stores()), []);
  assert.equal(b.made[0].closed, true);
  await assert.rejects(a.invoke('basicInfo', []), (e) => e.code === 'not_connected');
});

test('remember: vault sealed per store; lock keeps it; unlock needs the right passphrase; sign out deletes it', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const b = fakeBridge();
  const a = new Account({ getBridge: async () => b, sessionKV: s, localKV: l });
  await a.connect({ ...P, remember: true, passphrase: 'correct horse', name: 'Blue Mug Shop' });
  const vault = await l.get('wk.vault.k-pub');
  assert.equal(vault.iterations >= 600_000, true);
  assert.ok(!JSON.stringify(vault).includes('PRIV'));
  assert.equal((await l.get('wk.stores'))['k-pub'].name, 'Blue Mug Shop');
  let st = await a.lock();
  assert.equal(st.loggedIn, false);
  assert.equal(st.keyInMemory, false);
  assert.equal(st.hasVault, true);
  assert.equal(b.cfg.privateKey, undefined, 'lock drops the key: a new client without it');
  assert.equal(b.made.at(-2).closed, true, 'the client that held the key is closed');
  await assert.rejects(a.unlock('wrong horse!'), (e) => e.code === 'wrong_passphrase' && e.field === 'passphrase');
  st = await a.unlock('correct horse');
  assert.equal(st.loggedIn, true);
  assert.equal(st.keyInMemory, true);
  assert.equal(st.storeName, 'Blue Mug Shop');
  // after the browser restarts (session store empty) the remembered store is listed, locked
  const a2 = new Account({ getBridge: once(() => fakeBridge()), sessionKV: memoryKV(), localKV: l });
  assert.deepEqual((await a2.stores()).map((x) => [x.id, x.name, x.state]), [['k-pub', 'Blue Mug Shop', 'locked']]);
  assert.equal((await a2.session()).hasVault, true);
  st = await a.signOut();
  assert.equal(st.configured, false);
  assert.equal(st.storeId, '');
  assert.equal(await l.get('wk.vault.k-pub'), undefined);
  assert.deepEqual(await l.get('wk.stores'), {});
  assert.equal(await l.get('wk.nonce.k-pub'), 1000, 'the nonce high-water mark is never forgotten');
});

test('stores: two connections, each its own client, token, nonce and vault; switching shows each; signing out of one leaves the other', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const b = fakeBridge({ publicName: { pub2: 'Green Tea Co' } });
  const a = new Account({ getBridge: async () => b, sessionKV: s, localKV: l });
  await a.connect({ ...P, name: 'Blue Mug Shop', remember: true, passphrase: 'correct horse' });
  const st2 = await a.connect(P2);
  assert.equal(st2.storeName, 'Green Tea Co', 'named after its public name');
  assert.equal(st2.storeId, 'k-pub2', 'the last connected store is active');
  assert.deepEqual((await a.stores()).map((x) => [x.id, x.name, x.state]), [['k-pub', 'Blue Mug Shop', 'connected'], ['k-pub2', 'Green Tea Co', 'connected']]);
  // each call runs on its own store's client, whichever is active
  assert.equal((await a.invoke('basicInfo', [])).username, 'user-pub2');
  assert.equal((await a.invoke('basicInfo', [], 'k-pub')).username, 'user-pub');
  assert.equal((await a.switchStore('k-pub')).storeName, 'Blue Mug Shop');
  assert.equal((await a.invoke('basicInfo', [])).username, 'user-pub');
  for (const k of ['wk.token.k-pub', 'wk.token.k-pub2']) assert.ok(await s.get(k), k);
  for (const k of ['wk.nonce.k-pub', 'wk.nonce.k-pub2']) assert.equal(await l.get(k), 1000, k);
  assert.ok(await l.get('wk.vault.k-pub'));
  assert.equal(await l.get('wk.vault.k-pub2'), undefined, 'only the store that asked is remembered');
  assert.ok(!(await dumpAll(s, l)).includes('PRIV'), 'no private key in plain text anywhere');
  // sign out of the active one: the other stays connected and becomes active
  const after = await a.signOut();
  assert.equal(after.storeId, 'k-pub2');
  assert.equal(after.loggedIn, true);
  assert.deepEqual((await a.stores()).map((x) => x.id), ['k-pub2']);
  assert.equal(await s.get('wk.token.k-pub'), undefined);
  assert.equal(await l.get('wk.vault.k-pub'), undefined);
  assert.equal((await a.invoke('basicInfo', [])).username, 'user-pub2');
  await assert.rejects(a.invoke('basicInfo', [], 'k-pub'), (e) => e.code === 'not_connected' && /Nothing was sent/.test(e.message));
  // a name is the merchant's: renamed in place
  assert.equal((await a.renameStore('k-pub2', '  Tea   shop ')).storeName, 'Tea shop');
  await assert.rejects(a.renameStore('k-pub2', ' '), (e) => e.field === 'name');
});

test('stores: a money call of one store finishes in that store before it is locked, whatever is switched meanwhile', async () => {
  const s = memoryKV();
  const l = memoryKV();
  /** @type {() => void} */
  let answer = () => {};
  const slowMoney = new Promise((r) => { answer = () => r(undefined); });
  const b = fakeBridge({ slowMoney });
  const a = new Account({ getBridge: async () => b, sessionKV: s, localKV: l });
  await a.connect(P);
  await a.connect(P2); // active: k-pub2
  const order = [];
  const paying = a.invoke('createWithdrawal', [{ amount: '1', opId: 'op-A' }], 'k-pub').then((r) => { order.push(`paid ${r.id}`); });
  await new Promise((r) => setTimeout(r, 10));
  await a.switchStore('k-pub2');
  const locking = a.lock('k-pub').then(() => order.push('store A locked'));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, [], 'lock waits for the money call of its store');
  // a call of the other store is not held up
  assert.equal((await a.invoke('basicInfo', [], 'k-pub2')).username, 'user-pub2');
  answer();
  await Promise.all([paying, locking]);
  assert.deepEqual(order, ['paid W-pub', 'store A locked']);
  assert.deepEqual(Object.keys(await l.get('wk.ops.k-pub')), ['op-A'], 'its record is in its own store');
  assert.equal(await l.get('wk.ops.k-pub2'), undefined);
  assert.equal((await a.session('k-pub')).loggedIn, false);
  assert.equal((await a.session('k-pub2')).loggedIn, true);
});

test('the one-store console of earlier versions becomes a store', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const { sealVault } = await import('../host/vault.js');
  await s.set('wk.config', { apiUrl: 'http://127.0.0.1:8787/api', publicKey: 'pub', nonce: true });
  await s.set('wk.token.k-pub', { access_token: 'Bearer t', expires_at: new Date(Date.now() + 3600e3).toISOString(), obtained_at: new Date().toISOString() });
  await l.set('wk.remembered', { apiUrl: 'http://127.0.0.1:8787/api', publicKey: 'pub', nonce: true });
  await l.set('wk.vault', await sealVault({ privateKey: 'PRIV', publicKey: 'pub', apiUrl: 'http://127.0.0.1:8787/api', passphrase: 'correct horse' }));
  const a = new Account({ getBridge: once(() => fakeBridge()), sessionKV: s, localKV: l });
  const st = await a.session();
  assert.equal(st.storeId, 'k-pub');
  assert.equal(st.loggedIn, true);
  assert.equal(st.hasVault, true);
  for (const k of ['wk.config']) assert.equal(await s.get(k), undefined);
  for (const k of ['wk.remembered', 'wk.vault']) assert.equal(await l.get(k), undefined);
  assert.equal((await a.unlock('correct horse')).keyInMemory, true);
});

const G = { mode: 'gateway', gatewayUrl: 'https://pay-gateway.example.workers.dev/', gatewayToken: 'GWTOK' };

test('checkGatewayParams: https (loopback http), the call route is added once, token required', async () => {
  const { checkGatewayParams } = await import('../host/connect-params.js');
  assert.deepEqual(checkGatewayParams(G), { gatewayUrl: 'https://pay-gateway.example.workers.dev', apiUrl: 'https://pay-gateway.example.workers.dev/v1/call', gatewayToken: 'GWTOK' });
  assert.equal(checkGatewayParams({ ...G, gatewayUrl: 'http://127.0.0.1:9000/v1/call/' }).apiUrl, 'http://127.0.0.1:9000/v1/call');
  assert.equal(checkGatewayParams({ ...G, gatewayToken: ' Bearer GWTOK ' }).gatewayToken, 'GWTOK');
  assert.throws(() => checkGatewayParams({ ...G, gatewayUrl: 'http://gw.example.com' }), (e) => e.field === 'gatewayUrl' && /https/.test(e.message));
  assert.throws(() => checkGatewayParams({ ...G, gatewayUrl: 'gateway' }), (e) => e.field === 'gatewayUrl');
  assert.throws(() => checkGatewayParams({ ...G, gatewayUrl: 'https://gw.example.com/?x=1' }), (e) => e.field === 'gatewayUrl');
  assert.throws(() => checkGatewayParams({ ...G, gatewayToken: ' ' }), (e) => e.field === 'gatewayToken');
  assert.throws(() => checkGatewayParams({ ...G, remember: true, passphrase: 'short' }), (e) => e.field === 'passphrase');
});

test('through a gateway: token in the session store only, restored after a restart, refusals named', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const b1 = fakeBridge();
  const a1 = new Account({ getBridge: async () => b1, sessionKV: s, localKV: l });
  await assert.rejects(a1.connect({ ...G, gatewayToken: 'WRONG' }), (e) => e.code === 'gateway_token' && e.field === 'gatewayToken');
  assert.equal((await a1.session()).configured, false);
  const st = await a1.connect(G);
  const id = 'https://pay-gateway.example.workers.dev/v1/call|';
  assert.equal(st.storeId, id);
  assert.equal(st.loggedIn, true);
  assert.equal(st.mode, 'gateway');
  assert.equal(st.gatewayUrl, 'https://pay-gateway.example.workers.dev');
  assert.equal(st.expiresAt, undefined);
  assert.equal(st.keyInMemory, false);
  assert.equal(b1.cfg.gatewayToken, 'GWTOK');
  assert.equal(b1.cfg.privateKey, undefined);
  assert.equal(await s.get(`wk.gatewayToken.${id}`), 'GWTOK');
  assert.ok(!JSON.stringify(await s.get('wk.stores.session')).includes('GWTOK'));
  assert.deepEqual((await l.keys('')).filter((k) => k !== 'wk.stores.last'), [], 'nothing else in the local store');
  await assert.rejects(a1.login(), (e) => /never logs in/.test(e.message));
  // a money command the gateway does not allow: its reason, not "Wallex Pay refused"
  await assert.rejects(a1.invoke('createWithdrawal', [{}]), (e) => e.code === 'gateway_refused' && /^command create_withdrawal moves funds/.test(e.message));
  // the host restarts: the gateway mode comes back from the session store
  const b2 = fakeBridge();
  const a2 = new Account({ getBridge: async () => b2, sessionKV: s, localKV: l });
  assert.deepEqual(await a2.invoke('basicInfo', []), { username: 'gw-demo', public_name: '' });
  assert.equal(b2.cfg.gatewayToken, 'GWTOK');
  // the gateway stops accepting the token
  await s.set(`wk.gatewayToken.${id}`, 'REVOKED');
  const a3 = new Account({ getBridge: once(() => fakeBridge()), sessionKV: s, localKV: l });
  await assert.rejects(a3.invoke('basicInfo', []), (e) => e.code === 'gateway_token' && !/private key/.test(e.message));
  await s.set(`wk.gatewayToken.${id}`, 'GWTOK');
  // lock forgets the token, and the client that held it
  const st2 = await a2.lock();
  assert.equal(st2.configured, false);
  assert.equal(await s.get(`wk.gatewayToken.${id}`), undefined);
  assert.equal(b2.made.at(-1).closed, true);
  await assert.rejects(a2.invoke('basicInfo', []), (e) => e.code === 'not_connected');
});

test('through a gateway, remembered: the token sealed in the vault; unlock restores gateway mode', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const a = new Account({ getBridge: once(() => fakeBridge()), sessionKV: s, localKV: l });
  const id = 'https://pay-gateway.example.workers.dev/v1/call|';
  await a.connect({ ...G, remember: true, passphrase: 'correct horse' });
  const vault = await l.get(`wk.vault.${id}`);
  assert.equal(vault.publicKey, '');
  assert.equal(vault.apiUrl, 'https://pay-gateway.example.workers.dev/v1/call');
  assert.ok(!(await dumpAll(l)).includes('GWTOK'));
  let st = await a.lock();
  assert.equal(st.hasVault, true);
  assert.equal(st.mode, 'gateway');
  assert.equal(await s.get(`wk.gatewayToken.${id}`), undefined);
  await assert.rejects(a.unlock('wrong horse!'), (e) => e.code === 'wrong_passphrase');
  st = await a.unlock('correct horse');
  assert.equal(st.loggedIn, true);
  assert.equal(st.mode, 'gateway');
  assert.equal(await s.get(`wk.gatewayToken.${id}`), 'GWTOK');
  st = await a.signOut();
  assert.equal(st.hasVault, false);
  assert.equal(await s.get(`wk.gatewayToken.${id}`), undefined);
  assert.deepEqual(await l.get('wk.stores'), {});
});

test('the storage adapter keeps operation records per store key, as JSON texts, in the local store', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const a = bridgeStorage(s, l);
  assert.deepEqual(await a.getOps('k'), []);
  await a.setOp('k', 'op1', '{"id":"op1","state":"sending"}');
  await a.setOp('k', 'op2', '{"id":"op2","state":"sending"}');
  await a.setOp('k', 'op1', '{"id":"op1","state":"done"}');
  await a.setOp('other', 'op3', '{"id":"op3"}');
  assert.deepEqual(await a.getOps('k'), ['{"id":"op1","state":"done"}', '{"id":"op2","state":"sending"}']);
  assert.deepEqual(await l.get('wk.ops.k'), { op1: '{"id":"op1","state":"done"}', op2: '{"id":"op2","state":"sending"}' });
  await a.deleteOp('k', 'op1');
  await a.deleteOp('k', 'nope');
  assert.deepEqual(await a.getOps('k'), ['{"id":"op2","state":"sending"}']);
  assert.deepEqual(await s.keys(''), [], 'nothing of it in the session store');
  // concurrent writers (two tabs, a page and the worker) lose nothing
  await Promise.all(Array.from({ length: 20 }, (_, i) => a.setOp('k', `c${i}`, `{"id":"c${i}"}`)));
  assert.equal((await a.getOps('k')).length, 21);
});

test('payout journals: per store, appended in order, stored before append resolves, one run of a file at a time', async () => {
  const l = memoryKV();
  const a = bridgeStorage(memoryKV(), l, { store: 'k-A' });
  const sha = 'ab'.repeat(32);
  // a journal the one-store console wrote belongs to the first store that opens it
  await l.set(`wk.journal.${sha}`, ['{"v":1}']);
  assert.deepEqual(await a.loadJournal(sha), ['{"v":1}']);
  assert.equal(await l.get(`wk.journal.${sha}`), undefined);
  assert.deepEqual(await l.get(`wk.journal.k-A.${sha}`), ['{"v":1}'], 'stored under its store');
  await Promise.all([a.appendJournal(sha, ['{"line":2}', '{"line":3}']), a.appendJournal(sha, ['{"line":4}'])]);
  assert.deepEqual((await a.loadJournal(sha)).length, 4);
  // another store's run of the same file is its own
  const other = bridgeStorage(memoryKV(), l);
  await assert.rejects(other.loadJournal(sha), /store/);
  other.setStore('k-B');
  assert.throws(() => other.setStore('k-A'), /another store/);
  assert.deepEqual(await other.loadJournal(sha), []);
  // the run lock: a second run waits until the first releases
  const order = [];
  const release1 = await a.lockJournal(sha);
  const second = a.lockJournal(sha).then((release2) => { order.push('second'); release2(); });
  await new Promise((r) => setTimeout(r, 20));
  order.push('first done');
  release1();
  await second;
  assert.deepEqual(order, ['first done', 'second']);
  // other files, and the same file in another store, are not held up
  const r1 = await a.lockJournal(sha);
  const r2 = await a.lockJournal('cd'.repeat(32));
  const r3 = await other.lockJournal(sha);
  r1();
  r2();
  r3();
});

test('lockManager in memory: shared holders together, an exclusive one alone and in turn', async () => {
  const m = lockManager(null);
  const order = [];
  const s1 = await m.acquire('x', { mode: 'shared' });
  const s2 = await m.acquire('x', { mode: 'shared' });
  const ex = m.acquire('x').then((rel) => { order.push('exclusive'); return rel; });
  const s3 = m.acquire('x', { mode: 'shared' }).then((rel) => { order.push('shared after'); return rel; });
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(order, [], 'the exclusive one waits for the shared holders; later shared ones wait behind it');
  s1();
  s2();
  const relEx = await ex;
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(order, ['exclusive']);
  relEx();
  (await s3)();
  assert.deepEqual(order, ['exclusive', 'shared after']);
});

test('lockManager uses the Web Locks API when the host has one', async () => {
  const calls = [];
  const fakeLocks = {
    request(name, opts, fn) {
      calls.push([name, opts.mode]);
      return Promise.resolve(fn());
    },
  };
  const m = lockManager(fakeLocks);
  const release = await m.acquire('wk.journal.x.run');
  assert.equal(typeof release, 'function');
  release();
  (await m.acquire('wk.store.k', { mode: 'shared' }))();
  assert.deepEqual(calls, [['wk.journal.x.run', 'exclusive'], ['wk.store.k', 'shared']]);
});

test('tuningOf: whole milliseconds in range, anything else ignored', () => {
  assert.deepEqual(tuningOf(undefined), {});
  assert.deepEqual(tuningOf({ timeoutMs: 1000, inFlightWindowMs: 1500, fencePauseMs: 20 }), { timeoutMs: 1000, inFlightWindowMs: 1500, fencePauseMs: 20 });
  assert.deepEqual(tuningOf({ timeoutMs: 5, inFlightWindowMs: -1, fencePauseMs: 1.5, privateKey: 'x' }), {});
  assert.deepEqual(tuningOf({ timeoutMs: '1000' }), {});
});

test('the tuning hook (wk.tuning in the local store) reaches the client and the session', async () => {
  const s = memoryKV();
  const l = memoryKV();
  await l.set(K_TUNING, { timeoutMs: 1000, inFlightWindowMs: 1500, fencePauseMs: 20 });
  const b = fakeBridge();
  const a = new Account({ getBridge: async () => b, sessionKV: s, localKV: l });
  const st = await a.connect(P);
  assert.equal(b.cfg.timeoutMs, 1000);
  assert.equal(b.cfg.inFlightWindowMs, 1500);
  assert.equal(b.cfg.fencePauseMs, 20);
  assert.deepEqual(st.tuning, { timeoutMs: 1000, inFlightWindowMs: 1500, fencePauseMs: 20 });
});

test('a skewed server clock: the bridge reports the expiry unknown; the console stays connected and notes the clocks', async () => {
  const s = memoryKV();
  const l = memoryKV();
  // The server's clock is two hours behind: the core took its expires_at as unknown (as the
  // real bridge does: login answers {expiryUnknown: true}, session {loggedIn, expiryUnknown}).
  const a = new Account({ getBridge: once(() => fakeBridge({ skew: true })), sessionKV: s, localKV: l });
  const st = await a.connect(P);
  assert.equal(st.loggedIn, true);
  assert.equal(st.expiryUnknown, true);
  assert.equal(st.expiresAt, undefined);
  assert.equal(st.renewsOnUse, undefined, 'a token is held: nothing to renew yet');
  assert.match(st.clockSkew?.seenAt ?? '', /^\d{4}-/);
  // after a restart of the host (no key in memory) the token still carries on until a 401
  const a2 = new Account({ getBridge: once(() => fakeBridge({ skew: true })), sessionKV: s, localKV: l });
  const st2 = await a2.session();
  assert.equal(st2.loggedIn, true);
  assert.equal(st2.expiryUnknown, true);
  assert.equal(st2.keyInMemory, false);
  // a login whose token has a known expiry clears the note
  const a3 = new Account({ getBridge: once(() => fakeBridge()), sessionKV: s, localKV: l });
  const again = await a3.connect(P);
  assert.equal(again.clockSkew, undefined);
  assert.equal(again.expiryUnknown, undefined);
  assert.ok(Date.parse(String(again.expiresAt)) > Date.now());
});

test('a token that ran out while the key is in memory: connected, signs in again on the next call', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const a = new Account({ getBridge: once(() => fakeBridge()), sessionKV: s, localKV: l });
  await a.connect(P);
  await s.remove('wk.token.k-pub'); // expired and gone
  const st = await a.session();
  assert.equal(st.loggedIn, true);
  assert.equal(st.renewsOnUse, true);
});

test('isLoopback: the same hosts as Go core.IsLoopbackHost', () => {
  const yes = ['localhost', 'LOCALHOST', 'a.localhost', 'x.y.localhost', '127.0.0.1', '127.1.2.3', '127.255.255.255', '[::1]', '::1', '[0:0:0:0:0:0:0:1]', '[::ffff:7f00:1]', '[::ffff:127.0.0.1]'];
  const no = ['example.com', 'localhost.', 'localhost.example.com', '127.0.0.1.nip.io', '10.0.0.1', '0.0.0.0', '[::]', '[::2]', '127.000.0.1', '128.0.0.1', '[::ffff:10.0.0.1]', '[::127.0.0.1]', '[1:2:3:4:5:6:7::8]', ''];
  for (const h of yes) assert.equal(isLoopback(h), true, h);
  for (const h of no) assert.equal(isLoopback(h), false, h);
});
