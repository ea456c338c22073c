// The bridge must stay within its size budget (issue #12): at most 1.2 MB after gzip -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync, constants } from 'node:zlib';
import { bridgePath } from './lib.mjs';

const BUDGET_GZIP = 1.2 * 1000 * 1000;

test('bridge size budget (gzip -9 <= 1.2 MB)', (t) => {
  const path = bridgePath(); // the harness's release build, else a fresh one
  const raw = readFileSync(path);
  const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION });
  const mb = (n) => (n / 1e6).toFixed(3) + ' MB';
  const line = `wallexkit.wasm: raw ${raw.length} bytes (${mb(raw.length)}), gzip -9 ${gz.length} bytes (${mb(gz.length)}), budget ${mb(BUDGET_GZIP)}`;
  t.diagnostic(line);
  console.log(line);
  assert.ok(gz.length <= BUDGET_GZIP, line);
});
