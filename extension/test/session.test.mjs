// Sessions and secrets in the built extension: the vault (opt-in, passphrase), what each
// storage area holds, a service worker stopped mid-session, Lock / Unlock / Sign out, an
// unknown outcome that offers Reconcile instead of a resend, and the same withdrawal sent again
// while the first is unsettled (refused before it leaves).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, launchExtension, connect, go, allStrings } from './harness.mjs';

/** @type {import('./harness.mjs').Sandbox} */ let sb;
/** @type {import('./harness.mjs').Ext} */ let ext;
/** @type {import('playwright-core').Page} */ let page;
const PASS = 'correct horse battery staple';
/** The store's vault (wk.vault.<store id>). @param {any} dump */
const vaultOf = (dump) => Object.entries(dump.local).find(([k]) => k.startsWith('wk.vault.'))?.[1];
const pageErrors = [];

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
  page = await ext.open('sidepanel');
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
after(async () => {
  await ext?.close();
  await sb?.stop();
});

test('remember on this device: a PBKDF2/AES-GCM vault in storage.local, no plaintext key anywhere', async () => {
  await page.getByLabel('API URL').waitFor();
  await connect(page, sb, { remember: true, passphrase: PASS });
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor(); // the first calls (with nonces) are done
  const dump = await ext.dumpStorage();
  const vault = vaultOf(dump);
  assert.ok(vault, JSON.stringify(Object.keys(dump.local)));
  assert.equal(vault.v, 1);
  assert.ok(vault.iterations >= 600_000);
  for (const k of ['salt', 'iv', 'ciphertext']) assert.match(vault[k], /^[A-Za-z0-9+/]+=*$/);
  assert.equal(vault.publicKey, sb.pub);
  assert.ok(Object.keys(dump.session).some((k) => k.startsWith('wk.token.')), 'token in storage.session');
  assert.ok(!Object.keys(dump.local).some((k) => k.startsWith('wk.token.')), 'no token in storage.local');
  assert.ok(Object.keys(dump.local).some((k) => k.startsWith('wk.nonce.')), 'nonce high-water mark in storage.local');
  for (const area of ['session', 'local', 'sync']) {
    const strings = allStrings(dump[area]);
    assert.ok(!strings.some((s) => s.includes(sb.priv)), `plaintext private key in storage.${area}`);
    assert.ok(!strings.some((s) => s.includes(PASS)), `passphrase in storage.${area}`);
  }
  // the vault really holds the key: it opens with the passphrase, and only with it
  const open = (pass) => page.evaluate(async ([v, p]) => {
    const { openVault } = await import('../web/host/vault.js');
    try { return await openVault(v, p); } catch (e) { return `error:${e.code}`; }
  }, [vault, pass]);
  assert.equal(await open(PASS), sb.priv);
  assert.equal(await open('wrong passphrase'), 'error:wrong_passphrase');
});

test('the service worker stopped mid-session: the next action works with no new login and no nonce error', async () => {
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor();
  const before = await sb.stats();
  assert.equal(before.logins, 1);
  const ping = () => page.evaluate(() => chrome.runtime.sendMessage({ type: 'wk.call', method: 'ping', args: [] }).then((r) => r.value.instance));
  const first = await ping();
  // a page's reads go page → worker over its MessageChannel once the worker confirmed it (the
  // calls before that take the port): the way a ping came, after up to 20 tries
  const via = () => page.evaluate(async () => {
    const { swBackend } = await import(chrome.runtime.getURL('ext/backend-sw.js'));
    const b = swBackend();
    let way = '';
    for (let i = 0; i < 20 && way !== 'channel'; i++) way = (await b.ping()).via;
    return way;
  });
  assert.equal(await via(), 'channel');
  await ext.stopWorkers(page);
  await page.getByLabel('Show zero balances').check();
  await page.waitForFunction(() => document.querySelectorAll('section[aria-labelledby="ov-balances"] tbody tr').length > 4, null, { timeout: 20_000 });
  assert.notEqual(await ping(), first, 'a new worker instance answered');
  assert.equal(await via(), 'channel', `the new worker took the page's channel again`);
  await go(page, 'receive');
  await page.locator('section[aria-labelledby="rc-recent"] .empty, section[aria-labelledby="rc-recent"] table').first().waitFor();
  const after = await sb.stats();
  assert.equal(after.logins, 1, 'no new login');
  assert.equal(after.nonce_errors, 0, 'no nonce error');
  assert.equal(after.failed_calls, 0);
  assert.ok(after.calls > before.calls);
  assert.equal(after.overlaps, 0, 'nonce-bearing calls never overlapped');
});

test('a request that may move money is refused on the port and the channel (a read lost there is asked again): nothing is sent', async () => {
  const before = await sb.stats();
  const replies = await page.evaluate(async () => {
    const { PORT_NAME, CHANNEL_OFFER, CHANNEL_READY } = await import(chrome.runtime.getURL('ext/backend-sw.js'));
    const withdrawal = { method: 'createWithdrawal', args: [{ amount: '0.1', currency: 'LTCT', address: 'x' }], id: 1 };
    const port = chrome.runtime.connect({ name: PORT_NAME });
    const byPort = await new Promise((r) => { port.onMessage.addListener(r); port.postMessage(withdrawal); });
    const ch = new MessageChannel();
    const byChannel = await new Promise((r) => {
      ch.port1.onmessage = (e) => { if (e.data?.type === CHANNEL_READY) ch.port1.postMessage(withdrawal); else r(e.data); };
      navigator.serviceWorker.ready.then((reg) => reg.active?.postMessage({ type: CHANNEL_OFFER }, [ch.port2]));
    });
    port.disconnect();
    return [byPort, byChannel];
  });
  for (const r of replies) {
    assert.equal(r.ok, false);
    assert.equal(r.error.code, 'invalid_input');
    assert.match(r.error.message, /may move money.*Nothing was sent/);
  }
  const after = await sb.stats();
  assert.equal(after.calls, before.calls, 'nothing reached the API');
});

test('lock, then unlock only with the right passphrase', async () => {
  await go(page, 'connect');
  await page.getByRole('button', { name: 'Lock' }).click();
  const pass = page.getByLabel('Passphrase');
  await pass.waitFor();
  assert.equal(await page.locator('#wk-session').innerText(), 'Locked');
  let dump = await ext.dumpStorage();
  assert.ok(!Object.keys(dump.session).some((k) => k.startsWith('wk.token.')), 'lock removed the token');
  assert.ok(vaultOf(dump), 'lock kept the vault');
  // guarded screens send you back to unlock
  await page.evaluate(() => { location.hash = '#overview'; });
  await page.locator('main .notice.warn', { hasText: 'locked' }).waitFor();
  await pass.fill('not the passphrase');
  await page.getByRole('button', { name: 'Unlock' }).click();
  const err = page.locator('main [role=alert][data-code="wrong_passphrase"]');
  await err.waitFor();
  assert.match(await err.innerText(), /Wrong passphrase/);
  assert.equal((await sb.stats()).logins, 1, 'a wrong passphrase sends nothing');
  await pass.fill(PASS);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.locator('main [data-screen="overview"]').waitFor();
  assert.equal((await sb.stats()).logins, 2);
  dump = await ext.dumpStorage();
  assert.ok(Object.keys(dump.session).some((k) => k.startsWith('wk.token.')));
});

/** Fills the withdrawal form and opens the review. @param {string} addr @param {string} amount @param {string} [note] */
async function reviewWithdrawal(addr, amount, note) {
  await go(page, 'overview');
  await go(page, 'send');
  await page.getByLabel('Amount', { exact: true }).first().fill(amount);
  await page.getByLabel('Currency', { exact: true }).first().selectOption('LTCT');
  await page.getByLabel('Destination address').fill(addr);
  if (note) await page.getByLabel('Note').fill(note);
  await page.getByLabel('Skip the email confirmation').first().check();
  await page.getByRole('button', { name: 'Review withdrawal' }).click();
  await page.locator('section.review').waitFor();
}

test('an unknown outcome (HTTP 503 on a money call) offers Reconcile, never a resend', async () => {
  const [addr] = await sb.addresses('LTCT');
  await reviewWithdrawal(addr, '0.25');
  await sb.admin('POST', 'faults', { kind: 'status', status: 503, cmd: 'create_withdrawal', count: 1 });
  const before = (await sb.stats()).by_cmd.create_withdrawal ?? 0;
  await page.getByRole('button', { name: 'Confirm and send' }).click();
  const box = page.locator('main [role=alert][data-code="outcome_unknown"]');
  await box.waitFor({ timeout: 30_000 });
  assert.match(await box.innerText(), /Outcome unknown[\s\S]*Do not send it again/);
  assert.equal(await page.getByRole('button', { name: 'Confirm and send' }).count(), 0, 'no resend button');
  assert.equal(await page.getByRole('button', { name: 'Back to edit' }).count(), 0);
  await page.locator('section.review').getByRole('button', { name: 'Reconcile' }).click();
  await page.locator('main .notice', { hasText: 'It was not carried out' }).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Edit and send again' }).waitFor();
  assert.equal((await sb.stats()).by_cmd.create_withdrawal, before + 1, 'nothing was resent');
});

// The sandbox commits, then drops the connection; Chromium resends
// the POST on the reused keep-alive socket, the sandbox refuses that copy ("Invalid nonce") and
// core must not send the withdrawal again with a fresh nonce (a second payout): a nonce error on a
// money call is reported as outcome_unknown.
test('commit then drop: the withdrawal is carried out exactly once and Reconcile finds it', async () => {
  const [addr] = await sb.addresses('LTCT');
  await reviewWithdrawal(addr, '0.3');
  await sb.admin('POST', 'faults', { kind: 'commit_drop', cmd: 'create_withdrawal', count: 1 });
  await page.getByRole('button', { name: 'Confirm and send' }).click();
  const outcome = page.locator('main [role=alert][data-code="outcome_unknown"], main .notice.ok');
  await outcome.first().waitFor({ timeout: 30_000 });
  const history = await page.evaluate(() => chrome.runtime.sendMessage({ type: 'wk.call', method: 'withdrawalHistory', args: [{ limit: 50 }] }));
  const matching = history.value.filter((w) => w.send_address === addr);
  assert.equal(matching.length, 1, `withdrawals to ${addr}: ${matching.length}`);
  assert.equal(await page.locator('main [role=alert][data-code="outcome_unknown"]').count(), 1);
  await page.locator('section.review').getByRole('button', { name: 'Reconcile' }).click();
  await page.locator('main .notice.ok', { hasText: 'It went through' }).waitFor({ timeout: 30_000 });
});

test('the same withdrawal again while the first is unsettled: nothing is sent, Reconcile is offered', async () => {
  const [addr] = await sb.addresses('LTCT');
  await reviewWithdrawal(addr, '0.4', 'invoice 9');
  await sb.admin('POST', 'faults', { kind: 'commit_drop', cmd: 'create_withdrawal', count: 1 });
  await page.getByRole('button', { name: 'Confirm and send' }).click();
  await page.locator('main [role=alert][data-code="outcome_unknown"]').waitFor({ timeout: 30_000 });
  // a hurried merchant fills in the same withdrawal and sends it again
  await reviewWithdrawal(addr, '0.4', 'invoice 9');
  await page.getByRole('button', { name: 'Confirm and send' }).click();
  const box = page.locator('main [role=alert][data-code="pending_operation"]');
  await box.waitFor({ timeout: 30_000 });
  assert.match(await box.innerText(), /Not sent: the same request is still unsettled/);
  assert.equal(await page.getByRole('button', { name: 'Confirm and send' }).count(), 0);
  await page.locator('section.review').getByRole('button', { name: 'Reconcile' }).click();
  await page.locator('main .notice.ok', { hasText: 'It went through' }).waitFor({ timeout: 30_000 });
  const history = await page.evaluate(() => chrome.runtime.sendMessage({ type: 'wk.call', method: 'withdrawalHistory', args: [{ limit: 50 }] }));
  assert.equal(history.value.filter((w) => w.send_address === addr).length, 1);
});

// The worker stops while a withdrawal waits for its turn (one nonce-bearing request per key at a
// time: another page's withdrawal is on its way): its record is written only when it leaves, so
// none was. Reconcile of its id finds no record in the store it named, which (the worker gone)
// proves it never left: the review says so and offers Edit, instead of "cannot tell" for ever.
test('the worker stopped before a withdrawal was recorded: Reconcile says nothing was sent and offers Edit and send again', async () => {
  const [addr1, addr2] = await sb.addresses('LTCT', 2);
  // page B: a withdrawal reviewed
  const b = await ext.open('popup');
  await go(b, 'send');
  await b.getByLabel('Amount', { exact: true }).first().fill('0.12');
  await b.waitForFunction(() => [...document.querySelectorAll('select[name="wdCurrency"] option')].some((o) => /** @type {HTMLOptionElement} */ (o).value === 'LTCT'));
  await b.getByLabel('Currency', { exact: true }).first().selectOption('LTCT');
  await b.getByLabel('Destination address').fill(addr2);
  await b.getByLabel('Skip the email confirmation').first().check();
  await b.getByRole('button', { name: 'Review withdrawal' }).click();
  await b.locator('section.review').waitFor();
  // page A: a withdrawal the network holds for a while
  await reviewWithdrawal(addr1, '0.11');
  await sb.admin('POST', 'faults', { kind: 'delay', delay_ms: 8000, cmd: 'create_withdrawal', count: 1 });
  await page.getByRole('button', { name: 'Confirm and send' }).click();
  await page.waitForTimeout(700);
  // page B's withdrawal waits for its turn behind it; the worker stops meanwhile
  await b.getByRole('button', { name: 'Confirm and send' }).click();
  await b.waitForTimeout(700);
  await ext.stopWorkers(b);
  const box = b.locator('main [role=alert][data-code="outcome_unknown"]');
  await box.waitFor({ timeout: 30_000 });
  assert.equal(Object.values((await ext.dumpStorage()).local).filter((v) => typeof v === 'object' && v && JSON.stringify(v).includes(addr2)).length, 0, 'no record of it was written');
  // page A's withdrawal, its reply lost with the worker, may be listed as unsettled above (its own
  // Reconcile button); this one is the review's
  await b.locator('section.review').getByRole('button', { name: 'Reconcile' }).click();
  await b.locator('main [data-verdict="not_found"]', { hasText: 'not sent' }).waitFor({ timeout: 30_000 });
  await b.getByRole('button', { name: 'Edit and send again' }).click();
  assert.equal(await b.getByLabel('Destination address').inputValue(), addr2, 'the form as it was');
  await page.waitForTimeout(8000);
  const history = await page.evaluate(() => chrome.runtime.sendMessage({ type: 'wk.call', method: 'withdrawalHistory', args: [{ limit: 50 }] }));
  assert.equal(history.value.filter((w) => w.send_address === addr2).length, 0, 'page B\'s withdrawal never left');
  await b.close();
});

test('sign out removes the token and the vault, keeps the nonce high-water mark', async () => {
  await go(page, 'connect');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Private key').waitFor();
  const dump = await ext.dumpStorage();
  assert.equal(vaultOf(dump), undefined);
  assert.ok(!Object.keys(dump.session).some((k) => k.startsWith('wk.token.')));
  assert.ok(Object.keys(dump.local).some((k) => k.startsWith('wk.nonce.')));
  assert.equal(await page.locator('#wk-session').innerText(), 'Not connected');
  assert.deepEqual(pageErrors, []);
});
