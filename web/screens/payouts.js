// Mass payouts, on the one payout engine (core/payout through the wasm bridge): the file is read
// and checked there (every bad line at once), each row is known by its line and tagged in its
// note ("memo (wk:HASH8:LINE)"), and every batch is journaled (by the file's SHA-256, in this
// browser's storage) before it leaves. This screen only shows and asks: Confirm / Resume call
// payoutStep while it says `more`; what to do next is the engine's own sentence (summary.next).
// A file that stopped half way, or the same content under another name, continues the same
// run; a file started in the CLI is recognised from the account's history, and the reverse.

import { h, replace } from '../dom.js';
import { field, errorBox, table, screenHeading, notice, dl, noNonceWarning, noncesOff, formatTime } from '../ui.js';
import { formatAmount } from '../lib/money.js';
import { toBridgeError } from '../lib/errors.js';
import { loadCoins, truthy } from '../coins.js';
import { clockTime } from '../reconcile-view.js';
import { fiatValues, approx } from '../fiat.js';

/** @typedef {import('../app.js').Ctx} Ctx */
/** @typedef {import('../backend.js').PayoutFile} PayoutFile */
/** @typedef {import('../backend.js').PayoutRun} PayoutRun */
/** @typedef {import('../backend.js').PayoutOptions} PayoutOptions */

/** Payouts per create_mass_withdrawal call. */
export const BATCH = 10;
/** Rows shown in the tables (the results CSV has them all). */
const SHOWN = 200;

/** @type {import('../app.js').Screen} */
export default {
  id: 'payouts',
  title: 'Mass payouts',
  needsSession: true,
  render(ctx) {
    const file = field({ label: 'Payout file (CSV)', name: 'payoutFile', type: 'file', hint: 'One payout per line: address,currency,amount[,memo]. A header line is optional.', attrs: { accept: '.csv,text/csv,text/plain' } });
    const paste = field({ label: 'Or paste the CSV', name: 'payoutText', type: 'textarea', attrs: { rows: 5 } });
    const check = h('button', { type: 'submit', class: 'secondary' }, 'Check pasted CSV');
    const stage = h('div', { class: 'stack' });
    const form = h('form', { class: 'stack', novalidate: true }, file.wrap, h('details', null, h('summary', null, 'Paste instead'), paste.wrap, check));
    const root = h('section', { class: 'screen' },
      screenHeading('Mass payouts'),
      h('p', { class: 'hint' }, 'Nothing is sent until you confirm. A file that stopped half way can be loaded again, under any name and in this console or the wallexkit CLI: payouts already made are found and never paid twice.'),
      ctx.variant === 'popup' ? h('p', { class: 'hint' }, 'The popup closes when you click elsewhere, which pauses sending: for large files use “Open in side panel”.') : null,
      noNonceWarning(ctx),
      form, stage);
    const state = { running: false, stop: false };
    ctx.onDispose(() => { state.stop = true; });

    /** @param {string} text @param {string} name */
    const load = async (text, name) => {
      if (state.running) return;
      replace(stage, h('p', { class: 'loading', role: 'status' }, 'Checking the file…'));
      /** @type {PayoutOptions} */
      const opts = { name };
      try {
        const coins = (await loadCoins(ctx.backend)).filter((c) => !truthy(c.is_fiat));
        opts.currencies = coins.map((c) => c.coin);
        opts.fees = Object.fromEntries(coins.filter((c) => c.tx_fee).map((c) => [c.coin, String(c.tx_fee)]));
      } catch {
        // check the shape only; the API checks the tickers
      }
      try {
        const parsed = await ctx.backend.payoutParse(text, opts);
        const legacy = parsed.problems.length ? null : await legacyRun(ctx, parsed.sha256);
        if (parsed.problems.length) {
          replace(stage, validationView(parsed, name));
        } else if (legacy) {
          replace(stage, legacyView(legacy, name));
        } else {
          const st = await ctx.backend.payoutStatus(text, opts);
          replace(stage, runView(ctx, state, { text, name, opts, parsed }, st));
        }
      } catch (e) {
        replace(stage, errorBox(e));
      }
      /** @type {HTMLElement|null} */ (stage.querySelector('h3'))?.focus();
    };
    file.input.addEventListener('change', async () => {
      const f = file.input.files?.[0];
      if (!f) return;
      if (f.size > 2_000_000) {
        replace(stage, notice('That file is larger than 2 MB: it cannot be a payout list.', 'warn'));
        return;
      }
      await load(await f.text(), f.name);
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      load(paste.input.value, 'pasted.csv');
    });
    return root;
  },
};

/**
 * Consoles before the payout engine kept their own progress under wk.payout.<sha256> and tagged
 * rows "wk:HASH8:N memo" (N = the Nth payout), which the engine does not recognise in the
 * history. A file such a console started must not be sent again by this one: the rows it paid
 * would be paid twice. Returns the rows it sent or may have sent, or null.
 * @param {Ctx} ctx @param {string} sha
 * @returns {Promise<{createdAt?: number, rows: {n: string, status: string, id?: string, note?: string}[]}|null>}
 */
async function legacyRun(ctx, sha) {
  let st;
  try {
    st = await ctx.store.get(`wk.payout.${sha}`);
  } catch {
    return null;
  }
  if (!st || st.v !== 1 || !st.rows || typeof st.rows !== 'object') return null;
  const rows = Object.entries(st.rows)
    .filter(([, r]) => r && r.status !== 'pending' && r.status !== 'failed')
    .map(([n, r]) => ({ n, status: String(r.status), id: r.id, note: r.note }));
  return rows.length ? { createdAt: st.createdAt, rows } : null;
}

/** @param {NonNullable<Awaited<ReturnType<typeof legacyRun>>>} legacy @param {string} name */
function legacyView(legacy, name) {
  return h('section', { class: 'card', 'aria-labelledby': 'po-legacy', 'data-legacy': '' },
    h('h3', { id: 'po-legacy', tabindex: '-1' }, `${name} was started by an earlier version of this console`),
    h('div', { class: 'notice warn', role: 'alert' },
      h('p', null, h('strong', null, 'Nothing was sent, and this file will not be sent as it is.')),
      h('p', null, `The earlier version${legacy.createdAt ? ` (run of ${formatTime(new Date(legacy.createdAt).toISOString())})` : ''} marked its payouts in a way this version cannot find in your history, so sending the file again could pay these rows twice. Remove the payouts listed below from the file (they were paid, or may have been: check them in the withdrawal history), save it as a new file, and load that.`)),
    table({
      caption: 'Payouts the earlier version sent or may have sent',
      columns: [{ label: 'Payout no.', num: true }, { label: 'Note it carried' }, { label: 'Status then' }, { label: 'Withdrawal' }],
      rows: legacy.rows.map((r) => [r.n, r.note ?? '', r.status === 'sent' ? 'sent' : 'outcome unknown', r.id ? h('code', null, r.id) : '']),
    }));
}

/** @param {PayoutFile} parsed @param {string} name */
function validationView(parsed, name) {
  const n = parsed.problems.length;
  return h('section', { class: 'card', 'aria-labelledby': 'po-invalid' },
    h('h3', { id: 'po-invalid', tabindex: '-1' }, `${n} problem${n === 1 ? '' : 's'} in ${name}`),
    h('p', null, 'Nothing was sent. Fix every line below, then load the file again.'),
    // the alert wraps the list (a ul with role=alert would no longer be a list for its items)
    h('div', { role: 'alert' }, h('ul', { class: 'problems' }, parsed.problems.map((p) => h('li', { dataset: { line: String(p.line) } },
      p.line ? h('strong', null, `Line ${p.line}: `) : h('strong', null, 'File: '), p.message)))),
    parsed.warnings.length ? warningsList(parsed.warnings) : null);
}

/** @param {{line: number, message: string}[]} warnings */
function warningsList(warnings) {
  return h('div', null, h('h4', null, 'Please check'), h('ul', { class: 'warnings' }, warnings.map((w) => h('li', null, w.line ? h('strong', null, `Line ${w.line}: `) : null, w.message))));
}

/** @param {import('../backend.js').PayoutRun['summary']} s */
export function progressLine(s) {
  const parts = [`${s.sent} of ${s.rows} sent`];
  if (s.failed) parts.push(`${s.failed} refused`);
  if (s.unknown) parts.push(`${s.unknown} to look up`);
  if (s.in_flight) parts.push(`${s.in_flight} may still arrive`);
  if (s.ambiguous) parts.push(`${s.ambiguous} need you to check`);
  if (s.pending) parts.push(`${s.pending} not sent yet`);
  return parts.join(', ') + '.';
}

/** @param {import('../backend.js').PayoutRun['rows'][number]} r */
function rowState(r) {
  switch (r.state) {
    case 'pending': return 'not sent yet';
    case 'sending': return 'sending';
    case 'sent': return r.reconciled ? 'sent (found in the history)' : 'sent';
    case 'failed': return 'refused (nothing moved)';
    case 'unknown': return 'outcome unknown: Resume looks it up';
    case 'in_flight': return r.until ? `may still arrive: check again after ${clockTime(Date.parse(r.until))}` : 'may still arrive';
    case 'ambiguous': return 'check your withdrawal history';
    default: return r.state;
  }
}

/** The engine's sentence as a sentence: capital first, full stop last. @param {string} t */
function sentence(t) {
  const s = String(t ?? '').trim();
  return s ? s[0].toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.') : '';
}

/** Whether the journal shows any earlier work on the file. @param {PayoutRun} st */
function started(st) {
  const s = st.summary;
  return s.rows !== s.pending;
}

/**
 * The review of a valid file and its run.
 * @param {Ctx} ctx @param {{running: boolean, stop: boolean}} state
 * @param {{text: string, name: string, opts: PayoutOptions, parsed: PayoutFile}} f
 * @param {PayoutRun} first
 */
function runView(ctx, state, f, first) {
  const { parsed } = f;
  const n = parsed.rows.length;
  const progress = h('progress', { max: String(n), value: '0', id: 'po-progress', 'aria-describedby': 'po-progress-text' });
  const progressText = h('p', { id: 'po-progress-text', role: 'status', 'aria-live': 'polite' });
  const next = h('p', { class: 'notice info', id: 'po-next', 'data-next': '' });
  const send = h('button', { type: 'button', class: 'primary', 'data-action': 'send-payouts' });
  const check = h('button', { type: 'button', class: 'secondary', 'data-action': 'check-again', hidden: true }, 'Check again');
  const retry = h('button', { type: 'button', class: 'secondary', 'data-action': 'retry-refused', hidden: true }, 'Retry refused rows');
  const stop = h('button', { type: 'button', class: 'secondary', hidden: true, 'data-action': 'stop' }, 'Stop after this batch');
  const resumeHint = h('p', { class: 'hint' }, 'Resume first looks up every payout whose outcome is unknown, then sends the rest: nothing is paid twice, however often you press it.');
  const problem = h('div');
  const results = h('div', { class: 'stack' });
  const totals = h('span', null, parsed.totals.map((t) => `${formatAmount(t.amount, t.currency)} ${t.currency}`).join(', '));
  // what the file is worth in the store's fiat, by core: approximate
  fiatValues(ctx, parsed.totals.map((t) => ({ coin: t.currency, amount: t.amount }))).then((vs) => {
    const sum = vs.filter(Boolean).map((v) => approx(v));
    if (sum.length) totals.append(` (${sum.join(' + ')}, approximate)`);
  });
  const facts = dl([
    ['From store', ctx.session?.storeName ?? ''],
    ['Payouts', String(n)],
    ['Totals', totals],
    ['File fingerprint', h('code', null, `${parsed.sha256.slice(0, 16)} (${parsed.tag})`)],
    // the same content under any name has the same fingerprint and continues the same run
    ...(/** @type {[string, string][]} */ (started(first) ? [['Earlier runs', progressLine(first.summary)]] : [])),
  ]);
  const section = h('section', { class: 'card', 'aria-labelledby': 'po-review', 'data-sha256': parsed.sha256 },
    h('h3', { id: 'po-review', tabindex: '-1' }, `Review ${n} payout${n === 1 ? '' : 's'} from ${f.name}`),
    facts,
    parsed.warnings.length ? warningsList(parsed.warnings) : null,
    h('div', { class: 'progress-wrap' }, h('label', { for: 'po-progress' }, 'Progress'), progress, progressText),
    next,
    h('div', { class: 'actions' }, send, check, retry, stop),
    resumeHint,
    problem,
    results);
  /** @type {ReturnType<typeof setInterval>|undefined} */
  let waitTimer;
  ctx.onDispose(() => clearInterval(waitTimer));
  /** @type {string|undefined} */
  let url;
  ctx.onDispose(() => { if (url) URL.revokeObjectURL(url); });

  // Nonces off: the core refuses money (moneyNeedsNonces), so nothing here offers to send; only
  // the look-ups of payouts an earlier run left unsettled (they only read) are offered.
  const off = noncesOff(ctx);

  /** @param {PayoutRun} st */
  const update = (st) => {
    const s = st.summary;
    progress.value = s.sent;
    progressText.textContent = progressLine(s);
    // the engine's own sentence, in the console's words (press Resume, Check again, Retry refused rows)
    const blocked = off && (s.step === 'send' || s.step === 'retry');
    const said = blocked
      ? `${s.pending + s.failed} payout${s.pending + s.failed === 1 ? ' is' : 's are'} not sent: sending is off while nonces are off (see above).`
      : sentence(s.next);
    next.textContent = s.stopped ? `Stopped: ${s.stopped}. ${said}` : said;
    next.className = `notice ${s.done ? 'ok' : s.in_flight || s.ambiguous || s.stopped || blocked ? 'warn' : 'info'}`;
    next.dataset.next = s.next;
    next.dataset.step = s.step;
    // before the first send, the review and its Confirm button are the instruction
    next.hidden = !state.running && !started(st) && s.step === 'send' && !off;
    // What the person can do now: send/resume while the engine has work; check again once the
    // in-flight rows may be settled; retry rows the API refused. Nonces off: look up only.
    const work = off ? s.step === 'reconcile' : !s.done && (st.more || s.pending > 0 || s.unknown > 0);
    send.hidden = state.running ? false : !work;
    resumeHint.hidden = send.hidden || !started(st) || off;
    if (!state.running) send.textContent = off ? 'Look up payouts of unknown outcome' : started(st) ? 'Resume' : `Confirm and send ${n} payout${n === 1 ? '' : 's'}`;
    retry.hidden = state.running || !s.failed || off;
    clearInterval(waitTimer);
    check.hidden = state.running || !s.in_flight;
    if (!check.hidden && s.wait_until) {
      const until = Date.parse(s.wait_until);
      check.dataset.until = String(until);
      const tick = () => {
        const left = Math.ceil((until - Date.now()) / 1000);
        check.disabled = left > 0;
        check.textContent = left > 0 ? `Check again at ${clockTime(until)} (in ${left} s)` : 'Check again';
        if (left <= 0) clearInterval(waitTimer);
      };
      tick();
      waitTimer = setInterval(tick, 1000);
    }
    if (url) URL.revokeObjectURL(url);
    url = showResults(results, st);
  };

  /** Steps while the engine says more. @param {boolean} retryFailed */
  const run = async (retryFailed) => {
    if (state.running) return;
    state.running = true;
    state.stop = false;
    replace(problem);
    for (const b of [check, retry]) b.hidden = true;
    send.disabled = true;
    send.setAttribute('aria-busy', 'true');
    send.textContent = off ? 'Looking up…' : 'Sending…';
    stop.hidden = false;
    stop.disabled = false;
    /** @type {PayoutRun|undefined} */
    let st;
    try {
      let firstStep = true;
      do {
        st = await ctx.backend.payoutStep(f.text, { ...f.opts, batch: BATCH, ...(firstStep && retryFailed ? { retryFailed: true } : {}) });
        firstStep = false;
        update(st);
        // nonces off: only look-ups (unsettled rows are always reconciled before anything is sent)
      } while (st.more && !state.stop && (!off || st.summary.step === 'reconcile'));
      ctx.announce(st.summary.done ? `Finished: ${progressLine(st.summary)}` : `Stopped: ${st.summary.next}`);
    } catch (e) {
      const be = toBridgeError(e);
      replace(problem, errorBox(e, be.code === 'outcome_unknown'
        ? { hint: 'Press Resume: it first looks up what happened to the interrupted batch, then sends the rest. Nothing is paid twice.' }
        : {}));
      ctx.announce(`Sending stopped: ${be.message}`);
      st = await ctx.backend.payoutStatus(f.text, f.opts).catch(() => undefined);
    } finally {
      state.running = false;
      stop.hidden = true;
      send.disabled = false;
      send.removeAttribute('aria-busy');
      if (st) update(st);
      else send.textContent = 'Resume';
      ctx.refreshOps?.();
    }
  };
  send.addEventListener('click', () => run(false));
  check.addEventListener('click', () => run(false));
  retry.addEventListener('click', () => run(true));
  stop.addEventListener('click', () => {
    state.stop = true;
    stop.disabled = true;
    ctx.announce('Stopping after the current batch.');
  });
  update(first);
  return section;
}

/**
 * The rows and the results download; returns the download's object URL (revoke it).
 * @param {HTMLElement} out @param {PayoutRun} st
 */
function showResults(out, st) {
  const url = URL.createObjectURL(new Blob([st.resultsCsv], { type: 'text/csv' }));
  const download = h('a', { href: url, download: `payout-results-${st.sha256.slice(0, 8)}.csv`, class: 'button secondary', 'data-action': 'download-results' }, 'Download results CSV');
  const rows = st.rows;
  replace(out,
    table({
      caption: 'Payouts in this file',
      columns: [{ label: 'Line', num: true }, { label: 'Address' }, { label: 'Amount', num: true }, { label: 'Currency' }, { label: 'Memo' }, { label: 'Status' }, { label: 'Withdrawal / reason' }],
      rows: rows.slice(0, SHOWN).map((r) => [
        String(r.line),
        h('code', { class: 'address' }, r.address),
        formatAmount(r.amount, r.currency),
        r.currency,
        r.memo ?? '',
        h('span', { class: `row-${r.state}`, dataset: { state: r.state, line: String(r.line) } }, rowState(r)),
        r.withdrawal_id ? h('code', null, r.withdrawal_id) : r.state === 'in_flight' || r.state === 'pending' ? '' : (r.error ?? ''),
      ]),
    }),
    rows.length > SHOWN ? h('p', { class: 'hint' }, `…and ${rows.length - SHOWN} more (all are in the results CSV).`) : null,
    h('div', { class: 'actions' }, download));
  return url;
}
