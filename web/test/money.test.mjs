import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUnits, formatUnits, normalizeAmount, displayAmount, compareAmounts, sumAmounts, isZero, AmountError } from '../lib/money.js';

test('parseUnits reads exact decimal text into base units', () => {
  assert.equal(parseUnits('1'), 100_000_000n);
  assert.equal(parseUnits('0.00000001'), 1n);
  assert.equal(parseUnits('12.5'), 1_250_000_000n);
  assert.equal(parseUnits('.5'), 50_000_000n);
  assert.equal(parseUnits('5.'), 500_000_000n);
  assert.equal(parseUnits(' 7 '), 700_000_000n);
  assert.equal(parseUnits('92233720368.54775807'), 9223372036854775807n); // beyond 2^53: no float
  assert.equal(parseUnits('-1.5'), -150_000_000n);
});

test('parseUnits refuses what is not plain decimal text', () => {
  for (const [bad, why] of [['', /empty/], ['1e-8', /exponent/], ['1,5', /separators/], ['1 000', /separators/], ['abc', /not a number/],
    ['0.000000001', /more than 8 decimal/], ['+1', /sign/], ['1.2.3', /not a number/], ['0x10', /not a number/]]) {
    assert.throws(() => parseUnits(bad), (e) => e instanceof AmountError && why.test(e.message), bad);
  }
  assert.throws(() => parseUnits('0', { positive: true }), /more than zero/);
  assert.throws(() => parseUnits('-1', { positive: true }), /more than zero/);
});

test('formatUnits and normalizeAmount give 8 places', () => {
  assert.equal(formatUnits(1n), '0.00000001');
  assert.equal(formatUnits(150_000_000n), '1.50000000');
  assert.equal(formatUnits(-5n), '-0.00000005');
  assert.equal(formatUnits('1000'), '0.00001000');
  assert.equal(normalizeAmount('2.5'), '2.50000000');
});

test('displayAmount trims zeros, keeps precision, groups thousands', () => {
  assert.equal(displayAmount('0.10000000'), '0.10');
  assert.equal(displayAmount('1234567.00000001'), '1\u2009234\u2009567.00000001');
  assert.equal(displayAmount('0.00000160', { minDecimals: 0 }), '0.0000016');
  assert.equal(displayAmount('1', { minDecimals: 0 }), '1');
  assert.equal(displayAmount(150_000_000n), '1.50');
  assert.equal(displayAmount('n/a'), 'n/a');
  assert.equal(displayAmount('0.1', { group: false }), '0.10');
});

test('compare, sum, zero', () => {
  assert.equal(compareAmounts('0.1', '0.10000000'), 0);
  assert.equal(compareAmounts('0.00000001', '0'), 1);
  assert.equal(compareAmounts('1', '2'), -1);
  // 0.1 + 0.2 is exactly 0.3 here
  assert.equal(sumAmounts(['0.1', '0.2']), '0.30000000');
  assert.equal(isZero('0.00000000'), true);
  assert.equal(isZero('0.00000001'), false);
  assert.equal(isZero('x'), false);
});

test('formatAmount: one format, the currency\'s places from Go (8 for a coin, 2 for fiat), grouped, never rounded', async () => {
  const { formatAmount, noteFiatCurrencies, isFiatCurrency } = await import('../lib/money.js');
  const { AMOUNT_DECIMALS, FIAT_PLACES } = await import('../lib/codes.gen.js');
  assert.equal(AMOUNT_DECIMALS, 8);
  assert.equal(FIAT_PLACES, 2);
  // the three shapes the screens used to show for coin amounts are now one
  assert.equal(formatAmount('3.00000000', 'BTC'), '3.00000000');
  assert.equal(formatAmount('1.3602', 'LTCT'), '1.36020000');
  assert.equal(formatAmount('100.256', 'LTCT'), '100.25600000');
  assert.equal(formatAmount('1234567.5', 'BTC'), '1\u2009234\u2009567.50000000');
  assert.equal(formatAmount(150_000_000n, 'BTC'), '1.50000000');
  // fiat: as the rates mark it (is_fiat), or as the caller knows it
  assert.equal(isFiatCurrency('USD'), false);
  noteFiatCurrencies(['USD', 'eur']);
  assert.equal(isFiatCurrency('usd'), true);
  assert.equal(isFiatCurrency('EUR'), true);
  assert.equal(formatAmount('42.25000000', 'USD'), '42.25');
  assert.equal(formatAmount('12.5', 'EUR'), '12.50');
  assert.equal(formatAmount('1234.5', 'XYZ', { fiat: true }), '1\u2009234.50');
  // never rounds: a digit past the places is kept
  assert.equal(formatAmount('12.555', 'USD'), '12.555');
  assert.equal(formatAmount('0.000000001', 'BTC'), '0.000000001');
  assert.equal(formatAmount('n/a', 'BTC'), 'n/a');
});
