// Payment and withdrawal status numbers (spec §7.2, §7.3) as words: the rule and the words are
// core's, generated into codes.gen.js; this module adds what only the screens need. In another
// locale than English a status reads from the messages (pstatus_<n>, wstatus_<n>; en's copies
// are checked equal to Go's words by web/test/i18n.test.mjs); English is Go's own words.

import { paymentLabel as goPaymentLabel, withdrawalLabel as goWithdrawalLabel } from './codes.gen.js';
import { t, currentLocale } from './i18n.js';

export { paymentState } from './codes.gen.js';

/** @param {string} key @param {string} english */
function words(key, english) {
  if (currentLocale() === 'en') return english;
  const m = t(key);
  return m === key ? english : m;
}

/** A payment status in the merchant's language. @param {number} status */
export function paymentLabel(status) {
  const s = Number(status);
  const n = s >= 100 ? 100 : s < 0 ? -1 : s;
  return words(`pstatus_${String(n).replace('-', 'm')}`, goPaymentLabel(status));
}

/** A withdrawal status in the merchant's language. @param {number} status */
export function withdrawalLabel(status) {
  return words(`wstatus_${String(Number(status)).replace('-', 'm')}`, goWithdrawalLabel(status));
}

/** Seconds from a `timeout` that may be seconds or (from Go's time.Duration) nanoseconds. @param {number|string} t */
export function timeoutSeconds(t) {
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0) return 0;
  return n > 1e8 ? Math.round(n / 1e9) : n; // more than ~3 years of seconds can only be nanoseconds
}

/** Only http(s) URLs become links. @param {string} u */
export function safeHttpUrl(u) {
  try {
    const url = new URL(String(u));
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : '';
  } catch {
    return '';
  }
}
