// The console in the built extension, driven like a person would, against a real sandbox:
// connect, balances, a payment paid by the sandbox, a withdrawal through the review step, a
// 20-row mass payout (the Go payout engine through the bridge), the button builder; a
// screenshot of each main screen.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startSandbox, launchExtension, connect, shot, go, allStrings, readCsv, typo } from './harness.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;
/** @type {import('playwright-core').Page} */ let page;
const errors = [];

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
  page = await ext.open('popup');
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); d.dismiss(); });
});
after(async () => {
  await ext?.close();
  await sb?.stop();
});

/** Screenshot, after checking the private key is nowhere on the page (text or field values). @param {string} name */
async function snap(name) {
  const leak = await page.evaluate((priv) => document.body.innerText.includes(priv) ||
    [...document.querySelectorAll('input, textarea')].some((i) => /** @type {HTMLInputElement} */ (i).value.includes(priv)), sb.priv);
  assert.equal(leak, false, `the private key is visible on ${name}`);
  return shot(page, name);
}

test('first run: Connect says where API keys come from and that a sandbox is there to try things', async () => {
  const intro = page.locator('[data-first-run]');
  await intro.waitFor({ timeout: 10_000 });
  const text = (await intro.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /New here\?/);
  assert.match(text, /Wallex Pay account, under API Keys/);
  assert.match(text, /wallexkit sandbox/);
  assert.match(text, /no real money/);
});

test('a blank Connect form flags every required field at once, each saying what to put there', async () => {
  await page.getByLabel('API URL').waitFor();
  await page.getByLabel('API URL').fill('');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const errorOf = (/** @type {string} */ label) => page.locator('.field', { has: page.getByLabel(label, { exact: true }) }).locator('.field-error');
  await errorOf('Private key').waitFor({ timeout: 5000 }).catch(() => {});
  const shown = {};
  for (const label of ['API URL', 'Public key', 'Private key']) {
    const e = errorOf(label);
    shown[label] = (await e.isVisible()) ? await e.innerText() : '';
  }
  assert.match(shown['API URL'], /Enter the API address, e\.g\. https:\/\/wallexpay\.io\/api/, JSON.stringify(shown));
  assert.match(shown['Public key'], /Enter your API public key/, JSON.stringify(shown));
  assert.match(shown['Private key'], /Enter the private key/, JSON.stringify(shown));
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'apiUrl', 'focus on the first empty field');
  await shot(page, 'connect-blank');
  // the same with "Remember on this device": the passphrase too
  await page.getByLabel('Remember on this device').check();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  assert.match(await errorOf('Passphrase').innerText(), /Choose a passphrase/);
  // what remembering does, in a merchant's words (no cipher names, no round counts)
  const rememberHint = await page.locator('.field', { has: page.getByLabel('Remember on this device') }).locator('.hint').innerText();
  assert.match(rememberHint, /^Keeps the private key on this device, locked with a passphrase you choose\./);
  assert.doesNotMatch(rememberHint, /PBKDF2|AES|rounds/);
  await page.getByLabel('Remember on this device').uncheck();
  assert.equal((await sb.stats()).logins, 0);
});

test('connect with sandbox keys: the token lands in storage.session, no storage holds the private key', async () => {
  await page.getByLabel('API URL').waitFor();
  assert.equal(await page.getByLabel('Private key').getAttribute('type'), 'password');
  // a 10 s hold before a payout file's first batch (the client's timeout plus its in-flight
  // window; 2.5 minutes by default), so that the payouts test sees it and sees it end
  await page.evaluate((t) => chrome.storage.local.set({ 'wk.tuning': t }), { timeoutMs: 8000, inFlightWindowMs: 2000 });
  await connect(page, sb);
  const dump = await ext.dumpStorage();
  const tokens = Object.entries(dump.session).filter(([k]) => k.startsWith('wk.token.'));
  assert.equal(tokens.length, 1, JSON.stringify(Object.keys(dump.session)));
  assert.match(tokens[0][1].access_token, /\S/);
  assert.ok(Date.parse(tokens[0][1].expires_at) > Date.now());
  for (const area of ['session', 'local', 'sync']) {
    assert.ok(!allStrings(dump[area]).some((s) => s.includes(sb.priv)), `private key found in storage.${area}`);
  }
  assert.equal((await sb.stats()).logins, 1);
});

test('overview: account, balances with the zero toggle, rates', async () => {
  const main = page.locator('main');
  await main.getByText('Demo Store').waitFor();
  const balances = page.locator('section[aria-labelledby="ov-balances"] tbody tr');
  await balances.first().waitFor();
  const nonZero = await balances.allInnerTexts();
  assert.ok(nonZero.some((r) => /^BTC\s+1\.50000000(\s|$)/.test(r.trim())), nonZero.join('|'));
  assert.ok(nonZero.some((r) => /^LTCT\s+100\.00000000(\s|$)/.test(r.trim())));
  await page.getByLabel('Show zero balances').check();
  await page.waitForFunction((n) => document.querySelectorAll('section[aria-labelledby="ov-balances"] tbody tr').length > n, nonZero.length);
  await page.locator('section[aria-labelledby="ov-rates"] tbody tr').first().waitFor();
  assert.ok((await page.locator('section[aria-labelledby="ov-rates"] tbody tr').count()) >= 5);
  // a rate in words a merchant reads: the status as a word (not the API's "online"), the network
  // fee in its coin, and no "Rate (BTC) 1" for BTC itself
  const rateRow = async (/** @type {string} */ coin) => (await page.locator('section[aria-labelledby="ov-rates"] tbody tr', { has: page.locator(`td:first-child:text-is("${coin}")`) })
    .locator('td').allInnerTexts()).map((x) => x.trim());
  const btc = await rateRow('BTC');
  assert.deepEqual([btc[2], btc[3], btc[5]], ['—', '0.00010000 BTC', 'Online']);
  const ltct = await rateRow('LTCT');
  assert.deepEqual([ltct[2], ltct[3], ltct[5]], ['0.00125', '0.00100000 LTCT', 'Online']);
  await page.getByLabel('Show zero balances').uncheck();
  await page.waitForFunction((n) => document.querySelectorAll('section[aria-labelledby="ov-balances"] tbody tr').length === n, nonZero.length);
  await snap('overview');
});

/**
 * An independent reading of a fiat value: amount × rate_btc(coin) ÷ rate_btc(fiat), exact on
 * integers, rounded half up to cents.
 */
function expectedFiat(amount, coinRate, fiatRate) {
  const dec = (s, places) => { const [w, f = ''] = String(s).split('.'); return BigInt(w + (f + '0'.repeat(places)).slice(0, places)); };
  const a = dec(amount, 8);
  const c = dec(coinRate, 18);
  const f = dec(fiatRate, 18);
  const v = (a * c * 1000n / (f * 100_000_000n) + 5n) / 10n; // thousandths of the fiat, then half up to cents
  return `${v / 100n}.${String(v % 100n).padStart(2, '0')}`;
}

test('fiat equivalents: balances valued in the store\'s currency by core, exact, marked approximate; the choice is kept', async () => {
  const rates = (await page.evaluate(() => chrome.runtime.sendMessage({ type: 'wk.call', method: 'rates', args: [{}] }))).value.coins;
  const rate = (c) => rates.find((x) => x.coin === c).rate_btc;
  const table = page.locator('section[aria-labelledby="ov-balances"] table');
  await table.locator('th', { hasText: 'Value (USD, approx.)' }).waitFor();
  // cell by cell: the popup's page lays each row out as a card (label: value lines), a wide one as a table row
  const rowOf = async (coin) => (await table.locator('tbody tr').filter({ has: page.locator('td:first-child', { hasText: new RegExp(`^${coin}$`) }) }).locator('td').allInnerTexts())
    .map((s) => s.trim().replace(/\u2009/g, ''));
  const btc = await rowOf('BTC');
  assert.equal(btc[2], `≈ ${expectedFiat('1.50000000', rate('BTC'), rate('USD'))} USD`);
  const ltct = await rowOf('LTCT');
  assert.equal(ltct[2], `≈ ${expectedFiat('100.00000000', rate('LTCT'), rate('USD'))} USD`);
  // the one number first: the total of that column, by core, before the list
  const cents = (s) => BigInt(s.replace('.', ''));
  const sumOf = async (fiat) => {
    const vals = [];
    for (const c of ['BTC', 'ETH', 'LTC', 'LTCT']) vals.push(expectedFiat((await rowOf(c))[1], rate(c), rate(fiat)));
    const t = vals.reduce((a, v) => a + cents(v), 0n);
    return `${t / 100n}.${String(t % 100n).padStart(2, '0')}`;
  };
  const total = page.locator('section[aria-labelledby="ov-balances"] [data-total]');
  const totalText = async () => (await total.innerText()).trim().replace(/[\u2009\u202f ,]/g, '');
  assert.equal(await totalText(), `Total≈${await sumOf('USD')}USD`);
  assert.ok(await total.evaluate((el) => !!(el.compareDocumentPosition(/** @type {Node} */ (el.closest('section')?.querySelector('table'))) & Node.DOCUMENT_POSITION_FOLLOWING)), 'the total comes before the list');
  await page.getByLabel('Values in').selectOption('EUR');
  await table.locator('th', { hasText: 'Value (EUR, approx.)' }).waitFor();
  assert.equal((await rowOf('BTC'))[2], `≈ ${expectedFiat('1.50000000', rate('BTC'), rate('EUR'))} EUR`);
  assert.equal(await totalText(), `Total≈${await sumOf('EUR')}EUR`);
  assert.equal(await total.evaluate((el) => el.closest('[aria-live]')?.getAttribute('aria-live')), 'polite', 'a new total (another currency) is announced');
  // kept for the store
  await go(page, 'receive');
  await go(page, 'overview');
  await table.locator('th', { hasText: 'Value (EUR, approx.)' }).waitFor();
  assert.equal(await page.getByLabel('Values in').inputValue(), 'EUR');
  await page.getByLabel('Values in').selectOption('USD');
  await table.locator('th', { hasText: 'Value (USD, approx.)' }).waitFor();
});

test('a slow answer: the balances say they are loading, not nothing', async () => {
  await go(page, 'receive');
  await sb.admin('POST', 'faults', { kind: 'delay', delay_ms: 3000, cmd: 'balances', key: sb.pub });
  await go(page, 'overview');
  const box = page.locator('section[aria-labelledby="ov-balances"] [aria-busy="true"]');
  assert.equal((await box.innerText()).trim(), 'Loading balances…');
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('section[aria-labelledby="ov-balances"] .loading').count(), 0);
});

test('Wallex Pay unreachable: the part not read says so and offers Try again, which reads it once it answers', async () => {
  await go(page, 'receive');
  await sb.admin('POST', 'faults', { kind: 'reset', count: 50, cmd: 'balances', key: sb.pub });
  await go(page, 'overview');
  const box = page.locator('section[aria-labelledby="ov-balances"] [role="alert"]');
  await box.waitFor({ timeout: 30_000 });
  assert.match(await box.innerText(), /Cannot reach Wallex Pay/);
  // in a merchant's words: what to do, and that the account did not change (no engineer's "safe to repeat")
  assert.equal((await box.locator('.notice-hint').innerText()).trim(), 'Check the API URL and your internet connection, then try again. Nothing changed in your account.');
  await snap('overview-unreachable');
  await sb.admin('DELETE', 'faults');
  await box.getByRole('button', { name: 'Try again' }).click();
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor({ timeout: 15_000 });
  assert.equal(await box.count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'ov-balances', 'focus stays in the section');
});

test('a key without permission for a command: the box names the command to enable, in the merchant\'s words, the API\'s text under details', async () => {
  await go(page, 'receive');
  await sb.admin('PUT', `keys/${sb.pub}/permissions`, { permissions: ['get_basic_info', 'rates'] });
  try {
    await go(page, 'overview');
    const box = page.locator('section[aria-labelledby="ov-balances"] [role="alert"]');
    await box.waitFor({ timeout: 30_000 });
    assert.equal((await box.locator('.notice-hint').innerText()).trim(), 'Enable “balances” for this key under “Edit Permissions” in your Wallex Pay account, then try again.');
    assert.equal(await box.locator('.notice-detail').isVisible(), false, 'the API\'s own text waits under Technical details');
    await snap('overview-permission');
  } finally {
    await sb.admin('PUT', `keys/${sb.pub}/permissions`, {});
  }
  await page.locator('section[aria-labelledby="ov-balances"] [role="alert"]').getByRole('button', { name: 'Try again' }).click();
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor({ timeout: 15_000 });
});

test('connect screen after connecting shows the session, never the key', async () => {
  await go(page, 'connect');
  await page.getByRole('button', { name: 'Lock' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.equal(await page.getByLabel('Private key').count(), 0);
  const text = await page.locator('main').innerText();
  assert.match(text, /Session expires/);
  assert.match(text, new RegExp(sb.pub));
  await snap('connect');
});

test('receive: create a payment, local QR, the sandbox pays it, the status turns complete', async () => {
  await go(page, 'receive');
  await page.getByLabel('Amount', { exact: true }).fill('12.50');
  await page.getByLabel('Pricing currency').selectOption('USD');
  await page.getByLabel('Pay currency').selectOption('LTCT');
  await page.getByLabel('Buyer email').fill('buyer@example.com');
  await page.getByLabel('Item').fill('Blue mug');
  await page.getByRole('button', { name: 'Create payment' }).click();
  const card = page.locator('section[data-txn]');
  await card.waitFor();
  const txn = /** @type {string} */ (await card.getAttribute('data-txn'));
  const text = await card.innerText();
  assert.match(text, /Amount to pay\s+[\d.]+ LTCT/);
  // before the first check, what was received reads as money in the coin, as the amount to pay does
  assert.match(text, /Received\s+0\.00000000 LTCT/);
  // the address the sandbox issued for this payment (a real testnet-Litecoin address)
  const { payment_address: address } = await sb.admin('GET', `tx/${txn}`);
  assert.match(address, /^tltc1q[02-9ac-hj-np-z]{38,}$/);
  assert.ok(text.includes(address), text);
  // the QR code is drawn locally as SVG (no image from the network)
  const qr = card.locator('svg.qr');
  assert.equal(await qr.count(), 1);
  assert.ok(/** @type {string} */ (await qr.getAttribute('aria-label')).includes(address));
  assert.equal(await card.locator('img').count(), 0);
  const href = await card.getByRole('link', { name: 'Open checkout page' }).getAttribute('href');
  assert.match(/** @type {string} */ (href), /^http:\/\/127\.0\.0\.1:\d+\//);
  assert.match(await card.locator('.countdown').innerText(), /\d+ (h|min|s)/);
  await snap('receive');
  await sb.admin('POST', `tx/${txn}/pay`, {});
  await page.locator('.payment-status[data-state="paid"]').waitFor({ timeout: 15_000 });
  assert.match(await page.locator('.payment-status').innerText(), /Complete/);
  const recent = page.locator('section[aria-labelledby="rc-recent"] tbody tr', { hasText: txn });
  await recent.waitFor();
  // what was received names its coin, as the amount does (payments in several coins are listed)
  assert.match(await recent.locator('td').nth(3).innerText(), /^\d+\.\d{8} LTCT$/);
});

test('send: a withdrawal goes through the review step', async () => {
  await go(page, 'send');
  const [addr] = await sb.addresses('LTCT');
  await page.getByLabel('Amount', { exact: true }).first().fill('0.5');
  await page.getByLabel('Currency', { exact: true }).first().selectOption('LTCT');
  await page.getByLabel('Note').fill('order 42');
  await page.getByLabel('Skip the email confirmation').first().check();
  // a one-character typo is caught by core's checksum check before the review
  await page.getByLabel('Destination address').fill(typo(addr));
  await page.getByRole('button', { name: 'Review withdrawal' }).click();
  const addrErr = page.locator('section[aria-labelledby="sd-wd"] .field-error:not([hidden])');
  await addrErr.waitFor();
  assert.match(await addrErr.innerText(), /This LTCT address has a wrong checksum[\s\S]*nothing was sent/);
  assert.equal(await page.locator('section.review').count(), 0);
  await page.getByLabel('Destination address').fill(addr);
  await page.getByRole('button', { name: 'Review withdrawal' }).click();
  const review = page.locator('section.review');
  await review.waitFor();
  const text = await review.innerText();
  assert.match(text, /Amount\s+0\.50000000 LTCT/);
  await review.locator('dd .fiat', { hasText: '≈' }).waitFor();
  assert.match(await review.innerText(), /Value\s+≈ [\d.]+ USD \(approximate, at today’s exchange rate\)/);
  assert.match(text, /Currency\s+LTCT/);
  assert.match(text, new RegExp(`Destination\\s+${addr}`));
  // focus moved to the review heading
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Review the withdrawal');
  await snap('send-review');
  const before = (await sb.stats()).by_cmd.create_withdrawal ?? 0;
  await review.getByRole('button', { name: 'Confirm and send' }).click();
  const ok = review.locator('.notice.ok');
  await ok.waitFor();
  const m = /Withdrawal (\S+) created/.exec(await ok.innerText());
  assert.ok(m, await ok.innerText());
  const wd = await sb.admin('GET', `withdrawals/${m[1]}`);
  assert.equal(JSON.stringify(wd).includes(addr), true);
  assert.equal((await sb.stats()).by_cmd.create_withdrawal, before + 1);
  await page.getByRole('button', { name: 'Refresh history' }).click();
  await page.locator('section[aria-labelledby="sd-history"] tbody tr', { hasText: m[1] }).waitFor();
});

/** @param {string[]} addresses */
function payoutCsv(addresses) {
  const lines = ['address,currency,amount,memo'];
  addresses.forEach((a, k) => { const i = k + 1; lines.push(`${a},LTCT,0.${String(i).padStart(2, '0')},"payee ${i}, batch A"`); });
  return lines.join('\n') + '\n';
}

test('mass payouts: every bad line is listed, then 20 rows are sent with progress and a results CSV', async () => {
  await go(page, 'payouts');
  const fresh = await sb.addresses('LTCT', 24);
  // line 3: a one-character typo of a valid address (its checksum fails); 4: not an amount; 5: no such coin
  const bad = `address,currency,amount\n${fresh[20]},LTCT,1\n${typo(fresh[21])},LTCT,1\n${fresh[22]},LTCT,abc\n${fresh[23]},NOPE,1\n`;
  await page.getByLabel('Payout file (CSV)').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  const problems = page.locator('ul.problems li');
  await problems.first().waitFor();
  // the payout engine's own reading (core/payout through the bridge): every bad line at once
  assert.deepEqual(await problems.evaluateAll((els) => els.map((e) => /** @type {HTMLElement} */ (e).dataset.line)), ['3', '4', '5']);
  const ptext = await problems.allInnerTexts();
  assert.match(ptext[0], /^Line 3: .*(address|checksum)/);
  assert.match(ptext[1], /^Line 4: .*amount/);
  assert.match(ptext[2], /^Line 5: .*NOPE/);
  assert.equal(await page.locator('[data-action="send-payouts"]').count(), 0);

  const csv = payoutCsv(fresh.slice(0, 20));
  await page.getByLabel('Payout file (CSV)').setInputFiles({ name: 'batch-a.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const send = page.locator('[data-action="send-payouts"]');
  await send.waitFor();
  assert.equal(await send.innerText(), 'Confirm and send 20 payouts');
  assert.match(await page.locator('section[aria-labelledby="po-review"]').innerText(), /Totals\s+2\.10000000 LTCT/);
  // the file's id in the merchant's words: the wk: tag its memos carry (not "File fingerprint
  // db28a8245bafd968 (wk:db28a824)"); no progress bar before anything is sent
  const review = await page.locator('section[aria-labelledby="po-review"]').innerText();
  assert.match(review, /File ID\s+wk:[0-9a-f]{8}\s/);
  assert.match(review, /Each payout's memo carries it/);
  assert.doesNotMatch(review, /fingerprint|[0-9a-f]{16}/);
  assert.equal(await page.locator('#po-progress').isVisible(), false, 'a progress bar while nothing is sent');
  // "Paste instead" opened says what it holds once (its summary named it, then "Or paste the CSV" again)
  await page.locator('form details summary').click();
  assert.equal(await page.locator('form details summary').innerText(), 'Paste the CSV instead');
  const pasteLabel = page.locator('form details label[for]');
  assert.ok(await pasteLabel.evaluate((l) => l.getBoundingClientRect().width <= 1), 'a second visible label under the summary');
  assert.equal(await page.getByLabel('Payout CSV').count(), 1, 'the field keeps its name');
  await page.locator('form details summary').click();
  const before = (await sb.stats()).by_cmd.create_mass_withdrawal ?? 0;
  await send.click();
  // the file is new here: its rows are held for one in-flight bound (a batch of it sent from
  // another tool or key lands by then), and the page goes on by itself when the hold ends
  const holding = page.locator('#po-next', { hasText: 'Holding these payouts until' });
  await holding.waitFor();
  assert.equal(await page.locator('#po-progress').isVisible(), true, 'the progress bar once the run started');
  assert.match(await page.locator('#po-progress-text').innerText(), /^0 of 20 sent, 20 held until the check before sending\.$/);
  assert.match(await page.locator('[data-state="in_flight"][data-line="2"]').innerText(), /^held until \d{1,2}:\d{2}:\d{2}.*, then looked up and sent$/);
  assert.equal((await sb.stats()).by_cmd.create_mass_withdrawal ?? 0, before, 'nothing sent during the hold');
  // a row with no withdrawal yet and no reason says so with a dash, not a label beside nothing
  const heldRow = page.locator('section[data-sha256] tbody tr', { has: page.locator('[data-line="2"]') });
  assert.equal(await heldRow.locator('td').last().innerText(), '—');
  await snap('mass-payouts-held');
  await page.waitForFunction(() => /** @type {HTMLProgressElement} */ (document.getElementById('po-progress'))?.value === 20, null, { timeout: 60_000 });
  await page.locator('#po-next', { hasText: 'every payout is sent' }).waitFor();
  assert.match(await page.locator('#po-progress-text').innerText(), /^20 of 20 sent\.$/);
  assert.equal((await sb.stats()).by_cmd.create_mass_withdrawal, before + 2); // batches of 10
  // the last step's sentence shows while its run ends; the button goes with the run
  await send.waitFor({ state: 'hidden', timeout: 10_000 }); // nothing left to send
  await snap('mass-payouts');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-action="download-results"]').click()]);
  const rows = readCsv(readFileSync(/** @type {string} */ (await download.path()), 'utf8'));
  assert.equal(rows.length, 21);
  assert.deepEqual(rows[0], ['line', 'address', 'currency', 'amount', 'memo', 'note', 'status', 'withdrawal_id', 'error']);
  const notes = new Set();
  for (const r of rows.slice(1)) {
    assert.equal(r[6], 'sent', r.join(','));
    assert.match(r[7], /\S/);
    // the one note tag every wallexkit tool uses: "memo (wk:HASH8:LINE)"
    assert.match(r[5], /^payee \d+, batch A \(wk:[0-9a-f]{8}:\d+\)$/);
    notes.add(r[5]);
    const wd = await sb.admin('GET', `withdrawals/${r[7]}`);
    assert.equal(JSON.stringify(wd).includes(r[1]), true);
  }
  assert.equal(notes.size, 20);

  // loading the same file again (under another name) resumes: nothing is left to send
  await go(page, 'overview');
  await go(page, 'payouts');
  await page.getByLabel('Payout file (CSV)').setInputFiles({ name: 'batch-a (copy).csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.locator('section[aria-labelledby="po-review"]').waitFor();
  assert.match(await page.locator('section[aria-labelledby="po-review"]').innerText(), /Earlier runs\s+20 of 20 sent/);
  assert.equal(await page.locator('[data-action="send-payouts"]').isVisible(), false);
  assert.equal((await sb.stats()).by_cmd.create_mass_withdrawal, before + 2);
});

test('payment-button builder produces copyable HTML with the spec fields', async () => {
  await go(page, 'button');
  await page.getByLabel('Merchant ID').waitFor();
  await page.waitForFunction(() => /** @type {HTMLInputElement} */ (document.querySelector('input[name="merchant"]'))?.value !== '');
  assert.equal(await page.getByLabel('Merchant ID').inputValue(), sb.merchantId);
  await page.getByLabel('Price').fill('19.99');
  await page.getByLabel('Item name').fill('Gift card "gold" <b>');
  await page.getByLabel('Form action URL').fill('https://pay.example.com/checkout');
  await page.getByText('Optional fields').click();
  await page.getByLabel('Invoice', { exact: true }).fill('INV-7');
  await page.getByRole('button', { name: 'Make the button' }).click();
  const code = page.getByLabel('HTML to paste into your page');
  await code.waitFor();
  const html = await code.inputValue();
  assert.match(html, /^<form action="https:\/\/pay\.example\.com\/checkout" method="post"/);
  for (const [n, v] of [['cmd', '_pay_simple'], ['reset', '1'], ['merchant', sb.merchantId], ['currency', 'USD'], ['amountf', '19.99000000'], ['item_name', 'Gift card &quot;gold&quot; &lt;b&gt;'], ['invoice', 'INV-7']]) {
    assert.ok(html.includes(`name="${n}" value="${v}"`), `${n} in ${html}`);
  }
  await snap('button-builder');
  assert.deepEqual(errors, []);
});

test('keyboard: tabs are links with aria-current; errors are announced in role=alert', async () => {
  await go(page, 'send');
  assert.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Send');
  await page.getByRole('button', { name: 'Review withdrawal' }).click(); // empty form
  const err = page.locator('.field-error:not([hidden])').first();
  await err.waitFor();
  assert.match(await err.innerText(), /Amount is empty/);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-invalid')), 'true');
  await page.keyboard.press('Shift+Tab');
  assert.ok(await page.evaluate(() => document.activeElement !== document.body));
});
