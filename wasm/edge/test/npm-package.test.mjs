// The npm package @wallexkit/core in workerd (Miniflare): a Worker imports the package and its
// wasm as a module (import wasm from '.../wallexkit.wasm'), starts it with init({ wasm }), and
// calls the sandbox and verifies an IPN from inside the Worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare, Log, LogLevel } from 'miniflare';
import { startSandbox, repoRoot, signIPN, compatibilityDate } from './lib.mjs';

const PKG = join(repoRoot, 'dist', 'npm', 'package');
let sb, mf, dir;

before(async () => {
  assert.ok(existsSync(join(PKG, 'index.js')), `${PKG} is missing: run ./build.sh build`);
  sb = await startSandbox();
  dir = mkdtempSync(join(tmpdir(), 'wallexkit-npm-worker-'));
  cpSync(PKG, join(dir, 'pkg'), { recursive: true });
  writeFileSync(join(dir, 'worker.mjs'), `
import { init, createClient, verifyIpn, WallexError } from './pkg/index.js';
import wasm from './pkg/wallexkit.wasm';
export default {
  async fetch(req, env) {
    await init({ wasm });
    const q = await req.json();
    const client = await createClient({ apiUrl: env.API_URL, publicKey: env.PUB, privateKey: env.PRIV });
    const info = await client.basicInfo();
    const tx = await client.createTransaction({ amount: '7', currency1: 'USD', currency2: 'LTCT', buyerEmail: 'w@example.com', invoice: 'worker-1' });
    const ipn = await verifyIpn({ body: q.body, hmac: q.hmac, merchantId: env.MID, secret: 'worker-secret' });
    let refused;
    try { await verifyIpn({ body: q.body + 'x', hmac: q.hmac, merchantId: env.MID, secret: 'worker-secret' }); } catch (e) { refused = e instanceof WallexError && e.code; }
    client.close();
    return Response.json({ username: info.username, txn: tx.txn_id, ipn: ipn.state, refused });
  },
};
`);
  mf = new Miniflare({
    host: '127.0.0.1', port: 0, log: new Log(LogLevel.WARN), cf: false,
    modulesRoot: dir,
    modules: [
      { type: 'ESModule', path: join(dir, 'worker.mjs') },
      { type: 'ESModule', path: join(dir, 'pkg', 'index.js') },
      { type: 'ESModule', path: join(dir, 'pkg', 'wasm_exec.mjs') },
      { type: 'CompiledWasm', path: join(dir, 'pkg', 'wallexkit.wasm') },
    ],
    compatibilityDate,
    bindings: { API_URL: sb.apiUrl, PUB: sb.publicKey, PRIV: sb.privateKey, MID: sb.merchantId },
  });
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
  await sb?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('@wallexkit/core in workerd: init({ wasm }), a client against the sandbox, verifyIpn', async () => {
  const body = new URLSearchParams({ ipn_version: '1.0', ipn_id: 'w1', ipn_mode: 'hmac', ipn_type: 'api', merchant: sb.merchantId, status: '100', status_text: 'Complete', txn_id: 'T1', currency1: 'USD', currency2: 'LTCT', amount1: '7', amount2: '0.1', fee: '0', buyer_name: '', email: 'w@example.com', item_name: '', item_number: '', invoice: 'worker-1', custom: '', received_amount: '0.1', received_confirms: '3' }).toString();
  const res = await mf.dispatchFetch('http://worker/', { method: 'POST', body: JSON.stringify({ body, hmac: signIPN('worker-secret', body) }) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const r = JSON.parse(text);
  assert.equal(r.username, 'demo');
  assert.match(r.txn, /^CP/);
  assert.equal(r.ipn, 'paid');
  assert.equal(r.refused, 'invalid_input');
});
