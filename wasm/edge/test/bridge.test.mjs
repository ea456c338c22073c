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
    execFileSync('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', out, './wasm/bridge'], {
      cwd: repoRoot, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
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
  const { createServer } = await import('node:http');
  const msb = await startSandbox();
  await msb.admin('PUT', `/accounts/${msb.merchantId}/balances`, { BTC: '50' });
  const mgw = await startGateway(msb, { vars: { ALLOW_MONEY: '1' } });
  // A proxy in front of the gateway that holds the first create_withdrawal (the client's
  // connection drops: its answer is lost) and forwards everything else.
  let held = null;
  const proxy = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const headers = { ...req.headers };
    delete headers.host;
    delete headers['content-length'];
    if (!held && req.url.endsWith('/create_withdrawal')) {
      held = { url: req.url, method: req.method, headers, body };
      req.socket.destroy();
      return;
    }
    const up = await fetch(mgw.url + req.url, { method: req.method, headers, body: req.method === 'GET' ? undefined : body });
    res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await up.arrayBuffer()));
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyUrl = `http://127.0.0.1:${proxy.address().port}`;
  const withdrawals = async () => (await msb.stats()).by_cmd?.create_withdrawal ?? 0;
  try {
    await wk.configure({ apiUrl: proxyUrl + '/v1/call', gatewayToken: mgw.tokens[0], insecureHttp: true });
    const p = { amount: '0.01', currency: 'BTC', address: 'bc1qclosefence', note: 'closefence-' + Date.now() };
    const lost = await wk.createWithdrawal({ ...p, opId: 'op-closefence-1' }).then(() => null, (e) => e);
    assert.equal(lost?.code, 'outcome_unknown', JSON.stringify(lost));
    assert.ok(held, 'the proxy held the first copy');
    const r = await wk.reconcileOp('op-closefence-1');
    assert.equal(r.verdict, 'not_found', JSON.stringify(r));
    assert.equal(r.proven, true, JSON.stringify(r));
    assert.equal(await withdrawals(), 0);
    // The network delivers the held copy now: refused, nothing sent.
    const late = await fetch(mgw.url + held.url, { method: held.method, headers: held.headers, body: held.body });
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
