// Starts the Go wasm bridge (globalThis.wallexkit). The host must have evaluated Go's
// wasm_exec.js first (it defines globalThis.Go). If the Go program ever exits, the next
// call starts a fresh instance: every Go global is a cache, never the truth. The compiled
// module is kept, so a fresh instance costs no second compile.
//
// opts.cache (the extension's service worker): the name of a Cache Storage cache that keeps a
// copy of the core's bytes under its SHA-256 (opts.sha256 when the host was built knowing it,
// else read from <wasmUrl>.sha256, which the build writes beside it). A cold worker compiles from that copy: Chrome hands a 4 MB file of the extension's
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

const WASM_TYPE = { 'content-type': 'application/wasm' };

/** @param {string|URL} wasmUrl @param {{cache?: string, sha256?: string}} opts @returns {Promise<WebAssembly.Module>} */
function compile(wasmUrl, opts) {
  if (!compiling) {
    compiling = (async () => {
      const kept = opts.cache ? await fromCache(wasmUrl, opts).catch(() => null) : null;
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
      if (opts.cache) keep(wasmUrl, opts).catch(() => {});
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
 * fetched). A host built with the hash saves reading it (a file of the package: 5–15 ms of a
 * cold start).
 * @param {string|URL} wasmUrl @param {string} [known]
 */
async function keyOf(wasmUrl, known) {
  let sha = known ?? '';
  if (!sha) {
    const r = await fetch(`${wasmUrl}.sha256`);
    sha = r.ok ? (await r.text()).trim() : '';
  }
  if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error('no .sha256 beside the core');
  return `https://wallexkit.invalid/wasm/${sha}.wasm`;
}

/** The kept copy of this build's core, or null. @param {string|URL} wasmUrl @param {{cache?: string, sha256?: string}} opts */
async function fromCache(wasmUrl, opts) {
  const [key, cache] = await Promise.all([keyOf(wasmUrl, opts.sha256), caches.open(String(opts.cache))]);
  const hit = await cache.match(key);
  return hit ?? null;
}

/** Keeps a copy of this build's core, and drops the copies of other builds. @param {string|URL} wasmUrl @param {{cache?: string, sha256?: string}} opts */
async function keep(wasmUrl, opts) {
  const [key, cache] = await Promise.all([keyOf(wasmUrl, opts.sha256), caches.open(String(opts.cache))]);
  const r = await fetch(wasmUrl);
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
