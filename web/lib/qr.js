// A small QR Code encoder (ISO/IEC 18004): byte mode, versions 1–10, error correction L, M, Q
// or H. Enough for payment addresses and checkout links; it draws nothing itself (see
// web/qr-view.js). Written for this project from the standard's description.

/** @typedef {'L'|'M'|'Q'|'H'} ECLevel */

/**
 * @typedef {object} QRCode
 * @property {number} version      1–10
 * @property {number} size         modules per side (17 + 4 * version)
 * @property {ECLevel} ecl
 * @property {number} mask         0–7
 * @property {Uint8Array} modules  size*size, row-major, 1 = dark
 * @property {Uint8Array} reserved size*size, 1 = function pattern (finder, timing, format, …)
 * @property {(x: number, y: number) => boolean} get  dark at column x, row y
 */

export const MIN_VERSION = 1;
export const MAX_VERSION = 10;

// Format-info bits for each level (ISO 18004 table 12).
const EC_FORMAT_BITS = { L: 1, M: 0, Q: 3, H: 2 };

// Per version (index 1–10) and level: [EC codewords per block, blocks in group 1, data
// codewords per group-1 block, blocks in group 2, data codewords per group-2 block].
/** @type {Record<ECLevel, number[][]>} */
const BLOCKS = {
  L: [[], [7, 1, 19, 0, 0], [10, 1, 34, 0, 0], [15, 1, 55, 0, 0], [20, 1, 80, 0, 0], [26, 1, 108, 0, 0],
    [18, 2, 68, 0, 0], [20, 2, 78, 0, 0], [24, 2, 97, 0, 0], [30, 2, 116, 0, 0], [18, 2, 68, 2, 69]],
  M: [[], [10, 1, 16, 0, 0], [16, 1, 28, 0, 0], [26, 1, 44, 0, 0], [18, 2, 32, 0, 0], [24, 2, 43, 0, 0],
    [16, 4, 27, 0, 0], [18, 4, 31, 0, 0], [22, 2, 38, 2, 39], [22, 3, 36, 2, 37], [26, 4, 43, 1, 44]],
  Q: [[], [13, 1, 13, 0, 0], [22, 1, 22, 0, 0], [18, 2, 17, 0, 0], [26, 2, 24, 0, 0], [18, 2, 15, 2, 16],
    [24, 4, 19, 0, 0], [18, 2, 14, 4, 15], [22, 4, 18, 2, 19], [20, 4, 16, 4, 17], [24, 6, 19, 2, 20]],
  H: [[], [17, 1, 9, 0, 0], [28, 1, 16, 0, 0], [22, 2, 13, 0, 0], [16, 4, 9, 0, 0], [22, 2, 11, 2, 12],
    [28, 4, 15, 0, 0], [26, 4, 13, 1, 14], [26, 4, 14, 2, 15], [24, 4, 12, 4, 13], [28, 6, 15, 2, 16]],
};

// Alignment pattern centre coordinates per version (index 1–10).
const ALIGN = [[], [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34], [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50]];

/** @param {number} version */
export function sizeOf(version) {
  return 17 + 4 * version;
}

/** Block layout of a version/level. @param {number} version @param {ECLevel} ecl */
export function blockLayout(version, ecl) {
  const [ec, n1, d1, n2, d2] = BLOCKS[ecl][version];
  const blocks = [];
  for (let i = 0; i < n1; i++) blocks.push(d1);
  for (let i = 0; i < n2; i++) blocks.push(d2);
  const dataCodewords = n1 * d1 + n2 * d2;
  return { ecPerBlock: ec, blocks, dataCodewords, totalCodewords: dataCodewords + ec * blocks.length };
}

/** Modules available for codewords and remainder bits. @param {number} version */
export function rawDataModules(version) {
  const size = sizeOf(version);
  let n = size * size;
  n -= 3 * 64; // finders with separators
  n -= 2 * (size - 16); // timing patterns (minus the parts inside finders)
  n -= 31; // two format-info copies and the dark module
  const a = ALIGN[version].length;
  if (a > 0) {
    const count = a * a - 3; // minus the three that would overlap finders
    n -= count * 25;
    n += 2 * (a - 2) * 5; // alignment patterns crossing a timing pattern share 5 modules each
  }
  if (version >= 7) n -= 36; // two version-info blocks
  return n;
}

// ---- GF(256) arithmetic and Reed–Solomon --------------------------------------------------

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d; // x^8 + x^4 + x^3 + x^2 + 1
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255];
}

/** @param {number} a @param {number} b */
function gfMul(a, b) {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

/** Generator polynomial coefficients (highest degree first, leading 1 omitted). @param {number} degree */
export function rsGenerator(degree) {
  let poly = [1];
  for (let i = 0; i < degree; i++) {
    const next = new Array(poly.length + 1).fill(0);
    for (let j = 0; j < poly.length; j++) {
      next[j] ^= poly[j];
      next[j + 1] ^= gfMul(poly[j], EXP[i]);
    }
    poly = next;
  }
  return poly.slice(1);
}

/** Error-correction codewords of one block. @param {ArrayLike<number>} data @param {number} degree */
export function rsRemainder(data, degree) {
  const gen = rsGenerator(degree);
  const rem = new Array(degree).fill(0);
  for (let i = 0; i < data.length; i++) {
    const factor = data[i] ^ rem[0];
    rem.shift();
    rem.push(0);
    for (let j = 0; j < degree; j++) rem[j] ^= gfMul(gen[j], factor);
  }
  return rem;
}

// ---- BCH codes for format and version info ------------------------------------------------

/** 15-bit format info (mask pattern + level), already XOR-masked. @param {ECLevel} ecl @param {number} mask */
export function formatBits(ecl, mask) {
  const data = (EC_FORMAT_BITS[ecl] << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | rem) ^ 0x5412;
}

/** 18-bit version info (versions 7 and up). @param {number} version */
export function versionBits(version) {
  let rem = version;
  for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
  return (version << 12) | rem;
}

// ---- Data encoding ------------------------------------------------------------------------

/** @param {number} version */
function charCountBits(version) {
  return version <= 9 ? 8 : 16;
}

/**
 * Data codewords (byte mode, terminator and padding) for a version/level.
 * @param {Uint8Array} bytes @param {number} version @param {ECLevel} ecl
 */
export function dataCodewords(bytes, version, ecl) {
  const { dataCodewords: capacity } = blockLayout(version, ecl);
  /** @type {number[]} */
  const bits = [];
  const put = (/** @type {number} */ value, /** @type {number} */ n) => {
    for (let i = n - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0100, 4);
  put(bytes.length, charCountBits(version));
  for (const b of bytes) put(b, 8);
  const capBits = capacity * 8;
  if (bits.length > capBits) throw new RangeError('data too long for this version');
  put(0, Math.min(4, capBits - bits.length));
  while (bits.length % 8) bits.push(0);
  const out = [];
  for (let i = 0; i < bits.length; i += 8) {
    let v = 0;
    for (let j = 0; j < 8; j++) v = (v << 1) | bits[i + j];
    out.push(v);
  }
  for (let pad = 0xec; out.length < capacity; pad ^= 0xec ^ 0x11) out.push(pad);
  return out;
}

/** Split into blocks, add EC, interleave. @param {number[]} data @param {number} version @param {ECLevel} ecl */
export function interleave(data, version, ecl) {
  const { ecPerBlock, blocks } = blockLayout(version, ecl);
  const dataBlocks = [];
  const ecBlocks = [];
  let k = 0;
  for (const len of blocks) {
    const d = data.slice(k, k + len);
    k += len;
    dataBlocks.push(d);
    ecBlocks.push(rsRemainder(d, ecPerBlock));
  }
  const out = [];
  const maxLen = Math.max(...blocks);
  for (let i = 0; i < maxLen; i++) for (const d of dataBlocks) if (i < d.length) out.push(d[i]);
  for (let i = 0; i < ecPerBlock; i++) for (const e of ecBlocks) out.push(e[i]);
  return out;
}

// ---- Matrix -------------------------------------------------------------------------------

class Matrix {
  /** @param {number} version */
  constructor(version) {
    this.version = version;
    this.size = sizeOf(version);
    this.modules = new Uint8Array(this.size * this.size);
    this.reserved = new Uint8Array(this.size * this.size);
  }
  /** @param {number} x @param {number} y @param {boolean|number} dark */
  fn(x, y, dark) {
    const i = y * this.size + x;
    this.modules[i] = dark ? 1 : 0;
    this.reserved[i] = 1;
  }
  /** @param {number} cx @param {number} cy */
  finder(cx, cy) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= this.size || y >= this.size) continue;
        const d = Math.max(Math.abs(dx), Math.abs(dy));
        this.fn(x, y, d !== 2 && d !== 4);
      }
    }
  }
  /** @param {number} cx @param {number} cy */
  alignment(cx, cy) {
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) this.fn(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  }
  functionPatterns() {
    const s = this.size;
    for (let i = 0; i < s; i++) {
      this.fn(6, i, i % 2 === 0);
      this.fn(i, 6, i % 2 === 0);
    }
    this.finder(3, 3);
    this.finder(s - 4, 3);
    this.finder(3, s - 4);
    const pos = ALIGN[this.version];
    for (let i = 0; i < pos.length; i++) {
      for (let j = 0; j < pos.length; j++) {
        const corner = (i === 0 && j === 0) || (i === 0 && j === pos.length - 1) || (i === pos.length - 1 && j === 0);
        if (!corner) this.alignment(pos[i], pos[j]);
      }
    }
    this.format(0); // reserve the areas; real bits are drawn after masking
    this.versionInfo();
  }
  /** @param {number} bits 15-bit format info */
  format(bits) {
    const s = this.size;
    const bit = (/** @type {number} */ i) => (bits >>> i) & 1;
    for (let i = 0; i <= 5; i++) this.fn(8, i, bit(i));
    this.fn(8, 7, bit(6));
    this.fn(8, 8, bit(7));
    this.fn(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.fn(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) this.fn(s - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.fn(8, s - 15 + i, bit(i));
    this.fn(8, s - 8, 1); // the dark module
  }
  versionInfo() {
    if (this.version < 7) return;
    const bits = versionBits(this.version);
    for (let i = 0; i < 18; i++) {
      const dark = (bits >>> i) & 1;
      const a = this.size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      this.fn(a, b, dark);
      this.fn(b, a, dark);
    }
  }
  /** @param {number[]} codewords */
  place(codewords) {
    const s = this.size;
    let bitIndex = 0;
    const total = codewords.length * 8;
    for (let right = s - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5; // skip the vertical timing column
      const upward = ((right + 1) & 2) === 0;
      for (let v = 0; v < s; v++) {
        const y = upward ? s - 1 - v : v;
        for (let j = 0; j < 2; j++) {
          const x = right - j;
          const i = y * s + x;
          if (this.reserved[i]) continue;
          if (bitIndex < total) {
            this.modules[i] = (codewords[bitIndex >>> 3] >>> (7 - (bitIndex & 7))) & 1;
            bitIndex++;
          } // remainder bits stay light (0)
        }
      }
    }
  }
  /** XOR a mask over non-function modules (self-inverse). @param {number} mask */
  applyMask(mask) {
    const s = this.size;
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const i = y * s + x;
        if (!this.reserved[i] && maskBit(mask, y, x)) this.modules[i] ^= 1;
      }
    }
  }
}

/** Mask condition for row i, column j. @param {number} mask @param {number} i @param {number} j */
export function maskBit(mask, i, j) {
  switch (mask) {
    case 0: return (i + j) % 2 === 0;
    case 1: return i % 2 === 0;
    case 2: return j % 3 === 0;
    case 3: return (i + j) % 3 === 0;
    case 4: return (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0;
    case 5: return ((i * j) % 2) + ((i * j) % 3) === 0;
    case 6: return (((i * j) % 2) + ((i * j) % 3)) % 2 === 0;
    case 7: return (((i + j) % 2) + ((i * j) % 3)) % 2 === 0;
    default: throw new RangeError('mask must be 0–7');
  }
}

/** Penalty score of a finished matrix (ISO 18004 7.8.3). @param {Uint8Array} m @param {number} s */
export function penalty(m, s) {
  let score = 0;
  const at = (/** @type {number} */ x, /** @type {number} */ y, /** @type {boolean} */ col) => (col ? m[x * s + y] : m[y * s + x]);
  for (const col of [false, true]) {
    for (let y = 0; y < s; y++) {
      let run = 1;
      for (let x = 1; x <= s; x++) {
        if (x < s && at(x, y, col) === at(x - 1, y, col)) {
          run++;
        } else {
          if (run >= 5) score += 3 + (run - 5);
          run = 1;
        }
      }
      // 1:1:3:1:1 finder-like runs with four light modules on one side
      for (let x = 0; x + 11 <= s; x++) {
        let a = true;
        let b = true;
        for (let k = 0; k < 11; k++) {
          const v = at(x + k, y, col);
          if (v !== FINDER_A[k]) a = false;
          if (v !== FINDER_B[k]) b = false;
        }
        if (a) score += 40;
        if (b) score += 40;
      }
    }
  }
  for (let y = 0; y + 1 < s; y++) {
    for (let x = 0; x + 1 < s; x++) {
      const v = m[y * s + x];
      if (v === m[y * s + x + 1] && v === m[(y + 1) * s + x] && v === m[(y + 1) * s + x + 1]) score += 3;
    }
  }
  let dark = 0;
  for (const v of m) dark += v;
  score += 10 * Math.floor(Math.abs((dark * 100) / (s * s) - 50) / 5);
  return score;
}
const FINDER_A = [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0];
const FINDER_B = [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1];

/**
 * Encodes text (UTF-8) or bytes as a QR code in byte mode.
 * @param {string|Uint8Array} input
 * @param {{ecl?: ECLevel, minVersion?: number, maxVersion?: number, mask?: number}} [opts]
 * @returns {QRCode}
 */
export function encodeQR(input, opts = {}) {
  const ecl = opts.ecl ?? 'M';
  if (!(ecl in BLOCKS)) throw new RangeError('error correction level must be L, M, Q or H');
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const minV = opts.minVersion ?? MIN_VERSION;
  const maxV = opts.maxVersion ?? MAX_VERSION;
  let version = 0;
  for (let v = Math.max(MIN_VERSION, minV); v <= Math.min(MAX_VERSION, maxV); v++) {
    const need = 4 + charCountBits(v) + 8 * bytes.length;
    if (need <= blockLayout(v, ecl).dataCodewords * 8) {
      version = v;
      break;
    }
  }
  if (!version) {
    throw new RangeError(`text too long for a version ${maxV} QR code at level ${ecl} (${bytes.length} bytes)`);
  }
  const codewords = interleave(dataCodewords(bytes, version, ecl), version, ecl);
  const m = new Matrix(version);
  m.functionPatterns();
  m.place(codewords);
  let mask = opts.mask ?? -1;
  if (mask < 0) {
    let best = Infinity;
    for (let k = 0; k < 8; k++) {
      m.applyMask(k);
      m.format(formatBits(ecl, k));
      const p = penalty(m.modules, m.size);
      if (p < best) {
        best = p;
        mask = k;
      }
      m.applyMask(k);
    }
  }
  m.applyMask(mask);
  m.format(formatBits(ecl, mask));
  const { size, modules, reserved } = m;
  return { version, size, ecl, mask, modules, reserved, get: (x, y) => modules[y * size + x] === 1 };
}
