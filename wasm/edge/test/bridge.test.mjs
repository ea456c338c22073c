// The browser extension's core (the wasm bridge, wasm/bridge) pointed at the gateway: apiUrl is
// https://gateway/v1/call and its key is a gateway token (gatewayToken mode). It must work as if
// it talked to Wallex, with no key and no login on its side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, startGateway, repoRoot } from './lib.mjs';

let sb, gw, wk, buildError;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wallexkit-edge-bridge-'));
  try {
    const out = join(dir, 'bridge.wasm');
    execFileSync('bash', ['wasm/bridge/build.sh', out], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
    createRequire(import.meta.url)(join(goroot, 'lib', 'wasm', 'wasm_exec.js'));
    const go = new globalThis.Go();
    const { instance } = await WebAssembly.instantiate(readFileSync(out), go.importObject);
    go.run(instance);
    wk = globalThis.wallexkit;
  } catch (e) {
    buildError = String(e.stderr || e.message).slice(0, 500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  sb = await startSandbox();
  gw = await startGateway(sb);
});

after(async () => {
  const leaked = gw && (await gw.leakedSecret());
  await gw?.stop();
  await sb?.stop();
  assert.equal(leaked, null, `a secret (${leaked}) appeared in an answer or a log line`);
});

test('the wasm bridge with gatewayToken uses the gateway as its API URL', async () => {
  assert.ok(wk, 'wasm/bridge must build and load: ' + buildError);
  await wk.configure({ apiUrl: gw.url + '/v1/call', gatewayToken: gw.tokens[1], insecureHttp: true });
  const info = await wk.basicInfo();
  assert.equal(info.merchant_id, sb.merchantId);
  const raw = await wk.call('rates', { accepted: '1' });
  assert.ok(raw.result.BTC);
  const tx = await wk.createTransaction({ amount: '3', currency1: 'USD', currency2: 'BTC', buyerEmail: 'b@example.com' });
  const st = await wk.txInfo(tx.txn_id ?? tx.txnId);
  assert.equal(st.status, 0);

  // Errors keep their kind across the gateway.
  const notFound = await wk.txInfo('CPSBNOSUCH').then(() => null, (e) => e);
  assert.ok(notFound, 'an unknown txid is an error');
  assert.equal(notFound.code, 'api_error', JSON.stringify(notFound));
  const money = await wk.createWithdrawal({ amount: '0.1', currency: 'BTC', address: 'bc1qexample' }).then(() => null, (e) => e);
  assert.ok(money && money.code !== 'ok', 'money commands are refused by the gateway');
  assert.equal(money.serverCode, 'money_disabled', JSON.stringify(money));
  assert.equal((await sb.stats()).by_cmd.create_withdrawal, undefined);

  await wk.configure({ apiUrl: gw.url + '/v1/call', gatewayToken: 'not-a-gateway-token', insecureHttp: true });
  const denied = await wk.basicInfo().then(() => null, (e) => e);
  assert.equal(denied.code, 'auth', JSON.stringify(denied));
  assert.match(denied.message, /gateway token/);
});

// The caller → gateway leg has no nonce fence (the gateway orders the API's nonces): a money
// request through the gateway whose copy the network holds past the reconcile. reconcileOp closes
// its Idempotency-Key at the gateway (POST /v1/idempotency/close) and answers not_found, proven, at
// once; the held copy, delivered afterwards, is refused 409 with nothing sent to the API; the
// payment sent again (a new opId) pays once.
test('a lost withdrawal through the gateway: reconcileOp closes its key, the held copy is refused, one withdrawal', async () => {
  assert.ok(wk, 'wasm/bridge must build and load: ' + buildError);
  const msb = await startSandbox();
  await msb.admin('PUT', `/accounts/${msb.merchantId}/balances`, { BTC: '50' });
  const mgw = await startGateway(msb, { vars: { ALLOW_MONEY: '1' } });
  // A proxy in front of the gateway that holds the first create_withdrawal (the client's
  // connection drops: its answer is lost) and forwards everything else.
  const hp = await holdingProxy(mgw.url, '/create_withdrawal');
  const { proxy, url: proxyUrl } = hp;
  const withdrawals = async () => (await msb.stats()).by_cmd?.create_withdrawal ?? 0;
  try {
    await wk.configure({ apiUrl: proxyUrl + '/v1/call', gatewayToken: mgw.tokens[0], insecureHttp: true });
    const p = { amount: '0.01', currency: 'BTC', address: 'bc1qclosefence', note: 'closefence-' + Date.now() };
    const lost = await wk.createWithdrawal({ ...p, opId: 'op-closefence-1' }).then(() => null, (e) => e);
    assert.equal(lost?.code, 'outcome_unknown', JSON.stringify(lost));
    assert.ok(hp.held, 'the proxy held the first copy');
    const r = await wk.reconcileOp('op-closefence-1');
    assert.equal(r.verdict, 'not_found', JSON.stringify(r));
    assert.equal(r.proven, true, JSON.stringify(r));
    assert.equal(await withdrawals(), 0);
    // The network delivers the held copy now: refused, nothing sent.
    const late = await fetch(mgw.url + hp.held.url, { method: hp.held.method, headers: hp.held.headers, body: hp.held.body });
    const lateBody = await late.json();
    assert.equal(late.status, 409, JSON.stringify(lateBody));
    assert.equal(lateBody.code, 'idempotency_key_closed');
    assert.equal(lateBody.retryable, false);
    assert.equal(await withdrawals(), 0);
    // The person sends the payment again (a new opId): it pays once.
    const again = await wk.createWithdrawal({ ...p, opId: 'op-closefence-2' });
    assert.ok(again.id, JSON.stringify(again));
    assert.equal(await withdrawals(), 1, 'one withdrawal in total');
  } finally {
    await new Promise((r) => proxy.close(r));
    proxy.closeAllConnections?.();
    await mgw.stop();
    await msb.stop();
  }
});

// A payout file (the console's Mass payouts: the bridge's payoutStep) through the gateway, whose
// batch a proxy holds (the answer lost). The batch's reconcile closes its Idempotency-Key (the
// batch's operation id) at the gateway: its rows are not_found, proven, at once and sent again in
// a new batch; the held copy, delivered afterwards, is refused 409 with nothing sent. Before, the
// rows waited out the in-flight window, were sent again, and the held copy paid them twice.
test('a lost payout batch through the gateway: payoutStep closes its key, the held copy is refused, each row paid once', async () => {
  assert.ok(wk, 'wasm/bridge must build and load: ' + buildError);
  const msb = await startSandbox();
  await msb.admin('PUT', `/accounts/${msb.merchantId}/balances`, { LTC: '50' });
  const mgw = await startGateway(msb, { vars: { ALLOW_MONEY: '1' } });
  const hp = await holdingProxy(mgw.url, '/create_mass_withdrawal');
  const { proxy, url: proxyUrl } = hp;
  const batches = async () => (await msb.stats()).by_cmd?.create_mass_withdrawal ?? 0;
  const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
  try {
    // timeout 1 s + in-flight window 0.5 s: a 1.5 s hold before a session's first batch
    await wk.configure({ apiUrl: proxyUrl + '/v1/call', gatewayToken: mgw.tokens[0], insecureHttp: true, timeoutMs: 1000, inFlightWindowMs: 500, fencePauseMs: 20 });
    const addrs = [];
    for (let i = 0; i < 3; i++) addrs.push((await wk.callbackAddress('LTC')).address);
    const tag = Date.now();
    const text = 'address,currency,amount,memo\n' + addrs.map((a, i) => `${a},LTC,0.${i + 1},gw ${tag} ${i}`).join('\n') + '\n';
    const opts = { name: 'gw.csv', batch: 25, session: `ps_gw_${tag}` };
    // Step as the console does (waiting out holds and in_flight rows) until the batch left.
    let st = await wk.payoutStep(text, opts);
    for (let i = 0; i < 20 && !hp.held; i++) {
      if (!st.more && st.summary.wait_until) await sleep(Date.parse(st.summary.wait_until) - Date.now() + 20);
      st = await wk.payoutStep(text, opts);
    }
    assert.ok(hp.held, 'the proxy held the batch: ' + JSON.stringify(st.summary));
    assert.equal(st.summary.unknown, 3, JSON.stringify(st.summary));
    // The next step reconciles: the key closed at the gateway, the rows proven not sent, at once
    // (checked at the end: without the close, the rows wait and are then paid twice).
    st = await wk.payoutStep(text, opts);
    const atOnce = { action: st.action, summary: st.summary, closes: hp.closes };
    assert.equal(await batches(), 0);
    // The console goes on to the end.
    for (let i = 0; i < 20 && !st.summary.done; i++) {
      if (!st.more && st.summary.wait_until) await sleep(Date.parse(st.summary.wait_until) - Date.now() + 20);
      st = await wk.payoutStep(text, opts);
    }
    assert.equal(st.summary.done, true, JSON.stringify(st.rows));
    assert.equal(await batches(), 1);
    // The network delivers the held batch now: refused, nothing sent.
    const late = await fetch(mgw.url + hp.held.url, { method: hp.held.method, headers: hp.held.headers, body: hp.held.body });
    const lateBody = await late.json();
    const hist = await wk.withdrawalHistory();
    for (let i = 0; i < 3; i++) assert.equal(hist.filter((w) => (w.note ?? '').startsWith(`gw ${tag} ${i} `)).length, 1, `row ${i} paid once`);
    assert.equal(late.status, 409, JSON.stringify(lateBody));
    assert.equal(lateBody.code, 'idempotency_key_closed');
    assert.equal(await batches(), 1, 'one batch reached the API');
    assert.equal(atOnce.action, 'reconciled', JSON.stringify(atOnce));
    assert.equal(atOnce.summary.pending, 3, 'not sent, proven at once: ' + JSON.stringify(atOnce.summary));
    assert.equal(atOnce.closes, 1);
  } finally {
    await new Promise((r) => proxy.close(r));
    proxy.closeAllConnections?.();
    await mgw.stop();
    await msb.stop();
  }
});

/**
 * A proxy in front of the gateway at target that holds the first request whose path ends with
 * path (the client's connection dropped: its answer is lost) and forwards everything else; it
 * counts the close calls it forwards.
 * @param {string} target @param {string} path
 */
async function holdingProxy(target, path) {
  const { createServer } = await import('node:http');
  const hp = { held: /** @type {any} */ (null), closes: 0, url: '', proxy: /** @type {any} */ (null) };
  hp.proxy = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const headers = { ...req.headers };
    delete headers.host;
    delete headers['content-length'];
    if (req.url.endsWith('/v1/idempotency/close')) hp.closes++;
    if (!hp.held && req.url.endsWith(path)) {
      hp.held = { url: req.url, method: req.method, headers, body };
      req.socket.destroy();
      return;
    }
    const up = await fetch(target + req.url, { method: req.method, headers, body: req.method === 'GET' ? undefined : body });
    res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await up.arrayBuffer()));
  });
  await new Promise((r) => hp.proxy.listen(0, '127.0.0.1', r));
  hp.url = `http://127.0.0.1:${hp.proxy.address().port}`;
  return hp;
}
