// Fiat equivalents: the store's chosen currency (kept per store in the page's store), and
// values computed by core (the bridge's fiatValue/fiatValues: exact decimals, rounded half up to
// cents), always shown as approximate. JS never multiplies money.

import { h } from './dom.js';
import { field } from './ui.js';
import { formatAmount } from './lib/money.js';
import { t } from './lib/i18n.js';
import { loadCoins, truthy } from './coins.js';

/** @typedef {import('./app.js').Ctx} Ctx */

const KEY = 'wk.fiat.';

/** The fiat currencies the store's rates list (is_fiat). @param {Ctx} ctx */
export async function fiatChoices(ctx) {
  return (await loadCoins(ctx.backend)).filter((c) => truthy(c.is_fiat)).map((c) => c.coin).sort();
}

/** The store's currency for fiat values: its choice, else USD, else the first fiat the rates list. @param {Ctx} ctx */
export async function storeFiat(ctx) {
  const choices = await fiatChoices(ctx);
  const saved = await ctx.store.get(KEY + (ctx.backend.storeId?.() ?? ''));
  if (typeof saved === 'string' && choices.includes(saved)) return saved;
  return choices.includes('USD') ? 'USD' : choices[0] ?? '';
}

/** @param {Ctx} ctx @param {string} fiat */
export async function setStoreFiat(ctx, fiat) {
  await ctx.store.set(KEY + (ctx.backend.storeId?.() ?? ''), fiat);
}

/**
 * Values in the store's fiat for a list of coin amounts, from core; null for each that cannot be
 * converted (a coin the rates do not list), and all null when the rates are not to be had.
 * @param {Ctx} ctx @param {{coin: string, amount: string}[]} items @param {string} [fiat]
 * @returns {Promise<({value: string, fiat: string}|null)[]>}
 */
export async function fiatValues(ctx, items, fiat) {
  try {
    const f = fiat ?? await storeFiat(ctx);
    if (!f || !items.length) return items.map(() => null);
    const rates = { coins: await loadCoins(ctx.backend) };
    const out = await ctx.backend.fiatValues({ items, fiat: f, rates });
    return out.map((v) => ('value' in v ? { value: v.value, fiat: v.fiat } : null));
  } catch {
    return items.map(() => null);
  }
}

/**
 * The sum of the values fiatValues gives for items, from core (what their column adds up to; an
 * item with no value is left out of it); null when it is not to be had.
 * @param {Ctx} ctx @param {{coin: string, amount: string}[]} items @param {string} fiat
 * @returns {Promise<{value: string, fiat: string}|null>}
 */
export async function fiatTotal(ctx, items, fiat) {
  try {
    const v = await ctx.backend.fiatTotal({ items, fiat, rates: { coins: await loadCoins(ctx.backend) } });
    return { value: v.value, fiat: v.fiat };
  } catch {
    return null;
  }
}

/** "≈ 1,234.56 USD" (approximate: a market estimate at the rates' time). @param {{value: string, fiat: string}|null} v */
export function approx(v) {
  return v ? `≈ ${formatAmount(v.value, v.fiat, { fiat: true })} ${v.fiat}` : '';
}

/** A node saying it is approximate. @param {{value: string, fiat: string}|null} v */
export function approxNode(v) {
  return v ? h('bdi', { dir: 'ltr', class: 'fiat', title: t('fiat_approx_title') }, approx(v)) : '';
}

/**
 * A "Show values in" select for the store's fiat; onChange gets the new currency.
 * @param {Ctx} ctx @param {(fiat: string) => void} onChange
 */
export function fiatPicker(ctx, onChange) {
  const f = field({ label: t('fiat_values_in'), name: 'fiatCurrency', type: 'select', options: [], hint: t('fiat_values_in_hint') });
  Promise.all([fiatChoices(ctx), storeFiat(ctx)]).then(([choices, cur]) => {
    for (const c of choices) f.input.appendChild(h('option', { value: c, selected: c === cur }, c));
    f.wrap.hidden = !choices.length;
  }).catch(() => { f.wrap.hidden = true; });
  f.input.addEventListener('change', async () => {
    await setStoreFiat(ctx, f.input.value);
    onChange(f.input.value);
  });
  return f;
}
