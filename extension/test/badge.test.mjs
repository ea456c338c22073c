// The header's session badge after the service worker lost the key from its memory: it names
// when the session ends, and says so once it has ended, instead of "Connected" beside a time
// already past.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, launchExtension, connect } from './harness.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;

before(async () => {
  [sb, ext] = await Promise.all([startSandbox({ tokenTtl: '8s' }), launchExtension()]);
});
after(async () => {
  await ext?.close();
  await sb?.stop();
});

test('the badge names the session end, and says it ended once it has', async () => {
  const page = await ext.open('sidepanel');
  await page.getByLabel('API URL').waitFor();
  await connect(page, sb);
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
  // the worker stopped (Chrome does it on its own): the key it held in memory is gone, the
  // session's token stays until it ends
  await ext.stopWorkers(page);
  await page.reload();
  const badge = page.locator('#wk-session');
  await badge.filter({ hasText: /session until/ }).waitFor({ timeout: 10_000 });
  assert.equal(await badge.getAttribute('data-state'), 'on');
  // the token's 8 s pass: the badge reads the session again by itself, no click, no reload
  await page.locator('#wk-session:not([data-state="on"])').waitFor({ timeout: 20_000 });
  assert.doesNotMatch(await badge.innerText(), /Connected/);
});
