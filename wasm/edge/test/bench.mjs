// Benchmarks of the edge gateway (not part of `npm test`), every row measured side by side with a
// plain alternative in the same run and reported as a ratio:
//
//   throughput  POST /v1/call/get_basic_info through the Go gateway vs a plain JS Worker doing the
//               same login + call with a cached token (test/fixtures/js-baseline.mjs), both in one
//               Miniflare instance, over HTTP, against one sandbox, alternating in rounds so that a
//               change in background load hits both alike; at each --concurrency (default 8 and 64);
//               req/s, p50 and p99. Like for like, the gateway runs with WALLEX_NONCE=0 (the JS
//               Worker sends no nonce either); --nonce also measures nonces on, where every call of
//               the key goes through its KeyState sequencer one at a time (spec §4). The Go
//               floor's four shapes (test/fixtures/gofloor: the JS Worker's job written directly in
//               Go) run as more sides, unless --no-floors.
//   cold        first POST /v1/call/get_basic_info on a fresh Miniflare instance (a new isolate:
//               wasm compile and instantiate, Go runtime start, first login) vs the JS Worker's
//               first request (its login included), median of --cold-runs (default 6), with a
//               breakdown (with --nonce also with nonces on, the gateway's default): compile, instantiate and Go runtime start (measured in node's V8, a new process each run, which
//               workerd also uses; workerd's clocks stand still while code runs), first /v1/health
//               (everything but the login and the call), and the rest.
//   checkout    POST /v1/checkout (catalog item, a new order_id each) from --clients (default 64)
//               concurrent storefront clients, each its own IP, with nonces off (where the
//               Durable Objects on the path decide) and on (the default: every create_transaction
//               of the key goes through its sequencer, one at a time, spec §4); req/s,
//               p50 and p99, vs the JS Worker's get_basic_info at the same concurrency (a plain
//               upstream round trip, for scale). --legacy-off also measures it with
//               LEGACY_LEDGER=0 (no look-up of orders recorded before v2).
//
// Usage: npm --prefix wasm/edge run bench [-- --only throughput,cold,checkout --requests 2000
//        --concurrency 8,64 --rounds 8 --nonce --cold-runs 6 --clients 64 --checkouts 1000
//        --fresh-instance]
// --before DIR adds a third side to the throughput and cold rows: the Worker built in DIR (an
// earlier commit's wasm/edge/build, e.g. from `git archive REV | tar -x -C /tmp/x &&
// /tmp/x/wasm/edge/build.sh`), in its own Miniflare instance against its own sandbox,
// alternating with the others, so that before and after are measured side by side in one run
// (with --no-floors, the cleanest A/B: three sides, so more requests a round for the same time).
// --nonce-only skips the nonces-off throughput rows. --fresh-instance starts a new Go instance per request (EDGE_INSTANCE_PER_REQUEST=1, what the
// stock syumai/workers glue does), for comparison. --json FILE writes the numbers.
import { join } from 'node:path';
import { readFileSync, writeFileSync, readdirSync, mkdtempSync, copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startSandbox, startGateway, edgeDir, buildEdge, compatibilityDate } from './lib.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : def;
};
const N = Number(arg('requests', 2000));
const CONC = String(arg('concurrency', '8,64')).split(',').map(Number);
const WARM = Number(arg('warmup', 300));
const ROUNDS = Number(arg('rounds', 8));
const COLD_RUNS = Number(arg('cold-runs', 6));
const CLIENTS = Number(arg('clients', 64));
const CHECKOUTS = Number(arg('checkouts', 1000));
const ONLY = String(arg('only', 'throughput,cold,checkout')).split(',');
const fresh = process.argv.includes('--fresh-instance');
const withNonce = process.argv.includes('--nonce');
const PATH = '/v1/call/get_basic_info';
const BEFORE = arg('before', '');
const results = {};

// The JS Worker sends no nonce; own: another sandbox (a key never used with nonces) for it, when
// the gateway's key has nonces on (a key used with a nonce refuses calls without one).
const baselineOn = (own) => (_dir, bindings) => ({
  name: 'js-baseline',
  routes: ['*/baseline/*'],
  modules: [{ type: 'ESModule', path: join(edgeDir, 'test', 'fixtures', 'js-baseline.mjs') }],
  compatibilityDate,
  bindings: own ? { ...bindings, WALLEX_API_URL: own.apiUrl, WALLEX_PUBLIC_KEY: own.publicKey, WALLEX_PRIVATE_KEY: own.privateKey } : bindings,
});
const baseline = baselineOn(null);

// The Go floor (test/fixtures/gofloor): the JS Worker's job written directly in Go (syscall/js,
// no gateway, no core), on the same key as the JS Worker: what Go's js/wasm runtime alone costs.
let floorDir;
function buildGoFloor() {
  if (floorDir) return floorDir;
  floorDir = mkdtempSync(join(tmpdir(), 'wallexkit-gofloor-'));
  const repo = join(edgeDir, '..', '..');
  execFileSync('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', join(floorDir, 'gofloor.wasm'), './wasm/edge/test/fixtures/gofloor'], { cwd: repo, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' }, stdio: ['ignore', 'inherit', 'inherit'] });
  const goroot = execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
  copyFileSync(join(goroot, 'lib', 'wasm', 'wasm_exec.js'), join(floorDir, 'wasm_exec.js'));
  copyFileSync(join(edgeDir, 'test', 'fixtures', 'gofloor.mjs'), join(floorDir, 'gofloor.mjs'));
  return floorDir;
}
const floorOn = (own) => (_dir, bindings) => ({
  name: 'go-floor',
  routes: ['*/gofloor/*', '*/gofloorsync/*', '*/gofloorexport/*', '*/gofloorexportgo/*'],
  modulesRoot: buildGoFloor(),
  modules: [
    { type: 'ESModule', path: join(buildGoFloor(), 'gofloor.mjs') },
    { type: 'ESModule', path: join(buildGoFloor(), 'wasm_exec.js') },
    { type: 'CompiledWasm', path: join(buildGoFloor(), 'gofloor.wasm') },
  ],
  compatibilityDate,
  bindings: own ? { ...bindings, WALLEX_API_URL: own.apiUrl, WALLEX_PUBLIC_KEY: own.publicKey, WALLEX_PRIVATE_KEY: own.privateKey } : bindings,
});

// workerdCPU is the CPU time (ms, user + system) used so far by the workerd processes this
// benchmark started (Miniflare's children): what a request costs the runtime, whatever the
// machine's other load does to wall-clock rates.
function workerdCPU() {
  let ms = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (comm === 'workerd' && Number(f[1]) === process.pid) ms += ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  }
  return ms;
}
const CLK_TCK = 100;

async function load(n, c, one, lat) {
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async (_, w) => {
    while (next < n) {
      const i = next++;
      const s = performance.now();
      const ok = await one(i, w);
      lat.push(performance.now() - s);
      if (!ok) errors++;
    }
  }));
  return { secs: (performance.now() - t0) / 1000, errors };
}

function summary(lat, secs, errors) {
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  return { rps: lat.length / secs, p50: q(0.5), p90: q(0.9), p99: q(0.99), errors, n: lat.length };
}

const fmt = (r) => `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function caller(gw, prefix) {
  return async () => {
    try {
      const res = await fetch(gw.url + prefix + PATH, { method: 'POST', headers: { authorization: 'Bearer ' + gw.tokens[0] } });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false; // no answer (a connection the loaded machine dropped): an error of that side
    }
  };
}

// The Go floor's shapes (test/fixtures/gofloor), run as extra sides of the throughput rows unless
// --no-floors (then the gateway, the JS Worker and --before only: fewer sides, more requests a
// round, for a cleaner A/B). json: their key in --json's output.
const FLOORS = [
  { side: 'floor', path: '/gofloor', json: 'go_floor', label: "Go floor (the JS Worker's job written directly in Go, test/fixtures/gofloor)" },
  { side: 'floorSync', path: '/gofloorsync', json: 'go_floor_sync', label: 'Go floor, synchronous (no goroutine, no I/O in Go: the glue calls Go once per step)' },
  { side: 'floorExport', path: '/gofloorexport', json: 'go_floor_export', label: "Go floor, synchronous through exports (the glue calls exported Go functions, bytes in Go's memory, no syscall/js)" },
  { side: 'floorExportGo', path: '/gofloorexportgo', json: 'go_floor_export_goroutine', label: "Go floor, goroutines on exports (the same exchange, but a goroutine per request waits for each upstream answer, as the gateway's do)" },
];
const floors = process.argv.includes('--no-floors') ? [] : FLOORS;

async function throughput(sb, nonce, jsSandbox, beforeSandbox) {
  const vars = { WALLEX_NONCE: nonce ? '1' : '0', ...(fresh ? { EDGE_INSTANCE_PER_REQUEST: '1' } : {}) };
  const gw = await startGateway(sb, { extraWorkers: [baselineOn(jsSandbox), ...(floors.length ? [floorOn(jsSandbox)] : [])], vars });
  const gwb = BEFORE ? await startGateway(beforeSandbox, { vars, dir: BEFORE }) : null;
  try {
    const callers = { go: caller(gw, ''), js: caller(gw, '/baseline') };
    for (const f of floors) callers[f.side] = caller(gw, f.path);
    if (gwb) callers.before = caller(gwb, '');
    for (const one of Object.values(callers)) await load(WARM, 8, one, []);
    for (const c of CONC) {
      const sides = Object.fromEntries(Object.entries(callers).map(([k, one]) => [k, { one, lat: [], secs: 0, errors: 0, cpu: 0 }]));
      const pairs = Object.fromEntries(Object.keys(sides).map((k) => [k, []])); // each round's side/JS ratio: the sides ran back to back, under the same load
      // Each round runs every side once, the order rotating.
      const names = Object.keys(sides);
      const orders = names.map((_, r) => [...names.slice(r), ...names.slice(0, r)]);
      for (let r = 0; r < ROUNDS; r++) {
        const rps = {};
        for (const k of orders[r % orders.length]) {
          const s = sides[k];
          const n = Math.ceil(N / ROUNDS);
          const cpu0 = workerdCPU();
          const { secs, errors } = await load(n, c, s.one, s.lat);
          s.cpu += workerdCPU() - cpu0;
          s.secs += secs;
          s.errors += errors;
          rps[k] = n / secs;
        }
        for (const k of names) pairs[k].push(rps[k] / rps.js);
      }
      const sum = Object.fromEntries(names.map((k) => [k, summary(sides[k].lat, sides[k].secs, sides[k].errors)]));
      const cpu = Object.fromEntries(names.map((k) => [k, (sides[k].cpu * 1000) / sum[k].n])); // µs of workerd CPU per request
      const g = sum.go, j = sum.js;
      const key = `throughput_c${c}${nonce ? '_nonce' : ''}${fresh ? '_fresh' : ''}`;
      results[key] = { go: g, js: j, ratio: g.rps / j.rps, round_ratios: pairs.go, median_round_ratio: median(pairs.go), workerd_cpu_us: { go: cpu.go, js: cpu.js } };
      for (const f of floors) {
        Object.assign(results[key], { [f.json]: sum[f.side], [f.json + '_ratio']: sum[f.side].rps / j.rps, [f.json + '_median_round_ratio']: median(pairs[f.side]) });
        results[key].workerd_cpu_us[f.json] = cpu[f.side];
      }
      if (gwb) {
        const b = sum.before;
        Object.assign(results[key], { before: b, before_ratio: b.rps / j.rps, before_median_round_ratio: median(pairs.before) });
        results[key].workerd_cpu_us.before = cpu.before;
        console.log(`  before (${BEFORE}): ` + fmt(b) + `; ratio before/JS ${(b.rps / j.rps).toFixed(2)} (median of rounds ${median(pairs.before).toFixed(2)}); workerd CPU per request ${cpu.before.toFixed(0)} µs; after/before req/s ${(g.rps / b.rps).toFixed(2)}`);
      }
      console.log(`throughput ${PATH}, concurrency ${c}, nonces ${nonce ? 'on' : 'off'}${fresh ? ', a new Go instance per request' : ''}: ${N} requests each, ${ROUNDS} alternating rounds`);
      console.log('  Go gateway: ' + fmt(g));
      console.log('  JS worker:  ' + fmt(j));
      console.log(`  ratio Go/JS req/s: ${(g.rps / j.rps).toFixed(2)} (median of the ${ROUNDS} rounds' ratios ${median(pairs.go).toFixed(2)}); p50 ${g.p50.toFixed(2)} vs ${j.p50.toFixed(2)} ms; p99 ${g.p99.toFixed(2)} vs ${j.p99.toFixed(2)} ms`);
      console.log(`  workerd CPU per request: Go ${cpu.go.toFixed(0)} µs, JS ${cpu.js.toFixed(0)} µs (the gateway's own cost: ${(cpu.go - cpu.js).toFixed(0)} µs more)`);
      for (const f of floors) {
        const x = sum[f.side];
        console.log(`  ${f.label}: ${fmt(x)}; ratio ${(x.rps / j.rps).toFixed(2)} (median of rounds ${median(pairs[f.side]).toFixed(2)}); workerd CPU per request ${cpu[f.side].toFixed(0)} µs (${(cpu[f.side] - cpu.js).toFixed(0)} µs more than JS)`);
      }
    }
  } finally {
    await gw.stop();
    await gwb?.stop();
  }
}

// goStart measures, in node's V8, what a new isolate does before Go can serve (compile the module,
// instantiate it, run the Go runtime until main has registered its entry point), for the gateway
// and for the Go floor: each run in a new node process (test/go-start.mjs), so that nothing is
// compiled yet, as in a new isolate (V8 compiles wasm functions on their first run, and a process
// that compiled the same bytes before reuses that code).
async function goStart() {
  const dir = buildEdge();
  const floor = buildGoFloor();
  const script = join(edgeDir, 'test', 'go-start.mjs');
  const sides = {
    gateway: [join(dir, 'app.wasm'), join(dir, 'wasm_exec.js'), 'binding'],
    floor: [join(floor, 'gofloor.wasm'), join(floor, 'wasm_exec.js'), 'gofloor'],
  };
  const out = {};
  for (const [side, args] of Object.entries(sides)) {
    const runs = { compile: [], instantiate: [], goStart: [] };
    for (let i = 0; i < COLD_RUNS; i++) {
      const r = JSON.parse(execFileSync(process.execPath, [script, ...args], { encoding: 'utf8' }));
      for (const k of Object.keys(runs)) runs[k].push(r[k]);
    }
    out[side] = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
  }
  return out;
}

// nonce: the gateways with nonces on (sb then has nonces on; js: the JS Worker's own key, before:
// the --before side's), where the first call also goes through the key's sequencer.
async function cold(sb, { nonce = false, js = null, before = sb } = {}) {
  // go, js: the first request of a fresh instance; health: a first GET /v1/health (no login, no
  // Durable Object: workerd's first request and the first run of the route's code; Go's runtime
  // started when the module loaded); afterHealth: the first get_basic_info after
  // that (the login through the key's Durable Object and the call, on a started instance).
  const first = { go: [], js: [], floor: [], health: [], afterHealth: [], ...(BEFORE ? { before: [], beforeHealth: [], beforeAfterHealth: [] } : {}) };
  const call = (gw, prefix) => fetch(gw.url + prefix + PATH, { method: 'POST', headers: { authorization: 'Bearer ' + gw.tokens[0] } });
  const timed = async (f) => {
    const t = performance.now();
    const res = await f();
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`cold: HTTP ${res.status}`);
    return performance.now() - t;
  };
  for (let i = 0; i < COLD_RUNS; i++) {
    const sides = BEFORE ? ['go', 'js', 'floor', 'health', 'before', 'beforeHealth'] : ['go', 'js', 'floor', 'health'];
    for (const side of i % 2 ? [...sides].reverse() : sides) {
      // A fresh Miniflare instance each time: a new isolate and new Durable Objects (no token).
      const gw = await startGateway(side.startsWith('before') ? before : sb, { extraWorkers: side.startsWith('before') ? [] : [baselineOn(js), floorOn(js)], vars: { WALLEX_NONCE: nonce ? '1' : '0' }, dir: side.startsWith('before') ? BEFORE : undefined });
      try {
        if (side === 'health' || side === 'beforeHealth') {
          first[side].push(await timed(() => fetch(gw.url + '/v1/health')));
          first[side === 'health' ? 'afterHealth' : 'beforeAfterHealth'].push(await timed(() => call(gw, '')));
        } else if (side === 'before') {
          first.before.push(await timed(() => call(gw, '')));
        } else {
          first[side].push(await timed(() => call(gw, { js: '/baseline', floor: '/gofloor' }[side] ?? '')));
        }
      } finally {
        await gw.stop();
      }
    }
  }
  const m = Object.fromEntries(Object.entries(first).map(([k, v]) => [k, median(v)]));
  const start = await goStart();
  results[nonce ? 'cold_nonce' : 'cold'] = { runs: first, median: m, node_v8: start, ratio: m.go / m.js };
  console.log(`cold start, first ${PATH} on a fresh Miniflare instance (login included on both sides), nonces ${nonce ? 'on' : 'off'}, median of ${COLD_RUNS}:`);
  const runs = (k) => `${m[k].toFixed(1)} ms (runs ${first[k].map((x) => x.toFixed(0)).join(', ')})`;
  console.log(`  Go gateway ${runs('go')}; JS worker ${runs('js')}; ratio ${(m.go / m.js).toFixed(1)}x`);
  console.log(`  ${FLOORS[0].label}: ${runs('floor')}: a new Go instance's start and one login and call, without the gateway`);
  console.log(`  breakdown: first /v1/health on a fresh instance ${m.health.toFixed(1)} ms (workerd's first request and the first run of the code on the path; Go's runtime started when the module loaded); then the first get_basic_info ${m.afterHealth.toFixed(1)} ms (login through the key's Durable Object, the call, first run of that code)`);
  if (BEFORE) console.log(`  before (${BEFORE}): ${runs('before')}; first /v1/health ${m.beforeHealth.toFixed(1)} ms, then the first get_basic_info ${m.beforeAfterHealth.toFixed(1)} ms`);
  for (const [side, v] of Object.entries(start)) {
    console.log(`  in node's V8, a new process each run (median of ${COLD_RUNS}), ${side === 'gateway' ? 'the gateway' : 'the Go floor'}: compile ${v.compile.toFixed(1)} ms, instantiate ${v.instantiate.toFixed(1)} ms, Go runtime start to its entry point ${v.goStart.toFixed(1)} ms (functions compiled on their first run included)`);
  }
}

async function checkout(sb, jsSandbox, { legacy, nonce = true } = {}) {
  const gw = await startGateway(sb, {
    extraWorkers: [baselineOn(jsSandbox)],
    vars: { CHECKOUT_RATE_LIMIT: '100000', WALLEX_NONCE: nonce ? '1' : '0', ...(legacy === undefined ? {} : { LEGACY_LEDGER: legacy }) },
    prices: { mug: { amount: '12.50', currency: 'USD', name: 'Blue mug' } },
  });
  try {
    let run = 'w' + Date.now().toString(36) + (legacy ?? '') + (nonce ? 'n' : '');
    const statuses = {};
    const one = async (i, w) => {
      const res = await fetch(gw.url + '/v1/checkout', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': `10.${(w >> 8) & 255}.${w & 255}.7` },
        body: JSON.stringify({ item: 'mug', currency2: 'BTC', buyer_email: `c${w}@example.com`, order_id: `${run}-${i}` }),
      });
      const text = await res.text();
      if (res.status !== 201) statuses[res.status + ' ' + (/"code":"([^"]+)"/.exec(text)?.[1] ?? '')] = (statuses[res.status + ' ' + (/"code":"([^"]+)"/.exec(text)?.[1] ?? '')] ?? 0) + 1;
      return res.status === 201;
    };
    await load(100, CLIENTS, one, []);
    run = run.replace(/^w/, 'b'); // new order ids after the warm-up
    for (const k of Object.keys(statuses)) delete statuses[k];
    const lat = [];
    const { secs, errors } = await load(CHECKOUTS, CLIENTS, one, lat);
    const c = summary(lat, secs, errors);
    const jl = [];
    const jr = await load(CHECKOUTS, CLIENTS, caller(gw, '/baseline'), jl);
    const j = summary(jl, jr.secs, jr.errors);
    const key = 'checkout' + (nonce ? '' : '_nonce_off') + (legacy === undefined ? '' : '_legacy' + legacy);
    results[key] = { clients: CLIENTS, go: c, js_call: j, ratio: c.rps / j.rps, failures: statuses };
    console.log(`checkout: POST /v1/checkout with order_id, ${CLIENTS} concurrent clients (one IP each), nonces ${nonce ? 'on' : 'off'}, ${CHECKOUTS} checkouts${legacy === undefined ? '' : ', LEGACY_LEDGER=' + legacy}`);
    console.log('  Go gateway checkout: ' + fmt(c) + (Object.keys(statuses).length ? ' ' + JSON.stringify(statuses) : ''));
    console.log('  JS worker get_basic_info at the same concurrency: ' + fmt(j));
    console.log(`  ratio checkout/JS call req/s: ${(c.rps / j.rps).toFixed(2)}`);
  } finally {
    await gw.stop();
  }
}

// sb: a key that never sees a nonce (the JS Worker's, and the gateway's with WALLEX_NONCE=0);
// sbn: the gateway's key with nonces on.
const sb = await startSandbox();
const sbn = await startSandbox();
// The --before side's own keys: one never used with nonces, one with (a key's nonce order is its own).
const sbBefore = BEFORE ? await startSandbox() : null;
const sbnBefore = BEFORE ? await startSandbox() : null;
try {
  if (ONLY.includes('throughput')) {
    if (!process.argv.includes('--nonce-only')) await throughput(sb, false, null, sbBefore);
    if (withNonce) await throughput(sbn, true, sb, sbnBefore);
  }
  if (ONLY.includes('cold')) {
    await cold(sb);
    if (withNonce) await cold(sbn, { nonce: true, js: sb, before: sbnBefore ?? sbn });
  }
  if (ONLY.includes('checkout')) {
    // Nonces off first (on sb, the key that never sees one), then on (sbn).
    await checkout(sb, null, { nonce: false });
    if (process.argv.includes('--legacy-off')) await checkout(sb, null, { nonce: false, legacy: '0' });
    await checkout(sbn, sb);
  }
} finally {
  await sb.stop();
  await sbn.stop();
  await sbBefore?.stop();
  await sbnBefore?.stop();
}
const out = arg('json', '');
if (out) writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
