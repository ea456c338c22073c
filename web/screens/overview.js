// Overview: the account (public name shown as text), balances, rates.

import { h, replace } from '../dom.js';
import { field, errorBox, busy, focusOn, table, dl, screenHeading, formatTime, ltr } from '../ui.js';
import { displayAmount, formatAmount, isZero } from '../lib/money.js';
import { truthy } from '../coins.js';
import { fiatValues, fiatTotal, approxNode, fiatPicker } from '../fiat.js';
import { t, tParts } from '../lib/i18n.js';

/** @type {import('../app.js').Screen} */
export default {
  id: 'overview',
  get title() { return t('nav_overview'); },
  needsSession: true,
  render(ctx) {
    const account = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, t('ov_loading_account')));
    // a slow answer shows as loading, not as nothing
    const balances = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'loading' }, t('ov_loading_balances')));
    const totalBox = h('div', { 'aria-live': 'polite' }); // another currency chosen: the new total is read out
    const rates = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, t('ov_loading_rates')));
    const zero = field({ label: t('ov_show_zero'), name: 'showZero', type: 'checkbox' });
    const fiat = fiatPicker(ctx, () => { loadBalances(); }); // loadBalances is defined below
    const acceptedOnly = field({ label: t('ov_accepted_only'), name: 'acceptedOnly', type: 'checkbox', checked: true });
    const paidBox = h('section', { 'aria-labelledby': 'ov-paid', hidden: true, 'data-paid-alerts': '' });
    const root = h('section', { class: 'screen' },
      screenHeading(t('ov_title')),
      paidBox,
      h('section', { 'aria-labelledby': 'ov-account' }, h('h3', { id: 'ov-account' }, t('ov_account')), account),
      h('section', { 'aria-labelledby': 'ov-balances' }, h('h3', { id: 'ov-balances' }, t('ov_balances')), totalBox, h('div', { class: 'inline-form' }, zero.wrap, fiat.wrap), balances),
      h('section', { 'aria-labelledby': 'ov-rates' }, h('h3', { id: 'ov-rates' }, t('ov_rates')), acceptedOnly.wrap, rates));

    if (ctx.backend.alerts) showPaid(ctx, paidBox);

    // each part that could not be read offers to read it again (reads only: safe at once)
    /** @param {unknown} e @param {() => Promise<void>} load */
    const failed = (e, load) => {
      const again = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'secondary', 'data-action': 'retry' }, t('ov_try_again')));
      again.addEventListener('click', async () => {
        const heading = again.closest('section')?.querySelector('h3');
        await busy(again, load);
        if (!again.isConnected) focusOn(heading); // the box is gone: focus stays in its section, not at the top
      });
      return errorBox(e, { actions: [again] });
    };

    const loadAccount = () => {
      account.setAttribute('aria-busy', 'true');
      return ctx.backend.basicInfo().then((info) => {
        replace(account, dl([
          [t('ov_public_name'), info.public_name || t('ov_not_set')],
          [t('ov_username'), info.username],
          [t('ov_merchant_id'), ltr(info.merchant_id ?? '')],
          [t('ov_email'), ltr(info.email ?? '')],
        ]));
      }, (e) => { replace(account, failed(e, loadAccount)); }).finally(() => account.removeAttribute('aria-busy'));
    };
    loadAccount();

    const loadBalances = async () => {
      balances.setAttribute('aria-busy', 'true');
      try {
        const all = zero.input.checked;
        const r = await ctx.backend.balances({ all });
        const coins = r.coins.filter((c) => all || !isZero(c.amount));
        // each balance's value in the store's fiat, by core (exact, rounded to cents): approximate
        const items = coins.map((c) => ({ coin: c.coin, amount: c.amount }));
        const values = await fiatValues(ctx, items);
        const cur = values.find(Boolean)?.fiat;
        // the one number first (core's sum of the column); the coins it leaves out named
        const total = cur ? await fiatTotal(ctx, items, cur) : null;
        const left = coins.filter((c, i) => !values[i] && !isZero(c.amount)).map((c) => c.coin);
        replace(totalBox, total ? h('p', { class: 'total', 'data-total': '' }, h('span', null, t('ov_total')), ' ', approxNode(total)) : '',
          left.length && total ? h('p', { class: 'hint', 'data-total-left': '' }, ...tParts('ov_total_leaves_out', ltr(left.join(', ')))) : '');
        replace(balances, table({
          caption: all ? t('ov_all_balances') : t('ov_balances_above_zero'),
          captionHidden: true,
          columns: [{ label: t('ov_coin') }, { label: t('ov_balance'), num: true }, ...(cur ? [{ label: t('ov_value_approx', cur), num: true }] : [])],
          rows: coins.map((c, i) => [c.coin, formatAmount(c.amount, c.coin), ...(cur ? [approxNode(values[i])] : [])]),
          empty: all ? t('ov_no_coins') : t('ov_all_zero'),
        }));
      } catch (e) {
        replace(totalBox);
        replace(balances, failed(e, loadBalances));
      } finally {
        balances.removeAttribute('aria-busy');
      }
    };
    zero.input.addEventListener('change', loadBalances);
    loadBalances();

    const loadRates = async () => {
      rates.setAttribute('aria-busy', 'true');
      try {
        const r = await ctx.backend.rates({ accepted: acceptedOnly.input.checked });
        const coins = acceptedOnly.input.checked ? r.coins.filter((c) => c.accepted === undefined || truthy(c.accepted)) : r.coins;
        replace(rates, table({
          caption: t('ov_rates_caption'),
          captionHidden: true,
          columns: [{ label: t('ov_coin') }, { label: t('ov_name') }, { label: t('ov_rate_btc'), num: true }, { label: t('ov_network_fee'), num: true }, { label: t('ov_confirmations'), num: true }, { label: t('ov_status') }, { label: t('ov_updated') }],
          rows: coins.map((c) => [
            c.coin,
            c.name ?? '',
            // BTC's rate in BTC is 1 by definition: nothing to read there
            c.coin === 'BTC' ? '—' : displayAmount(c.rate_btc, { minDecimals: 0 }),
            truthy(c.is_fiat) ? '—' : `${formatAmount(c.tx_fee ?? '0', c.coin)} ${c.coin}`,
            truthy(c.is_fiat) ? '—' : String(c.confirms ?? ''),
            coinStatus(c.status),
            formatTime(c.last_update),
          ]),
          empty: t('ov_no_rates'),
        }));
      } catch (e) {
        replace(rates, failed(e, loadRates));
      } finally {
        rates.removeAttribute('aria-busy');
      }
    };
    acceptedOnly.input.addEventListener('change', loadRates);
    loadRates();
    return root;
  },
};

/**
 * A coin's status in the rates as a word (the API says "online"); a word this console does not
 * know stays the API's, marked English.
 * @param {unknown} status
 */
function coinStatus(status) {
  const s = String(status ?? '').trim();
  if (!s) return '';
  const key = { online: 'ov_coin_online', offline: 'ov_coin_offline', maintenance: 'ov_coin_maintenance' }[s.toLowerCase()];
  return key ? t(key) : h('span', { lang: 'en', dir: 'ltr' }, s);
}

/**
 * Payments the extension told about ("Paid: …") and not opened yet, for this store.
 * @param {import('../app.js').Ctx} ctx @param {HTMLElement} box
 */
async function showPaid(ctx, box) {
  /** @type {import('../backend.js').AlertState} */
  let st;
  try {
    st = await /** @type {NonNullable<typeof ctx.backend.alerts>} */ (ctx.backend.alerts)();
  } catch {
    return; // alerts are a convenience: the screen works without them
  }
  box.hidden = st.unseen.length === 0;
  if (box.hidden) return;
  const seen = h('button', { type: 'button', class: 'secondary', 'data-action': 'mark-seen' }, t('ov_mark_seen'));
  seen.addEventListener('click', async () => {
    await ctx.backend.setAlerts?.({ seen: true }).catch(() => {});
    box.hidden = true;
    ctx.announce(t('ov_marked_seen'));
  });
  const n = st.unseen.length;
  replace(box,
    h('h3', { id: 'ov-paid' }, n === 1 ? t('ov_new_paid_one') : t('ov_new_paid_many', n)),
    h('ul', { class: 'paid-list' }, st.unseen.map((u) => h('li', null,
      h('a', { href: `#payment?txn=${encodeURIComponent(u.txn)}` }, u.text), ' ', h('span', { class: 'hint' }, formatTime(new Date(u.at).toISOString()))))),
    h('div', { class: 'actions' }, seen));
}
