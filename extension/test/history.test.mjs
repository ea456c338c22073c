// History and statements (issue #11) on the dev page against a real sandbox: 60 payments (paid,
// expired, waiting; priced in USD, EUR or coin; two coins) and 30 payouts (complete, cancelled,
// pending) seeded through the API and the sandbox's admin endpoints; the History screen pages
// them, filters by status, coin and kind, finds one by invoice, shows a detail, and its exported
// statement's rows and sums equal the sandbox's own ledger exactly.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startSandbox, startDevServer, CHROMIUM, shot, readCsv } from './harness.mjs';
import { newMerchant, connectAs, goTo } from './matrix-lib.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {{origin: string, stop: () => void}} */ let dev;
/** @type {import('playwright-core').Browser} */ let browser;
/** @type {import('playwright-core').Page} */ let page;
/** @type {{pub: string, priv: string, merchantId: string}} */ let m;
const errors = [];
/** The sandbox's ledger of what was seeded: {txns: [...], wds: [...]}, read back from its admin endpoints. */
const ledger = { txns: /** @type {any[]} */ ([]), wds: /** @type {any[]} */ ([]) };

/** Exact decimal text (8 places at most) → BigInt of 1e-8 units. @param {string} s */
const units = (s) => {
  const [w, f = ''] = String(s).split('.');
  return BigInt(w) * 100_000_000n + BigInt((f + '00000000').slice(0, 8)) * (w.startsWith('-') ? -1n : 1n);
};
/** @param {bigint} u */
const text = (u) => `${u / 100_000_000n}.${String(u % 100_000_000n).padStart(8, '0')}`;

/** One API call straight to the sandbox (no nonce: this merchant's key has never used one yet). */
async function api(cmd, fields, token) {
  const r = await fetch(`${sb.apiUrl}/${cmd}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(token ? { authorization: token } : {}) },
    body: new URLSearchParams({ version: '1', cmd, key: m.pub, ...fields }).toString(),
  });
  return r.json();
}

before(async () => {
  sb = await startSandbox();
  dev = await startDevServer(sb);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  m = await newMerchant(sb); // LTCT 10000, BTC 10
  const login = await api('login', { publickey: m.pub, privatekey: m.priv });
  const token = login.result.access_token;
  // 60 payments: priced in USD, EUR or LTCT, paid in LTCT or BTC
  const ids = [];
  for (let n = 1; n <= 60; n++) {
    const [amount, currency1] = n % 3 === 0 ? [`${n}.25`, 'USD'] : n % 3 === 1 ? [`${n + 0.5}`, 'EUR'] : [`0.${String(n).padStart(2, '0')}`, 'LTCT'];
    const r = await api('create_transaction', { amount, currency1, currency2: n % 4 === 0 ? 'BTC' : 'LTCT', buyer_email: `b${n}@example.com`, invoice: `INV-${String(n).padStart(3, '0')}`, item_name: `Item ${n}` }, token);
    assert.equal(r.error, 'ok', JSON.stringify(r));
    ids.push(r.result.txn_id);
  }
  for (const [i, id] of ids.entries()) {
    if (i % 5 < 2) await sb.admin('POST', `tx/${id}/pay`, {}); // 24 paid
    else if (i % 5 === 2) await sb.admin('POST', `tx/${id}/expire`, {}); // 12 expired
  }
  for (const id of ids) ledger.txns.push(await sb.admin('GET', `tx/${id}`));
  // 30 payouts: 10 complete, 6 cancelled, 14 pending
  const addrs = await sb.addresses('LTCT', 30);
  for (const [i, address] of addrs.entries()) {
    const r = await api('create_withdrawal', { amount: `0.${String(i + 10).padStart(2, '0')}`, currency: 'LTCT', address, auto_confirm: '1', note: `payout ${i + 1}` }, token);
    assert.equal(r.error, 'ok', JSON.stringify(r));
    if (i < 10) await sb.admin('POST', `withdrawals/${r.result.id}/complete`, {});
    else if (i < 16) await sb.admin('POST', `withdrawals/${r.result.id}/cancel`, {});
    ledger.wds.push(await sb.admin('GET', `withdrawals/${r.result.id}`));
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${dev.origin}/`);
  await page.getByLabel('API URL').waitFor();
  await connectAs(page, `${dev.origin}/api`, m, true);
});
after(async () => {
  await browser?.close();
  dev?.stop();
  await sb?.stop();
});

const count = () => page.locator('#hi-count').innerText();
const rowIds = () => page.locator('section[aria-labelledby="hi-list"] tbody tr td:nth-child(3)').allInnerTexts();

test('history: 60 payments and 30 payouts from the API, 25 a page', async () => {
  await goTo(page, 'history');
  await page.locator('#hi-count').waitFor({ timeout: 60_000 });
  assert.equal(await count(), 'Rows 1–25 of 90.');
  // the totals say what their bracketed numbers and Net are
  assert.match(await page.locator('section.totals').innerText(), /In brackets: how many\. Net: payments paid less payouts sent \(pending payouts not taken off\)\./);
  const seen = new Set(await rowIds());
  await page.locator('[data-action="next-page"]').click();
  assert.equal(await count(), 'Rows 26–50 of 90.');
  for (const id of await rowIds()) seen.add(id);
  await page.locator('[data-action="next-page"]').click();
  await page.locator('[data-action="next-page"]').click();
  assert.equal(await count(), 'Rows 76–90 of 90.');
  assert.equal(await page.locator('[data-action="next-page"]').isDisabled(), true);
  for (const id of await rowIds()) seen.add(id);
  await page.locator('[data-action="prev-page"]').click();
  assert.equal(await count(), 'Rows 51–75 of 90.');
  for (const id of await rowIds()) seen.add(id);
  const all = [...ledger.txns.map((t) => t.txn_id), ...ledger.wds.map((w) => w.id)];
  assert.deepEqual([...seen].sort(), all.sort(), 'every payment and payout, each once');
  await shot(page, 'history');
});

test('history: each filter, and search by invoice, id and address; a detail view', async () => {
  const paid = ledger.txns.filter((t) => t.status >= 100 || t.status === 2);
  await page.getByLabel('Status').selectOption('payment:paid');
  assert.equal(await count(), `Rows 1–${paid.length} of ${paid.length} (of 90 in the range).`);
  await page.getByLabel('Status').selectOption('payment:failed');
  assert.match(await count(), new RegExp(`of ${ledger.txns.filter((t) => t.status < 0).length} \\(`));
  await page.getByLabel('Status').selectOption('payout:cancelled');
  assert.match(await count(), new RegExp(`of ${ledger.wds.filter((w) => w.status < 0).length} \\(`));
  await page.getByLabel('Status').selectOption('');
  await page.getByLabel('Coin').selectOption('BTC');
  assert.match(await count(), new RegExp(`of ${ledger.txns.filter((t) => t.coin === 'BTC').length} \\(`));
  await page.getByLabel('Coin').selectOption('');
  await page.getByLabel('Show', { exact: true }).selectOption('payout');
  assert.match(await count(), /of 30 \(/);
  await page.getByLabel('Show', { exact: true }).selectOption('');
  // search: an invoice, then an address and a payment id
  await page.getByLabel('Search').fill('INV-042');
  assert.equal(await count(), 'Rows 1–1 of 1 (of 90 in the range).');
  const inv42 = ledger.txns[41];
  assert.deepEqual(await rowIds(), [inv42.txn_id]);
  // a row's status in the words Receive, the payment page and Send use for it (not "paid"/"waiting")
  const rowStatus = () => page.locator('section[aria-labelledby="hi-list"] tbody tr td:nth-child(5)').innerText();
  assert.equal(await rowStatus(), 'Complete');
  // the kind as a label, capitalised like the other cells (not "payment" / "payout")
  assert.equal(await page.locator('section[aria-labelledby="hi-list"] tbody tr td:nth-child(2)').innerText(), 'Payment');
  await page.getByLabel('Search').fill(ledger.txns[3].txn_id);
  assert.equal(await rowStatus(), 'Waiting for funds');
  await page.getByLabel('Search').fill(ledger.wds[3].send_address);
  assert.deepEqual(await rowIds(), [ledger.wds[3].id]);
  await page.getByLabel('Search').fill(inv42.txn_id.toLowerCase());
  assert.deepEqual(await rowIds(), [inv42.txn_id]);
  await page.locator('section[aria-labelledby="hi-list"] tbody button', { hasText: inv42.txn_id }).click();
  const detail = page.locator(`#hi-detail section[data-id="${inv42.txn_id}"]`);
  await detail.waitFor();
  const d = await detail.innerText();
  assert.match(d, /Invoice\s+INV-042/);
  assert.match(d, /Item\s+Item 42/);
  assert.match(d, /Price\s+42\.25 USD/);
  assert.match(d, /Buyer\s+b42@example\.com/);
  // the detail's status is the list's (it said "Complete (paid)" beside a list saying "Complete")
  assert.match(d, /Status\s+Complete\n/);
  await shot(page, 'history-detail');
  await page.getByLabel('Search').fill('');
  assert.deepEqual(errors, []);
});

test('the exported statement: its rows and sums equal the sandbox ledger exactly', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-action="download-statement"]').click()]);
  const csv = readCsv(readFileSync(/** @type {string} */ (await download.path()), 'utf8')).filter((r) => r.length > 1);
  const [head, ...rows] = csv;
  const col = (/** @type {string} */ n) => head.indexOf(n);
  assert.equal(rows.length, 90);
  // every payment: its coin, amount asked and state, as the sandbox has it
  for (const t of ledger.txns) {
    const r = rows.find((x) => x[col('id')] === t.txn_id);
    assert.ok(r, t.txn_id);
    assert.equal(r[col('kind')], 'payment');
    assert.equal(r[col('coin')], t.coin);
    assert.equal(r[col('amount')], t.amountf);
    assert.equal(r[col('state')], t.status >= 100 || t.status === 2 ? 'paid' : t.status < 0 ? 'failed' : 'pending');
  }
  for (const w of ledger.wds) {
    const r = rows.find((x) => x[col('id')] === w.id);
    assert.ok(r, w.id);
    assert.equal(r[col('amount')], w.amountf);
    assert.equal(r[col('address')], w.send_address);
    assert.equal(r[col('state')], w.status === 2 ? 'complete' : w.status < 0 ? 'cancelled' : 'pending');
  }
  // sums per coin, from the CSV and from the ledger, exactly (integer 1e-8 units)
  /** @type {Record<string, {paid: bigint, sent: bigint, pending: bigint}>} */
  const fromCsv = {};
  /** @type {Record<string, {paid: bigint, sent: bigint, pending: bigint}>} */
  const fromLedger = {};
  const slot = (o, c) => (o[c] ??= { paid: 0n, sent: 0n, pending: 0n });
  for (const r of rows) {
    const s = slot(fromCsv, r[col('coin')]);
    const a = units(r[col('amount')]);
    if (r[col('kind')] === 'payment' && r[col('state')] === 'paid') s.paid += a;
    if (r[col('kind')] === 'payout' && r[col('state')] === 'complete') s.sent += a;
    if (r[col('kind')] === 'payout' && r[col('state')] === 'pending') s.pending += a;
  }
  for (const t of ledger.txns) if (t.status >= 100 || t.status === 2) slot(fromLedger, t.coin).paid += units(t.amountf);
  for (const w of ledger.wds) {
    if (w.status === 2) slot(fromLedger, w.coin).sent += units(w.amountf);
    else if (w.status >= 0) slot(fromLedger, w.coin).pending += units(w.amountf);
  }
  assert.deepEqual(fromCsv, fromLedger);
  // the totals on the screen are the same sums (Go's), to the last digit
  const totals = await page.locator('section[aria-labelledby="hi-totals"] tbody tr').allInnerTexts();
  for (const [coin, s] of Object.entries(fromLedger)) {
    const line = totals.find((t) => t.startsWith(coin));
    assert.ok(line, coin);
    const shown = line.replace(/\u2009/g, '').split('\t').map((x) => x.trim());
    const num = (/** @type {string} */ x) => units(x.replace(/\s*\(\d+\)$/, ''));
    assert.equal(num(shown[1]), s.paid, `${coin} paid`);
    assert.equal(num(shown[2]), s.sent, `${coin} sent`);
    assert.equal(num(shown[3]), s.pending, `${coin} pending`);
    assert.equal(text(num(shown[4])), text(s.paid - s.sent), `${coin} net`);
  }
  // price columns: the price each payment was created with
  const r42 = rows.find((x) => x[col('invoice')] === 'INV-042');
  assert.deepEqual([r42[col('price')], r42[col('price_currency')], r42[col('fiat_value')], r42[col('fiat_currency')]], ['42.25000000', 'USD', '42.25000000', 'USD']);
  assert.deepEqual(errors, []);
});

test('a range with nothing in it: one message with the next step, no filters, pager or empty statement to download', async () => {
  await goTo(page, 'history');
  await page.getByLabel('From', { exact: true }).fill('2020-01-01');
  await page.getByLabel('To', { exact: true }).fill('2020-01-31');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  const out = page.locator('[data-rows="0"]');
  await out.waitFor();
  assert.equal((await out.innerText()).trim().replace(/\s+/g, ' '), 'No payments or payouts in this range. Choose other dates above, or create a payment on Receive.');
  assert.equal(await out.getByRole('link', { name: 'Receive' }).getAttribute('href'), '#receive');
  assert.equal(await page.locator('form[role="search"], [data-action="download-statement"], #hi-count').count(), 0);
  await shot(page, 'history-empty');
  assert.deepEqual(errors, []);
});
