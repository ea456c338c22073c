import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account, checkConnectParams, bridgeStorage } from '../lib/account.js';
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
