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
