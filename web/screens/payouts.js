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
import { shownStore } from '../backend.js';
import { fiatValues, approx } from '../fiat.js';
import { t, tParts, currentLocale } from '../lib/i18n.js';

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
  get title() { return t('nav_payouts'); },
  needsSession: true,
  render(ctx) {
    const file = field({ label: t('po_file'), name: 'payoutFile', type: 'file', hint: /** @type {any} */ (tParts('po_file_hint', h('code', { dir: 'ltr' }, 'address,currency,amount[,memo]'))), attrs: { accept: '.csv,text/csv,text/plain' } });
    const paste = field({ label: t('po_paste'), name: 'payoutText', type: 'textarea', attrs: { rows: 5, dir: 'ltr' } });
    // the summary above it ("Paste the CSV instead") is its visible label; the field keeps its name
    paste.wrap.querySelector('label')?.classList.add('visually-hidden');
    const check = h('button', { type: 'submit', class: 'secondary' }, t('po_check_pasted'));
    const stage = h('div', { class: 'stack' });
    // said when a file is loaded while the review on screen is sending: nothing is replaced then
    const busy = h('p', { class: 'notice warn', role: 'status', hidden: true }, t('po_busy_running'));
    const form = h('form', { class: 'stack', novalidate: true }, file.wrap, h('details', null, h('summary', null, t('po_paste_instead')), paste.wrap, check));
    const root = h('section', { class: 'screen' },
      screenHeading(t('po_title')),
      h('p', { class: 'hint' }, t('po_intro')),
      ctx.variant === 'popup' ? h('p', { class: 'hint' }, t('po_popup_hint')) : null,
      noNonceWarning(ctx),
      form, busy, stage);
    // running: one run at a time on this screen; dispose: the review on screen (its timers, its run)
    // idle: the run ended (the "being sent" notice goes)
    const state = { running: false, stop: false, dispose: () => {}, idle: () => { busy.hidden = true; } };
    ctx.onDispose(() => { state.stop = true; });
    // the review replaced is gone: its timers stop and its run no longer steps (a hold it was
    // waiting out does not go on behind the new one)
    const dropReview = () => { state.dispose(); state.dispose = () => {}; };

    /** @param {string} text @param {string} name */
    const load = async (text, name) => {
      busy.hidden = !state.running;
      if (state.running) return;
      dropReview();
      replace(stage, h('p', { class: 'loading', role: 'status' }, t('po_checking_file')));
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
          const view = runView(ctx, state, { text, name, opts, parsed }, st);
          state.dispose = view.dispose;
          replace(stage, view.section);
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
        // (as load: never over a run going on; the review it replaces stops)
        busy.hidden = !state.running;
        if (state.running) return;
        dropReview();
        replace(stage, notice(t('po_too_large'), 'warn'));
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
    h('h3', { id: 'po-legacy', tabindex: '-1' }, t('po_legacy_title', name)),
    h('div', { class: 'notice warn', role: 'alert' },
      h('p', null, h('strong', null, t('po_legacy_nothing'))),
      h('p', null, legacy.createdAt ? t('po_legacy_text_at', formatTime(new Date(legacy.createdAt).toISOString())) : t('po_legacy_text'))),
    table({
      caption: t('po_legacy_caption'),
      columns: [{ label: t('po_payout_no'), num: true }, { label: t('po_note_carried') }, { label: t('po_status_then') }, { label: t('po_withdrawal') }],
      rows: legacy.rows.map((r) => [r.n, r.note ?? '', r.status === 'sent' ? t('po_row_sent') : t('po_outcome_unknown'), r.id ? h('code', { dir: 'ltr' }, r.id) : '']),
    }));
}

/** @param {PayoutFile} parsed @param {string} name */
function validationView(parsed, name) {
  const n = parsed.problems.length;
  return h('section', { class: 'card', 'aria-labelledby': 'po-invalid' },
    h('h3', { id: 'po-invalid', tabindex: '-1' }, n === 1 ? t('po_problem_one', name) : t('po_problems', n, name)),
    h('p', null, t('po_fix_lines')),
    // the alert wraps the list (a ul with role=alert would no longer be a list for its items)
    h('div', { role: 'alert' }, h('ul', { class: 'problems' }, parsed.problems.map((p) => h('li', { dataset: { line: String(p.line) } },
      p.line ? h('strong', null, t('po_line_n', p.line)) : h('strong', null, t('po_file_colon')), ' ', h('bdi', null, p.message))))),
    parsed.warnings.length ? warningsList(parsed.warnings) : null);
}

/** @param {{line: number, message: string}[]} warnings */
function warningsList(warnings) {
  return h('div', null, h('h4', null, t('po_please_check')), h('ul', { class: 'warnings' }, warnings.map((w) => h('li', null, w.line ? [h('strong', null, t('po_line_n', w.line)), ' '] : null, h('bdi', null, w.message)))));
}

/** @param {import('../backend.js').PayoutRun['summary']} s */
export function progressLine(s) {
  const parts = [t('po_n_of_m_sent', s.sent, s.rows)];
  if (s.failed) parts.push(t('po_n_refused', s.failed));
  if (s.unknown) parts.push(t('po_n_look_up', s.unknown));
  if (s.in_flight - (s.held ?? 0)) parts.push(t('po_n_may_arrive', s.in_flight - (s.held ?? 0)));
  if (s.held) parts.push(t('po_n_held', s.held));
  if (s.ambiguous) parts.push(t('po_n_check', s.ambiguous));
  if (s.pending) parts.push(t('po_n_not_sent', s.pending));
  return parts.join(t('list_sep')) + t('full_stop');
}

/** @param {import('../backend.js').PayoutRun['rows'][number]} r */
function rowState(r) {
  switch (r.state) {
    case 'pending': return t('po_row_pending');
    case 'sending': return t('po_row_sending');
    case 'sent': return r.reconciled ? t('po_row_sent_found') : t('po_row_sent');
    case 'failed': return t('po_row_failed');
    case 'unknown': return t('po_row_unknown');
    case 'in_flight': return r.held && r.until ? t('po_row_held_until', clockTime(Date.parse(r.until))) : r.until ? t('po_row_in_flight_until', clockTime(Date.parse(r.until))) : t('ops_state_in_flight');
    case 'ambiguous': return t('po_row_ambiguous');
    default: return r.state;
  }
}

/** The engine's sentence as a sentence: capital first, full stop last. @param {string} text */
function sentence(text) {
  const s = String(text ?? '').trim();
  return s ? s[0].toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.') : '';
}

/** Whether the journal shows any earlier work on the file. @param {PayoutRun} st */
function started(st) {
  const s = st.summary;
  return s.rows !== s.pending;
}

/**
 * The review of a valid file and its run.
 * @param {Ctx} ctx @param {{running: boolean, stop: boolean, idle: () => void}} state
 * @param {{text: string, name: string, opts: PayoutOptions, parsed: PayoutFile}} f
 * @param {PayoutRun} first
 * @returns {{section: HTMLElement, dispose: () => void}}
 */
function runView(ctx, state, f, first) {
  const { parsed } = f;
  const n = parsed.rows.length;
  const progress = h('progress', { max: String(n), value: '0', id: 'po-progress', 'aria-describedby': 'po-progress-text' });
  const progressText = h('p', { id: 'po-progress-text', role: 'status', 'aria-live': 'polite' });
  // shown once something is under way (a run started here, or an earlier run's rows): before the
  // first send the review and its Confirm button say what will happen
  const progressWrap = h('div', { class: 'progress-wrap' }, h('label', { for: 'po-progress' }, t('po_progress')), progress, progressText);
  const next = h('p', { class: 'notice info', id: 'po-next', 'data-next': '' });
  const send = h('button', { type: 'button', class: 'primary', 'data-action': 'send-payouts' });
  const check = h('button', { type: 'button', class: 'secondary', 'data-action': 'check-again', hidden: true }, t('rcn_check_again'));
  const retry = h('button', { type: 'button', class: 'secondary', 'data-action': 'retry-refused', hidden: true }, t('po_retry_refused'));
  const stop = h('button', { type: 'button', class: 'secondary', hidden: true, 'data-action': 'stop' }, t('po_stop_after'));
  const resumeHint = h('p', { class: 'hint' }, t('po_resume_hint'));
  const problem = h('div');
  const results = h('div', { class: 'stack' });
  const totals = h('span', null, parsed.totals.map((x) => h('bdi', { dir: 'ltr' }, `${formatAmount(x.amount, x.currency)} ${x.currency}`)).flatMap((x, i) => (i ? [t('list_sep'), x] : [x])));
  // what the file is worth in the store's fiat, by core: approximate
  fiatValues(ctx, parsed.totals.map((x) => ({ coin: x.currency, amount: x.amount }))).then((vs) => {
    const sum = vs.filter(Boolean).map((v) => approx(v));
    if (sum.length) totals.append(' ', ...tParts('po_totals_approx', h('bdi', { dir: 'ltr' }, sum.join(' + '))));
  });
  const facts = dl([
    [t('mf_from_store'), ctx.session?.storeName ?? ''],
    [t('po_payouts'), String(n)],
    [t('po_totals'), totals],
    // the tag every payout's memo carries (memo (wk:HASH8:LINE)): how the history tells the file's payouts apart
    [t('po_file_id'), h('div', null, h('code', { dir: 'ltr' }, parsed.tag), h('p', { class: 'hint' }, t('po_file_id_hint')))],
    // the same content under any name has the same id and continues the same run
    ...(/** @type {[string, string][]} */ (started(first) ? [[t('po_earlier_runs'), progressLine(first.summary)]] : [])),
  ]);
  const section = h('section', { class: 'card', 'aria-labelledby': 'po-review', 'data-sha256': parsed.sha256 },
    h('h3', { id: 'po-review', tabindex: '-1' }, n === 1 ? t('po_review_one', f.name) : t('po_review_many', n, f.name)),
    facts,
    parsed.warnings.length ? warningsList(parsed.warnings) : null,
    progressWrap,
    next,
    h('div', { class: 'actions' }, send, check, retry, stop),
    resumeHint,
    problem,
    results);
  /** @type {ReturnType<typeof setInterval>|undefined} */
  let waitTimer;
  // The run belongs to the store it was reviewed in, and to this screen: once the screen is gone
  // (another screen, or the header switched the page to another store) no step starts any more.
  // Its steps name that store (the one the review shows, From store), whatever the page shows by
  // the time they run: drawn while the header was switching, the page's calls already named the
  // next store while the review still showed this one.
  const { id: store, backend } = shownStore(ctx);
  let disposed = false;
  const ours = () => !disposed && ctx.backend.storeId() === store;
  /** @type {string|undefined} */
  let url;
  // (the screen left, or this review replaced by another file's or a new reading of this one)
  const dispose = () => { disposed = true; clearInterval(waitTimer); };
  ctx.onDispose(dispose);
  ctx.onDispose(() => { if (url) URL.revokeObjectURL(url); });
  // confirmed: the person pressed Confirm, Resume or Retry in this review (its hold then ends in
  // the send by itself); session: the run that press started (OpenOptions.Session)
  let confirmed = false;
  let session = '';

  // Nonces off: the core refuses money (moneyNeedsNonces), so nothing here offers to send; only
  // the look-ups of payouts an earlier run left unsettled (they only read) are offered.
  const off = noncesOff(ctx);

  /** @param {PayoutRun} st */
  const update = (st) => {
    if (disposed) return;
    const s = st.summary;
    progress.value = s.sent;
    progressText.textContent = progressLine(s);
    progressWrap.hidden = !state.running && !started(st);
    // the engine's own sentence, in the console's words (press Resume, Check again, Retry refused rows)
    const blocked = off && (s.step === 'send' || s.step === 'retry');
    // a hold (a first run's, or while another run pays the file) is the console's to word: this page
    // goes on by itself when it ends
    const holding = s.step === 'hold' && s.wait_until;
    // a hold whose time has passed (a review opened later, or a page left open unconfirmed) is
    // no longer "until" that time: Check again looks the payouts up and sends them
    const holdWords = (/** @type {number} */ until) => t(until <= Date.now() ? 'po_hold_ended' : confirmed ? 'po_holding' : 'po_holding_press', clockTime(until));
    const say = () => {
      const said = blocked
        ? (s.pending + s.failed === 1 ? t('po_blocked_one') : t('po_blocked_many', s.pending + s.failed))
        : holding ? holdWords(Date.parse(/** @type {string} */ (s.wait_until))) : sentence(s.next);
      return s.stopped ? `${t('po_stopped', s.stopped)} ${said}` : said;
    };
    next.textContent = say();
    // the engine's sentence is Go's, in English: marked so, also inside a right-to-left page
    if (!blocked && !holding && currentLocale() !== 'en') { next.lang = 'en'; next.dir = 'ltr'; } else { next.removeAttribute('lang'); next.removeAttribute('dir'); }
    next.className = `notice ${s.done ? 'ok' : holding ? 'info' : s.in_flight || s.ambiguous || s.stopped || blocked ? 'warn' : 'info'}`;
    next.dataset.next = s.next;
    next.dataset.step = s.step;
    // before the first send, the review and its Confirm button are the instruction
    next.hidden = !state.running && !started(st) && s.step === 'send' && !off;
    // What the person can do now: send/resume while the engine has work; check again once the
    // in-flight rows may be settled; retry rows the API refused. Nonces off: look up only.
    const work = off ? s.step === 'reconcile' : !s.done && (st.more || s.pending > 0 || s.unknown > 0);
    send.hidden = state.running ? false : !work;
    resumeHint.hidden = send.hidden || !started(st) || off;
    if (!state.running) send.textContent = off ? t('po_look_up_unknown') : started(st) ? t('po_resume') : n === 1 ? t('po_confirm_one') : t('po_confirm_many', n);
    retry.hidden = state.running || !s.failed || off;
    clearInterval(waitTimer);
    check.hidden = state.running || !s.in_flight;
    if (!check.hidden && s.wait_until) {
      const until = Date.parse(s.wait_until);
      check.dataset.until = String(until);
      const tick = () => {
        const left = Math.ceil((until - Date.now()) / 1000);
        check.disabled = left > 0;
        check.textContent = left > 0 ? t('rcn_check_again_at', clockTime(until), left) : t('rcn_check_again');
        if (left <= 0) {
          clearInterval(waitTimer);
          // the person confirmed this run on this page: its hold ends in the look-up and the send;
          // else the notice says the hold is over and what to press
          if (holding && confirmed && !state.running && ours()) run(false);
          else if (holding && !state.running) next.textContent = say();
        }
      };
      tick();
      waitTimer = setInterval(tick, 1000);
    }
    if (url) URL.revokeObjectURL(url);
    url = showResults(results, st);
  };

  /** Steps while the engine says more. @param {boolean} retryFailed */
  const run = async (retryFailed) => {
    if (state.running || !ours()) return;
    state.running = true;
    state.stop = false;
    replace(problem);
    for (const b of [check, retry]) b.hidden = true;
    send.disabled = true;
    send.setAttribute('aria-busy', 'true');
    send.textContent = off ? t('po_looking_up') : t('mf_sending');
    // in view before the first step's answer, so its live text is announced
    progressWrap.hidden = false;
    stop.hidden = false;
    stop.disabled = false;
    /** @type {PayoutRun|undefined} */
    let st;
    try {
      let firstStep = true;
      do {
        st = await backend.payoutStep(f.text, { ...f.opts, batch: BATCH, session, ...(firstStep && retryFailed ? { retryFailed: true } : {}) });
        firstStep = false;
        update(st);
        // nonces off: only look-ups (unsettled rows are always reconciled before anything is sent)
      } while (st.more && !state.stop && ours() && (!off || st.summary.step === 'reconcile'));
      ctx.announce(st.summary.done ? t('po_finished', progressLine(st.summary)) : st.summary.step === 'hold' ? next.textContent ?? '' : t('po_stopped_next', st.summary.next));
    } catch (e) {
      const be = toBridgeError(e);
      replace(problem, errorBox(e, be.code === 'outcome_unknown'
        ? { hint: t('po_press_resume') }
        : {}));
      ctx.announce(t('po_sending_stopped', be.message));
      st = await backend.payoutStatus(f.text, f.opts).catch(() => undefined);
    } finally {
      state.running = false;
      state.idle();
      stop.hidden = true;
      send.disabled = false;
      send.removeAttribute('aria-busy');
      if (st) update(st);
      else send.textContent = t('po_resume');
      ctx.refreshOps?.();
    }
  };
  // A press of Confirm, Resume or Retry starts a session: its first step that would send looks the
  // file up and holds it first (another run of the file may have a batch on its way); the end of a
  // hold and Check again go on in the same session.
  const newSession = () => { session = `ps_${crypto.randomUUID()}`; };
  send.addEventListener('click', () => { confirmed = true; newSession(); run(false); });
  check.addEventListener('click', () => { if (!session) newSession(); run(false); });
  retry.addEventListener('click', () => { confirmed = true; newSession(); run(true); });
  stop.addEventListener('click', () => {
    state.stop = true;
    // a hold the run stops in no longer ends in the send by itself: the person presses again
    confirmed = false;
    stop.disabled = true;
    ctx.announce(t('po_stopping'));
  });
  update(first);
  return { section, dispose };
}

/**
 * The rows and the results download; returns the download's object URL (revoke it).
 * @param {HTMLElement} out @param {PayoutRun} st
 */
function showResults(out, st) {
  const url = URL.createObjectURL(new Blob([st.resultsCsv], { type: 'text/csv' }));
  const download = h('a', { href: url, download: `payout-results-${st.sha256.slice(0, 8)}.csv`, class: 'button secondary', 'data-action': 'download-results' }, t('po_download_results'));
  const rows = st.rows;
  replace(out,
    table({
      caption: t('po_rows_caption'),
      columns: [{ label: t('po_line'), num: true }, { label: t('rc_address') }, { label: t('rc_amount'), num: true }, { label: t('sd_currency') }, { label: t('po_memo') }, { label: t('ov_status') }, { label: t('po_withdrawal_reason') }],
      rows: rows.slice(0, SHOWN).map((r) => [
        String(r.line),
        h('code', { class: 'address', dir: 'ltr' }, r.address),
        formatAmount(r.amount, r.currency),
        r.currency,
        r.memo ?? '',
        h('span', { class: `row-${r.state}`, dataset: { state: r.state, line: String(r.line) } }, rowState(r)),
        // no withdrawal yet and no reason: a dash, not a label beside nothing
        r.withdrawal_id ? h('code', { dir: 'ltr' }, r.withdrawal_id) : (r.state === 'in_flight' || r.state === 'pending' ? '' : (r.error ?? '')) || '—',
      ]),
    }),
    rows.length > SHOWN ? h('p', { class: 'hint' }, t('po_and_more', rows.length - SHOWN)) : null,
    h('div', { class: 'actions' }, download));
  return url;
}
