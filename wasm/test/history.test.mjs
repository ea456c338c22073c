// Node tests of the bridge's statement, fiat values and payment URIs (issue #11): the console's
// history, fiat columns and counter QR use core's rules through these, never their own.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxEnv, loadBridge, admin, newKey, stats, rejection } from './lib.mjs';

let wk;
let env;

before(async () => {
  env = sandboxEnv();
  wk = await loadBridge();
});

test('statement: rows, totals and CSV as core/statement builds them; known details are not fetched again', async () => {
  const k = await newKey();
  await admin('PUT', `/accounts/${k.merchantId}/balances`, { LTCT: '100' });
  await wk.configure({ apiUrl: env.apiUrl, publicKey: k.publicKey, privateKey: k.privateKey });
  const fromMs = Date.now() - 60_000;
  const paid = await wk.createTransaction({ amount: '12.5', currency1: 'USD', currency2: 'LTCT', buyerEmail: 'b@example.com', invoice: 'INV-A', itemName: 'Blue mug' });
  await wk.createTransaction({ amount: '3', currency1: 'USD', currency2: 'LTCT', buyerEmail: 'b@example.com', invoice: 'INV-B' });
  await admin('POST', `/tx/${paid.txn_id}/pay`, {});
  const [to] = (await admin('GET', '/addresses?coin=LTCT&count=1')).addresses;
  const w = await wk.createWithdrawal({ amount: '0.5', currency: 'LTCT', address: to, autoConfirm: true, note: 'supplier' });
  await admin('POST', `/withdrawals/${w.id}/complete`, {});
  const st = await wk.statement({ fromMs, toMs: Date.now() + 60_000 });
  assert.equal(st.rows.length, 3);
  const p = st.rows.find((r) => r.invoice === 'INV-A');
  assert.equal(p.kind, 'payment');
  assert.equal(p.state, 'paid');
  assert.equal(p.item_name, 'Blue mug');
  assert.equal(p.price, '12.50000000');
  assert.equal(p.fiat_value, '12.50000000');
  assert.equal(p.fiat_currency, 'USD');
  assert.ok(p.timeMs >= fromMs);
  const out = st.rows.find((r) => r.kind === 'payout');
  assert.deepEqual([out.amount, out.state, out.address, out.note], ['0.50000000', 'complete', to, 'supplier']);
  const ltct = st.totals.find((t) => t.coin === 'LTCT');
  assert.equal(ltct.payments_paid, p.amount);
  assert.equal(ltct.payouts_sent, '0.50000000');
  assert.deepEqual(st.prices, [{ currency: 'USD', paid: '12.50000000', count: 1 }]);
  const lines = st.csv.trim().split('\r\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0], /^kind,id,time_utc,status,state,coin,amount,/);

  const before = (await stats(k.publicKey)).by_cmd.get_tx_info ?? 0;
  const again = await wk.statement({ fromMs, toMs: Date.now() + 60_000, payments: true, details: st.details });
  assert.equal(again.rows.length, 2);
  assert.equal((await stats(k.publicKey)).by_cmd.get_tx_info ?? 0, before);

  const e = await rejection(wk.statement({ fromMs: Date.now(), toMs: fromMs }));
  assert.equal(e.code, 'invalid_input');
  assert.match(e.message, /ends before it starts/);
});

test('fiatValue and fiatValues: exact, half up to cents, marked approximate; unknown coins said', async () => {
  const rates = await wk.rates();
  assert.deepEqual(await wk.fiatValue({ coin: 'BTC', amount: '1', fiat: 'USD', rates }), { value: '62500.00', fiat: 'USD', approximate: true });
  assert.equal((await wk.fiatValue({ coin: 'BTC', amount: '0.00000008', fiat: 'USD', rates })).value, '0.01'); // 0.005 → up
  const many = await wk.fiatValues({ fiat: 'EUR', rates, items: [{ coin: 'BTC', amount: '1' }, { coin: 'XYZ', amount: '1' }, { coin: 'BTC', amount: 'lots' }] });
  assert.equal(many[0].value, '57142.86');
  assert.match(many[1].error, /XYZ.*not in the rates/);
  assert.match(many[2].error, /amount/);
  const e = await rejection(wk.fiatValue({ coin: 'BTC', amount: '1', fiat: 'USD' }));
  assert.equal(e.code, 'invalid_input');
  assert.match(e.message, /rates/);
});

test('fiatTotal: the sum of the values fiatValues gives (what the column adds up to); an item with none left out', async () => {
  const rates = await wk.rates();
  const items = [{ coin: 'BTC', amount: '0.00000008' }, { coin: 'BTC', amount: '0.00000008' }, { coin: 'XYZ', amount: '2' }, { coin: 'LTCT', amount: '100' }];
  const each = await wk.fiatValues({ fiat: 'USD', rates, items });
  assert.deepEqual(each.map((v) => v.value), ['0.01', '0.01', undefined, '7812.50']);
  assert.deepEqual(await wk.fiatTotal({ fiat: 'USD', rates, items }), { value: '7812.52', fiat: 'USD', approximate: true });
  assert.deepEqual(await wk.fiatTotal({ fiat: 'USD', rates, items: [] }), { value: '0.00', fiat: 'USD', approximate: true });
  assert.deepEqual(await wk.fiatTotal({ fiat: 'EUR', rates, items: [7, { coin: 'BTC', amount: '1' }] }), { value: '57142.86', fiat: 'EUR', approximate: true });
  const e = await rejection(wk.fiatTotal({ fiat: 'USD', rates, items: 'BTC' }));
  assert.equal(e.code, 'invalid_input');
  assert.match(e.message, /items/);
});

test('paymentUri: BIP-21 with the amount, EIP-681 for ETH, the address alone for a token; a typo refused', async () => {
  const addr = async (coin) => (await admin('GET', `/addresses?coin=${coin}&count=1`)).addresses[0];
  const btc = await addr('BTC');
  assert.deepEqual(await wk.paymentUri({ coin: 'BTC', address: btc, amount: '0.0016' }),
    { uri: `bitcoin:${btc}?amount=0.0016`, kind: 'bip21', note: "The code carries the address and the amount: the buyer's wallet fills both in." });
  const eth = await addr('ETH');
  assert.equal((await wk.paymentUri({ coin: 'ETH', address: eth, amount: '0.5' })).uri, `ethereum:${eth}?value=500000000000000000`);
  const usdt = await addr('USDT.ERC20');
  const tok = await wk.paymentUri({ coin: 'USDT.ERC20', address: usdt, amount: '10' });
  assert.equal(tok.kind, 'address');
  assert.equal(tok.uri, usdt);
  assert.match(tok.note, /address only/);
  const typo = btc.slice(0, -1) + (btc.endsWith('q') ? 'p' : 'q');
  const e = await rejection(wk.paymentUri({ coin: 'BTC', address: typo, amount: '1' }));
  assert.equal(e.code, 'invalid_input');
});
