import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sealVault, openVault, isVaultRecord, needsUpgrade, VaultError, MIN_ITERATIONS, DEFAULT_ITERATIONS } from '../host/vault.js';

const base = { privateKey: 'PRIV-secret-0123456789', publicKey: 'pub1', apiUrl: 'https://wallexpay.io/api', passphrase: 'correct horse battery' };

test('parameters: PBKDF2-SHA256 with at least 600,000 rounds, random salt and IV, stored with the record', async () => {
  assert.ok(MIN_ITERATIONS >= 600_000);
  assert.ok(DEFAULT_ITERATIONS >= MIN_ITERATIONS);
  const a = await sealVault(base);
  const b = await sealVault(base);
  assert.equal(a.v, 1);
  assert.equal(a.alg, 'PBKDF2-SHA256/AES-GCM');
  assert.equal(a.iterations, DEFAULT_ITERATIONS);
  assert.equal(Buffer.from(a.salt, 'base64').length, 16);
  assert.equal(Buffer.from(a.iv, 'base64').length, 12);
  assert.equal(Buffer.from(a.ciphertext, 'base64').length, base.privateKey.length + 16); // + GCM tag
  assert.notEqual(a.salt, b.salt);
  assert.notEqual(a.iv, b.iv);
  assert.notEqual(a.ciphertext, b.ciphertext);
  assert.ok(!JSON.stringify(a).includes(base.privateKey));
  assert.ok(isVaultRecord(a));
  // asking for fewer rounds than the floor is raised to the floor
  assert.equal((await sealVault({ ...base, iterations: 1000 })).iterations, MIN_ITERATIONS);
});

test('opens only with the right passphrase and the same public key and API URL', async () => {
  const v = await sealVault(base);
  assert.equal(await openVault(v, base.passphrase), base.privateKey);
  await assert.rejects(openVault(v, 'wrong passphrase'), (e) => e instanceof VaultError && e.code === 'wrong_passphrase');
  await assert.rejects(openVault(v, ''), (e) => e instanceof VaultError && e.code === 'wrong_passphrase');
  await assert.rejects(openVault({ ...v, publicKey: 'other' }, base.passphrase), (e) => e.code === 'wrong_passphrase');
  await assert.rejects(openVault({ ...v, apiUrl: 'https://evil.example/api' }, base.passphrase), (e) => e.code === 'wrong_passphrase');
  const flipped = Buffer.from(v.ciphertext, 'base64');
  flipped[0] ^= 1;
  await assert.rejects(openVault({ ...v, ciphertext: flipped.toString('base64') }, base.passphrase), (e) => e.code === 'wrong_passphrase');
});

test('records with unknown versions or weak parameters are refused; upgrades are detected', async () => {
  const v = await sealVault(base);
  assert.equal(isVaultRecord({ ...v, v: 2 }), false);
  assert.equal(isVaultRecord({ ...v, iterations: 10_000 }), false);
  await assert.rejects(openVault(/** @type {any} */ ({ ...v, iterations: 10 }), base.passphrase), (e) => e.code === 'invalid_vault');
  assert.equal(needsUpgrade(v), false);
  assert.equal(needsUpgrade(v, 1_000_000), true);
  // a vault sealed with more rounds opens with its stored count
  const strong = await sealVault({ ...base, iterations: 700_000 });
  assert.equal(strong.iterations, 700_000);
  assert.equal(await openVault(strong, base.passphrase), base.privateKey);
});

test('weak passphrases are refused before anything is stored', async () => {
  await assert.rejects(sealVault({ ...base, passphrase: 'short' }), (e) => e instanceof VaultError && e.code === 'weak_passphrase');
});
