// Benchmark (not part of the test run): N sequential basicInfo() calls through the wasm bridge
// versus a hand-written JS fetch of the same get_basic_info call with the same token. Like for
// like, the bridge's client runs with nonces off (the hand-written fetch sends none, and a key
// that has seen a nonce refuses calls without one, spec §4).
//   node wasm/test/bench.mjs [N]      (default N=300)
// Uses the sandbox in WALLEX_TEST_* when set (as run-go-wasm-tests.sh exports), else starts
// `wallexkit sandbox` (cmd/wallexkit) on a free loopback port.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, loadBridge, recordingStorage } from './lib.mjs';
import { printedURL } from '../../scripts/lib-proc.mjs';

const N = Number(process.argv[2] || 300);
const WARMUP = 30;

async function startSandbox() {
  const bin = join(mkdtempSync(join(tmpdir(), 'wallexkit-bench-')), 'sandbox');
  execFileSync('go', ['build', '-o', bin, './cmd/wallexkit'], { cwd: repoRoot, stdio: 'inherit' });
  const pub = 'bench-pub-' + Date.now(), priv = 'bench-priv-' + Math.random().toString(36).slice(2);
  const child = spawn(bin, ['sandbox', '--addr', '127.0.0.1:0', '--demo-public-key', pub, '--demo-private-key', priv], { stdio: ['ignore', 'pipe', 'inherit'] });
  const apiUrl = await printedURL(child, /listening on (http:\/\/\S+)/, 'the sandbox');
  process.env.WALLEX_TEST_API_URL = apiUrl;
  process.env.WALLEX_TEST_ADMIN_URL = apiUrl.replace(/\/api$/, '/sandbox');
  process.env.WALLEX_TEST_PUBLIC_KEY = pub;
  process.env.WALLEX_TEST_PRIVATE_KEY = priv;
  return child;
}

const child = process.env.WALLEX_TEST_API_URL ? null : await startSandbox();
// The sandbox goes with this process, whatever ends it (an error included): left running, it would
// hold the output pipe open and whoever reads it would wait for ever.
process.on('exit', () => child?.kill());
const apiUrl = process.env.WALLEX_TEST_API_URL;
const publicKey = process.env.WALLEX_TEST_PUBLIC_KEY;
const privateKey = process.env.WALLEX_TEST_PRIVATE_KEY;

const wk = await loadBridge();
const storage = recordingStorage();
const { storeKey } = await wk.configure({ apiUrl, publicKey, privateKey, storage, nonce: false });
await wk.login();
const token = storage.tokens.get(storeKey).access_token;

// The same request the core sends, decoded to the same plain object.
const body = new URLSearchParams({ version: '1', key: publicKey, cmd: 'get_basic_info' }).toString();
async function plainFetch() {
  const res = await fetch(`${apiUrl}/get_basic_info`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', Authorization: token },
    body,
  });
  const j = await res.json();
  if (res.status !== 200 || j.error !== 'ok') throw new Error('get_basic_info failed: ' + JSON.stringify(j));
  const r = j.result;
  return { username: r.username, merchant_id: r.merchant_id, email: r.email, public_name: r.public_name };
}
const viaBridge = () => wk.basicInfo();

async function measure(fn) {
  for (let i = 0; i < WARMUP; i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await fn();
  return N / ((performance.now() - t0) / 1000);
}

const a = await viaBridge(), b = await plainFetch();
if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`results differ: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);

// Interleaved rounds, median of each, to even out noise from the sandbox sharing the machine.
const ROUNDS = 3;
const median = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1];
const br = [], fr = [];
for (let r = 0; r < ROUNDS; r++) {
  br.push(await measure(viaBridge));
  fr.push(await measure(plainFetch));
}
const bridgeOps = median(br), fetchOps = median(fr);
console.log(`N=${N} sequential get_basic_info, median of ${ROUNDS} interleaved rounds`);
console.log(`  wasm bridge basicInfo(): ${bridgeOps.toFixed(0)} ops/s (${(1000 / bridgeOps).toFixed(3)} ms/op)`);
console.log(`  plain JS fetch:          ${fetchOps.toFixed(0)} ops/s (${(1000 / fetchOps).toFixed(3)} ms/op)`);
console.log(`  ratio bridge/fetch: ${(bridgeOps / fetchOps).toFixed(2)}`);
child?.kill();
