// History and statements: the store's payments and payouts for a date range, read from the API
// by core's statement (the same one as 'wallexkit statement': get_tx_ids, get_tx_info_multi by
// 25, get_tx_info full=1 once per payment, get_withdrawal_history), with totals per coin and per
// pricing currency; filters by kind, status and coin; search by invoice, id, address or note;
// pages of 25; a detail view; the statement as CSV (exact amounts, defused cells: Go's).

import { h, replace } from '../dom.js';
import { field, errorBox, table, dl, screenHeading, formatTime, busy, focusOn } from '../ui.js';
import { formatAmount } from '../lib/money.js';
import { loadCoins } from '../coins.js';

/** @typedef {import('../app.js').Ctx} Ctx */
/** @typedef {import('../../wasm/bridge/wallexkit').Statement} Statement */
/** @typedef {import('../../wasm/bridge/wallexkit').StatementRow} Row */

export const PAGE = 25;

/** Payment details already fetched, per backend and store (they never change once a payment exists). */
const detailsCache = new WeakMap();

/** @param {Date} d */
function dateInput(d) {
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Local midnight of a YYYY-MM-DD (NaN when unreadable). @param {string} v */
function localDay(v) {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(v);
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime() : NaN;
}

const STATES = [
  { value: '', label: 'Any status' },
  { value: 'payment:paid', label: 'Payments paid' },
  { value: 'payment:pending', label: 'Payments waiting' },
  { value: 'payment:failed', label: 'Payments cancelled or expired' },
  { value: 'payout:complete', label: 'Payouts complete' },
  { value: 'payout:pending', label: 'Payouts pending' },
  { value: 'payout:cancelled', label: 'Payouts cancelled' },
];

/** @type {import('../app.js').Screen} */
export default {
  id: 'history',
  title: 'History',
  needsSession: true,
  render(ctx) {
    const today = new Date();
    const from = field({ label: 'From', name: 'histFrom', type: 'date', value: dateInput(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 30)), required: true });
    const to = field({ label: 'To', name: 'histTo', type: 'date', value: dateInput(today), required: true, hint: 'Both days included, in this computer’s time zone.' });
    const show = h('button', { type: 'submit' }, 'Show');
    const rangeForm = h('form', { class: 'inline-form', novalidate: true }, from.wrap, to.wrap, show);
    const out = h('div', { class: 'stack', 'aria-live': 'polite' });
    const root = h('section', { class: 'screen' },
      screenHeading('History'),
      h('p', { class: 'hint' }, 'Payments and payouts of this store, from Wallex Pay itself. Only reads: nothing is sent.'),
      h('section', { 'aria-labelledby': 'hi-range' }, h('h3', { id: 'hi-range' }, 'Date range'), rangeForm, out));

    /** @type {Map<string, object>} */
    let cache = detailsCache.get(ctx.backend);
    if (!cache) detailsCache.set(ctx.backend, (cache = new Map()));
    const store = ctx.backend.storeId?.() ?? '';

    const load = async () => {
      const fromMs = localDay(from.input.value);
      const toMs = localDay(to.input.value) + 86_400_000;
      if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) {
        replace(out, errorBox({ code: 'invalid_input', message: 'Choose a start and an end day.', retryable: false }));
        return;
      }
      replace(out, h('p', { class: 'loading', role: 'status' }, 'Reading the history…'));
      out.setAttribute('aria-busy', 'true');
      try {
        // the rates say which price currencies are fiat (2 places): read alongside
        const [st] = await Promise.all([ctx.backend.statement({ fromMs, toMs, details: /** @type {any} */ (cache.get(store)) }), loadCoins(ctx.backend).catch(() => null)]);
        cache.set(store, { ...(/** @type {any} */ (cache.get(store)) ?? {}), ...st.details });
        replace(out, statementView(ctx, st, from.input.value, to.input.value));
      } catch (e) {
        replace(out, errorBox(e));
      } finally {
        out.removeAttribute('aria-busy');
      }
    };
    rangeForm.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(show, load, 'Reading…');
    });
    load();
    return root;
  },
};

/** @param {Row} r */
function searchText(r) {
  return [r.id, r.invoice, r.address, r.txid, r.note, r.item_name, r.custom].filter(Boolean).join('\n').toLowerCase();
}

/** @param {Row} r */
function stateWords(r) {
  if (r.kind === 'payment') return r.state === 'paid' ? 'paid' : r.state === 'failed' ? 'cancelled / expired' : 'waiting';
  return r.state === 'complete' ? 'complete' : r.state === 'cancelled' ? 'cancelled' : 'pending';
}

/**
 * @param {Ctx} ctx @param {Statement} st @param {string} fromDay @param {string} toDay
 */
function statementView(ctx, st, fromDay, toDay) {
  const coins = [...new Set(st.rows.map((r) => r.coin))].sort();
  const kind = field({ label: 'Show', name: 'histKind', type: 'select', options: [{ value: '', label: 'Payments and payouts' }, { value: 'payment', label: 'Payments' }, { value: 'payout', label: 'Payouts' }], value: '' });
  const state = field({ label: 'Status', name: 'histState', type: 'select', options: STATES, value: '' });
  const coin = field({ label: 'Coin', name: 'histCoin', type: 'select', options: [{ value: '', label: 'Any coin' }, ...coins.map((c) => ({ value: c, label: c }))], value: '' });
  const search = field({ label: 'Search', name: 'histSearch', type: 'search', hint: 'An invoice, a payment or withdrawal ID, an address or a note.' });
  const filters = h('form', { class: 'inline-form filters', role: 'search', novalidate: true }, kind.wrap, state.wrap, coin.wrap, search.wrap);
  filters.addEventListener('submit', (e) => e.preventDefault());
  const count = h('p', { class: 'hint', id: 'hi-count', role: 'status' });
  const list = h('div');
  const detail = h('div', { id: 'hi-detail' });
  const prev = h('button', { type: 'button', class: 'secondary', 'data-action': 'prev-page' }, 'Previous');
  const next = h('button', { type: 'button', class: 'secondary', 'data-action': 'next-page' }, 'Next');
  const pager = h('div', { class: 'actions pager' }, prev, next);
  let page = 0;

  const url = URL.createObjectURL(new Blob([st.csv], { type: 'text/csv' }));
  ctx.onDispose(() => URL.revokeObjectURL(url));
  const download = h('a', { href: url, download: `statement-${fromDay}-to-${toDay}.csv`, class: 'button secondary', 'data-action': 'download-statement' }, 'Download statement (CSV)');

  const filtered = () => {
    const q = search.input.value.trim().toLowerCase();
    const [sk, ss] = state.input.value.split(':');
    return st.rows.filter((r) => (!kind.input.value || r.kind === kind.input.value)
      && (!state.input.value || (r.kind === sk && r.state === ss))
      && (!coin.input.value || r.coin === coin.input.value)
      && (!q || searchText(r).includes(q)));
  };

  /** @param {Row} r */
  const showDetail = (r) => {
    /** @type {[string, string|Node][]} */
    const pairs = [
      [r.kind === 'payment' ? 'Payment' : 'Withdrawal', h('code', null, r.id)],
      ['Created', formatTime(r.time)],
      ['Status', `${r.status_text} (${stateWords(r)})`],
      ['Amount', `${formatAmount(r.amount, r.coin)} ${r.coin}`],
    ];
    if (r.kind === 'payment') pairs.push(['Received', `${formatAmount(r.received ?? '0', r.coin)} ${r.coin}`]);
    if (r.price && r.price_currency) pairs.push(['Price', `${formatAmount(r.price, r.price_currency)} ${r.price_currency}`]);
    if (r.fiat_value && r.fiat_currency) pairs.push(['Value then', `${formatAmount(r.fiat_value, r.fiat_currency, { fiat: true })} ${r.fiat_currency}`]);
    for (const [k, label] of /** @type {const} */ ([['invoice', 'Invoice'], ['item_name', 'Item'], ['item_number', 'Item number'], ['custom', 'Custom'], ['buyer_email', 'Buyer'], ['note', 'Note']])) {
      if (r[k]) pairs.push([label, String(r[k])]);
    }
    pairs.push([r.kind === 'payment' ? 'Payment address' : 'Sent to', h('code', { class: 'address' }, r.address)]);
    if (r.txid) pairs.push(['Chain transaction', h('code', { class: 'address' }, r.txid)]);
    const close = h('button', { type: 'button', class: 'secondary' }, 'Close');
    const heading = h('h3', { id: 'hi-detail-h', tabindex: '-1' }, r.kind === 'payment' ? 'Payment details' : 'Payout details');
    replace(detail, h('section', { class: 'card', 'aria-labelledby': 'hi-detail-h', dataset: { id: r.id } },
      heading, dl(pairs),
      h('div', { class: 'actions' },
        r.kind === 'payment' ? h('a', { href: `#payment?txn=${encodeURIComponent(r.id)}`, class: 'button secondary' }, 'Open the payment (live status)') : null,
        close)));
    close.addEventListener('click', () => {
      replace(detail);
      /** @type {HTMLElement|null} */ (list.querySelector(`[data-row="${CSS.escape(r.id)}"]`))?.focus();
    });
    heading.focus();
  };

  const draw = () => {
    const rows = filtered();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    page = Math.min(page, pages - 1);
    const shown = rows.slice(page * PAGE, page * PAGE + PAGE);
    count.textContent = rows.length
      ? `Rows ${page * PAGE + 1}–${page * PAGE + shown.length} of ${rows.length}${rows.length !== st.rows.length ? ` (of ${st.rows.length} in the range)` : ''}.`
      : 'No rows match.';
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    pager.hidden = pages <= 1;
    replace(list, table({
      caption: 'Payments and payouts',
      captionHidden: true,
      columns: [{ label: 'Created' }, { label: 'Kind' }, { label: 'ID' }, { label: 'Amount', num: true }, { label: 'Status' }, { label: 'Invoice / note' }],
      rows: shown.map((r) => {
        const open = h('button', { type: 'button', class: 'link', dataset: { row: r.id } }, r.id);
        open.addEventListener('click', () => showDetail(r));
        return [formatTime(r.time), r.kind === 'payment' ? 'payment' : 'payout', open, `${formatAmount(r.amount, r.coin)} ${r.coin}`,
          h('span', { class: `state-${r.state}`, dataset: { state: r.state } }, stateWords(r)), r.invoice || r.note || ''];
      }),
      empty: 'No payments or payouts match.',
    }));
  };
  for (const f of [kind, state, coin]) f.input.addEventListener('change', () => { page = 0; draw(); });
  search.input.addEventListener('input', () => { page = 0; draw(); });
  // a pager button that turns disabled drops focus: it goes to the row count instead
  prev.addEventListener('click', () => { page--; draw(); if (prev.disabled) focusOn(count); });
  next.addEventListener('click', () => { page++; draw(); if (next.disabled) focusOn(count); });
  draw();

  return h('div', { class: 'stack', dataset: { rows: String(st.rows.length) } },
    totalsView(st),
    h('div', { class: 'actions' }, download),
    h('section', { 'aria-labelledby': 'hi-list' }, h('h3', { id: 'hi-list' }, 'Payments and payouts'), filters, count, list, pager),
    detail);
}

/** Totals per coin and per pricing currency: the statement's own (Go's exact sums). @param {Statement} st */
function totalsView(st) {
  if (!st.rows.length) return h('p', { class: 'empty' }, 'No payments or payouts in this range.');
  return h('section', { 'aria-labelledby': 'hi-totals', class: 'totals' },
    h('h3', { id: 'hi-totals' }, `Totals: ${st.rows.length} rows`),
    table({
      caption: 'Totals per coin',
      captionHidden: true,
      columns: [{ label: 'Coin' }, { label: 'Payments paid', num: true }, { label: 'Payouts sent', num: true }, { label: 'Payouts pending', num: true }, { label: 'Net', num: true }],
      rows: st.totals.map((t) => [t.coin,
        `${formatAmount(t.payments_paid, t.coin)} (${t.paid_count})`,
        `${formatAmount(t.payouts_sent, t.coin)} (${t.sent_count})`,
        `${formatAmount(t.payouts_pending, t.coin)} (${t.pending_count})`,
        h('strong', null, formatAmount(t.net, t.coin))]),
    }),
    st.prices.length ? h('p', { class: 'hint' }, 'Paid, at the prices the payments were created with: ',
      st.prices.map((p) => `${formatAmount(p.paid, p.currency)} ${p.currency} (${p.count})`).join(', '), '.') : null);
}
