// The edit → review → send flow every money-moving form uses. The review repeats what will
// be sent; "Confirm and send" is the only way to send, and each press names its request with an
// operation id (opId); an unknown outcome (or an identical request still unsettled) removes the
// send button and offers Reconcile by that id (reconcileOp), never a resend.

import { h, replace } from './dom.js';
import { errorBox, busy, dl, focusOn } from './ui.js';
import { toBridgeError, mayHaveBeenCarriedOut } from './lib/errors.js';
import { newOpId, shownStore } from './backend.js';
import { reconcileControl, clockTime } from './reconcile-view.js';
import { fiatValues, approx } from './fiat.js';
import { t, currentLocale } from './lib/i18n.js';

/** @typedef {import('./app.js').Ctx} Ctx */

/**
 * @template P, R
 * @typedef {object} FlowSpec
 * @property {string} name                  e.g. 'withdrawal'
 * @property {HTMLFormElement} form          the edit form (its submit opens the review)
 * @property {HTMLElement} box               where review/result go (the form is hidden meanwhile)
 * @property {() => ({params: P, pairs: [string, string|Node][]} | null) | Promise<{params: P, pairs: [string, string|Node][]} | null>} prepare  null = invalid (the form shows why)
 * @property {(p: P & {opId: string}, backend: import('./backend.js').Backend) => Promise<R>} send   p carries the operation id of this press; backend names the store the review shows
 * @property {(r: R, p: P) => Node} done    the success view
 * @property {string} [confirmLabel]
 * @property {(p: P) => {coin: string, amount: string}|null} [value]  what the review shows a fiat value of (approximate)
 * @property {() => void} [after]           after a definite outcome (refresh lists)
 */

/**
 * Wires a flow. @template P, R @param {Ctx} ctx @param {FlowSpec<P, R>} spec
 */
export function moneyFlow(ctx, spec) {
  const { form, box } = spec;
  const backToForm = () => {
    replace(box);
    form.hidden = false;
    /** @type {HTMLElement|null} */ (form.querySelector('input,select,textarea'))?.focus();
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const submit = /** @type {HTMLButtonElement|null} */ (form.querySelector('button[type=submit]'));
    if (submit?.disabled) return;
    let prep;
    try {
      if (submit) submit.disabled = true;
      prep = await spec.prepare();
    } catch (err) {
      replace(box, errorBox(err));
      return;
    } finally {
      if (submit) submit.disabled = false;
    }
    if (!prep) return;
    form.hidden = true;
    // The store the review shows is the store it sends from, and reconciles in: its calls name
    // it, whatever this page shows by the time Confirm is pressed (a switch in the header is
    // still drawing the page for the next store; the store signed out, locked or removed in
    // another window: then the worker refuses, nothing sent).
    const storeName = ctx.session?.storeName ?? '';
    const { backend } = shownStore(ctx);
    const heading = h('h4', { tabindex: '-1' }, t('mf_review_the', spec.name));
    const fiatSlot = h('span', { class: 'fiat' }, '…');
    const confirm = h('button', { type: 'button', class: 'primary', 'data-action': 'confirm' }, spec.confirmLabel ?? t('mf_confirm_send'));
    const back = h('button', { type: 'button', class: 'secondary' }, t('mf_back_to_edit'));
    const out = h('div', { 'aria-live': 'polite' });
    replace(box, h('section', { class: 'review card', 'aria-labelledby': '' },
      heading,
      h('p', null, t('mf_check_every')),
      // the store the money leaves from: the page's store, which every call names
      dl([[t('mf_from_store'), storeName], ...prep.pairs, ...(spec.value?.(prep.params) ? [/** @type {[string, Node]} */ ([t('mf_value'), fiatSlot])] : [])]),
      h('div', { class: 'actions' }, confirm, back),
      out));
    heading.focus();
    const v = spec.value?.(prep.params);
    if (v) {
      fiatValues(ctx, [v]).then(([x]) => {
        if (x) {
          replace(fiatSlot, h('bdi', { dir: 'ltr' }, approx(x)), ' ', h('span', { class: 'hint' }, t('mf_approx_today')));
        } else {
          const dd = fiatSlot.closest('dd');
          dd?.previousElementSibling?.remove();
          dd?.remove();
        }
      });
    }
    back.addEventListener('click', backToForm);
    // set once core refused the send as a possible duplicate and the person has been told: the
    // next press is a second payment, meant, of the payment named (its settledAtMs goes as
    // `again`: one carried out since, e.g. by "Pay it again" in another window, is asked about)
    /** @type {number|true|false} */
    let meant = false;
    confirm.addEventListener('click', () => {
      // Each press names its request: an id the bridge records before the request leaves, so a
      // lost answer (a stopped service worker, a closed page) can still be settled by it.
      const opId = newOpId();
      back.disabled = true;
      busy(confirm, async () => {
        try {
          const r = await spec.send({ ...prep.params, opId, ...(meant !== false ? { again: meant } : {}) }, backend);
          confirm.remove();
          back.remove();
          const again = h('button', { type: 'button', class: 'secondary' }, t('mf_new', spec.name));
          again.addEventListener('click', () => {
            // form.reset() would put every select back on its first option (BCH for BTC): the
            // coins chosen stay as they were, only what was typed is cleared
            const selects = [...form.querySelectorAll('select')].map((s) => [s, s.value]);
            form.reset();
            for (const [s, v] of /** @type {[HTMLSelectElement, string][]} */ (selects)) s.value = v;
            backToForm();
          });
          replace(out, spec.done(r, prep.params), h('div', { class: 'actions' }, again));
          // the Confirm button is gone: focus goes to the result, not to the top of the page
          focusOn(out.querySelector('[role=status]') ?? out.firstElementChild);
          ctx.announce(t('mf_was_sent', spec.name));
          spec.after?.();
        } catch (err) {
          const be = toBridgeError(err);
          if (be.code === 'pending_operation' && be.storeKey) {
            // The same request is unsettled under another key (a store added or a key rotated
            // since): it is settled there, with that key; Reconcile here would not know it.
            // Nothing can be sent until then; another payment may still be edited.
            confirm.remove();
            back.disabled = false;
            replace(out, await otherStoreBox(ctx, be, spec.name));
            focusOn(out.querySelector('[role=alert]'));
            ctx.announce(t('mf_pending_announce', spec.name));
          } else if (mayHaveBeenCarriedOut(be) || be.code === 'pending_operation') {
            // Never a second send for this request: its buttons go, Reconcile takes their place.
            confirm.remove();
            back.remove();
            // the request this press named (not another one still unsettled): a record of it is
            // written before it leaves, so none in its store means it never left (the worker
            // stopped first)
            replace(out, unknownOutcome(ctx, err, be.opId || opId, backToForm, spec, backend, !be.opId || be.opId === opId));
            focusOn(out.querySelector('[role=alert]'));
            ctx.announce(be.code === 'pending_operation'
              ? t('mf_pending_announce', spec.name)
              : t('mf_unknown_announce', spec.name));
            ctx.refreshOps?.();
          } else if (be.code === 'possible_duplicate') {
            // The same payment was carried out from this console a moment ago (core's
            // duplicate check): its answer may never have reached the person (a popup closed
            // mid-send). Nothing was sent; the next press, relabelled, pays a second time. Asked
            // again after "Pay it again" (another window paid it meanwhile): the box names that one.
            meant = Number.isInteger(be.settledAtMs) ? Number(be.settledAtMs) : true;
            back.disabled = false;
            replace(out, duplicateBox(be, spec.name));
            focusOn(out.querySelector('[role=alert]'));
            ctx.announce(t('mf_duplicate_announce', spec.name));
          } else {
            back.disabled = false;
            replace(out, errorBox(err));
            // Confirm was disabled while it sent (which drops focus): focus goes to the reason
            focusOn(out.querySelector('[role=alert]'));
            ctx.announce(t('mf_not_sent_announce', spec.name, be.message));
          }
        }
      }, t('mf_sending')).then(() => {
        // after a possible duplicate, the button says what a press now does (busy put its label back)
        // and no longer looks like the way forward: going back is
        if (meant !== false) {
          confirm.textContent = t('mf_pay_again');
          confirm.className = 'secondary';
        }
      });
    });
  });
}

/**
 * The refusal of a request whose twin is unsettled under another key: which store (or key) to
 * settle it in.
 * @param {Ctx} ctx @param {import('./lib/errors.js').BridgeError} be @param {string} name
 */
async function otherStoreBox(ctx, be, name) {
  const key = String(be.storeKey);
  const store = (await ctx.backend.stores().catch(() => [])).find((s) => s.id === key);
  return h('div', { class: 'notice error code-pending_operation', role: 'alert', 'data-code': 'pending_operation', 'data-store': key, tabindex: '-1' },
    h('p', { class: 'notice-title' }, h('strong', null, t('mf_other_store_title', name))),
    h('p', null, store ? t('mf_other_store_text', name, store.name) : t('mf_other_key_text', name, be.storePublicKey ?? '', be.storeApiUrl ?? '')),
    h('p', { class: 'notice-hint' }, store ? t('mf_other_store_hint') : t('mf_other_key_hint')));
}

/**
 * The warning of a possible duplicate: which payment was carried out, and when.
 * @param {import('./lib/errors.js').BridgeError} be @param {string} name
 */
function duplicateBox(be, name) {
  const when = be.settledAtMs ? Number(be.settledAtMs) : Date.now();
  return h('div', { class: 'notice warn code-possible_duplicate', role: 'alert', 'data-code': 'possible_duplicate', tabindex: '-1' },
    h('p', { class: 'notice-title' }, h('strong', null, t('mf_duplicate_title', name))),
    // a transfer may be an internal move that no history lists: looked for in the withdrawal
    // history it is not there, and "it failed" pays it again; the balance shows it
    h('p', null, t(be.cmd === 'create_transfer' ? 'mf_duplicate_text_transfer' : 'mf_duplicate_text', name, agoText(Date.now() - when), clockTime(when), be.result || be.opId || '')),
    h('p', { class: 'notice-hint' }, t('mf_duplicate_hint', name)));
}

/** How long ago, in the console's language ("3 minutes ago"). @param {number} ms */
function agoText(ms) {
  const f = new Intl.RelativeTimeFormat(currentLocale(), { numeric: 'auto' });
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return f.format(-s, 'second');
  if (s < 3600) return f.format(-Math.floor(s / 60), 'minute');
  return f.format(-Math.floor(s / 3600), 'hour');
}

/**
 * The outcome-unknown view: Reconcile by the operation's id, in the store it was sent from, never resend.
 * @param {Ctx} ctx @param {unknown} err @param {string} opId
 * @param {() => void} backToForm
 * @param {{name: string, after?: () => void}} spec
 * @param {import('./backend.js').Backend} backend  the review's store
 * @param {boolean} own  opId is the id this press named
 */
function unknownOutcome(ctx, err, opId, backToForm, spec, backend, own) {
  const rc = reconcileControl(ctx, {
    opId,
    name: spec.name,
    backend,
    unrecordedNotSent: own,
    onResend: backToForm,
    onVerdict: (r) => {
      if (r.verdict === 'found') spec.after?.();
      ctx.refreshOps?.();
    },
  });
  return h('div', { class: 'stack', 'data-op': opId }, errorBox(err, { actions: [rc.button] }), rc.result);
}
