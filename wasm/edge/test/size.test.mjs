// The Worker must stay within its size budget (issue #12): app.wasm alone at most 1.2 MB after
// gzip -9, and the whole upload (app.wasm, the glue modules and wasm_exec.js, bundled by
// `wrangler deploy --dry-run`, which works offline, and compressed by it) at most 1.25 MB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';
import { buildEdge, edgeDir } from './lib.mjs';

const BUDGET = 1.2 * 1000 * 1000; // app.wasm, gzip -9
const UPLOAD_BUDGET = 1.25 * 1000 * 1000; // wrangler's gzip of the whole upload
const mb = (n) => (n / 1e6).toFixed(3) + ' MB';

test('app.wasm gzip -9 <= 1.2 MB', (t) => {
  const raw = readFileSync(join(buildEdge(), 'app.wasm'));
  const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION }).length;
  const line = `app.wasm: raw ${raw.length} bytes (${mb(raw.length)}), gzip -9 ${gz} bytes (${mb(gz)}), budget ${mb(BUDGET)}`;
  t.diagnostic(line);
  assert.ok(gz <= BUDGET, line);
});

test('wrangler deploy --dry-run: total upload gzip <= 1.25 MB', async (t) => {
  buildEdge();
  const out = mkdtempSync(join(tmpdir(), 'wallexkit-edge-dist-'));
  try {
    const wrangler = join(edgeDir, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', out], {
      cwd: edgeDir,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
      timeout: 120_000,
    });
    const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(stdout + stderr);
    assert.ok(m, 'wrangler printed the upload size:\n' + stdout + stderr);
    const gz = Number(m[2]) * 1024;
    const line = `wrangler deploy --dry-run: upload ${m[1]} KiB, gzip ${m[2]} KiB (${mb(gz)}), budget ${mb(UPLOAD_BUDGET)}`;
    t.diagnostic(line);
    assert.ok(gz <= UPLOAD_BUDGET, line);
    assert.match(stdout, /env\.KEY_STATE \(KeyState\)/);
    assert.match(stdout, /env\.LEDGER \(Ledger\)/);
    assert.match(stdout, /env\.LIMITER \(Limiter\)/);
    assert.match(stdout, /env\.PRICES/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
