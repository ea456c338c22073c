// History and statements: the store's payments and payouts for a date range, read from the API
// by core's statement (the same one as 'wallexkit statement': get_tx_ids, get_tx_info_multi by
// 25, get_tx_info full=1 once per payment, get_withdrawal_history), with totals per coin and per
// pricing currency; filters by kind, status and coin; search by invoice, id, address or note;
// pages of 25; a detail view; the statement as CSV (exact amounts, defused cells: Go's).

import { h, replace } from '../dom.js';
import { field, errorBox, table, dl, screenHeading, formatTime, busy, focusOn, ltr } from '../ui.js';
import { formatAmount } from '../lib/money.js';
import { loadCoins } from '../coins.js';
import { paymentLabel, withdrawalLabel } from '../lib/status.js';
import { t, tParts, currentLocale } from '../lib/i18n.js';

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

const STATES = () => [
  { value: '', label: t('hi_any_status') },
  { value: 'payment:paid', label: t('hi_payments_paid') },
  { value: 'payment:pending', label: t('hi_payments_waiting') },
  { value: 'payment:failed', label: t('hi_payments_failed') },
  { value: 'payout:complete', label: t('hi_payouts_complete') },
  { value: 'payout:pending', label: t('hi_payouts_pending') },
  { value: 'payout:cancelled', label: t('hi_payouts_cancelled') },
];

/** @type {import('../app.js').Screen} */
export default {
  id: 'history',
  get title() { return t('nav_history'); },
  needsSession: true,
  render(ctx) {
    const today = new Date();
    const from = field({ label: t('sd_from'), name: 'histFrom', type: 'date', value: dateInput(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 30)), required: true });
    const to = field({ label: t('sd_to'), name: 'histTo', type: 'date', value: dateInput(today), required: true, hint: t('hi_days_hint') });
    const show = h('button', { type: 'submit' }, t('hi_show_button'));
    const rangeForm = h('form', { class: 'inline-form', novalidate: true }, from.wrap, to.wrap, show);
    const out = h('div', { class: 'stack', 'aria-live': 'polite' });
    const root = h('section', { class: 'screen' },
      screenHeading(t('hi_title')),
      h('p', { class: 'hint' }, t('hi_intro')),
      h('section', { 'aria-labelledby': 'hi-range' }, h('h3', { id: 'hi-range' }, t('hi_date_range')), rangeForm, out));

    /** @type {Map<string, object>} */
    let cache = detailsCache.get(ctx.backend);
    if (!cache) detailsCache.set(ctx.backend, (cache = new Map()));
    const store = ctx.backend.storeId?.() ?? '';

    const load = async () => {
      const fromMs = localDay(from.input.value);
      const toMs = localDay(to.input.value) + 86_400_000;
      if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) {
        replace(out, errorBox({ code: 'invalid_input', message: t('hi_choose_days'), retryable: false }));
        return;
      }
      replace(out, h('p', { class: 'loading', role: 'status' }, t('hi_reading')));
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
      busy(show, load, t('hi_reading_short'));
    });
    load();
    return root;
  },
};

/** @param {Row} r */
function searchText(r) {
  return [r.id, r.invoice, r.address, r.txid, r.note, r.item_name, r.custom].filter(Boolean).join('\n').toLowerCase();
}

/**
 * The detail's status: the list's words (core's), and the API's own text beside them in English
 * when it says more, as the payment page does ("Complete — …").
 * @param {Row} r
 */
function currentStatus(r) {
  const label = rowLabel(r);
  return currentLocale() === 'en' && r.status_text && r.status_text !== label ? `${label} — ${r.status_text}` : label;
}

/** A row's status in the words Receive, the payment page and Send use (core's). @param {Row} r */
function rowLabel(r) {
  return r.kind === 'payment' ? paymentLabel(Number(r.status)) : withdrawalLabel(Number(r.status));
}

/**
 * @param {Ctx} ctx @param {Statement} st @param {string} fromDay @param {string} toDay
 */
function statementView(ctx, st, fromDay, toDay) {
  // nothing in the range: one message and the next step (no filters, pager or empty CSV for nothing)
  if (!st.rows.length) {
    return h('div', { class: 'stack', dataset: { rows: '0' } }, h('p', { class: 'empty' }, t('hi_none_in_range')),
      h('p', { class: 'hint' }, ...tParts('hi_none_in_range_next', h('a', { href: '#receive' }, t('nav_receive')))));
  }
  const coins = [...new Set(st.rows.map((r) => r.coin))].sort();
  const kind = field({ label: t('hi_show'), name: 'histKind', type: 'select', options: [{ value: '', label: t('hi_payments_and_payouts') }, { value: 'payment', label: t('hi_payments') }, { value: 'payout', label: t('po_payouts') }], value: '' });
  const state = field({ label: t('ov_status'), name: 'histState', type: 'select', options: STATES(), value: '' });
  const coin = field({ label: t('ov_coin'), name: 'histCoin', type: 'select', options: [{ value: '', label: t('hi_any_coin') }, ...coins.map((c) => ({ value: c, label: c }))], value: '' });
  const search = field({ label: t('hi_search'), name: 'histSearch', type: 'search', hint: t('hi_search_hint') });
  const filters = h('form', { class: 'inline-form filters', role: 'search', novalidate: true }, kind.wrap, state.wrap, coin.wrap, search.wrap);
  filters.addEventListener('submit', (e) => e.preventDefault());
  const count = h('p', { class: 'hint', id: 'hi-count', role: 'status' });
  const list = h('div');
  const detail = h('div', { id: 'hi-detail' });
  const prev = h('button', { type: 'button', class: 'secondary', 'data-action': 'prev-page' }, t('hi_previous'));
  const next = h('button', { type: 'button', class: 'secondary', 'data-action': 'next-page' }, t('hi_next'));
  const pager = h('div', { class: 'actions pager' }, prev, next);
  let page = 0;

  const url = URL.createObjectURL(new Blob([st.csv], { type: 'text/csv' }));
  ctx.onDispose(() => URL.revokeObjectURL(url));
  const download = h('a', { href: url, download: `statement-${fromDay}-to-${toDay}.csv`, class: 'button secondary', 'data-action': 'download-statement' }, t('hi_download'));

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
      [r.kind === 'payment' ? t('pm_title') : t('po_withdrawal'), h('code', { dir: 'ltr' }, r.id)],
      [t('rc_created_col'), formatTime(r.time)],
      [t('ov_status'), currentStatus(r)],
      [t('rc_amount'), ltr(`${formatAmount(r.amount, r.coin)} ${r.coin}`)],
    ];
    if (r.kind === 'payment') pairs.push([t('rc_received'), ltr(`${formatAmount(r.received ?? '0', r.coin)} ${r.coin}`)]);
    if (r.price && r.price_currency) pairs.push([t('rc_price'), ltr(`${formatAmount(r.price, r.price_currency)} ${r.price_currency}`)]);
    if (r.fiat_value && r.fiat_currency) pairs.push([t('hi_value_then'), ltr(`${formatAmount(r.fiat_value, r.fiat_currency, { fiat: true })} ${r.fiat_currency}`)]);
    for (const [k, label] of /** @type {const} */ ([['invoice', 'pm_invoice'], ['item_name', 'rc_item'], ['item_number', 'hi_item_number'], ['custom', 'hi_custom'], ['buyer_email', 'pm_buyer'], ['note', 'sd_note']])) {
      if (r[k]) pairs.push([t(label), h('bdi', null, String(r[k]))]);
    }
    pairs.push([r.kind === 'payment' ? t('hi_payment_address') : t('hi_sent_to'), h('code', { class: 'address', dir: 'ltr' }, r.address)]);
    if (r.txid) pairs.push([t('hi_chain_tx'), h('code', { class: 'address', dir: 'ltr' }, r.txid)]);
    const close = h('button', { type: 'button', class: 'secondary' }, t('hi_close'));
    const heading = h('h3', { id: 'hi-detail-h', tabindex: '-1' }, r.kind === 'payment' ? t('hi_payment_details') : t('hi_payout_details'));
    replace(detail, h('section', { class: 'card', 'aria-labelledby': 'hi-detail-h', dataset: { id: r.id } },
      heading, dl(pairs),
      h('div', { class: 'actions' },
        r.kind === 'payment' ? h('a', { href: `#payment?txn=${encodeURIComponent(r.id)}`, class: 'button secondary' }, t('hi_open_payment')) : null,
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
    count.textContent = !rows.length ? t('hi_no_rows')
      : rows.length !== st.rows.length ? t('hi_rows_of_range', page * PAGE + 1, page * PAGE + shown.length, rows.length, st.rows.length)
        : t('hi_rows_of', page * PAGE + 1, page * PAGE + shown.length, rows.length);
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    pager.hidden = pages <= 1;
    replace(list, table({
      caption: t('hi_payments_and_payouts'),
      captionHidden: true,
      columns: [{ label: t('rc_created_col') }, { label: t('hi_kind') }, { label: t('sd_id') }, { label: t('rc_amount'), num: true }, { label: t('ov_status') }, { label: t('hi_invoice_note') }],
      rows: shown.map((r) => {
        const open = h('button', { type: 'button', class: 'link', dir: 'ltr', dataset: { row: r.id } }, r.id);
        open.addEventListener('click', () => showDetail(r));
        return [formatTime(r.time), r.kind === 'payment' ? t('hi_kind_payment') : t('hi_kind_payout'), open, `${formatAmount(r.amount, r.coin)} ${r.coin}`,
          h('span', { class: `state-${r.state}`, dataset: { state: r.state } }, rowLabel(r)), r.invoice || r.note || ''];
      }),
      empty: t('hi_none_match'),
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
    h('section', { 'aria-labelledby': 'hi-list' }, h('h3', { id: 'hi-list' }, t('hi_payments_and_payouts')), filters, count, list, pager),
    detail);
}

/** Totals per coin and per pricing currency: the statement's own (Go's exact sums). @param {Statement} st */
function totalsView(st) {
  return h('section', { 'aria-labelledby': 'hi-totals', class: 'totals' },
    h('h3', { id: 'hi-totals' }, st.rows.length === 1 ? t('hi_totals_one') : t('hi_totals_many', st.rows.length)),
    table({
      caption: t('hi_totals_caption'),
      captionHidden: true,
      columns: [{ label: t('ov_coin') }, { label: t('hi_payments_paid'), num: true }, { label: t('hi_payouts_sent'), num: true }, { label: t('hi_payouts_pending'), num: true }, { label: t('hi_net'), num: true }],
      rows: st.totals.map((x) => [x.coin,
        `${formatAmount(x.payments_paid, x.coin)} (${x.paid_count})`,
        `${formatAmount(x.payouts_sent, x.coin)} (${x.sent_count})`,
        `${formatAmount(x.payouts_pending, x.coin)} (${x.pending_count})`,
        h('strong', { dir: 'ltr' }, formatAmount(x.net, x.coin))]),
    }),
    h('p', { class: 'hint' }, t('hi_totals_explained')),
    st.prices.length ? h('p', { class: 'hint' }, t('hi_paid_at_prices'), ' ',
      st.prices.map((p) => h('bdi', { dir: 'ltr' }, `${formatAmount(p.paid, p.currency)} ${p.currency} (${p.count})`)).flatMap((x, i) => (i ? [t('list_sep'), x] : [x])), t('full_stop')) : null);
}
