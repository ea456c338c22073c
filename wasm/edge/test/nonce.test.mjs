// Nonce mode (WALLEX_NONCE=1) under concurrency, in real workerd against the real sandbox, which
// counts nonce errors and overlapping nonce-bearing requests per key. Every nonce-bearing call
// goes through the key's KeyState Durable Object, which sends them one at a time in strictly
// increasing nonce order, whichever isolate they come from.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSandbox, startGateway, edgeModules, edgeDurableObjects, compatibilityDate } from './lib.mjs';

let sb, gw;

// A second copy of the gateway: another worker, so another isolate with its own Go instance,
// bound to the same Durable Object namespace.
const secondIsolate = (dir, bindings) => ({
  name: 'edge2',
  modulesRoot: dir,
  modules: edgeModules(dir),
  compatibilityDate,
  durableObjects: edgeDurableObjects('edge'),
  kvNamespaces: ['PRICES'],
  bindings,
});

before(async () => {
  sb = await startSandbox();
  gw = await startGateway(sb, { vars: { WALLEX_NONCE: '1' }, extraWorkers: [secondIsolate] });
});

after(async () => {
  const leaked = gw && (await gw.leakedSecret());
  await gw?.stop();
  await sb?.stop();
  assert.equal(leaked, null, `a secret (${leaked}) appeared in an answer or a log line`);
});

const basicInfo = (worker) => gw.request('POST', '/v1/call/get_basic_info', { token: gw.tokens[0], worker });

test('50 concurrent calls with nonces: all 200, no nonce error, no overlap, one login', async () => {
  await sb.admin('DELETE', '/stats?key=' + encodeURIComponent(sb.publicKey));
  const res = await Promise.all(Array.from({ length: 50 }, () => basicInfo()));
  const bad = res.filter((r) => r.status !== 200);
  assert.equal(bad.length, 0, bad.map((r) => r.text).join('\n'));
  assert.ok(res.every((r) => r.json.error === 'ok' && r.json.result.merchant_id === sb.merchantId));
  const st = await sb.stats();
  assert.equal(st.nonce_errors, 0, JSON.stringify(st));
  assert.equal(st.overlaps, 0, JSON.stringify(st));
  assert.equal(st.by_cmd.get_basic_info, 50, JSON.stringify(st));
  assert.equal(st.logins, 1, 'isolates wait for the one login in progress: ' + JSON.stringify(st));
  assert.equal(st.failed_calls, 0);
});

test('two isolates at once share one nonce sequence', async () => {
  await sb.admin('DELETE', '/stats?key=' + encodeURIComponent(sb.publicKey));
  const res = await Promise.all(Array.from({ length: 40 }, (_, i) => basicInfo(i % 2 ? 'edge2' : 'edge')));
  const bad = res.filter((r) => r.status !== 200);
  assert.equal(bad.length, 0, bad.map((r) => r.text).join('\n'));
  const st = await sb.stats();
  assert.equal(st.nonce_errors, 0, JSON.stringify(st));
  assert.equal(st.overlaps, 0, JSON.stringify(st));
  assert.equal(st.by_cmd.get_basic_info, 40, JSON.stringify(st));
  assert.ok(st.logins <= 1, 'the second isolate takes the token from the Durable Object: ' + JSON.stringify(st));
});

test('mixed commands under load keep the order too', async () => {
  await sb.admin('DELETE', '/stats?key=' + encodeURIComponent(sb.publicKey));
  const calls = [];
  for (let i = 0; i < 30; i++) {
    const worker = i % 3 === 0 ? 'edge2' : undefined;
    if (i % 3 === 1) calls.push(gw.request('POST', '/v1/call/balances', { token: gw.tokens[1], body: { all: 1 }, worker }));
    else if (i % 3 === 2) calls.push(gw.request('POST', '/v1/call/get_tx_info', { token: gw.tokens[1], body: { txid: 'CPSBNOSUCH' }, worker }));
    else calls.push(basicInfo(worker));
  }
  const res = await Promise.all(calls);
  for (const r of res) assert.ok(r.status === 200 || (r.status === 422 && r.json.code === 'api_error'), r.text);
  const st = await sb.stats();
  assert.equal(st.nonce_errors, 0, JSON.stringify(st));
  assert.equal(st.overlaps, 0, JSON.stringify(st));
});

test('the sequencer never sends a nonce another isolate already passed: Go gets {stale} and raises it', async () => {
  const ns = await gw.mf.getDurableObjectNamespace('KEY_STATE', 'edge');
  const stub = ns.get(ns.idFromName('key:' + sb.apiUrl + '|' + sb.publicKey));
  const token = await gw.upstreamToken();
  const before = await stub.loadNonce();
  assert.ok(before > 1e12, 'the high-water mark is a Unix-ms nonce: ' + before);
  await sb.admin('DELETE', '/stats?key=' + encodeURIComponent(sb.publicKey));
  // A request carrying a stale nonce, as an isolate that lost the race would send it.
  const body = new TextEncoder().encode(`version=1&key=${sb.publicKey}&cmd=get_basic_info&nonce=5`);
  const res = await stub.nonceCall({
    id: 'test-stale', url: sb.apiUrl + '/get_basic_info', nonce: 5, deadline: Date.now() + 5000, body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: token },
  });
  assert.ok(res.stale >= before - 0 || res.stale > 1e12, 'answered with the last nonce sent: ' + JSON.stringify(res));
  assert.equal(res.status, undefined, 'not sent');
  const st = await sb.stats();
  assert.equal(st.by_cmd.get_basic_info ?? 0, 0, 'nothing reached the API: ' + JSON.stringify(st));
  assert.equal(st.nonce_errors, 0, JSON.stringify(st));
  assert.equal(await stub.loadNonce(), before, 'the mark is unchanged');
  // And the gateway goes on from there.
  assert.equal((await basicInfo()).status, 200);
  assert.equal((await sb.stats()).nonce_errors, 0);
});
