// Reconcile one money request by its operation id (reconcileOp), and say what the verdict means
// in the merchant's words. Only reads: it never sends the request again. The verdicts:
//   found       it went through (nothing more to do);
//   not_found   proven: it was not carried out and can no longer be → "Edit and send again";
//               not proven (no nonces, after the waiting time): nothing arrived → the same offer;
//   in_flight   no nonces: it may still arrive → "check again after HH:MM:SS"; the button waits
//               until then, and nothing offers a resend before;
//   ambiguous   a person must look (the withdrawal history, the balances).

import { h, replace } from './dom.js';
import { errorBox, ltr } from './ui.js';
import { t, tParts } from './lib/i18n.js';

/** @typedef {import('./app.js').Ctx} Ctx */
/** @typedef {import('./backend.js').ReconcileResult} ReconcileResult */

/** Local wall-clock time as HH:MM:SS (24 h). @param {number} ms */
export function clockTime(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * The Reconcile button and the place its verdict appears.
 * @param {Ctx} ctx
 * @param {object} o
 * @param {string} o.opId
 * @param {string} o.name                       'withdrawal', 'transfer', …
 * @param {() => void} [o.onResend]             offered after a not_found ("Edit and send again")
 * @param {string} [o.resendHint]               said instead when there is no onResend
 * @param {string} [o.ambiguousText]            where to check when it cannot tell (default: the withdrawal history)
 * @param {(r: ReconcileResult) => void} [o.onVerdict]
 * @param {import('./backend.js').Backend} [o.backend]   the store the operation was sent from (default: the page's)
 * @param {boolean} [o.unrecordedNotSent]       the id was named by this page for a request sent from o.backend's
 *   store: no record of it there (noRecord) means it never left (a record is written before a request leaves)
 * @returns {{button: HTMLButtonElement, result: HTMLElement, run: () => Promise<void>}}
 */
export function reconcileControl(ctx, o) {
  const result = h('div', { class: 'reconcile-result', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'primary', 'data-action': 'reconcile', 'data-op': o.opId }, t('rcn_reconcile'));
  /** @type {ReturnType<typeof setInterval>|undefined} */
  let timer;
  ctx.onDispose(() => clearInterval(timer));

  /** The button waits (disabled, counting down) until untilMs. @param {number} untilMs */
  const waitUntil = (untilMs) => {
    clearInterval(timer);
    button.dataset.until = String(untilMs);
    const tick = () => {
      const left = Math.ceil((untilMs - Date.now()) / 1000);
      if (left > 0) {
        button.disabled = true;
        button.textContent = t('rcn_check_again_at', clockTime(untilMs), left);
        return;
      }
      clearInterval(timer);
      delete button.dataset.until;
      button.disabled = false;
      button.textContent = t('rcn_check_again');
    };
    tick();
    timer = setInterval(tick, 1000);
  };

  const settled = () => {
    clearInterval(timer);
    button.remove();
  };

  /** @param {ReconcileResult} r */
  const show = (r) => {
    const detail = r.detail ? ` (${r.detail})` : '';
    if (r.verdict === 'found') {
      settled();
      const id = r.withdrawals?.[0]?.id ?? r.txnIds?.[0];
      replace(result, h('div', { class: 'notice ok', role: 'status', 'data-verdict': 'found' },
        id ? tParts('rcn_found_id', o.name, ltr(String(id))) : t('rcn_found')));
      ctx.announce(t('rcn_went_through', o.name));
      return;
    }
    if (r.verdict === 'not_found' && (!r.noRecord || o.unrecordedNotSent)) {
      settled();
      const text = r.noRecord ? t('rcn_not_sent_unrecorded', o.name)
        : r.proven
        ? t('rcn_not_found_proven', o.name, detail)
        : t('rcn_not_found_window', detail);
      const again = o.onResend ? h('button', { type: 'button', class: 'secondary', 'data-action': 'resend' }, t('rcn_edit_send_again')) : null;
      again?.addEventListener('click', () => o.onResend?.());
      replace(result, h('div', { class: 'notice info', role: 'status', 'data-verdict': 'not_found' }, text),
        again ? h('div', { class: 'actions' }, again) : o.resendHint ? h('p', { class: 'hint' }, o.resendHint) : null);
      ctx.announce(t('rcn_not_carried_out', o.name));
      return;
    }
    if (r.verdict === 'in_flight' && r.untilMs) {
      const at = clockTime(r.untilMs);
      replace(result, h('div', { class: 'notice warn', role: 'alert', 'data-verdict': 'in_flight', 'data-until': String(r.untilMs) },
        h('p', null, h('strong', null, t('rcn_may_arrive', at))),
        h('p', null, t('rcn_may_arrive_text', at))));
      ctx.announce(t('rcn_may_arrive_announce', o.name, at));
      waitUntil(r.untilMs);
      return;
    }
    replace(result, h('div', { class: 'notice warn', role: 'alert', 'data-verdict': r.verdict },
      h('p', null, h('strong', null, t('rcn_cannot_tell'))),
      h('p', null, `${r.detail || t('rcn_history_unsettled')} ${o.ambiguousText ?? t('rcn_ambiguous_text')}`)));
    button.textContent = t('rcn_reconcile_again');
    ctx.announce(t('rcn_cannot_tell_announce', o.name));
  };

  const run = async () => {
    if (button.disabled) return;
    const label = button.textContent;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.textContent = t('rcn_checking');
    /** @type {ReconcileResult} */
    let r;
    try {
      r = await (o.backend ?? ctx.backend).reconcileOp(o.opId);
    } catch (e) {
      replace(result, errorBox(e));
      return;
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      button.textContent = label;
    }
    show(r);
    o.onVerdict?.(r);
  };
  button.addEventListener('click', () => { run(); });
  return { button, result, run };
}

/** Words for an operation's command. @param {string} cmd */
export function opName(cmd) {
  switch (cmd) {
    case 'create_withdrawal': return t('op_withdrawal');
    case 'create_transfer': return t('op_transfer');
    case 'create_mass_withdrawal': return t('op_mass_withdrawal');
    case 'create_transaction': return t('rc_payment_request');
    case 'convert': return t('op_conversion');
    default: return cmd;
  }
}

