// Counter mode (a shop's point of sale): a keypad in the store's fiat currency, the coin the
// customer pays with, then a large QR code of the payment link core makes (paymentUri: BIP-21
// with the amount for BTC, LTC, BCH and DOGE, EIP-681 for ETH, the address alone otherwise, and
// the screen says which), a countdown, and a full-screen "Paid" when core's rule says so, with a
// sound that can be turned off. Its own page in the extension (ext/counter.html), a tab here.

import { h, replace } from '../dom.js';
import { errorBox, field, formatDuration, busy } from '../ui.js';
import { formatAmount, displayAmount, parseUnits, AmountError } from '../lib/money.js';
import { FIAT_PLACES } from '../lib/codes.gen.js';
import { paymentState, timeoutSeconds } from '../lib/status.js';
import { toBridgeError, mayHaveBeenCarriedOut } from '../lib/errors.js';
import { newOpId, shownStore } from '../backend.js';
import { qrSvg } from '../qr-view.js';
import { reconcileControl, clockTime } from '../reconcile-view.js';
import { loadCoins, truthy } from '../coins.js';
import { storeFiat } from '../fiat.js';
import { t, tParts } from '../lib/i18n.js';

/** @typedef {import('../app.js').Ctx} Ctx */

export const POLL_MS = 2000;
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '.', '0', '00'];
// Digits after the point of a fiat price: FIAT_PLACES (core.FiatPlaces, generated from Go).

/** @type {import('../app.js').Screen} */
export default {
  id: 'counter',
  get title() { return t('nav_counter'); },
  needsSession: true,
  render(ctx) {
    const stage = h('div', { class: 'counter-stage' });
    const root = h('section', { class: 'screen counter' },
      h('h2', { tabindex: '-1', class: 'screen-title' }, t('ct_title')),
      stage);
    /** @type {(() => void)|null} */
    let stop = null;
    ctx.onDispose(() => stop?.());
    const entry = () => {
      stop?.();
      stop = null;
      keypadView(ctx, stage, (sale) => { stop?.(); stop = saleView(ctx, stage, sale, entry); });
    };
    entry();
    return root;
  },
};

/** The sound setting of the store (on unless turned off). @param {Ctx} ctx */
const soundKey = (ctx) => `wk.counter.sound.${ctx.backend.storeId?.() ?? ''}`;

/**
 * @param {Ctx} ctx @param {HTMLElement} stage
 * @param {(sale: {tx: import('../backend.js').Transaction, price: string, fiat: string, coin: string}) => void} onCharge
 */
function keypadView(ctx, stage, onCharge) {
  let text = '';
  const display = h('output', { class: 'counter-amount', 'aria-live': 'polite', id: 'ct-amount' }, '0');
  const fiatLabel = h('span', { class: 'counter-fiat' });
  const coin = field({ label: t('ct_pays_with'), name: 'counterCoin', type: 'select', options: [] });
  const sound = field({ label: t('ct_sound'), name: 'counterSound', type: 'checkbox', checked: true });
  const charge = h('button', { type: 'button', class: 'primary counter-charge', 'data-action': 'charge', disabled: true }, t('ct_charge'));
  const msg = h('div');
  let fiat = '';
  // a charge whose answer was lost: no other charge on this keypad until it is reconciled not found
  let held = false;
  // a charge on its way: the keypad and the coin wait for it (a redraw enabled Charge again, and a
  // second press was a second payment request for the sale; the price typed meanwhile was charged)
  let charging = false;
  const draw = () => {
    // the amount as Charge says it (12.50, grouped like every amount), the cents not typed yet
    // dimmed: the cashier still sees where the next key goes
    const [whole, frac] = text.split('.');
    const untyped = frac === undefined ? (FIAT_PLACES ? `.${'0'.repeat(FIAT_PLACES)}` : '') : '0'.repeat(Math.max(0, FIAT_PLACES - frac.length));
    replace(display, displayAmount(whole || '0', { minDecimals: 0 }) + (frac === undefined ? '' : `.${frac}`),
      untyped ? h('span', { class: 'counter-untyped' }, untyped) : null);
    charge.disabled = held || charging || !fiat || !coin.input.value || !validPrice(text);
    charge.textContent = validPrice(text) ? t('ct_charge_in', `${formatAmount(text, fiat, { fiat: true })} ${fiat}`, coin.input.value) : t('ct_charge');
  };
  /** @param {string} k */
  const press = (k) => {
    if (charging) return;
    if (!held) replace(msg);
    if (k === 'back') text = text.slice(0, -1);
    else if (k === 'clear') text = '';
    else if (k === '.') { if (!text.includes('.')) text = (text || '0') + '.'; }
    else {
      const [, frac] = text.split('.');
      if (frac !== undefined && frac.length + k.length > FIAT_PLACES) return; // cents at most
      if (text.replace('.', '').length >= 9) return;
      text = text === '0' ? k.replace(/^0+/, '') || '0' : text + k;
    }
    draw();
  };
  // digits keep a calculator's order in every direction
  const keypad = h('div', { class: 'keypad', dir: 'ltr', role: 'group', 'aria-label': t('ct_keypad') },
    KEYS.map((k) => h('button', { type: 'button', class: 'key', dataset: { key: k }, onclick: () => press(k) }, k)),
    h('button', { type: 'button', class: 'key secondary', dataset: { key: 'back' }, 'aria-label': t('ct_delete_digit'), onclick: () => press('back') }, '⌫'),
    h('button', { type: 'button', class: 'key secondary', dataset: { key: 'clear' }, onclick: () => press('clear') }, t('ct_clear')));
  const onKey = (/** @type {KeyboardEvent} */ e) => {
    // a keypad the sale view (or a new sale's keypad) replaced no longer listens
    if (!stage.contains(charge)) { document.removeEventListener('keydown', onKey); return; }
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (/^[0-9.]$/.test(e.key)) press(e.key);
    else if (e.key === 'Backspace') press('back');
    else if (e.key === 'Escape') press('clear');
    else if (e.key === 'Enter' && !charge.disabled) charge.click();
    else return;
    e.preventDefault();
  };
  document.addEventListener('keydown', onKey);
  ctx.onDispose(() => document.removeEventListener('keydown', onKey));

  replace(stage, h('div', { class: 'counter-entry' },
    h('p', { class: 'counter-display', dir: 'ltr' }, display, ' ', fiatLabel),
    keypad,
    h('div', { class: 'inline-form' }, coin.wrap, sound.wrap),
    h('div', { class: 'actions' }, charge),
    msg));

  Promise.all([storeFiat(ctx), loadCoins(ctx.backend), ctx.store.get(soundKey(ctx))]).then(([f, coins, snd]) => {
    fiat = f;
    fiatLabel.textContent = f;
    const payable = coins.filter((c) => !truthy(c.is_fiat) && (c.accepted === undefined || truthy(c.accepted)));
    replace(coin.input, payable.map((c) => h('option', { value: c.coin }, c.name ? `${c.coin} — ${c.name}` : c.coin)));
    sound.input.checked = snd !== false;
    if (!f) replace(msg, errorBox({ code: 'invalid_input', message: t('ct_no_fiat'), retryable: false }));
    draw();
  }, (e) => replace(msg, errorBox(e)));
  coin.input.addEventListener('change', draw);
  sound.input.addEventListener('change', () => { ctx.store.set(soundKey(ctx), sound.input.checked); });

  charge.addEventListener('click', () => {
    if (charging) return;
    charging = true;
    // what the button said when it was pressed is what is charged
    const price = text;
    const payWith = coin.input.value;
    // this press's own operation id, in the store the keypad showed: a Reconcile there that finds
    // no record of it says it never left
    const opId = newOpId();
    const { backend } = shownStore(ctx);
    coin.input.disabled = true;
    busy(charge, async () => {
      replace(msg);
      try {
        // a charge of unknown outcome made since this keypad was drawn (another tab of the store)
        const open = unsettledCharge(await backend.ops());
        if (open) {
          holdFor(open);
          return;
        }
        const info = await backend.basicInfo();
        // the API needs a buyer email: a counter sale has none, so the receipt goes to the shop
        const tx = await backend.createTransaction({
          opId, amount: price, currency1: fiat, currency2: payWith, buyerEmail: info.email,
          itemName: 'Counter sale', invoice: `POS-${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`,
        });
        onCharge({ tx, price, fiat, coin: payWith });
      } catch (e) {
        const be = toBridgeError(e);
        if ((mayHaveBeenCarriedOut(be) || be.code === 'pending_operation') && be.opId) {
          hold(be.opId, (button) => errorBox(e, { hint: t('ct_sale_may_exist'), actions: [button] }), be.opId === opId ? backend : undefined);
        } else {
          replace(msg, errorBox(e));
        }
      }
    }, t('rc_creating')).finally(() => {
      charging = false;
      coin.input.disabled = false;
      draw();
    });
  });
  /**
   * Holds the keypad on a charge of unknown outcome (opId) and offers Reconcile: no other charge
   * until it says the first was not made. @param {string} opId @param {(button: HTMLElement) => Node} why
   * @param {import('../backend.js').Backend} [own]  set when opId is the id this keypad's press named: the
   *   store it was sent from (no record of it there: it never left)
   */
  function hold(opId, why, own) {
    held = true;
    const rc = reconcileControl(ctx, { opId, name: t('rc_payment_request'), resendHint: t('ct_resend_hint'), ambiguousText: t('rcn_ambiguous_payment_text'), backend: own, unrecordedNotSent: !!own,
      onVerdict: (r) => { if (r.verdict === 'not_found' && (!r.noRecord || own)) { held = false; draw(); } } });
    replace(msg, why(rc.button), rc.result);
    draw();
  }
  // A charge of this store whose outcome is still unknown (a page reloaded, the screen opened
  // again): its invoice was made of its time, so a new charge would not be the same request to
  // core, and could be a second payment for the sale. Hold until it is settled.
  /** @param {{id: string}} o */
  const holdFor = (o) => hold(o.id, (button) => h('div', { class: 'notice warn', role: 'alert' }, h('p', null, t('ct_unsettled_charge')), h('div', { class: 'actions' }, button)));
  ctx.backend.ops().then((ops) => {
    const o = unsettledCharge(ops);
    if (o && !held && stage.contains(charge)) holdFor(o);
  }).catch(() => {});
  draw();
}

/**
 * The store's counter charge of unknown outcome, if any (a counter sale's invoice starts POS-).
 * @param {{id: string, cmd: string, ref?: Record<string, string>}[]} ops
 */
function unsettledCharge(ops) {
  return ops.find((x) => x.cmd === 'create_transaction' && /^POS-/.test(x.ref?.invoice ?? ''));
}

/** @param {string} t */
function validPrice(t) {
  try {
    parseUnits(t, { positive: true });
    return /^\d+(\.\d{1,2})?$/.test(t);
  } catch (e) {
    if (e instanceof AmountError) return false;
    throw e;
  }
}

/**
 * The sale: its QR, countdown, status; full-screen Paid. Returns a stop function.
 * @param {Ctx} ctx @param {HTMLElement} stage
 * @param {{tx: import('../backend.js').Transaction, price: string, fiat: string, coin: string}} sale
 * @param {() => void} next
 */
function saleView(ctx, stage, sale, next) {
  const { tx } = sale;
  const coin = tx.currency || sale.coin;
  const amount = `${formatAmount(tx.amount, coin)} ${coin}`;
  const qrBox = h('figure', { class: 'counter-qr' }, h('p', { class: 'loading' }, t('ct_making_code')));
  const countdown = h('p', { class: 'countdown counter-countdown', 'aria-live': 'off' });
  const status = h('p', { class: 'payment-status', role: 'status', dataset: { state: 'pending' } }, t('ct_waiting'));
  const cancel = h('button', { type: 'button', class: 'secondary', 'data-action': 'new-sale' }, t('ct_new_sale'));
  // While the customer can still pay this code, a new sale leaves it payable: asked first, for a
  // customer charged again for the same items would pay twice.
  const guard = h('div', { class: 'notice warn', role: 'alert', hidden: true });
  cancel.addEventListener('click', () => {
    // Whether the code can no longer be paid is core's rule (paymentState: status < 0, cancelled
    // or timed out), never this device's clock: a clock ahead of the API's, or a payment sent in
    // time and still confirming (status 1) when the countdown reaches 0, is paid all the same.
    if (status.dataset.state === 'failed') {
      next();
      return;
    }
    const yes = h('button', { type: 'button', class: 'danger', 'data-action': 'new-sale-confirm' }, t('ct_new_sale_yes'));
    const no = h('button', { type: 'button', class: 'secondary', 'data-action': 'keep-waiting' }, t('ct_keep_waiting'));
    replace(guard,
      h('p', null, t(Date.now() >= expiresAt ? 'ct_new_sale_confirm_late' : 'ct_new_sale_confirm', clockTime(expiresAt))),
      received ? h('p', null, h('strong', null, status.textContent)) : null,
      h('div', { class: 'actions' }, yes, no));
    guard.hidden = false;
    cancel.hidden = true;
    yes.addEventListener('click', next);
    no.addEventListener('click', () => { guard.hidden = true; cancel.hidden = false; cancel.focus(); });
    no.focus();
  });
  replace(stage, h('div', { class: 'counter-sale', dataset: { txn: tx.txn_id } },
    h('p', { class: 'counter-price', dir: 'ltr' }, `${formatAmount(sale.price, sale.fiat, { fiat: true })} ${sale.fiat}`),
    h('p', { class: 'counter-due' }, tParts('ct_pay', h('strong', { dir: 'ltr' }, amount))),
    qrBox, countdown, status, h('div', { class: 'actions' }, cancel), guard));

  ctx.backend.paymentUri({ coin, address: tx.address, amount: tx.amount }).then((u) => {
    const kindText = u.kind === 'address'
      ? tParts('ct_address_only', h('bdi', { dir: 'ltr' }, amount))
      : tParts('ct_amount_included', u.kind === 'bip21' ? 'BIP-21' : 'EIP-681', h('bdi', { dir: 'ltr' }, amount));
    replace(qrBox,
      qrSvg(u.uri, { label: t('rc_qr_pay_label', amount, u.uri), size: 320 }),
      h('figcaption', { 'data-kind': u.kind, 'data-uri': u.uri }, h('strong', null, kindText)));
  }, (e) => replace(qrBox, errorBox(e)));

  let stopped = false;
  let received = false; // part of it paid: said when a new sale is asked for
  let expiresAt = Date.now() + timeoutSeconds(tx.timeout) * 1000;
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let timer;
  const tick = setInterval(() => { countdown.textContent = t('ct_time_left', formatDuration(Math.max(0, Math.round((expiresAt - Date.now()) / 1000)))); }, 1000);
  countdown.textContent = t('ct_time_left', formatDuration(timeoutSeconds(tx.timeout)));
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    clearInterval(tick);
  };
  const poll = async () => {
    if (stopped) return;
    try {
      const info = await ctx.backend.txInfo(tx.txn_id);
      if (stopped) return;
      const exp = Date.parse(info.time_expires);
      if (exp > 0) expiresAt = exp;
      const state = paymentState(Number(info.status)); // core's rule, generated from Go
      if (state === 'paid') {
        stop();
        paidView(ctx, stage, sale, amount, next);
        return;
      }
      if (state === 'failed') {
        stop();
        status.dataset.state = 'failed';
        status.textContent = t('ct_not_paid');
        ctx.announce(status.textContent);
        return;
      }
      received = Number(info.received) > 0;
      status.textContent = received ? t('ct_received_of', formatAmount(info.received, coin), amount) : t('ct_waiting');
    } catch (e) {
      status.textContent = t('ct_check_failed', toBridgeError(e).message);
    }
    timer = setTimeout(poll, POLL_MS);
  };
  timer = setTimeout(poll, POLL_MS);
  return stop;
}

/**
 * Full screen: Paid, the amounts, a sound unless turned off.
 * @param {Ctx} ctx @param {HTMLElement} stage
 * @param {{tx: import('../backend.js').Transaction, price: string, fiat: string}} sale @param {string} amount @param {() => void} next
 */
function paidView(ctx, stage, sale, amount, next) {
  const again = h('button', { type: 'button', class: 'primary', 'data-action': 'new-sale' }, t('ct_new_sale'));
  again.addEventListener('click', next);
  const view = h('div', { class: 'counter-paid', role: 'alert', dataset: { txn: sale.tx.txn_id } },
    h('p', { class: 'counter-paid-word' }, t('ct_paid')),
    h('p', { class: 'counter-price', dir: 'ltr' }, `${formatAmount(sale.price, sale.fiat, { fiat: true })} ${sale.fiat}`),
    h('p', { dir: 'ltr' }, amount),
    h('div', { class: 'actions' }, again));
  replace(stage, view);
  again.focus();
  ctx.store.get(soundKey(ctx)).then((on) => { if (on !== false) chime(); });
}

/** A short two-note chime (Web Audio, no file). */
function chime() {
  try {
    const AC = /** @type {any} */ (globalThis).AudioContext ?? /** @type {any} */ (globalThis).webkitAudioContext;
    if (!AC) return;
    const ac = new AC();
    const now = ac.currentTime;
    for (const [f, at] of [[880, 0], [1320, 0.18]]) {
      const o = ac.createOscillator();
      const g = ac.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, now + at);
      g.gain.exponentialRampToValueAtTime(0.3, now + at + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.35);
      o.connect(g).connect(ac.destination);
      o.start(now + at);
      o.stop(now + at + 0.4);
    }
    /** @type {any} */ (globalThis).wkChimes = (/** @type {any} */ (globalThis).wkChimes ?? 0) + 1; // tests count them
    setTimeout(() => ac.close().catch(() => {}), 1000);
  } catch {
    // no sound here: the screen says Paid all the same
  }
}
