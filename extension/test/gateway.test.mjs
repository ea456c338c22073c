// "Through my gateway": the console in the built extension against a real sandbox behind the
// real edge gateway (wasm/edge in workerd via Miniflare, started by its own test harness). The
// extension holds only a gateway token; the gateway holds the API keys and alone logs in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchExtension, go, shot, allStrings, createPayment } from './harness.mjs';
import { startSandbox, startGateway, eventually } from '../../wasm/edge/test/lib.mjs';

/** @type {Awaited<ReturnType<typeof startSandbox>>} */ let sb;
/** @type {Awaited<ReturnType<typeof startGateway>>} */ let gw;
/** @type {import('./harness.mjs').Ext} */ let ext;
/** @type {import('playwright-core').Page} */ let page;
const PASS = 'correct horse battery staple';
const WRONG_TOKEN = 'not-a-gateway-token';
const pageErrors = [];
/** Every request of the extension (its pages and its service worker): url and Authorization. */
const sent = [];

before(async () => {
  [sb, ext] = await Promise.all([startSandbox(), launchExtension()]);
  gw = await startGateway(sb); // ALLOW_MONEY=0, WALLEX_NONCE=0: the gateway's defaults
  ext.context.on('request', (r) => {
    sent.push(r.allHeaders().then((hd) => ({ url: r.url(), auth: hd.authorization ?? '' }), () => ({ url: r.url(), auth: '' })));
  });
  page = await ext.open('sidepanel');
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
after(async () => {
  await ext?.close();
  await gw?.stop();
  await sb?.stop();
});

/** Fills the gateway choice of the Connect form. @param {string} token @param {{remember?: boolean}} [o] */
async function fillGateway(token, o = {}) {
  await page.getByLabel('Through my gateway').check();
  await page.getByLabel('Gateway URL').fill(gw.url);
  await page.getByLabel('Gateway token').fill(token);
  if (o.remember) {
    await page.getByLabel('Remember on this device').check();
    await page.getByLabel('Passphrase').fill(PASS);
  }
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
}

/** The gateway token kept for the store (wk.gatewayToken.<store id>). @param {any} dump */
const sessionToken = (dump) => {
  const keys = Object.keys(dump.session).filter((k) => k.startsWith('wk.gatewayToken.'));
  assert.ok(keys.length <= 1, keys.join(', '));
  return keys.length ? dump.session[keys[0]] : undefined;
};
/** The store's vault (wk.vault.<store id>). @param {any} dump */
const vaultOf = (dump) => Object.entries(dump.local).find(([k]) => k.startsWith('wk.vault.'))?.[1];

test('a token the gateway does not know is refused at Connect, on its field', async () => {
  await page.getByLabel('API URL').waitFor();
  assert.equal(await page.getByLabel('Gateway URL').isVisible(), false, 'API keys is the default choice');
  await fillGateway(WRONG_TOKEN);
  const box = page.locator('main [role=alert][data-code="gateway_token"]');
  await box.waitFor({ timeout: 20_000 });
  assert.match(await box.innerText(), /The gateway refused the token/);
  const tok = page.getByLabel('Gateway token');
  assert.equal(await tok.getAttribute('aria-invalid'), 'true');
  assert.equal(await tok.getAttribute('type'), 'password');
  assert.equal(await page.locator('#wk-session').innerText(), 'Not connected');
  assert.equal(await page.getByLabel('API URL').isVisible(), false, 'the keys fields are hidden');
  await shot(page, 'gateway-connect-refused');
  const st = await sb.stats();
  assert.equal(st.logins, 0);
  assert.equal(st.calls, 0, 'nothing reached the API');
  assert.equal(sessionToken(await ext.dumpStorage()), undefined);
});

test('connect through the gateway: Overview shows the demo balances', async () => {
  await page.getByLabel('Gateway token').fill(gw.tokens[0]);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.locator('main [data-screen="overview"]').waitFor({ timeout: 30_000 });
  await page.locator('main').getByText('Demo Store').waitFor();
  const rows = page.locator('section[aria-labelledby="ov-balances"] tbody tr');
  await rows.first().waitFor();
  // coin and balance (the third cell is its approximate fiat value)
  const balances = (await rows.allInnerTexts()).map((r) => r.split('\t').slice(0, 2).join(' ').trim());
  assert.deepEqual(balances, ['BTC 1.50000000', 'ETH 3.00000000', 'LTC 25.00000000', 'LTCT 100.00000000']);
  assert.equal(await page.locator('main').getByText(sb.merchantId, { exact: true }).count(), 1);
  await page.locator('section[aria-labelledby="ov-rates"] tbody tr').first().waitFor();
  assert.equal(await page.locator('#wk-session').innerText(), 'Connected · through your gateway');
  await shot(page, 'gateway-overview');
  await go(page, 'connect');
  await page.getByText('Connected to Wallex Pay through your gateway.').waitFor();
  assert.match(await page.locator('main dl').innerText(), new RegExp(`Gateway URL\\s+${gw.url.replace(/[.:/]/g, '\\$&')}`));
  await shot(page, 'gateway-connected');
  await go(page, 'overview');
});

test('storage: no API key or Wallex token anywhere, the gateway token only in storage.session; only the gateway logs in', async () => {
  const dump = await ext.dumpStorage();
  const bearer = String(await gw.upstreamToken()).replace(/^Bearer /, '');
  assert.ok(bearer.length >= 8, 'the gateway holds the Wallex token it logged in for');
  for (const area of ['session', 'local', 'sync']) {
    const strings = allStrings(dump[area]);
    assert.ok(!strings.some((s) => s.includes(sb.privateKey)), `API private key in storage.${area}`);
    assert.ok(!strings.some((s) => s.includes(sb.publicKey)), `API public key in storage.${area}`);
    assert.ok(!strings.some((s) => s.includes(bearer)), `Wallex bearer token in storage.${area}`);
    if (area !== 'session') assert.ok(!strings.some((s) => s.includes(gw.tokens[0])), `gateway token in storage.${area}`);
  }
  assert.equal(sessionToken(dump), gw.tokens[0]);
  const id = `${gw.url}/v1/call|`;
  assert.deepEqual(dump.session['wk.stores.session'].active, id);
  assert.deepEqual({ ...dump.session['wk.stores.session'].stores[id], name: undefined }, { mode: 'gateway', apiUrl: `${gw.url}/v1/call`, gatewayUrl: gw.url, name: undefined });
  assert.equal(dump.session[`wk.gatewayToken.${id}`], gw.tokens[0]);
  assert.ok(!Object.keys(dump.session).some((k) => k.startsWith('wk.token.')), 'no Wallex token in storage.session');
  assert.deepEqual(Object.keys(dump.local).filter((k) => k.startsWith('wk.')), [], 'nothing of the session in storage.local');

  // The extension talked to the gateway only, with its gateway token; the one login is the gateway's.
  const reqs = await Promise.all(sent);
  const sbOrigin = new URL(sb.apiUrl).origin;
  assert.deepEqual(reqs.filter((r) => r.url.startsWith(sbOrigin)).map((r) => r.url), [], 'requests from the extension to the sandbox');
  const calls = reqs.filter((r) => r.url.startsWith(`${gw.url}/v1/call/`));
  assert.ok(calls.some((r) => r.url.endsWith('/balances')), JSON.stringify(reqs.map((r) => r.url)));
  assert.deepEqual([...new Set(calls.map((r) => r.auth))].sort(), [`Bearer ${WRONG_TOKEN}`, `Bearer ${gw.tokens[0]}`].sort());
  assert.ok(!reqs.some((r) => r.auth.includes(bearer)));
  const st = await sb.stats();
  assert.equal(st.logins, 1, 'one login, by the gateway');
  assert.equal(st.by_cmd.login, 1);
  assert.equal(st.failed_calls, 0);
});

test('the service worker stops: gateway mode comes back from storage.session, no new login', async () => {
  const ping = () => page.evaluate(() => chrome.runtime.sendMessage({ type: 'wk.call', method: 'ping', args: [] }).then((r) => r.value.instance));
  const first = await ping();
  await ext.stopWorkers(page);
  await page.getByLabel('Show zero balances').check();
  await page.waitForFunction(() => document.querySelectorAll('section[aria-labelledby="ov-balances"] tbody tr').length > 4, null, { timeout: 20_000 });
  assert.notEqual(await ping(), first, 'a new worker instance answered');
  const s = await page.evaluate(() => chrome.runtime.sendMessage({ type: 'wk.call', method: 'session', args: [] }).then((r) => r.value));
  assert.equal(s.mode, 'gateway');
  assert.equal(s.loggedIn, true);
  assert.equal((await sb.stats()).logins, 1);
});

test('a money command the gateway does not allow: Send shows the gateway\'s refusal, nothing reaches Wallex Pay', async () => {
  await go(page, 'send');
  await page.getByLabel('Amount', { exact: true }).first().fill('0.25');
  const { addresses: [addr] } = await sb.admin('GET', '/addresses?coin=BTC');
  await page.getByLabel('Destination address').fill(addr);
  await page.getByRole('button', { name: 'Review withdrawal' }).click();
  await page.locator('section.review').waitFor();
  await page.getByRole('button', { name: 'Confirm and send' }).click();
  const box = page.locator('main [role=alert][data-code="gateway_refused"]');
  await box.waitFor({ timeout: 20_000 });
  assert.match(await box.innerText(), /Your gateway does not allow this[\s\S]*create_withdrawal moves funds and is disabled on this gateway[\s\S]*Nothing was sent to Wallex Pay/);
  assert.equal(await page.getByRole('button', { name: 'Reconcile' }).count(), 0, 'a refusal is not an unknown outcome');
  assert.equal(await page.getByRole('button', { name: 'Back to edit' }).isEnabled(), true);
  // the reads of the same screen still work through the gateway
  await page.locator('section[aria-labelledby="sd-history"]').getByText('No withdrawals yet.').waitFor();
  await shot(page, 'gateway-money-refused');
  const st = await sb.stats();
  assert.equal(st.by_cmd.create_withdrawal, undefined);
  assert.equal(st.logins, 1);
});

test('remember through the gateway: the token sealed in the vault; lock, unlock, sign out', async () => {
  await go(page, 'connect');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API URL').waitFor();
  await fillGateway(gw.tokens[0], { remember: true });
  await page.locator('main [data-screen="overview"]').waitFor({ timeout: 30_000 });
  let dump = await ext.dumpStorage();
  const vault = vaultOf(dump);
  assert.ok(vault && vault.iterations >= 600_000);
  assert.equal(vault.publicKey, '');
  assert.equal(vault.apiUrl, `${gw.url}/v1/call`);
  assert.ok(!allStrings(dump.local).some((s) => s.includes(gw.tokens[0])), 'plaintext gateway token in storage.local');
  assert.equal(sessionToken(dump), gw.tokens[0]);

  await go(page, 'connect');
  await page.getByRole('button', { name: 'Lock' }).click();
  const pass = page.getByLabel('Passphrase');
  await pass.waitFor();
  await page.getByText('A gateway token for').waitFor();
  assert.equal(sessionToken(await ext.dumpStorage()), undefined, 'lock removed the gateway token');
  await pass.fill(PASS);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.locator('section[aria-labelledby="ov-balances"] tbody tr').first().waitFor({ timeout: 30_000 });
  assert.equal(sessionToken(await ext.dumpStorage()), gw.tokens[0]);

  await go(page, 'connect');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API URL').waitFor();
  dump = await ext.dumpStorage();
  assert.equal(vaultOf(dump), undefined);
  assert.equal(sessionToken(dump), undefined);
  assert.equal(await page.locator('#wk-session').innerText(), 'Not connected');
  assert.equal((await sb.stats()).logins, 1, 'still the gateway\'s one login');
  assert.equal(await gw.leakedSecret(), null, 'a secret in a gateway log line');
  assert.deepEqual(pageErrors, []);
});

test('paid alerts through the gateway come from its event log (/v1/events), not from polling the API', async () => {
  // a watch every 1.5 s (Chrome's minimum is 30 s in a packed extension), set before connecting
  await (await ext.worker()).evaluate(() => chrome.storage.local.set({ 'wk.tuning': { watchPeriodMs: 1500 } }));
  // the sandbox's IPNs go to the gateway's /ipn, signed with the secret the gateway holds
  await sb.admin('PUT', `/accounts/${sb.merchantId}/ipn`, { url: gw.url + '/ipn', secret: gw.secrets.WALLEX_IPN_SECRET });
  await fillGateway(gw.tokens[0]);
  await page.locator('main [data-screen="overview"]').waitFor({ timeout: 30_000 });
  const txn = await createPayment(page, 'Green lamp');
  await go(page, 'overview'); // the Receive screen asks about its payment itself while it is open
  const polled = async () => {
    const by = (await sb.stats()).by_cmd ?? {};
    return (by.get_tx_ids ?? 0) + (by.get_tx_info ?? 0) + (by.get_tx_info_multi ?? 0);
  };
  // the Receive screen's own reads (its status poll, its recent payments) may still be on their
  // way: count from when the API has heard nothing for a second
  let before = await polled();
  for (let quiet = 0; quiet < 2;) {
    await new Promise((r) => setTimeout(r, 500));
    const n = await polled();
    quiet = n === before ? quiet + 1 : 0;
    before = n;
  }
  const events = [];
  ext.context.on('request', (r) => { if (r.url().startsWith(`${gw.url}/v1/events`)) events.push(r.url()); });
  await sb.admin('POST', `/tx/${txn}/pay`, {});

  // the worker's tick reads the gateway's events and raises the notification
  const inWorker = async (fn) => (await ext.worker()).evaluate(fn);
  await eventually(async () => Object.keys(await inWorker(() => chrome.notifications.getAll())).some((id) => id.endsWith(`:${txn}`)), 20_000, 'a notification for the payment');
  const unseen = await inWorker(() => chrome.storage.local.get('wk.alerts.unseen').then((x) => x['wk.alerts.unseen']));
  const mine = unseen.find((u) => u.txn === txn);
  assert.match(mine.text, /^Paid: 12\.50 USD — [\d.]+ LTCT — Green lamp$/);
  assert.ok(events.length > 0, 'the worker read /v1/events');
  assert.equal(await polled(), before, 'no get_tx_ids / get_tx_info(_multi) reached the API for the watch');
  // read on: the same payment is never told twice
  const ticked = Date.now();
  await eventually(async () => (await inWorker(() => chrome.storage.local.get('wk.alerts.lastTick').then((x) => x['wk.alerts.lastTick'])))?.at > ticked, 10_000, 'another tick');
  const again = await inWorker(() => chrome.storage.local.get('wk.alerts.unseen').then((x) => x['wk.alerts.unseen']));
  assert.equal(again.filter((u) => u.txn === txn).length, 1);
  assert.equal(await gw.leakedSecret(), null, 'a secret in a gateway log line');
  assert.deepEqual(pageErrors, []);
});
