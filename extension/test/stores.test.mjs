// Stores (issue #11): several connections in one extension, each with its own token, nonce mark,
// operation records, journals and vault; a switcher in the header; nothing of one store on the
// page of another; signing out of one leaves the others. A withdrawal of one store that is still
// on its way while the merchant switches to another completes into its own store only.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, launchExtension, connect, go, shot, allStrings } from './harness.mjs';
import { waitForCall, withdrawalsOf, reviewWithdrawal, newMerchant } from './matrix-lib.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;
/** @type {import('playwright-core').Page} */ let page;
/** @type {{pub: string, priv: string, merchantId: string}} */ let tea;
const PASS = 'correct horse battery staple';
const errors = [];

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
  const acct = await sb.admin('POST', 'accounts', { username: 'greentea', email: 'tea@example.com', public_name: 'Green Tea Co' });
  const key = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});
  tea = { pub: key.public_key, priv: key.private_key, merchantId: acct.merchant_id };
  await sb.admin('PUT', `accounts/${acct.merchant_id}/balances`, { LTCT: '7.25' });
  page = await ext.open('sidepanel');
  await page.setViewportSize({ width: 400, height: 900 });
  page.on('pageerror', (e) => errors.push(e.message));
});
after(async () => {
  await ext?.close();
  await sb?.stop();
});

/** The balances table as "COIN amount" lines. */
async function balances() {
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
  // coin and balance (the third cell is its approximate fiat value)
  // (read cell by cell: at this width each row is laid out as label: value lines)
  return page.locator('section[aria-labelledby="ov-balances"] tbody tr').evaluateAll((trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].slice(0, 2).map((td) => (td.textContent ?? '').trim()).join(' ')));
}

/**
 * Picks a store in the header's switcher (the screen stays, drawn again for that store), then
 * opens its Overview.
 * @param {string} name
 */
async function switchTo(name) {
  const sel = page.getByLabel('Store', { exact: true });
  await sel.selectOption({ label: name });
  await page.waitForFunction((n) => {
    const el = /** @type {HTMLSelectElement} */ (document.getElementById('wk-store'));
    return !el.disabled && el.selectedOptions[0]?.textContent === n;
  }, name);
  await page.locator('#wk-session[data-state="on"]').waitFor();
  await go(page, 'overview');
}

const storeIdOf = (/** @type {string} */ pub) => `${sb.apiUrl}|${pub}`;

/** The demo store's balances (it holds more coins; these two tell it apart). */
async function assertBlue() {
  const b = await balances();
  assert.ok(b.includes('BTC 1.50000000') && b.includes('ETH 3.00000000') && !b.includes('LTCT 7.25000000'), b.join(' | '));
}

test('two stores: each connected under its own name; the header switches between them, each showing only its own balances', async () => {
  await page.getByLabel('API URL').waitFor();
  await page.getByLabel('Store name').fill('Blue Mug Shop');
  await connect(page, sb, { remember: true, passphrase: PASS });
  await assertBlue();
  // a second store, from the switcher
  await page.getByLabel('Store', { exact: true }).selectOption({ label: 'Add a store…' });
  await page.locator('main form [data-add-store]').waitFor();
  assert.equal(await page.getByLabel('Public key').inputValue(), '', 'an empty form, not the first store\'s keys');
  await shot(page, 'stores-add');
  await connect(page, sb, { pub: tea.pub, priv: tea.priv }); // no name given: the account's public name
  assert.deepEqual(await page.getByLabel('Store', { exact: true }).locator('option').allInnerTexts(), ['Blue Mug Shop', 'Green Tea Co', 'Add a store…']);
  assert.equal(await page.getByLabel('Store', { exact: true }).inputValue(), storeIdOf(tea.pub));
  assert.deepEqual(await balances(), ['LTCT 7.25000000']);
  await page.locator('main').getByText('Green Tea Co').first().waitFor();
  await shot(page, 'stores-switcher');
  await switchTo('Blue Mug Shop');
  await assertBlue();
  const text = await page.locator('main').innerText();
  assert.ok(!text.includes('7.25') && !text.includes('Green Tea Co') && !text.includes(tea.merchantId), 'nothing of the other store');
  await switchTo('Green Tea Co');
  assert.deepEqual(await balances(), ['LTCT 7.25000000']);
  assert.ok(!(await page.locator('main').innerText()).includes('Demo Store'));
  assert.deepEqual(errors, []);
});

test('storage: each store its own token, nonce mark and vault entry; no private key in plain text anywhere', async () => {
  const dump = await ext.dumpStorage();
  for (const area of ['session', 'local', 'sync']) {
    const strings = allStrings(dump[area]);
    for (const k of [sb.priv, tea.priv]) assert.ok(!strings.some((s) => s.includes(k)), `a private key in storage.${area}`);
  }
  const blue = storeIdOf(sb.pub);
  const green = storeIdOf(tea.pub);
  for (const id of [blue, green]) {
    assert.ok(dump.session[`wk.token.${id}`]?.access_token, `token of ${id}`);
    assert.ok(dump.local[`wk.nonce.${id}`] > 0, `nonce mark of ${id}`);
  }
  assert.notEqual(dump.session[`wk.token.${blue}`].access_token, dump.session[`wk.token.${green}`].access_token);
  assert.ok(dump.local[`wk.vault.${blue}`]?.ciphertext, 'the remembered store has its vault');
  assert.equal(dump.local[`wk.vault.${green}`], undefined, 'the other asked for none');
  assert.deepEqual(Object.keys(dump.local['wk.stores']), [blue]);
  assert.deepEqual(Object.keys(dump.session['wk.stores.session'].stores).sort(), [blue, green].sort());
});

test('a withdrawal of one store still on its way while the merchant switches to another completes into its own store only', async () => {
  await switchTo('Blue Mug Shop');
  await go(page, 'send');
  const [address] = await sb.addresses('LTCT');
  await reviewWithdrawal(page, { amount: '0.5', address, note: '' });
  const review = page.locator('section.review');
  assert.match(await review.innerText(), /From store\s+Blue Mug Shop/);
  // the sandbox holds the request for a moment: the merchant switches store meanwhile
  await sb.admin('POST', 'faults', { kind: 'delay', delay_ms: 1500, cmd: 'create_withdrawal', key: sb.pub });
  await review.getByRole('button', { name: 'Confirm and send' }).click();
  await waitForCall(sb, sb.pub, 'create_withdrawal');
  await switchTo('Green Tea Co');
  assert.deepEqual(await balances(), ['LTCT 7.25000000']);
  // it lands in its own account, its operation record in its own store
  const blueId = storeIdOf(sb.pub);
  let ops;
  for (let i = 0; i < 100; i++) {
    ops = (await ext.dumpStorage()).local[`wk.ops.${blueId}`] ?? {};
    if (Object.values(ops).some((t) => JSON.parse(String(t)).state === 'done')) break;
    await page.waitForTimeout(50);
  }
  const done = Object.values(ops ?? {}).map((t) => JSON.parse(String(t))).filter((o) => o.state === 'done');
  assert.equal(done.length, 1, JSON.stringify(ops));
  assert.equal(done[0].ref.address, address);
  assert.equal((await ext.dumpStorage()).local[`wk.ops.${storeIdOf(tea.pub)}`], undefined, 'nothing in the other store\'s records');
  assert.equal((await withdrawalsOf(sb, sb, true)).filter((w) => w.send_address === address).length, 1);
  assert.equal((await withdrawalsOf(sb, tea, true)).length, 0, 'nothing left the other account');
  assert.deepEqual(await balances(), ['LTCT 7.25000000']);
  // back in its store, it is in the history
  await switchTo('Blue Mug Shop');
  await go(page, 'send');
  await page.locator('section[aria-labelledby="sd-history"] tbody tr', { hasText: address }).waitFor();
  assert.deepEqual(errors, []);
});

test('locking one store leaves the other signed in; signing out of one leaves the other listed, and it connects again', async () => {
  await switchTo('Green Tea Co');
  await go(page, 'connect');
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.locator('#wk-session[data-state="locked"]').waitFor();
  // locking one store leaves the other signed in
  await page.getByLabel('Store', { exact: true }).selectOption({ label: 'Blue Mug Shop' });
  await page.locator('main [data-screen="overview"]').waitFor();
  await assertBlue();
  await go(page, 'connect');
  await page.getByRole('button', { name: 'Sign out' }).click();
  // the other store is what the console shows now
  await page.waitForFunction(() => document.querySelectorAll('#wk-store option').length === 2);
  assert.deepEqual(await page.getByLabel('Store', { exact: true }).locator('option').allInnerTexts(), ['Green Tea Co', 'Add a store…']);
  const dump = await ext.dumpStorage();
  const blue = storeIdOf(sb.pub);
  assert.equal(dump.session[`wk.token.${blue}`], undefined);
  assert.equal(dump.local[`wk.vault.${blue}`], undefined, 'its vault went with it');
  assert.ok(dump.local[`wk.nonce.${blue}`] > 0, 'its nonce mark stays');
  assert.ok(dump.local[`wk.ops.${blue}`], 'its operation records stay');
  // Green Tea Co (locked, no vault) connects again with its keys
  await page.getByLabel('Private key').waitFor();
  assert.equal(await page.getByLabel('Public key').inputValue(), tea.pub);
  await page.getByLabel('Private key').fill(tea.priv);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.locator('main [data-screen="overview"]').waitFor();
  assert.deepEqual(await balances(), ['LTCT 7.25000000']);
  assert.deepEqual(errors, []);
});

test('a key rotated while a withdrawal of the old key is unsettled: the same withdrawal from the new key\'s store is refused, naming the old store', async () => {
  // Green Tea Co (connected by the test above): a withdrawal whose answer is lost after the API acted
  await switchTo('Green Tea Co');
  await go(page, 'send');
  const [address] = await sb.addresses('LTCT');
  const withdraw = async () => {
    await reviewWithdrawal(page, { amount: '0.25', address, note: '' });
    await page.locator('section.review').getByRole('button', { name: 'Confirm and send' }).click();
  };
  await sb.admin('POST', 'faults', { kind: 'commit_drop', cmd: 'create_withdrawal', key: tea.pub });
  await withdraw();
  await page.locator('section.review [role=alert][data-code="outcome_unknown"]').waitFor({ timeout: 20_000 });
  // the merchant rotates the key and connects the new one as a store of its own
  const k2 = await sb.admin('POST', `accounts/${tea.merchantId}/keys`, {});
  await page.getByLabel('Store', { exact: true }).selectOption({ label: 'Add a store…' });
  await page.locator('main form [data-add-store]').waitFor();
  await page.getByLabel('Store name').fill('Green Tea Co, new key');
  await connect(page, sb, { pub: k2.public_key, priv: k2.private_key });
  await go(page, 'send');
  await withdraw();
  const box = page.locator('section.review [role=alert][data-code="pending_operation"]');
  await box.waitFor({ timeout: 20_000 });
  assert.equal(await box.getAttribute('data-store'), storeIdOf(tea.pub));
  const text = await box.innerText();
  assert.match(text, /Not sent: the same withdrawal is unsettled in another store/);
  assert.ok(text.includes('“Green Tea Co”'), text);
  assert.equal(await page.locator('section.review').getByRole('button', { name: 'Confirm and send' }).count(), 0, 'nothing offers to send it');
  await shot(page, 'send-unsettled-in-another-store');
  assert.equal((await withdrawalsOf(sb, { pub: k2.public_key, priv: k2.private_key }, true)).filter((w) => w.send_address === address).length, 1,
    'the first one only (the API carried it out); the new key sent none');
  assert.deepEqual(errors, []);
});

test('a review of one store confirmed while the header is switching to another sends from the store it shows, never from the other', async () => {
  const one = await newMerchant(sb);
  const two = await newMerchant(sb);
  for (const [m, name] of [[one, 'Shop One'], [two, 'Shop Two']]) {
    await page.getByLabel('Store', { exact: true }).selectOption({ label: 'Add a store…' });
    await page.locator('main form [data-add-store]').waitFor();
    await page.getByLabel('Store name').fill(name);
    await connect(page, sb, { pub: m.pub, priv: m.priv });
  }
  await switchTo('Shop One');
  await go(page, 'send');
  const [address] = await sb.addresses('LTCT');
  await reviewWithdrawal(page, { amount: '0.5', address, note: '' });
  const review = page.locator('section.review');
  assert.match(await review.innerText(), /From store\s+Shop One/);
  // the page's reads of its session take a while (a busy worker): the switch below has made
  // Shop Two the page's store, and the page is not drawn again for it yet
  await page.evaluate(() => {
    const orig = MessagePort.prototype.postMessage;
    MessagePort.prototype.postMessage = function (/** @type {any} */ m, /** @type {any} */ ...rest) {
      if (m?.method === 'session') { setTimeout(() => orig.call(this, m, ...rest), 4000); return; }
      return orig.call(this, m, ...rest);
    };
  });
  await page.getByLabel('Store', { exact: true }).selectOption({ label: 'Shop Two' });
  await page.waitForTimeout(600);
  assert.match(await review.innerText(), /From store\s+Shop One/, 'the review still shows Shop One');
  await review.getByRole('button', { name: 'Confirm and send' }).click();
  await page.locator('main [data-screen="send"]').waitFor();
  await page.waitForTimeout(5000);
  const fromTwo = (await withdrawalsOf(sb, two, true)).length;
  const fromOne = (await withdrawalsOf(sb, one, true)).filter((w) => w.send_address === address).length;
  assert.equal(fromTwo, 0, 'nothing left Shop Two: the review said From store Shop One');
  assert.equal(fromOne, 1, 'sent once, from Shop One');
});
