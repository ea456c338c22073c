// The console's fault matrix in the built extension: a withdrawal whose service worker Chrome
// stops (CDP ServiceWorker.stopAllWorkers) while the sandbox holds the request, and then the
// sandbox resets it (nothing carried out), commits and drops it, delivers it late, or commits
// and answers 5xx; in the last column the console page is closed as well and a new one opened.
// The worker's answer is lost in every cell: the page must report an unknown outcome with its
// operation id (never the generic "internal" error), take the send button away, and settle it
// with Reconcile. Nonces on: exactly one withdrawal per intended payment. Nonces off: the
// console sends no money (the core refuses it: moneyNeedsNonces), one cell per path checks that
// nothing offers to send, the worker's bridge refuses, and no money request reaches the sandbox.
// Counts go to dist/reliability/console.json.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, launchExtension, shot } from './harness.mjs';
import {
  TUNING, HOLD_MS, SETTLE_MS, REFUSED, sleep, newMerchant, withdrawalsOf, waitForCall, connectAs, goTo, reviewWithdrawal, followSend, writeCells,
  payoutFile, loadPayouts, followPayouts, moneyRequests, assertSendOff,
} from './matrix-lib.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;
/** @type {import('./matrix-lib.mjs').Cell[]} */ const cells = [];

// The sandbox holds each request HOLD_MS first (whatever the client does), then acts.
const COLUMNS = [
  { name: 'reset before the API acts', fault: { kind: 'reset', delay_ms: HOLD_MS } },
  { name: 'commit, then drop', fault: { kind: 'commit_drop', delay_ms: HOLD_MS } },
  { name: 'hold past timeout, then deliver', fault: { kind: 'hold', delay_ms: HOLD_MS } },
  { name: '5xx after commit', fault: { kind: 'commit_status', status: 502, delay_ms: HOLD_MS } },
  { name: 'killed mid-call (worker and page)', fault: { kind: 'hold', delay_ms: HOLD_MS }, closePage: true },
];

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
  const w = await ext.worker();
  await w.evaluate((t) => chrome.storage.local.set({ 'wk.tuning': t }), TUNING);
});
after(async () => {
  writeCells(cells);
  await ext?.close();
  await sb?.stop();
});

{
  const nonces = true;
  for (const c of COLUMNS) {
    test(`extension, worker stopped while the request is held × ${c.name}, nonces on: exactly one withdrawal`, async () => {
      const m = await newMerchant(sb);
      let page = await ext.open('sidepanel');
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.getByLabel('API URL').waitFor();
        await connectAs(page, sb.apiUrl, m, nonces);
        await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
        const w = { address: (await sb.addresses('LTCT'))[0], amount: '0.2', note: 'order-88' };
        await goTo(page, 'send');
        await reviewWithdrawal(page, w);
        await sb.admin('POST', 'faults', { ...c.fault, cmd: 'create_withdrawal', key: m.pub });
        const started = Date.now();
        await page.locator('section.review [data-action="confirm"]').click();
        const steps = ['confirm and send'];
        await waitForCall(sb, m.pub, 'create_withdrawal');
        await sleep(100);
        await ext.stopWorkers(page);
        steps.push('worker stopped');
        if (c.closePage) {
          await page.close();
          page = await ext.open('sidepanel');
          page.on('pageerror', (e) => errors.push(e.message));
          steps.push('page closed; console opened again');
          await page.locator('#wk-ops-banner:not([hidden])').waitFor({ timeout: 20_000 });
          await page.locator('#wk-ops-banner a[data-action="open-unsettled"]').click();
          steps.push('open the Send screen from the banner');
          await page.locator('#wk-unsettled:not([hidden]) article.op').waitFor();
        } else {
          // the lost answer is an unknown outcome with the page's operation id, never "internal"
          const box = page.locator('section.review [role=alert][data-code="outcome_unknown"]');
          await box.waitFor({ timeout: 20_000 });
          // (the worker's own words wait under "Technical details": textContent reads them)
          assert.match(await box.textContent(), /background worker stopped[\s\S]*Do not send it again/);
          assert.equal(await page.locator('section.review [data-action="confirm"]').count(), 0, 'the send button is gone');
          assert.equal(await page.locator('main [role=alert][data-code="internal"]').count(), 0);
          if (c.fault.kind === 'hold') await shot(page, 'extension-worker-stopped-unknown');
        }
        steps.push(...await followSend(page, w, { started: true }));
        await sleep(started + SETTLE_MS - Date.now());
        const recorded = (await withdrawalsOf(sb, m, nonces)).filter((x) => x.send_address === w.address).length;
        cells.push({ path: 'extension send, worker stopped', fault: c.name, nonces, intended: 1, recorded, instructions_followed: steps });
        assert.equal(recorded, 1, `withdrawals recorded: ${recorded}; steps: ${steps.join(' → ')}`);
        assert.deepEqual(errors, []);
      } finally {
        await goTo(page, 'connect').catch(() => {});
        await page.getByRole('button', { name: 'Sign out' }).click().catch(() => {});
        await page.getByLabel('Private key').waitFor().catch(() => {});
        await page.close().catch(() => {});
      }
    });
  }
}

{
  const nonces = true;
  test('extension, mass payouts, worker stopped while a batch is held, nonces on: every row paid exactly once', async () => {
    const m = await newMerchant(sb);
    const page = await ext.open('sidepanel');
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.getByLabel('API URL').waitFor();
      await connectAs(page, sb.apiUrl, m, nonces);
      await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
      const file = await payoutFile(sb, 12);
      await goTo(page, 'payouts');
      await loadPayouts(page, 'payouts.csv', file.text);
      await sb.admin('POST', 'faults', { kind: 'hold', delay_ms: HOLD_MS, cmd: 'create_mass_withdrawal', key: m.pub });
      const started = Date.now();
      await page.locator('[data-action="send-payouts"]').click();
      const steps = ['confirm and send'];
      await waitForCall(sb, m.pub, 'create_mass_withdrawal');
      await sleep(100);
      await ext.stopWorkers(page);
      steps.push('worker stopped');
      const box = page.locator('section[aria-labelledby="po-review"] [role=alert][data-code="outcome_unknown"]');
      await box.waitFor({ timeout: 20_000 });
      assert.match(await box.textContent(), /payout step[\s\S]*never pays a row twice/);
      await page.locator('[data-action="send-payouts"]:not([aria-busy])', { hasText: 'Resume' }).waitFor({ timeout: 20_000 });
      await shot(page, 'extension-mass-worker-stopped');
      steps.push(...await followPayouts(page));
      await sleep(started + SETTLE_MS - Date.now());
      const all = await withdrawalsOf(sb, m, nonces);
      const perRow = file.addresses.map((a) => all.filter((x) => x.send_address === a).length);
      const recorded = perRow.reduce((a, b) => a + b, 0);
      cells.push({ path: 'extension mass payouts, worker stopped', fault: 'hold past timeout, then deliver', nonces, intended: 12, recorded, instructions_followed: steps });
      assert.deepEqual(perRow, file.addresses.map(() => 1), `steps: ${steps.join(' → ')}`);
      assert.deepEqual(errors, []);
    } finally {
      await goTo(page, 'connect').catch(() => {});
      await page.getByRole('button', { name: 'Sign out' }).click().catch(() => {});
      await page.getByLabel('Private key').waitFor().catch(() => {});
      await page.close().catch(() => {});
    }
  });
}

/** A call to the worker's backend, bypassing every screen. @param {import('playwright-core').Page} page */
function callWorker(page, method, args) {
  return page.evaluate(([m, a]) => chrome.runtime.sendMessage({ type: 'wk.call', method: m, args: a }), [method, args]);
}

test('extension, nonces off: neither a withdrawal nor a payout file is sent', async () => {
  const m = await newMerchant(sb);
  const page = await ext.open('sidepanel');
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.getByLabel('API URL').waitFor();
    await connectAs(page, sb.apiUrl, m, false);
    await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
    // a withdrawal: no form offers it, and the worker's bridge refuses it before it leaves
    const send = await assertSendOff(page);
    const [address] = await sb.addresses('LTCT');
    const r = await callWorker(page, 'createWithdrawal', [{ amount: '0.2', currency: 'LTCT', address, note: 'order-88', autoConfirm: true, opId: crypto.randomUUID() }]);
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'invalid_input');
    assert.match(r.error.message, /nonces are off here[\s\S]*nothing was sent/);
    send.push('createWithdrawal through the worker: refused, nothing sent');
    // the worker stopped and woken again keeps refusing (its configuration is restored with the option)
    await ext.stopWorkers(page);
    const again = await callWorker(page, 'createWithdrawal', [{ amount: '0.2', currency: 'LTCT', address, note: 'order-88', autoConfirm: true, opId: crypto.randomUUID() }]);
    assert.equal(again.ok, false);
    assert.match(again.error.message, /nonces are off here/);
    send.push('worker stopped: a fresh worker refuses too');
    const sendRecorded = await moneyRequests(sb, m.pub);
    cells.push({ path: 'extension send, worker stopped', fault: REFUSED, nonces: false, intended: 0, recorded: sendRecorded, refused: true, instructions_followed: send });
    assert.equal(sendRecorded, 0);

    // a payout file: reviewed, nothing offers to send it, the engine's step refuses the batch
    const file = await payoutFile(sb, 12);
    await goTo(page, 'payouts');
    await loadPayouts(page, 'payouts.csv', file.text);
    await page.locator('main [data-notice="nonces-off"]').waitFor();
    assert.equal(await page.locator('[data-action="send-payouts"]').isVisible(), false);
    assert.match(await page.locator('#po-next').innerText(), /sending is off while nonces are off/);
    const mass = ['Mass payouts: reviewed; nothing offers to send it'];
    let st = await callWorker(page, 'payoutStep', [file.text, { name: 'payouts.csv', batch: 10, session: 'ps_nonces_off' }]);
    assert.equal(st.ok, true, JSON.stringify(st.error));
    // the first look-up holds the rows for one in-flight bound; then they are looked up again
    assert.equal(st.value.summary.step, 'hold');
    await sleep(Date.parse(st.value.summary.wait_until) - Date.now() + 50);
    for (let i = 0; i < 3 && !st.value.summary.stopped; i++) {
      st = await callWorker(page, 'payoutStep', [file.text, { name: 'payouts.csv', batch: 10, session: 'ps_nonces_off' }]);
      assert.equal(st.ok, true, JSON.stringify(st.error));
    }
    assert.match(st.value.summary.stopped ?? '', /nonces are off here/);
    mass.push('payoutStep through the worker: looked up, held, looked up again, then refused to send');
    const massRecorded = await moneyRequests(sb, m.pub);
    cells.push({ path: 'extension mass payouts, worker stopped', fault: REFUSED, nonces: false, intended: 0, recorded: massRecorded, refused: true, instructions_followed: mass });
    assert.equal(massRecorded, 0);
    assert.equal((await withdrawalsOf(sb, m, false)).length, 0);
    assert.deepEqual(errors, []);
  } finally {
    await goTo(page, 'connect').catch(() => {});
    await page.getByRole('button', { name: 'Sign out' }).click().catch(() => {});
    await page.getByLabel('Private key').waitFor().catch(() => {});
    await page.close().catch(() => {});
  }
});
