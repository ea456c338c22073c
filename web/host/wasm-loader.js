// Starts the Go wasm bridge (globalThis.wallexkit). The host must have evaluated Go's
// wasm_exec.js first (it defines globalThis.Go). If the Go program ever exits, the next
// call starts a fresh instance: every Go global is a cache, never the truth.

/** @type {Promise<any>|null} */
let starting = null;

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

/** @param {string|URL} wasmUrl */
async function start(wasmUrl) {
  const Go = /** @type {any} */ (globalThis).Go;
  if (typeof Go !== 'function') throw new Error('wasm_exec.js is not loaded');
  const go = new Go();
  let instance;
  try {
    ({ instance } = await WebAssembly.instantiateStreaming(fetch(wasmUrl), go.importObject));
  } catch {
    // a server without application/wasm: compile from bytes
    const bytes = await (await fetch(wasmUrl)).arrayBuffer();
    ({ instance } = await WebAssembly.instantiate(bytes, go.importObject));
  }
  delete (/** @type {any} */ (globalThis)).wallexkit;
  go.run(instance).finally(() => {
    // exited (or crashed): forget it so the next call starts again
    delete (/** @type {any} */ (globalThis)).wallexkit;
    starting = null;
  });
  for (let i = 0; i < 200; i++) {
    const api = /** @type {any} */ (globalThis).wallexkit;
    if (api && typeof api.configure === 'function') return api;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the wasm core did not start (globalThis.wallexkit missing)');
}
