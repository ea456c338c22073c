// Size rows of the benchmark (issue #12): the bridge (dist/wasm/wallexkit.wasm) and the edge
// gateway (wasm/edge/build/app.wasm) after gzip -9 (node's zlib, as the size tests measure),
// each against the 1.2 MB floor, and with --packages what each carries by Go package
// (go run ./wasm/test/wasmsize on a build that keeps the name section).
//   node wasm/test/size-report.mjs [--packages]     (after ./build.sh build)
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';
import { repoRoot } from './lib.mjs';

const FLOOR = 1.2 * 1000 * 1000;
const rows = [
  { name: 'bridge wasm (dist/wasm/wallexkit.wasm)', file: join(repoRoot, 'dist', 'wasm', 'wallexkit.wasm'), pkg: './wasm/bridge' },
  { name: 'gateway wasm (wasm/edge/build/app.wasm)', file: join(repoRoot, 'wasm', 'edge', 'build', 'app.wasm'), pkg: './wasm/edge' },
];
for (const r of rows) {
  let raw;
  try {
    raw = readFileSync(r.file);
  } catch {
    console.log(`${r.name}: not built (run ./build.sh build)`);
    continue;
  }
  const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION }).length;
  console.log(`${r.name}: raw ${raw.length} bytes, gzip -9 ${gz} bytes (${(gz / 1e6).toFixed(3)} MB): ${(gz / FLOOR).toFixed(3)}x the 1.2 MB floor${gz <= FLOOR ? '' : ' (over)'}`);
}
if (process.argv.includes('--packages')) {
  const dir = mkdtempSync(join(tmpdir(), 'wallexkit-size-'));
  try {
    for (const r of rows) {
      const out = join(dir, 'x.wasm');
      if (r.pkg === './wasm/bridge') {
        // the shipped recipe (wasm/bridge/build.sh), with the name section kept
        execFileSync('bash', ['wasm/bridge/build.sh', out], { cwd: repoRoot, env: { ...process.env, WASM_NAMES: '1' } });
      } else {
        execFileSync('go', ['build', '-trimpath', '-o', out, r.pkg], { cwd: repoRoot, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' } });
      }
      console.log(`\n${r.name}, by package (a build with the name section kept; code only, data in the first line):`);
      console.log(execFileSync('go', ['run', './wasm/test/wasmsize', '-top', '25', out], { cwd: repoRoot }).toString());
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
