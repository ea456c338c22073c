// Benchmark (not part of `npm test`): requests/s and latency of POST /v1/call/get_basic_info
// through the Go gateway vs a plain JS Worker doing the same login + call with a cached token
// (test/fixtures/js-baseline.mjs), both in one Miniflare instance, over HTTP, against one sandbox.
// The two alternate in rounds so that a change in background load hits both alike.
// With --fresh-instance the gateway starts a new Go instance per request (EDGE_INSTANCE_PER_REQUEST=1,
// what the stock syumai/workers glue does), for comparison.
// Usage: npm --prefix wasm/edge run bench [-- --requests 2000 --concurrency 8 --rounds 4 --path /v1/health --fresh-instance]
import { join } from 'node:path';
import { startSandbox, startGateway, edgeDir } from './lib.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
};
const N = Number(arg('requests', 2000));
const C = Number(arg('concurrency', 8));
const WARM = Number(arg('warmup', 300));
const ROUNDS = Number(arg('rounds', 4));
const PATH = arg('path', '/v1/call/get_basic_info');

const baseline = (_dir, bindings) => ({
  name: 'js-baseline',
  routes: ['*/baseline/*'],
  modules: [{ type: 'ESModule', path: join(edgeDir, 'test', 'fixtures', 'js-baseline.mjs') }],
  compatibilityDate: '2025-04-01',
  bindings,
});

async function run(gw, prefix, n, lat) {
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < n) {
      next++;
      const s = performance.now();
      const res = await fetch(gw.url + prefix + PATH, { method: PATH === '/v1/health' ? 'GET' : 'POST', headers: { authorization: 'Bearer ' + gw.tokens[0] } });
      await res.arrayBuffer();
      lat.push(performance.now() - s);
      if (res.status !== 200) errors++;
    }
  }));
  return { secs: (performance.now() - t0) / 1000, errors };
}

function summary(lat, secs, errors) {
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { rps: lat.length / secs, p50: q(0.5), p90: q(0.9), p99: q(0.99), errors };
}

const sb = await startSandbox();
const fresh = process.argv.includes('--fresh-instance');
const gw = await startGateway(sb, { extraWorkers: [baseline], vars: fresh ? { EDGE_INSTANCE_PER_REQUEST: '1' } : {} });
try {
  const sides = { go: { prefix: '', lat: [], secs: 0, errors: 0 }, js: { prefix: '/baseline', lat: [], secs: 0, errors: 0 } };
  for (const s of Object.values(sides)) await run(gw, s.prefix, WARM, []);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? ['js', 'go'] : ['go', 'js'];
    for (const k of order) {
      const s = sides[k];
      const { secs, errors } = await run(gw, s.prefix, Math.ceil(N / ROUNDS), s.lat);
      s.secs += secs;
      s.errors += errors;
    }
  }
  const go = summary(sides.go.lat, sides.go.secs, sides.go.errors);
  const js = summary(sides.js.lat, sides.js.secs, sides.js.errors);
  const fmt = (r) => `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p90 ${r.p90.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`;
  console.log(`${PATH}${fresh ? ' (a new Go instance per request)' : ''}: ${N} requests each, concurrency ${C}, ${ROUNDS} alternating rounds, after ${WARM} warm-up requests`);
  console.log('  Go gateway: ' + fmt(go));
  console.log('  JS worker:  ' + fmt(js));
  console.log(`  throughput ratio Go/JS: ${(go.rps / js.rps).toFixed(2)}; p50 Go ${go.p50.toFixed(2)} ms vs JS ${js.p50.toFixed(2)} ms`);
} finally {
  await gw.stop();
  await sb.stop();
}
