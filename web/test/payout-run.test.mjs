import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPayout, loadRun, summarize, resultsCsv, rowNote, noteFor, retryFailed } from '../lib/payout-run.js';
import { parsePayoutCsv, parseCsv } from '../lib/csv.js';
import { memoryKV } from '../lib/kv.js';

// A tiny in-memory stand-in for the bridge's payout calls (pure-module test only; the browser
// tests use the real wasm core against the real sandbox).
function fakeBackend() {
  const ledger = [];
  const plan = { commitThenDrop: 0, refuse: new Set(), failBeforeSend: 0 };
  let calls = 0;
  return {
    ledger, plan,
    get calls() { return calls; },
    async createMassWithdrawal(items) {
      calls++;
      if (plan.failBeforeSend > 0) {
        plan.failBeforeSend--;
        throw { code: 'rate_limited', message: 'Too many failed calls', retryable: true };
      }
      const out = items.map((it) => {
        if (plan.refuse.has(it.address)) return { key: it.key, error: { code: 'api_error', message: 'Invalid address' } };
        const id = `WD${ledger.length + 1}`;
        ledger.push({ id, ...it, status: 1 });
        return { key: it.key, id, status: 1, amount: it.amount };
      });
      if (plan.commitThenDrop > 0) {
        plan.commitThenDrop--;
        throw { code: 'outcome_unknown', message: 'connection reset after sending', retryable: false };
      }
      return out;
    },
    async reconcile(q) {
      const m = ledger.filter((w) => w.note === q.note && w.amount === q.amount && w.currency === q.currency && w.address === q.address);
      if (m.length === 1) return { verdict: 'found', withdrawals: [{ id: m[0].id, status: 1 }], detail: 'one match' };
      if (m.length === 0) return { verdict: 'not_found', detail: 'no match' };
      return { verdict: 'ambiguous', detail: `${m.length} matches` };
    },
  };
}

function file(n) {
  const lines = [];
  for (let i = 1; i <= n; i++) lines.push(`tltc1qsbx${String(i).padStart(24, '0')},LTCT,0.${String(i).padStart(2, '0')},memo ${i}`);
  return parsePayoutCsv(lines.join('\n')).rows;
}
const HASH = 'ab12cd34'.padEnd(64, '0');

test('each row gets a unique note wk:<hash8>:<row> (+ memo)', () => {
  const rows = file(3);
  assert.equal(rowNote(HASH, 2), 'wk:ab12cd34:2');
  assert.deepEqual(rows.map((r) => noteFor(HASH, r)), ['wk:ab12cd34:1 memo 1', 'wk:ab12cd34:2 memo 2', 'wk:ab12cd34:3 memo 3']);
});

test('sends every row once, in chunks, reporting progress', async () => {
  const be = fakeBackend();
  const store = memoryKV();
  const rows = file(20);
  const seen = [];
  const st = await runPayout({ backend: be, store, hash: HASH, name: 'p.csv', rows, chunk: 6, onProgress: (_s, s) => seen.push(s.done) });
  assert.equal(be.calls, 4);
  assert.equal(be.ledger.length, 20);
  assert.equal(new Set(be.ledger.map((w) => w.note)).size, 20);
  assert.deepEqual(summarize(st), { total: 20, pending: 0, sending: 0, sent: 20, failed: 0, unknown: 0, done: 20 });
  assert.equal(seen.at(-1), 20);
  assert.ok(seen.includes(6) && seen.includes(12) && seen.includes(18));
  // a second run of the same file sends nothing
  await runPayout({ backend: be, store, hash: HASH, name: 'p.csv', rows, chunk: 6 });
  assert.equal(be.calls, 4);
  assert.equal(be.ledger.length, 20);
});

test('an unknown outcome is reconciled by note, never resent blindly', async () => {
  const be = fakeBackend();
  const store = memoryKV();
  const rows = file(10);
  be.plan.commitThenDrop = 1; // the first chunk goes through but its answer is lost
  const st = await runPayout({ backend: be, store, hash: HASH, name: 'p.csv', rows, chunk: 5 });
  assert.equal(be.ledger.length, 10, 'no row paid twice');
  assert.equal(summarize(st).sent, 10);
  assert.ok(Object.values(st.rows).every((r) => r.id));
});

test('a run interrupted after persisting "sending" resumes by reconciling those rows first', async () => {
  const be = fakeBackend();
  const store = memoryKV();
  const rows = file(6);
  // the state a crash leaves: rows 1–3 handed to the API (1–2 really executed), 4–6 pending
  const crashed = { v: 1, hash: HASH, name: 'p.csv', createdAt: 1, updatedAt: 1, rows: {} };
  for (const r of rows) crashed.rows[r.row] = { status: r.row <= 3 ? 'sending' : 'pending', note: noteFor(HASH, r), sentAt: Date.now() };
  await store.set(`wk.payout.${HASH}`, crashed);
  for (const r of rows.slice(0, 2)) be.ledger.push({ id: `OLD${r.row}`, key: `r${r.row}`, amount: r.amount, currency: r.currency, address: r.address, note: noteFor(HASH, r), status: 1 });
  const st = await runPayout({ backend: be, store, hash: HASH, name: 'p.csv', rows, chunk: 10 });
  assert.equal(st.rows[1].id, 'OLD1');
  assert.equal(st.rows[2].id, 'OLD2');
  assert.equal(be.ledger.length, 6, 'rows 1–2 were not paid again; row 3 (never executed) was sent once');
  assert.equal(summarize(st).sent, 6);
});

test('refused rows are failed with the reason; a refusal of the whole call leaves rows pending', async () => {
  const be = fakeBackend();
  const store = memoryKV();
  const rows = file(4);
  be.plan.refuse.add(rows[1].address);
  be.plan.failBeforeSend = 1;
  await assert.rejects(runPayout({ backend: be, store, hash: HASH, name: 'p.csv', rows }), (e) => e.code === 'rate_limited');
  assert.equal(summarize(await loadRun(store, HASH)).pending, 4);
  const st = await runPayout({ backend: be, store, hash: HASH, name: 'p.csv', rows });
  assert.deepEqual(summarize(st), { total: 4, pending: 0, sending: 0, sent: 3, failed: 1, unknown: 0, done: 4 });
  assert.equal(st.rows[2].error, 'Invalid address');
  const csv = parseCsv(resultsCsv(rows, st)).records.map((r) => r.fields);
  assert.deepEqual(csv[0], ['line', 'address', 'currency', 'amount', 'memo', 'note', 'status', 'withdrawal_id', 'error']);
  assert.deepEqual(csv[2].slice(6), ['failed', '', 'Invalid address']);
  assert.equal(csv[1][6], 'sent');
  be.plan.refuse.clear();
  await retryFailed(store, st);
  const again = await runPayout({ backend: be, store, hash: HASH, name: 'p.csv', rows });
  assert.equal(summarize(again).sent, 4);
  assert.equal(be.ledger.length, 4);
});

test('stops between chunks when aborted', async () => {
  const be = fakeBackend();
  const store = memoryKV();
  const ctl = new AbortController();
  const st = await runPayout({ backend: be, store, hash: HASH, name: 'p.csv', rows: file(9), chunk: 3, onProgress: (_s, s) => { if (s.sent === 3) ctl.abort(); }, signal: ctl.signal });
  assert.equal(summarize(st).sent, 3);
  assert.equal(summarize(st).pending, 6);
});
