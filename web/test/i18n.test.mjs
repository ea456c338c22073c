// The console's strings: one set of messages (web/_locales/<locale>/messages.json, Chrome's
// format) that every t('key') in web/ and extension/ finds, the same keys and substitutions in
// every locale, status words whose English copies are Go's, and the module's substitutions
// behaving as chrome.i18n.getMessage does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileMessages, substitute, pickLocale, useMessages, t, tParts, LOCALES } from '../lib/i18n.js';
import { paymentLabel as goPayment, withdrawalLabel as goWithdrawal } from '../lib/codes.gen.js';
import { CODES } from '../lib/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (/** @type {string} */ loc) => JSON.parse(readFileSync(path.join(ROOT, 'web', '_locales', loc, 'messages.json'), 'utf8'));
const en = read('en');

/** @param {string} dir @returns {string[]} */
function sources(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return n === 'test' || n === 'vendor' || n === 'node_modules' ? [] : sources(p);
    return /\.(js|json)$/.test(n) && !n.endsWith('messages.json') ? [p] : [];
  });
}
const files = [...sources(path.join(ROOT, 'web')), ...sources(path.join(ROOT, 'extension'))];
const code = files.map((f) => readFileSync(f, 'utf8')).join('\n');
const used = new Set([...code.matchAll(/\bt(?:Parts)?\('([A-Za-z0-9_]+)'/g)].map((m) => m[1]));
const usedInManifest = new Set([...code.matchAll(/__MSG_([A-Za-z0-9_]+)__/g)].map((m) => m[1]));

test('every key the code asks for has an English message, and the manifest\'s too', () => {
  assert.ok(used.size > 300, `only ${used.size} keys found in the code`);
  const missing = [...used, ...usedInManifest].filter((k) => !(k in en));
  assert.deepEqual(missing, []);
});

test('no English message is left unused (keys built at run time are listed by their rule)', () => {
  const dynamic = (/** @type {string} */ k) => /^(pstatus|wstatus)_/.test(k) || /^err_.+_(title|hint)$/.test(k) || /^locale_(code|dir)$/.test(k);
  // a key chosen by a condition (t(n === 1 ? 'a' : 'b')) counts as a quoted literal anywhere in the code
  const unused = Object.keys(en).filter((k) => !used.has(k) && !code.includes(`'${k}'`) && !usedInManifest.has(k) && !dynamic(k));
  assert.deepEqual(unused, []);
});

test('every locale has exactly the English keys, the same substitutions, and its own code and direction', () => {
  const dirs = readdirSync(path.join(ROOT, 'web', '_locales')).sort();
  assert.deepEqual(dirs, [...LOCALES].sort());
  for (const loc of LOCALES) {
    const m = read(loc);
    assert.deepEqual(Object.keys(m).sort(), Object.keys(en).sort(), loc);
    for (const [k, v] of Object.entries(en)) {
      const subs = (/** @type {string} */ s) => [...new Set(s.match(/\$[1-9]/g) ?? [])].sort().join();
      assert.equal(subs(m[k].message), subs(v.message), `${loc} ${k}: substitutions`);
      assert.ok(m[k].message.trim() || k === 'list_sep', `${loc} ${k} is empty`);
    }
    assert.equal(m.locale_code.message, loc);
  }
  assert.equal(read('ar').locale_dir.message, 'rtl');
  assert.equal(en.locale_dir.message, 'ltr');
  // a translation is a translation: the Arabic strings are not the English ones
  const same = Object.keys(en).filter((k) => read('ar')[k].message === en[k].message && /[a-z]{3,} [a-z]{3,}/i.test(en[k].message));
  assert.deepEqual(same, []);
});

test('the English status words are Go\'s (codes.gen.js), word for word', () => {
  for (const [k, s] of [['m1', -1], ['0', 0], ['1', 1], ['2', 2], ['100', 100]]) assert.equal(en[`pstatus_${k}`].message, goPayment(Number(s)));
  for (const [k, s] of [['m1', -1], ['0', 0], ['1', 1], ['2', 2]]) assert.equal(en[`wstatus_${k}`].message, goWithdrawal(Number(s)));
  for (const c of CODES) assert.ok(en[`err_${c}_title`] && en[`err_${c}_hint`], c);
});

test('substitutions as chrome.i18n.getMessage makes them: $1…$9, named placeholders, $$', () => {
  const m = compileMessages({ Hi: { message: 'Pay $amount$ to $1 ($$5 fee)', placeholders: { amount: { content: '$2' } } } });
  assert.equal(substitute(m.hi, ['Bob', '0.5 BTC']), 'Pay 0.5 BTC to Bob ($5 fee)');
  assert.equal(substitute('a $1 b $3', ['x']), 'a x b ');
  assert.deepEqual(pickLocale(['fr-FR', 'ar-EG', 'en']), 'ar');
  assert.deepEqual(pickLocale(['de']), 'en');
  assert.deepEqual(pickLocale(['en_US']), 'en');
});

test('t and tParts read the loaded locale; a missing key shows as itself', () => {
  useMessages(read('ar'), 'ar');
  assert.equal(t('connect_button'), read('ar').connect_button.message);
  // in a right-to-left locale a substitution is isolated, so "12.50 USD" keeps its order
  assert.equal(t('rc_payment_heading', 'TX1'), 'الدفعة \u2068TX1\u2069');
  assert.equal(t('ct_charge_in', '12.50 USD', 'BCH'), `${read('ar').ct_charge_in.message.replace('$1', '\u206812.50 USD\u2069').replace('$2', '\u2068BCH\u2069')}`);
  const node = { id: 'TX1' };
  assert.deepEqual(tParts('rc_payment_heading', node), ['الدفعة ', node]);
  assert.equal(t('no_such_key'), 'no_such_key');
  useMessages(en, 'en');
  assert.equal(t('rc_payment_heading', 'TX1'), 'Payment TX1');
  assert.deepEqual(tParts('ct_amount_included', 'BIP-21', node), ['Amount included (', 'BIP-21', '): the wallet fills in ', node, '.']);
});
