// isLoopback (web/host/connect-params.js) must agree with Go's core.IsLoopbackHost: the console decides
// with it whether plain http is allowed, and the core refuses plain http to any other host. The
// built bridge (dist/wasm, from ./build.sh build) is asked the same question: configure() with a
// plain-http API URL resolves only for a loopback host.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLoopback } from '../host/connect-params.js';

const DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'wasm');
let wk;

before(async () => {
  const wasm = path.join(DIST, 'wallexkit.wasm');
  assert.ok(existsSync(wasm), 'dist/wasm/wallexkit.wasm is missing: run ./build.sh build first');
  createRequire(import.meta.url)(path.join(DIST, 'wasm_exec.js'));
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(readFileSync(wasm), go.importObject);
  go.run(instance);
  wk = globalThis.wallexkit;
});

/** Go's answer: does the core accept plain http to this host without insecureHttp? */
async function goLoopback(host) {
  try {
    await wk.configure({ apiUrl: `http://${host}:8787/api`, publicKey: 'pub', privateKey: 'priv' });
    return true;
  } catch (e) {
    if (e.code === 'invalid_input' && /not loopback/.test(e.message)) return false;
    throw new Error(`${host}: ${e.code} ${e.message}`);
  }
}

test('isLoopback agrees with core.IsLoopbackHost on every host', async () => {
  const hosts = ['localhost', 'LOCALHOST', 'LocalHost', 'a.localhost', 'x.y.LOCALHOST', 'localhost.', 'localhost.example.com', 'mylocalhost',
    '127.0.0.1', '127.1.2.3', '127.255.255.255', '127.000.0.1', '127.1', '128.0.0.1', '126.255.255.255', '0.0.0.0', '10.0.0.1', '192.168.1.1',
    '[::1]', '[0:0:0:0:0:0:0:1]', '[0000:0000::0001]', '[::]', '[::2]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::ffff:10.0.0.1]', '[::127.0.0.1]',
    '[fe80::1]', '127.0.0.1.nip.io', 'example.com', 'wallexpay.io'];
  assert.equal(await goLoopback('localhost'), true);
  assert.equal(await goLoopback('example.com'), false);
  const differ = [];
  for (const h of hosts) {
    const go = await goLoopback(h);
    if (go !== isLoopback(h)) differ.push(`${h}: Go ${go}, JS ${isLoopback(h)}`);
  }
  assert.deepEqual(differ, []);
});
