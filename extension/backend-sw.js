// The Backend for extension pages: every call is a message to the service worker, which
// hosts the wasm core. A stopped worker is woken by the message itself.
//
// Money requests: the page names each one with an opId before it is posted (withOpId); the
// worker's bridge writes the operation record under that id before the request leaves. Chrome
// may stop the worker at any moment, which loses its answer: for a money method (or a payout
// step, which may send a batch) a lost answer is an unknown outcome, never a plain error, so
// the console offers Reconcile (reconcileOp(opId)) and no second send.

import { BRIDGE_METHODS, FREE_METHODS, STORE_METHODS, SENDING_METHODS, withOpId } from '../web/backend.js';

/**
 * What a lost answer means for a method that may have sent money.
 * @param {string} method @param {string|undefined} opId @param {string} why
 */
export function lostAnswer(method, opId, why) {
  if (method === 'payoutStep') {
    return {
      code: 'outcome_unknown', retryable: false, cmd: 'create_mass_withdrawal',
      message: "The extension's background worker stopped during a payout step: a batch may have been sent. Resume looks it up first and never pays a row twice.",
      detail: why,
    };
  }
  return {
    code: 'outcome_unknown', retryable: false, opId,
    message: "The extension's background worker stopped before it answered: the request may have been sent. Do not send it again: Reconcile finds out what happened.",
    detail: why, // Chrome's own words, for a bug report
  };
}

/**
 * @param {string} method @param {unknown[]} args @param {string} [store]  the store the call is for
 */
async function send(method, args, store) {
  const { args: sent, opId } = withOpId(method, args);
  let reply;
  try {
    reply = await chrome.runtime.sendMessage({ type: 'wk.call', method, args: sent, store: store || undefined });
  } catch (e) {
    const why = String(/** @type {Error} */ (e)?.message ?? e);
    if (SENDING_METHODS.has(method)) throw lostAnswer(method, opId, why);
    throw { code: 'internal', message: `The extension's background worker did not answer: ${why}`, retryable: true };
  }
  if (!reply) {
    if (SENDING_METHODS.has(method)) throw lostAnswer(method, opId, 'no answer');
    throw { code: 'internal', message: "The extension's background worker gave no answer.", retryable: true };
  }
  if (!reply.ok) throw reply.error;
  return reply.value;
}

/** Match pattern for an API URL's host (patterns have no port). @param {string} apiUrl */
export function originPattern(apiUrl) {
  const u = new URL(apiUrl);
  return `${u.protocol}//${u.hostname}/*`;
}

/** @returns {import('../web/backend.js').Backend} */
export function swBackend() {
  /** @type {any} */
  const b = {
    kind: 'extension',
    /**
     * Must be called synchronously inside a click/submit handler (user gesture).
     * @param {string} apiUrl  the API URL, or a gateway's URL
     */
    requestAccess(apiUrl) {
      let origins;
      try {
        origins = [originPattern(apiUrl)];
      } catch {
        return Promise.resolve(true); // the Connect checks report the bad URL
      }
      return chrome.permissions.request({ origins }).catch(() => false);
    },
  };
  let store = '';
  b.useStore = (/** @type {string} */ id) => { store = id; };
  b.storeId = () => store;
  b.connect = async (/** @type {unknown} */ p) => { const s = await send('connect', [p]); store = s.storeId; return s; };
  b.switchStore = async (/** @type {string} */ id) => { const s = await send('switchStore', [id]); store = s.storeId; return s; };
  for (const m of ['stores', 'renameStore', 'ping', ...FREE_METHODS]) {
    b[m] = (/** @type {unknown[]} */ ...args) => send(m, args);
  }
  // paid alerts of this page's store: {muted, unseen}; setAlerts({muted?, seen?: txn | true})
  for (const m of ['alerts', 'setAlerts']) {
    b[m] = (/** @type {unknown[]} */ ...args) => send(m, args, store);
  }
  for (const m of STORE_METHODS) {
    b[m] = async (/** @type {unknown[]} */ ...args) => {
      let s = await send(m, args, store);
      // this page's store was signed out (perhaps in another window): show the active one
      if (m === 'session' && store && !s.storeId) s = await send('session', []);
      if (m === 'session' || m === 'signOut' || m === 'unlock') store = s?.storeId ?? store;
      return s;
    };
  }
  for (const m of BRIDGE_METHODS) {
    b[m] = (/** @type {unknown[]} */ ...args) => send(m, args, store);
  }
  return b;
}
