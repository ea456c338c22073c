// The Backend for the local dev page: the wasm bridge runs in the page itself. Token and
// active configuration in sessionStorage, nonce high-water mark and the optional vault in
// localStorage. The page needs no host permission: 'wallexkit console' passes /api on to the
// sandbox on the same origin.

import { Account } from './host/account.js';
import { webStorageKV } from './host/kv.js';
import { startBridge } from './host/wasm-loader.js';
import { BRIDGE_METHODS, FREE_METHODS, STORE_METHODS, withOpId, storeView } from './backend.js';

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
  let store = '';
  /** @type {any} */
  const b = {
    kind: 'local',
    account,
    useStore: (/** @type {string} */ id) => { store = id; },
    storeId: () => store,
    requestAccess: async () => true,
    connect: async (/** @type {any} */ p) => { const s = await account.connect(p); store = s.storeId; return s; },
    stores: () => account.stores(),
    switchStore: async (/** @type {string} */ id) => { const s = await account.switchStore(id); store = s.storeId; return s; },
    renameStore: (/** @type {string} */ id, /** @type {string} */ name) => account.renameStore(id, name),
  };
  for (const m of STORE_METHODS) {
    b[m] = async (/** @type {unknown[]} */ ...args) => {
      let s = await /** @type {any} */ (account)[m](...args, store || undefined);
      // this page's store was signed out (perhaps in another tab): show the active one
      if (m === 'session' && store && !s.storeId) s = await account.session();
      if (m === 'session' || m === 'signOut' || m === 'unlock') store = s?.storeId ?? store;
      return s;
    };
  }
  // money methods carry an opId named here, in the page (as the extension's pages do)
  for (const m of BRIDGE_METHODS) b[m] = (/** @type {unknown[]} */ ...args) => account.invoke(m, withOpId(m, args).args, store);
  for (const m of FREE_METHODS) b[m] = (/** @type {unknown[]} */ ...args) => account.free(m, args);
  b.inStore = (/** @type {string} */ id) => storeView(b, id, (m, args, s) => account.invoke(m, withOpId(m, args).args, s));
  return b;
}
