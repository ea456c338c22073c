// Overview: the account (public name shown as text), balances, rates.

import { h, replace } from '../dom.js';
import { field, errorBox, table, dl, screenHeading, formatTime } from '../ui.js';
import { displayAmount, formatAmount, isZero } from '../lib/money.js';
import { truthy } from '../coins.js';
import { fiatValues, approxNode, fiatPicker } from '../fiat.js';

/** @type {import('../app.js').Screen} */
export default {
  id: 'overview',
  title: 'Overview',
  needsSession: true,
  render(ctx) {
    const account = h('div', { 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading account…'));
    const balances = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' });
    const rates = h('div', { 'aria-busy': 'true' });
    const zero = field({ label: 'Show zero balances', name: 'showZero', type: 'checkbox' });
    const fiat = fiatPicker(ctx, () => { loadBalances(); }); // loadBalances is defined below
    const acceptedOnly = field({ label: 'Only coins accepted for payments', name: 'acceptedOnly', type: 'checkbox', checked: true });
    const paidBox = h('section', { 'aria-labelledby': 'ov-paid', hidden: true, 'data-paid-alerts': '' });
    const root = h('section', { class: 'screen' },
      screenHeading('Overview'),
      paidBox,
      h('section', { 'aria-labelledby': 'ov-account' }, h('h3', { id: 'ov-account' }, 'Account'), account),
      h('section', { 'aria-labelledby': 'ov-balances' }, h('h3', { id: 'ov-balances' }, 'Balances'), h('div', { class: 'inline-form' }, zero.wrap, fiat.wrap), balances),
      h('section', { 'aria-labelledby': 'ov-rates' }, h('h3', { id: 'ov-rates' }, 'Rates'), acceptedOnly.wrap, rates));

    if (ctx.backend.alerts) showPaid(ctx, paidBox);

    ctx.backend.basicInfo().then((info) => {
      replace(account, dl([
        ['Public name', info.public_name || '(not set)'],
        ['Username', info.username],
        ['Merchant ID', info.merchant_id],
        ['Email', info.email],
      ]));
    }, (e) => replace(account, errorBox(e))).finally(() => account.removeAttribute('aria-busy'));

    const loadBalances = async () => {
      balances.setAttribute('aria-busy', 'true');
      try {
        const all = zero.input.checked;
        const r = await ctx.backend.balances({ all });
        const coins = r.coins.filter((c) => all || !isZero(c.amount));
        // each balance's value in the store's fiat, by core (exact, rounded to cents): approximate
        const values = await fiatValues(ctx, coins.map((c) => ({ coin: c.coin, amount: c.amount })));
        const cur = values.find(Boolean)?.fiat;
        replace(balances, table({
          caption: all ? 'All balances' : 'Balances above zero',
          captionHidden: true,
          columns: [{ label: 'Coin' }, { label: 'Balance', num: true }, ...(cur ? [{ label: `Value (${cur}, approx.)`, num: true }] : [])],
          rows: coins.map((c, i) => [c.coin, formatAmount(c.amount, c.coin), ...(cur ? [approxNode(values[i])] : [])]),
          empty: all ? 'No coins.' : 'All balances are zero. Tick “Show zero balances” to list every coin.',
        }));
      } catch (e) {
        replace(balances, errorBox(e));
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
          caption: 'Exchange rates in BTC',
          captionHidden: true,
          columns: [{ label: 'Coin' }, { label: 'Name' }, { label: 'Rate (BTC)', num: true }, { label: 'Network fee', num: true }, { label: 'Confirmations', num: true }, { label: 'Status' }, { label: 'Updated' }],
          rows: coins.map((c) => [
            c.coin,
            c.name ?? '',
            displayAmount(c.rate_btc, { minDecimals: 0 }),
            truthy(c.is_fiat) ? '—' : formatAmount(c.tx_fee ?? '0', c.coin),
            truthy(c.is_fiat) ? '—' : String(c.confirms ?? ''),
            c.status ?? '',
            formatTime(c.last_update),
          ]),
          empty: 'No rates.',
        }));
      } catch (e) {
        replace(rates, errorBox(e));
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
  const seen = h('button', { type: 'button', class: 'secondary', 'data-action': 'mark-seen' }, 'Mark all as seen');
  seen.addEventListener('click', async () => {
    await ctx.backend.setAlerts?.({ seen: true }).catch(() => {});
    box.hidden = true;
    ctx.announce('Marked as seen.');
  });
  const n = st.unseen.length;
  replace(box,
    h('h3', { id: 'ov-paid' }, `${n} new payment${n === 1 ? '' : 's'} paid`),
    h('ul', { class: 'paid-list' }, st.unseen.map((u) => h('li', null,
      h('a', { href: `#payment?txn=${encodeURIComponent(u.txn)}` }, u.text), ' ', h('span', { class: 'hint' }, formatTime(new Date(u.at).toISOString()))))),
    h('div', { class: 'actions' }, seen));
}
