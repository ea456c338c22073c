// Unsettled operations: money requests whose outcome is still open (the bridge's ops(): sent,
// and no answer reached the console — a lost connection, a stopped service worker, a closed
// page). Each gets Reconcile, and a guarded "I checked, forget it" for a person who settled it
// in the Wallex Pay account. Also the banner that points to them from every screen.

import { h, replace } from './dom.js';
import { errorBox, formatTime } from './ui.js';
import { formatAmount } from './lib/money.js';
import { reconcileControl, opName, clockTime } from './reconcile-view.js';
import { t, tParts, dir } from './lib/i18n.js';

/** @typedef {import('./app.js').Ctx} Ctx */
/** @typedef {import('./backend.js').Op} Op */

/** What an operation asked for, in a line. @param {Op} op */
export function describeOp(op) {
  const r = op.ref ?? {};
  if (op.cmd === 'create_mass_withdrawal') {
    const n = new Set(Object.keys(r).map((k) => /^wd\[([^\]]+)\]/.exec(k)?.[1]).filter(Boolean)).size;
    return n === 1 ? t('ops_one_payout') : t('ops_n_payouts', n);
  }
  const amount = r.amount ? `${formatAmount(r.amount, r.currency ?? r.currency1 ?? r.from)} ${r.currency ?? r.currency1 ?? r.from ?? ''}`.trim() : '';
  const to = r.address ? t('ops_to_address', r.address) : r.merchant ? t('ops_to_merchant', r.merchant) : r.to ? t('ops_into', r.to) : '';
  const note = r.note ? t('ops_note', r.note) : r.invoice ? t('ops_invoice', r.invoice) : '';
  // the amount keeps its own order inside a right-to-left line (t isolates the rest)
  return [amount && dir() === 'rtl' ? `\u2068${amount}\u2069` : amount, to, note].filter(Boolean).join(' ');
}

/** @param {Op} op */
function stateText(op) {
  switch (op.state) {
    case 'sending': return t('ops_state_sending');
    case 'unknown': return t('ops_state_unknown');
    case 'in_flight': return op.until ? t('ops_state_in_flight_until', clockTime(Date.parse(op.until))) : t('ops_state_in_flight');
    case 'ambiguous': return t('ops_state_ambiguous');
    default: return op.state;
  }
}

/**
 * The "Unsettled operations" section (hidden while there are none).
 * @param {Ctx} ctx
 * @returns {{el: HTMLElement, reload: () => Promise<void>}}
 */
export function unsettledOps(ctx) {
  const list = h('div', { class: 'stack' });
  const el = h('section', { class: 'card unsettled', id: 'wk-unsettled', 'aria-labelledby': 'wk-unsettled-h', hidden: true },
    h('h3', { id: 'wk-unsettled-h' }, t('ops_unsettled')),
    h('p', null, t('ops_unsettled_text')),
    list);
  let loading = false;
  const reload = async () => {
    if (loading) return;
    loading = true;
    try {
      // an operation a review on this screen is already showing (with its own Reconcile) is not repeated here
      const ops = (await ctx.backend.ops()).filter((op) => !document.querySelector(`.review [data-op="${CSS.escape(op.id)}"]`));
      el.hidden = ops.length === 0;
      replace(list, ops.map((op) => opItem(ctx, op, reload)));
    } catch (e) {
      el.hidden = false;
      replace(list, errorBox(e));
    } finally {
      loading = false;
    }
  };
  /** @param {Event} e */
  const onChange = (e) => { if (/** @type {any} */ (e).detail !== 'unsettled') reload(); };
  window.addEventListener('wk-ops-changed', onChange);
  ctx.onDispose(() => window.removeEventListener('wk-ops-changed', onChange));
  return { el, reload };
}

/** @param {Ctx} ctx @param {Op} op @param {() => void} reload */
function opItem(ctx, op, reload) {
  const name = opName(op.cmd);
  const rc = reconcileControl(ctx, {
    opId: op.id,
    name,
    // the form it is sent again from: a payment request's is on Receive (a sale's on the Counter), not here
    resendHint: op.cmd !== 'create_transaction' ? t('ops_resend_hint')
      : /^POS-/.test(op.ref?.invoice ?? '') ? t('ops_resend_hint_counter') : t('ops_resend_hint_payment'),
    onVerdict: (r) => {
      if (r.verdict === 'found' || r.verdict === 'not_found') {
        forget.remove();
        guard.hidden = true;
        ctx.refreshOps?.('unsettled'); // the banner; this list keeps the verdict on screen
      }
    },
  });
  const forget = h('button', { type: 'button', class: 'link', 'data-action': 'forget' }, t('ops_forget'));
  const guard = h('div', { class: 'notice warn', role: 'alert', hidden: true });
  forget.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'danger', 'data-action': 'forget-confirm' }, t('ops_forget_it'));
    const no = h('button', { type: 'button', class: 'secondary' }, t('ops_keep_it'));
    replace(guard,
      h('p', null, h('strong', null, t('ops_only_if'))),
      h('p', null, t('ops_forget_text', name)),
      h('div', { class: 'actions' }, yes, no));
    guard.hidden = false;
    forget.hidden = true;
    no.addEventListener('click', () => { guard.hidden = true; forget.hidden = false; forget.focus(); });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await ctx.backend.forgetOp(op.id);
        ctx.announce(t('ops_forgotten'));
        reload();
        ctx.refreshOps?.('unsettled');
      } catch (e) {
        // core refuses while it may still arrive (its in-flight bound): say so in the merchant's words
        const early = /** @type {any} */ (e)?.code === 'invalid_input' && /** @type {any} */ (e)?.field === 'operation';
        replace(guard, early ? h('p', { 'data-reason': 'may-still-arrive' }, t('ops_forget_too_soon')) : errorBox(e));
        forget.hidden = false;
      }
    });
    yes.focus();
  });
  return h('article', { class: 'op', 'data-op': op.id, 'data-state': op.state },
    h('p', null, h('strong', null, `${name[0].toUpperCase()}${name.slice(1)}`), ' ', h('span', null, describeOp(op))),
    h('p', { class: 'hint' }, t('ops_sent_at', formatTime(op.sent_at), stateText(op))),
    h('div', { class: 'actions' }, rc.button, forget),
    guard, rc.result);
}

/**
 * The banner on every screen while operations are unsettled.
 * @param {Ctx} ctx @param {HTMLElement} banner @param {boolean} signedIn
 */
export async function renderOpsBanner(ctx, banner, signedIn) {
  if (!signedIn) {
    banner.hidden = true;
    return;
  }
  let n = 0;
  try {
    n = (await ctx.backend.ops()).length;
  } catch {
    n = 0;
  }
  banner.hidden = n === 0;
  if (!n) return;
  replace(banner,
    h('strong', null, n === 1 ? t('ops_banner_one') : t('ops_banner_many', n)),
    ' ',
    // on the Send screen itself a link to it would lead nowhere: its Reconcile buttons are on it
    location.hash === '#send' ? t(n === 1 ? 'ops_banner_do_one_here' : 'ops_banner_do_many_here')
      : tParts(n === 1 ? 'ops_banner_do_one' : 'ops_banner_do_many', h('a', { href: '#send', 'data-action': 'open-unsettled' }, t('ops_send_screen'))));
}
