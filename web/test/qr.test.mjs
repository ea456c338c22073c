// The QR codes the console draws (lib/qr-matrix.js over the npm encoder uqr, copied into
// lib/vendor by scripts/vendor.mjs at build time) decode back to exactly their text with an
// independent decoder (jsQR): payment URIs of each kind, addresses, long and non-ASCII text,
// every error-correction level. A QR code that is wrong loses money.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import jsQR from 'jsqr';
import { qrMatrix } from '../lib/qr-matrix.js';

/** Renders to RGBA with a 4-module quiet zone, as qr-view.js draws it. @param {ReturnType<typeof qrMatrix>} qr */
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

const SAMPLES = [
  'litecoin:tltc1qe6jue0ygg8jk057pklu3xpxlp390qdfkslp6ph?amount=0.16000000',
  'bitcoin:bc1q4m6rua8flzcpyzjzd0mjtef7ptl3eujqex8sgu?amount=0.00012345',
  'bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a?amount=1.5',
  'dogecoin:DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L?amount=1000',
  'ethereum:0x8d8872e7e2a2324cd175710f1049755ca6234540?value=30000000000000000',
  '0xf6cf4c680847c4549c550c104f1b50937f8c22a8',
  'tltc1qzwzutl0vq5zj7ndkjnlghuz7c6g35ww66680cf',
  `https://wallexpay.io/checkout/${'x'.repeat(300)}`,
  'Grüße € — 支払い',
  '1',
];

test('every code decodes back to exactly its text, at every error-correction level', () => {
  for (const ecl of /** @type {const} */ (['L', 'M', 'Q', 'H'])) {
    for (const text of SAMPLES) {
      const qr = qrMatrix(text, { ecl });
      const img = rgba(qr);
      const got = jsQR(img.data, img.dim, img.dim);
      assert.ok(got, `jsQR found no code for ${ecl} ${text.slice(0, 40)}`);
      assert.equal(got.data, text, `${ecl} ${text.slice(0, 40)}`);
      assert.equal(got.version, qr.version);
    }
  }
});

test('longer text takes a larger version; the finder patterns are where the standard puts them', () => {
  const small = qrMatrix('1', { ecl: 'M' });
  const big = qrMatrix(SAMPLES[7], { ecl: 'M' });
  assert.equal(small.version, 1);
  assert.equal(small.size, 21);
  assert.ok(big.version > 10);
  assert.equal(big.size, 17 + 4 * big.version);
  for (const qr of [small, big]) {
    for (const [ox, oy] of [[0, 0], [qr.size - 7, 0], [0, qr.size - 7]]) {
      // 7×7: dark ring, light ring, dark 3×3 core
      for (let i = 0; i < 7; i++) {
        assert.equal(qr.get(ox + i, oy), true);
        assert.equal(qr.get(ox, oy + i), true);
      }
      assert.equal(qr.get(ox + 1, oy + 1), false);
      assert.equal(qr.get(ox + 3, oy + 3), true);
    }
  }
});

test('the encoder is the pinned npm package, copied as it is', () => {
  const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8'));
  const version = lock.packages['node_modules/uqr'].version;
  const copied = readFileSync(new URL('../lib/vendor/uqr.js', import.meta.url), 'utf8');
  const original = readFileSync(new URL('../../node_modules/uqr/dist/index.mjs', import.meta.url), 'utf8');
  assert.ok(copied.startsWith(`// uqr ${version} (npm, MIT)`));
  assert.ok(copied.endsWith(original), 'the copy is the package file unchanged');
  assert.ok(!/\bimport\b[^(]*from|\bimport\(/.test(original), 'one module, no imports');
});
