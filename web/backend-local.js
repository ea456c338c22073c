// The Backend for the local dev page: the wasm bridge runs in the page itself. Token and
// active configuration in sessionStorage, nonce high-water mark and the optional vault in
// localStorage. The page needs no host permission: 'wallexkit console' passes /api on to the
// sandbox on the same origin.

import { Account } from './lib/account.js';
import { webStorageKV } from './lib/kv.js';
import { startBridge } from './lib/wasm-loader.js';
import { BRIDGE_METHODS, withOpId } from './backend.js';

/**
 * @param {{wasmUrl: string|URL, session?: Storage, local?: Storage}} opts
 * @returns {import('./backend.js').Backend}
 */
export function localBackend(opts) {
  const account = new Account({
    getBridge: () => startBridge(opts.wasmUrl),
    sessionKV: webStorageKV(opts.session ?? sessionStorage),
    localKV: webStorageKV(opts.local ?? localStorage),
  });
  /** @type {any} */
  const b = {
    kind: 'local',
    requestAccess: async () => true,
    connect: (/** @type {any} */ p) => account.connect(p),
    unlock: (/** @type {string} */ pass) => account.unlock(pass),
    lock: () => account.lock(),
    signOut: () => account.signOut(),
    session: () => account.session(),
    login: () => account.login(),
  };
  // money methods carry an opId named here, in the page (as the extension's pages do)
  for (const m of BRIDGE_METHODS) b[m] = (/** @type {unknown[]} */ ...args) => account.invoke(m, withOpId(m, args).args);
  return b;
}
