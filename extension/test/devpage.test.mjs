// The local dev page ('wallexkit console'): the same console with the wasm core in the
// page (web/backend-local.js), the API proxied to a real sandbox on the same origin.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSandbox, startDevServer, connect, go, allStrings, ROOT, CHROMIUM, shot } from './harness.mjs';
import { TUNING, sleep, newMerchant, withdrawalsOf, waitForCall, connectAs, reviewWithdrawal } from './matrix-lib.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('node:child_process').ChildProcess} */ let server;
/** @type {import('playwright-core').Browser} */ let browser;
/** @type {import('playwright-core').Page} */ let page;
let origin = '';
const pageErrors = [];

before(async () => {
  sb = await startSandbox();
  server = await startDevServer(sb);
  origin = server.origin;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
after(async () => {
  await browser?.close();
  server?.stop();
  await sb?.stop();
});

test('the dev page connects through the proxy with the wasm core in the page', async () => {
  await page.goto(`${origin}/`);
  await page.getByLabel('API URL').waitFor();
  await connect(page, { ...sb, apiUrl: `${origin}/api` });
  await page.locator('main').getByText('Demo Store').waitFor();
  const stores = await page.evaluate(() => ({
    session: Object.fromEntries(Object.entries(sessionStorage)),
    local: Object.fromEntries(Object.entries(localStorage)),
  }));
  assert.ok(Object.keys(stores.session).some((k) => k.startsWith('wk.token.')), 'token in sessionStorage');
  assert.ok(Object.keys(stores.local).some((k) => k.startsWith('wk.nonce.')), 'nonce in localStorage');
  assert.ok(!allStrings(stores).some((s) => s.includes(sb.priv)), 'no private key in web storage');
});

test('a reload keeps the session (token in sessionStorage) without a new login', async () => {
  await page.reload();
  await page.locator('main [data-screen="overview"]').waitFor();
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
  assert.equal((await sb.stats()).logins, 1);
  await go(page, 'receive');
  await page.locator('section[aria-labelledby="rc-recent"] .empty, section[aria-labelledby="rc-recent"] table').first().waitFor();
  assert.deepEqual(pageErrors, []);
});

test('dark mode follows prefers-color-scheme', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.emulateMedia({ colorScheme: 'light' });
  const light = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(dark, light);
  assert.equal(light, 'rgb(247, 248, 250)');
  assert.equal(dark, 'rgb(16, 20, 24)');
});

// Spec §2: expires_at has no zone and is read as UTC; a server whose clock is behind this one
// hands out tokens that look expired on arrival. A console that holds the key logs in again
// when it needs to; it must not show "Locked".
test('a server clock two hours behind: the console stays connected and keeps working', async () => {
  const acct = await sb.admin('POST', 'accounts', { username: 'skewed', email: 'skewed@example.com' });
  const key = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});
  const context = await browser.newContext();
  // this machine's clock runs two hours ahead of the sandbox's (the wasm core reads Date too)
  await context.addInitScript(() => {
    const Real = Date;
    const skew = 2 * 3600e3;
    class Skewed extends Real {
      constructor(...a) { if (a.length) super(...a); else super(Real.now() + skew); }
      static now() { return Real.now() + skew; }
    }
    globalThis.Date = /** @type {any} */ (Skewed);
  });
  const p = await context.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  try {
    await p.goto(`${origin}/`);
    await p.getByLabel('API URL').waitFor();
    await connect(p, { ...sb, apiUrl: `${origin}/api`, pub: key.public_key, priv: key.private_key });
    await p.locator('main').getByText('Username').waitFor();
    await p.locator('section[aria-labelledby="ov-balances"] .empty, section[aria-labelledby="ov-balances"] table').first().waitFor();
    assert.equal(await p.locator('main .notice.warn', { hasText: 'locked' }).count(), 0);
    assert.match(await p.locator('#wk-session').innerText(), /^Connected · signs in again when needed/);
    await go(p, 'send');
    await p.locator('section[aria-labelledby="sd-history"] .empty, section[aria-labelledby="sd-history"] table').first().waitFor();
    await go(p, 'connect');
    const note = p.locator('[data-notice="clock-skew"]');
    await note.waitFor();
    assert.match(await note.innerText(), /clock and Wallex Pay’s disagree[\s\S]*signs in again whenever it needs to/);
    assert.match(await p.locator('main dl.facts').innerText(), /Session expires\s+signs in again when needed/);
    // the core takes the expiry as unknown and uses the token until the API refuses it: one
    // login for every call above, none refused
    const st = await sb.stats(key.public_key);
    assert.equal(st.logins, 1);
    assert.equal(st.failed_calls, 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('mass payouts: a row the API refuses is sent again only by "Retry refused rows"', async () => {
  const acct = await sb.admin('POST', 'accounts', { username: 'refused', email: 'refused@example.com' });
  const key = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});
  await sb.admin('PUT', `accounts/${acct.merchant_id}/balances`, { LTCT: '1' });
  const context = await browser.newContext();
  const p = await context.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  try {
    await p.goto(`${origin}/`);
    await p.getByLabel('API URL').waitFor();
    // a short hold before the file's first batch (the client's timeout plus its in-flight window)
    await p.evaluate((t) => localStorage.setItem('wk.tuning', JSON.stringify(t)), { timeoutMs: 4000, inFlightWindowMs: 1000 });
    await connect(p, { ...sb, apiUrl: `${origin}/api`, pub: key.public_key, priv: key.private_key });
    await go(p, 'payouts');
    const a = await sb.addresses('LTCT', 3);
    const csv = `address,currency,amount\n${a[0]},LTCT,0.1\n${a[1]},LTCT,0.2\n${a[2]},LTCT,5\n`;
    await p.getByLabel('Payout file (CSV)').setInputFiles({ name: 'refused.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await p.locator('[data-action="send-payouts"]').click();
    const retry = p.locator('[data-action="retry-refused"]');
    await retry.waitFor({ timeout: 30_000 });
    assert.match(await p.locator('#po-progress-text').innerText(), /^2 of 3 sent, 1 refused\.$/);
    assert.match(await p.locator('[data-state="failed"][data-line="4"]').innerText(), /refused/);
    assert.equal(await p.locator('[data-action="send-payouts"]').isVisible(), false, 'Resume never resends a refused row');
    // the merchant tops up, then asks for the refused row again
    await sb.admin('PUT', `accounts/${acct.merchant_id}/balances`, { LTCT: '100' });
    await retry.click();
    await p.locator('#po-next', { hasText: 'every payout is sent' }).waitFor({ timeout: 30_000 });
    assert.match(await p.locator('#po-progress-text').innerText(), /^3 of 3 sent\.$/);
    assert.equal((await sb.stats(key.public_key)).by_cmd.create_mass_withdrawal, 2);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('nonces turned off for a key that has used them: the console says so in the merchant\'s words', async () => {
  const acct = await sb.admin('POST', 'accounts', { username: 'noncekey', email: 'noncekey@example.com' });
  const key = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});
  const context = await browser.newContext();
  const p = await context.newPage();
  try {
    await p.goto(`${origin}/`);
    await p.getByLabel('API URL').waitFor();
    const k = { ...sb, apiUrl: `${origin}/api`, pub: key.public_key, priv: key.private_key };
    await connect(p, k); // nonces on (the default): the key has now used a nonce
    await p.locator('section[aria-labelledby="ov-balances"] .empty, section[aria-labelledby="ov-balances"] table').first().waitFor();
    await go(p, 'connect');
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByLabel('API URL').fill(k.apiUrl);
    await p.getByLabel('Public key').fill(k.pub);
    await p.getByLabel('Private key').fill(k.priv);
    await p.locator('details', { hasText: 'Advanced' }).locator('summary').click();
    await p.getByLabel('Send a nonce with every call').uncheck();
    await p.getByRole('button', { name: 'Connect', exact: true }).click();
    const box = p.locator('main [role=alert][data-code="nonce"]').first();
    await box.waitFor({ timeout: 30_000 });
    assert.match(await box.innerText(), /This API key needs nonces, and they are turned off here[\s\S]*Connect → Advanced/);
    await go(p, 'send');
    assert.match(await p.locator('[data-notice="nonces-off"]').innerText(), /Nonces are off[\s\S]*sends no money[\s\S]*Turn nonces on/);
    assert.equal(await p.locator('section[aria-labelledby="sd-wd"]').count(), 0, 'no withdrawal form while nonces are off');
    // Connect → Turn nonces on…: the same keys again, nonces ticked, and sending is back
    await go(p, 'connect');
    assert.match(await p.locator('main dl.facts').innerText(), /Nonces\s+off: this console sends no money/);
    await p.getByRole('button', { name: 'Turn nonces on…' }).click();
    await p.getByLabel('Private key').waitFor();
    assert.equal(await p.getByLabel('Public key').inputValue(), k.pub);
    assert.equal(await p.getByLabel('Send a nonce with every call').isChecked(), true);
    assert.match(await p.locator('details[open] .hint').first().innerText(), /this console does not send money/);
    await shot(p, 'connect-turn-nonces-on');
    await p.getByLabel('Private key').fill(k.priv);
    await p.getByRole('button', { name: 'Connect', exact: true }).click();
    await p.locator('main [data-screen="overview"]').waitFor({ timeout: 30_000 });
    await p.locator('section[aria-labelledby="ov-balances"] .empty, section[aria-labelledby="ov-balances"] table').first().waitFor();
    await go(p, 'send');
    await p.locator('section[aria-labelledby="sd-wd"]').waitFor();
    assert.equal(await p.locator('[data-notice="nonces-off"]').count(), 0);
  } finally {
    await context.close();
  }
});

test('a file an earlier console version started (its own progress record, its own note tags) is not sent again', async () => {
  const acct = await sb.admin('POST', 'accounts', { username: 'legacy', email: 'legacy@example.com' });
  const key = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});
  const a = await sb.addresses('LTCT', 2);
  const csv = `address,currency,amount,memo\n${a[0]},LTCT,0.1,a\n${a[1]},LTCT,0.2,b\n`;
  const sha = createHash('sha256').update(csv).digest('hex');
  const context = await browser.newContext();
  const p = await context.newPage();
  try {
    await p.goto(`${origin}/`);
    // what the JS engine of earlier versions left in localStorage half way through this file
    await p.evaluate(([k, v]) => localStorage.setItem(k, JSON.stringify(v)), [`wk.payout.${sha}`, {
      v: 1, hash: sha, name: 'old.csv', createdAt: Date.now() - 3600e3, updatedAt: Date.now() - 3600e3,
      rows: { 1: { status: 'sent', note: `wk:${sha.slice(0, 8)}:1 a`, id: 'CWOLD1' }, 2: { status: 'pending', note: `wk:${sha.slice(0, 8)}:2 b` } },
    }]);
    await p.getByLabel('API URL').waitFor();
    await connect(p, { ...sb, apiUrl: `${origin}/api`, pub: key.public_key, priv: key.private_key });
    await go(p, 'payouts');
    await p.getByLabel('Payout file (CSV)').setInputFiles({ name: 'old.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const box = p.locator('section[data-legacy]');
    await box.waitFor();
    assert.match(await box.innerText(), /earlier version[\s\S]*will not be sent as it is[\s\S]*CWOLD1/);
    assert.equal(await p.locator('[data-action="send-payouts"]').count(), 0);
    assert.equal((await sb.stats(key.public_key)).by_cmd.create_mass_withdrawal ?? 0, 0);
  } finally {
    await context.close();
  }
});

test('a transfer of unknown outcome that reconciling cannot settle: it stays listed until a person checks and forgets it (at once after the fence)', async () => {
  const acct = await sb.admin('POST', 'accounts', { username: 'forgetter', email: 'forgetter@example.com' });
  const other = await sb.admin('POST', 'accounts', { username: 'payee', email: 'payee@example.com' });
  const key = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});
  await sb.admin('PUT', `accounts/${acct.merchant_id}/balances`, { LTCT: '10' });
  const context = await browser.newContext();
  const p = await context.newPage();
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  try {
    await p.goto(`${origin}/`);
    // requests given up after 1 s, which may still arrive for a minute more: forgetting waits that
    // out, unless a reconcile's nonce fence has made sure no copy can arrive
    await p.evaluate(() => localStorage.setItem('wk.tuning', JSON.stringify({ timeoutMs: 1000, inFlightWindowMs: 60_000, fencePauseMs: 20 })));
    await p.getByLabel('API URL').waitFor();
    await connect(p, { ...sb, apiUrl: `${origin}/api`, pub: key.public_key, priv: key.private_key });
    await go(p, 'send');
    const tr = p.locator('section[aria-labelledby="sd-tr"]');
    await tr.getByLabel('Amount', { exact: true }).fill('0.5');
    await p.waitForFunction(() => [...document.querySelectorAll('select[name="trCurrency"] option')].some((o) => /** @type {HTMLOptionElement} */ (o).value === 'LTCT'));
    await tr.getByLabel('Currency', { exact: true }).selectOption('LTCT');
    await tr.getByLabel('Merchant ID').fill(other.merchant_id);
    await tr.getByRole('button', { name: 'Review transfer' }).click();
    await sb.admin('POST', 'faults', { kind: 'commit_drop', cmd: 'create_transfer', key: key.public_key });
    const sent = Date.now();
    await tr.getByRole('button', { name: 'Confirm and send' }).click();
    await tr.locator('[role=alert][data-code="outcome_unknown"]').waitFor({ timeout: 30_000 });
    assert.equal(await tr.getByRole('button', { name: 'Confirm and send' }).count(), 0);
    // after a restart it is listed, with a banner; a person checks the account and forgets it
    await p.reload();
    await p.locator('#wk-ops-banner:not([hidden])').waitFor();
    const op = p.locator('#wk-unsettled article.op');
    await op.waitFor();
    assert.match(await op.innerText(), /Transfer 0\.50000000 LTCT to merchant/);
    await op.getByRole('button', { name: 'I checked, forget it…' }).click();
    assert.match(await op.locator('[role=alert]').innerText(), /Only if you have checked[\s\S]*could pay twice/);
    await shot(p, 'unsettled-forget-guard');
    await op.getByRole('button', { name: 'Keep it' }).click();
    assert.equal(await op.count(), 1, 'kept');
    // not while it may still arrive (not reconciled yet): no check of the account can tell yet
    await op.getByRole('button', { name: 'I checked, forget it…' }).click();
    await op.getByRole('button', { name: 'Forget it' }).click();
    await op.locator('[data-reason="may-still-arrive"]').waitFor();
    assert.equal(await op.count(), 1, 'not forgotten while it may still arrive');
    // reconciled: no history lists a transfer to a merchant, but the fence has run, so no copy can
    // arrive any more and what the balances show is final: it can be forgotten at once
    await op.getByRole('button', { name: 'Reconcile' }).click();
    const verdict = op.locator('[data-verdict="ambiguous"]');
    await verdict.waitFor({ timeout: 30_000 });
    assert.match(await verdict.innerText(), /Cannot tell for sure[\s\S]*can no longer be carried out[\s\S]*Unsettled operations/);
    await op.getByRole('button', { name: 'I checked, forget it…' }).click();
    await op.getByRole('button', { name: 'Forget it' }).click();
    await p.locator('#wk-unsettled[hidden]').waitFor({ state: 'attached' });
    await p.locator('#wk-ops-banner[hidden]').waitFor({ state: 'attached' });
    assert.ok(Date.now() - sent < 60_000, 'forgotten within the in-flight bound: by the fence, not by the wait');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// Each tab of the dev page runs its own core over one localStorage. The API's nonce check is not
// atomic (spec §4): two nonce-bearing calls of one key in flight at once can leave its mark below
// the higher one, and then a copy Chromium resends by itself, or a request a fence proved could no
// longer land, is carried out. The tabs take turns: one such call per key at a time.
test('two dev-page tabs on one key never have two nonce-bearing calls in flight at once', async () => {
  const m = await newMerchant(sb);
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  try {
    const open = async () => {
      const p = await context.newPage();
      await p.goto(`${origin}/`);
      await p.evaluate((t) => localStorage.setItem('wk.tuning', JSON.stringify(t)), { ...TUNING, timeoutMs: 4000 });
      await p.getByLabel('API URL').waitFor();
      await connectAs(p, `${origin}/api`, m, true);
      await p.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
      return p;
    };
    const a = await open();
    const b = await open();
    const before = await sb.stats(m.pub);
    // tab A sends a withdrawal the network holds for 2 s (within its timeout)
    await go(a, 'send');
    await reviewWithdrawal(a, { address: (await sb.addresses('LTCT'))[0], amount: '0.2', note: 'tab-a' });
    await sb.admin('POST', 'faults', { kind: 'delay', delay_ms: 2000, cmd: 'create_withdrawal', key: m.pub });
    await a.locator('section.review [data-action="confirm"]').click();
    await waitForCall(sb, m.pub, 'create_withdrawal');
    // meanwhile tab B reads (nonce-bearing calls of the same key)
    await go(b, 'receive');
    await go(b, 'overview');
    await b.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
    await a.locator('section.review .notice.ok, section.review [role=alert]').first().waitFor({ timeout: 15_000 });
    const st = await sb.stats(m.pub);
    assert.equal(st.overlaps - before.overlaps, 0, `nonce-bearing calls overlapped: ${JSON.stringify(st)}`);
    assert.equal(st.nonce_errors - before.nonce_errors, 0, 'the held withdrawal was refused for its nonce');
    assert.equal(await a.locator('section.review [role=alert]').count(), 0, 'the withdrawal went through');
  } finally {
    await context.close();
  }
});

// The same withdrawal confirmed in two tabs of the dev page at once, each tab's token run out (a
// login comes between core's check for an identical unsettled request and the record it writes
// before sending), and the first one's answer lost after the API carried it out: the second tab
// must find the first one's record (an unknown outcome) and offer Reconcile, not pay it again.
test('the same withdrawal confirmed in two dev-page tabs while the first is unsettled is paid once', async () => {
  // a sandbox of its own whose tokens last 4 s: both tabs log in again before they send
  const sb2 = await startSandbox({ tokenTtl: '4s' });
  const dev2 = await startDevServer(sb2);
  const m = await newMerchant(sb2);
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  try {
    const w = { address: (await sb2.addresses('LTCT'))[0], amount: '0.3', note: 'same-in-two-tabs' };
    const open = async () => {
      const p = await context.newPage();
      await p.goto(`${dev2.origin}/`);
      await p.evaluate((t) => localStorage.setItem('wk.tuning', JSON.stringify(t)), { ...TUNING, timeoutMs: 5000 });
      await p.getByLabel('API URL').waitFor();
      await connectAs(p, `${dev2.origin}/api`, m, true);
      await p.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
      await go(p, 'send');
      await reviewWithdrawal(p, w);
      return p;
    };
    const a = await open();
    const b = await open();
    await sleep(4500); // both tokens have run out
    await sb2.admin('POST', 'faults', { kind: 'delay', delay_ms: 1500, cmd: 'login', key: m.pub, count: 2 });
    await sb2.admin('POST', 'faults', { kind: 'commit_drop', cmd: 'create_withdrawal', key: m.pub });
    await a.locator('section.review [data-action="confirm"]').click();
    await sleep(300);
    await b.locator('section.review [data-action="confirm"]').click();
    for (const p of [a, b]) await p.locator('section.review .notice.ok, section.review [role=alert]').first().waitFor({ timeout: 20_000 });
    await sleep(500);
    const paid = (await withdrawalsOf(sb2, m, true)).filter((x) => x.send_address === w.address).length;
    assert.equal(paid, 1, 'withdrawals recorded for one withdrawal confirmed in two tabs');
    for (const p of [a, b]) {
      assert.equal(await p.locator('section.review [data-action="confirm"]').count(), 0, 'no send button after an unknown outcome');
      await p.locator('section.review [data-action="reconcile"]').waitFor();
    }
  } finally {
    await context.close();
    dev2.stop();
    await sb2.stop();
  }
});

// A payment request answered "ok" without a txn_id is an outcome unknown (core's unreadableAnswer);
// made without an invoice, Reconcile cannot find it by one and answers ambiguous. What it says to
// check must be where a payment shows (Receive's recent payments), not the withdrawal history or
// the balances: neither lists a payment request, so a person who checked them "found nothing",
// forgot it and created the payment again (a second payment request for the sale).
test('a payment request of unknown outcome that reconcile cannot settle says to check the payments', async () => {
  const m = await newMerchant(sb);
  const context = await browser.newContext();
  const p = await context.newPage();
  try {
    await p.goto(`${origin}/`);
    await p.evaluate((t) => localStorage.setItem('wk.tuning', JSON.stringify(t)), TUNING);
    await p.getByLabel('API URL').waitFor();
    await connectAs(p, `${origin}/api`, m, true);
    await go(p, 'receive');
    const form = p.locator('section[aria-labelledby="rc-new"]');
    await form.getByLabel('Amount', { exact: true }).fill('7');
    await form.getByLabel('Buyer email').fill('buyer@example.com');
    await sb.admin('POST', 'faults', { kind: 'omit', field: 'txn_id', cmd: 'create_transaction', key: m.pub });
    await form.getByRole('button', { name: 'Create payment' }).click();
    await p.locator('[role=alert][data-code="outcome_unknown"]').waitFor({ timeout: 30_000 });
    await p.locator('button[data-action="reconcile"]').first().click();
    const verdict = p.locator('[data-verdict="ambiguous"]');
    await verdict.waitFor({ timeout: 30_000 });
    const text = await verdict.innerText();
    assert.doesNotMatch(text, /Check the withdrawal history/, text);
    assert.match(text, /Recent payments/, text);
  } finally {
    await context.close();
  }
});
