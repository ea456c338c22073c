// A copy of a request must not pay twice: POST /v1/call/{cmd} with an Idempotency-Key (what
// wallexkit's core sends through a gateway: its operation id) in real workerd against the real
// sandbox. The sandbox counts what it carried out (GET /sandbox/stats: by_cmd; the withdrawal
// history by note): a copy delivered again — after the first, at the same time, to another
// isolate, while the sandbox holds the first, after the first's connection dropped — is never a
// second withdrawal, with nonces on and off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, startGateway, edgeModules, edgeDurableObjects, rnd, historyCounter, compatibilityDate } from './lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Another worker bound to the same Durable Objects: another isolate with its own Go instance.
const secondIsolate = (dir, bindings) => ({
  name: 'edge2',
  modulesRoot: dir,
  modules: edgeModules(dir),
  compatibilityDate,
  durableObjects: edgeDurableObjects('edge'),
  kvNamespaces: ['PRICES'],
  bindings,
});

const modes = {};

before(async () => {
  for (const nonces of ['1', '0']) {
    const sb = await startSandbox();
    await sb.admin('PUT', `/accounts/${sb.merchantId}/balances`, { BTC: '50' });
    const gw = await startGateway(sb, { vars: { ALLOW_MONEY: '1', WALLEX_NONCE: nonces }, extraWorkers: [secondIsolate] });
    modes[nonces] = { sb, gw, count: await historyCounter(sb) };
  }
});

after(async () => {
  for (const { sb, gw } of Object.values(modes)) {
    const leaked = await gw.leakedSecret();
    await gw.stop();
    await sb.stop();
    assert.equal(leaked, null, `a secret (${leaked}) appeared in an answer or a log line`);
  }
});

function withdraw({ gw }, key, note, { worker, amount = '0.01', token = gw.tokens[0] } = {}) {
  const headers = key ? { 'idempotency-key': key } : {};
  return gw.request('POST', '/v1/call/create_withdrawal', {
    token, worker, headers, body: { amount, currency: 'BTC', address: 'bc1qidem' + note.slice(-6), note, auto_confirm: 1 },
  });
}

/** Withdrawals the sandbox recorded with this note (its history, read with another key). */
const recorded = (m, note) => m.count.withdrawals(note);

async function sent(m) {
  return (await m.sb.stats()).by_cmd?.create_withdrawal ?? 0;
}

for (const nonces of ['1', '0']) {
  const label = nonces === '1' ? 'nonces on' : 'nonces off';

  test(`${label}: the same request twice, one after the other: one withdrawal, the copy gets the first answer`, async () => {
    const m = modes[nonces];
    const note = 'idem-seq-' + rnd(4);
    const key = 'op_' + rnd(12);
    const before = await sent(m);
    const a = await withdraw(m, key, note);
    const b = await withdraw(m, key, note, { worker: 'edge2' });
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.equal(b.text, a.text);
    assert.equal(b.headers['idempotent-replay'], 'true');
    assert.equal(a.headers['idempotent-replay'], undefined);
    assert.equal((await sent(m)) - before, 1);
    assert.equal(await recorded(m, note), 1);
  });

  test(`${label}: the same request twice at once (two isolates): one withdrawal`, async () => {
    const m = modes[nonces];
    const note = 'idem-par-' + rnd(4);
    const key = 'op_' + rnd(12);
    const before = await sent(m);
    const res = await Promise.all([withdraw(m, key, note), withdraw(m, key, note, { worker: 'edge2' }), withdraw(m, key, note)]);
    for (const r of res) {
      // Each copy: the first's answer, or "in progress" (outcome unknown to the core: a 5xx, not retryable).
      assert.ok(r.status === 200 || (r.status === 502 && r.json.code === 'outcome_unknown' && r.json.in_progress === true && r.json.retryable === false), r.text);
    }
    assert.ok(res.some((r) => r.status === 200 && r.headers['idempotent-replay'] === undefined), 'one of them was the call');
    assert.equal((await sent(m)) - before, 1);
    assert.equal(await recorded(m, note), 1);
    const again = await withdraw(m, key, note);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers['idempotent-replay'], 'true');
    assert.equal(await recorded(m, note), 1);
  });

  test(`${label}: a copy while the sandbox holds the first: in progress, never sent; then the first's answer`, async () => {
    const m = modes[nonces];
    const note = 'idem-hold-' + rnd(4);
    const key = 'op_' + rnd(12);
    const before = await sent(m);
    await m.sb.admin('POST', '/faults', { kind: 'hold', count: 1, cmd: 'create_withdrawal', delay_ms: 1500 });
    const first = withdraw(m, key, note);
    await sleep(400); // the first is held in the sandbox now
    const copy = await withdraw(m, key, note, { worker: 'edge2' });
    assert.equal(copy.status, 502, copy.text);
    assert.equal(copy.json.code, 'outcome_unknown');
    assert.equal(copy.json.retryable, false);
    assert.equal(copy.json.in_progress, true);
    assert.ok(Date.parse(copy.json.until) > Date.now(), copy.text);
    assert.ok(Number(copy.headers['retry-after']) >= 1);
    const a = await first;
    assert.equal(a.status, 200, a.text);
    const again = await withdraw(m, key, note, { worker: 'edge2' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.text, a.text);
    assert.equal((await sent(m)) - before, 1);
    assert.equal(await recorded(m, note), 1);
    await m.sb.admin('DELETE', '/faults');
  });

  test(`${label}: the first's connection dropped after the API acted: the copy gets the same outcome_unknown, never sent`, async () => {
    const m = modes[nonces];
    const note = 'idem-drop-' + rnd(4);
    const key = 'op_' + rnd(12);
    await m.sb.admin('POST', '/faults', { kind: 'commit_drop', count: 1, cmd: 'create_withdrawal' });
    const before = await sent(m);
    const a = await withdraw(m, key, note);
    assert.equal(a.status, 502, a.text);
    assert.equal(a.json.code, 'outcome_unknown');
    const b = await withdraw(m, key, note, { worker: 'edge2' });
    assert.equal(b.status, 502, b.text);
    assert.equal(b.text, a.text, 'the copy gets the first answer, with its reconcile fields');
    assert.equal(b.headers['idempotent-replay'], 'true');
    assert.equal((await sent(m)) - before, 1);
    assert.equal(await recorded(m, note), 1, 'the sandbox carried out the first one');
    await m.sb.admin('DELETE', '/faults');
  });

  test(`${label}: the same key with another body is refused (422), nothing sent`, async () => {
    const m = modes[nonces];
    const note = 'idem-diff-' + rnd(4);
    const key = 'op_' + rnd(12);
    const a = await withdraw(m, key, note);
    assert.equal(a.status, 200, a.text);
    const before = await sent(m);
    const b = await withdraw(m, key, note, { amount: '0.02' });
    assert.equal(b.status, 422, b.text);
    assert.equal(b.json.code, 'idempotency_key_reused');
    assert.equal(b.json.retryable, false);
    assert.match(b.json.error, /Idempotency-Key was already used for a different request/);
    assert.equal((await sent(m)) - before, 0);
  });

  test(`${label}: a money command without the header is refused before it is sent (a copy could not be told from a new request)`, async () => {
    const m = modes[nonces];
    const note = 'idem-none-' + rnd(4);
    for (const r of [await withdraw(m, '', note), await withdraw(m, '', note)]) {
      assert.equal(r.status, 428, r.text);
      assert.equal(r.json.code, 'idempotency_key_required');
      assert.equal(r.json.retryable, false);
      assert.match(r.json.error, /Idempotency-Key header.*Nothing was sent/);
    }
    assert.equal(await recorded(m, note), 0);
  });
}

test('records expire after their time to live and are pruned (the ledger shard, directly)', async () => {
  const { gw } = modes['1'];
  const ns = await gw.mf.getDurableObjectNamespace('LEDGER', 'edge');
  const shard = ns.get(ns.idFromName('shard:idem-test'));
  const ttl = 2000; // long enough for the first steps on a loaded machine
  const claim = async (...a) => {
    const r = await shard.claimIdem(...a);
    return { ok: r.ok, current: r.current }; // a plain copy of the RPC result
  };
  assert.deepEqual(await claim('a', 'ca', '{"state":"sending"}', ttl), { ok: true, current: null });
  assert.deepEqual(await claim('a', 'cx', '{"state":"other"}', ttl), { ok: false, current: '{"state":"sending"}' });
  assert.equal(await shard.settleIdem('a', 'cx', '{"state":"done"}'), false, 'only its own claim settles a record');
  assert.equal(await shard.settleIdem('a', 'ca', '{"state":"done"}'), true);
  assert.deepEqual(await claim('a', 'cx', '{}', ttl), { ok: false, current: '{"state":"done"}' });
  await sleep(ttl + 100);
  // Past its time to live: the key may be claimed anew; and the claim prunes what expired.
  assert.deepEqual(await claim('b', 'cb', '{}', ttl), { ok: true, current: null });
  assert.equal(await shard.settleIdem('a', 'ca', '{"state":"done"}'), false, 'the expired record was pruned');
  assert.deepEqual(await claim('a', 'c2', '{"state":"again"}', ttl), { ok: true, current: null });
});
