// The popup closed while a withdrawal is on its way (issue: money safety). The service worker
// finishes it and records it as done, but no page shows the answer: the merchant, believing it
// failed, opens the console again and sends the same withdrawal. That is a new operation, and
// before this check it paid a second time. Now core (duplicateCheck) refuses it and the review
// names the earlier withdrawal; Back sends nothing; "Pay it again" is the only way to a second
// payment. Real Chromium, the built extension, a real sandbox.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, launchExtension, shot } from './harness.mjs';
import { sleep, newMerchant, withdrawalsOf, waitForCall, connectAs, goTo, reviewWithdrawal } from './matrix-lib.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;
/** The first test's merchant and a reader key of its own (the store stays connected). @type {{m: any, reader: any}} */ let first;

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
});
after(async () => {
  await ext?.close();
  await sb?.stop();
});

test('a popup closed mid-send: the same withdrawal sent again is asked about, naming the one that went through', async () => {
  const m = await newMerchant(sb);
  // the test reads the history with a key of its own: its nonces must not fence the console's
  const k = await sb.admin('POST', `accounts/${m.merchantId}/keys`, {});
  const reader = { pub: k.public_key, priv: k.private_key };
  first = { m, reader };
  const withdrawals = () => withdrawalsOf(sb, reader, true);
  let page = await ext.open('popup');
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.getByLabel('API URL').waitFor();
  await connectAs(page, sb.apiUrl, m, true);
  const w = { address: (await sb.addresses('LTCT'))[0], amount: '0.3', note: 'rent-nov' };
  await goTo(page, 'send');
  await reviewWithdrawal(page, w);
  // held 1.5 s, then carried out and answered (the client waits 30 s): the popup is gone by then
  await sb.admin('POST', 'faults', { kind: 'hold', delay_ms: 1500, cmd: 'create_withdrawal', key: m.pub });
  await page.locator('section.review [data-action="confirm"]').click();
  await waitForCall(sb, m.pub, 'create_withdrawal');
  await page.close();
  await sleep(2500);
  const paid = await withdrawals();
  assert.equal(paid.length, 1, 'the worker finished the withdrawal after the popup closed');
  // no page was left to show it: the worker's notification says it went through, with its id
  const notices = async () => (await ext.worker()).evaluate(() => /** @type {any} */ (globalThis).wkNotices);
  let shown = [];
  for (let i = 0; i < 50 && !shown.length; i++) { shown = await notices(); if (!shown.length) await sleep(100); }
  assert.equal(shown.length, 1, JSON.stringify(shown));
  assert.equal(shown[0].title, 'The withdrawal went through');
  assert.ok(shown[0].message.includes(paid[0].id) && shown[0].message.includes('0.30000000 LTCT') && shown[0].message.includes(w.address), shown[0].message);
  assert.ok((await (await ext.worker()).evaluate(() => chrome.notifications.getAll()))[shown[0].id], 'shown by Chrome');

  // "It failed": the console again, the same withdrawal (the note left empty this time)
  page = await ext.open('popup');
  page.on('pageerror', (e) => errors.push(e.message));
  await page.locator('main [data-screen="overview"]').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#wk-ops-banner:not([hidden])').count(), 0, 'a settled withdrawal is no unsettled operation');
  await goTo(page, 'send');
  await reviewWithdrawal(page, { ...w, note: '' });
  // the review shows what the API takes out of the amount: the coin's network fee (rates' tx_fee)
  assert.match(await page.locator('section.review').innerText(), /Network fee\s+0\.00100000 LTCT \(taken out of the amount: the address receives less\)/);
  // ...and how much that leaves for the address, by core's rule (withdrawalSplit): 0.3 less 0.001
  assert.match(await page.locator('section.review').innerText(), /Address receives\s+0\.29900000 LTCT/);
  // the note left empty: core's reference, as the CLI sends it (newReference through the bridge)
  assert.match(await page.locator('section.review').innerText(), /Note\s+wk:[0-9a-f]{10}\n/);
  const confirm = page.locator('section.review [data-action="confirm"]');
  await confirm.click();
  const box = page.locator('section.review [role=alert][data-code="possible_duplicate"]');
  await box.waitFor({ timeout: 20_000 });
  const text = await box.innerText();
  assert.match(text, /Possible duplicate: this withdrawal was already paid/);
  assert.ok(text.includes(paid[0].id), `the box names the earlier withdrawal ${paid[0].id}: ${text}`);
  assert.match(text, /seconds? ago|now/);
  assert.match(text, /Nothing was sent now/);
  assert.equal(await confirm.innerText(), 'Pay it again');
  assert.equal(await page.locator('section.review button', { hasText: 'Back to edit' }).isEnabled(), true);
  await shot(page, 'send-possible-duplicate');
  assert.equal((await withdrawals()).length, 1, 'nothing sent by the refused press');

  // Back, and the review again: asked again (a new review is a new question)
  await page.locator('section.review button', { hasText: 'Back to edit' }).click();
  await page.locator('section[aria-labelledby="sd-wd"] form').getByRole('button', { name: 'Review withdrawal' }).click();
  await page.locator('section.review [data-action="confirm"]').click();
  await page.locator('section.review [role=alert][data-code="possible_duplicate"]').waitFor({ timeout: 20_000 });
  assert.equal((await withdrawals()).length, 1);

  // meant: a second payment
  await page.locator('section.review [data-action="confirm"]', { hasText: 'Pay it again' }).click();
  await page.locator('section.review [role=status]').waitFor({ timeout: 20_000 });
  const after = await withdrawals();
  assert.equal(after.length, 2, 'Pay it again sends the second payment');
  assert.equal((await notices()).length, 1, 'an answer the open page showed is not notified');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the same transfer to a merchant again: the warning points to the balance, not to a history that does not list it', async () => {
  const to = await newMerchant(sb);
  // the store the first test connected, in a new popup
  const page = await ext.open('popup');
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.locator('main [data-screen="overview"]').waitFor({ timeout: 30_000 });
  await goTo(page, 'send');
  const form = page.locator('section[aria-labelledby="sd-tr"]');
  const review = async () => {
    await form.getByLabel('Amount', { exact: true }).fill('0.4');
    await page.waitForFunction(() => [...document.querySelectorAll('select[name="trCurrency"] option')].some((o) => /** @type {HTMLOptionElement} */ (o).value === 'LTCT'));
    await form.getByLabel('Currency', { exact: true }).selectOption('LTCT');
    await form.getByLabel('Merchant ID').fill(to.merchantId);
    await form.getByLabel('Skip the email confirmation').check();
    await form.getByRole('button', { name: 'Review transfer' }).click();
    await form.locator('section.review').waitFor();
  };
  await review();
  await form.locator('section.review [data-action="confirm"]').click();
  await form.locator('section.review [role=status]').waitFor({ timeout: 20_000 });
  await form.locator('section.review button', { hasText: 'New transfer' }).click();
  await review();
  await form.locator('section.review [data-action="confirm"]').click();
  const box = form.locator('section.review [role=alert][data-code="possible_duplicate"]');
  await box.waitFor({ timeout: 20_000 });
  const text = await box.innerText();
  assert.doesNotMatch(text, /history below/, `no history lists a transfer to a merchant: ${text}`);
  assert.match(text, /balance/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('"Pay it again" in two pages: the second press is asked about again, naming the payment the first one made', async () => {
  // Two console pages of the store (a popup and a tab) both say "Possible duplicate" about one
  // withdrawal and offer "Pay it again": each means one second payment. The first press pays it;
  // the second, pressed after, must not pay a third time without being asked about the second.
  const paidTo = async (address) => (await withdrawalsOf(sb, first.reader, true)).filter((x) => x.send_address === address);
  const w = { address: (await sb.addresses('LTCT'))[0], amount: '0.2', note: 'twice' };
  const errors = [];
  const a = await ext.open('popup');
  const b = await ext.open('popup');
  for (const p of [a, b]) {
    p.on('pageerror', (e) => errors.push(e.message));
    await p.locator('main [data-screen="overview"]').waitFor({ timeout: 30_000 });
    await goTo(p, 'send');
  }
  await reviewWithdrawal(a, w);
  await a.locator('section.review [data-action="confirm"]').click();
  await a.locator('section.review [role=status]').waitFor({ timeout: 20_000 });
  const [{ id: firstId }] = await paidTo(w.address);
  // both pages: the same withdrawal again, asked about
  await a.locator('section.review button', { hasText: 'New withdrawal' }).click();
  for (const p of [a, b]) {
    await reviewWithdrawal(p, w);
    await p.locator('section.review [data-action="confirm"]').click();
    await p.locator('section.review [role=alert][data-code="possible_duplicate"]').waitFor({ timeout: 20_000 });
  }
  // the popup: Pay it again, meant — a second payment
  await a.locator('section.review [data-action="confirm"]', { hasText: 'Pay it again' }).click();
  await a.locator('section.review [role=status]').waitFor({ timeout: 20_000 });
  const two = await paidTo(w.address);
  assert.equal(two.length, 2, 'Pay it again sends the second payment');
  // the tab, still showing the warning about the first payment: Pay it again
  await b.locator('section.review [data-action="confirm"]', { hasText: 'Pay it again' }).click();
  const outcome = b.locator('section.review [role=alert][data-code="possible_duplicate"], section.review [role=status]');
  await b.waitForFunction(() => !document.querySelector('section.review [data-action="confirm"][aria-busy]'), null, { timeout: 20_000 });
  await outcome.first().waitFor({ timeout: 20_000 });
  assert.equal((await paidTo(w.address)).length, 2, 'the second page\'s Pay it again, after the first page paid again, must not pay a third time unasked');
  const box = b.locator('section.review [role=alert][data-code="possible_duplicate"]');
  const secondId = two.find((x) => x.id !== firstId)?.id ?? '?';
  const text = await box.innerText();
  assert.ok(text.includes(secondId), `the warning names the second payment ${secondId}: ${text}`);
  // asked about the newer payment, a further press is meant: a third payment
  await b.locator('section.review [data-action="confirm"]', { hasText: 'Pay it again' }).click();
  await b.locator('section.review [role=status]').waitFor({ timeout: 20_000 });
  assert.equal((await paidTo(w.address)).length, 3);
  assert.deepEqual(errors, []);
  await a.close();
  await b.close();
});
