// Send: the unsettled operations (money requests of unknown outcome, with Reconcile), then
// withdrawal to an address, transfer to a merchant, conversion — each behind a review step —
// and the withdrawal history.

import { h, replace } from '../dom.js';
import { field, setFieldError, errorBox, table, screenHeading, notice, formatTime, noNonceWarning, noncesOff, ltr } from '../ui.js';
import { formatAmount, parseUnits, formatUnits, AmountError } from '../lib/money.js';
import { withdrawalLabel } from '../lib/status.js';
import { loadCoins, truthy, coinOptions } from '../coins.js';
import { moneyFlow } from '../money-flow.js';
import { unsettledOps } from '../ops-view.js';
import { t, currentLocale } from '../lib/i18n.js';

/** @typedef {import('../app.js').Ctx} Ctx */

/** @type {import('../app.js').Screen} */
export default {
  id: 'send',
  get title() { return t('nav_send'); },
  needsSession: true,
  render(ctx) {
    const history = h('div', { 'aria-live': 'polite' });
    const refresh = () => loadHistory(ctx, history);
    const unsettled = unsettledOps(ctx);
    // with nonces off the core refuses money (moneyNeedsNonces): no form offers to send
    const sending = !noncesOff(ctx);
    const root = h('section', { class: 'screen' },
      screenHeading(t('sd_title')),
      noNonceWarning(ctx),
      unsettled.el,
      sending ? withdrawalSection(ctx, refresh) : null,
      sending ? transferSection(ctx, refresh) : null,
      sending ? convertSection(ctx) : null,
      h('section', { 'aria-labelledby': 'sd-history' },
        h('h3', { id: 'sd-history' }, t('sd_history')),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: refresh }, t('sd_refresh_history'))),
        history));
    refresh();
    unsettled.reload();
    return root;
  },
};

/**
 * Validates an amount field; returns the normalised text or '' after showing the error.
 * @param {ReturnType<typeof field>} f
 */
function amountOf(f) {
  try {
    return formatUnits(parseUnits(f.input.value, { positive: true }));
  } catch (e) {
    if (!(e instanceof AmountError)) throw e;
    setFieldError(f, t('rc_amount_error', e.message));
    f.input.focus();
    return '';
  }
}

/** @param {ReturnType<typeof field>} sel @param {Ctx} ctx @param {string} def @param {boolean} [fiat] */
function fillCoins(sel, ctx, def, fiat = false) {
  loadCoins(ctx.backend).then((coins) => {
    const list = fiat ? coins : coins.filter((c) => !truthy(c.is_fiat));
    replace(sel.input, coinOptions(list, def).map((o) => h('option', { value: o.value, selected: o.selected }, o.label)));
  }).catch(() => {});
}

/** @param {Ctx} ctx @param {() => void} after */
function withdrawalSection(ctx, after) {
  const amount = field({ label: t('rc_amount'), name: 'wdAmount', required: true, inputmode: 'decimal', attrs: { dir: 'ltr' } });
  const currency = field({ label: t('sd_currency'), name: 'wdCurrency', type: 'select', required: true, options: [{ value: 'BTC', label: 'BTC' }], value: 'BTC' });
  const address = field({ label: t('sd_dest_address'), name: 'wdAddress', required: true, autocomplete: 'off', attrs: { dir: 'ltr' } });
  const note = field({ label: t('sd_note'), name: 'wdNote', hint: t('sd_note_hint') });
  const auto = field({ label: t('sd_skip_email'), name: 'wdAuto', type: 'checkbox', hint: t('sd_skip_email_hint') });
  fillCoins(currency, ctx, 'BTC');
  const form = h('form', { class: 'grid-form', novalidate: true },
    amount.wrap, currency.wrap, address.wrap, note.wrap, auto.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('sd_review_withdrawal'))));
  const box = h('div');
  moneyFlow(ctx, {
    name: t('op_withdrawal'),
    form,
    box,
    async prepare() {
      for (const f of [amount, address, note]) setFieldError(f, '');
      replace(box);
      const amt = amountOf(amount);
      if (!amt) return null;
      const addr = address.input.value.trim();
      if (!addr) {
        setFieldError(address, t('sd_enter_address'));
        address.input.focus();
        return null;
      }
      if (/\s/.test(addr)) {
        setFieldError(address, t('sd_address_spaces'));
        address.input.focus();
        return null;
      }
      // core's check (format and checksum of the coin's addresses): a mistyped character is
      // caught here, before the money could go to an address nobody owns
      const chk = await ctx.backend.checkAddress(currency.input.value, addr);
      if (!chk.ok) {
        setFieldError(address, t('sd_address_bad', currency.input.value, chk.problem ?? t('sd_is_not_valid')));
        address.input.focus();
        return null;
      }
      // a note given none: core's reference (the CLI's too), by which reconcile tells it apart
      const n = note.input.value.trim() || await ctx.backend.newReference();
      const params = { amount: amt, currency: currency.input.value, address: addr, note: n, autoConfirm: auto.input.checked };
      // the coin's network fee (rates' tx_fee), as the CLI shows it: the API takes it out of the amount
      const fee = await loadCoins(ctx.backend).then((cs) => cs.find((c) => c.coin === params.currency)?.tx_fee, () => undefined);
      // the fee and what the address receives: core's rule (the fee taken out of the amount), never
      // arithmetic here; an amount the fee would eat is refused before anything is sent
      let split;
      try {
        split = await ctx.backend.withdrawalSplit({ amount: amt, fee: fee ?? '' });
      } catch (e) {
        setFieldError(amount, /** @type {any} */ (e)?.message ?? String(e));
        amount.input.focus();
        return null;
      }
      return {
        params,
        pairs: [
          [t('rc_amount'), h('strong', { class: 'review-amount', dir: 'ltr' }, `${formatAmount(amt, params.currency)} ${params.currency}`)],
          ...(split.fee && split.received ? /** @type {[string, Node][]} */ ([
            [t('ov_network_fee'), h('span', null, h('bdi', { dir: 'ltr' }, `${formatAmount(split.fee, params.currency)} ${params.currency}`), ' ', h('span', { class: 'hint' }, t('sd_fee_taken_out')))],
            [t('sd_address_receives'), h('bdi', { dir: 'ltr', class: 'review-received' }, `${formatAmount(split.received, params.currency)} ${params.currency}`)],
          ]) : []),
          [t('sd_currency'), params.currency],
          [t('sd_destination'), h('code', { class: 'address', dir: 'ltr' }, addr)],
          [t('sd_note'), n],
          [t('sd_email_confirmation'), params.autoConfirm ? t('sd_email_skipped') : t('sd_email_required')],
        ],
      };
    },
    value: (p) => ({ coin: p.currency, amount: p.amount }),
    send: (p, b) => b.createWithdrawal(p),
    done: (r, p) => notice(t('sd_withdrawal_done', r.id, withdrawalLabel(Number(r.status)), `${formatAmount(r.amount ?? p.amount, p.currency)} ${p.currency}`, p.address), 'ok'),
    after,
  });
  return h('section', { 'aria-labelledby': 'sd-wd' }, h('h3', { id: 'sd-wd' }, t('sd_withdraw_title')), form, box);
}

/** @param {Ctx} ctx @param {() => void} after */
function transferSection(ctx, after) {
  const amount = field({ label: t('rc_amount'), name: 'trAmount', required: true, inputmode: 'decimal', attrs: { dir: 'ltr' } });
  const currency = field({ label: t('sd_currency'), name: 'trCurrency', type: 'select', required: true, options: [{ value: 'BTC', label: 'BTC' }], value: 'BTC' });
  const merchant = field({ label: t('ov_merchant_id'), name: 'trMerchant', required: true, autocomplete: 'off', hint: t('sd_merchant_hint'), attrs: { dir: 'ltr' } });
  const auto = field({ label: t('sd_skip_email'), name: 'trAuto', type: 'checkbox' });
  fillCoins(currency, ctx, 'BTC');
  const form = h('form', { class: 'grid-form', novalidate: true },
    amount.wrap, currency.wrap, merchant.wrap, auto.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('sd_review_transfer'))));
  const box = h('div');
  moneyFlow(ctx, {
    name: t('op_transfer'),
    form,
    box,
    prepare() {
      for (const f of [amount, merchant]) setFieldError(f, '');
      const amt = amountOf(amount);
      if (!amt) return null;
      const m = merchant.input.value.trim();
      if (!/^[A-Za-z0-9_-]+$/.test(m)) {
        setFieldError(merchant, t('sd_enter_merchant'));
        merchant.input.focus();
        return null;
      }
      const params = { amount: amt, currency: currency.input.value, merchant: m, autoConfirm: auto.input.checked };
      return {
        params,
        pairs: [
          [t('rc_amount'), h('strong', { class: 'review-amount', dir: 'ltr' }, `${formatAmount(amt, params.currency)} ${params.currency}`)],
          [t('sd_currency'), params.currency],
          [t('sd_destination'), t('sd_dest_merchant', m)],
          [t('sd_email_confirmation'), params.autoConfirm ? t('sd_email_skipped') : t('sd_email_required')],
        ],
      };
    },
    value: (p) => ({ coin: p.currency, amount: p.amount }),
    send: (p, b) => b.createTransfer(p),
    done: (r, p) => notice(t(Number(r.status) === 1 ? 'sd_transfer_done_sent' : 'sd_transfer_done_awaiting', r.id, `${formatAmount(p.amount, p.currency)} ${p.currency}`, p.merchant), 'ok'),
    after,
  });
  return h('section', { 'aria-labelledby': 'sd-tr' }, h('h3', { id: 'sd-tr' }, t('sd_transfer_title')), form, box);
}

/** @param {Ctx} ctx */
function convertSection(ctx) {
  const amount = field({ label: t('rc_amount'), name: 'cvAmount', required: true, inputmode: 'decimal', attrs: { dir: 'ltr' } });
  const from = field({ label: t('sd_from'), name: 'cvFrom', type: 'select', required: true, options: [{ value: 'BTC', label: 'BTC' }], value: 'BTC' });
  const to = field({ label: t('sd_to'), name: 'cvTo', type: 'select', required: true, options: [{ value: 'LTC', label: 'LTC' }], value: 'LTC' });
  loadCoins(ctx.backend).then((coins) => {
    const list = coins.filter((c) => !truthy(c.is_fiat) && (c.can_convert === undefined || truthy(c.can_convert)));
    replace(from.input, coinOptions(list, 'BTC').map((o) => h('option', { value: o.value, selected: o.selected }, o.label)));
    replace(to.input, coinOptions(list, 'LTC').map((o) => h('option', { value: o.value, selected: o.selected }, o.label)));
  }).catch(() => {});
  const form = h('form', { class: 'grid-form', novalidate: true },
    amount.wrap, from.wrap, to.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('sd_review_conversion'))));
  const box = h('div');
  moneyFlow(ctx, {
    name: t('op_conversion'),
    form,
    box,
    confirmLabel: t('sd_confirm_convert'),
    prepare() {
      setFieldError(amount, '');
      setFieldError(to, '');
      const amt = amountOf(amount);
      if (!amt) return null;
      if (from.input.value === to.input.value) {
        setFieldError(to, t('sd_pick_different'));
        to.input.focus();
        return null;
      }
      const params = { amount: amt, from: from.input.value, to: to.input.value };
      return {
        params,
        pairs: [
          [t('rc_amount'), h('strong', { class: 'review-amount', dir: 'ltr' }, `${formatAmount(amt, params.from)} ${params.from}`)],
          [t('sd_currency'), params.from],
          [t('sd_destination'), t('sd_dest_balance', params.to)],
        ],
      };
    },
    value: (p) => ({ coin: p.from, amount: p.amount }),
    send: (p, b) => b.convert(p),
    done: (r, p) => notice(t('sd_conversion_done', r.id, `${formatAmount(p.amount, p.from)} ${p.from}`, p.to), 'ok'),
  });
  return h('section', { 'aria-labelledby': 'sd-cv' }, h('h3', { id: 'sd-cv' }, t('sd_convert_title')), form, box);
}

/** @param {Ctx} ctx @param {HTMLElement} box */
async function loadHistory(ctx, box) {
  box.setAttribute('aria-busy', 'true');
  try {
    const list = await ctx.backend.withdrawalHistory({ limit: 25 });
    replace(box, table({
      caption: t('sd_recent_withdrawals'),
      captionHidden: true,
      columns: [{ label: t('rc_created_col') }, { label: t('sd_id') }, { label: t('rc_amount'), num: true }, { label: t('sd_to') }, { label: t('sd_note') }, { label: t('ov_status') }],
      rows: list.map((w) => [
        formatTime(w.time_created),
        h('code', { dir: 'ltr' }, w.id),
        `${formatAmount(w.amount, w.coin)} ${w.coin}`,
        h('code', { class: 'address', dir: 'ltr' }, w.send_address || ''),
        w.note ?? '',
        // the API's own words in English; the status's words in another language
        currentLocale() === 'en' && w.status_text ? w.status_text : withdrawalLabel(Number(w.status)),
      ]),
      empty: t('sd_no_withdrawals'),
    }));
  } catch (e) {
    replace(box, errorBox(e));
  } finally {
    box.removeAttribute('aria-busy');
  }
}

