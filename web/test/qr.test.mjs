import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import jsQR from 'jsqr';
import {
  encodeQR, rsRemainder, formatBits, versionBits, blockLayout, rawDataModules, dataCodewords, sizeOf, maskBit,
} from '../lib/qr.js';

// Reed–Solomon against the worked examples of the standard (ISO 18004 annex I, "01234567" at
// 1-M) and the widely published 1-M "HELLO WORLD" example: same generator, two data sets.
test('Reed–Solomon remainders match published 1-M examples', () => {
  assert.deepEqual(
    rsRemainder([16, 32, 12, 86, 97, 128, 236, 17, 236, 17, 236, 17, 236, 17, 236, 17], 10),
    [165, 36, 212, 193, 237, 54, 199, 135, 44, 85]);
  assert.deepEqual(
    rsRemainder([32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17], 10),
    [196, 35, 39, 119, 235, 215, 231, 226, 93, 23]);
});

test('format info bits match the standard table', () => {
  const table = {
    L: ['111011111000100', '111001011110011', '111110110101010', '111100010011101',
      '110011000101111', '110001100011000', '110110001000001', '110100101110110'],
    M: ['101010000010010', '101000100100101', '101111001111100', '101101101001011',
      '100010111111001', '100000011001110', '100111110010111', '100101010100000'],
  };
  for (const [ecl, rows] of Object.entries(table)) {
    rows.forEach((bits, mask) => assert.equal(formatBits(/** @type {'L'|'M'} */ (ecl), mask).toString(2).padStart(15, '0'), bits, `${ecl} mask ${mask}`));
  }
});

test('version info bits match the standard table', () => {
  assert.equal(versionBits(7), 0x07c94);
  assert.equal(versionBits(8), 0x085bc);
  assert.equal(versionBits(9), 0x09a99);
  assert.equal(versionBits(10), 0x0a4d3);
});

test('block tables fill each version exactly (codewords*8 + remainder bits = raw modules)', () => {
  const remainder = [0, 0, 7, 7, 7, 7, 7, 0, 0, 0, 0];
  for (let v = 1; v <= 10; v++) {
    for (const ecl of /** @type {const} */ (['L', 'M', 'Q', 'H'])) {
      const { totalCodewords } = blockLayout(v, ecl);
      assert.equal(totalCodewords * 8 + remainder[v], rawDataModules(v), `version ${v}-${ecl}`);
    }
  }
});

test('byte-mode data codewords: mode, count, terminator, padding', () => {
  const cw = dataCodewords(new TextEncoder().encode('AB'), 1, 'M');
  // 0100 00000010 01000001 01000010 0000 → 0x40 0x24 0x14 0x20, then EC 11 pad alternation
  assert.deepEqual(cw.slice(0, 4), [0x40, 0x24, 0x14, 0x20]);
  assert.deepEqual(cw.slice(4, 8), [0xec, 0x11, 0xec, 0x11]);
  assert.equal(cw.length, 16);
});

/** @param {import('../lib/qr.js').QRCode} qr @param {number} x0 @param {number} y0 */
function assertFinder(qr, x0, y0) {
  for (let dy = 0; dy < 7; dy++) {
    for (let dx = 0; dx < 7; dx++) {
      const ring = Math.max(Math.abs(dx - 3), Math.abs(dy - 3));
      assert.equal(qr.get(x0 + dx, y0 + dy), ring !== 2, `finder at ${x0},${y0} module ${dx},${dy}`);
    }
  }
}

/** Reads both format-info copies back from the matrix. @param {import('../lib/qr.js').QRCode} qr */
function readFormat(qr) {
  const s = qr.size;
  const b = (/** @type {number} */ x, /** @type {number} */ y) => (qr.get(x, y) ? 1 : 0);
  let a = 0;
  let c = 0;
  const first = [];
  for (let i = 0; i <= 5; i++) first[i] = b(8, i);
  first[6] = b(8, 7); first[7] = b(8, 8); first[8] = b(7, 8);
  for (let i = 9; i < 15; i++) first[i] = b(14 - i, 8);
  const second = [];
  for (let i = 0; i < 8; i++) second[i] = b(s - 1 - i, 8);
  for (let i = 8; i < 15; i++) second[i] = b(8, s - 15 + i);
  for (let i = 14; i >= 0; i--) { a = (a << 1) | first[i]; c = (c << 1) | second[i]; }
  return [a, c];
}

test('a known short string gives a deterministic matrix with correct function patterns', () => {
  const qr = encodeQR('wallexkit', { ecl: 'M' });
  assert.equal(qr.version, 1);
  assert.equal(qr.size, 21);
  assertFinder(qr, 0, 0);
  assertFinder(qr, 14, 0);
  assertFinder(qr, 0, 14);
  // separators are light
  for (let i = 0; i < 8; i++) {
    assert.equal(qr.get(7, i), false); assert.equal(qr.get(i, 7), false);
    assert.equal(qr.get(13, i), false); assert.equal(qr.get(i, 13), false);
  }
  // timing patterns alternate, dark module is dark
  for (let i = 8; i < 13; i++) {
    assert.equal(qr.get(i, 6), i % 2 === 0);
    assert.equal(qr.get(6, i), i % 2 === 0);
  }
  assert.equal(qr.get(8, 13), true);
  const [f1, f2] = readFormat(qr);
  assert.equal(f1, formatBits('M', qr.mask));
  assert.equal(f2, formatBits('M', qr.mask));
  // determinism: same input, same matrix; pin it so an accidental change is noticed
  const again = encodeQR('wallexkit', { ecl: 'M' });
  assert.deepEqual(again.modules, qr.modules);
  const rows = [];
  for (let y = 0; y < qr.size; y++) {
    let r = '';
    for (let x = 0; x < qr.size; x++) r += qr.get(x, y) ? '#' : '.';
    rows.push(r);
  }
  const digest = createHash('sha256').update(rows.join('\n')).digest('hex');
  assert.equal(digest, QR_WALLEXKIT_M_SHA256, rows.join('\n'));
});
// Pinned after the matrix was decoded by an independent reader (jsQR, below).
const QR_WALLEXKIT_M_SHA256 = '7d3adf21336c753ad48ba22c24f37733bcf0c29570dd6929a5a316329c5e2caa';

test('version 7+ carries version info in both blocks', () => {
  const qr = encodeQR('x'.repeat(150), { ecl: 'M' });
  assert.ok(qr.version >= 7);
  const s = qr.size;
  const want = versionBits(qr.version);
  let a = 0;
  let b = 0;
  for (let i = 17; i >= 0; i--) {
    const x = s - 11 + (i % 3);
    const y = Math.floor(i / 3);
    a = (a << 1) | (qr.get(x, y) ? 1 : 0);
    b = (b << 1) | (qr.get(y, x) ? 1 : 0);
  }
  assert.equal(a, want);
  assert.equal(b, want);
});

test('versions grow with the input and stop at 10', () => {
  assert.equal(encodeQR('a'.repeat(14), { ecl: 'M' }).version, 1); // 1-M holds 14 bytes
  assert.equal(encodeQR('a'.repeat(15), { ecl: 'M' }).version, 2);
  assert.equal(encodeQR('a'.repeat(17), { ecl: 'L' }).version, 1); // 1-L holds 17 bytes
  assert.equal(encodeQR('a'.repeat(213), { ecl: 'M' }).version, 10); // 10-M holds 213 bytes
  assert.throws(() => encodeQR('a'.repeat(214), { ecl: 'M' }), /too long/);
  assert.equal(sizeOf(10), 57);
});

test('mask conditions', () => {
  assert.equal(maskBit(0, 0, 0), true);
  assert.equal(maskBit(1, 1, 0), false);
  assert.equal(maskBit(2, 0, 3), true);
  assert.throws(() => maskBit(8, 0, 0));
});

/** Renders to RGBA with a 4-module quiet zone. @param {import('../lib/qr.js').QRCode} qr */
function rgba(qr, scale = 4) {
  const dim = (qr.size + 8) * scale;
  const data = new Uint8ClampedArray(dim * dim * 4).fill(255);
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) {
      if (!qr.get(x, y)) continue;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const p = (((y + 4) * scale + dy) * dim + (x + 4) * scale + dx) * 4;
          data[p] = data[p + 1] = data[p + 2] = 0;
        }
      }
    }
  }
  return { data, dim };
}

test('an independent decoder (jsQR) reads back every version 1–10, levels L and M, every mask', () => {
  const samples = [];
  for (const ecl of /** @type {const} */ (['L', 'M'])) {
    for (let v = 1; v <= 10; v++) {
      const cap = blockLayout(v, ecl).dataCodewords - (v <= 9 ? 2 : 3);
      samples.push({ ecl, v, text: `https://wallexpay.io/checkout/${'x'.repeat(cap)}`.slice(0, cap) });
    }
  }
  samples.push({ ecl: 'M', v: 3, text: 'bitcoincash:qsbx0123456789abcdef0123456789' });
  samples.push({ ecl: 'M', v: 1, text: 'Grüße €' }); // 11 UTF-8 bytes
  for (const s of samples) {
    const qr = encodeQR(s.text, { ecl: s.ecl });
    assert.equal(qr.version, s.v, `${s.ecl} ${s.text.length} bytes`);
    const img = rgba(qr);
    const got = jsQR(img.data, img.dim, img.dim);
    assert.ok(got, `jsQR found no code for version ${qr.version}-${s.ecl}`);
    assert.equal(got.data, s.text);
    assert.equal(got.version, qr.version);
  }
  for (let mask = 0; mask < 8; mask++) {
    const qr = encodeQR('mask test', { ecl: 'M', mask });
    const img = rgba(qr);
    assert.equal(jsQR(img.data, img.dim, img.dim)?.data, 'mask test', `mask ${mask}`);
  }
  const pinned = encodeQR('wallexkit', { ecl: 'M' });
  const img = rgba(pinned);
  assert.equal(jsQR(img.data, img.dim, img.dim)?.data, 'wallexkit');
});
