// One payment: #payment?txn=ID[&store=STORE]. Opened from a "Paid" notification (in a tab), from
// the list of paid payments on the Overview and from the history. A link that names another
// store switches to it first. Its status words and paid/failed rule are core's (status.js).

import { h, replace } from '../dom.js';
import { errorBox, dl, screenHeading, formatTime, copyButton, ltr } from '../ui.js';
import { formatAmount } from '../lib/money.js';
import { paymentState, paymentLabel } from '../lib/status.js';
import { loadCoins } from '../coins.js';
import { t, tParts } from '../lib/i18n.js';

/** @typedef {import('../app.js').Ctx} Ctx */

/** The hash's parameters (#payment?txn=…&store=…). */
export function hashParams() {
  const q = location.hash.split('?')[1] ?? '';
  return new URLSearchParams(q);
}

/** @type {import('../app.js').Screen} */
export default {
  id: 'payment',
  get title() { return t('nav_payment'); },
  needsSession: true,
  nav: false,
  render(ctx) {
    const params = hashParams();
    const txn = params.get('txn') ?? '';
    const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, t('pm_loading')));
    const heading = screenHeading(t('pm_title'));
    const root = h('section', { class: 'screen' }, heading, body);
    (async () => {
      const want = params.get('store');
      if (want && want !== ctx.backend.storeId?.()) {
        // the link names another store: show the payment there
        await ctx.backend.switchStore(want);
        await ctx.refreshSession();
      }
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(txn)) throw { code: 'invalid_input', message: t('pm_no_payment'), retryable: false };
      // the rates say which currencies are fiat (their prices show 2 places): read with the payment
      const [info] = await Promise.all([ctx.backend.txInfo(txn, true), loadCoins(ctx.backend).catch(() => null)]);
      replace(body, details(ctx, txn, info));
      replace(heading, tParts('rc_payment_heading', h('code', { dir: 'ltr' }, txn)));
      ctx.backend.setAlerts?.({ seen: txn }).catch(() => {});
    })().catch((e) => replace(body, errorBox(e))).finally(() => body.removeAttribute('aria-busy'));
    return root;
  },
};

/**
 * @param {Ctx} ctx @param {string} txn
 * @param {import('../backend.js').TxInfo & {checkout?: Record<string, any>}} info
 */
export function details(ctx, txn, info) {
  const ck = info.checkout ?? {};
  const state = paymentState(Number(info.status));
  const label = paymentLabel(Number(info.status));
  const paid = state === 'paid';
  /** @type {[string, string|Node][]} */
  const pairs = [
    [t('connect_store'), ctx.session?.storeName ?? ''],
    [t('ov_status'), h('strong', { class: `state-${state}`, dataset: { state } }, info.status_text && info.status_text !== label ? `${label} — ${info.status_text}` : label)],
  ];
  if (ck.amountf && ck.currency) pairs.push([t('rc_price'), ltr(`${formatAmount(String(ck.amountf), ck.currency)} ${ck.currency}`)]);
  pairs.push([t('rc_amount'), ltr(`${formatAmount(info.amount, info.coin)} ${info.coin}`)]);
  pairs.push([t('rc_received'), ltr(`${formatAmount(info.received || '0', info.coin)} ${info.coin}`)]);
  if (ck.item_name) pairs.push([t('rc_item'), String(ck.item_name)]);
  if (ck.invoice) pairs.push([t('pm_invoice'), String(ck.invoice)]);
  if (ck.buyer_email) pairs.push([t('pm_buyer'), ltr(String(ck.buyer_email))]);
  pairs.push([t('rc_address'), h('code', { class: 'address', dir: 'ltr' }, info.payment_address)]);
  pairs.push([t('rc_created_col'), formatTime(info.time_created)]);
  if (!paid) pairs.push([t('pm_expires'), formatTime(info.time_expires)]);
  return h('div', { class: 'stack', dataset: { txn, state } },
    h('div', { class: `notice ${paid ? 'ok' : state === 'failed' ? 'warn' : 'info'}`, role: 'status' },
      paid ? t('pm_paid') : state === 'failed' ? t('pm_not_paid') : t('pm_waiting')),
    dl(pairs),
    h('div', { class: 'actions' }, copyButton(() => txn, t('pm_copy_id'), ctx.announce)));
}
