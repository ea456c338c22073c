// The private-key vault: WebCrypto PBKDF2-SHA256 derives an AES-256-GCM key from the user's
// passphrase. The record keeps its own parameters, so the iteration count can be raised
// later without breaking existing vaults (open with the stored count, re-seal with the new).

export const VAULT_VERSION = 1;
export const MIN_ITERATIONS = 600_000;
export const DEFAULT_ITERATIONS = 600_000;
export const MIN_PASSPHRASE = 8;

/**
 * @typedef {object} VaultRecord
 * @property {1} v
 * @property {'PBKDF2-SHA256/AES-GCM'} alg
 * @property {number} iterations
 * @property {string} salt        base64, 16 bytes
 * @property {string} iv          base64, 12 bytes
 * @property {string} ciphertext  base64 (includes the GCM tag)
 * @property {string} publicKey   bound into the ciphertext as additional data
 * @property {string} apiUrl      bound too
 * @property {number} createdAt   unix ms
 */

export class VaultError extends Error {
  /** @param {'wrong_passphrase'|'invalid_vault'|'weak_passphrase'} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'VaultError';
    this.code = code;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** @param {Uint8Array} bytes */
function b64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
/** @param {string} text */
function unb64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** @param {string} passphrase @param {Uint8Array} salt @param {number} iterations */
async function deriveKey(passphrase, salt, iterations) {
  const base = await crypto.subtle.importKey('raw', enc.encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** @param {{v: number, publicKey: string, apiUrl: string}} r */
function aad(r) {
  return enc.encode(JSON.stringify(['wallexkit-vault', r.v, r.publicKey, r.apiUrl]));
}

/**
 * Seals a private key.
 * @param {{privateKey: string, publicKey: string, apiUrl: string, passphrase: string, iterations?: number}} p
 * @returns {Promise<VaultRecord>}
 */
export async function sealVault(p) {
  if (typeof p.passphrase !== 'string' || [...p.passphrase].length < MIN_PASSPHRASE) {
    throw new VaultError('weak_passphrase', `The passphrase must be at least ${MIN_PASSPHRASE} characters.`);
  }
  const iterations = Math.max(MIN_ITERATIONS, p.iterations ?? DEFAULT_ITERATIONS);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await deriveKey(p.passphrase, salt, iterations);
  /** @type {Omit<VaultRecord, 'ciphertext'>} */
  const head = { v: VAULT_VERSION, alg: 'PBKDF2-SHA256/AES-GCM', iterations, salt: b64(salt), iv: b64(iv), publicKey: p.publicKey, apiUrl: p.apiUrl, createdAt: Date.now() };
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(head) }, key, enc.encode(p.privateKey));
  return { ...head, ciphertext: b64(new Uint8Array(ct)) };
}

/** @param {unknown} r @returns {r is VaultRecord} */
export function isVaultRecord(r) {
  if (!r || typeof r !== 'object') return false;
  const o = /** @type {Record<string, unknown>} */ (r);
  return o.v === VAULT_VERSION && o.alg === 'PBKDF2-SHA256/AES-GCM' && Number.isInteger(o.iterations) &&
    /** @type {number} */ (o.iterations) >= MIN_ITERATIONS && typeof o.salt === 'string' && typeof o.iv === 'string' &&
    typeof o.ciphertext === 'string' && typeof o.publicKey === 'string' && typeof o.apiUrl === 'string';
}

/**
 * Opens a vault. Throws VaultError('wrong_passphrase') when the passphrase (or the bound
 * public key / API URL) does not match.
 * @param {VaultRecord} record @param {string} passphrase
 * @returns {Promise<string>} the private key
 */
export async function openVault(record, passphrase) {
  if (!isVaultRecord(record)) throw new VaultError('invalid_vault', 'The saved key vault is damaged or from an unknown version; sign in with your keys again.');
  const key = await deriveKey(String(passphrase ?? ''), unb64(record.salt), record.iterations);
  try {
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(record.iv), additionalData: aad(record) }, key, unb64(record.ciphertext));
    return dec.decode(pt);
  } catch {
    throw new VaultError('wrong_passphrase', 'That passphrase does not open the saved key.');
  }
}

/** True when the vault should be re-sealed with today's parameters. @param {VaultRecord} record */
export function needsUpgrade(record, iterations = DEFAULT_ITERATIONS) {
  return record.v !== VAULT_VERSION || record.iterations < iterations;
}
