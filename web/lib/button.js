// Payment buttons and invoice links (spec §9): an HTML form the buyer's browser posts to
// Wallex Pay. No API key is involved. Pure: builds text, touches no DOM.

import { parseUnits, formatUnits, AmountError } from './money.js';

export const DEFAULT_ACTION = 'https://wallexpay.io/index.php';

/**
 * @typedef {object} ButtonSpec
 * @property {string} action        form action URL (configurable: Wallex does not document it)
 * @property {string} merchant      merchant ID
 * @property {string} currency      pricing currency
 * @property {string} amountf       price as decimal text
 * @property {string} item_name
 * @property {string} [item_desc]
 * @property {string} [item_number]
 * @property {string} [invoice]
 * @property {string} [custom]
 * @property {string} [allow_currencies]  comma list
 * @property {string} [on1]
 * @property {string} [ov1]
 * @property {string} [on2]
 * @property {string} [ov2]
 * @property {string} [label]       button text
 */

const LIMITS = /** @type {const} */ ({ item_name: 128, item_desc: 128, item_number: 128, invoice: 128, custom: 128, allow_currencies: 255, on1: 64, ov1: 64, on2: 64, ov2: 64 });
const OPTIONAL = /** @type {const} */ (['item_desc', 'item_number', 'invoice', 'custom', 'allow_currencies', 'on1', 'ov1', 'on2', 'ov2']);
const TICKER_RE = /^[A-Z0-9]+(\.[A-Z0-9]+)?$/;

/**
 * Checks a spec; returns the hidden fields in order, or the problems per field.
 * @param {ButtonSpec} spec
 * @returns {{ok: true, fields: [string, string][], action: string} | {ok: false, errors: {field: string, message: string}[]}}
 */
export function buildButtonFields(spec) {
  /** @type {{field: string, message: string}[]} */
  const errors = [];
  const t = (/** @type {string|undefined} */ v) => String(v ?? '').trim();
  const action = t(spec.action);
  try {
    const u = new URL(action);
    const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) errors.push({ field: 'action', message: 'must be an https:// address' });
    if (u.username || u.password) errors.push({ field: 'action', message: 'must not contain a user name or password' });
  } catch {
    errors.push({ field: 'action', message: 'is not a valid address (e.g. https://wallexpay.io/index.php)' });
  }
  const merchant = t(spec.merchant);
  if (!merchant) errors.push({ field: 'merchant', message: 'is required: your merchant ID (Overview shows it)' });
  else if (!/^[A-Za-z0-9_-]{1,64}$/.test(merchant)) errors.push({ field: 'merchant', message: 'must be letters and digits only' });
  const currency = t(spec.currency).toUpperCase();
  if (!currency) errors.push({ field: 'currency', message: 'is required, e.g. USD or BTC' });
  else if (!TICKER_RE.test(currency)) errors.push({ field: 'currency', message: 'is not a currency ticker such as USD or BTC' });
  let amountf = '';
  try {
    amountf = formatUnits(parseUnits(t(spec.amountf), { positive: true }));
  } catch (e) {
    if (!(e instanceof AmountError)) throw e;
    errors.push({ field: 'amountf', message: e.message });
  }
  const itemName = t(spec.item_name);
  if (!itemName) errors.push({ field: 'item_name', message: 'is required' });
  /** @type {[string, string][]} */
  const fields = [['cmd', '_pay_simple'], ['reset', '1'], ['merchant', merchant], ['currency', currency], ['amountf', amountf], ['item_name', itemName]];
  for (const name of OPTIONAL) {
    const v = t(spec[name]);
    if (v) fields.push([name, name === 'allow_currencies' ? v.toUpperCase().replace(/\s+/g, '') : v]);
  }
  for (const [name, v] of fields) {
    const max = LIMITS[/** @type {keyof typeof LIMITS} */ (name)];
    if (max && [...v].length > max) errors.push({ field: name, message: `is ${[...v].length} characters long; at most ${max}` });
  }
  const ac = fields.find(([n]) => n === 'allow_currencies');
  if (ac && !ac[1].split(',').every((c) => TICKER_RE.test(c))) errors.push({ field: 'allow_currencies', message: 'must be tickers separated by commas, e.g. BTC,LTC' });
  for (const [o, v] of [['on1', 'ov1'], ['on2', 'ov2']]) {
    const hasO = fields.some(([n]) => n === o);
    const hasV = fields.some(([n]) => n === v);
    if (hasV && !hasO) errors.push({ field: o, message: `is needed when ${v} is set (option name and value go together)` });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, fields, action };
}

/** Escapes text for an HTML attribute value in double quotes. @param {string} s */
export function escapeAttr(s) {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes text for HTML element content. @param {string} s */
export function escapeText(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The copyable HTML snippet.
 * @param {ButtonSpec} spec
 * @returns {{ok: true, html: string, link: string} | {ok: false, errors: {field: string, message: string}[]}}
 */
export function buildButtonHtml(spec) {
  const r = buildButtonFields(spec);
  if (r.ok === false) return { ok: false, errors: r.errors };
  const label = String(spec.label ?? '').trim() || 'Pay with Wallex Pay';
  const lines = [`<form action="${escapeAttr(r.action)}" method="post" target="_top">`];
  for (const [n, v] of r.fields) lines.push(`  <input type="hidden" name="${escapeAttr(n)}" value="${escapeAttr(v)}">`);
  lines.push(`  <button type="submit">${escapeText(label)}</button>`);
  lines.push('</form>');
  const u = new URL(r.action);
  for (const [n, v] of r.fields) u.searchParams.append(n, v);
  return { ok: true, html: lines.join('\n') + '\n', link: u.toString() };
}
