// Starts the Go wasm bridge (globalThis.wallexkit). The host must have evaluated Go's
// wasm_exec.js first (it defines globalThis.Go). If the Go program ever exits, the next
// call starts a fresh instance: every Go global is a cache, never the truth. The compiled
// module is kept, so a fresh instance costs no second compile.
//
// opts.cache and opts.sha256 (the extension's service worker): the name of a Cache Storage cache
// that keeps a copy of the core's bytes, and the core's SHA-256, the copy's key
// (scripts/build-extension.mjs writes it into the bundled worker; without a valid one nothing is
// cached). A cold worker compiles from that copy: Chrome hands a 4 MB file of the extension's
// package to the worker at a fraction of the speed of Cache Storage (measured: 40–75 ms against
// 15–30 ms here), and streaming compilation waits for the bytes. A build is never served from
// another build's copy (the key is its hash); the first start of a build compiles from the
// package and keeps the copy afterwards; any failure of the cache falls back to the package.

/** @type {Promise<any>|null} */
let starting = null;
/** @type {Promise<WebAssembly.Module>|null} */
let compiling = null;
/** When each step of the last start ended, in performance.now() milliseconds of this host. @type {Record<string, number|string>} */
const timings = {};

/** The steps of the last start: compiled (source: cache or package), instantiated, ready (the Go program's API installed). */
export function bridgeTimings() {
  return { ...timings };
}

/**
 * @param {string|URL} wasmUrl
 * @param {{cache?: string, sha256?: string}} [opts]
 * @returns {Promise<any>} the bridge object
 */
export function startBridge(wasmUrl, opts = {}) {
  if (!starting) {
    starting = start(wasmUrl, opts).catch((e) => {
      starting = null;
      throw { code: 'internal', message: `Could not start the wasm core: ${e?.message ?? e}`, retryable: true };
    });
  }
  return starting;
}

/**
 * Compiles the core without starting it and keeps the compiled module for as long as this page
 * lives (the extension's console pages). Chrome shares compiled WebAssembly between the pages and
 * the service worker of one extension (one process, one copy of a module's code for the same
 * bytes): while a page keeps the module, a worker that Chrome stopped and starts again gets the
 * core already compiled, with every function the worker ran before compiled too, instead of
 * compiling 4 MB and then each function on its first run. Nothing runs here: the service worker
 * stays the one host of the core, its token and its nonce order.
 * @param {string|URL} wasmUrl
 * @param {{cache?: string, sha256?: string}} [opts]
 * @returns {Promise<WebAssembly.Module>}
 */
export function keepCompiled(wasmUrl, opts = {}) {
  return compile(wasmUrl, opts);
}

const WASM_TYPE = { 'content-type': 'application/wasm' };

/** @param {string|URL} wasmUrl @param {{cache?: string, sha256?: string}} opts @returns {Promise<WebAssembly.Module>} */
function compile(wasmUrl, opts) {
  if (!compiling) {
    compiling = (async () => {
      const key = keyOf(opts);
      const kept = key ? await fromCache(String(opts.cache), key).catch(() => null) : null;
      timings.cacheMatched = Math.round(performance.now());
      if (kept) {
        try {
          const mod = await WebAssembly.compileStreaming(kept);
          timings.source = 'cache';
          return mod;
        } catch { /* a damaged copy: the package's bytes below, and a new copy */ }
      }
      timings.source = 'package';
      let mod;
      try {
        mod = await WebAssembly.compileStreaming(fetch(wasmUrl));
      } catch {
        // a server without application/wasm: compile from bytes
        mod = await WebAssembly.compile(await (await fetch(wasmUrl)).arrayBuffer());
      }
      if (key) keep(wasmUrl, String(opts.cache), key).catch(() => {});
      return mod;
    })().catch((e) => {
      compiling = null;
      throw e;
    });
  }
  return compiling;
}

/**
 * The cache key of this build's core (Cache Storage keys are http(s) URLs; this one is never
 * fetched), or '' when the host gave no cache or no valid hash.
 * @param {{cache?: string, sha256?: string}} opts
 */
function keyOf(opts) {
  return opts.cache && /^[0-9a-f]{64}$/.test(opts.sha256 ?? '') ? `https://wallexkit.invalid/wasm/${opts.sha256}.wasm` : '';
}

/** The kept copy of this build's core, or null. @param {string} name @param {string} key */
async function fromCache(name, key) {
  return (await (await caches.open(name)).match(key)) ?? null;
}

/** Keeps a copy of this build's core, and drops the copies of other builds. @param {string|URL} wasmUrl @param {string} name @param {string} key */
async function keep(wasmUrl, name, key) {
  const [r, cache] = await Promise.all([fetch(wasmUrl), caches.open(name)]);
  if (!r.ok) return;
  await cache.put(key, new Response(await r.arrayBuffer(), { headers: WASM_TYPE }));
  for (const req of await cache.keys()) if (req.url !== key) await cache.delete(req);
}

/** @param {string|URL} wasmUrl @param {{cache?: string, sha256?: string}} opts */
async function start(wasmUrl, opts) {
  const Go = /** @type {any} */ (globalThis).Go;
  if (typeof Go !== 'function') throw new Error('wasm_exec.js is not loaded');
  const mod = await compile(wasmUrl, opts);
  timings.compiled = Math.round(performance.now());
  const go = new Go();
  const instance = await WebAssembly.instantiate(mod, go.importObject);
  timings.instantiated = Math.round(performance.now());
  delete (/** @type {any} */ (globalThis)).wallexkit;
  go.run(instance).finally(() => {
    // exited (or crashed): forget it so the next call starts again
    delete (/** @type {any} */ (globalThis)).wallexkit;
    starting = null;
  });
  for (let i = 0; i < 200; i++) {
    const api = /** @type {any} */ (globalThis).wallexkit;
    if (api && typeof api.configure === 'function') {
      timings.ready = Math.round(performance.now());
      return api;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the wasm core did not start (globalThis.wallexkit missing)');
}
