// The Worker's glue starts Go's runtime when the module loads, where Workers refuse
// crypto.getRandomValues: the runtime's seed then comes from Math.random (glue/worker.mjs). The
// IDs that must be unique (operation IDs, invoices, claim tokens, nonce call IDs) must not
// depend on that seed: internal/idrand takes them from crypto.getRandomValues when each is made.
// This runs a small Go program (test/fixtures/seed) twice under node with the same runtime seed
// (fixed bytes) and checks that the runtime's own generator repeats, so the seed was the same,
// while the IDs do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { edgeDir } from './lib.mjs';

const repo = join(edgeDir, '..', '..');

test('IDs made after a start with a fixed runtime seed still differ (internal/idrand)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wallexkit-seed-'));
  try {
    const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
    const wasm = join(dir, 'seed.wasm');
    execFileSync('go', ['build', '-trimpath', '-o', wasm, './wasm/edge/test/fixtures/seed'], { cwd: repo, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: ['ignore', 'inherit', 'inherit'] });
    const mod = new WebAssembly.Module(readFileSync(wasm));
    // Go's wasm_exec.js defines globalThis.Go; the two runs are two Go objects and instances.
    vm.runInThisContext(readFileSync(join(goroot, 'lib', 'wasm', 'wasm_exec.js'), 'utf8'));
    const run = async () => {
      let started = false;
      globalThis.seedMainStarted = () => {
        started = true;
      };
      delete globalThis.seedResult;
      const go = new globalThis.Go();
      const real = go.importObject.gojs['runtime.getRandomData'];
      let fixed = 0;
      go.importObject.gojs['runtime.getRandomData'] = (sp) => {
        if (started) return real(sp);
        // the runtime's seed: the same bytes every run (not zeros, which the runtime refuses)
        sp >>>= 0;
        const at = go.mem.getUint32(sp + 8, true);
        const n = go.mem.getUint32(sp + 16, true);
        new Uint8Array(go.mem.buffer, at, n).fill(0x5a);
        fixed++;
      };
      const inst = new WebAssembly.Instance(mod, go.importObject);
      await go.run(inst);
      assert.ok(fixed > 0, 'the runtime asked for its seed before main');
      return String(globalThis.seedResult).split(' ');
    };
    const [runtimeA, idA] = await run();
    const [runtimeB, idB] = await run();
    assert.equal(runtimeA, runtimeB, 'the same seed gives the runtime generator the same numbers (the test holds)');
    assert.notEqual(idA, idB, 'IDs must not come from the runtime seed');
    assert.match(idA, /^[0-9a-f]{32}$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
