// Draws a QR code (lib/qr-matrix.js: the npm encoder uqr) as one SVG path: crisp at any size, no
// canvas, no network.

import { svg } from './dom.js';
import { qrMatrix } from './lib/qr-matrix.js';

/**
 * @param {string} text
 * @param {{label: string, ecl?: 'L'|'M', size?: number}} opts  label: what the code holds, for screen readers
 */
export function qrSvg(text, opts) {
  const qr = qrMatrix(text, { ecl: opts.ecl ?? 'M' });
  const quiet = 4;
  const dim = qr.size + quiet * 2;
  let d = '';
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) if (qr.get(x, y)) d += `M${x + quiet} ${y + quiet}h1v1h-1z`;
  }
  const el = svg('svg', { viewBox: `0 0 ${dim} ${dim}`, width: opts.size ?? 192, height: opts.size ?? 192, role: 'img', 'aria-label': opts.label, class: 'qr', 'shape-rendering': 'crispEdges' });
  el.dataset.version = String(qr.version);
  el.appendChild(svg('rect', { width: dim, height: dim, fill: '#fff' }));
  el.appendChild(svg('path', { d, fill: '#000' }));
  return el;
}
