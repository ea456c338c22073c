// The Backend for extension pages: every call is a message to the service worker, which
// hosts the wasm core. A stopped worker is woken by the message itself.

import { BRIDGE_METHODS } from '../web/backend.js';

/**
 * @param {string} method @param {unknown[]} args
 */
async function send(method, args) {
  let reply;
  try {
    reply = await chrome.runtime.sendMessage({ type: 'wk.call', method, args });
  } catch (e) {
    throw { code: 'internal', message: `The extension's background worker did not answer: ${/** @type {Error} */ (e)?.message ?? e}`, retryable: true };
  }
  if (!reply) throw { code: 'internal', message: "The extension's background worker gave no answer.", retryable: true };
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
  for (const m of ['connect', 'unlock', 'lock', 'signOut', 'session', 'login', 'ping', ...BRIDGE_METHODS]) {
    b[m] = (/** @type {unknown[]} */ ...args) => send(m, args);
  }
  return b;
}
