// Sending a mass-payout file safely: per-row state kept in storage under the file's hash, so
// a run that stops half way (closed popup, crash, lost connection) resumes without paying a
// row twice. Each row carries a unique note wk:<hash8>:<row>; a row whose send may or may not
// have happened is reconciled by that note before anything else is sent.

import { toCsv } from './csv.js';

/** @typedef {import('./csv.js').PayoutRow} PayoutRow */
/** @typedef {import('./kv.js').KV} KV */
/** @typedef {import('../backend.js').Backend} Backend */

/**
 * @typedef {'pending'|'sending'|'sent'|'failed'|'unknown'} RowStatus
 *   pending: not sent; sending: a request with it is (or was) in flight — outcome unknown
 *   until reconciled; sent: has a withdrawal id; failed: refused by the API (not sent);
 *   unknown: reconcile could not tell — needs a person.
 */

/**
 * @typedef {object} RowState
 * @property {RowStatus} status
 * @property {string} note
 * @property {string} [id]
 * @property {number} [wdStatus]
 * @property {string} [error]
 * @property {number} [sentAt]   unix ms the row was last handed to the API
 */

/**
 * @typedef {object} RunState
 * @property {1} v
 * @property {string} hash        SHA-256 of the file text
 * @property {string} name        file name, for people
 * @property {number} createdAt
 * @property {number} updatedAt
 * @property {Record<string, RowState>} rows   keyed by row number
 */

export const STATE_PREFIX = 'wk.payout.';

/** @param {string} hash @param {number} row */
export function rowNote(hash, row) {
  return `wk:${hash.slice(0, 8)}:${row}`;
}

/** The note sent for a row: the unique reference, then the memo. @param {string} hash @param {PayoutRow} r */
export function noteFor(hash, r) {
  const ref = rowNote(hash, r.row);
  return r.memo ? `${ref} ${r.memo}` : ref;
}

/** @param {KV} store @param {string} hash @returns {Promise<RunState|undefined>} */
export async function loadRun(store, hash) {
  const s = await store.get(STATE_PREFIX + hash);
  return s && s.v === 1 && s.hash === hash ? s : undefined;
}

/** @param {KV} store @param {string} hash @param {string} name @param {PayoutRow[]} rows */
export async function initRun(store, hash, name, rows) {
  const existing = await loadRun(store, hash);
  if (existing) return existing;
  /** @type {RunState} */
  const st = { v: 1, hash, name, createdAt: Date.now(), updatedAt: Date.now(), rows: {} };
  for (const r of rows) st.rows[r.row] = { status: 'pending', note: noteFor(hash, r) };
  await store.set(STATE_PREFIX + hash, st);
  return st;
}

/** @param {RunState} st */
export function summarize(st) {
  const c = { total: 0, pending: 0, sending: 0, sent: 0, failed: 0, unknown: 0 };
  for (const r of Object.values(st.rows)) {
    c.total++;
    c[r.status]++;
  }
  return { ...c, done: c.sent + c.failed + c.unknown };
}

// Errors that prove the request was refused before anything moved.
const NOT_SENT = new Set(['invalid_input', 'api_error', 'auth', 'permission', 'nonce', 'rate_limited', 'not_connected', 'locked', 'host_permission', 'gateway_token', 'gateway_refused']);

/**
 * Sends (or resumes) a payout file.
 * @param {object} o
 * @param {Backend} o.backend
 * @param {KV} o.store
 * @param {string} o.hash
 * @param {string} o.name
 * @param {PayoutRow[]} o.rows
 * @param {number} [o.chunk]            payouts per create_mass_withdrawal call
 * @param {(st: RunState, s: ReturnType<typeof summarize>) => void} [o.onProgress]
 * @param {AbortSignal} [o.signal]      stops between chunks
 * @returns {Promise<RunState>}
 */
export async function runPayout(o) {
  const chunk = Math.max(1, o.chunk ?? 10);
  const key = STATE_PREFIX + o.hash;
  const st = await initRun(o.store, o.hash, o.name, o.rows);
  const byRow = new Map(o.rows.map((r) => [String(r.row), r]));
  const save = async () => {
    st.updatedAt = Date.now();
    await o.store.set(key, st);
    o.onProgress?.(st, summarize(st));
  };
  o.onProgress?.(st, summarize(st));

  // 1. Rows interrupted in flight: find out what happened before sending anything.
  for (const [n, rs] of Object.entries(st.rows)) {
    if (rs.status !== 'sending') continue;
    const r = byRow.get(n);
    if (!r) continue;
    await reconcileRow(o.backend, r, rs);
    await save();
  }

  // 2. Pending rows, a chunk at a time.
  const pending = o.rows.filter((r) => st.rows[r.row]?.status === 'pending');
  for (let i = 0; i < pending.length; i += chunk) {
    if (o.signal?.aborted) break;
    const part = pending.slice(i, i + chunk);
    const now = Date.now();
    for (const r of part) Object.assign(st.rows[r.row], { status: 'sending', sentAt: now, error: undefined });
    await save(); // persisted before the request: a crash now leaves 'sending', never a silent resend
    let results;
    try {
      results = await o.backend.createMassWithdrawal(part.map((r) => ({
        key: `r${r.row}`, amount: r.amount, currency: r.currency, address: r.address, note: st.rows[r.row].note,
      })));
    } catch (e) {
      const code = /** @type {any} */ (e)?.code;
      if (NOT_SENT.has(code)) {
        for (const r of part) Object.assign(st.rows[r.row], { status: 'pending', sentAt: undefined });
        await save();
        throw e;
      }
      // outcome unknown (or a transport failure mid-call): reconcile each row of the chunk
      for (const r of part) {
        await reconcileRow(o.backend, r, st.rows[r.row]);
        await save();
      }
      continue;
    }
    const byKey = new Map(results.map((x) => [x.key, x]));
    for (const r of part) {
      const rs = st.rows[r.row];
      const x = byKey.get(`r${r.row}`);
      if (x && x.id && !x.error) Object.assign(rs, { status: 'sent', id: x.id, wdStatus: x.status });
      else if (x && x.error) Object.assign(rs, { status: 'failed', error: errorText(x.error) });
      else Object.assign(rs, { status: 'sending' }); // no answer for it: leave for reconcile
    }
    for (const r of part) if (st.rows[r.row].status === 'sending') await reconcileRow(o.backend, r, st.rows[r.row]);
    await save();
  }
  return st;
}

/** @param {unknown} e */
function errorText(e) {
  if (e && typeof e === 'object' && 'message' in e) return String(/** @type {any} */ (e).message);
  return String(e);
}

/**
 * Settles a row whose send may have happened. Mutates rs.
 * @param {Backend} backend @param {PayoutRow} r @param {RowState} rs
 */
export async function reconcileRow(backend, r, rs) {
  try {
    const res = await backend.reconcile({
      cmd: 'create_mass_withdrawal', amount: r.amount, currency: r.currency, address: r.address, note: rs.note,
      sinceMs: (rs.sentAt ?? Date.now()) - 10 * 60_000,
    });
    if (res.verdict === 'found' && res.withdrawals?.length === 1) {
      Object.assign(rs, { status: 'sent', id: res.withdrawals[0].id, wdStatus: res.withdrawals[0].status, error: undefined });
    } else if (res.verdict === 'not_found') {
      Object.assign(rs, { status: 'pending', error: undefined });
    } else {
      Object.assign(rs, { status: 'unknown', error: res.detail || 'reconcile could not tell whether it was sent' });
    }
  } catch (e) {
    Object.assign(rs, { status: 'sending', error: `not reconciled yet: ${errorText(e)}` });
    throw e;
  }
}

/** Failed rows go back to pending (they were refused, so nothing was sent). @param {KV} store @param {RunState} st */
export async function retryFailed(store, st) {
  for (const rs of Object.values(st.rows)) if (rs.status === 'failed') Object.assign(rs, { status: 'pending', error: undefined });
  st.updatedAt = Date.now();
  await store.set(STATE_PREFIX + st.hash, st);
}

/** The results file. @param {PayoutRow[]} rows @param {RunState} st */
export function resultsCsv(rows, st) {
  /** @type {unknown[][]} */
  const out = [['line', 'address', 'currency', 'amount', 'memo', 'note', 'status', 'withdrawal_id', 'error']];
  for (const r of rows) {
    const rs = st.rows[r.row] ?? { status: 'pending', note: '' };
    out.push([r.line, r.address, r.currency, r.amount, r.memo, rs.note, rs.status, rs.id ?? '', rs.error ?? '']);
  }
  return toCsv(out);
}
