// Receive: create a payment, show amount, address, a locally drawn QR code, the checkout link
// and a countdown; poll its status until it is paid or fails; list recent payments.

import { h, replace } from '../dom.js';
import { field, setFieldError, errorBox, busy, table, dl, screenHeading, copyButton, formatTime, formatDuration, toMs, focusOn } from '../ui.js';
import { formatAmount, parseUnits, AmountError } from '../lib/money.js';
import { paymentState, paymentLabel, timeoutSeconds, safeHttpUrl } from '../lib/status.js';
import { toBridgeError } from '../lib/errors.js';
import { qrSvg } from '../qr-view.js';
import { loadCoins, truthy, coinOptions } from '../coins.js';
import { reconcileControl } from '../reconcile-view.js';

export const POLL_MS = 3000;

/** @typedef {import('../app.js').Ctx} Ctx */

/** @type {import('../app.js').Screen} */
export default {
  id: 'receive',
  title: 'Receive',
  needsSession: true,
  render(ctx) {
    const amount = field({ label: 'Amount', name: 'amount', required: true, inputmode: 'decimal', placeholder: '10.00' });
    const currency1 = field({ label: 'Pricing currency', name: 'currency1', type: 'select', required: true, options: [{ value: 'USD', label: 'USD' }], value: 'USD', hint: 'The currency the price is set in.' });
    const currency2 = field({ label: 'Pay currency', name: 'currency2', type: 'select', required: true, options: [{ value: 'BTC', label: 'BTC' }], value: 'BTC', hint: 'The coin the buyer pays with.' });
    const email = field({ label: 'Buyer email', name: 'buyerEmail', type: 'email', required: true, autocomplete: 'off' });
    const item = field({ label: 'Item', name: 'itemName', hint: 'Optional: shown to the buyer.' });
    const invoice = field({ label: 'Invoice number', name: 'invoice', hint: 'Optional: your reference, also used to reconcile.' });
    const submit = h('button', { type: 'submit' }, 'Create payment');
    const msg = h('div');
    const result = h('div', { class: 'payment-result' });
    const recent = h('div', { 'aria-live': 'polite' });
    const fields = { amount, currency1, currency2, buyerEmail: email, itemName: item, invoice };
    const form = h('form', { class: 'grid-form', novalidate: true },
      amount.wrap, currency1.wrap, currency2.wrap, email.wrap, item.wrap, invoice.wrap,
      h('div', { class: 'actions' }, submit), msg);

    const deposit = depositTool(ctx);
    const root = h('section', { class: 'screen' },
      screenHeading('Receive'),
      h('section', { 'aria-labelledby': 'rc-new' }, h('h3', { id: 'rc-new' }, 'New payment'), form),
      result,
      h('section', { 'aria-labelledby': 'rc-recent' }, h('h3', { id: 'rc-recent' }, 'Recent payments'), recent),
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
          setFieldError(amount, `Amount ${err.message}.`);
          amount.input.focus();
          return;
        }
        throw err;
      }
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(p.buyerEmail)) {
        setFieldError(email, 'Enter the buyer’s email address, e.g. buyer@example.com.');
        email.input.focus();
        return;
      }
      busy(submit, async () => {
        try {
          const tx = await ctx.backend.createTransaction(p);
          stopPolling?.();
          stopPolling = showPayment(ctx, result, tx, p, () => loadRecent(ctx, recent));
          loadRecent(ctx, recent);
        } catch (err) {
          const be = toBridgeError(err);
          const f = be.field ? Object.entries(fields).find(([k]) => k.toLowerCase() === String(be.field).toLowerCase().replace(/_/g, ''))?.[1] : undefined;
          if (f) setFieldError(f, be.message);
          if ((be.code === 'outcome_unknown' || be.code === 'pending_operation') && be.opId) {
            // the payment request may exist: look it up by its operation id, never create it twice
            const rc = reconcileControl(ctx, { opId: be.opId, name: 'payment request', resendHint: 'You can create it again with the form above.' });
            replace(msg, errorBox(err, { actions: [rc.button] }), rc.result);
            ctx.refreshOps?.();
          } else {
            replace(msg, errorBox(err));
          }
          // the button was disabled while it worked (which drops focus): focus goes to the reason
          if (!f) focusOn(msg.querySelector('[role=alert]'));
          else f.input.focus();
        }
      }, 'Creating…');
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
  const statusEl = h('p', { class: 'payment-status', role: 'status', 'aria-live': 'polite', dataset: { state: 'pending' } }, 'Waiting for funds');
  const countdown = h('span', { class: 'countdown', 'aria-live': 'off' });
  const received = h('span', null, '0');
  const checkout = safeHttpUrl(tx.checkout_url);
  const statusUrl = safeHttpUrl(tx.status_url);
  let expiresAt = Date.now() + timeoutSeconds(tx.timeout) * 1000;
  const heading = h('h3', { id: 'rc-payment', tabindex: '-1' }, 'Payment ', h('code', null, tx.txn_id));
  const checkNow = h('button', { type: 'button', class: 'secondary' }, 'Check now');
  // the code carries core's payment link: the amount too where the coin has a sound link for it
  const qrFigure = h('figure', { class: 'qr-figure' }, qrSvg(tx.address, { label: `QR code of the payment address ${tx.address}` }), h('figcaption', null, 'Scan to pay (address only)'));
  ctx.backend.paymentUri?.({ coin, address: tx.address, amount: tx.amount }).then((u) => {
    const due = `${formatAmount(tx.amount, coin)} ${coin}`;
    replace(qrFigure, qrSvg(u.uri, { label: `QR code to pay ${due}: ${u.uri}` }),
      h('figcaption', { 'data-kind': u.kind }, u.kind === 'address' ? `Scan to pay (address only: type ${due})` : 'Scan to pay (amount included)'));
  }).catch(() => { /* the address alone stays */ });
  replace(box, h('section', { 'aria-labelledby': 'rc-payment', class: 'card', dataset: { txn: tx.txn_id } },
    heading,
    h('div', { class: 'payment-grid' },
      h('div', null,
        dl([
          ['Amount to pay', h('strong', { class: 'pay-amount' }, `${formatAmount(tx.amount, coin)} ${coin}`)],
          ['Price', `${formatAmount(req.amount, req.currency1)} ${req.currency1}`],
          ['Address', h('code', { class: 'address' }, tx.address)],
          ['Confirmations needed', String(tx.confirms_needed ?? '')],
          ['Time left', countdown],
          ['Received', received],
        ]),
        h('div', { class: 'actions' },
          copyButton(() => tx.address, 'Copy address', ctx.announce),
          checkout ? h('a', { href: checkout, target: '_blank', rel: 'noopener noreferrer', class: 'button secondary' }, 'Open checkout page') : null,
          checkout ? copyButton(() => checkout, 'Copy checkout link', ctx.announce) : null,
          statusUrl ? h('a', { href: statusUrl, target: '_blank', rel: 'noopener noreferrer', class: 'button link' }, 'Status page') : null)),
      qrFigure),
    statusEl, h('div', { class: 'actions' }, checkNow)));
  heading.focus();
  ctx.announce(`Payment created: pay ${formatAmount(tx.amount, coin)} ${coin}.`);

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
        countdown.textContent = state === 'paid' ? 'paid' : 'ended';
        onFinal();
        return;
      }
    } catch (e) {
      const be = toBridgeError(e);
      replace(statusEl, `Could not check the status: ${be.message}. Retrying…`);
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
      caption: 'Recent payments',
      captionHidden: true,
      columns: [{ label: 'Created' }, { label: 'Payment' }, { label: 'Amount', num: true }, { label: 'Received', num: true }, { label: 'Status' }],
      rows: infos.map(({ id, i }) => i
        ? [formatTime(i.time_created), h('code', null, id), `${formatAmount(i.amount, i.coin)} ${i.coin}`, formatAmount(i.received || '0', i.coin), h('span', { class: `state-${paymentState(Number(i.status))}` }, paymentLabel(Number(i.status)))]
        : ['', h('code', null, id), '', '', 'could not load']),
      empty: 'No payments yet.',
    }));
  } catch (e) {
    replace(box, errorBox(e));
  } finally {
    box.removeAttribute('aria-busy');
  }
}

/** A small "deposit address" lookup (personal address, no IPN). @param {Ctx} ctx */
function depositTool(ctx) {
  const cur = field({ label: 'Coin', name: 'depositCurrency', type: 'select', options: [{ value: 'BTC', label: 'BTC' }], value: 'BTC' });
  const btn = h('button', { type: 'submit', class: 'secondary' }, 'Show deposit address');
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
        replace(out, dl([[`${r.currency || cur.input.value} deposit address`, h('code', { class: 'address' }, r.address)]]), copyButton(() => r.address, 'Copy address', ctx.announce));
      } catch (err) {
        replace(out, errorBox(err));
      }
    });
  });
  return h('details', { class: 'tool' }, h('summary', null, 'Deposit address (top up your own wallet)'), form, out);
}
