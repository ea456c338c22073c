// Node tests of the wasm bridge (globalThis.wallexkit) against the local sandbox.
// Run through wasm/test/run-go-wasm-tests.sh (it starts the sandbox and builds the bridge).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxEnv, loadBridge, admin, newKey, stats, recordingStorage, rejection } from './lib.mjs';

let wk;
let env;

before(async () => {
  env = sandboxEnv();
  wk = await loadBridge();
});

const keyed = (k, extra = {}) => ({ apiUrl: env.apiUrl, publicKey: k.publicKey, privateKey: k.privateKey, ...extra });
const demo = (extra = {}) => ({ apiUrl: env.apiUrl, publicKey: env.publicKey, privateKey: env.privateKey, ...extra });

const FUNCTIONS = ['configure', 'login', 'logout', 'session', 'call', 'basicInfo', 'balances', 'depositAddress', 'rates',
  'createTransaction', 'callbackAddress', 'txInfo', 'txInfoMulti', 'txIds', 'createTransfer', 'createWithdrawal',
  'createMassWithdrawal', 'convert', 'withdrawalHistory', 'withdrawalInfo', 'reconcile'];

function assertErrorShape(e) {
  assert.equal(Object.getPrototypeOf(e), Object.prototype, 'rejections are plain objects');
  assert.equal(typeof e.code, 'string');
  assert.equal(typeof e.message, 'string');
  assert.equal(typeof e.retryable, 'boolean');
  assert.deepEqual(structuredClone(e), e);
}

test('API surface; calls before configure reject with not_configured', async () => {
  assert.equal(typeof wk.version, 'string');
  for (const f of FUNCTIONS) assert.equal(typeof wk[f], 'function', f);
  const p = wk.basicInfo();
  assert.ok(p instanceof Promise);
  const e = await rejection(p);
  assertErrorShape(e);
  assert.equal(e.code, 'not_configured');
});

test('configure validates its options', async () => {
  let e = await rejection(wk.configure({ apiUrl: 'http://example.com/api', publicKey: 'k' }));
  assert.equal(e.code, 'invalid_input');
  assert.equal(e.field, 'apiUrl');
  assert.match(e.message, /insecure/i);
  // the option to opt in with is this one's, not the CLI's flag or the Go option
  assert.match(e.message, /insecureHttp: true/);
  assert.doesNotMatch(e.message, /--insecure-http|core\.With/);
  e = await rejection(wk.configure({ apiUrl: env.apiUrl, publicKey: 42 }));
  assert.equal(e.field, 'publicKey');
  e = await rejection(wk.configure({ apiUrl: env.apiUrl, publicKey: 'k', storage: { getToken() {} } }));
  assert.equal(e.code, 'invalid_input');
  assert.equal(e.field, 'storage.setToken');
  e = await rejection(wk.configure({ apiUrl: env.apiUrl, publicKey: 'k', format: 'yaml' }));
  assert.equal(e.field, 'format');
  e = await rejection(wk.configure());
  assert.equal(e.code, 'invalid_input');
});

test('login, session, basicInfo, balances, rates, depositAddress', async () => {
  const { storeKey } = await wk.configure(demo());
  assert.ok(storeKey.includes(env.publicKey));
  const { expiresAt } = await wk.login();
  assert.match(expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Date.parse(expiresAt) > Date.now());
  assert.deepEqual(await wk.session(), { loggedIn: true, expiresAt });

  const info = await wk.basicInfo();
  assert.equal(typeof info.merchant_id, 'string');
  assert.ok(info.merchant_id.length > 0);
  assert.equal(typeof info.username, 'string');
  assert.deepEqual(structuredClone(info), info);

  await admin('PUT', `/accounts/${info.merchant_id}/balances`, { BTC: '1.5', LTCT: '0.00000001' });
  const bal = await wk.balances();
  const btc = bal.coins.find((c) => c.coin === 'BTC');
  assert.deepEqual(btc, { coin: 'BTC', amount: '1.50000000' });
  assert.deepEqual(bal.coins.find((c) => c.coin === 'LTCT'), { coin: 'LTCT', amount: '0.00000001' });
  const all = await wk.balances({ all: true });
  assert.ok(all.coins.length > bal.coins.length, 'all: true includes zero balances');
  for (const c of all.coins) assert.equal(typeof c.amount, 'string');

  const rates = await wk.rates({ accepted: true });
  assert.ok(rates.coins.length > 0);
  const r = rates.coins.find((c) => c.coin === 'BTC');
  assert.equal(typeof r.rate_btc, 'string');
  assert.equal(r.accepted, true);

  const addr = await wk.depositAddress('btc');
  assert.equal(addr.currency, 'BTC');
  assert.ok(addr.address.length > 10);
});

test('call returns the result and the raw body', async () => {
  await wk.configure(demo());
  const r = await wk.call('get_basic_info');
  assert.equal(typeof r.result.merchant_id, 'string');
  assert.equal(typeof r.raw, 'string');
  assert.equal(JSON.parse(r.raw).error, 'ok');
  const b = await wk.call('balances', { all: '1' });
  assert.equal(typeof b.result, 'object');
  let e = await rejection(wk.call('balances', { all: 1 }));
  assert.equal(e.code, 'invalid_input');
  assert.equal(e.field, 'all');
  e = await rejection(wk.call('balances', { nonce: '5' }));
  assert.equal(e.field, 'nonce');
  e = await rejection(wk.call('Bad Cmd'));
  assert.equal(e.field, 'cmd');
});

test('invalid input: bad ticker, number amount, missing field', async () => {
  await wk.configure(demo());
  let e = await rejection(wk.depositAddress('B$C'));
  assertErrorShape(e);
  assert.equal(e.code, 'invalid_input');
  assert.equal(e.field, 'currency');
  assert.equal(e.retryable, false);
  e = await rejection(wk.createTransaction({ amount: 0.1, currency1: 'USD', currency2: 'BTC', buyerEmail: 'a@b.c' }));
  assert.equal(e.field, 'amount');
  assert.match(e.message, /string/);
  e = await rejection(wk.createTransaction({ amount: '1.5', currency1: 'USD', currency2: 'BTC' }));
  assert.equal(e.field, 'buyerEmail');
  e = await rejection(wk.createWithdrawal({ amount: '0.000000001', currency: 'BTC', address: 'x' }));
  assert.equal(e.field, 'amount');
  e = await rejection(wk.createTransfer({ amount: '1', currency: 'BTC' }));
  assert.equal(e.field, 'merchant/toAddress');
  e = await rejection(wk.createMassWithdrawal([{ key: 'a', amount: '1', currency: 'BTC', address: 'x', destTag: 5 }]));
  assert.equal(e.field, 'items[0].destTag');
  e = await rejection(wk.createMassWithdrawal([{ key: 'a', amount: '1', currency: 'B$', address: 'x' }]));
  assert.equal(e.field, 'items[a].currency');
  e = await rejection(wk.txIds({ pageSize: 1.5 }));
  assert.equal(e.field, 'pageSize');
  e = await rejection(wk.txInfoMulti('abc'));
  assert.equal(e.field, 'ids');
});

test('permission and API errors', async () => {
  const k = await newKey(['get_basic_info']);
  await wk.configure(keyed(k));
  await wk.basicInfo();
  let e = await rejection(wk.balances());
  assertErrorShape(e);
  assert.equal(e.code, 'permission');
  assert.match(e.message, /balances/);
  assert.equal(e.cmd, 'balances', 'the command to enable, for the console to name');
  assert.equal(e.retryable, false);
  e = await rejection(wk.call('no_such_command'));
  assert.equal(e.code, 'api_error');
  assert.match(e.message, /Unknown command/);
});

test('a refused login names no secret', async () => {
  const secret = 'wrong-private-key-' + 'x'.repeat(20);
  await wk.configure(demo({ privateKey: secret }));
  const e = await rejection(wk.login());
  assertErrorShape(e);
  assert.equal(e.code, 'auth');
  assert.ok(!JSON.stringify(e).includes(secret));
  const e2 = await rejection(wk.configure(demo({ privateKey: undefined })));
  assert.equal(e2.code, 'invalid_input');
  assert.equal(e2.field, 'privateKey');
});

test('a client takes only the token its own key pair logged in for; without a private key, only with tokenOnly and its own storage', async () => {
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '10' });
  const right = await wk.createClient(keyed(k));
  await right.balances();
  // the same public key (not a secret) with a wrong private key, in the same process: before,
  // it used the token the right one had logged in for, and moved money with it
  const wrong = await wk.createClient(keyed(k, { privateKey: 'not-the-private-key' }));
  const e = await rejection(wrong.createWithdrawal({ amount: '0.01', currency: 'BTC', address: 'bc1qthief' }));
  assert.equal(e.code, 'auth', e.message);
  assert.equal((await right.withdrawalHistory()).length, 0);
  // no private key: refused, unless tokenOnly with the caller's own storage (a page that kept the token)
  for (const extra of [{}, { tokenOnly: true }]) {
    const r = await rejection(wk.createClient(keyed(k, { privateKey: undefined, ...extra })));
    assert.equal(r.field, 'privateKey', JSON.stringify(extra));
  }
  const storage = recordingStorage();
  const withKey = await wk.createClient(keyed(k, { storage }));
  await withKey.balances();
  const resumed = await wk.createClient(keyed(k, { privateKey: undefined, tokenOnly: true, storage }));
  await resumed.balances(); // the token the storage kept, no login
  await resumed.basicInfo();
});

test('an HTML 502 is a retryable transport error with its status', async () => {
  const k = await newKey();
  await wk.configure(keyed(k));
  await wk.login();
  await admin('POST', '/faults', { kind: 'html', count: 5, key: k.publicKey, cmd: 'get_basic_info' });
  const e = await rejection(wk.basicInfo());
  assertErrorShape(e);
  assert.equal(e.code, 'transport');
  assert.equal(e.httpStatus, 502);
  assert.equal(e.retryable, true);
});

test('timeoutMs aborts a slow call', async () => {
  const k = await newKey();
  await wk.configure(keyed(k, { timeoutMs: 300 }));
  await wk.login();
  await admin('POST', '/faults', { kind: 'delay', count: 1, delay_ms: 3000, key: k.publicKey, cmd: 'get_basic_info' });
  const t0 = Date.now();
  const e = await rejection(wk.basicInfo());
  const took = Date.now() - t0;
  assert.equal(e.code, 'transport');
  assert.match(e.message, /deadline exceeded/);
  assert.ok(took < 1000, `took ${took} ms`);
});

test('storage adapter: token saved, reused by a second configure, deleted by logout', async () => {
  const k = await newKey();
  const st = recordingStorage();
  const { storeKey } = await wk.configure(keyed(k, { storage: st }));
  await wk.login();
  assert.ok(st.calls.some(([m, key]) => m === 'setToken' && key === storeKey));
  const tok = st.tokens.get(storeKey);
  assert.match(tok.access_token, /^Bearer /);
  assert.ok(Date.parse(tok.expires_at) > Date.now());
  assert.ok(Date.parse(tok.obtained_at) <= Date.now());

  // A new client (as after a service-worker restart): the token comes from storage.
  st.calls.length = 0;
  await wk.configure(keyed(k, { storage: st }));
  assert.equal((await wk.session()).loggedIn, true);
  await wk.basicInfo();
  await wk.balances();
  assert.ok(st.calls.some(([m]) => m === 'getToken'));
  assert.ok(!st.calls.some(([m]) => m === 'setToken'), 'no new login');
  assert.equal((await stats(k.publicKey)).logins, 1);

  await wk.logout();
  assert.ok(st.calls.some(([m, key]) => m === 'deleteToken' && key === storeKey));
  assert.equal(st.tokens.size, 0);
  assert.deepEqual(await wk.session(), { loggedIn: false });
});

test('storage adapter errors reject the call', async () => {
  const k = await newKey();
  const st = recordingStorage();
  st.getToken = async () => { throw new Error('storage is locked'); };
  await wk.configure(keyed(k, { storage: st }));
  const e = await rejection(wk.basicInfo());
  assertErrorShape(e);
  assert.match(e.message, /storage is locked/);
});

test('nonce mode: 20 concurrent calls, no nonce errors, no overlaps', async () => {
  const k = await newKey();
  const st = recordingStorage();
  const { storeKey } = await wk.configure(keyed(k, { storage: st, nonce: true }));
  const results = await Promise.all(Array.from({ length: 20 }, () => wk.basicInfo()));
  assert.equal(results.length, 20);
  const s = await stats(k.publicKey);
  assert.equal(s.nonce_errors, 0);
  assert.equal(s.overlaps, 0);
  assert.ok(s.calls >= 20);
  const sent = st.calls.filter(([m]) => m === 'setNonce').map(([, , n]) => n);
  assert.ok(sent.length >= 20);
  for (let i = 1; i < sent.length; i++) assert.ok(sent[i] > sent[i - 1], 'nonces strictly increase');
  assert.equal(st.nonces.get(storeKey), sent.at(-1));
});

test('format xml is refused with what to use instead (the XML decoder is not in this build)', async () => {
  const e = await rejection(wk.configure(demo({ format: 'xml' })));
  assert.equal(e.code, 'invalid_input');
  assert.equal(e.field, 'format');
  assert.match(e.message, /must be "json" here/);
  await wk.configure(demo({ format: 'json' }));
  assert.equal(typeof (await wk.basicInfo()).merchant_id, 'string');
});

test('createTransaction + txInfo + txIds + txInfoMulti + reconcile', async () => {
  const k = await newKey();
  await wk.configure(keyed(k));
  const invoice = 'inv-' + Date.now();
  const tx = await wk.createTransaction({ amount: '10', currency1: 'USD', currency2: 'BTC', buyerEmail: 'buyer@example.com', invoice });
  assert.equal(typeof tx.txn_id, 'string');
  assert.match(tx.amount, /^\d+\.\d{8}$/);
  assert.equal(tx.currency, 'BTC');
  assert.equal(typeof tx.timeout, 'number');
  assert.ok(tx.timeout > 0 && tx.timeout < 1e7, 'timeout is in seconds');
  const info = await wk.txInfo(tx.txn_id, true);
  assert.equal(info.txn_id, tx.txn_id);
  assert.equal(info.status, 0);
  assert.equal(info.amount, tx.amount);
  assert.equal(info.received, '0.00000000');
  assert.ok(Date.parse(info.time_expires) > Date.now());
  assert.equal(info.checkout.invoice, invoice);
  assert.equal((await wk.txInfo(tx.txn_id)).checkout, undefined);
  assert.deepEqual(await wk.txIds({ limit: 10 }), [tx.txn_id]);
  const multi = await wk.txInfoMulti([tx.txn_id, 'NO-SUCH-TX']);
  assert.equal(multi[tx.txn_id].info.txn_id, tx.txn_id);
  assert.equal(multi['NO-SUCH-TX'].error.code, 'api_error');
  const rec = await wk.reconcile({ cmd: 'create_transaction', amount: '10', currency: 'BTC', invoice, sinceMs: Date.now() - 60_000 });
  assert.equal(rec.verdict, 'found');
  assert.deepEqual(rec.txnIds, [tx.txn_id]);
});

test('withdrawals: create, info, history, mass (per-item errors), reconcile', async () => {
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '1' });
  await wk.configure(keyed(k));
  const w = await wk.createWithdrawal({ amount: '0.2', currency: 'BTC', address: 'bc1qsbxwasmtest1', note: 'w-1', autoConfirm: true });
  assert.equal(typeof w.id, 'string');
  assert.equal(w.amount, '0.20000000');
  const wi = await wk.withdrawalInfo(w.id);
  assert.equal(wi.id, w.id);
  assert.equal(wi.amount, '0.20000000');
  assert.equal(wi.send_address, 'bc1qsbxwasmtest1');
  const mass = await wk.createMassWithdrawal([
    { key: 'ok1', amount: '0.01', currency: 'BTC', address: 'bc1qsbxwasmtest2' },
    { key: 'big', amount: '500', currency: 'BTC', address: 'bc1qsbxwasmtest3' },
  ]);
  assert.equal(mass.length, 2);
  assert.equal(mass[0].key, 'ok1');
  assert.equal(mass[0].amount, '0.01000000');
  assert.equal(typeof mass[0].id, 'string');
  assert.equal(mass[1].key, 'big');
  assert.equal(mass[1].id, undefined);
  assert.equal(mass[1].error.code, 'api_error');
  const hist = await wk.withdrawalHistory({ limit: 10 });
  assert.deepEqual(hist.map((x) => x.id).sort(), [w.id, mass[0].id].sort());
  for (const h of hist) assert.equal(typeof h.amount, 'string');
  const rec = await wk.reconcile({ cmd: 'create_withdrawal', amount: '0.2', currency: 'BTC', address: 'bc1qsbxwasmtest1', note: 'w-1' });
  assert.equal(rec.verdict, 'found');
  assert.equal(rec.withdrawals[0].id, w.id);
  // By its fields, without the original's nonce: the fence says nothing of a request another key
  // or tool may have sent, so it waits for its in-flight bound; with its nonce (sent with this
  // key), the fence proves the miss at once.
  const unknown = await wk.reconcile({ cmd: 'create_withdrawal', amount: '0.3', currency: 'BTC', address: 'bc1qsbxwasmtest1' });
  assert.equal(unknown.verdict, 'in_flight', unknown.detail);
  assert.ok(unknown.untilMs > Date.now(), 'waits until its bound');
  assert.ok(Math.abs(unknown.assumedSentAtMs - Date.now()) < 60_000, 'says the send time its wait counted from');
  const none = await wk.reconcile({ cmd: 'create_withdrawal', amount: '0.3', currency: 'BTC', address: 'bc1qsbxwasmtest1', nonce: 1 });
  assert.equal(none.verdict, 'not_found');
  assert.equal(none.proven, true);
});

test('a dropped money call is outcome_unknown with a ref, and reconcile finds it', async () => {
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '1' });
  await wk.configure(keyed(k));
  await wk.login();
  await admin('POST', '/faults', { kind: 'commit_drop', count: 1, key: k.publicKey, cmd: 'create_withdrawal' });
  const e = await rejection(wk.createWithdrawal({ amount: '0.25', currency: 'BTC', address: 'bc1qsbxwasmtest9', note: 'drop-1' }));
  assertErrorShape(e);
  assert.equal(e.code, 'outcome_unknown');
  assert.equal(e.retryable, false);
  assert.equal(e.cmd, 'create_withdrawal');
  assert.deepEqual(e.ref, { amount: '0.25', currency: 'BTC', address: 'bc1qsbxwasmtest9', note: 'drop-1' });
  assert.equal((await stats(k.publicKey)).by_cmd.create_withdrawal, 1, 'never resent');
  const rec = await wk.reconcile({ cmd: e.cmd, ...e.ref });
  assert.equal(rec.verdict, 'found');
});

test('transfer and convert', async () => {
  const k = await newKey();
  const other = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '1' });
  await wk.configure(keyed(k));
  const t = await wk.createTransfer({ amount: '0.1', currency: 'BTC', merchant: other.merchantId, autoConfirm: true });
  assert.equal(typeof t.id, 'string');
  assert.equal(typeof t.status, 'number');
  const c = await wk.convert({ amount: '0.1', from: 'BTC', to: 'BCH' });
  assert.equal(typeof c.id, 'string');
  assert.ok(c.id.length > 0);
  const bal = await wk.balances();
  assert.equal(bal.coins.find((x) => x.coin === 'BTC').amount, '0.80000000');
});

test('gatewayToken: calls carry the bearer token, never log in, and hold no key', async () => {
  const k = await newKey();
  // A real login issues the token, as the gateway would hold one.
  const storage = recordingStorage();
  await wk.configure(keyed(k, { storage }));
  await wk.login();
  const token = storage.tokens.values().next().value.access_token;
  const e = await rejection(wk.configure({ apiUrl: env.apiUrl, gatewayToken: token, privateKey: 'x' }));
  assert.equal(e.field, 'gatewayToken');
  // The sandbox wants the key field; a gateway ignores it and the bridge then sends none.
  await wk.configure({ apiUrl: env.apiUrl, publicKey: k.publicKey, gatewayToken: token });
  const info = await wk.basicInfo();
  assert.equal(info.merchant_id, k.merchantId);
  assert.equal((await wk.session()).loggedIn, true);
  assert.equal((await rejection(wk.login())).code, 'invalid_input');
  assert.equal((await stats(k.publicKey)).logins, 1, 'only the login that issued the token');
});

// Spec §2: expires_at is read as UTC; a server whose clock is behind hands out tokens that look
// expired on arrival. The core then takes the expiry as unknown and uses the token until a 401.
test('a token already expired at login (server clock behind): expiryUnknown, used without logging in again', async () => {
  const k = await newKey();
  const Real = Date;
  const skew = 2 * 3600e3; // this machine runs two hours ahead of the sandbox
  class Skewed extends Real {
    constructor(...a) { if (a.length) super(...a); else super(Real.now() + skew); }
    static now() { return Real.now() + skew; }
  }
  globalThis.Date = /** @type {any} */ (Skewed);
  try {
    await wk.configure(keyed(k, { storage: recordingStorage() }));
    assert.deepEqual(await wk.login(), { expiryUnknown: true });
    assert.deepEqual(await wk.session(), { loggedIn: true, expiryUnknown: true });
    await wk.basicInfo();
    await wk.balances();
    assert.equal((await stats(k.publicKey)).logins, 1, 'no login before each call');
  } finally {
    globalThis.Date = Real;
  }
});

test('verifyIpn: a call without the secret, the merchant ID or the HMAC header says what to pass, in JavaScript terms', async () => {
  const body = 'ipn_version=1.0&ipn_id=x&ipn_mode=hmac&ipn_type=api&merchant=m1&status=100&status_text=Complete';
  let e = await rejection(wk.verifyIpn({ body, hmac: 'ab', merchantId: 'm1', secret: undefined }));
  assertErrorShape(e);
  assert.deepEqual([e.code, e.field], ['invalid_input', 'secret']);
  assert.doesNotMatch(e.message, /NewVerifier/, 'a Go constructor the JavaScript caller never called');
  assert.match(e.message, /secret/);
  e = await rejection(wk.verifyIpn({ body, hmac: 'ab', merchantId: undefined, secret: 's' }));
  assert.deepEqual([e.code, e.field], ['invalid_input', 'merchantId']);
  assert.doesNotMatch(e.message, /NewVerifier/);
  assert.match(e.message, /merchantId/);
  e = await rejection(wk.verifyIpn({ body, hmac: undefined, merchantId: 'm1', secret: 's' }));
  assert.deepEqual([e.code, e.field], ['invalid_input', 'ipn']);
  assert.match(e.message, /not trusted/);
  assert.match(e.message, /HMAC header/, 'names where the signature comes from');
});

test('reconcileOp of a withdrawal this client carried out answers its id, with no made-up amount, coin, status or time', async () => {
  // The record holds only the id the answer named: zero values (amount 0.00000000, status 0
  // "awaiting email confirmation", time 0001-01-01) read as facts about the withdrawal.
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '1' });
  await wk.configure(keyed(k));
  const w = await wk.createWithdrawal({ amount: '0.2', currency: 'BTC', address: 'bc1qsbxwasmtest1', opId: 'rop-1' });
  const r = await wk.reconcileOp('rop-1');
  assert.equal(r.verdict, 'found', r.detail);
  assert.equal(r.proven, true);
  assert.deepEqual(r.withdrawals, [{ id: w.id }]);
  const wi = await wk.withdrawalInfo(w.id); // what withdrawalInfo(id) answers keeps every field
  assert.equal(wi.amount, '0.20000000');
  assert.equal(typeof wi.time_created, 'string');
});
