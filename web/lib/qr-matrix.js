// A QR code's modules for a text, from the npm package uqr (pinned in package-lock.json, copied
// into lib/vendor at build time by scripts/vendor.mjs): a well-kept encoder, because a QR code
// that is wrong loses money. Byte mode for any text; error correction M unless asked.

import { encode } from './vendor/uqr.js';

/**
 * @param {string} text
 * @param {{ecl?: 'L'|'M'|'Q'|'H'}} [opts]
 * @returns {{size: number, version: number, get: (x: number, y: number) => boolean}}
 */
export function qrMatrix(text, opts = {}) {
  const qr = encode(String(text), { ecc: opts.ecl ?? 'M', border: 0 });
  return { size: qr.size, version: qr.version, get: (x, y) => Boolean(qr.data[y]?.[x]) };
}
