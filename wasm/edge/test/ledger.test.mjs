// The ledger's migration (wrangler.jsonc v2): orders and payments recorded by the single object
// "ledger" before they were spread over shards are still found, so a storefront retrying an old
// order gets its first payment back instead of a second one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, startGateway } from './lib.mjs';

const SHOP = 'https://shop.example';
const prices = { mug: { amount: '12.50', currency: 'USD', name: 'Blue mug' } };
let sb;
const dirs = [];

after(async () => {
  await sb?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('an order recorded in the object "ledger" before the shards is replayed, not paid again', async () => {
  sb = await startSandbox();
  const body = { item: 'mug', currency2: 'BTC', buyer_email: 'old@example.com', order_id: 'pre-v2-order-1' };
  const checkout = (gw) => gw.request('POST', '/v1/checkout', { body, origin: SHOP, headers: { 'cf-connecting-ip': '198.51.100.200' } });

  // 1. A real checkout, to get the order's record (with its fingerprint and answer) as Go wrote it.
  const first = await startGateway(sb, { prices, vars: { LEGACY_LEDGER: '0' } });
  let rec, txnID;
  try {
    const r = await checkout(first);
    assert.equal(r.status, 201, r.text);
    txnID = r.json.txn_id;
    const ns = await first.mf.getDurableObjectNamespace('LEDGER', 'edge');
    const shards = await Promise.all(Array.from({ length: 32 }, (_, i) => ns.get(ns.idFromName('shard:' + i)).getOrder(body.order_id)));
    rec = shards.find((x) => x !== null);
    assert.ok(rec, 'the order is in one of the shards');
    assert.equal(JSON.parse(rec).state, 'done');
  } finally {
    await first.stop();
  }

  // 2. Another deployment whose object "ledger" holds that order, as a deployment from before v2 did.
  const persist = mkdtempSync(join(tmpdir(), 'wallexkit-ledger-'));
  dirs.push(persist);
  const seeded = await startGateway(sb, { prices, persist, vars: { LEGACY_LEDGER: '0' } });
  const secrets = seeded.secrets;
  try {
    const ns = await seeded.mf.getDurableObjectNamespace('LEDGER', 'edge');
    const legacy = ns.get(ns.idFromName('ledger'));
    const put = await legacy.putOrder(body.order_id, 0, rec);
    assert.equal(put.ok, true);
    await legacy.putTxn(txnID, JSON.parse(rec).answer ? '{"created":1,"invoice":"wko-' + body.order_id + '"}' : '{}');
  } finally {
    await seeded.stop();
  }

  // 3. After the upgrade (LEGACY_LEDGER on, the default), the retried order is found and replayed.
  const upgraded = await startGateway(sb, { prices, persist, secrets });
  try {
    const payments = async () => (await sb.stats()).by_cmd?.create_transaction ?? 0;
    const before = await payments();
    const r = await checkout(upgraded);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['idempotent-replay'], 'true');
    assert.equal(r.json.txn_id, txnID);
    assert.equal(await payments(), before, 'no second create_transaction');
    const st = await upgraded.request('GET', '/v1/checkout/' + txnID, { origin: SHOP });
    assert.equal(st.status, 200, 'the payment recorded before the shards is found: ' + st.text);
  } finally {
    await upgraded.stop();
  }
});
