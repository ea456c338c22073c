import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchTick, watchPayment, paidText, markSeen, unseen, setAlertSettings, loadWatch, K_UNSEEN } from '../host/alerts.js';
import { memoryKV } from '../host/kv.js';

/**
 * A stand-in for the Account: stores connected in this session, and the calls the tick makes.
 * statuses: txn → status number; external: ids get_tx_ids finds (created elsewhere).
 */
function fakeAccount(stores, statuses, external = {}) {
  const calls = [];
  return {
    calls,
    async sessionStores() { return { stores }; },
    async invoke(m, args, store) {
      calls.push([store, m, m === 'txInfoMulti' ? args[0].length : args[0]]);
      if (m === 'txIds') return external[store] ?? [];
      if (m === 'txInfo') {
        return { time_created: new Date().toISOString(), status: 0, amount: '0.20000000', coin: 'LTCT', checkout: { amountf: '15.00000000', currency: 'EUR', item_name: 'Tea' } };
      }
      if (m === 'txInfoMulti') {
        return Object.fromEntries(args[0].map((id) => [id, statuses[id] === undefined ? { error: { code: 'api_error', message: 'no such' } } : { info: { status: statuses[id], amount: '0.16000000', coin: 'LTCT' } }]));
      }
      throw new Error(`unexpected ${m}`);
    },
  };
}

test('paidText: the price, what was paid in coin, the item', () => {
  assert.equal(paidText({ txn: 't', at: 0, price: '12.50000000', currency1: 'USD', item: 'Blue mug' }, { amount: '0.16000000', coin: 'LTCT' }), 'Paid: 12.50 USD — 0.16 LTCT — Blue mug');
  assert.equal(paidText({ txn: 't', at: 0, price: '0.5', currency1: 'LTCT' }, { amount: '0.50000000', coin: 'LTCT' }), 'Paid: 0.50 LTCT');
  assert.equal(paidText({ txn: 'CPX1', at: 0 }), 'Paid: CPX1');
});

test('a tick asks for at most 25 payments per call, tells about each paid one once, drops failed ones, skips muted stores', async () => {
  const kv = memoryKV();
  /** @type {Record<string, number>} */
  const statuses = {};
  for (let i = 0; i < 30; i++) {
    const txn = `CPA${String(i).padStart(3, '0')}`;
    statuses[txn] = i === 3 ? 100 : i === 7 ? 2 : i === 9 ? -1 : 0; // complete, queued for payout (paid), cancelled
    await watchPayment(kv, 'A', { txn, at: Date.now(), price: '12.5', currency1: 'USD', item: 'Blue mug' });
  }
  await watchPayment(kv, 'B', { txn: 'CPB001', at: Date.now() });
  statuses.CPB001 = 100;
  await setAlertSettings(kv, 'B', { muted: true });
  const acct = fakeAccount({ A: { name: 'Blue Mug Shop' }, B: { name: 'Tea' } }, statuses, { A: ['CPEXT1'] });
  statuses.CPEXT1 = 100;
  const told = [];
  const notify = async (n) => { told.push(n); };
  const r = await watchTick({ account: acct, kv, notify });
  assert.deepEqual(acct.calls.filter((c) => c[1] === 'txInfoMulti').map((c) => c[2]), [25, 6], '31 open payments: 25 + 6');
  assert.ok(acct.calls.every((c) => c[0] === 'A'), 'the muted store is not asked');
  assert.deepEqual(told.map((n) => n.txn).sort(), ['CPA003', 'CPA007', 'CPEXT1']);
  assert.equal(told.find((n) => n.txn === 'CPA003').text, 'Paid: 12.50 USD — 0.16 LTCT — Blue mug');
  assert.equal(told.find((n) => n.txn === 'CPEXT1').text, 'Paid: 15.00 EUR — 0.16 LTCT — Tea', 'a payment created elsewhere, with its checkout details');
  assert.equal(told[0].storeName, 'Blue Mug Shop');
  assert.equal(r.stores.A.paid, 3);
  const w = await loadWatch(kv, 'A');
  assert.equal(Object.keys(w.open).length, 27, 'paid and cancelled ones are no longer watched');
  // the next tick tells nothing twice, even when the history lists them again
  told.length = 0;
  await watchTick({ account: acct, kv, notify });
  assert.deepEqual(told, []);
});

test('a store that cannot be asked is skipped and its watch kept', async () => {
  const kv = memoryKV();
  await watchPayment(kv, 'A', { txn: 'CP1', at: Date.now() });
  const acct = { async sessionStores() { return { stores: { A: {} } }; }, async invoke() { throw { code: 'locked', message: 'The session expired.' }; } };
  const r = await watchTick({ account: acct, kv, notify: async () => { throw new Error('no'); } });
  assert.match(r.stores.A.error, /expired/);
  assert.deepEqual(Object.keys((await loadWatch(kv, 'A')).open), ['CP1']);
});

test('unseen paid payments: marked seen one by one or per store', async () => {
  const kv = memoryKV();
  await kv.set(K_UNSEEN, [{ store: 'A', txn: '1' }, { store: 'A', txn: '2' }, { store: 'B', txn: '3' }]);
  await markSeen(kv, 'A', '1');
  assert.deepEqual((await unseen(kv)).map((x) => x.txn), ['2', '3']);
  await markSeen(kv, 'A');
  assert.deepEqual((await unseen(kv)).map((x) => x.txn), ['3']);
});

test('alerts on again: what was paid while they were off is settled quietly', async () => {
  const kv = memoryKV();
  await watchPayment(kv, 'A', { txn: 'CP1', at: Date.now() });
  await watchPayment(kv, 'A', { txn: 'CP2', at: Date.now() });
  const acct = fakeAccount({ A: {} }, { CP1: 100, CP2: 0 });
  const told = [];
  await watchTick({ account: acct, kv, notify: async (n) => { told.push(n); }, quiet: 'A' });
  assert.deepEqual(told, []);
  assert.deepEqual(Object.keys((await loadWatch(kv, 'A')).open), ['CP2'], 'the paid one is done, the open one still watched');
});

test('a gateway store: its event log is read from where the last tick stopped, page by page; each paid payment told once; old events and other types are not news; no API call', async () => {
  const kv = memoryKV();
  const now = Date.now();
  const sec = (ms) => Math.floor(ms / 1000);
  /** the gateway's log: cursor n → event */
  const log = [
    { type: 'api', txn_id: 'CPOLD', status: 100, paid: true, received_at: sec(now - 3600e3), fields: {} }, // before the watch began
    { type: 'api', txn_id: 'CPG1', status: 0, paid: false, received_at: sec(now), fields: {} },
    { type: 'deposit', txn_id: 'DEP1', status: 100, paid: true, received_at: sec(now), fields: {} },
    { type: 'api', txn_id: 'CPG1', status: 100, paid: true, received_at: sec(now), fields: { amount1: '12.50000000', currency1: 'USD', amount2: '0.16000000', currency2: 'LTCT', item_name: 'Lamp' } },
    { type: 'api', txn_id: 'CPG2', status: -1, paid: false, received_at: sec(now), fields: {} },
  ];
  const reads = [];
  const acct = {
    ...fakeAccount({ G: { name: 'Gateway shop', mode: 'gateway' } }, {}),
    async gatewayEvents(store, after) {
      reads.push([store, after]);
      const from = Number(after);
      const page = log.slice(from, from + 2).map((e, i) => ({ ...e, cursor: String(from + i + 1) }));
      const next = from + page.length;
      return { events: page, next_cursor: String(next), has_more: next < log.length };
    },
  };
  await watchPayment(kv, 'G', { txn: 'CPG2', at: now, price: '3', currency1: 'USD' });
  const told = [];
  const notify = async (n) => { told.push(n); };
  const r = await watchTick({ account: acct, kv, notify, now: () => now });
  assert.deepEqual(reads, [['G', '0'], ['G', '2'], ['G', '4']], 'three pages of two, from the start');
  assert.deepEqual(acct.calls, [], 'nothing asked of the API');
  assert.deepEqual(told.map((n) => [n.txn, n.text, n.storeName]), [['CPG1', 'Paid: 12.50 USD — 0.16 LTCT — Lamp', 'Gateway shop']]);
  assert.equal(r.stores.G.paid, 1);
  let w = await loadWatch(kv, 'G');
  assert.equal(w.cursor, '5');
  assert.deepEqual(Object.keys(w.open), [], 'the cancelled payment is no longer watched');
  // the next tick reads on from the cursor; a copy of the paid event is not told again
  log.push({ ...log[3] });
  await watchTick({ account: acct, kv, notify, now: () => now + 1500 });
  assert.deepEqual(reads.at(-1), ['G', '5']);
  assert.equal(told.length, 1);
  w = await loadWatch(kv, 'G');
  assert.equal(w.cursor, '6');
});
