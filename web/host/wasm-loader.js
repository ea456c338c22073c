// Starts the Go wasm bridge (globalThis.wallexkit). The host must have evaluated Go's
// wasm_exec.js first (it defines globalThis.Go). If the Go program ever exits, the next
// call starts a fresh instance: every Go global is a cache, never the truth. The compiled
// module is kept, so a fresh instance costs no second compile.

/** @type {Promise<any>|null} */
let starting = null;
/** @type {Promise<WebAssembly.Module>|null} */
let compiling = null;
/** When each step of the last start ended, in performance.now() milliseconds of this host. @type {Record<string, number>} */
const timings = {};

/** The steps of the last start: compiled, instantiated, ready (the Go program's API installed). */
export function bridgeTimings() {
  return { ...timings };
}

/**
 * @param {string|URL} wasmUrl
 * @returns {Promise<any>} the bridge object
 */
export function startBridge(wasmUrl) {
  if (!starting) {
    starting = start(wasmUrl).catch((e) => {
      starting = null;
      throw { code: 'internal', message: `Could not start the wasm core: ${e?.message ?? e}`, retryable: true };
    });
  }
  return starting;
}

/** @param {string|URL} wasmUrl @returns {Promise<WebAssembly.Module>} */
function compile(wasmUrl) {
  if (!compiling) {
    compiling = (async () => {
      try {
        return await WebAssembly.compileStreaming(fetch(wasmUrl));
      } catch {
        // a server without application/wasm: compile from bytes
        return WebAssembly.compile(await (await fetch(wasmUrl)).arrayBuffer());
      }
    })().catch((e) => {
      compiling = null;
      throw e;
    });
  }
  return compiling;
}

/** @param {string|URL} wasmUrl */
async function start(wasmUrl) {
  const Go = /** @type {any} */ (globalThis).Go;
  if (typeof Go !== 'function') throw new Error('wasm_exec.js is not loaded');
  const mod = await compile(wasmUrl);
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
