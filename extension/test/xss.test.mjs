// Data from the API and from files is text, never markup: an account whose public name is an
// HTML payload, and a payout file with payloads in its memo column.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startSandbox, launchExtension, connect, go, DIST_EXT, ROOT } from './harness.mjs';

const PAYLOAD = '<img src=x onerror=alert(1)>';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;
/** @type {import('playwright-core').Page} */ let page;
const dialogs = [];
const requests = [];

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
  page = await ext.open('popup');
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  ext.context.on('request', (r) => requests.push(r.url()));
  // an "img" created anywhere in the document is recorded before it could load
  await page.evaluate(() => {
    /** @type {any} */ (window).__imgs = 0;
    new MutationObserver((ms) => {
      for (const m of ms) for (const n of m.addedNodes) if (n.nodeName === 'IMG' || (n instanceof Element && n.querySelector('img'))) /** @type {any} */ (window).__imgs++;
    }).observe(document, { subtree: true, childList: true });
  });
});
after(async () => {
  await ext?.close();
  await sb?.stop();
});

test('a public_name of <img src=x onerror=alert(1)> shows as text and runs nothing', async () => {
  const acct = await sb.admin('POST', 'accounts', { username: 'mallory', email: 'm@example.com', public_name: PAYLOAD });
  const key = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});
  await page.getByLabel('API URL').waitFor();
  await connect(page, sb, { pub: key.public_key, priv: key.private_key });
  const dd = page.locator('dl.facts dd').first();
  await dd.waitFor();
  assert.equal(await dd.textContent(), PAYLOAD);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.evaluate(() => /** @type {any} */ (window).__imgs), 0);
  await page.waitForTimeout(300);
  assert.deepEqual(dialogs, []);
  assert.ok(!requests.some((u) => /\/x$/.test(u)), 'nothing tried to load "x"');
});

test('payloads in a payout file stay text in the validation list and the review', async () => {
  await go(page, 'payouts');
  const [addr] = await sb.addresses('LTCT');
  const bad = `address,currency,amount,memo\n${PAYLOAD},LTCT,1\n${addr},LTCT,1,"${PAYLOAD}"\n`;
  await page.getByLabel('Payout file (CSV)').setInputFiles({ name: '<b>x</b>.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.locator('ul.problems li').first().waitFor();
  assert.match(await page.locator('#po-invalid').innerText(), /<b>x<\/b>\.csv/);
  const good = `${addr},LTCT,1,"${PAYLOAD}"\n`;
  await page.getByLabel('Payout file (CSV)').setInputFiles({ name: 'ok.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
  await page.locator('section[aria-labelledby="po-review"] tbody td', { hasText: PAYLOAD }).waitFor();
  assert.equal(await page.locator('img, b').count(), 0);
  assert.equal(await page.evaluate(() => /** @type {any} */ (window).__imgs), 0);
  assert.deepEqual(dialogs, []);
});

test('the shipped manifest: strict CSP, no remote code, loopback only as an optional host', () => {
  const mf = JSON.parse(readFileSync(path.join(DIST_EXT, 'manifest.json'), 'utf8'));
  assert.equal(mf.manifest_version, 3);
  assert.deepEqual(mf.content_security_policy, { extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'" });
  assert.deepEqual(mf.host_permissions, ['https://wallexpay.io/*']);
  assert.deepEqual(mf.optional_host_permissions, ['http://127.0.0.1/*', 'http://localhost/*', 'https://*/*']);
  assert.ok(mf.permissions.includes('sidePanel') && mf.side_panel.default_path);
  assert.equal(mf.background.type, 'module');
  // The shipped worker is one bundled file that loads no code at all; its own source names no URL
  // (the bundle carries the console's modules, whose strings name the API's default address).
  const sw = readFileSync(path.join(DIST_EXT, mf.background.service_worker), 'utf8');
  assert.ok(!/^\s*(import|export)\s|\bimport\s*\(|importScripts\s*\(/m.test(sw), 'the shipped worker imports nothing');
  const src = readFileSync(path.join(ROOT, 'extension', 'sw.js'), 'utf8');
  assert.ok(!/https?:\/\//.test(src.replace(/^\s*\/\/.*$/gm, '')), 'no URLs in the worker code');
});
