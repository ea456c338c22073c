// globalThis.wallexkit, as the bridge installs it when loaded with Go's wasm_exec.js directly
// (the extension, the dev page, node tests). The npm package (wasm/npm) leaves no global.
import type { WallexKit } from './wallexkit';

declare global {
  // eslint-disable-next-line no-var
  var wallexkit: WallexKit;
}
