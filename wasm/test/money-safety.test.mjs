// Node tests of the bridge's money-safety surface (issue #8): nonces on by default, operation
// records with opId and reconcileOp, and the payout engine with a journal in host storage.
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

/**
 * A lock that callers take in turn: the acquire function resolves to its release once every
 * earlier holder released it (a database's advisory lock, a journal's lock).
 * @returns {() => Promise<() => void>}
 */
function queueLock() {
  let tail = Promise.resolve();
  return async () => {
    let release;
    const held = new Promise((r) => { release = r; });
    const prev = tail;
    tail = prev.then(() => held);
    await prev;
    return release;
  };
}

/** A StorageAdapter with operation records and payout journals, as the console keeps them. */
function hostStorage() {
  const s = recordingStorage();
  const ops = new Map(); // key -> Map(id -> text)
  const journals = new Map(); // hash -> texts
  const journalLock = queueLock();
  return Object.assign(s, {
    ops, journals,
    async getOps(key) { return [...(ops.get(key)?.values() ?? [])]; },
    async setOp(key, id, text) {
      if (!ops.has(key)) ops.set(key, new Map());
      ops.get(key).set(id, text);
    },
    async deleteOp(key, id) { ops.get(key)?.delete(id); },
    async loadJournal(hash) { return journals.get(hash) ?? []; },
    async appendJournal(hash, texts) { journals.set(hash, [...(journals.get(hash) ?? []), ...texts]); },
    lockJournal: () => journalLock(),
  });
}

async function configureFresh(extra = {}) {
  const k = await newKey();
  const acct = k.merchantId;
  await admin('PUT', `/accounts/${acct}/balances`, { BTC: '10', LTC: '100' });
  const storage = hostStorage();
  await wk.configure({ apiUrl: env.apiUrl, publicKey: k.publicKey, privateKey: k.privateKey, storage, fencePauseMs: 20, timeoutMs: 1000, ...extra });
  return { k, storage };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const withdrawalsTo = async (address) => (await wk.withdrawalHistory()).filter((w) => w.send_address === address);

test('nonces are on unless configure says nonce: false', async () => {
  const { k } = await configureFresh();
  await wk.basicInfo();
  assert.ok((await stats(k.publicKey)).by_cmd.get_basic_info >= 1);
  // the key has used a nonce: a client without nonces is now refused, and told why
  await wk.configure({ apiUrl: env.apiUrl, publicKey: k.publicKey, privateKey: k.privateKey, nonce: false });
  const e = await rejection(wk.basicInfo());
  assert.equal(e.code, 'nonce');
  assert.match(e.message, /turn nonces on/);
});

test('a lost money answer: outcome_unknown names the operation, reconcileOp settles it, and says the same twice', async () => {
  const { k } = await configureFresh();
  await wk.login();
  await admin('POST', '/faults', { kind: 'commit_drop', cmd: 'create_withdrawal', key: k.publicKey });
  const e = await rejection(wk.createWithdrawal({ amount: '0.1', currency: 'BTC', address: 'bc1qlost', note: 'n1', opId: 'op_page_7' }));
  assert.equal(e.code, 'outcome_unknown');
  assert.equal(e.retryable, false);
  assert.equal(e.opId, 'op_page_7');
  assert.ok(e.nonce > 0 && e.sentAtMs > 0 && e.deadlineMs > e.sentAtMs, JSON.stringify(e));
  const open = await wk.ops();
  assert.deepEqual(open.map((o) => [o.id, o.state]), [['op_page_7', 'unknown']]);
  // a second click sends nothing
  const again = await rejection(wk.createWithdrawal({ amount: '0.1', currency: 'BTC', address: 'bc1qlost', note: 'n1', opId: 'op_page_8' }));
  assert.equal(again.code, 'pending_operation');
  assert.equal(again.opId, 'op_page_7');
  for (let i = 0; i < 2; i++) {
    const r = await wk.reconcileOp('op_page_7');
    assert.equal(r.verdict, 'found');
    assert.equal(r.proven, true);
  }
  assert.deepEqual(await wk.ops(), []);
  assert.equal((await withdrawalsTo('bc1qlost')).length, 1);
  // an id the storage never held was never sent with this storage: not proof (another storage, or
  // this one before a restart in memory, may have sent it)
  const never = await wk.reconcileOp('op_never_sent');
  assert.equal(never.verdict, 'not_found');
  assert.equal(never.proven, false);
  assert.equal(never.noRecord, true);
});

test('an answer that came but never reached the page: reconcileOp(opId) finds it from the record', async () => {
  await configureFresh();
  const w = await wk.createWithdrawal({ amount: '0.2', currency: 'BTC', address: 'bc1qdone', opId: 'op_done_1' });
  const r = await wk.reconcileOp('op_done_1');
  assert.equal(r.verdict, 'found');
  assert.equal(r.withdrawals[0].id, w.id);
  const resend = await rejection(wk.createWithdrawal({ amount: '0.2', currency: 'BTC', address: 'bc1qdone', opId: 'op_done_1' }));
  assert.equal(resend.code, 'pending_operation');
  assert.equal((await withdrawalsTo('bc1qdone')).length, 1);
});

test('held past the timeout: with nonces the fence proves not_found and the late copy bounces', async () => {
  const { k } = await configureFresh();
  await wk.login();
  await admin('POST', '/faults', { kind: 'hold', delay_ms: 1800, cmd: 'create_withdrawal', key: k.publicKey });
  const e = await rejection(wk.createWithdrawal({ amount: '0.3', currency: 'BTC', address: 'bc1qheld', opId: 'op_held' }));
  assert.equal(e.code, 'outcome_unknown');
  const r = await wk.reconcileOp('op_held');
  assert.equal(r.verdict, 'not_found');
  assert.equal(r.proven, true);
  await new Promise((res) => setTimeout(res, 1900));
  assert.equal((await withdrawalsTo('bc1qheld')).length, 0, 'the late copy was refused');
  await wk.createWithdrawal({ amount: '0.3', currency: 'BTC', address: 'bc1qheld' });
  assert.equal((await withdrawalsTo('bc1qheld')).length, 1);
});

// A server reconciles a lost withdrawal by its fields and its nonce after its API key changed
// (or on another key's client): the error names the client that sent it (storeKey), and given as
// sentWith the fence of this other key proves nothing of it. Before, the nonce was taken as this
// key's: "not_found, proven" while the first key's request was still held, which then landed.
test('reconcile by fields with the error\'s nonce and storeKey on another key waits; the held request lands', async () => {
  const { k } = await configureFresh();
  await wk.login();
  await admin('POST', '/faults', { kind: 'hold', delay_ms: 2500, cmd: 'create_withdrawal', key: k.publicKey });
  const e = await rejection(wk.createWithdrawal({ amount: '0.35', currency: 'BTC', address: 'bc1qrotated', note: 'rot-1' }));
  assert.equal(e.code, 'outcome_unknown');
  assert.equal(e.storeKey, `${env.apiUrl}|${k.publicKey}`, JSON.stringify(e));
  const k2 = await admin('POST', `/accounts/${k.merchantId}/keys`, {}); // another key of the account
  const other = await wk.createClient({ apiUrl: env.apiUrl, publicKey: k2.public_key, privateKey: k2.private_key, fencePauseMs: 20, timeoutMs: 1000 });
  try {
    const r = await other.reconcile({ cmd: e.cmd, ...e.ref, nonce: e.nonce, sentAtMs: e.sentAtMs, deadlineMs: e.deadlineMs, sentWith: e.storeKey });
    assert.equal(r.verdict, 'in_flight', JSON.stringify(r));
    await sleep(2700);
    assert.equal((await withdrawalsTo('bc1qrotated')).length, 1, 'the held request landed: not_found would have paid it twice');
  } finally {
    other.close();
  }
});

// A payout the batch's answer leaves out (or neither makes nor plainly refuses) may have been
// carried out: its error carries what a rejected money call's outcome_unknown does (the batch's
// opId, nonce, sentAtMs, deadlineMs, storeKey) and the payout's own fields under reconcile's
// names, so reconcile(error) settles it in one call: with the batch's nonce the fence proves it at
// once, found when it was made and not_found when it was not. (reconcileOp(opId) answers for the
// batch, which was answered: found.)
test('a mass withdrawal\'s payout left out of the answer: its error is what reconcile takes, settled at once', async () => {
  const { k } = await configureFresh();
  await wk.login();
  for (const [amount, want] of [['0.02', 'found'], ['5000', 'not_found']]) { // 5000 BTC: refused, not made
    const tag = `mi-${want}`;
    await admin('POST', '/faults', { kind: 'omit', field: 'p2', cmd: 'create_mass_withdrawal', key: k.publicKey });
    const res = await wk.createMassWithdrawal([
      { key: 'p1', amount: '0.01', currency: 'BTC', address: `bc1q${tag}a`, note: `${tag}-1` },
      { key: 'p2', amount, currency: 'BTC', address: `bc1q${tag}b`, note: `${tag}-2` },
    ], { opId: `op_${tag}` });
    assert.ok(res[0].id, JSON.stringify(res));
    const e = res[1].error;
    assert.equal(e?.code, 'outcome_unknown', JSON.stringify(res));
    assert.equal(e.retryable, false);
    assert.equal(e.opId, `op_${tag}`);
    assert.ok(e.nonce > 0 && e.sentAtMs > 0 && e.deadlineMs > e.sentAtMs, JSON.stringify(e));
    assert.equal(e.storeKey, `${env.apiUrl}|${k.publicKey}`);
    assert.equal(e.sentWith, e.storeKey);
    assert.deepEqual([e.cmd, e.amount, e.currency, e.address, e.note], ['create_mass_withdrawal', amount, 'BTC', `bc1q${tag}b`, `${tag}-2`]);
    assert.deepEqual(Object.keys(e.ref).sort(), ['wd[p2][address]', 'wd[p2][amount]', 'wd[p2][currency]', 'wd[p2][note]']);
    const r = await wk.reconcile(e);
    assert.equal(r.verdict, want, JSON.stringify(r));
    assert.equal(r.proven, true, JSON.stringify(r));
    assert.equal((await withdrawalsTo(`bc1q${tag}b`)).length, want === 'found' ? 1 : 0);
  }
});

test('without nonces a held request is in_flight with untilMs, then found', async () => {
  const { k } = await configureFresh({ nonce: false, inFlightWindowMs: 1500 });
  await wk.login();
  await admin('POST', '/faults', { kind: 'hold', delay_ms: 1500, cmd: 'create_withdrawal', key: k.publicKey });
  await rejection(wk.createWithdrawal({ amount: '0.4', currency: 'BTC', address: 'bc1qnf', opId: 'op_nf' }));
  const r = await wk.reconcileOp('op_nf');
  assert.equal(r.verdict, 'in_flight');
  assert.ok(r.untilMs > Date.now());
  await new Promise((res) => setTimeout(res, r.untilMs - Date.now() + 50));
  assert.equal((await wk.reconcileOp('op_nf')).verdict, 'found');
});

/** n fresh LTC addresses in the real format (the sandbox's callback addresses). */
async function ltcAddresses(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await wk.callbackAddress('LTC')).address);
  return out;
}

const payoutText = (addrs) => 'address,currency,amount,memo\n' +
  addrs.map((a, i) => `${a},LTC,0.${i + 1},row ${i}`).join('\n') + '\n';

test('payoutParse lists every problem at once and the notes the rows will carry', async () => {
  const good = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa';
  const typo = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb';
  const f = await wk.payoutParse(`${good},BTC,0\nbad address,BTC,1\n=1+2,BTC,1\n${good},BTC,1,ok\n${typo},BTC,1\n${good},BTC,9\n`,
    { name: 'p.csv', currencies: ['BTC'], balances: { BTC: '5' } });
  assert.deepEqual(f.problems.map((p) => p.line), [1, 2, 3, 5, 6]);
  assert.match(f.problems[3].message, /checksum/);
  assert.match(f.problems[4].message, /more than the BTC balance/);
  assert.equal(f.rows.length, 1);
  assert.equal(f.rows[0].note, `ok (${f.tag}:4)`);
  assert.deepEqual(await wk.checkAddress('BTC', good), { ok: true });
  const bad = await wk.checkAddress('BTC', typo);
  assert.equal(bad.ok, false);
  assert.match(bad.problem, /checksum/);
  assert.match(f.sha256, /^[0-9a-f]{64}$/);
  const g = await wk.payoutParse('addr1,XYZ,1\n', { currencies: ['BTC', 'LTC'] });
  assert.match(g.problems[0].message, /not enabled/);
});

test('withdrawalSplit: what leaves the balance and what the address receives, by core\'s rule', async () => {
  assert.deepEqual(await wk.withdrawalSplit({ amount: '0.3', fee: '0.001' }), { debited: '0.30000000', fee: '0.00100000', received: '0.29900000' });
  assert.deepEqual(await wk.withdrawalSplit({ amount: '0.3', fee: '0.001', addTxFee: true }), { debited: '0.30100000', fee: '0.00100000', received: '0.30000000' });
  // a fee not known: only what does not depend on it
  assert.deepEqual(await wk.withdrawalSplit({ amount: '0.3' }), { debited: '0.30000000' });
  // rates' tx_fee as the API lists it for a coin without one ("0.00000000", or not a number): not
  // known either, by core's rule (the console passes it as it came)
  assert.deepEqual(await wk.withdrawalSplit({ amount: '0.3', fee: '0.00000000' }), { debited: '0.30000000' });
  assert.deepEqual(await wk.withdrawalSplit({ amount: '0.3', fee: 'n/a' }), { debited: '0.30000000' });
  // an amount the fee would eat is refused, naming the field
  const e = await wk.withdrawalSplit({ amount: '0.001', fee: '0.001' }).then(() => null, (x) => x);
  assert.equal(e?.code, 'invalid_input');
  assert.match(e.message, /does not cover the network fee/);
  assert.match(await wk.newReference(), /^wk:[0-9a-f]{10}$/);
  assert.notEqual(await wk.newReference(), await wk.newReference());
  const n = await wk.withdrawalSplit({ amount: 0.3, fee: '0.001' }).then(() => null, (x) => x);
  assert.equal(n?.code, 'invalid_input', 'a number is refused: numbers lose precision');
});

/** Steps a file as one session (one press of Confirm) until it rests, waiting out its hold. */
async function runToEnd(text, opts = {}) {
  const session = `ps_${Math.random().toString(36).slice(2)}`;
  let st = await wk.payoutStep(text, { name: 'p.csv', batch: 3, retryFailed: true, session, ...opts });
  for (let i = 0; i < 50; i++) {
    if (!st.more && st.summary.step === 'hold') await sleep(Date.parse(/** @type {string} */ (st.summary.wait_until)) - Date.now() + 20);
    else if (!st.more) break;
    st = await wk.payoutStep(text, { name: 'p.csv', batch: 3, session, ...opts });
  }
  return st;
}

test('payout engine through the bridge: a lost batch is looked up, never paid twice; another journal (another tool) resumes', async () => {
  const { k, storage } = await configureFresh({ inFlightWindowMs: 500 }); // a 1.5 s hold before a run's first batch
  const addrs = await ltcAddresses(7);
  const text = payoutText(addrs);
  await admin('POST', '/faults', { kind: 'commit_drop', cmd: 'create_mass_withdrawal', key: k.publicKey });
  const st = await runToEnd(text);
  assert.equal(st.summary.done, true, JSON.stringify(st.summary));
  assert.equal(st.summary.sent, 7);
  assert.equal(st.summary.reconciled, 3, 'the dropped batch was found, not resent');
  assert.ok(st.resultsCsv.startsWith('line,address,currency,amount,memo,note,status,withdrawal_id,error'));
  const hist = await wk.withdrawalHistory();
  for (const a of addrs) assert.equal(hist.filter((w) => w.send_address === a).length, 1);
  assert.ok(storage.journals.get(st.sha256).length > 3);
  // Status replays the journal without sending.
  const status = await wk.payoutStatus(text, { name: 'p.csv' });
  assert.equal(status.summary.sent, 7);
  assert.equal(status.more, false);
  // The same file in another tool (a fresh journal and nonce store): recognised, nothing sent.
  const before = (await stats(k.publicKey)).by_cmd.create_mass_withdrawal;
  await wk.configure({ apiUrl: env.apiUrl, publicKey: k.publicKey, privateKey: k.privateKey, storage: hostStorage(), fencePauseMs: 20, timeoutMs: 1000, inFlightWindowMs: 500 });
  const other = await runToEnd(text);
  assert.equal(other.summary.done, true);
  assert.equal(other.summary.reconciled + other.summary.sent_earlier, 7);
  assert.equal((await stats(k.publicKey)).by_cmd.create_mass_withdrawal, before, 'nothing sent again');
});

test('moneyNeedsNonces: with nonces off, money is refused before it leaves and reads still work', async () => {
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '10' });
  await wk.configure({ apiUrl: env.apiUrl, publicKey: k.publicKey, privateKey: k.privateKey, nonce: false, moneyNeedsNonces: true, storage: hostStorage() });
  assert.ok((await wk.balances()).coins.some((c) => c.coin === 'BTC'));
  const before = (await stats(k.publicKey)).by_cmd.create_withdrawal ?? 0;
  const e = await rejection(wk.createWithdrawal({ amount: '0.1', currency: 'BTC', address: 'bc1qnever', note: 'n' }));
  assert.equal(e.code, 'invalid_input');
  assert.match(e.message, /nonces are off.*nothing was sent/);
  assert.equal((await stats(k.publicKey)).by_cmd.create_withdrawal ?? 0, before);
  assert.deepEqual(await wk.ops(), []);
  // with nonces on, the same client option lets it through
  await wk.configure({ apiUrl: env.apiUrl, publicKey: k.publicKey, privateKey: k.privateKey, moneyNeedsNonces: true, storage: hostStorage() });
  const w = await wk.createWithdrawal({ amount: '0.1', currency: 'BTC', address: 'bc1qnever', note: 'n' });
  assert.ok(w.id);
});

test('payout summaries carry the next step as a code and a sentence in the console\'s words', async () => {
  const { k } = await configureFresh({ inFlightWindowMs: 500 });
  const text = payoutText(await ltcAddresses(4));
  const fresh = await wk.payoutStatus(text, { name: 'p.csv' });
  assert.equal(fresh.summary.step, 'send');
  assert.equal(fresh.summary.next, '4 payout(s) are not sent yet: press Resume to send them');
  // the first step looks the file up and holds it, in the console's words
  const session = 'ps_summaries';
  let st = await wk.payoutStep(text, { name: 'p.csv', batch: 3, session });
  assert.equal(st.summary.step, 'hold', JSON.stringify(st.summary));
  assert.equal(st.summary.held, 4);
  assert.match(st.summary.next, /^4 payout\(s\) are held until \d\d:\d\d:\d\d, so that a batch of this file sent from another tool, journal or API key arrives first: press Check again after that time; they are looked up again before they are sent, never paid twice$/);
  // one batch of 3 goes; the fourth is refused by the API (nothing moved)
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { LTC: '0.6' });
  await sleep(Date.parse(/** @type {string} */ (st.summary.wait_until)) - Date.now() + 20);
  st = await wk.payoutStep(text, { name: 'p.csv', batch: 3, session });
  while (st.more) st = await wk.payoutStep(text, { name: 'p.csv', batch: 3, session });
  assert.equal(st.summary.step, 'retry', JSON.stringify(st.summary));
  assert.deepEqual(st.summary.step_lines, [5]);
  assert.match(st.summary.next, /^1 payout\(s\) were refused \(lines 5; nothing moved\): fix the cause, then press Retry refused rows$/);
  assert.doesNotMatch(st.summary.next, /run it again/);
});

/** A merchant's server given the same withdrawal twice at once (a double-clicked button, a
 * retried HTTP request), through the clients `clients(key)` returns: sent once, the other refused. */
async function sentOnce(clients, address) {
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '10' });
  const [a, b] = await clients(k);
  const w = { amount: '0.1', currency: 'BTC', address, note: 'order-9', opId: 'order-9' };
  const [ra, rb] = await Promise.allSettled([a.createWithdrawal(w), b.createWithdrawal(w)]);
  // and once more after both answered (the browser's retry of the request)
  const again = await Promise.allSettled([b.createWithdrawal(w)]);
  const sent = (await stats(k.publicKey)).by_cmd.create_withdrawal ?? 0;
  const outcomes = [ra, rb, ...again].map((r) => (r.status === 'fulfilled' ? 'paid' : r.reason.code));
  assert.equal(sent, 1, `sent ${sent} times: ${outcomes}`);
  assert.deepEqual(outcomes.toSorted(), ['paid', 'pending_operation', 'pending_operation'], String(outcomes));
}

const keyOpts = (k, extra = {}) => ({ apiUrl: env.apiUrl, publicKey: k.publicKey, privateKey: k.privateKey, ...extra });

test('the same withdrawal twice at once: two clients of one key without storage send it once', async () => {
  await sentOnce(async (k) => [await wk.createClient(keyOpts(k)), await wk.createClient(keyOpts(k))], 'bc1qtwomem');
});

test('the same withdrawal twice at once: one client without nonces sends it once', async () => {
  await sentOnce(async (k) => { const c = await wk.createClient(keyOpts(k, { nonce: false })); return [c, c]; }, 'bc1qnononce');
});

test('storage without operation records: the same withdrawal asked for again is not sent again, and reconcileOp answers', async () => {
  // tokens and nonce marks in the host's storage, no getOps/setOp/deleteOp: the records live in memory
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '10' });
  const c = await wk.createClient(keyOpts(k, { storage: recordingStorage(), timeoutMs: 1000, fencePauseMs: 20 }));
  const w = { amount: '0.1', currency: 'BTC', address: 'bc1qnoops', note: 'order-10', opId: 'order-10' };
  await c.createWithdrawal(w);
  const again = await rejection(c.createWithdrawal(w)); // the merchant's page retried the request
  assert.equal(again.code, 'pending_operation');
  assert.equal((await stats(k.publicKey)).by_cmd.create_withdrawal, 1);
  assert.equal((await c.reconcileOp('order-10')).verdict, 'found');
  await sentOnce(async (k2) => [await wk.createClient(keyOpts(k2, { storage: recordingStorage() })), await wk.createClient(keyOpts(k2, { storage: recordingStorage() }))], 'bc1qnoops2');
});

test('the same withdrawal twice at once: two clients of one key on one storage send it once', async () => {
  await sentOnce(async (k) => {
    const st = hostStorage();
    return [await wk.createClient(keyOpts(k, { storage: st })), await wk.createClient(keyOpts(k, { storage: st }))];
  }, 'bc1qtwohost');
});

test('the same withdrawal twice at once in two processes on one storage: with lockOps it is sent once', async () => {
  // a second Go instance stands for a second process (a Node cluster, two servers on one database)
  const first = globalThis.wallexkit;
  delete globalThis.wallexkit;
  const other = await loadBridge();
  globalThis.wallexkit = first;
  await sentOnce(async (k) => {
    const st = hostStorage();
    for (const m of ['getOps', 'setOp']) { // a database's round trip
      const f = st[m];
      st[m] = async (...a) => { await sleep(5); return f(...a); };
    }
    st.lockOps = queueLock(); // an advisory lock of the database, shared by both processes
    return [await wk.createClient(keyOpts(k, { storage: st })), await other.createClient(keyOpts(k, { storage: st }))];
  }, 'bc1qtwoproc');
});

test('lockOps given up on while waiting (the call timed out) is released once granted: the next withdrawal is not stuck', async () => {
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '10' });
  const st = hostStorage();
  // another process holds the database's lock longer than this client's timeout
  const acquire = queueLock();
  st.lockOps = () => acquire();
  const releaseOther = await acquire();
  const c = await wk.createClient(keyOpts(k, { storage: st, timeoutMs: 400 }));
  await assert.rejects(c.createWithdrawal({ amount: '0.01', currency: 'BTC', address: 'bc1qlockleak', note: 'a' }));
  releaseOther();
  await sleep(50);
  // the lock given up on must not be held for good: the next request gets it
  const w = await c.createWithdrawal({ amount: '0.02', currency: 'BTC', address: 'bc1qlockleak', note: 'b' });
  assert.ok(w.id);
});

test('duplicateCheck: the same withdrawal again after its answer was lost to the page is refused, naming it; again: true sends it', async () => {
  const { k } = await configureFresh({ duplicateCheck: true });
  const wd = (extra) => wk.createWithdrawal({ amount: '0.15', currency: 'BTC', address: 'bc1qdupe', ...extra });
  // paid; the page that asked closed before the answer (the record says done)
  const first = await wd({ note: 'wk:aa', opId: 'op_first' });
  const e = await rejection(wd({ note: 'wk:bb', opId: 'op_second' }));
  assert.equal(e.code, 'possible_duplicate');
  assert.equal(e.retryable, false);
  assert.equal(e.opId, 'op_first');
  assert.equal(e.result, first.id);
  assert.ok(Date.now() - e.settledAtMs < 60_000, JSON.stringify(e));
  assert.match(e.message, /the same withdrawal .* was carried out at /);
  assert.equal((await withdrawalsTo('bc1qdupe')).length, 1);
  // another amount is not held up; meant, with the same opId the refusal left unused: sent
  await wd({ amount: '0.16', note: 'x', opId: 'op_other' });
  const meant = await wd({ note: 'wk:bb', opId: 'op_second', again: true });
  assert.notEqual(meant.id, first.id);
  assert.equal((await withdrawalsTo('bc1qdupe')).length, 3);
  // call() takes again too (a money command through the generic call)
  const fields = { amount: '0.15', currency: 'BTC', address: 'bc1qdupe', note: 'via-call' };
  assert.equal((await rejection(wk.call('create_withdrawal', fields))).code, 'possible_duplicate');
  await wk.call('create_withdrawal', fields, { again: true, opId: 'op_call' });
  assert.equal((await withdrawalsTo('bc1qdupe')).length, 4);
  // a client without the option (a server) is not held up
  await wk.configure({ apiUrl: env.apiUrl, publicKey: k.publicKey, privateKey: k.privateKey, storage: hostStorage() });
  await wd({ note: 'srv' });
  assert.equal((await withdrawalsTo('bc1qdupe')).length, 5);
});

test('opKeys: a key rotated on one storage while the old key\'s withdrawal is unsettled: the same withdrawal under the new key is refused, naming the old key', async () => {
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '10' });
  const k2 = await admin('POST', `/accounts/${k.merchantId}/keys`, {});
  const st = hostStorage();
  const old = await wk.createClient({ apiUrl: env.apiUrl, publicKey: k.publicKey, privateKey: k.privateKey, storage: st, fencePauseMs: 20 });
  await old.login();
  await admin('POST', '/faults', { kind: 'commit_drop', cmd: 'create_withdrawal', key: k.publicKey });
  const lost = await rejection(old.createWithdrawal({ amount: '0.4', currency: 'BTC', address: 'bc1qrotated', note: 'r1' }));
  assert.equal(lost.code, 'outcome_unknown');
  const rotated = () => wk.createClient({ apiUrl: env.apiUrl, publicKey: k2.public_key, privateKey: k2.private_key, storage: st, fencePauseMs: 20 });
  const sentTo = async () => (await old.withdrawalHistory()).filter((w) => w.send_address === 'bc1qrotated').length;
  // the storage lists the keys it holds records of: the old key's unsettled one refuses the same
  // withdrawal under the new key, naming the old key (before opKeys, it was sent again)
  st.opKeys = async () => [...st.ops.keys()];
  const e = await rejection((await rotated()).createWithdrawal({ amount: '0.4', currency: 'BTC', address: 'bc1qrotated', note: 'r2' }));
  assert.equal(e.code, 'pending_operation', e.message);
  assert.equal(e.opId, lost.opId);
  assert.equal(e.storeKey, old.storeKey);
  assert.equal(await sentTo(), 1);
  // settled under the old key (found): the new key may send a new one
  assert.equal((await old.reconcileOp(lost.opId)).verdict, 'found');
  await (await rotated()).createWithdrawal({ amount: '0.4', currency: 'BTC', address: 'bc1qrotated', note: 'r3' });
  assert.equal(await sentTo(), 2);
});

test('an operation record the storage gives back unreadable (cut short by a column, a number turned text) is an error, never "no record": the same withdrawal is not sent again', async () => {
  for (const [name, spoil] of [
    ['cut short', (text) => text.slice(0, 255)], // a VARCHAR(255) column that truncates
    ['nonce as text', (text) => { const o = JSON.parse(text); o.nonce = String(o.nonce); return o; }], // a BIGINT column read back as a string
  ]) {
    const k = await newKey();
    await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '10' });
    const st = hostStorage();
    const getOps = st.getOps;
    st.getOps = async (key) => (await getOps(key)).map(spoil);
    const c = await wk.createClient(keyOpts(k, { storage: st, timeoutMs: 1000, fencePauseMs: 20 }));
    await c.login();
    const address = `bc1qspoil${name.length}`;
    const w = { amount: '0.1', currency: 'BTC', address, note: `payout-${name}`, opId: `payout-${name}` };
    await admin('POST', '/faults', { kind: 'commit_drop', cmd: 'create_withdrawal', key: k.publicKey });
    const lost = await rejection(c.createWithdrawal(w));
    assert.equal(lost.code, 'outcome_unknown', lost.message);
    // the server's route retried with the same opId, and with another one (a new request id)
    for (const opId of [w.opId, `${w.opId}-retry`]) {
      const again = await rejection(c.createWithdrawal({ ...w, opId }));
      assert.notEqual(again.code, 'outcome_unknown', `${name}: ${again.message}`);
      assert.match(again.message, /nothing was sent|not sent/, `${name}: ${again.message}`);
    }
    assert.equal((await stats(k.publicKey)).by_cmd.create_withdrawal, 1, name);
    // and reconcileOp does not answer "no record of it in this store"
    const r = await c.reconcileOp(w.opId).catch((e) => e);
    assert.notEqual(r.noRecord, true, `${name}: ${JSON.stringify(r)}`);
  }
});

test('memory storage after a restart: reconcileOp of a withdrawal the earlier run sent says a restart forgets and to look it up by its fields, never that no client sent it', async () => {
  // the earlier run of the server: a client without storage (the README's first example)
  const first = globalThis.wallexkit;
  delete globalThis.wallexkit;
  const earlier = await loadBridge();
  globalThis.wallexkit = first;
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '10' });
  const c1 = await earlier.createClient(keyOpts(k, { timeoutMs: 5000 }));
  await c1.login();
  // the withdrawal is held by the network; the process is stopped meanwhile (its call is abandoned)
  await admin('POST', '/faults', { kind: 'hold', delay_ms: 1500, cmd: 'create_withdrawal', key: k.publicKey });
  const w = { amount: '0.1', currency: 'BTC', address: 'bc1qrestart', note: 'payout-11', opId: 'payout-11' };
  c1.createWithdrawal(w).catch(() => {});
  await sleep(200);
  // the restarted process (a new Go instance, memory storage) is asked about it
  const c2 = await wk.createClient(keyOpts(k, { fencePauseMs: 20 }));
  const r = await c2.reconcileOp('payout-11');
  assert.equal(r.proven, false);
  assert.equal(r.noRecord, true);
  assert.doesNotMatch(r.detail, /no client using this store sent it/, r.detail);
  assert.match(r.detail, /memory/, r.detail);
  assert.match(r.detail, /restart/, r.detail);
  assert.match(r.detail, /by its fields/, r.detail);
  // what the detail says to do is safe: looked up by its fields, it waits (the request may still land)
  const byFields = await c2.reconcile({ cmd: 'create_withdrawal', amount: '0.1', currency: 'BTC', address: 'bc1qrestart', note: 'payout-11' });
  assert.equal(byFields.verdict, 'in_flight', JSON.stringify(byFields));
  assert.ok(byFields.untilMs > Date.now(), JSON.stringify(byFields));
  await sleep(1500); // the held request reaches the API (refused or carried out: it is not left on the way)
});

test('a money call that gives up before it leaves (another process holds the nonce lock, the nonce store hangs) says nothing was sent', async () => {
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '10' });
  const st = hostStorage();
  const acquire = queueLock();
  st.lockNonce = () => acquire();
  const c = await wk.createClient(keyOpts(k, { storage: st, timeoutMs: 400 }));
  await c.login();
  const releaseOther = await acquire(); // another process's nonce call, longer than this timeout
  const locked = await rejection(c.createWithdrawal({ amount: '0.01', currency: 'BTC', address: 'bc1qgaveup', note: 'a' }));
  releaseOther();
  assert.notEqual(locked.code, 'outcome_unknown');
  assert.match(locked.message, /nothing was sent/, locked.message);
  const getNonce = st.getNonce;
  st.getNonce = () => new Promise(() => {}); // a database that does not answer
  const hung = await rejection(c.createWithdrawal({ amount: '0.02', currency: 'BTC', address: 'bc1qgaveup', note: 'b' }));
  st.getNonce = getNonce;
  assert.notEqual(hung.code, 'outcome_unknown');
  assert.match(hung.message, /nothing was sent/, hung.message);
  assert.equal((await stats(k.publicKey)).by_cmd.create_withdrawal ?? 0, 0);
});

test('a storage that gives every key\'s records to each key (one table, the key ignored): after a key rotation the new key does not prove the old key\'s withdrawal not_found, nor send it again', async () => {
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { BTC: '10' });
  const k2 = await admin('POST', `/accounts/${k.merchantId}/keys`, {});
  const st = hostStorage();
  const rows = new Map(); // id -> text: one table, whatever the key
  Object.assign(st, {
    async getOps() { return [...rows.values()]; },
    async setOp(_key, id, text) { rows.set(id, text); },
    async deleteOp(_key, id) { rows.delete(id); },
  });
  const old = await wk.createClient(keyOpts(k, { storage: st, timeoutMs: 800, fencePauseMs: 20 }));
  await old.login();
  // the old key's withdrawal is held by the network past its timeout, then carried out
  await admin('POST', '/faults', { kind: 'hold', delay_ms: 2500, cmd: 'create_withdrawal', key: k.publicKey });
  const w = { amount: '0.3', currency: 'BTC', address: 'bc1qonetable', note: 'payout-12', opId: 'payout-12' };
  const lost = await rejection(old.createWithdrawal(w));
  assert.equal(lost.code, 'outcome_unknown', lost.message);
  // the key is rotated; the server now runs with the new key on the same storage
  const rotated = await wk.createClient({ apiUrl: env.apiUrl, publicKey: k2.public_key, privateKey: k2.private_key, storage: st, timeoutMs: 800, fencePauseMs: 20 });
  const r = await rotated.reconcileOp('payout-12').catch((e) => e);
  assert.ok(!(r.verdict === 'not_found' && r.proven), `the new key's fence says nothing of the old key's nonce: ${JSON.stringify(r)}`);
  const again = await rotated.createWithdrawal({ ...w, opId: 'payout-12b' }).then(() => 'sent', (e) => e.code);
  await sleep(2500);
  const sent = (await old.withdrawalHistory()).filter((x) => x.send_address === 'bc1qonetable').length;
  assert.equal(sent, 1, `paid ${sent} times (the new key: ${again})`);
});
