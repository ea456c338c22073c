import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withOpId, BRIDGE_METHODS, FREE_METHODS, MONEY_METHODS, SENDING_METHODS } from '../backend.js';
import { readFileSync } from 'node:fs';
import { describeError } from '../lib/errors.js';
import { useMessages } from '../lib/i18n.js';

// the console's English strings, as the page loads them
useMessages(JSON.parse(readFileSync(new URL('../_locales/en/messages.json', import.meta.url), 'utf8')));

test('every money method carries an opId named by the caller, or a new one', () => {
  const a = withOpId('createWithdrawal', [{ amount: '1', opId: 'mine' }]);
  assert.equal(a.opId, 'mine');
  assert.deepEqual(a.args, [{ amount: '1', opId: 'mine' }]);
  const b = withOpId('createWithdrawal', [{ amount: '1' }]);
  assert.match(b.opId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(b.args, [{ amount: '1', opId: b.opId }]);
  const m = withOpId('createMassWithdrawal', [[{ key: 'a' }]]);
  assert.deepEqual(m.args, [[{ key: 'a' }], { opId: m.opId }]);
  assert.notEqual(withOpId('convert', [{}]).opId, withOpId('convert', [{}]).opId);
  const r = withOpId('balances', [{ all: true }]);
  assert.equal(r.opId, undefined);
  assert.deepEqual(r.args, [{ all: true }]);
  for (const x of MONEY_METHODS) assert.ok(withOpId(x, []).opId, x);
  for (const x of ['reconcileOp', 'ops', 'forgetOp', 'payoutStatus', 'payoutStep', 'statement']) assert.ok(BRIDGE_METHODS.includes(/** @type {any} */ (x)), x);
  // these need no store (no client, no network)
  for (const x of ['checkAddress', 'payoutParse', 'paymentUri', 'fiatValue']) assert.ok(FREE_METHODS.includes(/** @type {any} */ (x)), x);
  assert.ok(SENDING_METHODS.has('payoutStep'));
});

test('a key that needs nonces, with nonces off here, is said in the merchant\'s words', () => {
  const d = describeError({ code: 'nonce', message: 'wallex get_basic_info: Nonce required for this API key (this API key has been used with nonces, so every call must send one: turn nonces on in this tool)', retryable: true });
  assert.match(d.title, /needs nonces/);
  assert.match(d.hint, /Connect → Advanced/);
  const other = describeError({ code: 'nonce', message: 'Invalid nonce (another client may be using this API key with nonces)' });
  assert.match(other.title, /out of order/);
  const money = describeError({ code: 'outcome_unknown', message: 'wallex create_withdrawal: outcome unknown: ... turn nonces on in this tool' });
  assert.match(money.hint, /Do not send it again[\s\S]*Connect → Advanced/);
});

test('extension: a lost worker answer to a money method is an unknown outcome with its opId, never "internal"', async () => {
  const { lostAnswer } = await import('../../extension/backend-sw.js');
  const e = lostAnswer('createWithdrawal', 'op-1', 'message channel closed');
  assert.equal(e.code, 'outcome_unknown');
  assert.equal(e.opId, 'op-1');
  assert.equal(e.retryable, false);
  assert.match(describeError(e).hint, /Do not send it again/);
  const p = lostAnswer('payoutStep', undefined, 'closed');
  assert.equal(p.code, 'outcome_unknown');
  assert.match(p.message, /Resume/);
});
