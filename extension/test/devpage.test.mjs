// The local dev page (scripts/serve-console.mjs): the same console with the wasm core in the
// page (web/backend-local.js), the API proxied to a real sandbox on the same origin.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSandbox, freePort, connect, go, allStrings, ROOT, CHROMIUM } from './harness.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('node:child_process').ChildProcess} */ let server;
/** @type {import('playwright-core').Browser} */ let browser;
/** @type {import('playwright-core').Page} */ let page;
let origin = '';
const pageErrors = [];

before(async () => {
  sb = await startSandbox();
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [path.join(ROOT, 'scripts', 'serve-console.mjs'), '--port', String(port), '--api', sb.apiUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    server.stdout?.on('data', (d) => { if (String(d).includes('console on')) resolve(null); });
    server.once('exit', (c) => reject(new Error(`serve-console exited ${c}`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
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
