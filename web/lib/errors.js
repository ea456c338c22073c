// What to tell a person for each error code of the bridge (and of the console itself): a title
// and advice in the console's language (the error's own message, from the core, stays as it is).

import { t } from './i18n.js';

/**
 * @typedef {import('./codes.gen.js').CoreErrorCode|'not_configured'|'not_connected'|'locked'|'wrong_passphrase'|'host_permission'|'gateway_token'|'gateway_refused'} ErrorCode
 *   The core's codes (generated from Go) and the bridge's not_configured; the rest are the console's.
 */

/**
 * @typedef {object} BridgeError
 * @property {ErrorCode|string} code
 * @property {string} message
 * @property {boolean} [retryable]
 * @property {unknown} [ref]
 * @property {string} [field]
 * @property {string} [cmd]          outcome_unknown: the command that may have run
 * @property {string} [opId]         outcome_unknown, pending_operation: the operation to ask about (reconcileOp)
 * @property {number} [sentAtMs]     outcome_unknown: when the request left
 * @property {number} [deadlineMs]   outcome_unknown: when its client stopped waiting
 * @property {string} [opState]      pending_operation: the state of the operation that blocks this one
 * @property {string} [storeKey]     pending_operation: the other key's store the blocking operation is recorded under
 * @property {string} [storeApiUrl]  ...its API URL
 * @property {string} [storePublicKey] ...and its public key
 * @property {string} [result]       possible_duplicate: the withdrawal or transfer the earlier payment made
 * @property {number} [settledAtMs]  possible_duplicate: when the earlier payment was carried out
 * @property {number} [httpStatus]
 */

/** The codes with their own title and advice (messages err_<code>_title, err_<code>_hint). */
export const CODES = ['invalid_input', 'api_error', 'auth', 'permission', 'nonce', 'rate_limited', 'transport', 'outcome_unknown', 'pending_operation', 'possible_duplicate', 'timeout', 'canceled', 'not_configured', 'not_connected', 'locked', 'wrong_passphrase', 'host_permission', 'gateway_token', 'gateway_refused', 'internal'];

/** @param {string} code @returns {{title: string, hint: string}|undefined} */
function messageFor(code) {
  return CODES.includes(code) ? { title: t(`err_${code}_title`), hint: t(`err_${code}_hint`) } : undefined;
}

/** The bridge's message when a key that has used nonces is called without one. */
const NONCE_NEEDED = /turn nonces on/i;
/** ...said in the merchant's words: the console has nonces off (Connect → Advanced). */
const nonceOff = () => ({ title: t('err_nonce_off_title'), hint: t('err_nonce_off_hint'), hintShort: t('err_nonce_off_hint_short') });

/**
 * Normalises anything thrown into a BridgeError.
 * @param {unknown} e
 * @returns {BridgeError}
 */
export function toBridgeError(e) {
  if (e && typeof e === 'object' && 'code' in e && typeof (/** @type {any} */ (e).code) === 'string' && 'message' in e) {
    return /** @type {BridgeError} */ (e);
  }
  if (e instanceof Error) return { code: 'internal', message: e.message, retryable: false };
  return { code: 'internal', message: String(e), retryable: false };
}

/**
 * Whether a money request that failed so may still have been carried out: never sent again,
 * settled with Reconcile (the send review and the worker's notice of a closed page ask this).
 * @param {BridgeError} e
 */
export function mayHaveBeenCarriedOut(e) {
  return e.code === 'outcome_unknown' || (e.code === 'timeout' && !e.retryable);
}

/**
 * Title, detail (the error's own message) and hint for an error.
 * @param {unknown} err
 * @returns {{code: string, title: string, detail: string, hint: string, retryable: boolean, field?: string, technical?: boolean}}
 */
export function describeError(err) {
  const e = toBridgeError(err);
  const off = nonceOff();
  const m = (e.code === 'nonce' && NONCE_NEEDED.test(e.message) ? off : messageFor(e.code)) ?? { title: t('err_title'), hint: '' };
  let hint = m.hint;
  // a permission the key lacks: the command to enable, by the name Wallex Pay lists it under
  // (the API's own sentence, in English, then waits under Technical details)
  const permission = e.code === 'permission' && typeof e.cmd === 'string' && e.cmd !== '';
  if (permission) hint = t('err_permission_hint_cmd', /** @type {string} */ (e.cmd));
  if (e.code !== 'nonce' && NONCE_NEEDED.test(e.message)) hint += ` ${off.title}: ${off.hintShort}`;
  const out = { code: e.code, title: m.title, detail: e.message || '', hint, retryable: Boolean(e.retryable), ...(permission ? { technical: true } : {}) };
  if (e.field) return { ...out, field: e.field };
  return out;
}
