// Receive: create a payment, show amount, address, a locally drawn QR code, the checkout link
// and a countdown; poll its status until it is paid or fails; list recent payments.

import { h, replace } from '../dom.js';
import { field, setFieldError, errorBox, busy, table, dl, screenHeading, copyButton, formatTime, formatDuration, toMs, ltr, focusOn } from '../ui.js';
import { formatAmount, parseUnits, AmountError } from '../lib/money.js';
import { paymentState, paymentLabel, timeoutSeconds, safeHttpUrl } from '../lib/status.js';
import { toBridgeError, mayHaveBeenCarriedOut } from '../lib/errors.js';
import { qrSvg } from '../qr-view.js';
import { loadCoins, truthy, coinOptions } from '../coins.js';
import { reconcileControl } from '../reconcile-view.js';
import { newOpId, shownStore } from '../backend.js';
import { t, tParts } from '../lib/i18n.js';

export const POLL_MS = 3000;

/** @typedef {import('../app.js').Ctx} Ctx */

/** @type {import('../app.js').Screen} */
export default {
  id: 'receive',
  get title() { return t('nav_receive'); },
  needsSession: true,
  render(ctx) {
    const amount = field({ label: t('rc_amount'), name: 'amount', required: true, inputmode: 'decimal', placeholder: '10.00', attrs: { dir: 'ltr' } });
    const currency1 = field({ label: t('rc_pricing_currency'), name: 'currency1', type: 'select', required: true, options: [{ value: 'USD', label: 'USD' }], value: 'USD', hint: t('rc_pricing_hint') });
    const currency2 = field({ label: t('rc_pay_currency'), name: 'currency2', type: 'select', required: true, options: [{ value: 'BTC', label: 'BTC' }], value: 'BTC', hint: t('rc_pay_hint') });
    const email = field({ label: t('rc_buyer_email'), name: 'buyerEmail', type: 'email', required: true, autocomplete: 'off', attrs: { dir: 'ltr' } });
    const item = field({ label: t('rc_item'), name: 'itemName', hint: t('rc_item_hint') });
    const invoice = field({ label: t('rc_invoice'), name: 'invoice', hint: t('rc_invoice_hint') });
    const submit = h('button', { type: 'submit' }, t('rc_create'));
    const msg = h('div');
    const result = h('div', { class: 'payment-result' });
    const recent = h('div', { 'aria-live': 'polite' });
    const fields = { amount, currency1, currency2, buyerEmail: email, itemName: item, invoice };
    const form = h('form', { class: 'grid-form', novalidate: true },
      amount.wrap, currency1.wrap, currency2.wrap, email.wrap, item.wrap, invoice.wrap,
      h('div', { class: 'actions' }, submit), msg);

    const deposit = depositTool(ctx);
    const root = h('section', { class: 'screen' },
      screenHeading(t('rc_title')),
      h('section', { 'aria-labelledby': 'rc-new' }, h('h3', { id: 'rc-new' }, t('rc_new_payment')), form),
      result,
      h('section', { 'aria-labelledby': 'rc-recent' }, h('h3', { id: 'rc-recent' }, t('rc_recent')), recent),
      deposit);

    loadCoins(ctx.backend).then((coins) => {
      const pricing = coins.filter((c) => truthy(c.is_fiat)).concat(coins.filter((c) => !truthy(c.is_fiat)));
      const payable = coins.filter((c) => !truthy(c.is_fiat) && (c.accepted === undefined || truthy(c.accepted)));
      replace(currency1.input, coinOptions(pricing, 'USD').map((o) => h('option', { value: o.value, selected: o.selected }, o.label)));
      replace(currency2.input, coinOptions(payable, 'BTC').map((o) => h('option', { value: o.value, selected: o.selected }, o.label)));
    }).catch(() => { /* the fixed defaults stay usable */ });

    /** @type {(() => void)|null} */
    let stopPolling = null;
    ctx.onDispose(() => stopPolling?.());

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      for (const f of Object.values(fields)) setFieldError(f, '');
      replace(msg);
      const p = {
        amount: amount.input.value.trim(),
        currency1: currency1.input.value,
        currency2: currency2.input.value,
        buyerEmail: email.input.value.trim(),
        itemName: item.input.value.trim() || undefined,
        invoice: invoice.input.value.trim() || undefined,
      };
      try {
        parseUnits(p.amount, { positive: true });
      } catch (err) {
        if (err instanceof AmountError) {
          setFieldError(amount, t('rc_amount_error', err.message));
          amount.input.focus();
          return;
        }
        throw err;
      }
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(p.buyerEmail)) {
        setFieldError(email, t('rc_email_error'));
        email.input.focus();
        return;
      }
      // this press's own operation id, in the store the form showed: a Reconcile there that finds
      // no record of it says it never left
      const opId = newOpId();
      const { backend } = shownStore(ctx);
      busy(submit, async () => {
        try {
          const tx = await backend.createTransaction({ ...p, opId });
          stopPolling?.();
          stopPolling = showPayment(ctx, result, tx, p, () => loadRecent(ctx, recent));
          loadRecent(ctx, recent);
        } catch (err) {
          const be = toBridgeError(err);
          const f = be.field ? Object.entries(fields).find(([k]) => k.toLowerCase() === String(be.field).toLowerCase().replace(/_/g, ''))?.[1] : undefined;
          if (f) setFieldError(f, be.message);
          if ((mayHaveBeenCarriedOut(be) || be.code === 'pending_operation') && be.opId) {
            // the payment request may exist: look it up by its operation id, never create it twice
            const own = be.opId === opId;
            const rc = reconcileControl(ctx, { opId: be.opId, name: t('rc_payment_request'), resendHint: t('rc_resend_hint'), ambiguousText: t('rcn_ambiguous_payment_text'), ...(own ? { backend, unrecordedNotSent: true } : {}) });
            replace(msg, errorBox(err, { actions: [rc.button] }), rc.result);
            ctx.refreshOps?.();
          } else {
            replace(msg, errorBox(err));
          }
          // the button was disabled while it worked (which drops focus): focus goes to the reason
          if (!f) focusOn(msg.querySelector('[role=alert]'));
          else f.input.focus();
        }
      }, t('rc_creating'));
    });
    loadRecent(ctx, recent);
    return root;
  },
};

/**
 * Renders a created payment and polls it. Returns a stop function.
 * @param {Ctx} ctx @param {HTMLElement} box
 * @param {import('../backend.js').Transaction} tx
 * @param {{amount: string, currency1: string, currency2: string}} req
 * @param {() => void} onFinal
 */
function showPayment(ctx, box, tx, req, onFinal) {
  const coin = tx.currency || req.currency2;
  const statusEl = h('p', { class: 'payment-status', role: 'status', 'aria-live': 'polite', dataset: { state: 'pending' } }, t('rc_waiting'));
  const countdown = h('span', { class: 'countdown', 'aria-live': 'off' });
  // nothing yet, as money in the coin (the first check fills in what arrived)
  const received = h('bdi', { dir: 'ltr' }, `${formatAmount('0', coin)} ${coin}`);
  const checkout = safeHttpUrl(tx.checkout_url);
  const statusUrl = safeHttpUrl(tx.status_url);
  let expiresAt = Date.now() + timeoutSeconds(tx.timeout) * 1000;
  const heading = h('h3', { id: 'rc-payment', tabindex: '-1' }, tParts('rc_payment_heading', h('code', { dir: 'ltr' }, tx.txn_id)));
  const checkNow = h('button', { type: 'button', class: 'secondary' }, t('rc_check_now'));
  // the code carries core's payment link: the amount too where the coin has a sound link for it
  const qrFigure = h('figure', { class: 'qr-figure' }, qrSvg(tx.address, { label: t('rc_qr_address_label', tx.address) }), h('figcaption', null, t('rc_scan_address_only')));
  ctx.backend.paymentUri?.({ coin, address: tx.address, amount: tx.amount }).then((u) => {
    const due = `${formatAmount(tx.amount, coin)} ${coin}`;
    replace(qrFigure, qrSvg(u.uri, { label: t('rc_qr_pay_label', due, u.uri) }),
      h('figcaption', { 'data-kind': u.kind }, u.kind === 'address' ? tParts('rc_scan_type', ltr(due)) : t('rc_scan_amount_included')));
  }).catch(() => { /* the address alone stays */ });
  replace(box, h('section', { 'aria-labelledby': 'rc-payment', class: 'card', dataset: { txn: tx.txn_id } },
    heading,
    h('div', { class: 'payment-grid' },
      h('div', null,
        dl([
          [t('rc_amount_to_pay'), h('strong', { class: 'pay-amount', dir: 'ltr' }, `${formatAmount(tx.amount, coin)} ${coin}`)],
          [t('rc_price'), ltr(`${formatAmount(req.amount, req.currency1)} ${req.currency1}`)],
          [t('rc_address'), h('code', { class: 'address', dir: 'ltr' }, tx.address)],
          [t('rc_confirms_needed'), String(tx.confirms_needed ?? '')],
          [t('rc_time_left'), countdown],
          [t('rc_received'), received],
        ]),
        h('div', { class: 'actions' },
          copyButton(() => tx.address, t('rc_copy_address'), ctx.announce),
          checkout ? h('a', { href: checkout, target: '_blank', rel: 'noopener noreferrer', class: 'button secondary' }, t('rc_open_checkout')) : null,
          checkout ? copyButton(() => checkout, t('rc_copy_checkout'), ctx.announce) : null,
          statusUrl ? h('a', { href: statusUrl, target: '_blank', rel: 'noopener noreferrer', class: 'button link' }, t('rc_status_page')) : null)),
      qrFigure),
    statusEl, h('div', { class: 'actions' }, checkNow)));
  heading.focus();
  ctx.announce(t('rc_created', `${formatAmount(tx.amount, coin)} ${coin}`));

  let stopped = false;
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let timer;
  const tick = setInterval(() => {
    const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    countdown.textContent = formatDuration(left);
  }, 1000);
  countdown.textContent = formatDuration(Math.max(0, Math.round((expiresAt - Date.now()) / 1000)));

  const poll = async () => {
    if (stopped) return;
    clearTimeout(timer);
    try {
      const info = await ctx.backend.txInfo(tx.txn_id);
      if (stopped) return;
      const exp = toMs(info.time_expires);
      if (exp) expiresAt = exp;
      const state = paymentState(Number(info.status));
      const label = paymentLabel(Number(info.status));
      received.textContent = `${formatAmount(info.received || '0', coin)} ${coin}`;
      if (statusEl.dataset.state !== state || statusEl.dataset.label !== label) {
        statusEl.dataset.state = state;
        statusEl.dataset.label = label;
        statusEl.textContent = info.status_text && info.status_text !== label ? `${label} — ${info.status_text}` : label;
      }
      if (state !== 'pending') {
        stop();
        countdown.textContent = state === 'paid' ? t('rc_countdown_paid') : t('rc_countdown_ended');
        onFinal();
        return;
      }
    } catch (e) {
      const be = toBridgeError(e);
      replace(statusEl, t('rc_check_failed', be.message));
      if (be.code === 'auth' || be.code === 'locked' || be.code === 'not_connected' || be.code === 'permission') {
        stop();
        replace(statusEl, errorBox(e));
        return;
      }
    }
    timer = setTimeout(poll, POLL_MS);
  };
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(tick);
  };
  checkNow.addEventListener('click', () => { if (!stopped) poll(); });
  timer = setTimeout(poll, POLL_MS);
  return stop;
}

/** @param {Ctx} ctx @param {HTMLElement} box */
async function loadRecent(ctx, box) {
  box.setAttribute('aria-busy', 'true');
  try {
    const ids = await ctx.backend.txIds({ limit: 10 });
    const multi = ids.length ? await ctx.backend.txInfoMulti(ids) : {};
    const infos = ids.map((id) => ({ id, i: multi[id]?.info }));
    replace(box, table({
      caption: t('rc_recent'),
      captionHidden: true,
      columns: [{ label: t('rc_created_col') }, { label: t('rc_payment_col') }, { label: t('rc_amount'), num: true }, { label: t('rc_received'), num: true }, { label: t('ov_status') }],
      rows: infos.map(({ id, i }) => i
        ? [formatTime(i.time_created), h('code', { dir: 'ltr' }, id), `${formatAmount(i.amount, i.coin)} ${i.coin}`, `${formatAmount(i.received || '0', i.coin)} ${i.coin}`, h('span', { class: `state-${paymentState(Number(i.status))}` }, paymentLabel(Number(i.status)))]
        : ['', h('code', { dir: 'ltr' }, id), '', '', t('rc_could_not_load')]),
      empty: t('rc_no_payments'),
    }));
  } catch (e) {
    replace(box, errorBox(e));
  } finally {
    box.removeAttribute('aria-busy');
  }
}

/** A small "deposit address" lookup (personal address, no IPN). @param {Ctx} ctx */
function depositTool(ctx) {
  const cur = field({ label: t('ov_coin'), name: 'depositCurrency', type: 'select', options: [{ value: 'BTC', label: 'BTC' }], value: 'BTC' });
  const btn = h('button', { type: 'submit', class: 'secondary' }, t('rc_show_deposit'));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'inline-form', novalidate: true }, cur.wrap, btn);
  loadCoins(ctx.backend).then((coins) => {
    replace(cur.input, coinOptions(coins.filter((c) => !truthy(c.is_fiat)), 'BTC').map((o) => h('option', { value: o.value, selected: o.selected }, o.label)));
  }).catch(() => {});
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(btn, async () => {
      try {
        const r = await ctx.backend.depositAddress(cur.input.value);
        replace(out, dl([[t('rc_deposit_address_of', r.currency || cur.input.value), h('code', { class: 'address', dir: 'ltr' }, r.address)]]), copyButton(() => r.address, t('rc_copy_address'), ctx.announce));
      } catch (err) {
        replace(out, errorBox(err));
      }
    });
  });
  return h('details', { class: 'tool' }, h('summary', null, t('rc_deposit_tool')), form, out);
}
