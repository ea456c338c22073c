// A Charge whose answer was lost (commit, then drop) holds the keypad and offers Reconcile (by the
// operation's id), as Receive does. Before, Charge was enabled again, and the counter's invoice is
// made of the press's second, so a second press was not an "identical" request that core refuses:
// it created a second payment for the one sale. From a helper audit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startSandbox, startDevServer, CHROMIUM } from './harness.mjs';
import { newMerchant, connectAs, goTo, sleep } from './matrix-lib.mjs';

let sb, dev, browser, page, m;
before(async () => {
  sb = await startSandbox();
  dev = await startDevServer(sb);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu'] });
  page = await (await browser.newContext({ viewport: { width: 400, height: 860 } })).newPage();
  await page.goto(`${dev.origin}/`);
  await page.getByLabel('API URL').waitFor();
  m = await newMerchant(sb);
  await connectAs(page, `${dev.origin}/api`, m, true);
});
after(async () => { await browser?.close(); dev?.stop(); await sb?.stop(); });

test('counter: Charge again after a lost answer does not create a second payment', async () => {
  await goTo(page, 'counter');
  await page.waitForFunction(() => [...document.querySelectorAll('select[name="counterCoin"] option')].some((o) => o.value === 'LTCT'));
  await page.getByLabel('Customer pays with').selectOption('LTCT');
  for (const k of '12.50') await page.locator(`.keypad [data-key="${k}"]`).click();
  await sb.admin('POST', 'faults', { kind: 'commit_drop', cmd: 'create_transaction', key: m.pub });
  const charge = page.locator('[data-action="charge"]');
  await charge.click();
  await page.locator('.counter-entry [role=alert]').waitFor();
  console.log('shown:', await page.locator('.counter-entry [role=alert]').innerText());
  assert.equal((await sb.stats(m.pub)).by_cmd?.create_transaction, 1);
  await sleep(1100); // the next second: the invoice differs
  if (await charge.isEnabled()) await charge.click();
  await sleep(1500);
  const n = (await sb.stats(m.pub)).by_cmd?.create_transaction;
  const sale = await page.locator('.counter-sale').count();
  assert.equal(n, 1, `create_transaction reached the sandbox ${n} times for one sale (sale view shown: ${sale})`);
});
