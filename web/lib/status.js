// Payment and withdrawal status numbers (spec §7.2, §7.3) as words: the rule and the words are
// core's, generated into codes.gen.js; this module adds what only the screens need.

export { paymentState, paymentLabel, withdrawalLabel } from './codes.gen.js';

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
