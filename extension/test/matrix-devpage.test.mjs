// The console's fault matrix on the dev page (the wasm core in the page, the API proxied to a
// real sandbox): a single withdrawal and a 12-row payout file, each under the five faults —
// reset before the API acts, commit then drop, hold past the timeout then deliver, 5xx after
// commit, the page killed (reloaded) mid-call — and a payout file resumed under another name;
// then one file paid partly by the console and finished by the CLI, and the reverse. Every cell
// follows what the console (or the CLI) says and then counts the withdrawals the sandbox
// recorded: exactly one per intended payment. With nonces off the console sends no money at all
// (the core refuses it: moneyNeedsNonces), so each path has one nonces-off cell that checks the
// refusal: no control offers to send, the bridge itself refuses, and no money request reaches
// the sandbox (GET /sandbox/stats). Counts go to dist/reliability/console.json.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSandbox, CHROMIUM, shot } from './harness.mjs';
import {
  TUNING, HOLD_MS, SETTLE_MS, FAULTS, REFUSED, sleep, newMerchant, withdrawalsOf, waitForCall, startDevServer, connectAs, goTo,
  reviewWithdrawal, followSend, followPayouts, payoutFile, loadPayouts, writeCells, cli, moneyRequests, assertSendOff,
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

/**
 * The console's backend, made a second time in the page: the same wasm core, configured from the
 * same stored session (moneyNeedsNonces included). Calls it, bypassing every screen.
 * @param {import('playwright-core').Page} page @param {string} method @param {unknown[]} args
 */
function callBackend(page, method, args) {
  return page.evaluate(async ([m, a]) => {
    const { localBackend } = await import('/web/backend-local.js');
    const b = localBackend({ wasmUrl: new URL('/wasm/wallexkit.wasm', location.href) });
    try {
      return { ok: true, value: await b[m](...a) };
    } catch (e) {
      return { ok: false, error: e };
    }
  }, [method, args]);
}

{
  const nonces = true;
  for (const f of FAULTS) {
    test(`dev page, single send × ${f.name}, nonces on: exactly one withdrawal`, async () => {
      const m = await newMerchant(sb);
      const { context, page, errors } = await devConsole(m, nonces);
      try {
        const w = { address: (await sb.addresses('LTCT'))[0], amount: '0.25', note: 'order-77' };
        await goTo(page, 'send');
        await reviewWithdrawal(page, w);
        await sb.admin('POST', 'faults', { ...f.fault, cmd: 'create_withdrawal', key: m.pub });
        const started = Date.now();
        const steps = [];
        const shots = `single-${f.kill ? 'killed' : f.fault.kind}`;
        if (f.kill) {
          await page.locator('section.review [data-action="confirm"]').click();
          steps.push('confirm and send');
          await killMidCall(page, m, 'create_withdrawal');
          steps.push('page killed; reopened');
          // the console lists the operation it never heard back about, with a banner on every screen
          await goTo(page, 'overview');
          await page.locator('#wk-ops-banner:not([hidden])').waitFor();
          await shot(page, 'unsettled-banner');
          await page.locator('#wk-ops-banner a[data-action="open-unsettled"]').click();
          steps.push('open Send → Unsettled operations');
          await page.locator('#wk-unsettled:not([hidden]) article.op').waitFor();
          await shot(page, 'unsettled-operations');
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

test('dev page, single send, nonces off: nothing is sent; an operation an earlier console left unsettled still reconciles', async () => {
  const m = await newMerchant(sb);
  const { context, page, errors } = await devConsole(m, false);
  try {
    const steps = await assertSendOff(page);
    await shot(page, 'send-nonces-off');
    // the bridge itself refuses, before anything leaves (the screens are not the only guard)
    const [address] = await sb.addresses('LTCT');
    const r = await callBackend(page, 'createWithdrawal', [{ amount: '0.25', currency: 'LTCT', address, note: 'order-77', autoConfirm: true }]);
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'invalid_input');
    assert.match(r.error.message, /nonces are off here[\s\S]*nothing was sent/);
    steps.push('createWithdrawal through the backend: refused, nothing sent');
    assert.equal(await moneyRequests(sb, m.pub), 0);

    // An earlier console sent a withdrawal without nonces and lost the answer: its record is
    // still open. Reconcile only reads, so it works with nonces off.
    const earlier = { amount: '0.30000000', currency: 'LTCT', address: (await sb.addresses('LTCT'))[0], note: 'order-earlier' };
    await withdrawDirect(m, earlier);
    const storeKey = await page.evaluate(() => Object.keys(sessionStorage).find((k) => k.startsWith('wk.token.'))?.slice('wk.token.'.length));
    assert.ok(storeKey);
    const sentAt = Date.now() - 5000;
    const op = { id: 'op_earlier0000000000000001', cmd: 'create_withdrawal', ref: earlier, sent_at: new Date(sentAt).toISOString(), deadline: new Date(sentAt + 1000).toISOString(), state: 'unknown', error: 'the answer was lost' };
    await page.evaluate(([k, o]) => localStorage.setItem(`wk.ops.${k}`, JSON.stringify({ [o.id]: JSON.stringify(o) })), [storeKey, op]);
    await page.reload();
    await goTo(page, 'overview'); // (on the Send screen itself the banner has no link to it)
    await page.locator('#wk-ops-banner:not([hidden])').waitFor();
    await page.locator('#wk-ops-banner a[data-action="open-unsettled"]').click();
    await page.locator('#wk-unsettled:not([hidden]) article.op').waitFor();
    steps.push('earlier operation listed; open it from the banner');
    steps.push(...await followSend(page, earlier, { started: true }));
    assert.equal(steps.at(-1), 'verdict found');
    const all = await withdrawalsOf(sb, m, false);
    assert.equal(all.length, 1, 'only the earlier withdrawal exists');
    const recorded = await moneyRequests(sb, m.pub) - 1; // less the earlier program's own withdrawal
    cells.push({ path: 'console single send (dev page)', fault: REFUSED, nonces: false, intended: 0, recorded, refused: true, instructions_followed: steps });
    assert.equal(recorded, 0, 'no money request from the console reached the sandbox');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

/**
 * A withdrawal sent straight to the API without a nonce, as another program (or an earlier
 * console) would have sent it.
 * @param {{pub: string, priv: string}} m @param {Record<string, string>} w
 */
async function withdrawDirect(m, w) {
  const post = async (cmd, f, auth) => (await fetch(`${sb.apiUrl}/${cmd}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) },
    body: new URLSearchParams({ version: '1', cmd, ...f }).toString(),
  })).json();
  const login = await post('login', { publickey: m.pub, privatekey: m.priv });
  const r = await post('create_withdrawal', { key: m.pub, ...w, auto_confirm: '1' }, login.result.access_token);
  assert.equal(r.error, 'ok', JSON.stringify(r));
}

const ROWS = 12; // two batches of the console (10 per call)

/** Counts each row's withdrawals; every row must have exactly one. */
async function rowCounts(m, nonces, addresses) {
  const all = await withdrawalsOf(sb, m, nonces);
  const per = addresses.map((a) => all.filter((x) => x.send_address === a).length);
  return { recorded: per.reduce((a, b) => a + b, 0), perRow: per };
}

{
  const nonces = true;
  for (const f of [...FAULTS, { name: 'file renamed / copied after a partial run', fault: { kind: 'hold', delay_ms: HOLD_MS }, kill: true, rename: true }]) {
    test(`dev page, mass payouts × ${f.name}, nonces on: every row paid exactly once`, async () => {
      const m = await newMerchant(sb);
      const { context, page, errors } = await devConsole(m, nonces);
      try {
        const file = await payoutFile(sb, ROWS);
        await goTo(page, 'payouts');
        await loadPayouts(page, 'payouts.csv', file.text);
        await sb.admin('POST', 'faults', { ...f.fault, cmd: 'create_mass_withdrawal', key: m.pub });
        const started = Date.now();
        const steps = [];
        const shots = `mass-${f.kill ? 'killed' : f.fault.kind}`;
        if (f.kill) {
          await page.locator('[data-action="send-payouts"]').click();
          steps.push('confirm and send');
          await killMidCall(page, m, 'create_mass_withdrawal');
          steps.push('page killed; reopened');
          const name = f.rename ? 'renamed copy of payouts.csv' : 'payouts.csv';
          await loadPayouts(page, name, file.text);
          steps.push(`load the file again${f.rename ? ' under another name' : ''}`);
          if (f.rename) await shot(page, 'mass-after-kill');
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

/**
 * Nonces off on Mass payouts: the file is read and reviewed, nothing offers to send it, and the
 * payout engine's own step refuses to send a batch. Returns the steps seen.
 * @param {import('playwright-core').Page} page @param {string} text
 */
async function assertPayoutsOff(page, text) {
  const steps = [];
  const review = page.locator('section[aria-labelledby="po-review"]');
  await page.locator('main [data-notice="nonces-off"]').waitFor();
  assert.equal(await review.locator('[data-action="send-payouts"]').isVisible(), false, 'no Confirm and send');
  assert.equal(await review.locator('[data-action="retry-refused"]').isVisible(), false);
  assert.match(await review.locator('#po-next').innerText(), /not sent: sending is off while nonces are off/);
  steps.push('Mass payouts: the file is reviewed; nothing offers to send it; the screen says why');
  // the engine through the bridge, stepped while it says more: it looks the file up (reads) and
  // a step that would send a batch is refused before it leaves
  const opts = { name: 'payouts.csv', batch: 10, session: 'ps_nonces_off' }; // one session: it looks and holds once
  let st;
  for (let i = 0; i < 8; i++) {
    const r = await callBackend(page, 'payoutStep', [text, opts]);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    st = r.value;
    if (!st.more && st.summary.step === 'hold') {
      // a first run holds its rows for one in-flight bound, then looks them up again
      await sleep(Date.parse(st.summary.wait_until) - Date.now() + 50);
      continue;
    }
    if (!st.more) break;
  }
  assert.equal(st.summary.sent_now, 0, 'nothing sent by the console');
  if (st.summary.stopped) assert.match(st.summary.stopped, /nonces are off here[\s\S]*nothing was sent/);
  steps.push(`payoutStep through the backend: ${st.summary.stopped ? 'looked up, then refused to send' : 'looked up; nothing it may send'}; nothing sent`);
  return { steps, run: st };
}

test('dev page, mass payouts, nonces off: nothing is sent', async () => {
  const m = await newMerchant(sb);
  const { context, page, errors } = await devConsole(m, false);
  try {
    const file = await payoutFile(sb, ROWS);
    await goTo(page, 'payouts');
    await loadPayouts(page, 'payouts.csv', file.text);
    await shot(page, 'mass-nonces-off');
    const { steps, run } = await assertPayoutsOff(page, file.text);
    assert.match(run.summary.stopped ?? '', /nonces are off here/, 'the engine tried the batch and the core refused it');
    const recorded = await moneyRequests(sb, m.pub);
    cells.push({ path: 'console mass payouts (dev page)', fault: REFUSED, nonces: false, intended: 0, recorded, refused: true, instructions_followed: steps });
    assert.equal(recorded, 0);
    assert.equal((await withdrawalsOf(sb, m, false)).length, 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

{
  const nonces = true;
  test('one file: the console pays part and stops, the CLI finishes it; nonces on', async () => {
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

  test('one file: the CLI pays part and is killed mid-call, the console finishes it; nonces on', async () => {
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

test('one file, console → CLI, nonces off: the console sends none of it', async () => {
  const m = await newMerchant(sb);
  const { context, page, errors } = await devConsole(m, false);
  try {
    const file = await payoutFile(sb, ROWS);
    await goTo(page, 'payouts');
    await loadPayouts(page, 'payouts.csv', file.text);
    const { steps, run } = await assertPayoutsOff(page, file.text);
    assert.match(run.summary.stopped ?? '', /nonces are off here/);
    const recorded = await moneyRequests(sb, m.pub);
    cells.push({ path: 'console → CLI, one file', fault: REFUSED, nonces: false, intended: 0, recorded, refused: true, instructions_followed: steps });
    assert.equal(recorded, 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('one file, CLI → console, nonces off: the CLI paid part and was killed; the console sends none of the rest', async () => {
  const m = await newMerchant(sb);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wk-cli2c-off-'));
  try {
    const file = await payoutFile(sb, ROWS);
    const csv = path.join(dir, 'payouts.csv');
    writeFileSync(csv, file.text);
    await sb.admin('POST', 'faults', { kind: 'delay', delay_ms: 1, cmd: 'create_mass_withdrawal', key: m.pub });
    await sb.admin('POST', 'faults', { kind: 'hold', delay_ms: HOLD_MS, cmd: 'create_mass_withdrawal', key: m.pub });
    const proc = cli(sb, m, false, dir).start(['mass-withdraw', csv, '--batch', '5', '--yes']);
    const exited = new Promise((r) => proc.once('exit', r));
    await waitForCall(sb, m.pub, 'create_mass_withdrawal', 2);
    proc.kill('SIGKILL');
    await exited;
    await sleep(SETTLE_MS);
    const cliRequests = await moneyRequests(sb, m.pub);
    const steps = ['cli: mass-withdraw --batch 5 (killed mid-call in its second batch)'];
    const { context, page, errors } = await devConsole(m, false);
    try {
      await goTo(page, 'payouts');
      await loadPayouts(page, 'payouts.csv', file.text);
      const off = await assertPayoutsOff(page, file.text);
      steps.push('console: load the file', ...off.steps);
      // the look-up (reads only) found the rows the CLI paid
      assert.ok(off.run.summary.reconciled >= 5, JSON.stringify(off.run.summary));
      const recorded = await moneyRequests(sb, m.pub) - cliRequests;
      cells.push({ path: 'CLI → console, one file', fault: REFUSED, nonces: false, intended: 0, recorded, refused: true, instructions_followed: steps });
      assert.equal(recorded, 0, 'no money request from the console');
      const all = await withdrawalsOf(sb, m, false);
      for (const a of file.addresses) assert.ok(all.filter((x) => x.send_address === a).length <= 1, 'no row paid twice');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
