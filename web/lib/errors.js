// What to tell a person for each error code of the bridge (and of the console itself).

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
 * @property {number} [httpStatus]
 */

/** @type {Record<string, {title: string, hint: string}>} */
export const MESSAGES = {
  invalid_input: { title: 'Check the form', hint: 'Nothing was sent. Correct the field and try again.' },
  api_error: { title: 'Wallex Pay refused the request', hint: 'Nothing was changed. Read the reason above.' },
  auth: { title: 'Not signed in', hint: 'The API keys were refused or the session expired. Connect again with your keys.' },
  permission: { title: 'This API key lacks a permission', hint: 'Enable the command for this key under “Edit Permissions” in your Wallex Pay account, then try again.' },
  nonce: { title: 'Request out of order', hint: 'Another program may be using the same API key with nonces. Wait a moment and try again.' },
  rate_limited: { title: 'Too many failed calls', hint: 'Wallex Pay paused this key after repeated failures. Wait two minutes before trying again.' },
  transport: { title: 'Cannot reach Wallex Pay', hint: 'Check the API URL and your connection. Nothing was sent, or the call was safe to repeat.' },
  outcome_unknown: { title: 'Outcome unknown', hint: 'The request may have gone through. Do not send it again: use Reconcile to find out whether it was carried out.' },
  pending_operation: { title: 'Not sent: the same request is still unsettled', hint: 'An identical request was sent before and its outcome is not known yet (or it was already carried out). Nothing was sent now. Use Reconcile to find out what happened to it.' },
  timeout: { title: 'Wallex Pay did not answer in time', hint: 'Try again in a moment.' },
  canceled: { title: 'Canceled', hint: 'The request was stopped before it finished.' },
  not_configured: { title: 'The console restarted', hint: 'Try again: the connection is restored from this browser session. If it persists, connect again.' },
  not_connected: { title: 'Not connected', hint: 'Open Connect and enter your API keys.' },
  locked: { title: 'Locked', hint: 'Unlock with your passphrase or connect with your keys.' },
  wrong_passphrase: { title: 'Wrong passphrase', hint: 'That passphrase does not open the saved key.' },
  host_permission: { title: 'Access to that API URL was not granted', hint: 'The extension may only talk to addresses you allow. Connect again and accept the prompt.' },
  gateway_token: { title: 'The gateway refused the token', hint: 'Nothing was sent to Wallex Pay. Check the gateway token with whoever runs the gateway, then connect again.' },
  gateway_refused: { title: 'Your gateway does not allow this', hint: 'Nothing was sent to Wallex Pay. The gateway runs only the commands it is set up for (money commands need ALLOW_MONEY=1 there); otherwise connect with API keys that may do this.' },
  internal: { title: 'Something went wrong in the console', hint: 'Reload the page. If it keeps happening, report it with the time it happened.' },
};

/** The bridge's message when a key that has used nonces is called without one. */
const NONCE_NEEDED = /turn nonces on/i;
/** ...said in the merchant's words: the console has nonces off (Connect → Advanced). */
const NONCE_OFF = {
  title: 'This API key needs nonces, and they are turned off here',
  hint: 'This key has sent nonces before (from wallexkit or another program), and Wallex Pay then refuses every call without one. Nothing was sent. Open Connect → Advanced, tick “Send a nonce with every call”, and connect again.',
};

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
 * Title, detail (the error's own message) and hint for an error.
 * @param {unknown} err
 * @returns {{code: string, title: string, detail: string, hint: string, retryable: boolean, field?: string}}
 */
export function describeError(err) {
  const e = toBridgeError(err);
  const m = (e.code === 'nonce' && NONCE_NEEDED.test(e.message) ? NONCE_OFF : MESSAGES[e.code]) ?? { title: 'Error', hint: '' };
  let hint = m.hint;
  if (e.code !== 'nonce' && NONCE_NEEDED.test(e.message)) hint += ` ${NONCE_OFF.title}: ${NONCE_OFF.hint.replace('Nothing was sent. ', '')}`;
  const out = { code: e.code, title: m.title, detail: e.message || '', hint, retryable: Boolean(e.retryable) };
  if (e.field) return { ...out, field: e.field };
  return out;
}
