// Exact money as decimal text or BigInt base units (1e-8 of a coin). Never a float.

import { AMOUNT_DECIMALS, FIAT_PLACES } from './codes.gen.js';

// A coin amount's places (core.AmountDecimals, generated from Go into codes.gen.js).
export const DECIMALS = AMOUNT_DECIMALS;
const SCALE = 10n ** BigInt(DECIMALS);
const DECIMAL_RE = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/;

export class AmountError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'AmountError';
  }
}

/**
 * Parses decimal text ("12.5", "0.00000001") into base units. Rejects signs, exponents,
 * separators, more than `decimals` places and zero/negatives when `positive` is set.
 * @param {string} text
 * @param {{decimals?: number, positive?: boolean}} [opts]
 * @returns {bigint}
 */
export function parseUnits(text, opts = {}) {
  const decimals = opts.decimals ?? DECIMALS;
  const s = String(text ?? '').trim();
  if (s === '') throw new AmountError('is empty: give a number such as 0.5');
  if (/^[-+]/.test(s)) {
    if (s[0] === '-' && opts.positive) throw new AmountError('must be more than zero');
    if (!opts.positive && s[0] === '-') return -parseUnits(s.slice(1), { decimals });
    throw new AmountError('must not have a sign');
  }
  if (/[eE]/.test(s)) throw new AmountError('must be a plain decimal number, not an exponent like 1e-8');
  if (/[, _]/.test(s)) throw new AmountError('must not contain separators: use a dot for decimals, e.g. 1234.5');
  const m = DECIMAL_RE.exec(s);
  if (!m) throw new AmountError('is not a number: use digits and one dot, e.g. 0.25');
  const whole = m[1] ?? '0';
  const frac = m[2] ?? m[3] ?? '';
  if (frac.length > decimals) throw new AmountError(`has more than ${decimals} decimal places`);
  const units = BigInt(whole) * 10n ** BigInt(decimals) + BigInt((frac + '0'.repeat(decimals)).slice(0, decimals) || '0');
  if (opts.positive && units <= 0n) throw new AmountError('must be more than zero');
  return units;
}

/**
 * Base units to decimal text with exactly `decimals` places ("0.10000000").
 * @param {bigint|number|string} units
 * @param {number} [decimals]
 */
export function formatUnits(units, decimals = DECIMALS) {
  let n = BigInt(units);
  const neg = n < 0n;
  if (neg) n = -n;
  const scale = 10n ** BigInt(decimals);
  const whole = n / scale;
  const frac = (n % scale).toString().padStart(decimals, '0');
  return (neg ? '-' : '') + whole.toString() + (decimals > 0 ? '.' + frac : '');
}

/**
 * Normalises decimal text to 8 places ("1.5" -> "1.50000000"). Throws AmountError.
 * @param {string} text
 */
export function normalizeAmount(text) {
  return formatUnits(parseUnits(text));
}

/**
 * Text for people: trailing zeros trimmed but at least `minDecimals` kept, thousands
 * grouped with a thin space. Exact: works on the text, never on a float.
 * @param {string|number|bigint} value  decimal text (or base units when a bigint)
 * @param {{minDecimals?: number, group?: boolean}} [opts]
 */
export function displayAmount(value, opts = {}) {
  const minDecimals = opts.minDecimals ?? 2;
  let text;
  if (typeof value === 'bigint') {
    text = formatUnits(value);
  } else {
    const s = String(value).trim();
    try {
      text = formatUnits(parseUnits(s, { decimals: 18 }), 18);
    } catch {
      return s; // not a number we understand: show it as it came
    }
  }
  const neg = text.startsWith('-');
  if (neg) text = text.slice(1);
  let [whole, frac = ''] = text.split('.');
  frac = frac.replace(/0+$/, '');
  if (frac.length < minDecimals) frac = frac.padEnd(minDecimals, '0');
  if (opts.group !== false) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
  return (neg ? '-' : '') + whole + (frac ? '.' + frac : '');
}

/** Currencies the rates mark as fiat (is_fiat), noted by web/coins.js as the rates load. @type {Set<string>} */
const fiatCodes = new Set();

/** Notes currencies the rates list as fiat (is_fiat: data from the API). @param {Iterable<string>} codes */
export function noteFiatCurrencies(codes) {
  for (const c of codes) fiatCodes.add(String(c).toUpperCase());
}

/** Whether the rates marked this currency as fiat. @param {string|undefined|null} code */
export function isFiatCurrency(code) {
  return fiatCodes.has(String(code ?? '').toUpperCase());
}

/**
 * The console's one amount format: the exact decimal text with the currency's places (a coin:
 * core.AmountDecimals, 8, the places Wallex Pay sends, trailing zeros kept; a fiat currency:
 * core.FiatPlaces, 2), thousands grouped with a thin space. Both numbers come from Go
 * (codes.gen.js). It never rounds: a non-zero digit past those places is shown.
 * @param {string|number|bigint} value  decimal text (or base units when a bigint)
 * @param {string|undefined|null} currency  the amount's currency, which decides its places
 * @param {{fiat?: boolean}} [opts]  fiat: true when the caller knows it is fiat (a fiat value)
 */
export function formatAmount(value, currency, opts = {}) {
  const fiat = opts.fiat ?? isFiatCurrency(currency);
  return displayAmount(value, { minDecimals: fiat ? FIAT_PLACES : AMOUNT_DECIMALS });
}

/** @param {string} a @param {string} b @returns {-1|0|1} */
export function compareAmounts(a, b) {
  const x = parseUnits(a);
  const y = parseUnits(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sum of decimal texts as decimal text (8 places). @param {string[]} amounts */
export function sumAmounts(amounts) {
  let t = 0n;
  for (const a of amounts) t += parseUnits(a);
  return formatUnits(t);
}

/** True when the decimal text is exactly zero. @param {string} text */
export function isZero(text) {
  try {
    return parseUnits(String(text), { decimals: 18 }) === 0n;
  } catch {
    return false;
  }
}
