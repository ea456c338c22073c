// Send: the unsettled operations (money requests of unknown outcome, with Reconcile), then
// withdrawal to an address, transfer to a merchant, conversion — each behind a review step —
// and the withdrawal history.

import { h, replace } from '../dom.js';
import { field, setFieldError, errorBox, table, screenHeading, notice, formatTime, noNonceWarning, noncesOff } from '../ui.js';
import { formatAmount, parseUnits, formatUnits, AmountError } from '../lib/money.js';
import { withdrawalLabel } from '../lib/status.js';
import { loadCoins, truthy, coinOptions } from '../coins.js';
import { moneyFlow } from '../money-flow.js';
import { unsettledOps } from '../ops-view.js';

/** @typedef {import('../app.js').Ctx} Ctx */

/** @type {import('../app.js').Screen} */
export default {
  id: 'send',
  title: 'Send',
  needsSession: true,
  render(ctx) {
    const history = h('div', { 'aria-live': 'polite' });
    const refresh = () => loadHistory(ctx, history);
    const unsettled = unsettledOps(ctx);
    // with nonces off the core refuses money (moneyNeedsNonces): no form offers to send
    const sending = !noncesOff(ctx);
    const root = h('section', { class: 'screen' },
      screenHeading('Send'),
      noNonceWarning(ctx),
      unsettled.el,
      sending ? withdrawalSection(ctx, refresh) : null,
      sending ? transferSection(ctx, refresh) : null,
      sending ? convertSection(ctx) : null,
      h('section', { 'aria-labelledby': 'sd-history' },
        h('h3', { id: 'sd-history' }, 'Withdrawal history'),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: refresh }, 'Refresh history')),
        history));
    refresh();
    unsettled.reload();
    return root;
  },
};

/** A random reference for reconciliation. */
function reference() {
  const b = crypto.getRandomValues(new Uint8Array(5));
  return 'wk:' + [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Validates an amount field; returns the normalised text or '' after showing the error.
 * @param {ReturnType<typeof field>} f
 */
function amountOf(f) {
  try {
    return formatUnits(parseUnits(f.input.value, { positive: true }));
  } catch (e) {
    if (!(e instanceof AmountError)) throw e;
    setFieldError(f, `Amount ${e.message}.`);
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
  const amount = field({ label: 'Amount', name: 'wdAmount', required: true, inputmode: 'decimal' });
  const currency = field({ label: 'Currency', name: 'wdCurrency', type: 'select', required: true, options: [{ value: 'BTC', label: 'BTC' }], value: 'BTC' });
  const address = field({ label: 'Destination address', name: 'wdAddress', required: true, autocomplete: 'off' });
  const note = field({ label: 'Note', name: 'wdNote', hint: 'Optional. A reference is added when empty, so the withdrawal can be reconciled.' });
  const auto = field({ label: 'Skip the email confirmation', name: 'wdAuto', type: 'checkbox', hint: 'Send at once instead of waiting for you to confirm by email.' });
  fillCoins(currency, ctx, 'BTC');
  const form = h('form', { class: 'grid-form', novalidate: true },
    amount.wrap, currency.wrap, address.wrap, note.wrap, auto.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Review withdrawal')));
  const box = h('div');
  moneyFlow(ctx, {
    name: 'withdrawal',
    form,
    box,
    async prepare() {
      for (const f of [amount, address, note]) setFieldError(f, '');
      replace(box);
      const amt = amountOf(amount);
      if (!amt) return null;
      const addr = address.input.value.trim();
      if (!addr) {
        setFieldError(address, 'Enter the address to send to.');
        address.input.focus();
        return null;
      }
      if (/\s/.test(addr)) {
        setFieldError(address, 'An address has no spaces: check you copied it whole.');
        address.input.focus();
        return null;
      }
      // core's check (format and checksum of the coin's addresses): a mistyped character is
      // caught here, before the money could go to an address nobody owns
      const chk = await ctx.backend.checkAddress(currency.input.value, addr);
      if (!chk.ok) {
        setFieldError(address, `This ${currency.input.value} address ${chk.problem ?? 'is not valid'}. Copy it again from the recipient; nothing was sent.`);
        address.input.focus();
        return null;
      }
      const n = note.input.value.trim() || reference();
      const params = { amount: amt, currency: currency.input.value, address: addr, note: n, autoConfirm: auto.input.checked };
      return {
        params,
        pairs: [
          ['Amount', h('strong', { class: 'review-amount' }, `${formatAmount(amt, params.currency)} ${params.currency}`)],
          ['Currency', params.currency],
          ['Destination', h('code', { class: 'address' }, addr)],
          ['Note', n],
          ['Email confirmation', params.autoConfirm ? 'skipped: sent at once' : 'required'],
        ],
      };
    },
    value: (p) => ({ coin: p.currency, amount: p.amount }),
    send: (p) => ctx.backend.createWithdrawal(p),
    done: (r, p) => notice(`Withdrawal ${r.id} created: ${withdrawalLabel(Number(r.status))}. ${formatAmount(r.amount ?? p.amount, p.currency)} ${p.currency} to ${p.address}.`, 'ok'),
    after,
  });
  return h('section', { 'aria-labelledby': 'sd-wd' }, h('h3', { id: 'sd-wd' }, 'Withdraw to an address'), form, box);
}

/** @param {Ctx} ctx @param {() => void} after */
function transferSection(ctx, after) {
  const amount = field({ label: 'Amount', name: 'trAmount', required: true, inputmode: 'decimal' });
  const currency = field({ label: 'Currency', name: 'trCurrency', type: 'select', required: true, options: [{ value: 'BTC', label: 'BTC' }], value: 'BTC' });
  const merchant = field({ label: 'Merchant ID', name: 'trMerchant', required: true, autocomplete: 'off', hint: 'The receiving merchant’s ID (not the username).' });
  const auto = field({ label: 'Skip the email confirmation', name: 'trAuto', type: 'checkbox' });
  fillCoins(currency, ctx, 'BTC');
  const form = h('form', { class: 'grid-form', novalidate: true },
    amount.wrap, currency.wrap, merchant.wrap, auto.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Review transfer')));
  const box = h('div');
  moneyFlow(ctx, {
    name: 'transfer',
    form,
    box,
    prepare() {
      for (const f of [amount, merchant]) setFieldError(f, '');
      const amt = amountOf(amount);
      if (!amt) return null;
      const m = merchant.input.value.trim();
      if (!/^[A-Za-z0-9_-]+$/.test(m)) {
        setFieldError(merchant, 'Enter the merchant ID: letters and digits.');
        merchant.input.focus();
        return null;
      }
      const params = { amount: amt, currency: currency.input.value, merchant: m, autoConfirm: auto.input.checked };
      return {
        params,
        pairs: [
          ['Amount', h('strong', { class: 'review-amount' }, `${formatAmount(amt, params.currency)} ${params.currency}`)],
          ['Currency', params.currency],
          ['Destination', `merchant ${m}`],
          ['Email confirmation', params.autoConfirm ? 'skipped: sent at once' : 'required'],
        ],
      };
    },
    value: (p) => ({ coin: p.currency, amount: p.amount }),
    send: (p) => ctx.backend.createTransfer(p),
    done: (r, p) => notice(`Transfer ${r.id} created (${Number(r.status) === 1 ? 'sent' : 'awaiting email confirmation'}): ${formatAmount(p.amount, p.currency)} ${p.currency} to merchant ${p.merchant}.`, 'ok'),
    after,
  });
  return h('section', { 'aria-labelledby': 'sd-tr' }, h('h3', { id: 'sd-tr' }, 'Transfer to another merchant'), form, box);
}

/** @param {Ctx} ctx */
function convertSection(ctx) {
  const amount = field({ label: 'Amount', name: 'cvAmount', required: true, inputmode: 'decimal' });
  const from = field({ label: 'From', name: 'cvFrom', type: 'select', required: true, options: [{ value: 'BTC', label: 'BTC' }], value: 'BTC' });
  const to = field({ label: 'To', name: 'cvTo', type: 'select', required: true, options: [{ value: 'LTC', label: 'LTC' }], value: 'LTC' });
  loadCoins(ctx.backend).then((coins) => {
    const list = coins.filter((c) => !truthy(c.is_fiat) && (c.can_convert === undefined || truthy(c.can_convert)));
    replace(from.input, coinOptions(list, 'BTC').map((o) => h('option', { value: o.value, selected: o.selected }, o.label)));
    replace(to.input, coinOptions(list, 'LTC').map((o) => h('option', { value: o.value, selected: o.selected }, o.label)));
  }).catch(() => {});
  const form = h('form', { class: 'grid-form', novalidate: true },
    amount.wrap, from.wrap, to.wrap,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Review conversion')));
  const box = h('div');
  moneyFlow(ctx, {
    name: 'conversion',
    form,
    box,
    confirmLabel: 'Confirm and convert',
    prepare() {
      setFieldError(amount, '');
      setFieldError(to, '');
      const amt = amountOf(amount);
      if (!amt) return null;
      if (from.input.value === to.input.value) {
        setFieldError(to, 'Pick a different coin to convert to.');
        to.input.focus();
        return null;
      }
      const params = { amount: amt, from: from.input.value, to: to.input.value };
      return {
        params,
        pairs: [
          ['Amount', h('strong', { class: 'review-amount' }, `${formatAmount(amt, params.from)} ${params.from}`)],
          ['Currency', params.from],
          ['Destination', `your ${params.to} balance`],
        ],
      };
    },
    value: (p) => ({ coin: p.from, amount: p.amount }),
    send: (p) => ctx.backend.convert(p),
    done: (r, p) => notice(`Conversion ${r.id} started: ${formatAmount(p.amount, p.from)} ${p.from} to ${p.to}.`, 'ok'),
  });
  return h('section', { 'aria-labelledby': 'sd-cv' }, h('h3', { id: 'sd-cv' }, 'Convert'), form, box);
}

/** @param {Ctx} ctx @param {HTMLElement} box */
async function loadHistory(ctx, box) {
  box.setAttribute('aria-busy', 'true');
  try {
    const list = await ctx.backend.withdrawalHistory({ limit: 25 });
    replace(box, table({
      caption: 'Recent withdrawals',
      captionHidden: true,
      columns: [{ label: 'Created' }, { label: 'ID' }, { label: 'Amount', num: true }, { label: 'To' }, { label: 'Note' }, { label: 'Status' }],
      rows: list.map((w) => [
        formatTime(w.time_created),
        h('code', null, w.id),
        `${formatAmount(w.amount, w.coin)} ${w.coin}`,
        h('code', { class: 'address' }, w.send_address || ''),
        w.note ?? '',
        w.status_text || withdrawalLabel(Number(w.status)),
      ]),
      empty: 'No withdrawals yet.',
    }));
  } catch (e) {
    replace(box, errorBox(e));
  } finally {
    box.removeAttribute('aria-busy');
  }
}

