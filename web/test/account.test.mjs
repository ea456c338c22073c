import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account, checkConnectParams, bridgeStorage, lockManager, tuningOf, isLoopback, K_TUNING } from '../lib/account.js';
import { memoryKV } from '../lib/kv.js';

// A minimal stand-in for globalThis.wallexkit that records configure calls and keeps its token
// in the StorageAdapter it is given, as the real bridge does (pure-module test only).
function fakeBridge() {
  const log = [];
  let cfg = null;
  return {
    log,
    get cfg() { return cfg; },
    async configure(o) { cfg = o; log.push(['configure', { ...o, storage: Boolean(o.storage) }]); return { storeKey: `k-${o.publicKey}` }; },
    async login() {
      if (!cfg.privateKey) throw { code: 'auth', message: 'no private key' };
      if (cfg.privateKey !== 'PRIV') throw { code: 'auth', message: 'Invalid API key pair' };
      const t = { access_token: 'Bearer t', expires_at: new Date(Date.now() + 3600e3).toISOString(), obtained_at: new Date().toISOString() };
      await cfg.storage.setToken(`k-${cfg.publicKey}`, t);
      await cfg.storage.setNonce(`k-${cfg.publicKey}`, 1000);
      return { expiresAt: t.expires_at };
    },
    async logout() { await cfg.storage.deleteToken(`k-${cfg.publicKey}`); },
    async session() {
      const t = await cfg.storage.getToken(`k-${cfg.publicKey}`);
      return t ? { loggedIn: true, expiresAt: t.expires_at } : { loggedIn: false };
    },
    async basicInfo() {
      const t = await cfg.storage.getToken(`k-${cfg.publicKey}`);
      if (!t) throw { code: 'auth', message: 'token expired' };
      return { username: 'demo' };
    },
  };
}

const P = { apiUrl: 'http://127.0.0.1:8787/api/', publicKey: 'pub', privateKey: 'PRIV' };

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

test('connect, restart without the key, the token carries on; no store ever holds the private key', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const b1 = fakeBridge();
  const a1 = new Account({ getBridge: async () => b1, sessionKV: s, localKV: l });
  const st = await a1.connect({ ...P, nonce: true });
  assert.equal(st.loggedIn, true);
  assert.equal(st.keyInMemory, true);
  assert.equal(b1.cfg.insecureHttp, true); // loopback http
  assert.equal(b1.cfg.nonce, true);
  // the host restarts: a new Account and a new bridge over the same stores
  const b2 = fakeBridge();
  const a2 = new Account({ getBridge: async () => b2, sessionKV: s, localKV: l });
  assert.deepEqual(await a2.invoke('basicInfo', []), { username: 'demo' });
  assert.equal(b2.cfg.privateKey, undefined);
  assert.equal(b2.cfg.apiUrl, 'http://127.0.0.1:8787/api');
  const dump = JSON.stringify([await Promise.all((await s.keys('')).map((k) => s.get(k))), await Promise.all((await l.keys('')).map((k) => l.get(k)))]);
  assert.ok(!dump.includes('PRIV'));
  // without the key an expired session is reported as locked, with a clear message
  await s.remove('wk.token.k-pub');
  await assert.rejects(a2.invoke('basicInfo', []), (e) => e.code === 'locked' && /Connect again/.test(e.message));
});

test('a failed login leaves nothing configured', async () => {
  const s = memoryKV();
  const b = fakeBridge();
  const a = new Account({ getBridge: async () => b, sessionKV: s, localKV: memoryKV() });
  await assert.rejects(a.connect({ ...P, privateKey: 'WRONG' }), (e) => e.code === 'auth');
  assert.equal((await a.session()).configured, false);
  assert.equal(await s.get('wk.config'), undefined);
  await assert.rejects(a.invoke('basicInfo', []), (e) => e.code === 'not_connected');
});

test('remember: vault sealed; lock keeps it; unlock needs the right passphrase; sign out deletes it', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const b = fakeBridge();
  const a = new Account({ getBridge: async () => b, sessionKV: s, localKV: l });
  await a.connect({ ...P, remember: true, passphrase: 'correct horse' });
  const vault = await l.get('wk.vault');
  assert.equal(vault.iterations >= 600_000, true);
  assert.ok(!JSON.stringify(vault).includes('PRIV'));
  let st = await a.lock();
  assert.equal(st.loggedIn, false);
  assert.equal(st.keyInMemory, false);
  assert.equal(st.hasVault, true);
  assert.equal(b.cfg.privateKey, undefined, 'lock drops the key from the Go client');
  await assert.rejects(a.unlock('wrong horse!'), (e) => e.code === 'wrong_passphrase' && e.field === 'passphrase');
  st = await a.unlock('correct horse');
  assert.equal(st.loggedIn, true);
  assert.equal(st.keyInMemory, true);
  st = await a.signOut();
  assert.equal(st.configured, false);
  assert.equal(st.hasVault, false);
  assert.equal(await l.get('wk.vault'), undefined);
  assert.equal(await l.get('wk.nonce.k-pub'), 1000, 'the nonce high-water mark is never forgotten');
});

// The bridge in gatewayToken mode: no key, no login; the gateway answers 401 for an unknown
// token and 403 (api_error) for a command it does not allow.
function fakeGatewayBridge() {
  let cfg = null;
  const log = [];
  const guard = () => {
    if (!cfg?.gatewayToken) throw { code: 'not_configured', message: 'configure first' };
    if (cfg.gatewayToken !== 'GWTOK') throw { code: 'auth', message: 'wallex get_basic_info: authentication failed: invalid bearer token (check the public and private key)', httpStatus: 401 };
  };
  return {
    log,
    get cfg() { return cfg; },
    async configure(o) { cfg = o; log.push({ ...o, storage: Boolean(o.storage) }); return { storeKey: `${o.apiUrl}|${o.publicKey ?? ''}` }; },
    async login() { throw { code: 'invalid_input', message: 'never logs in', field: 'login' }; },
    async logout() {},
    async session() { return cfg?.gatewayToken ? { loggedIn: true, expiresAt: '0001-01-01T00:00:00Z' } : { loggedIn: false }; },
    async basicInfo() { guard(); return { username: 'demo' }; },
    async createWithdrawal() {
      guard();
      throw { code: 'api_error', message: 'wallex create_withdrawal: command create_withdrawal moves funds and is disabled on this gateway (set ALLOW_MONEY=1 to allow it)', retryable: false, httpStatus: 403 };
    },
  };
}

const G = { mode: 'gateway', gatewayUrl: 'https://pay-gateway.example.workers.dev/', gatewayToken: 'GWTOK' };

test('checkGatewayParams: https (loopback http), the call route is added once, token required', async () => {
  const { checkGatewayParams } = await import('../lib/account.js');
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
  const b1 = fakeGatewayBridge();
  const a1 = new Account({ getBridge: async () => b1, sessionKV: s, localKV: l });
  await assert.rejects(a1.connect({ ...G, gatewayToken: 'WRONG' }), (e) => e.code === 'gateway_token' && e.field === 'gatewayToken');
  assert.equal((await a1.session()).configured, false);
  assert.equal(await s.get('wk.gatewayToken'), undefined);
  const st = await a1.connect(G);
  assert.equal(st.loggedIn, true);
  assert.equal(st.mode, 'gateway');
  assert.equal(st.gatewayUrl, 'https://pay-gateway.example.workers.dev');
  assert.equal(st.expiresAt, undefined);
  assert.equal(st.keyInMemory, false);
  assert.deepEqual(b1.log.at(-1), { apiUrl: 'https://pay-gateway.example.workers.dev/v1/call', gatewayToken: 'GWTOK', storage: true });
  assert.equal(await s.get('wk.gatewayToken'), 'GWTOK');
  assert.ok(!JSON.stringify(await s.get('wk.config')).includes('GWTOK'));
  assert.deepEqual(await l.keys(''), [], 'nothing in the local store');
  await assert.rejects(a1.login(), (e) => /never logs in/.test(e.message));
  // a money command the gateway does not allow: its reason, not "Wallex Pay refused"
  await assert.rejects(a1.invoke('createWithdrawal', [{}]), (e) => e.code === 'gateway_refused' && /^command create_withdrawal moves funds/.test(e.message));
  // the host restarts: the gateway mode comes back from the session store
  const b2 = fakeGatewayBridge();
  const a2 = new Account({ getBridge: async () => b2, sessionKV: s, localKV: l });
  assert.deepEqual(await a2.invoke('basicInfo', []), { username: 'demo' });
  assert.equal(b2.cfg.gatewayToken, 'GWTOK');
  assert.equal(b2.cfg.privateKey, undefined);
  // the gateway stops accepting the token
  await s.set('wk.gatewayToken', 'REVOKED');
  const b3 = fakeGatewayBridge();
  const a3 = new Account({ getBridge: async () => b3, sessionKV: s, localKV: l });
  await assert.rejects(a3.invoke('basicInfo', []), (e) => e.code === 'gateway_token' && !/private key/.test(e.message));
  await s.set('wk.gatewayToken', 'GWTOK');
  // lock forgets the token, and the Go client that held it
  const st2 = await a2.lock();
  assert.equal(st2.configured, false);
  assert.equal(await s.get('wk.gatewayToken'), undefined);
  assert.equal(b2.cfg.gatewayToken, undefined);
  await assert.rejects(a2.invoke('basicInfo', []), (e) => e.code === 'not_connected');
});

test('through a gateway, remembered: the token sealed in the vault; unlock restores gateway mode', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const b = fakeGatewayBridge();
  const a = new Account({ getBridge: async () => b, sessionKV: s, localKV: l });
  await a.connect({ ...G, remember: true, passphrase: 'correct horse' });
  const vault = await l.get('wk.vault');
  assert.equal(vault.publicKey, '');
  assert.equal(vault.apiUrl, 'https://pay-gateway.example.workers.dev/v1/call');
  assert.ok(!JSON.stringify(await Promise.all((await l.keys('')).map((k) => l.get(k)))).includes('GWTOK'));
  let st = await a.lock();
  assert.equal(st.hasVault, true);
  assert.equal(st.mode, 'gateway');
  assert.equal(await s.get('wk.gatewayToken'), undefined);
  await assert.rejects(a.unlock('wrong horse!'), (e) => e.code === 'wrong_passphrase');
  st = await a.unlock('correct horse');
  assert.equal(st.loggedIn, true);
  assert.equal(st.mode, 'gateway');
  assert.equal(await s.get('wk.gatewayToken'), 'GWTOK');
  st = await a.signOut();
  assert.equal(st.hasVault, false);
  assert.equal(await s.get('wk.gatewayToken'), undefined);
  assert.equal(await l.get('wk.remembered'), undefined);
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

test('payout journals: appended in order, stored before append resolves, one run of a file at a time', async () => {
  const l = memoryKV();
  const a = bridgeStorage(memoryKV(), l);
  const sha = 'ab'.repeat(32);
  assert.deepEqual(await a.loadJournal(sha), []);
  await a.appendJournal(sha, ['{"v":1}']);
  assert.deepEqual(await l.get(`wk.journal.${sha}`), ['{"v":1}'], 'stored when append resolves');
  await Promise.all([a.appendJournal(sha, ['{"line":2}', '{"line":3}']), a.appendJournal(sha, ['{"line":4}'])]);
  assert.deepEqual((await a.loadJournal(sha)).length, 4);
  // the run lock: a second run waits until the first releases
  const order = [];
  const release1 = await a.lockJournal(sha);
  const second = a.lockJournal(sha).then((release2) => { order.push('second'); release2(); });
  await new Promise((r) => setTimeout(r, 20));
  order.push('first done');
  release1();
  await second;
  assert.deepEqual(order, ['first done', 'second']);
  // other files are not held up
  const r1 = await a.lockJournal(sha);
  const r2 = await a.lockJournal('cd'.repeat(32));
  r1();
  r2();
});

test('lockManager uses the Web Locks API when the host has one', async () => {
  const calls = [];
  const fakeLocks = {
    request(name, fn) {
      calls.push(name);
      return Promise.resolve(fn());
    },
  };
  const m = lockManager(fakeLocks);
  const release = await m.acquire('wk.journal.x.run');
  assert.equal(typeof release, 'function');
  release();
  assert.deepEqual(calls, ['wk.journal.x.run']);
});

test('tuningOf: whole milliseconds in range, anything else ignored', () => {
  assert.deepEqual(tuningOf(undefined), {});
  assert.deepEqual(tuningOf({ timeoutMs: 1000, inFlightWindowMs: 1500, fencePauseMs: 20 }), { timeoutMs: 1000, inFlightWindowMs: 1500, fencePauseMs: 20 });
  assert.deepEqual(tuningOf({ timeoutMs: 5, inFlightWindowMs: -1, fencePauseMs: 1.5, privateKey: 'x' }), {});
  assert.deepEqual(tuningOf({ timeoutMs: '1000' }), {});
});

test('the tuning hook (wk.tuning in the local store) reaches configure and the session', async () => {
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
  const b = fakeBridge();
  const freshLogin = b.login;
  const freshSession = b.session;
  b.login = async () => {
    const t = { access_token: 'Bearer t', expires_at: '0001-01-01T00:00:00Z', obtained_at: new Date().toISOString() };
    await b.cfg.storage.setToken(`k-${b.cfg.publicKey}`, t);
    return { expiryUnknown: true };
  };
  b.session = async () => {
    const t = await b.cfg.storage.getToken(`k-${b.cfg.publicKey}`);
    return t ? { loggedIn: true, expiryUnknown: true } : { loggedIn: false };
  };
  const a = new Account({ getBridge: async () => b, sessionKV: s, localKV: l });
  const st = await a.connect(P);
  assert.equal(st.loggedIn, true);
  assert.equal(st.expiryUnknown, true);
  assert.equal(st.expiresAt, undefined);
  assert.equal(st.renewsOnUse, undefined, 'a token is held: nothing to renew yet');
  assert.match(st.clockSkew?.seenAt ?? '', /^\d{4}-/);
  // after a restart of the host (no key in memory) the token still carries on until a 401
  const b2 = fakeBridge();
  b2.session = b.session;
  const a2 = new Account({ getBridge: async () => b2, sessionKV: s, localKV: l });
  const st2 = await a2.session();
  assert.equal(st2.loggedIn, true);
  assert.equal(st2.expiryUnknown, true);
  assert.equal(st2.keyInMemory, false);
  // a login whose token has a known expiry clears the note
  b.login = freshLogin;
  b.session = freshSession;
  const again = await a.connect(P);
  assert.equal(again.clockSkew, undefined);
  assert.equal(again.expiryUnknown, undefined);
  assert.ok(Date.parse(String(again.expiresAt)) > Date.now());
});

test('a token that ran out while the key is in memory: connected, signs in again on the next call', async () => {
  const s = memoryKV();
  const l = memoryKV();
  const b = fakeBridge();
  const a = new Account({ getBridge: async () => b, sessionKV: s, localKV: l });
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
