// Fault matrix, gateway rows (issue #8: never pay twice, under any timing). For each path that
// creates money movements — /v1/call/create_withdrawal and checkout's create_transaction (with
// an order_id) — and each fault — reset (nothing carried out), commit_drop (carried out, the
// connection dropped), hold (held past the gateway's upstream timeout, then carried out),
// commit_status (carried out, then a 5xx page), and the Worker killed while the request is held
// (then started again on the same persisted Durable Object storage) — with nonces on and off, a
// scripted caller follows every instruction the gateway gives, and the test counts what the
// sandbox actually recorded: exactly one withdrawal or payment per intended one.
//
// The caller: retry only on retryable:true; on outcome_unknown POST /v1/reconcile with the
// "reconcile" fields; in_flight: wait until `until`, then reconcile (or, for a 409 of checkout,
// send the same order) again; not_found (proven, or after the in-flight window): send once more;
// found: done. With no answer at all (the Worker died): a withdrawal is reconciled with what the
// caller sent; a checkout is sent again with the same order_id, as the gateway documents.
//
// Also "a copy of the request delivered twice" (copyCells), with and without Idempotency-Key.
//
// The counts go to dist/reliability/gateway.json.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, startGateway, repoRoot, rnd, historyCounter } from './lib.mjs';

const HOLD_MS = 2500; // longer than the upstream timeout, shorter than it plus the in-flight window
const VARS = {
  ALLOW_MONEY: '1',
  EDGE_UPSTREAM_TIMEOUT_MS: '1000',
  EDGE_DEADLINE_MS: '15000',
  IN_FLIGHT_WINDOW_MS: '3000',
  FENCE_PAUSE_MS: '300',
  CHECKOUT_RATE_LIMIT: '1000',
};
const FAULTS = ['reset', 'commit_drop', 'hold', 'commit_status', 'killed'];
/** Each fault in the words of the other matrices (dist/reliability/{cli,console}.json). */
const FAULT_NAMES = { reset: 'reset before the API acts', commit_drop: 'commit, then drop', hold: 'hold past timeout, then deliver', commit_status: '5xx after commit', killed: 'killed mid-call' };
const PATHS = ['/v1/call/create_withdrawal', '/v1/checkout'];
const cleanups = [];

after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One nonce mode: its own sandbox (a key used with nonces must keep using them) and gateway. */
async function mode(nonces) {
  const sb = await startSandbox();
  cleanups.push(() => sb.stop());
  await sb.admin('PUT', `/accounts/${sb.merchantId}/balances`, { BTC: '50' });
  const persist = mkdtempSync(join(tmpdir(), 'wallexkit-edge-matrix-'));
  cleanups.push(async () => rmSync(persist, { recursive: true, force: true }));
  const opts = { vars: { ...VARS, WALLEX_NONCE: nonces ? '1' : '0' }, prices: { mug: { amount: '12.50', currency: 'USD', name: 'Blue mug' } }, persist };
  let gw = await startGateway(sb, opts);
  const secrets = gw.secrets;
  cleanups.push(() => gw.stop());
  const count = await historyCounter(sb);
  const token = gw.tokens[0];
  // Warm up: the token is cached, the accepted coins read, so faults hit only the paid call.
  assert.equal((await gw.request('POST', '/v1/call/balances', { token })).status, 200);
  const records = [];

  for (const path of PATHS) {
    for (const fault of FAULTS) {
      const tag = `m${nonces ? 'n' : 'p'}-${fault}-${path.includes('checkout') ? 'co' : 'wd'}-${rnd(3)}`;
      const cmd = path.includes('checkout') ? 'create_transaction' : 'create_withdrawal';
      const address = 'bc1qmatrix' + rnd(6);
      const steps = [];
      // One Idempotency-Key per attempt (money commands need one): the same key when an answer
      // says to send the same request again, a new one only for a new attempt after not_found.
      let idem = 'op_' + rnd(12);
      const send = async () => {
        try {
          if (cmd === 'create_withdrawal') {
            return await gw.request('POST', path, { token, headers: { 'idempotency-key': idem }, body: { amount: '0.01', currency: 'BTC', address, note: tag, auto_confirm: 1 } });
          }
          return await gw.request('POST', path, { body: { item: 'mug', currency2: 'BTC', buyer_email: 'b@example.com', order_id: tag }, headers: { 'cf-connecting-ip': '198.51.100.77' } });
        } catch (e) {
          return { dropped: String(e?.cause?.code ?? e?.message ?? e) };
        }
      };
      const reconcile = async (fields) => {
        for (;;) {
          const r = await gw.request('POST', '/v1/reconcile', { token, body: fields });
          if (r.status === 200) return r.json;
          assert.equal(r.json?.retryable, true, `reconcile failed for good: ${r.text}`);
          steps.push('reconcile failed (retryable): reconcile again');
        }
      };

      const kind = fault === 'killed' ? 'hold' : fault;
      await sb.admin('POST', '/faults', { kind, count: 1, cmd, delay_ms: kind === 'hold' ? HOLD_MS : undefined, status: kind === 'commit_status' ? 502 : undefined });
      const sentAt = new Date();
      let res;
      if (fault === 'killed') {
        const pending = send();
        await sleep(400); // the request is held in the sandbox now
        await gw.stop();
        res = await pending;
        gw = await startGateway(sb, { ...opts, secrets });
      } else {
        res = await send();
      }

      let done = false;
      for (let i = 0; i < 12 && !done; i++) {
        if (res.dropped) {
          if (cmd === 'create_withdrawal') {
            steps.push(`no answer (${res.dropped}): reconcile with the fields I sent`);
            res = { json: { code: 'outcome_unknown', retryable: false, reconcile: { cmd, amount: '0.01', currency: 'BTC', address, note: tag, sent_at: sentAt.toISOString() } } };
          } else {
            steps.push(`no answer (${res.dropped}): send the same order again`);
            res = await send();
          }
          continue;
        }
        if (res.status >= 200 && res.status < 300) {
          steps.push(`${res.status}: done`);
          done = true;
          break;
        }
        const body = res.json ?? {};
        if (body.retryable === true) {
          steps.push(`${res.status} ${body.code} retryable: send again`);
          res = await send();
          continue;
        }
        if (body.code === 'in_flight') {
          steps.push(`409 in_flight: wait until ${body.until}, send the same order again`);
          await sleep(Math.max(0, Date.parse(body.until) - Date.now()) + 100);
          res = await send();
          continue;
        }
        assert.equal(body.code, 'outcome_unknown', `unexpected answer: ${res.status} ${res.text}`);
        assert.equal(body.retryable, false, `${tag}: ${res.text} after ${steps.join(' | ')}`);
        assert.ok(body.reconcile, 'outcome_unknown carries the reconcile fields: ' + res.text);
        steps.push(`${res.status ?? '-'} outcome_unknown: reconcile`);
        let v = await reconcile(body.reconcile);
        while (v.verdict === 'in_flight') {
          steps.push(`in_flight: wait until ${v.until}, reconcile again`);
          await sleep(Math.max(0, Date.parse(v.until) - Date.now()) + 100);
          v = await reconcile(body.reconcile);
        }
        if (v.verdict === 'found') {
          steps.push(`found${v.proven ? ' (proven)' : ''}: done`);
          done = true;
          break;
        }
        assert.equal(v.verdict, 'not_found', JSON.stringify(v));
        steps.push(`not_found${v.proven ? ' (proven)' : ' (after the in-flight window)'}: send once more${cmd === 'create_withdrawal' ? ' (a new attempt: a new Idempotency-Key)' : ''}`);
        idem = 'op_' + rnd(12);
        res = await send();
      }
      assert.ok(done, `${tag}: the caller did not finish: ${steps.join(' | ')}`);
      await sleep(HOLD_MS + 300); // anything still held lands (or is refused) now
      const recorded = cmd === 'create_withdrawal' ? await count.withdrawals(tag) : await count.payments('wko-' + tag);
      records.push({ path: path === '/v1/checkout' ? '/v1/checkout (create_transaction, order_id)' : path, fault: FAULT_NAMES[fault], nonces, intended: 1, recorded, instructions_followed: steps });
      await sb.admin('DELETE', '/faults');
    }
  }
  records.push(...(await copyCells(nonces, gw, sb, count)));
  return records;
}

/**
 * "A copy of the request delivered twice" (a browser resending a POST by itself after a reused
 * connection dropped, a proxy delivering it again): the same bytes arrive a second time after
 * the first was answered, or while the sandbox still holds the first. With the Idempotency-Key
 * header (what wallexkit's core sends through a gateway) the copy gets the first's answer and
 * is never sent; without it the gateway could not tell a copy from a new request, so it refuses
 * a money command without the header (428 idempotency_key_required, nothing sent): those cells
 * record 0 and are marked refused.
 */
async function copyCells(nonces, gw, sb, count) {
  const token = gw.tokens[0];
  const cells = [];
  for (const withKey of [true, false]) {
    for (const when of ['after the first answered', 'while the first is held']) {
      const tag = `m${nonces ? 'n' : 'p'}-copy-${withKey ? 'key' : 'nokey'}-${when.startsWith('after') ? 'a' : 'h'}-${rnd(3)}`;
      const address = 'bc1qcopy' + rnd(6);
      const headers = withKey ? { 'idempotency-key': 'op_' + rnd(12) } : {};
      const steps = [];
      const send = () => gw.request('POST', '/v1/call/create_withdrawal', { token, headers, body: { amount: '0.01', currency: 'BTC', address, note: tag, auto_confirm: 1 } });
      // The caller follows each answer it gets, as in the matrix above.
      const follow = async (res, who) => {
        for (let i = 0; i < 6; i++) {
          if (!withKey) {
            assert.equal(res.status, 428, `${tag} ${who}: ${res.status} ${res.text}`);
            assert.equal(res.json?.code, 'idempotency_key_required');
            assert.equal(res.json?.retryable, false);
            steps.push(`${who}: 428 idempotency_key_required: nothing was sent (add the header to send it)`);
            return;
          }
          if (res.status === 200) {
            steps.push(`${who}: 200${res.headers['idempotent-replay'] ? ' (the first one\'s answer)' : ''}: done`);
            return;
          }
          const b = res.json ?? {};
          assert.equal(b.code, 'outcome_unknown', `${tag} ${who}: ${res.status} ${res.text}`);
          assert.equal(b.retryable, false);
          if (b.in_progress) {
            steps.push(`${who}: 502 outcome_unknown, in progress: wait ${b.retry_after} s (until ${b.until} at the latest), send the same request again`);
            await sleep(b.retry_after * 1000);
            res = await send();
            continue;
          }
          throw new Error(`${tag} ${who}: unexpected ${res.status} ${res.text}`);
        }
        throw new Error(`${tag} ${who}: did not finish: ${steps.join(' | ')}`);
      };
      if (when.startsWith('after')) {
        await follow(await send(), 'first');
        await follow(await send(), 'copy');
      } else {
        await sb.admin('POST', '/faults', { kind: 'hold', count: 1, cmd: 'create_withdrawal', delay_ms: 600 });
        const first = send();
        await sleep(250);
        const copy = send();
        await Promise.all([first.then((r) => follow(r, 'first')), copy.then((r) => follow(r, 'copy'))]);
        await sb.admin('DELETE', '/faults');
      }
      const recorded = await count.withdrawals(tag);
      const cell = {
        path: '/v1/call/create_withdrawal', fault: `copy delivered twice, ${when}, ${withKey ? 'with' : 'without'} Idempotency-Key`,
        nonces, intended: withKey ? 1 : 0, recorded, instructions_followed: steps,
      };
      if (!withKey) cell.refused = true;
      cells.push(cell);
    }
  }
  return cells;
}

test('fault matrix: exactly one withdrawal / payment per intended one, nonces on and off', { timeout: 240_000 }, async () => {
  const t0 = Date.now();
  const [on, off] = await Promise.all([mode(true), mode(false)]);
  const cells = [...on, ...off];
  const out = join(repoRoot, 'dist', 'reliability');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'gateway.json'), JSON.stringify({ generated_by: 'wasm/edge/test/matrix.test.mjs', hold_ms: HOLD_MS, vars: VARS, seconds: Math.round((Date.now() - t0) / 1000), cells }, null, 2) + '\n');
  // Every cell records exactly what was intended: one, or none for the copies refused without Idempotency-Key.
  const bad = cells.filter((c) => c.recorded !== c.intended);
  assert.deepEqual(bad, [], 'cells with a count other than intended:\n' + JSON.stringify(bad, null, 2));
  assert.equal(cells.length, 28);
  assert.equal(cells.filter((c) => c.refused).length, 4);
});
