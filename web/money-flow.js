// The edit → review → send flow every money-moving form uses. The review repeats what will
// be sent; "Confirm and send" is the only way to send; an unknown outcome offers Reconcile,
// never a resend.

import { h, replace } from './dom.js';
import { errorBox, busy, dl, notice } from './ui.js';
import { toBridgeError } from './lib/errors.js';

/** @typedef {import('./app.js').Ctx} Ctx */

/**
 * @template P, R
 * @typedef {object} FlowSpec
 * @property {string} name                  e.g. 'withdrawal'
 * @property {HTMLFormElement} form          the edit form (its submit opens the review)
 * @property {HTMLElement} box               where review/result go (the form is hidden meanwhile)
 * @property {() => {params: P, pairs: [string, string|Node][], reconcile?: import('./backend.js').ReconcileQuery} | null} prepare  null = invalid (the form shows why)
 * @property {(p: P) => Promise<R>} send
 * @property {(r: R, p: P) => Node} done    the success view
 * @property {string} [confirmLabel]
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
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const prep = spec.prepare();
    if (!prep) return;
    form.hidden = true;
    const heading = h('h4', { tabindex: '-1' }, `Review the ${spec.name}`);
    const confirm = h('button', { type: 'button', class: 'primary', 'data-action': 'confirm' }, spec.confirmLabel ?? 'Confirm and send');
    const back = h('button', { type: 'button', class: 'secondary' }, 'Back to edit');
    const out = h('div', { 'aria-live': 'polite' });
    replace(box, h('section', { class: 'review card', 'aria-labelledby': '' },
      heading,
      h('p', null, 'Check every detail. Money sent to a wrong address cannot be recovered.'),
      dl(prep.pairs),
      h('div', { class: 'actions' }, confirm, back),
      out));
    heading.focus();
    back.addEventListener('click', backToForm);
    confirm.addEventListener('click', () => {
      const startedAt = Date.now();
      back.disabled = true;
      busy(confirm, async () => {
        try {
          const r = await spec.send(prep.params);
          confirm.remove();
          back.remove();
          const again = h('button', { type: 'button', class: 'secondary' }, `New ${spec.name}`);
          again.addEventListener('click', () => { form.reset(); backToForm(); });
          replace(out, spec.done(r, prep.params), h('div', { class: 'actions' }, again));
          /** @type {HTMLElement|null} */ (out.querySelector('[role=status]'))?.focus?.();
          ctx.announce(`The ${spec.name} was sent.`);
          spec.after?.();
        } catch (err) {
          const be = toBridgeError(err);
          if (be.code === 'outcome_unknown' || (be.code === 'timeout' && !be.retryable)) {
            confirm.remove();
            back.remove();
            replace(out, unknownOutcome(ctx, err, prep.reconcile ? { ...prep.reconcile, sinceMs: startedAt - 60_000 } : undefined, backToForm, spec));
            ctx.announce(`The outcome of the ${spec.name} is unknown. Use Reconcile; do not send it again.`);
          } else {
            back.disabled = false;
            replace(out, errorBox(err));
            ctx.announce(`The ${spec.name} was not sent: ${be.message}`);
          }
        }
      }, 'Sending…');
    });
  });
}

/**
 * The outcome-unknown view: Reconcile, never resend.
 * @param {Ctx} ctx @param {unknown} err
 * @param {import('./backend.js').ReconcileQuery|undefined} query
 * @param {() => void} backToForm
 * @param {{name: string, after?: () => void}} spec
 */
function unknownOutcome(ctx, err, query, backToForm, spec) {
  const result = h('div', { 'aria-live': 'polite' });
  const actions = [];
  if (query) {
    const rec = h('button', { type: 'button', class: 'primary', 'data-action': 'reconcile' }, 'Reconcile');
    rec.addEventListener('click', () => busy(rec, async () => {
      try {
        const r = await ctx.backend.reconcile(query);
        if (r.verdict === 'found') {
          const w = r.withdrawals?.[0];
          replace(result, notice(`It went through${w ? `: ${spec.name} ${w.id}, ${w.status_text || 'created'}` : ''}. ${r.detail}`, 'ok'));
          rec.remove();
          spec.after?.();
        } else if (r.verdict === 'not_found') {
          const edit = h('button', { type: 'button', class: 'secondary' }, 'Edit and send again');
          edit.addEventListener('click', backToForm);
          replace(result, notice(`It was not carried out: nothing matching was found. ${r.detail} You can send it again.`, 'info'), h('div', { class: 'actions' }, edit));
          rec.remove();
        } else {
          replace(result, notice(`Cannot tell for sure: ${r.detail} Check the withdrawal history before sending anything again.`, 'warn'));
        }
      } catch (e) {
        replace(result, errorBox(e));
      }
    }, 'Reconciling…'));
    actions.push(rec);
  }
  return h('div', { class: 'stack' }, errorBox(err, { actions }), result);
}
