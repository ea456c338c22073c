// Nonce mode (WALLEX_NONCE=1) under concurrency, in real workerd against the real sandbox, which
// counts nonce errors and overlapping nonce-bearing requests per key. Every nonce-bearing call
// goes through the key's KeyState Durable Object, which sends them one at a time in strictly
// increasing nonce order, whichever isolate they come from.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSandbox, startGateway, edgeModules, edgeDurableObjects, compatibilityDate, historyCounter, rnd } from './lib.mjs';

let sb, gw;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const keyStub = async () => {
  const ns = await gw.mf.getDurableObjectNamespace('KEY_STATE', 'edge');
  return ns.get(ns.idFromName('key:' + sb.apiUrl + '|' + sb.publicKey));
};
// The last nonce the API took for the key, as it tells a call with a nonce below it (spec §4:
// "Invalid nonce: must be greater than N"); that probe counts as one nonce error in the stats.
const lastNonceSeen = async () => {
  const res = await fetch(sb.apiUrl + '/get_basic_info', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: await gw.upstreamToken() },
    body: `version=1&key=${sb.publicKey}&cmd=get_basic_info&nonce=1`,
  });
  const m = /must be greater than (\d+)/.exec((await res.json()).error);
  assert.ok(m, 'the sandbox names its last nonce');
  return Number(m[1]);
};

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
  await sb.admin('PUT', `/accounts/${sb.merchantId}/balances`, { BTC: '50' });
  gw = await startGateway(sb, { vars: { WALLEX_NONCE: '1', ALLOW_MONEY: '1' }, extraWorkers: [secondIsolate] });
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

test('an older isolate\'s call (whole body) with a nonce another isolate already passed: {stale}, not sent', async () => {
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

// One Durable Object call per nonce-bearing request (nonceCall chooses the nonce in its turn:
// max(Go's, the last one sent + 1)): under 64 concurrent calls over two isolates, reads and
// withdrawals mixed, the API still sees one call at a time in strictly increasing nonce order,
// every withdrawal once, and the key's stored mark is the last nonce the API accepted.
test('64 concurrent calls, reads and withdrawals, over two isolates: one at a time, in order, each once', async () => {
  await sb.admin('DELETE', '/stats?key=' + encodeURIComponent(sb.publicKey));
  const count = await historyCounter(sb);
  const tag = 'nc64-' + rnd(4);
  const calls = [];
  for (let i = 0; i < 64; i++) {
    const worker = i % 2 ? 'edge2' : undefined;
    if (i % 8 === 0) {
      calls.push(gw.request('POST', '/v1/call/create_withdrawal', { token: gw.tokens[0], worker, headers: { 'idempotency-key': `${tag}-${i}` },
        body: { amount: '0.001', currency: 'BTC', address: 'bc1qnonce' + String(i).padStart(3, '0'), note: `${tag}-${i}`, auto_confirm: 1 } }));
    } else {
      calls.push(basicInfo(worker));
    }
  }
  const res = await Promise.all(calls);
  const bad = res.filter((r) => r.status !== 200);
  assert.equal(bad.length, 0, bad.map((r) => r.text).join('\n'));
  const st = await sb.stats();
  assert.equal(st.nonce_errors, 0, JSON.stringify(st));
  assert.equal(st.overlaps, 0, JSON.stringify(st));
  assert.equal(st.by_cmd.get_basic_info, 56, JSON.stringify(st));
  assert.equal(st.by_cmd.create_withdrawal, 8, JSON.stringify(st));
  for (let i = 0; i < 64; i += 8) assert.equal(await count.withdrawals(`${tag}-${i}`), 1, `withdrawal ${i}`);
  const stub = await keyStub();
  assert.equal(await stub.loadNonce(), await lastNonceSeen(), 'the stored mark is the last nonce the API took');
});

test('the mark is stored before the request leaves: read while the sandbox holds the call', async () => {
  const stub = await keyStub();
  const before = await stub.loadNonce();
  await sb.admin('POST', '/faults', { kind: 'hold', count: 1, cmd: 'get_basic_info', delay_ms: 1200 });
  const pending = basicInfo();
  await sleep(400); // the request is in the sandbox's hands, not yet carried out
  const during = await stub.loadNonce();
  assert.ok(during > before, `the mark moved before the API answered: ${before} -> ${during}`);
  assert.ok((await lastNonceSeen()) < during, 'the API has not taken it yet');
  assert.equal((await pending).status, 200);
  assert.equal(await lastNonceSeen(), during, 'the nonce sent is the one stored');
  await sb.admin('DELETE', '/faults');
});

test('a nonce below the last one sent is raised by the sequencer in its turn, never sent as is', async () => {
  const stub = await keyStub();
  const token = await gw.upstreamToken();
  const before = await stub.loadNonce();
  await sb.admin('DELETE', '/stats?key=' + encodeURIComponent(sb.publicKey));
  const res = await stub.nonceCall({
    id: 'test-raise-' + rnd(4), url: sb.apiUrl + '/get_basic_info', nonce: 5, deadline: Date.now() + 5000,
    head: `version=1&key=${sb.publicKey}&cmd=get_basic_info&nonce=`, tail: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: token },
  });
  assert.equal(res.status, 200, JSON.stringify(res));
  assert.ok(res.nonce > before, `sent with ${res.nonce}, above the mark ${before}`);
  const st = await sb.stats();
  assert.equal(st.nonce_errors, 0, JSON.stringify(st));
  assert.equal(st.by_cmd.get_basic_info, 1);
  assert.equal(await stub.loadNonce(), res.nonce);
  assert.equal(await lastNonceSeen(), res.nonce);
});

test('a call abandoned while queued is never sent, even when the call ahead prunes on its way out', async () => {
  // abandon() of a queued call answers {sent: false}, and Go then tells its caller "not sent,
  // safe to send again". A fresh object prunes at the end of its first call (lastPrune = 0), which
  // dropped the in-memory "abandoned" mark: the queued call's turn then found nothing and sent it.
  const { createServer } = await import('node:http');
  const seen = [];
  let release;
  const api = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(req.url);
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"error":"ok","result":{}}');
      if (req.url === '/ahead') release = answer;
      else answer();
    });
  });
  await new Promise((r) => api.listen(0, '127.0.0.1', r));
  try {
    const base = `http://127.0.0.1:${api.address().port}`;
    const ns = await gw.mf.getDurableObjectNamespace('KEY_STATE', 'edge');
    const stub = ns.get(ns.idFromName('test-abandon-' + rnd(6))); // fresh: it prunes after its first call
    const call = (id, path) => ({
      id, url: base + path, nonce: 1, deadline: Date.now() + 20_000,
      head: 'version=1&cmd=create_withdrawal&nonce=', tail: '&amount=1&currency=BTC&address=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const ahead = stub.nonceCall(call('ahead-' + rnd(4), '/ahead'));
    for (let i = 0; i < 100 && !release; i++) await sleep(20);
    assert.ok(release, 'the first call reached the API');
    const queuedId = 'queued-' + rnd(4);
    const queued = stub.nonceCall(call(queuedId, '/queued'));
    await sleep(200);
    assert.equal((await stub.abandon(queuedId)).sent, false);
    release();
    assert.equal((await ahead).status, 200);
    const res = await queued;
    assert.ok(res.not_sent, 'the abandoned call is refused in its turn: ' + JSON.stringify(res, (k, v) => (v instanceof Uint8Array ? '[bytes]' : v)));
    await sleep(100);
    assert.deepEqual(seen, ['/ahead'], 'the API received only the first call');
    assert.equal((await stub.abandon(queuedId)).sent, false, 'asked again, the same answer');
  } finally {
    api.close();
  }
});

test('a call made before a reconcile\'s fence and arriving after it is never sent', async () => {
  // A nonce call held between an isolate and the key's sequencer has no nonce yet: the sequencer
  // would give it one above the fence's, so a reconcile that concluded "not found, proven" after
  // its fence would be wrong, and sending the request again would pay twice. The sequencer now
  // refuses a call made before the last fence as not sent.
  const token = gw.tokens[0];
  const madeBefore = Date.now() - 2000; // the original, made before the reconcile below
  const addr = 'bc1qfence' + rnd(4);
  // (the reconcile runs its fence whatever it concludes: by fields alone, it waits for the
  // original's in-flight bound rather than trust the fence, which is what a late call could defeat)
  const r = await gw.request('POST', '/v1/reconcile', { token, body: { cmd: 'create_withdrawal', amount: '0.01', currency: 'BTC', address: addr, sent_at: new Date(madeBefore).toISOString() } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json?.verdict, 'in_flight', r.text);
  const stub = await keyStub();
  const before = (await sb.stats()).by_cmd.create_withdrawal ?? 0;
  const held = await stub.nonceCall({
    id: 'held-' + rnd(4), url: sb.apiUrl + '/create_withdrawal', nonce: 1, deadline: Date.now() + 10_000, created: madeBefore,
    head: `version=1&key=${sb.publicKey}&cmd=create_withdrawal&nonce=`, tail: `&amount=0.01&currency=BTC&address=${addr}&auto_confirm=1`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: await gw.upstreamToken() },
  });
  assert.ok(held.not_sent, 'refused: ' + JSON.stringify(held, (k, v) => (v instanceof Uint8Array ? '[bytes]' : v)));
  assert.equal((await sb.stats()).by_cmd.create_withdrawal ?? 0, before, 'the API never received it');
  // A request made after the fence goes out as usual.
  assert.equal((await basicInfo()).status, 200);
});
