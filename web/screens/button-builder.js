// Payment-button builder (spec §9): a form the buyer's browser posts to Wallex Pay, as
// copyable HTML and as a link. Needs no API key; the merchant ID is filled in when connected.

import { h, replace } from '../dom.js';
import { field, setFieldError, screenHeading, copyButton, notice } from '../ui.js';
import { buildButtonHtml, DEFAULT_ACTION } from '../lib/button.js';
import { t } from '../lib/i18n.js';

/** @type {import('../app.js').Screen} */
export default {
  id: 'button',
  get title() { return t('nav_button'); },
  needsSession: false,
  render(ctx) {
    const f = {
      action: field({ label: t('bb_action'), name: 'action', type: 'url', value: DEFAULT_ACTION, required: true, hint: t('bb_action_hint'), attrs: { dir: 'ltr' } }),
      merchant: field({ label: t('ov_merchant_id'), name: 'merchant', required: true, attrs: { dir: 'ltr' } }),
      currency: field({ label: t('sd_currency'), name: 'currency', value: 'USD', required: true }),
      amountf: field({ label: t('rc_price'), name: 'amountf', required: true, inputmode: 'decimal', attrs: { dir: 'ltr' } }),
      item_name: field({ label: t('bb_item_name'), name: 'item_name', required: true }),
      item_desc: field({ label: t('bb_item_desc'), name: 'item_desc' }),
      item_number: field({ label: t('hi_item_number'), name: 'item_number' }),
      invoice: field({ label: t('pm_invoice'), name: 'invoice' }),
      custom: field({ label: t('hi_custom'), name: 'custom', hint: t('bb_custom_hint') }),
      allow_currencies: field({ label: t('bb_allowed'), name: 'allow_currencies', hint: t('bb_allowed_hint') }),
      on1: field({ label: t('bb_option_name', 1), name: 'on1' }),
      ov1: field({ label: t('bb_option_value', 1), name: 'ov1' }),
      on2: field({ label: t('bb_option_name', 2), name: 'on2' }),
      ov2: field({ label: t('bb_option_value', 2), name: 'ov2' }),
      // the button's words on the merchant's page, in the console's language to start with
      label: field({ label: t('bb_button_text'), name: 'label', value: t('bb_default_button') }),
    };
    const code = h('textarea', { id: 'bb-code', dir: 'ltr', readonly: true, rows: 12, class: 'code', spellcheck: 'false', 'aria-describedby': 'bb-code-hint' });
    const link = h('textarea', { id: 'bb-link', dir: 'ltr', readonly: true, rows: 3, class: 'code', spellcheck: 'false' });
    const status = h('div', { 'aria-live': 'polite' });
    const output = h('section', { 'aria-labelledby': 'bb-out', class: 'stack', hidden: true },
      h('h3', { id: 'bb-out', tabindex: '-1' }, t('bb_your_button')),
      h('label', { for: 'bb-code' }, t('bb_html_label')),
      code,
      h('p', { id: 'bb-code-hint', class: 'hint' }, t('bb_code_hint')),
      h('div', { class: 'actions' }, copyButton(() => code.value, t('bb_copy_html'), ctx.announce)),
      h('label', { for: 'bb-link' }, t('bb_invoice_link')),
      link,
      h('div', { class: 'actions' }, copyButton(() => link.value, t('bb_copy_link'), ctx.announce)));
    // what is sold first (item, price, currency, the button's words), then where it is paid
    // (merchant, form action), then the rest
    const form = h('form', { class: 'grid-form', novalidate: true },
      f.item_name.wrap, f.amountf.wrap, f.currency.wrap, f.label.wrap, f.merchant.wrap, f.action.wrap,
      h('details', { class: 'span-all' }, h('summary', null, t('bb_optional')),
        h('div', { class: 'grid-form' }, f.item_desc.wrap, f.item_number.wrap, f.invoice.wrap, f.custom.wrap, f.allow_currencies.wrap, f.on1.wrap, f.ov1.wrap, f.on2.wrap, f.ov2.wrap)),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('bb_make'))),
      status);
    const root = h('section', { class: 'screen' }, screenHeading(t('bb_title')), form, output);

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
        replace(status, notice(r.errors.length === 1 ? t('bb_one_to_fix') : t('bb_n_to_fix', r.errors.length), 'warn'));
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
      ctx.announce(t('bb_ready'));
    });
    return root;
  },
};

/** @param {{wrap: HTMLElement}} x */
function labelOf(x) {
  return x.wrap.querySelector('label')?.firstChild?.textContent ?? t('bb_this_field');
}
