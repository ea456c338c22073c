// The console's fault matrix (issue #8), shared pieces: a fresh merchant per cell, the dev page
// server, a person who follows every instruction the console shows (Reconcile, wait until the
// time it names, Check again, "Edit and send again", Resume), the withdrawals the sandbox
// recorded, and dist/reliability/console.json (one record per cell).
//
// Timing: the console runs with the test hook wk.tuning (web/host/storage.js tuningOf): a 1 s
// timeout, a 1.5 s in-flight window and a 20 ms fence pause, so a request the sandbox holds
// for 1.8 s is given up by its client and still lands before the console would send it again.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { ROOT, shot } from './harness.mjs';

export const TUNING = { timeoutMs: 1000, inFlightWindowMs: 1500, fencePauseMs: 20 };
/** How long the sandbox holds a request in the hold / kill / delayed columns (past the 1 s timeout). */
export const HOLD_MS = 1800;
/** After this long any held copy has landed or bounced. */
export const SETTLE_MS = HOLD_MS + 400;

/** The five columns: what the sandbox does to the money request. */
export const FAULTS = [
  { name: 'reset before the API acts', fault: { kind: 'reset' } },
  { name: 'commit, then drop', fault: { kind: 'commit_drop' } },
  { name: 'hold past timeout, then deliver', fault: { kind: 'hold', delay_ms: HOLD_MS } },
  { name: '5xx after commit', fault: { kind: 'commit_status', status: 502 } },
  { name: 'killed mid-call', fault: { kind: 'hold', delay_ms: HOLD_MS }, kill: true },
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * A fresh merchant with one key and LTCT to pay with: each cell's faults, nonces, operation
 * records and counts are its own.
 * @param {import('./harness.mjs').Sandbox} sb
 */
export async function newMerchant(sb) {
  const username = `mx-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
  const acct = await sb.admin('POST', 'accounts', { username, email: `${username}@example.com` });
  const key = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});
  await sb.admin('PUT', `accounts/${acct.merchant_id}/balances`, { LTCT: '10000', BTC: '10' });
  return { pub: key.public_key, priv: key.private_key, merchantId: acct.merchant_id };
}

/**
 * The withdrawals the sandbox recorded for a key, read from the API itself (the admin API lists
 * none). Call it last in a cell: with nonces it sends a nonce above any the console used.
 * @param {import('./harness.mjs').Sandbox} sb @param {{pub: string, priv: string}} m @param {boolean} nonces
 * @returns {Promise<{id: string, send_address: string, amountf: string, note?: string}[]>}
 */
export async function withdrawalsOf(sb, m, nonces) {
  const form = (o) => new URLSearchParams(o).toString();
  const login = await (await fetch(`${sb.apiUrl}/login`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form({ version: '1', cmd: 'login', publickey: m.pub, privatekey: m.priv }),
  })).json();
  const token = login.result.access_token;
  const out = [];
  for (let start = 0; ; start += 100) {
    const f = { version: '1', key: m.pub, cmd: 'get_withdrawal_history', limit: '100', start: String(start) };
    if (nonces) f.nonce = String(Date.now() * 1000 + start);
    const r = await (await fetch(`${sb.apiUrl}/get_withdrawal_history`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: token }, body: form(f),
    })).json();
    assert.equal(r.error, 'ok', JSON.stringify(r));
    out.push(...r.result);
    if (r.result.length < 100) return out;
  }
}

/** Waits until the sandbox has seen n calls of cmd from this key. */
export async function waitForCall(sb, pub, cmd, n = 1, ms = 10_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (((await sb.stats(pub)).by_cmd?.[cmd] ?? 0) >= n) return;
    await sleep(10);
  }
  throw new Error(`${cmd} never reached the sandbox`);
}

export { startDevServer } from './harness.mjs';

/**
 * Fills Connect (nonces on or off under Advanced) and waits for the Overview.
 * @param {import('playwright-core').Page} page @param {string} apiUrl @param {{pub: string, priv: string}} m @param {boolean} nonces
 */
export async function connectAs(page, apiUrl, m, nonces) {
  await page.getByLabel('API URL').fill(apiUrl);
  await page.getByLabel('Public key').fill(m.pub);
  await page.getByLabel('Private key').fill(m.priv);
  if (!nonces) {
    await page.locator('details', { hasText: 'Advanced' }).locator('summary').click();
    await page.getByLabel('Send a nonce with every call').uncheck();
  }
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.locator('main [data-screen="overview"]').waitFor({ timeout: 30_000 });
}

/** @param {import('playwright-core').Page} page @param {string} id */
export async function goTo(page, id) {
  await page.evaluate((h) => { location.hash = h; }, `#${id}`);
  await page.locator(`main [data-screen="${id}"]`).waitFor();
}

/**
 * Opens the withdrawal review for one payment.
 * @param {import('playwright-core').Page} page @param {{address: string, amount: string, note: string}} w
 */
export async function reviewWithdrawal(page, w) {
  const form = page.locator('section[aria-labelledby="sd-wd"]');
  await form.getByLabel('Amount', { exact: true }).fill(w.amount);
  await page.waitForFunction(() => [...document.querySelectorAll('select[name="wdCurrency"] option')].some((o) => /** @type {HTMLOptionElement} */ (o).value === 'LTCT'));
  await form.getByLabel('Currency', { exact: true }).selectOption('LTCT');
  await form.getByLabel('Destination address').fill(w.address);
  await form.getByLabel('Note').fill(w.note);
  await form.getByLabel('Skip the email confirmation').check();
  await form.getByRole('button', { name: 'Review withdrawal' }).click();
  await page.locator('section.review').waitFor();
}

/** Shown time HH:MM:SS today → epoch ms (a time earlier than now belongs to tomorrow). @param {string} hms */
function shownTime(hms) {
  const [h, m, s] = hms.split(':').map(Number);
  const d = new Date();
  d.setHours(h, m, s, 0);
  if (d.getTime() < Date.now() - 12 * 3600e3) d.setDate(d.getDate() + 1);
  return d.getTime();
}

/**
 * Does what the console shows until the withdrawal is settled: Reconcile; on "may still arrive",
 * wait until the time shown and Check again; on "not carried out", Edit and send again (or fill
 * the form again when the page that had it was lost). Returns the instructions followed.
 * @param {import('playwright-core').Page} page
 * @param {{address: string, amount: string, note: string}} w
 * @param {{shots?: string, started?: boolean}} [o]  started: the first Confirm was already pressed
 */
export async function followSend(page, w, o = {}) {
  const steps = [];
  const shotsTaken = new Set();
  const snap = async (name) => {
    if (!o.shots || shotsTaken.has(name)) return;
    shotsTaken.add(name);
    await shot(page, `${o.shots}-${name}`);
  };
  const confirm = async () => {
    await page.locator('section.review [data-action="confirm"]').click();
    steps.push('confirm and send');
  };
  if (!o.started) await confirm();
  for (let i = 0; i < 12; i++) {
    // Wherever the console reports this payment: the review (same page), or the unsettled list.
    const ok = page.locator('section.review .notice.ok', { hasText: 'created' });
    const inReview = page.locator('section.review [data-op] [data-action="reconcile"]');
    const inList = page.locator('#wk-unsettled article.op [data-action="reconcile"]');
    await Promise.race([ok, inReview, inList].map((l) => l.first().waitFor({ timeout: 30_000 })));
    if (await ok.count()) {
      steps.push('paid');
      return steps;
    }
    await snap('unknown');
    const button = (await inReview.count()) ? inReview.first() : inList.first();
    const opId = await button.getAttribute('data-op');
    const scope = page.locator(`main [data-op="${opId}"]:not(button)`).first();
    for (let j = 0; ; j++) {
      assert.ok(j < 6, 'in flight for ever');
      await scope.locator('[data-action="reconcile"]').click();
      steps.push(j ? 'check again' : 'reconcile');
      const verdict = scope.locator('[data-verdict]');
      // Reconcile only reads: when it shows an error instead of a verdict (the worker it woke
      // stopped again, the network), a merchant presses it again, and so does this.
      const failed = scope.locator('.reconcile-result .notice.error');
      await Promise.race([verdict, failed].map((l) => l.first().waitFor({ timeout: 30_000 }))).catch(async (e) => {
        throw new Error(`no verdict and no error 30 s after Reconcile; the operation shows: ${await scope.innerText().catch(() => '?')} (${e.message})`);
      });
      if (!(await verdict.count())) {
        steps.push(`error: ${(await failed.first().innerText()).replace(/\s+/g, ' ')}`);
        await failed.first().evaluate((el) => el.remove());
        continue;
      }
      const v = await verdict.getAttribute('data-verdict');
      steps.push(`verdict ${v}`);
      if (v === 'found') return steps;
      if (v === 'not_found') {
        // nothing offers a resend before this point
        const resend = scope.locator('[data-action="resend"]');
        if (await resend.count()) {
          await resend.click();
          steps.push('edit and send again');
          await page.locator('section[aria-labelledby="sd-wd"] form').getByRole('button', { name: 'Review withdrawal' }).click();
        } else {
          steps.push('send again from the form');
          await reviewWithdrawal(page, w);
        }
        await confirm();
        break;
      }
      if (v === 'in_flight') {
        await snap('in-flight');
        const text = await verdict.innerText();
        const m = /check again after (\d\d:\d\d:\d\d)/.exec(text);
        assert.ok(m, text);
        assert.equal(await page.locator('main [data-action="resend"], section.review [data-action="confirm"]').count(), 0, 'no send button while in flight');
        assert.equal(await scope.locator('[data-action="reconcile"]').isDisabled(), true, 'Check again waits');
        steps.push(`wait until ${m[1]}`);
        await sleep(shownTime(m[1]) - Date.now() + 1000); // the shown time is whole seconds
        await scope.locator('[data-action="reconcile"]:not([disabled])').waitFor({ timeout: 10_000 });
        // re-verdict: wait for the old one to go
        await verdict.evaluate((el) => el.remove());
        continue;
      }
      throw new Error(`verdict ${v}: ${await verdict.innerText()}`);
    }
  }
  throw new Error('never settled');
}

/**
 * Does what the Mass payouts screen shows until the file is done: Confirm / Resume while it
 * offers them, wait until the time shown and Check again. Returns the instructions followed.
 * @param {import('playwright-core').Page} page @param {{shots?: string}} [o]
 */
export async function followPayouts(page, o = {}) {
  const steps = [];
  const review = page.locator('section[aria-labelledby="po-review"]');
  const send = review.locator('[data-action="send-payouts"]');
  const check = review.locator('[data-action="check-again"]');
  const idle = () => page.waitForFunction(() => !document.querySelector('[data-action="send-payouts"][aria-busy]'), null, { timeout: 60_000 });
  for (let i = 0; i < 12; i++) {
    await idle();
    const next = await review.locator('#po-next').innerText();
    if (/every payout is sent/i.test(next)) return [...steps, 'done'];
    if (await send.isVisible()) {
      const label = await send.innerText();
      steps.push(/^Confirm/.test(label) ? 'confirm and send' : 'resume');
      await send.click();
      await page.waitForTimeout(50);
      continue;
    }
    if (await check.isVisible()) {
      if (o.shots) await shot(page, `${o.shots}-in-flight`);
      const label = await check.innerText();
      const m = /Check again at (\d\d:\d\d:\d\d)/.exec(label);
      assert.ok(m, label);
      steps.push(`wait until ${m[1]}`);
      await sleep(shownTime(m[1]) - Date.now() + 1000);
      // a hold the person confirmed on this page ends by itself (the look-up and the send start);
      // any other wait ends with the button enabled
      await page.waitForFunction(() => {
        const b = /** @type {HTMLButtonElement|null} */ (document.querySelector('section[aria-labelledby="po-review"] [data-action="check-again"]'));
        return !b || b.hidden || !b.disabled;
      }, null, { timeout: 10_000 });
      if (await check.isVisible()) {
        steps.push('check again');
        await check.click();
      } else {
        steps.push('went on by itself');
      }
      await page.waitForTimeout(50);
      continue;
    }
    throw new Error(`nothing to follow: ${next}`);
  }
  throw new Error('the file never finished');
}

/**
 * A payout file of n rows, each to a fresh address the sandbox issued (real format, valid
 * checksum), so every cell's rows are its own.
 * @param {import('./harness.mjs').Sandbox} sb @param {number} n
 */
export async function payoutFile(sb, n) {
  const addresses = await sb.addresses('LTCT', n);
  const lines = ['address,currency,amount,memo'];
  addresses.forEach((a, k) => lines.push(`${a},LTCT,0.${String(k + 1).padStart(2, '0')},payee ${k + 1}`));
  return { text: lines.join('\n') + '\n', addresses };
}

/** Loads a payout file by name and waits for the review. @param {import('playwright-core').Page} page */
export async function loadPayouts(page, name, text) {
  await page.getByLabel('Payout file (CSV)').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.locator('section[aria-labelledby="po-review"]', { hasText: name }).waitFor({ timeout: 30_000 });
}

/**
 * One cell: the payments intended and the payments the sandbox recorded. A refused cell (nonces
 * off: the console sends no money) has intended 0, recorded 0 and refused: true.
 * @typedef {{path: string, fault: string, nonces: boolean, intended: number, recorded: number, refused?: boolean, instructions_followed: string[]}} Cell
 */

/** The fault column of a refused cell: with nonces off nothing is sent, whatever the network would do. */
export const REFUSED = 'any (nothing is sent with nonces off)';

/** Money commands a console could send. */
export const MONEY_CMDS = ['create_withdrawal', 'create_transfer', 'create_mass_withdrawal', 'convert'];

/**
 * How many money requests from this key reached the sandbox (GET /sandbox/stats).
 * @param {import('./harness.mjs').Sandbox} sb @param {string} pub
 */
export async function moneyRequests(sb, pub) {
  const st = await sb.stats(pub);
  return MONEY_CMDS.reduce((n, c) => n + (st.by_cmd?.[c] ?? 0), 0);
}

/**
 * Nonces off: the Send screen offers no form that sends, and says why and how to turn nonces
 * on. Returns the steps seen.
 * @param {import('playwright-core').Page} page
 */
export async function assertSendOff(page) {
  await goTo(page, 'send');
  const note = page.locator('main [data-notice="nonces-off"]');
  await note.waitFor();
  assert.match(await note.innerText(), /sends no money[\s\S]*only a nonce makes Wallex Pay refuse the copy[\s\S]*Turn nonces on/);
  for (const s of ['sd-wd', 'sd-tr', 'sd-cv']) assert.equal(await page.locator(`section[aria-labelledby="${s}"]`).count(), 0, `${s} is not offered`);
  assert.equal(await page.locator('main [data-action="confirm"], main button', { hasText: /^Review/ }).count(), 0);
  return ['Send: no form offers to send; the screen says why and how to turn nonces on'];
}
const OUT = path.join(ROOT, 'dist', 'reliability', 'console.json');

/** Adds (or replaces) cells in dist/reliability/console.json. @param {Cell[]} cells */
export function writeCells(cells) {
  mkdirSync(path.dirname(OUT), { recursive: true });
  /** @type {Cell[]} */
  let all = [];
  if (existsSync(OUT)) {
    try { all = JSON.parse(readFileSync(OUT, 'utf8')); } catch { all = []; }
  }
  const key = (c) => `${c.path}\u0000${c.fault}\u0000${c.nonces}`;
  const mine = new Set(cells.map(key));
  // with nonces off a console sends nothing: one refused cell per path (cells of earlier
  // versions, which sent with nonces off, are dropped)
  all = [...all.filter((c) => !mine.has(key(c)) && (c.nonces || c.refused)), ...cells];
  all.sort((a, b) => a.path.localeCompare(b.path) || a.fault.localeCompare(b.fault) || Number(b.nonces) - Number(a.nonces));
  writeFileSync(OUT, JSON.stringify(all, null, 2) + '\n');
}

let cliPath = '';
/** The CLI: bin/wallexkit when ./build.sh build made it, else a fresh build. */
export function cliBinary() {
  if (cliPath) return cliPath;
  const built = path.join(ROOT, 'bin', 'wallexkit');
  if (existsSync(built)) return (cliPath = built);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wk-cli-'));
  const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
  const env = { ...process.env, CGO_ENABLED: '0' };
  delete env.GOOS;
  delete env.GOARCH;
  execFileSync(go, ['build', '-o', path.join(dir, 'wallexkit'), './cmd/wallexkit'], { cwd: ROOT, env, stdio: 'inherit' });
  return (cliPath = path.join(dir, 'wallexkit'));
}

/**
 * The CLI as a merchant runs it, with the sandbox's keys and its own state directory.
 * @param {import('./harness.mjs').Sandbox} sb @param {{pub: string, priv: string}} m @param {boolean} nonces @param {string} dir
 */
export function cli(sb, m, nonces, dir) {
  const env = {
    HOME: dir, PATH: process.env.PATH ?? '', WALLEX_API_URL: sb.apiUrl, WALLEX_PUBLIC_KEY: m.pub, WALLEX_PRIVATE_KEY: m.priv,
    WALLEX_STATE: path.join(dir, 'state.json'), WALLEX_FENCE_PAUSE: `${TUNING.fencePauseMs}ms`,
    WALLEX_TIMEOUT: `${TUNING.timeoutMs}ms`, WALLEX_IN_FLIGHT_WINDOW: `${TUNING.inFlightWindowMs}ms`,
    ...(nonces ? {} : { WALLEX_NONCE: '0' }),
  };
  const bin = cliBinary();
  return {
    /** @param {string[]} args */
    run(args) {
      const r = spawnSync(bin, args, { env, cwd: dir, encoding: 'utf8', timeout: 60_000 });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    /** @param {string[]} args */
    start(args) { return spawn(bin, args, { env, cwd: dir, stdio: 'ignore' }); },
    /**
     * Runs the command again and again as the CLI says (waiting where it names a time) until it
     * exits 0. Returns the instructions followed.
     * @param {string[]} args
     */
    async follow(args) {
      const steps = [];
      for (let i = 0; i < 10; i++) {
        const r = this.run(args);
        steps.push(`wallexkit ${args[0]}: exit ${r.code}`);
        if (r.code === 0) return steps;
        if (![1, 3, 4].includes(r.code)) throw new Error(`exit ${r.code}\n${r.stdout}${r.stderr}`);
        const m = /before (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)/.exec(r.stderr);
        if (m) {
          steps.push(`wait until ${m[1].slice(11, 19)}Z, run again`);
          await sleep(Date.parse(m[1]) - Date.now() + 1100); // the printed time is whole seconds
        } else {
          steps.push('run again');
        }
      }
      throw new Error('the CLI never finished the file');
    },
  };
}
