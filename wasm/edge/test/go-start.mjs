// Measures what a new isolate does before a Go wasm module can serve, in a new node process (V8
// with nothing compiled yet, as in a new Worker isolate): compile the module, instantiate it, and
// run the Go runtime until main has registered its entry point. V8 compiles wasm functions
// lazily, on their first run, so the start includes compiling what it runs. Used by bench.mjs,
// once per run. Usage: node test/go-start.mjs MODULE.wasm WASM_EXEC.js READY
// READY: "binding" (the gateway: context.binding.headers, set by main before it serves) or the
// name of the global it sets.
// Prints {compile, instantiate, goStart} in ms.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [wasmPath, execPath, ready] = process.argv.slice(2);
await import(pathToFileURL(execPath).href);
const bytes = readFileSync(wasmPath);
let t = performance.now();
const mod = await WebAssembly.compile(bytes);
const compile = performance.now() - t;
const go = new globalThis.Go();
// Imports beyond Go's own (the gateway's exchange with its glue, the floor's step): stand-ins,
// since nothing calls them before a request.
const own = new Set(Object.keys(go.importObject));
for (const i of WebAssembly.Module.imports(mod)) {
  if (!own.has(i.module)) (go.importObject[i.module] ??= {})[i.name] = () => 0;
}
t = performance.now();
const inst = await WebAssembly.instantiate(mod, go.importObject);
const instantiate = performance.now() - t;
const context = { env: {}, ctx: undefined, binding: {} };
t = performance.now();
go.run(inst, context);
await new Promise((r) => setImmediate(r));
const goStart = performance.now() - t;
const up = ready === 'binding' ? typeof context.binding.headers === 'string' : typeof globalThis[ready] === 'function';
if (!up) {
  console.error(`go-start: ${wasmPath} did not register its entry point (${ready})`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ compile, instantiate, goStart }));
process.exit(0);
