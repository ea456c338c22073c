// The npm package @wallexkit/core (wasm/npm, packed by scripts/build-npm.mjs): the tarball is
// installed in an empty folder and a Node script there takes a payment end to end against the
// sandbox (create → the sandbox pays → the IPN verified → status complete); then the same
// package runs in a plain web page in Chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startSandbox, ROOT, CHROMIUM } from './harness.mjs';

const NPM_DIR = path.join(ROOT, 'dist', 'npm');
/** @type {import('./harness.mjs').Sandbox} */ let sb;
let tarball = '';
let work = '';

before(async () => {
  const found = existsSync(NPM_DIR) ? readdirSync(NPM_DIR).filter((f) => /^wallexkit-core-.*\.tgz$/.test(f)) : [];
  assert.equal(found.length, 1, `one packed tarball in ${NPM_DIR} (run ./build.sh build): ${found}`);
  tarball = path.join(NPM_DIR, found[0]);
  sb = await startSandbox();
  work = mkdtempSync(path.join(os.tmpdir(), 'wk-npm-'));
});
after(async () => {
  await sb?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A fresh account with a key and an IPN secret, balances to pay out from. */
async function account() {
  const username = `npm-${Math.random().toString(36).slice(2, 10)}`;
  const acct = await sb.admin('POST', 'accounts', { username, email: `${username}@example.com` });
  const key = await sb.admin('POST', `accounts/${acct.merchant_id}/keys`, {});
  return { merchantId: acct.merchant_id, publicKey: key.public_key, privateKey: key.private_key, secret: `ipn-${Math.random().toString(36).slice(2)}` };
}

test('npm pack → install in an empty folder → a Node script takes a payment end to end', async () => {
  execFileSync('npm', ['init', '-y'], { cwd: work, stdio: 'ignore' });
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: work, stdio: 'pipe' });
  const pkg = JSON.parse(execFileSync('node', ['-p', "JSON.stringify(require('@wallexkit/core/package.json'))"], { cwd: work, encoding: 'utf8' }));
  assert.equal(pkg.name, '@wallexkit/core');
  assert.ok(pkg.exports['.'].types && pkg.types, 'exports and types');

  const a = await account();
  writeFileSync(path.join(work, 'pay.mjs'), `
import http from 'node:http';
import { createClient, verifyIpn, WallexError, version } from '@wallexkit/core';
const [apiUrl, adminUrl, merchantId, publicKey, privateKey, secret] = process.argv.slice(2);
const admin = (method, p, body) => fetch(adminUrl + p, { method, headers: { 'x-wallexkit-sandbox': '1', 'content-type': 'application/json' }, body: body && JSON.stringify(body) }).then((r) => r.json());
const paid = new Promise((resolve, reject) => {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const ipn = await verifyIpn({ body: new Uint8Array(Buffer.concat(chunks)), hmac: req.headers.hmac, merchantId, secret });
        res.end('ok');
        if (ipn.state === 'paid') { server.close(); resolve(ipn); }
      } catch (e) { res.statusCode = 400; res.end(); reject(e); }
    });
  }).listen(0, '127.0.0.1', async () => {
    await admin('PUT', '/accounts/' + merchantId + '/ipn', { url: 'http://127.0.0.1:' + server.address().port + '/ipn', secret });
  });
});
const client = await createClient({ apiUrl, publicKey, privateKey });
const other = await createClient({ apiUrl, publicKey: 'nobody', privateKey: 'nothing' });
const tx = await client.createTransaction({ amount: '12.5', currency1: 'USD', currency2: 'LTCT', buyerEmail: 'buyer@example.com', invoice: 'npm-1' });
await admin('POST', '/tx/' + tx.txn_id + '/pay', {});
const ipn = await paid;
const info = await client.txInfo(tx.txn_id);
let err;
try { await other.basicInfo(); } catch (e) { err = e; }
let bad;
try { await verifyIpn({ body: 'ipn_mode=hmac', hmac: '00', merchantId, secret }); } catch (e) { bad = e; }
console.log(JSON.stringify({ version: await version(), txn: tx.txn_id, ipn, status: info.status, storeKeys: [client.storeKey, other.storeKey],
  err: { isError: err instanceof Error, isWallex: err instanceof WallexError, code: err?.code, message: err?.message },
  bad: { code: bad?.code, field: bad?.field, message: bad?.message },
  globals: Object.keys(globalThis).filter((k) => k.startsWith('__wallexkit') || k === 'wallexkit' || k === 'Go') }));
process.exit(0);
`);
  const out = execFileSync('node', ['pay.mjs', sb.apiUrl, `${sb.base}/sandbox`, a.merchantId, a.publicKey, a.privateKey, a.secret], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  const r = JSON.parse(out.trim().split('\n').pop());
  assert.equal(r.version, pkg.version);
  assert.equal(r.ipn.ipn_type, 'api');
  assert.equal(r.ipn.key, r.txn);
  assert.equal(r.ipn.api.invoice, 'npm-1');
  assert.equal(r.ipn.state, 'paid');
  assert.equal(r.status, 100);
  assert.notEqual(r.storeKeys[0], r.storeKeys[1], 'two independent clients');
  assert.deepEqual([r.err.isError, r.err.isWallex, r.err.code], [true, true, 'auth'], JSON.stringify(r.err));
  assert.deepEqual([r.bad.code, r.bad.field], ['invalid_input', 'ipn'], JSON.stringify(r.bad));
  assert.match(r.bad.message, /not trusted/);
  assert.deepEqual(r.globals, [], 'the package leaves no globals');
});

test('the same package in a plain web page in Chromium', async () => {
  const pkgDir = path.join(work, 'node_modules', '@wallexkit', 'core');
  assert.ok(existsSync(pkgDir), 'installed by the previous test');
  const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/api')) { // same origin for the page: pass on to the sandbox
      const up = http.request(`${sb.base}${url.pathname}`, { method: req.method, headers: { ...req.headers, host: new URL(sb.base).host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>npm page</title><script type="module">import * as wk from "/pkg/index.js"; window.wk = wk; document.title = "ready";</script>');
      return;
    }
    const file = path.join(pkgDir, url.pathname.replace(/^\/pkg\//, ''));
    if (!url.pathname.startsWith('/pkg/') || !file.startsWith(pkgDir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${/** @type {any} */ (server.address()).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(origin + '/');
    await page.waitForFunction(() => document.title === 'ready');
    const a = await account();
    const tx = await page.evaluate(async ([apiUrl, k]) => {
      window.client = await window.wk.createClient({ apiUrl, publicKey: k.publicKey, privateKey: k.privateKey });
      return window.client.createTransaction({ amount: '5', currency1: 'USD', currency2: 'BTC', buyerEmail: 'b@example.com', invoice: 'page-1' });
    }, [`${origin}/api`, a]);
    await sb.admin('POST', `tx/${tx.txn_id}/pay`, {});
    const status = await page.evaluate(async (id) => (await window.client.txInfo(id)).status, tx.txn_id);
    assert.equal(status, 100);
    // An IPN signed here verifies there; one byte changed does not.
    const body = new URLSearchParams({ ipn_version: '1.0', ipn_id: 'p1', ipn_mode: 'hmac', ipn_type: 'api', merchant: a.merchantId, status: '100', status_text: 'Complete', txn_id: tx.txn_id, invoice: 'page-1', currency1: 'USD', currency2: 'BTC', amount1: '5', amount2: '0.00008', fee: '0', buyer_name: '', email: 'b@example.com', item_name: '', item_number: '', custom: '', received_amount: '0.00008', received_confirms: '2' }).toString();
    const hmac = createHmac('sha512', a.secret).update(body).digest('hex');
    const r = await page.evaluate(async ([body, hmac, mid, secret]) => {
      const ok = await window.wk.verifyIpn({ body, hmac, merchantId: mid, secret });
      let bad;
      try { await window.wk.verifyIpn({ body: body.replace('page-1', 'page-2'), hmac, merchantId: mid, secret }); } catch (e) { bad = e; }
      return { state: ok.state, invoice: ok.api.invoice, badIsError: bad instanceof Error, badName: bad?.name, badCode: bad?.code,
        globals: Object.keys(window).filter((k) => k.startsWith('__wallexkit') || k === 'Go' || k === 'wallexkit') };
    }, [body, hmac, a.merchantId, a.secret]);
    assert.deepEqual(r, { state: 'paid', invoice: 'page-1', badIsError: true, badName: 'WallexError', badCode: 'invalid_input', globals: [] });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
