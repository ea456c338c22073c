// The console's fault matrix on the dev page (the wasm core in the page, the API proxied to a
// real sandbox): a single withdrawal and a 12-row payout file, each under the five faults —
// reset before the API acts, commit then drop, hold past the timeout then deliver, 5xx after
// commit, the page killed (reloaded) mid-call — and a payout file resumed under another name;
// then one file paid partly by the console and finished by the CLI, and the reverse. Nonces on
// and off. Every cell follows what the console (or the CLI) says and then counts the
// withdrawals the sandbox recorded: exactly one per intended payment. Counts go to
// dist/reliability/console.json.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSandbox, CHROMIUM, shot } from './harness.mjs';
import {
  TUNING, HOLD_MS, SETTLE_MS, FAULTS, sleep, newMerchant, withdrawalsOf, waitForCall, startDevServer, connectAs, goTo,
  reviewWithdrawal, followSend, followPayouts, payoutFile, loadPayouts, writeCells, cli,
} from './matrix-lib.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {{origin: string, stop: () => void}} */ let dev;
/** @type {import('playwright-core').Browser} */ let browser;
/** @type {import('./matrix-lib.mjs').Cell[]} */ const cells = [];

before(async () => {
  sb = await startSandbox();
  dev = await startDevServer(sb);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});
after(async () => {
  writeCells(cells);
  await browser?.close();
  dev?.stop();
  await sb?.stop();
});

/** A fresh browser context (its own localStorage: operation records, journals, nonces) on the dev page, connected. */
async function devConsole(m, nonces) {
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${dev.origin}/`);
  await page.evaluate((t) => localStorage.setItem('wk.tuning', JSON.stringify(t)), TUNING);
  await page.getByLabel('API URL').waitFor();
  await connectAs(page, `${dev.origin}/api`, m, nonces);
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
  return { context, page, errors };
}

/** Reloads the page while the sandbox holds the request: the wasm core in it dies mid-call. */
async function killMidCall(page, m, cmd, n = 1) {
  await waitForCall(sb, m.pub, cmd, n);
  await sleep(100);
  await page.reload();
  await page.locator('main [data-screen]').waitFor();
}

for (const nonces of [true, false]) {
  for (const f of FAULTS) {
    test(`dev page, single send × ${f.name}, nonces ${nonces ? 'on' : 'off'}: exactly one withdrawal`, async () => {
      const m = await newMerchant(sb);
      const { context, page, errors } = await devConsole(m, nonces);
      try {
        const w = { address: (await sb.addresses('LTCT'))[0], amount: '0.25', note: 'order-77' };
        await goTo(page, 'send');
        await reviewWithdrawal(page, w);
        await sb.admin('POST', 'faults', { ...f.fault, cmd: 'create_withdrawal', key: m.pub });
        const started = Date.now();
        const steps = [];
        const shots = nonces ? undefined : `single-${f.kill ? 'killed' : f.fault.kind}`;
        if (f.kill) {
          await page.locator('section.review [data-action="confirm"]').click();
          steps.push('confirm and send');
          await killMidCall(page, m, 'create_withdrawal');
          steps.push('page killed; reopened');
          // the console lists the operation it never heard back about, with a banner on every screen
          await goTo(page, 'overview');
          await page.locator('#wk-ops-banner:not([hidden])').waitFor();
          if (!nonces) await shot(page, 'unsettled-banner');
          await page.locator('#wk-ops-banner a[data-action="open-unsettled"]').click();
          steps.push('open Send → Unsettled operations');
          await page.locator('#wk-unsettled:not([hidden]) article.op').waitFor();
          if (!nonces) await shot(page, 'unsettled-operations');
          steps.push(...await followSend(page, w, { started: true, shots }));
        } else {
          steps.push(...await followSend(page, w, { shots }));
        }
        await sleep(started + SETTLE_MS - Date.now());
        const recorded = (await withdrawalsOf(sb, m, nonces)).filter((x) => x.send_address === w.address).length;
        cells.push({ path: 'console single send (dev page)', fault: f.name, nonces, intended: 1, recorded, instructions_followed: steps });
        assert.equal(recorded, 1, `withdrawals recorded: ${recorded}; steps: ${steps.join(' → ')}`);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }
}

const ROWS = 12; // two batches of the console (10 per call)

/** Counts each row's withdrawals; every row must have exactly one. */
async function rowCounts(m, nonces, addresses) {
  const all = await withdrawalsOf(sb, m, nonces);
  const per = addresses.map((a) => all.filter((x) => x.send_address === a).length);
  return { recorded: per.reduce((a, b) => a + b, 0), perRow: per };
}

for (const nonces of [true, false]) {
  for (const f of [...FAULTS, { name: 'file renamed / copied after a partial run', fault: { kind: 'hold', delay_ms: HOLD_MS }, kill: true, rename: true }]) {
    test(`dev page, mass payouts × ${f.name}, nonces ${nonces ? 'on' : 'off'}: every row paid exactly once`, async () => {
      const m = await newMerchant(sb);
      const { context, page, errors } = await devConsole(m, nonces);
      try {
        const file = await payoutFile(sb, ROWS);
        await goTo(page, 'payouts');
        await loadPayouts(page, 'payouts.csv', file.text);
        await sb.admin('POST', 'faults', { ...f.fault, cmd: 'create_mass_withdrawal', key: m.pub });
        const started = Date.now();
        const steps = [];
        const shots = nonces ? undefined : `mass-${f.kill ? 'killed' : f.fault.kind}`;
        if (f.kill) {
          await page.locator('[data-action="send-payouts"]').click();
          steps.push('confirm and send');
          await killMidCall(page, m, 'create_mass_withdrawal');
          steps.push('page killed; reopened');
          const name = f.rename ? 'renamed copy of payouts.csv' : 'payouts.csv';
          await loadPayouts(page, name, file.text);
          steps.push(`load the file again${f.rename ? ' under another name' : ''}`);
          if (!nonces && f.rename) await shot(page, 'mass-after-kill');
        }
        steps.push(...await followPayouts(page, { shots }));
        if (f.rename) {
          // and once more under a third name: nothing left to send, nothing sent
          const calls = (await sb.stats(m.pub)).by_cmd.create_mass_withdrawal;
          await loadPayouts(page, 'payouts (2).csv', file.text);
          assert.match(await page.locator('#po-next').innerText(), /every payout is sent/i);
          assert.equal(await page.locator('[data-action="send-payouts"]').isVisible(), false);
          assert.equal((await sb.stats(m.pub)).by_cmd.create_mass_withdrawal, calls);
          steps.push('copy loaded again: nothing to send');
        }
        await sleep(started + SETTLE_MS - Date.now());
        const { recorded, perRow } = await rowCounts(m, nonces, file.addresses);
        cells.push({ path: 'console mass payouts (dev page)', fault: f.name, nonces, intended: ROWS, recorded, instructions_followed: steps });
        assert.deepEqual(perRow, file.addresses.map(() => 1), `steps: ${steps.join(' → ')}`);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }
}

for (const nonces of [true, false]) {
  test(`one file: the console pays part and stops, the CLI finishes it; nonces ${nonces ? 'on' : 'off'}`, async () => {
    const m = await newMerchant(sb);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wk-c2cli-'));
    const { context, page, errors } = await devConsole(m, nonces);
    try {
      const file = await payoutFile(sb, ROWS);
      await goTo(page, 'payouts');
      await loadPayouts(page, 'payouts.csv', file.text);
      // the first batch takes a moment: long enough to press "Stop after this batch"
      await sb.admin('POST', 'faults', { kind: 'delay', delay_ms: 600, cmd: 'create_mass_withdrawal', key: m.pub });
      const steps = ['console: confirm and send'];
      await page.locator('[data-action="send-payouts"]').click();
      await waitForCall(sb, m.pub, 'create_mass_withdrawal');
      await page.locator('[data-action="stop"]').click();
      steps.push('console: stop after this batch');
      await page.waitForFunction(() => !document.querySelector('[data-action="send-payouts"][aria-busy]'));
      assert.match(await page.locator('#po-progress-text').innerText(), /^10 of 12 sent, 2 not sent yet\.$/);
      const csv = path.join(dir, 'payouts.csv');
      writeFileSync(csv, file.text);
      const run = cli(sb, m, nonces, dir);
      steps.push(...(await run.follow(['mass-withdraw', csv, '--yes'])).map((x) => `cli: ${x}`));
      const { recorded, perRow } = await rowCounts(m, nonces, file.addresses);
      cells.push({ path: 'console → CLI, one file', fault: 'console stopped after one batch', nonces, intended: ROWS, recorded, instructions_followed: steps });
      assert.deepEqual(perRow, file.addresses.map(() => 1), `steps: ${steps.join(' → ')}`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`one file: the CLI pays part and is killed mid-call, the console finishes it; nonces ${nonces ? 'on' : 'off'}`, async () => {
    const m = await newMerchant(sb);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wk-cli2c-'));
    try {
      const file = await payoutFile(sb, ROWS);
      const csv = path.join(dir, 'payouts.csv');
      writeFileSync(csv, file.text);
      // batch 1 (5 rows) goes through; batch 2 is held past the CLI's timeout and the CLI is killed meanwhile
      await sb.admin('POST', 'faults', { kind: 'delay', delay_ms: 1, cmd: 'create_mass_withdrawal', key: m.pub });
      await sb.admin('POST', 'faults', { kind: 'hold', delay_ms: HOLD_MS, cmd: 'create_mass_withdrawal', key: m.pub });
      const proc = cli(sb, m, nonces, dir).start(['mass-withdraw', csv, '--batch', '5', '--yes']);
      const exited = new Promise((r) => proc.once('exit', r));
      await waitForCall(sb, m.pub, 'create_mass_withdrawal', 2);
      const started = Date.now();
      await sleep(50);
      proc.kill('SIGKILL');
      await exited;
      const steps = ['cli: mass-withdraw --batch 5 (killed mid-call in its second batch)'];
      const { context, page, errors } = await devConsole(m, nonces);
      try {
        await goTo(page, 'payouts');
        await loadPayouts(page, 'payouts.csv', file.text);
        steps.push('console: load the file');
        steps.push(...(await followPayouts(page)).map((x) => `console: ${x}`));
        await sleep(started + SETTLE_MS - Date.now());
        const { recorded, perRow } = await rowCounts(m, nonces, file.addresses);
        cells.push({ path: 'CLI → console, one file', fault: 'CLI killed mid-call', nonces, intended: ROWS, recorded, instructions_followed: steps });
        assert.deepEqual(perRow, file.addresses.map(() => 1), `steps: ${steps.join(' → ')}`);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
