#!/usr/bin/env node
// The extension's icons (manifest "icons" and the toolbar's "default_icon"), drawn here at
// build time as PNGs: no image editor, no download, no dependency (node's zlib writes the PNG).
// The mark: a rounded square in the console's accent blue with a white "W" drawn as one
// stroke, and a small green dot (paid) at its top end. Sizes 16, 32, 48 and 128; each is drawn
// from the vector shapes at its own size (4×4 samples a pixel), so the small ones stay sharp.
//
// Usage: node scripts/icons.mjs [OUT_DIR]   (default dist/extension/ext/icons)
//        node scripts/icons.mjs --svg         (writes web/icon.svg, the console page's icon)

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const ICON_SIZES = [16, 32, 48, 128];

const BLUE = [11, 92, 173];   // --accent, light theme
const WHITE = [255, 255, 255];
const GREEN = [46, 204, 113];

// In a 0..1 square: the W's stroke as a polyline, its width, the dot.
const W = [[0.2, 0.3], [0.34, 0.72], [0.5, 0.42], [0.66, 0.72], [0.8, 0.3]];
const STROKE = 0.1;
const DOT = { x: 0.8, y: 0.3, r: 0.075 };

/** Distance from p to the segment a-b. */
function segDist(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Inside a rounded square covering the icon (corner radius 22%). */
function inSquare(x, y) {
  const r = 0.22;
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  return Math.hypot(x - cx, y - cy) <= r;
}

/** The colour (with alpha 0..1) at a point of the unit square. */
function sample(x, y) {
  if (!inSquare(x, y)) return null;
  if (Math.hypot(x - DOT.x, y - DOT.y) <= DOT.r) return GREEN;
  for (let i = 0; i + 1 < W.length; i++) if (segDist(x, y, W[i], W[i + 1]) <= STROKE / 2) return WHITE;
  return BLUE;
}

/** RGBA pixels of the icon at n × n. */
export function drawIcon(n) {
  const px = Buffer.alloc(n * n * 4);
  const S = 4;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sj = 0; sj < S; sj++) {
        for (let si = 0; si < S; si++) {
          const c = sample((i + (si + 0.5) / S) / n, (j + (sj + 0.5) / S) / n);
          if (!c) continue;
          r += c[0]; g += c[1]; b += c[2]; a++;
        }
      }
      const o = (j * n + i) * 4;
      if (a) {
        px[o] = Math.round(r / a); px[o + 1] = Math.round(g / a); px[o + 2] = Math.round(b / a);
        px[o + 3] = Math.round((255 * a) / (S * S));
      }
    }
  }
  return px;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, k) => {
  let c = k;
  for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A PNG (8-bit RGBA) of n × n pixels. */
export function png(n, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(n, 0);
  ihdr.writeUInt32BE(n, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(n * (n * 4 + 1));
  for (let y = 0; y < n; y++) rgba.copy(raw, y * (n * 4 + 1) + 1, y * n * 4, (y + 1) * n * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * The same mark as an SVG, from the same shapes: the console page's icon (web/icon.svg, served
 * for /favicon.ico too). A test checks the committed file is this output.
 */
export function iconSVG() {
  const u = (/** @type {number} */ v) => +(v * 100).toFixed(2);
  const rgb = (/** @type {number[]} */ c) => `rgb(${c.join(',')})`;
  return '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">' +
    `<rect width="100" height="100" rx="22" fill="${rgb(BLUE)}"/>` +
    `<polyline points="${W.map(([x, y]) => `${u(x)},${u(y)}`).join(' ')}" fill="none" stroke="${rgb(WHITE)}" stroke-width="${u(STROKE)}" stroke-linecap="round" stroke-linejoin="round"/>` +
    `<circle cx="${u(DOT.x)}" cy="${u(DOT.y)}" r="${u(DOT.r)}" fill="${rgb(GREEN)}"/></svg>\n`;
}

/** Writes icon-16.png … icon-128.png into dir. @param {string} dir */
export function writeIcons(dir) {
  mkdirSync(dir, { recursive: true });
  for (const n of ICON_SIZES) writeFileSync(path.join(dir, `icon-${n}.png`), png(n, drawIcon(n)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  if (process.argv[2] === '--svg') {
    writeFileSync(path.join(root, 'web', 'icon.svg'), iconSVG());
    console.log('icons: web/icon.svg');
    process.exit(0);
  }
  const out = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'extension', 'ext', 'icons'));
  writeIcons(out);
  console.log(`icons: ${ICON_SIZES.map((n) => `icon-${n}.png`).join(', ')} in ${path.relative(root, out) || out}`);
}
