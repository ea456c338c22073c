// Where the extension's wasm core is, for the service worker (its one host) and the console pages
// (which keep it compiled: web/host/wasm-loader.js keepCompiled).
//
// The core's bytes are kept in Cache Storage under their hash: a cold worker compiles from there.
// The build bundles the worker and the pages (scripts/build-extension.mjs) and writes the core's
// hash in as __CORE_SHA256__ (unbundled, nothing is cached).

/** @type {string|undefined} */
const CORE_SHA256 = typeof __CORE_SHA256__ === 'string' ? __CORE_SHA256__ : undefined;

export const CORE_URL = chrome.runtime.getURL('wasm/wallexkit.wasm');
export const CORE_OPTS = { cache: 'wk.core', sha256: CORE_SHA256 };
