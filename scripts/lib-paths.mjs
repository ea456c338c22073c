// Paths shared by the build and dev-server scripts.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Go's wasm_exec.js: $WASM_EXEC, else $(go env GOROOT)/lib/wasm (or misc/wasm on older Go). */
export function wasmExecPath() {
  if (process.env.WASM_EXEC) return process.env.WASM_EXEC;
  let goroot = process.env.GOROOT;
  if (!goroot) {
    const goBin = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
    try {
      goroot = execFileSync(goBin, ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
    } catch {
      throw new Error('cannot find Go (needed for wasm_exec.js): put go on PATH or set WASM_EXEC=/path/to/wasm_exec.js');
    }
  }
  for (const rel of ['lib/wasm/wasm_exec.js', 'misc/wasm/wasm_exec.js']) {
    const p = path.join(goroot, rel);
    if (existsSync(p)) return p;
  }
  throw new Error(`wasm_exec.js not found under ${goroot}`);
}

export const DEFAULT_WASM = path.join(ROOT, 'dist', 'wasm', 'wallexkit.wasm');
