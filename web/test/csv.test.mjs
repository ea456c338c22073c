import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, parsePayoutCsv, toCsv, csvCell } from '../lib/csv.js';

test('parseCsv: quotes, doubled quotes, CRLF, BOM, newlines inside quotes, line numbers', () => {
  const { records, errors } = parseCsv('\ufeffa,b\r\n"x, y","say ""hi"""\n"multi\nline",z\n');
  assert.deepEqual(errors, []);
  assert.deepEqual(records, [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['x, y', 'say "hi"'] },
    { line: 3, fields: ['multi\nline', 'z'] },
  ]);
  assert.deepEqual(parseCsv('a,"open\nb').errors, [{ line: 1, reason: 'a quoted field is never closed' }]);
  assert.match(parseCsv('"a"b,c\n').errors[0].reason, /after a closing quote/);
});

const A = 'tltc1qsbx0000000000000000000001';
const B = 'bc1qsbx00000000000000000000000002';

test('a valid file: header detected, amounts normalised, totals per currency', () => {
  const f = parsePayoutCsv(`address,currency,amount,memo\n${A},ltct,1.5,rent\n${B},BTC,0.001\n\n# comment\n${A},LTCT,0.25,"a, b"\n`);
  assert.deepEqual(f.errors, []);
  assert.equal(f.header, true);
  assert.deepEqual(f.rows.map((r) => [r.row, r.line, r.currency, r.amount, r.memo]), [
    [1, 2, 'LTCT', '1.50000000', 'rent'], [2, 3, 'BTC', '0.00100000', ''], [3, 6, 'LTCT', '0.25000000', 'a, b']]);
  assert.deepEqual(f.totals, { BTC: '0.00100000', LTCT: '1.75000000' });
});

test('every bad line is listed with its line number and reason', () => {
  const text = [
    `${A},LTCT,1`, // 1 ok
    `${A},LTCT`, // 2 too few columns
    `short,LTCT,1`, // 3 address too short
    `${A},???,1`, // 4 bad ticker
    `${A},LTCT,abc`, // 5 bad amount
    `${A},LTCT,0`, // 6 zero
    `${A},LTCT,0.000000001`, // 7 too many decimals
    `${A},LTCT,-1`, // 8 negative
    `has space 0000000000,LTCT,1`, // 9 address chars
    `${A},LTCT,1,${'m'.repeat(101)}`, // 10 memo too long
    `${A},LTCT,1,memo,extra`, // 11 too many columns
    `${A},XYZ,1`, // 12 unknown currency (given a list)
    `,,`, // 13 empty fields
  ].join('\n');
  const f = parsePayoutCsv(text, { currencies: ['LTCT', 'BTC'] });
  assert.deepEqual(f.errors.map((e) => e.line), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const by = Object.fromEntries(f.errors.map((e) => [e.line, e.reason]));
  assert.match(by[2], /has 2 columns/);
  assert.match(by[3], /address is 5 characters/);
  assert.match(by[4], /not a coin ticker/);
  assert.match(by[5], /amount "abc" is not a number/);
  assert.match(by[6], /more than zero/);
  assert.match(by[7], /more than 8 decimal/);
  assert.match(by[8], /more than zero/);
  assert.match(by[9], /characters an address cannot have/);
  assert.match(by[10], /memo is 101 characters/);
  assert.match(by[11], /at most 4/);
  assert.match(by[12], /XYZ is not available/);
  assert.equal(f.rows.length, 1);
  // line 13 (",,") is blank after trimming: skipped, not an error
});

test('a line with several problems names all of them', () => {
  const f = parsePayoutCsv('x y,1!,abc\n');
  assert.equal(f.errors.length, 1);
  assert.match(f.errors[0].reason, /address.*; currency.*; amount/);
});

test('duplicates are warnings; empty files and too many rows are errors', () => {
  const f = parsePayoutCsv(`${A},LTCT,1\n${A},LTCT,1.0\n`);
  assert.deepEqual(f.errors, []);
  assert.deepEqual(f.warnings, [{ line: 2, reason: 'same address, currency and amount as line 1: check it is not a duplicate' }]);
  assert.match(parsePayoutCsv('').errors[0].reason, /no payouts/);
  assert.match(parsePayoutCsv('address,currency,amount\n').errors[0].reason, /no payouts/);
  const many = Array.from({ length: 4 }, () => `${A},LTCT,1`).join('\n');
  assert.match(parsePayoutCsv(many, { maxRows: 3 }).errors[0].reason, /4 payouts; at most 3/);
});

test('amounts not above the network fee are warnings', () => {
  const f = parsePayoutCsv(`${A},LTCT,0.001\n${A},LTCT,0.0011\n`, { fees: { LTCT: '0.00100000' } });
  assert.deepEqual(f.errors, []);
  assert.deepEqual(f.warnings.map((w) => w.line), [1]);
  assert.match(f.warnings[0].reason, /not above the LTCT network fee/);
});

test('toCsv quotes and defuses spreadsheet formulas', () => {
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "x"'), '"say ""x"""');
  assert.equal(csvCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
  assert.equal(csvCell('@cmd'), "'@cmd");
  assert.equal(csvCell(undefined), '');
  assert.equal(toCsv([['a', 1], ['b', 'c\nd']]), 'a,1\r\nb,"c\nd"\r\n');
  const round = parseCsv(toCsv([['x, y', 'q"q', 'plain']]));
  assert.deepEqual(round.records[0].fields, ['x, y', 'q"q', 'plain']);
});
