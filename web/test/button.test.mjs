import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildButtonHtml, buildButtonFields, escapeAttr } from '../lib/button.js';

const spec = { action: 'https://wallexpay.io/index.php', merchant: 'abc123', currency: 'usd', amountf: '9.5', item_name: 'T-shirt' };

test('required fields in order, amount normalised, currency upper-cased', () => {
  const r = buildButtonFields(spec);
  assert.ok(r.ok);
  assert.deepEqual(r.fields, [['cmd', '_pay_simple'], ['reset', '1'], ['merchant', 'abc123'], ['currency', 'USD'], ['amountf', '9.50000000'], ['item_name', 'T-shirt']]);
});

test('optional fields appear only when set', () => {
  const r = buildButtonFields({ ...spec, invoice: 'INV-1', allow_currencies: 'btc, ltc', on1: 'Size', ov1: 'L' });
  assert.ok(r.ok);
  assert.deepEqual(r.fields.slice(6), [['invoice', 'INV-1'], ['allow_currencies', 'BTC,LTC'], ['on1', 'Size'], ['ov1', 'L']]);
});

test('HTML escapes every value and the link carries the same fields', () => {
  const r = buildButtonHtml({ ...spec, item_name: '"><script>alert(1)</script>', label: '<b>Pay</b>' });
  assert.ok(r.ok);
  assert.ok(!r.html.includes('<script>'));
  assert.ok(!r.html.includes('<b>'));
  assert.match(r.html, /name="item_name" value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  assert.match(r.html, /^<form action="https:\/\/wallexpay\.io\/index\.php" method="post"/);
  assert.match(r.html, /<input type="hidden" name="cmd" value="_pay_simple">/);
  assert.match(r.html, /<input type="hidden" name="reset" value="1">/);
  const u = new URL(r.link);
  assert.equal(u.searchParams.get('cmd'), '_pay_simple');
  assert.equal(u.searchParams.get('item_name'), '"><script>alert(1)</script>');
  assert.equal(escapeAttr(`'&`), '&#39;&amp;');
});

test('problems are reported per field', () => {
  const r = buildButtonFields({ action: 'javascript:alert(1)', merchant: '', currency: 'us d', amountf: '0', item_name: '', custom: 'x'.repeat(129), ov1: 'v', allow_currencies: 'BTC;LTC' });
  assert.equal(r.ok, false);
  const by = Object.fromEntries(/** @type {any} */ (r).errors.map((e) => [e.field, e.message]));
  assert.match(by.action, /https/);
  assert.match(by.merchant, /required/);
  assert.match(by.currency, /ticker/);
  assert.match(by.amountf, /more than zero/);
  assert.match(by.item_name, /required/);
  assert.match(by.custom, /129 characters long; at most 128/);
  assert.match(by.on1, /needed when ov1/);
  assert.match(by.allow_currencies, /separated by commas/);
  assert.equal(buildButtonFields({ ...spec, action: 'http://example.com/pay' }).ok, false);
  assert.equal(buildButtonFields({ ...spec, action: 'http://127.0.0.1:8787/pay' }).ok, true);
});
