// A payout run keeps to the store it was confirmed in. The dev page (wasm core in the page, API
// proxied to a real sandbox) with two stores, A and B (two accounts): a 30-row file confirmed in
// A; while the run's first step (the look-up before the hold) is on its way, the merchant picks
// B in the header's switcher, only to look at B. Nothing may leave B's account; and when the
// merchant goes back to A and follows what A's Mass payouts screen says, no payee is paid twice.
// (Before the fix, the step in flight returned a hold after the switch, its timer went on, and
// when the hold ended the run stepped on in the store the page showed: B paid all 30 rows, and A
// paid them again: 30 of 30 payees paid twice. Found by a helper audit.)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startSandbox, CHROMIUM } from './harness.mjs';
import { TUNING, sleep, newMerchant, withdrawalsOf, waitForCall, startDevServer, connectAs, goTo, payoutFile, loadPayouts, followPayouts } from './matrix-lib.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {{origin: string, stop: () => void}} */ let dev;
/** @type {import('playwright-core').Browser} */ let browser;

before(async () => {
  sb = await startSandbox();
  dev = await startDevServer(sb);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});
after(async () => {
  await browser?.close();
  dev?.stop();
  await sb?.stop();
});

/** @param {import('playwright-core').Page} page @param {string} name */
async function pickStore(page, name) {
  await page.getByLabel('Store', { exact: true }).selectOption({ label: name });
  await page.waitForFunction((n) => {
    const el = /** @type {HTMLSelectElement} */ (document.getElementById('wk-store'));
    return !el.disabled && el.selectedOptions[0]?.textContent === n;
  }, name);
}

test('a payout run confirmed in store A never pays from store B when the header switches to B mid-run', async () => {
  const a = await newMerchant(sb);
  const b = await newMerchant(sb);
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${dev.origin}/`);
  await page.evaluate((t) => localStorage.setItem('wk.tuning', JSON.stringify(t)), TUNING);
  await page.getByLabel('API URL').waitFor();
  await page.getByLabel('Store name').fill('Store A');
  await connectAs(page, `${dev.origin}/api`, a, true);
  await page.getByLabel('Store', { exact: true }).selectOption({ label: 'Add a store…' });
  await page.locator('main form [data-add-store]').waitFor();
  await page.getByLabel('Store name').fill('Store B');
  await connectAs(page, `${dev.origin}/api`, b, true);
  await pickStore(page, 'Store A');
  await goTo(page, 'payouts');

  const f = await payoutFile(sb, 30);
  await loadPayouts(page, 'june.csv', f.text);
  // A's look-up of the file (the run's first step) takes a little longer, well within the 1 s
  // timeout: the switch comes while it is on its way
  const seen = (await sb.stats(a.pub)).by_cmd?.get_withdrawal_history ?? 0;
  await sb.admin('POST', 'faults', { kind: 'delay', delay_ms: 800, count: 2, cmd: 'get_withdrawal_history', key: a.pub });
  await page.locator('[data-action="send-payouts"]').click(); // Confirm, in store A
  await waitForCall(sb, a.pub, 'get_withdrawal_history', seen + 1, 30_000);
  await pickStore(page, 'Store B'); // only to look at B: nothing is confirmed there
  await sleep(20_000); // a few in-flight bounds (timeout 1 s + window 1.5 s, plus the hold's random part)
  const fromB = (await withdrawalsOf(sb, b, true)).length;

  // back in A, the merchant loads the file again and follows what the screen says
  await pickStore(page, 'Store A');
  await goTo(page, 'payouts');
  await loadPayouts(page, 'june.csv', f.text);
  const steps = await followPayouts(page);

  const fromA = await withdrawalsOf(sb, a, true);
  const all = [...fromA, ...(await withdrawalsOf(sb, b, true))];
  const twice = f.addresses.filter((x) => all.filter((w) => w.send_address === x).length > 1).length;
  console.log(`withdrawals from B (never confirmed there): ${fromB}; from A after ${steps.join(' → ')}: ${fromA.length}; payees paid twice: ${twice} of 30`);
  assert.equal(fromB, 0, 'store B never confirmed the file: nothing may leave its account');
  assert.equal(twice, 0, 'no payee is paid twice');
  await context.close();
});

/** A new merchant's dev page, connected (nonces on), on Mass payouts. */
async function payoutsPage(tuning = TUNING) {
  const a = await newMerchant(sb);
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  const page = await context.newPage();
  await page.goto(`${dev.origin}/`);
  await page.evaluate((t) => localStorage.setItem('wk.tuning', JSON.stringify(t)), tuning);
  await page.getByLabel('API URL').waitFor();
  await connectAs(page, `${dev.origin}/api`, a, true);
  await goTo(page, 'payouts');
  return { a, context, page };
}

// A review replaced while its confirmed run is held (the merchant loads another file during the
// hold) is disposed: nothing goes on behind the screen. Before the fix the old review's timer ran
// the steps at the end of the hold with nothing on screen: the review shown (of the other file)
// said nothing was sent while all 15 rows of the first were paid, its Confirm did nothing while
// the hidden run went on, and no Stop could reach that run. The first file loaded again then shows
// its journal's state in true words, with buttons that work.
test('a payout review replaced during its confirmed hold stops; loaded again, it says where it stands and goes on when asked', async () => {
  const { a, context, page } = await payoutsPage();
  const f = await payoutFile(sb, 15);
  const g = await payoutFile(sb, 3);
  await loadPayouts(page, 'june.csv', f.text);
  await page.locator('[data-action="send-payouts"]').click(); // Confirm
  await page.locator('#po-next', { hasText: 'Holding these payouts until' }).waitFor({ timeout: 30_000 });
  // during the hold, another file: its review replaces June's
  await loadPayouts(page, 'july.csv', g.text);
  await sleep(6_000); // the hold (timeout 1 s + window 1.5 s + at most a quarter of that) and a few seconds more
  const behind = (await withdrawalsOf(sb, a, true)).length;
  console.log(`withdrawals made while July's review was shown (nothing confirmed there): ${behind}`);
  assert.equal(behind, 0, 'a review no longer on screen sends nothing');

  // June again: its journal's state, in words that hold
  await loadPayouts(page, 'june.csv', f.text);
  const review = page.locator('section[aria-labelledby="po-review"]');
  const said = await review.locator('#po-next').innerText();
  console.log(`June loaded again: ${await review.locator('#po-progress-text').innerText()} / ${said}`);
  assert.doesNotMatch(said, /if this page stays open/, 'a review that will not go on by itself does not say it will');
  const steps = await followPayouts(page);
  const all = await withdrawalsOf(sb, a, true);
  const twice = f.addresses.filter((x) => all.filter((w) => w.send_address === x).length > 1).length;
  const once = f.addresses.filter((x) => all.filter((w) => w.send_address === x).length === 1).length;
  console.log(`then ${steps.join(' → ')}: ${all.length} withdrawals; paid once ${once}, twice ${twice}`);
  assert.equal(twice, 0, 'no payee is paid twice');
  assert.equal(once, 15, 'every payee is paid');
  assert.equal(all.length, 15, 'July was never confirmed');
  await context.close();
});

// "Stop after this batch" stops the run: pressed while the run's first step (the look-up before
// its hold) is on its way, nothing is sent when the hold ends. Before the fix the page went on
// by itself at the end of the hold and paid every row the merchant had just stopped. Also: a
// file loaded while that step is on its way replaces nothing and says why (before, nothing
// happened and nothing was said), and once the hold's time has passed the screen no longer says
// "Holding … until" a time gone by.
test('Stop pressed during the look-up before a hold: the hold does not end in a send', async () => {
  // a 2.5 s timeout, so that the look-up can be held 1.5 s (time for the file and Stop) within it
  const { a, context, page } = await payoutsPage({ ...TUNING, timeoutMs: 2500 });
  const f = await payoutFile(sb, 12);
  const g = await payoutFile(sb, 3);
  await loadPayouts(page, 'june.csv', f.text);
  const seen = (await sb.stats(a.pub)).by_cmd?.get_withdrawal_history ?? 0;
  await sb.admin('POST', 'faults', { kind: 'delay', delay_ms: 1500, count: 1, cmd: 'get_withdrawal_history', key: a.pub });
  await page.locator('[data-action="send-payouts"]').click(); // Confirm
  await waitForCall(sb, a.pub, 'get_withdrawal_history', seen + 1, 30_000);
  await page.getByLabel('Payout file (CSV)').setInputFiles({ name: 'july.csv', mimeType: 'text/csv', buffer: Buffer.from(g.text) });
  const busy = page.locator('p.notice', { hasText: 'are being sent' });
  await busy.waitFor();
  assert.match(await busy.innerText(), /Stop after this batch/, 'it says what to press');
  assert.match(await page.locator('section[aria-labelledby="po-review"]').innerText(), /june\.csv/, "June's review stays");
  await page.locator('[data-action="stop"]').click(); // Stop after this batch
  await busy.waitFor({ state: 'hidden' }); // the run has ended: nothing is being sent any more
  await page.locator('#po-next', { hasText: 'Holding these payouts until' }).waitFor({ timeout: 30_000 });
  const said = await page.locator('#po-next').innerText();
  await sleep(8_000); // the hold (timeout 2.5 s + window 1.5 s + at most a quarter of that) and a few seconds more
  const paid = (await withdrawalsOf(sb, a, true)).length;
  const after = await page.locator('#po-next').innerText();
  console.log(`stopped during the look-up; the screen said: ${said}; after the hold: ${after}; withdrawals after the hold: ${paid}`);
  assert.equal(paid, 0, 'a stopped run sends nothing by itself');
  assert.doesNotMatch(said, /if this page stays open/, 'a stopped run does not say it goes on by itself');
  assert.match(after, /The hold ended at .*Press Check again/, 'once its time has passed, the hold is said to be over');
  assert.doesNotMatch(after, /Holding these payouts until/);
  await context.close();
});

// A file too large to read replaces the review with its warning: the review it replaces stops too.
// Before the fix a confirmed hold went on behind the warning and paid every row with nothing on
// screen (no progress, no Stop).
test('a payout file too large, chosen during a confirmed hold: the review it replaces stops', async () => {
  const { a, context, page } = await payoutsPage();
  const f = await payoutFile(sb, 12);
  await loadPayouts(page, 'june.csv', f.text);
  await page.locator('[data-action="send-payouts"]').click(); // Confirm
  await page.locator('#po-next', { hasText: 'Holding these payouts until' }).waitFor({ timeout: 30_000 });
  await page.getByLabel('Payout file (CSV)').setInputFiles({ name: 'huge.csv', mimeType: 'text/csv', buffer: Buffer.alloc(2_100_000, 'x') });
  await page.locator('section[aria-labelledby="po-review"]').waitFor({ state: 'detached' });
  await sleep(6_000); // the hold (timeout 1 s + window 1.5 s + at most a quarter of that) and a few seconds more
  const paid = (await withdrawalsOf(sb, a, true)).length;
  console.log(`withdrawals made behind the too-large warning: ${paid}`);
  assert.equal(paid, 0, 'a review no longer on screen sends nothing');
  await context.close();
});
