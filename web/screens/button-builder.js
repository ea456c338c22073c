// Payment-button builder (spec §9): a form the buyer's browser posts to Wallex Pay, as
// copyable HTML and as a link. Needs no API key; the merchant ID is filled in when connected.

import { h, replace } from '../dom.js';
import { field, setFieldError, screenHeading, copyButton, notice } from '../ui.js';
import { buildButtonHtml, DEFAULT_ACTION } from '../lib/button.js';

/** @type {import('../app.js').Screen} */
export default {
  id: 'button',
  title: 'Payment button',
  needsSession: false,
  render(ctx) {
    const f = {
      action: field({ label: 'Form action URL', name: 'action', type: 'url', value: DEFAULT_ACTION, required: true, hint: 'Wallex Pay does not document this address: check it against your merchant settings before publishing.' }),
      merchant: field({ label: 'Merchant ID', name: 'merchant', required: true }),
      currency: field({ label: 'Currency', name: 'currency', value: 'USD', required: true }),
      amountf: field({ label: 'Price', name: 'amountf', required: true, inputmode: 'decimal' }),
      item_name: field({ label: 'Item name', name: 'item_name', required: true }),
      item_desc: field({ label: 'Item description', name: 'item_desc' }),
      item_number: field({ label: 'Item number', name: 'item_number' }),
      invoice: field({ label: 'Invoice', name: 'invoice' }),
      custom: field({ label: 'Custom', name: 'custom', hint: 'Returned to you in the IPN, not shown to the buyer.' }),
      allow_currencies: field({ label: 'Allowed coins', name: 'allow_currencies', hint: 'Comma list, e.g. BTC,LTC. Empty = all you accept.' }),
      on1: field({ label: 'Option 1 name', name: 'on1' }),
      ov1: field({ label: 'Option 1 value', name: 'ov1' }),
      on2: field({ label: 'Option 2 name', name: 'on2' }),
      ov2: field({ label: 'Option 2 value', name: 'ov2' }),
      label: field({ label: 'Button text', name: 'label', value: 'Pay with Wallex Pay' }),
    };
    const code = h('textarea', { id: 'bb-code', readonly: true, rows: 12, class: 'code', spellcheck: 'false', 'aria-describedby': 'bb-code-hint' });
    const link = h('textarea', { id: 'bb-link', readonly: true, rows: 3, class: 'code', spellcheck: 'false' });
    const status = h('div', { 'aria-live': 'polite' });
    const output = h('section', { 'aria-labelledby': 'bb-out', class: 'stack', hidden: true },
      h('h3', { id: 'bb-out', tabindex: '-1' }, 'Your button'),
      h('label', { for: 'bb-code' }, 'HTML to paste into your page'),
      code,
      h('p', { id: 'bb-code-hint', class: 'hint' }, 'The buyer’s browser posts these fields to the action URL. No API key is involved.'),
      h('div', { class: 'actions' }, copyButton(() => code.value, 'Copy HTML', ctx.announce)),
      h('label', { for: 'bb-link' }, 'Invoice link'),
      link,
      h('div', { class: 'actions' }, copyButton(() => link.value, 'Copy link', ctx.announce)));
    const form = h('form', { class: 'grid-form', novalidate: true },
      f.action.wrap, f.merchant.wrap, f.currency.wrap, f.amountf.wrap, f.item_name.wrap,
      h('details', { class: 'span-all' }, h('summary', null, 'Optional fields'),
        h('div', { class: 'grid-form' }, f.item_desc.wrap, f.item_number.wrap, f.invoice.wrap, f.custom.wrap, f.allow_currencies.wrap, f.on1.wrap, f.ov1.wrap, f.on2.wrap, f.ov2.wrap)),
      f.label.wrap,
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Make the button')),
      status);
    const root = h('section', { class: 'screen' }, screenHeading('Payment button'), form, output);

    if (ctx.session?.loggedIn) {
      ctx.backend.basicInfo().then((i) => { if (!f.merchant.input.value) f.merchant.input.value = i.merchant_id; }).catch(() => {});
    }

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      for (const x of Object.values(f)) setFieldError(x, '');
      /** @type {Record<string, string>} */
      const spec = {};
      for (const [k, x] of Object.entries(f)) spec[k] = x.input.value;
      const r = /** @type {any} */ (buildButtonHtml(/** @type {any} */ (spec)));
      if (!r.ok) {
        for (const err of r.errors) {
          const x = f[/** @type {keyof typeof f} */ (err.field)];
          if (x) setFieldError(x, `${labelOf(x)} ${err.message}.`);
        }
        replace(status, notice(`${r.errors.length} field${r.errors.length === 1 ? '' : 's'} to fix.`, 'warn'));
        const first = f[/** @type {keyof typeof f} */ (r.errors[0].field)];
        if (first) {
          const det = first.wrap.closest('details');
          if (det) det.open = true;
          first.input.focus();
        }
        output.hidden = true;
        return;
      }
      replace(status);
      code.value = r.html;
      link.value = r.link;
      output.hidden = false;
      /** @type {HTMLElement} */ (output.querySelector('h3')).focus();
      ctx.announce('Button ready: copy the HTML below.');
    });
    return root;
  },
};

/** @param {{wrap: HTMLElement}} x */
function labelOf(x) {
  return x.wrap.querySelector('label')?.firstChild?.textContent ?? 'This field';
}
