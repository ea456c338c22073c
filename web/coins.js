// The coin list (from rates), cached briefly so every screen can offer currency choices.

import { noteFiatCurrencies } from './lib/money.js';

/** @typedef {import('./backend.js').Rate} Rate */

/** Per backend, per store: each account has its own coins. @type {WeakMap<object, Map<string, {at: number, coins: Promise<Rate[]>}>>} */
const cache = new WeakMap();
const TTL_MS = 5 * 60_000;

/**
 * All coins the store's account knows (not only accepted ones), cached for five minutes.
 * @param {import('./backend.js').Backend} backend
 * @returns {Promise<Rate[]>}
 */
export function loadCoins(backend) {
  const store = backend.storeId?.() ?? '';
  let m = cache.get(backend);
  if (!m) cache.set(backend, (m = new Map()));
  const hit = m.get(store);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.coins;
  const coins = backend.rates({}).then((r) => {
    // which currencies are fiat decides how many places their amounts show (formatAmount)
    noteFiatCurrencies(r.coins.filter((c) => truthy(c.is_fiat)).map((c) => c.coin));
    return r.coins;
  });
  m.set(store, { at: Date.now(), coins });
  coins.catch(() => m?.delete(store));
  return coins;
}

/** @param {unknown} v */
export function truthy(v) {
  return v === true || v === 1 || v === '1';
}

/** Coins usable as a payment currency or wallet coin (not fiat). @param {Rate[]} coins */
export function cryptoCoins(coins) {
  return coins.filter((c) => !truthy(c.is_fiat));
}

/** @param {Rate[]} coins @param {string} [selected] */
export function coinOptions(coins, selected) {
  return coins.map((c) => ({ value: c.coin, label: c.name ? `${c.coin} — ${c.name}` : c.coin, selected: c.coin === selected }));
}
