// Payment and withdrawal status numbers (spec §7.2, §7.3) as words.

/** @param {number} status @returns {'paid'|'failed'|'pending'} */
export function paymentState(status) {
  if (status >= 100 || status === 2) return 'paid';
  if (status < 0) return 'failed';
  return 'pending';
}

/** @param {number} status */
export function paymentLabel(status) {
  if (status >= 100) return 'Complete';
  if (status === 2) return 'Paid (queued for payout)';
  if (status === 1) return 'Funds received, confirming';
  if (status === 0) return 'Waiting for funds';
  return 'Cancelled or timed out';
}

/** @param {number} status */
export function withdrawalLabel(status) {
  switch (status) {
    case -1: return 'Cancelled';
    case 0: return 'Awaiting email confirmation';
    case 1: return 'Pending';
    case 2: return 'Complete';
    default: return `Status ${status}`;
  }
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
