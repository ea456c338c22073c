// CSV reading (RFC 4180: quotes, doubled quotes, CRLF/LF, a BOM) and the mass-payout file
// format: address,currency,amount[,memo] with an optional header line.

import { parseUnits, formatUnits, AmountError } from './money.js';

/**
 * @typedef {object} CsvRecord
 * @property {number} line     1-based line number where the record starts
 * @property {string[]} fields
 */

/**
 * Splits CSV text into records. Throws nothing: an unterminated quote is reported as an
 * error on the line where it opened.
 * @param {string} text
 * @returns {{records: CsvRecord[], errors: {line: number, reason: string}[]}}
 */
export function parseCsv(text) {
  /** @type {CsvRecord[]} */
  const records = [];
  const errors = [];
  let s = String(text);
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  let i = 0;
  let line = 1;
  while (i < s.length) {
    const start = line;
    /** @type {string[]} */
    const fields = [];
    let field = '';
    let quoted = false;
    let done = false;
    let bad = '';
    while (!done) {
      if (i >= s.length) {
        fields.push(field);
        break;
      }
      const ch = s[i];
      if (quoted) {
        if (ch === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
            if (i < s.length && s[i] !== ',' && s[i] !== '\n' && s[i] !== '\r') {
              bad = 'text after a closing quote: put the whole field in quotes';
            }
          }
        } else {
          if (ch === '\n') line++;
          field += ch;
          i++;
        }
        continue;
      }
      if (ch === '"' && field === '') {
        quoted = true;
        i++;
      } else if (ch === ',') {
        fields.push(field);
        field = '';
        i++;
      } else if (ch === '\r' || ch === '\n') {
        fields.push(field);
        i += ch === '\r' && s[i + 1] === '\n' ? 2 : 1;
        line++;
        done = true;
      } else {
        field += ch;
        i++;
      }
    }
    if (quoted) {
      errors.push({ line: start, reason: 'a quoted field is never closed' });
      break;
    }
    if (bad) errors.push({ line: start, reason: bad });
    else records.push({ line: start, fields });
  }
  return { records, errors };
}

/** Quotes one CSV cell; cells that a spreadsheet would run as a formula get a leading '. @param {unknown} v */
export function csvCell(v) {
  let s = v === undefined || v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) || s !== s.trim() ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** @param {unknown[][]} rows */
export function toCsv(rows) {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/**
 * @typedef {object} PayoutRow
 * @property {number} row      1-based payout number (data rows only)
 * @property {number} line     line in the file
 * @property {string} address
 * @property {string} currency upper case
 * @property {string} amount   normalised to 8 places
 * @property {string} memo
 */

/**
 * @typedef {object} PayoutFile
 * @property {PayoutRow[]} rows            the valid rows, in file order
 * @property {{line: number, reason: string}[]} errors   every bad line
 * @property {{line: number, reason: string}[]} warnings
 * @property {boolean} header
 * @property {Record<string, string>} totals   per currency, 8 places
 */

export const MAX_PAYOUT_ROWS = 1000;
export const MAX_MEMO = 100;
const TICKER_RE = /^[A-Z0-9]+(\.[A-Z0-9]+)?$/;
const ADDRESS_RE = /^[A-Za-z0-9:._-]+$/;
const HEADER_NAMES = ['address', 'currency', 'amount', 'memo'];

/**
 * Reads and validates a payout CSV. Every bad line is listed with its reason; valid rows are
 * returned even when others are bad, but a caller must not send a file that has errors.
 * @param {string} text
 * @param {{currencies?: Iterable<string>, maxRows?: number, fees?: Record<string, string>}} [opts]
 *   currencies: the coins the account can send (from rates); when given, other tickers are
 *   errors. fees: network fee per coin (rates' tx_fee); an amount not above it is a warning.
 * @returns {PayoutFile}
 */
export function parsePayoutCsv(text, opts = {}) {
  const known = opts.currencies ? new Set([...opts.currencies].map((c) => c.toUpperCase())) : null;
  const maxRows = opts.maxRows ?? MAX_PAYOUT_ROWS;
  const { records, errors } = parseCsv(text);
  /** @type {PayoutFile} */
  const out = { rows: [], errors: [...errors], warnings: [], header: false, totals: {} };
  /** @type {Map<string, number>} */
  const seen = new Map();
  /** @type {Map<string, bigint>} */
  const totals = new Map();
  let row = 0;
  for (const rec of records) {
    const f = rec.fields.map((x) => x.trim());
    if (f.every((x) => x === '')) continue; // blank line
    if (f[0].startsWith('#')) continue; // comment line
    if (row === 0 && !out.header && out.rows.length === 0 && isHeader(f)) {
      out.header = true;
      continue;
    }
    row++;
    const problems = [];
    if (f.length < 3) problems.push(`has ${f.length} column${f.length === 1 ? '' : 's'}; expected address,currency,amount[,memo]`);
    else if (f.length > 4) problems.push(`has ${f.length} columns; expected at most 4 (address,currency,amount,memo) — quote a memo that contains commas`);
    const [address = '', currencyRaw = '', amountRaw = '', memo = ''] = f;
    const currency = currencyRaw.toUpperCase();
    if (f.length >= 3) {
      if (address === '') problems.push('address is empty');
      else if (!ADDRESS_RE.test(address)) problems.push('address has characters an address cannot have (spaces, quotes or symbols)');
      else if (address.length < 10 || address.length > 128) problems.push(`address is ${address.length} characters long; expected 10–128`);
      if (currency === '') problems.push('currency is empty');
      else if (!TICKER_RE.test(currency) || currency.length > 16) problems.push(`currency "${clip(currencyRaw)}" is not a coin ticker such as BTC or USDT.ERC20`);
      else if (known && !known.has(currency)) problems.push(`currency ${currency} is not available on this account`);
    }
    /** @type {string} */
    let amount = '';
    if (f.length >= 3) {
      try {
        amount = formatUnits(parseUnits(amountRaw, { positive: true }));
      } catch (e) {
        if (!(e instanceof AmountError)) throw e;
        problems.push(`amount "${clip(amountRaw)}" ${e.message}`);
      }
    }
    if (memo.length > MAX_MEMO) problems.push(`memo is ${memo.length} characters long; at most ${MAX_MEMO}`);
    if (/[\u0000-\u001f\u007f]/.test(memo)) problems.push('memo contains control characters');
    if (problems.length) {
      out.errors.push({ line: rec.line, reason: problems.join('; ') });
      continue;
    }
    const dupKey = `${address}\u0000${currency}\u0000${amount}`;
    const first = seen.get(dupKey);
    if (first !== undefined) {
      out.warnings.push({ line: rec.line, reason: `same address, currency and amount as line ${first}: check it is not a duplicate` });
    } else {
      seen.set(dupKey, rec.line);
    }
    const fee = opts.fees?.[currency];
    if (fee !== undefined && parseUnits(amount) <= parseUnits(fee)) {
      out.warnings.push({ line: rec.line, reason: `amount ${amount} is not above the ${currency} network fee (${fee}): Wallex Pay may refuse it` });
    }
    totals.set(currency, (totals.get(currency) ?? 0n) + parseUnits(amount));
    out.rows.push({ row, line: rec.line, address, currency, amount, memo });
  }
  if (row > maxRows) out.errors.push({ line: 0, reason: `the file has ${row} payouts; at most ${maxRows} per file: split it` });
  if (row === 0 && out.errors.length === 0) out.errors.push({ line: 0, reason: 'the file has no payouts' });
  out.errors.sort((a, b) => a.line - b.line);
  for (const [c, t] of [...totals].sort(([a], [b]) => (a < b ? -1 : 1))) out.totals[c] = formatUnits(t);
  return out;
}

/** @param {string[]} f */
function isHeader(f) {
  const names = f.map((x) => x.toLowerCase());
  return names.length >= 3 && names.every((n, i) => n === HEADER_NAMES[i] || (i === 3 && (n === 'note' || n === '')));
}

/** @param {string} s */
function clip(s, n = 24) {
  return s.length > n ? s.slice(0, n) + '…' : s;
}
