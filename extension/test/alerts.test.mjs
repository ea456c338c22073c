// Paid alerts (issue #11): a payment paid in the sandbox while no console page is open, and the
// service worker stopped, still becomes a notification and a badge count (chrome.alarms wakes the
// worker); the notification opens the payment; a muted store is not told about.
//
// The alarm's period is Chrome's minimum of 30 s in a packed extension; the test asks for 1.5 s
// through the wk.tuning hook (an unpacked extension may use 1 s).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, launchExtension, connect, go, shot, createPayment } from './harness.mjs';
import { eventually } from '../../wasm/edge/test/lib.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;
const errors = [];

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
  const w = await ext.worker();
  await w.evaluate(() => chrome.storage.local.set({ 'wk.tuning': { watchPeriodMs: 1500 } }));
});
after(async () => {
  await ext?.close();
  await sb?.stop();
});

/** Runs fn in the current service worker (the alarm may have started a new one). */
async function inWorker(fn, arg) {
  for (let i = 0; ; i++) {
    try {
      const w = await ext.worker();
      return await w.evaluate(fn, arg);
    } catch (e) {
      if (i > 20) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Waits until the worker's storage says a tick ran after `since`. */
async function tickAfter(since) {
  for (let i = 0; i < 200; i++) {
    const t = await inWorker(() => chrome.storage.local.get('wk.alerts.lastTick').then((x) => x['wk.alerts.lastTick']));
    if (t?.at > since) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the watch never ran');
}

/** The badge's text once it is `want` (it is set just after the notification), or a failure after 10 s. @param {string} want */
async function badgeBecomes(want) {
  await eventually(async () => (await inWorker(() => chrome.action.getBadgeText({}))) === want, 10_000, `the badge to read "${want}"`);
  return want;
}

test('a payment paid while no console is open and the worker was stopped: a notification, the badge; clicking opens it', async () => {
  let page = await ext.open('popup');
  page.on('pageerror', (e) => errors.push(e.message));
  await page.getByLabel('API URL').waitFor();
  await connect(page, sb);
  const txn = await createPayment(page, 'Blue mug');
  // every console page closed, then Chrome stops the worker
  await page.close();
  const blank = await ext.context.newPage();
  await ext.stopWorkers(blank);
  const paidAt = Date.now();
  await sb.admin('POST', `tx/${txn}/pay`, {});
  // the alarm starts the worker again; its tick finds the payment paid
  const nid = `wk.paid:${encodeURIComponent(`${sb.apiUrl}|${sb.pub}`)}:${txn}`;
  let shown = [];
  for (let i = 0; i < 100 && !shown.includes(nid); i++) {
    shown = Object.keys(await inWorker(() => chrome.notifications.getAll()));
    if (!shown.includes(nid)) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(shown.includes(nid), `notification ${nid} in ${JSON.stringify(shown)}`);
  // the badge is set just after the notification is raised: wait for it, as a person would look
  assert.equal(await badgeBecomes('1'), '1');
  const [u] = await inWorker(() => chrome.storage.local.get('wk.alerts.unseen').then((x) => x['wk.alerts.unseen']));
  assert.match(u.text, /^Paid: 12\.50 USD — [\d.]+ LTCT — Blue mug$/);
  assert.equal(u.storeName, 'Demo Store');
  assert.ok(u.at >= paidAt);
  // the console lists it until it is opened
  page = await ext.open('sidepanel');
  await page.locator('[data-paid-alerts]:not([hidden]) li', { hasText: 'Blue mug' }).waitFor();
  await shot(page, 'alerts-overview');
  await page.close();
  // a click on the notification (the same function the worker's onClicked listener calls) opens it in a tab
  const opened = ext.context.waitForEvent('page');
  await inWorker((id) => /** @type {any} */ (globalThis).wkAlerts.onNotificationClicked(id), nid);
  const tab = await opened;
  tab.on('pageerror', (e) => errors.push(e.message));
  assert.match(tab.url(), /\/ext\/tab\.html#payment\?store=.+&txn=/);
  const detail = tab.locator(`[data-txn="${txn}"]`);
  await detail.waitFor({ timeout: 20_000 });
  assert.equal(await detail.getAttribute('data-state'), 'paid');
  assert.match(await detail.innerText(), /Paid\.[\s\S]*Price\s+12\.50 USD[\s\S]*Item\s+Blue mug/);
  await shot(tab, 'alerts-payment-opened');
  assert.equal(await badgeBecomes(''), '', 'opened: the badge is clear');
  assert.deepEqual(Object.keys(await inWorker(() => chrome.notifications.getAll())), []);
  await tab.close();
  await blank.close();
  assert.deepEqual(errors, []);
});

test('a store with alerts turned off is not told about its payments', async () => {
  const page = await ext.open('sidepanel');
  page.on('pageerror', (e) => errors.push(e.message));
  await go(page, 'connect');
  const box = page.getByLabel('Tell me when a payment is paid');
  await page.waitForFunction(() => !/** @type {HTMLInputElement} */ (document.querySelector('input[name="paidAlerts"]'))?.disabled);
  assert.equal(await box.isChecked(), true);
  await box.uncheck();
  await page.waitForFunction(() => !/** @type {HTMLInputElement} */ (document.querySelector('input[name="paidAlerts"]'))?.disabled);
  const txn = await createPayment(page, 'Green cup');
  const paidAt = Date.now();
  await sb.admin('POST', `tx/${txn}/pay`, {});
  await tickAfter(paidAt);
  await tickAfter(Date.now()); // and one more: nothing comes later either
  assert.deepEqual(Object.keys(await inWorker(() => chrome.notifications.getAll())), []);
  assert.equal(await inWorker(() => chrome.action.getBadgeText({})), '');
  // on again: the next payment is told about
  await go(page, 'connect');
  await page.waitForFunction(() => !/** @type {HTMLInputElement} */ (document.querySelector('input[name="paidAlerts"]'))?.disabled);
  await box.check();
  const txn2 = await createPayment(page, 'Red bowl');
  await sb.admin('POST', `tx/${txn2}/pay`, {});
  assert.equal(await badgeBecomes('1'), '1');
  assert.deepEqual(errors, []);
});
