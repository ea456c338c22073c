// Counter mode (issue #11) on the dev page against a real sandbox: an amount typed on the keypad
// in the store's fiat → the QR code on the screen, read back from its pixels by jsQR, is the
// payment link for exactly that payment (BIP-21: scheme, the sandbox's address, the amount) →
// the sandbox pays → the full-screen "Paid", with a chime unless the sound is off. And the
// extension's own counter page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import jsQR from 'jsqr';
import { chromium } from 'playwright-core';
import { startSandbox, startDevServer, launchExtension, connect, CHROMIUM, shot } from './harness.mjs';
import { newMerchant, connectAs, goTo } from './matrix-lib.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {{origin: string, stop: () => void}} */ let dev;
/** @type {import('playwright-core').Browser} */ let browser;
/** @type {import('playwright-core').Page} */ let page;
const errors = [];

before(async () => {
  sb = await startSandbox();
  dev = await startDevServer(sb);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'] });
  const context = await browser.newContext({ viewport: { width: 400, height: 860 } });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${dev.origin}/`);
  await page.getByLabel('API URL').waitFor();
  await connectAs(page, `${dev.origin}/api`, await newMerchant(sb), true);
});
after(async () => {
  await browser?.close();
  dev?.stop();
  await sb?.stop();
});

/** The QR code on the page, drawn onto a canvas and read by jsQR. @param {import('playwright-core').Page} p */
async function readQr(p) {
  const size = 400;
  const px = await p.evaluate(async (n) => {
    const svg = /** @type {SVGElement} */ (document.querySelector('.counter-qr svg, .qr-figure svg'));
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(svg))}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = c.height = n;
    const g = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
    g.fillStyle = '#fff';
    g.fillRect(0, 0, n, n);
    g.drawImage(img, 0, 0, n, n);
    return Array.from(g.getImageData(0, 0, n, n).data);
  }, size);
  return jsQR(Uint8ClampedArray.from(px), size, size)?.data ?? null;
}

/** @param {string} s */
const units = (s) => { const [w, f = ''] = s.split('.'); return BigInt(w) * 100_000_000n + BigInt((f + '00000000').slice(0, 8)); };

/** Types an amount on the keypad, key by key. @param {string} amount */
async function type(amount) {
  for (const k of amount) await page.locator(`.keypad [data-key="${k}"]`).click();
}

test('counter: 12.50 typed on the keypad → the QR reads back as the BIP-21 link of that payment → paid → full-screen Paid with a chime', async () => {
  await goTo(page, 'counter');
  await page.waitForFunction(() => [...document.querySelectorAll('select[name="counterCoin"] option')].some((o) => /** @type {HTMLOptionElement} */ (o).value === 'LTCT'));
  await page.getByLabel('Customer pays with').selectOption('LTCT');
  const charge = page.locator('[data-action="charge"]');
  // the amount reads one way on the display and on Charge (the display said "12.5" beside
  // "Charge 12.50 USD"): the cents not typed yet show dimmed
  await type('12');
  assert.equal(await page.locator('#ct-amount').innerText(), '12.00');
  await type('.5');
  assert.equal(await page.locator('#ct-amount').innerText(), '12.50');
  assert.equal(await page.locator('#ct-amount .counter-untyped').innerText(), '0');
  assert.equal(await charge.innerText(), 'Charge 12.50 USD in LTCT');
  await page.locator('.keypad [data-key="back"]').click();
  await type('50');
  assert.equal(await page.locator('#ct-amount').innerText(), '12.50');
  assert.equal(await page.locator('#ct-amount .counter-untyped').count(), 0);
  assert.equal(await charge.innerText(), 'Charge 12.50 USD in LTCT');
  await shot(page, 'counter-keypad');
  await charge.click();
  const sale = page.locator('.counter-sale');
  await sale.waitFor();
  const txn = /** @type {string} */ (await sale.getAttribute('data-txn'));
  await page.locator('.counter-qr figcaption[data-kind]').waitFor();
  assert.equal(await page.locator('.counter-qr figcaption').getAttribute('data-kind'), 'bip21');
  assert.match(await page.locator('.counter-qr figcaption').innerText(), /^Amount included \(BIP-21\): the wallet fills in [\d.]+ LTCT\./);
  // what the customer's wallet reads from the screen
  const uri = await readQr(page);
  const tx = await sb.admin('GET', `tx/${txn}`);
  const m = /^litecoin:([a-z0-9]+)\?amount=([0-9.]+)$/.exec(String(uri));
  assert.ok(m, `QR: ${uri}`);
  assert.equal(m[1], tx.payment_address);
  assert.equal(units(m[2]), units(tx.amountf), `the amount in the code ${m[2]} is the payment's ${tx.amountf}`);
  await shot(page, 'counter-qr');
  assert.match(await page.locator('.counter-countdown').innerText(), /Time left: \d+ (h|min|s)/);
  await sb.admin('POST', `tx/${txn}/pay`, {});
  const paid = page.locator('.counter-paid');
  await paid.waitFor({ timeout: 15_000 });
  assert.match(await paid.innerText(), /^Paid\s+12\.50 USD\s+[\d.]+ LTCT/);
  await page.waitForFunction(() => /** @type {any} */ (globalThis).wkChimes === 1);
  await shot(page, 'counter-paid');
  assert.deepEqual(errors, []);
});

test('counter: with the sound off, Paid is shown without a chime', async () => {
  await page.locator('.counter-paid [data-action="new-sale"]').click();
  await page.getByLabel('Sound when paid').uncheck();
  await page.getByLabel('Customer pays with').selectOption('LTCT');
  await type('3');
  await page.locator('[data-action="charge"]').click();
  const sale = page.locator('.counter-sale');
  await sale.waitFor();
  await sb.admin('POST', `tx/${await sale.getAttribute('data-txn')}/pay`, {});
  await page.locator('.counter-paid').waitFor({ timeout: 15_000 });
  await page.waitForTimeout(300); // the chime would have been queued with the Paid screen
  assert.equal(await page.evaluate(() => /** @type {any} */ (globalThis).wkChimes), 1, 'no second chime');
  // the Receive screen's code carries the amount too
  await goTo(page, 'receive');
  await page.getByLabel('Amount', { exact: true }).fill('2');
  await page.waitForFunction(() => [...document.querySelectorAll('select[name="currency2"] option')].some((o) => /** @type {HTMLOptionElement} */ (o).value === 'LTCT'));
  await page.getByLabel('Pay currency').selectOption('LTCT');
  await page.getByLabel('Buyer email').fill('buyer@example.com');
  await page.getByRole('button', { name: 'Create payment' }).click();
  await page.locator('.qr-figure figcaption[data-kind="bip21"]').waitFor();
  assert.match(String(await readQr(page)), /^litecoin:[a-z0-9]+\?amount=[0-9.]+$/);
  assert.deepEqual(errors, []);
});

test('the extension\'s counter page opens on the counter, without the tabs', async () => {
  const ext = await launchExtension();
  try {
    const popup = await ext.open('popup');
    await popup.getByLabel('API URL').waitFor();
    await connect(popup, sb);
    const opened = ext.context.waitForEvent('page');
    await popup.getByRole('button', { name: 'Open the counter' }).click();
    const tab = await opened;
    await tab.locator('main [data-screen="counter"] .keypad').waitFor();
    assert.match(tab.url(), /\/ext\/counter\.html#counter$/);
    assert.equal(await tab.locator('nav').isVisible(), false);
  } finally {
    await ext.close();
  }
});
