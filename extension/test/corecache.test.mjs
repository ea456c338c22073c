// The service worker's copy of the wasm core in Cache Storage (web/host/wasm-loader.js): kept
// under the build's SHA-256 after the first start, compiled from on the next cold start, never
// another build's copy, and a damaged copy falls back to the package's bytes and is replaced.
// And the console's port: calls after the worker was stopped open a new one and are answered.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startSandbox, launchExtension, DIST_EXT } from './harness.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;
/** @type {import('playwright-core').Page} */ let page;

const SHA = createHash('sha256').update(readFileSync(path.join(DIST_EXT, 'wasm', 'wallexkit.wasm'))).digest('hex');
const KEY = `https://wallexkit.invalid/wasm/${SHA}.wasm`;

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
  page = await ext.open('popup');
  await page.locator('main').waitFor();
  await page.evaluate(async ([apiUrl, pub, priv]) => {
    const { swBackend } = await import(chrome.runtime.getURL('ext/backend-sw.js'));
    const b = swBackend();
    /** @type {any} */ (globalThis).b = b;
    await b.connect({ apiUrl, publicKey: pub, privateKey: priv });
  }, [sb.apiUrl, sb.pub, sb.priv]);
});
after(async () => {
  await ext?.close();
  await sb?.stop();
});

/** Stops the worker, then one call through the page's backend (its port) and the worker's startup report. */
async function coldCall() {
  await ext.stopWorkers(page);
  return page.evaluate(async () => {
    const b = /** @type {any} */ (globalThis).b;
    const info = await b.basicInfo();
    const p = await b.ping();
    return { merchant: info.merchant_id, source: p.startup.source, instance: p.instance };
  });
}

/** The keys of the worker's core cache, read from the page (same origin). */
function cachedKeys() {
  return page.evaluate(async () => (await (await caches.open('wk.core')).keys()).map((r) => r.url));
}

/** Waits until the worker has kept its copy (it does so after the start that compiled from the package). */
async function keptCopy() {
  for (let i = 0; i < 200; i++) {
    const keys = await cachedKeys();
    if (keys.length === 1 && keys[0] === KEY) {
      const len = await page.evaluate(async (k) => (await (await (await caches.open('wk.core')).match(k)).arrayBuffer()).byteLength, KEY);
      if (len > 1000) return keys;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return cachedKeys();
}

test('the core is kept under its build hash and a cold worker compiles from it; every call is answered across stops', async () => {
  assert.deepEqual(await keptCopy(), [KEY], 'one copy, under this build\'s SHA-256');
  const a = await coldCall();
  assert.equal(a.merchant, sb.merchantId);
  assert.equal(a.source, 'cache');
  const b = await coldCall();
  assert.equal(b.source, 'cache');
  assert.notEqual(a.instance, b.instance, 'a new worker each time');
});

test("another build's copy is dropped, and a damaged copy falls back to the package and is replaced", async () => {
  await page.evaluate(async ([key]) => {
    const c = await caches.open('wk.core');
    await c.put('https://wallexkit.invalid/wasm/' + '0'.repeat(64) + '.wasm', new Response(new Uint8Array([0, 97, 115, 109]), { headers: { 'content-type': 'application/wasm' } }));
    await c.put(key, new Response(new Uint8Array([1, 2, 3, 4]), { headers: { 'content-type': 'application/wasm' } }));
  }, [KEY]);
  const a = await coldCall();
  assert.equal(a.merchant, sb.merchantId, 'answered all the same');
  assert.equal(a.source, 'package');
  assert.deepEqual(await keptCopy(), [KEY], 'the damaged copy replaced, the other build\'s dropped');
  const b = await coldCall();
  assert.equal(b.source, 'cache');
});

test('a console page keeps the core compiled (not started) once it is idle; the options page does not', async () => {
  // web/host/wasm-loader.js keepCompiled, from extension/page.js: Chrome shares compiled wasm
  // between an extension's pages and its worker, so a worker stopped while a console page is open
  // starts with the core's code ready (the benchmark's cold-start row with a console page open).
  const popup = await ext.open('popup');
  await popup.locator('html[data-core="kept"]').waitFor({ state: 'attached', timeout: 20_000 });
  assert.equal(await popup.evaluate(() => typeof (/** @type {any} */ (globalThis)).wallexkit), 'undefined', 'compiled only: no Go instance in the page');
  const options = await ext.open('options');
  await options.waitForTimeout(3000);
  assert.equal(await options.evaluate(() => document.documentElement.dataset.core ?? null), null);
  await Promise.all([popup.close(), options.close()]);
  // and the worker still answers after a stop, with the page gone
  const a = await coldCall();
  assert.equal(a.merchant, sb.merchantId);
});
