// The Worker as Cloudflare's templates have it (issue #10): `npm run dev` is `wrangler dev`
// (local mode: no login, no network; checked here with none) with the variables of
// .dev.vars.example filled in from the sandbox, wrangler.jsonc's build.command builds the Go
// gateway and builds it again when a watched source changes, `npm run deploy` is
// `wrangler deploy` (its dry run runs the same build command), and compatibility_date is one the
// pinned workerd knows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { startSandbox, edgeDir, repoRoot, buildEdge, compatibilityDate, eventually } from './lib.mjs';

const wrangler = join(edgeDir, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A port for wrangler dev, free now and below the kernel's ephemeral range (32768–60999): a port
// from that range (what listen(0) hands out) can be taken by any outbound connection of a test
// running alongside before wrangler listens on it; one under 32768 only by an explicit listen.
async function freePort(avoid = 0) {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (port === avoid) continue;
    const s = createServer();
    const ok = await new Promise((r) => { s.once('error', () => r(false)); s.listen(port, '127.0.0.1', () => r(true)); });
    if (ok) {
      await new Promise((r) => s.close(r));
      return port;
    }
  }
  throw new Error('no free loopback port in 20000–31999 after 200 tries');
}

let sb, dir, proc, url, vars;
let log = '';

before(async () => {
  buildEdge();
  sb = await startSandbox();
  dir = mkdtempSync(join(tmpdir(), 'wallexkit-edge-dev-'));
  // .dev.vars.example, filled in as its comments say: the sandbox's export line's values.
  const fromSandbox = {
    WALLEX_API_URL: sb.apiUrl, WALLEX_PUBLIC_KEY: sb.publicKey, WALLEX_PRIVATE_KEY: sb.privateKey,
    WALLEX_MERCHANT_ID: sb.merchantId, WALLEX_IPN_SECRET: 'ipn-secret-dev-test',
  };
  vars = {};
  const lines = readFileSync(join(edgeDir, '.dev.vars.example'), 'utf8').split('\n').map((l) => {
    const m = /^([A-Z_]+)=(.*)$/.exec(l);
    if (!m) return l;
    vars[m[1]] = fromSandbox[m[1]] ?? m[2];
    return m[1] + '=' + vars[m[1]];
  });
  for (const k of Object.keys(fromSandbox)) assert.ok(k in vars, `.dev.vars.example names ${k}`);
  writeFileSync(join(dir, '.dev.vars'), lines.join('\n'));
  const port = await freePort();
  proc = spawn(process.execPath, [wrangler, 'dev', '--env-file', join(dir, '.dev.vars'), '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(await freePort(port)), '--persist-to', join(dir, 'state'), '--show-interactive-dev-session=false'], {
    cwd: edgeDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  await eventually(() => /Ready on http/.test(log) || proc.exitCode !== null, 90_000, 'wrangler dev to be ready');
  assert.equal(proc.exitCode, null, 'wrangler dev exited:\n' + log);
  url = `http://127.0.0.1:${port}`;
});

after(async () => {
  if (proc && proc.exitCode === null) {
    process.kill(-proc.pid, 'SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
  }
  await sb?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const s of [sb?.privateKey, vars?.GATEWAY_TOKENS, vars?.FORWARD_SECRET].filter(Boolean)) {
    assert.ok(!log.includes(s), 'a secret appeared in wrangler dev output');
  }
});

const call = (cmd) => fetch(`${url}/v1/call/${cmd}`, { method: 'POST', headers: { authorization: 'Bearer ' + vars.GATEWAY_TOKENS.split(',')[0].trim() } });

test('npm run dev is wrangler dev; npm run deploy is wrangler deploy', () => {
  const pkg = JSON.parse(readFileSync(join(edgeDir, 'package.json'), 'utf8'));
  assert.equal(pkg.scripts.dev, 'wrangler dev');
  assert.equal(pkg.scripts.deploy, 'wrangler deploy');
});

// npm appends the arguments to the script: with a glob in it, `npm test -- test/x.test.mjs` ran every
// file and then x (the whole suite, minutes of workerd and sandboxes, to run one file).
test('npm test -- FILE runs that file only', async () => {
  const pkg = JSON.parse(readFileSync(join(edgeDir, 'package.json'), 'utf8'));
  assert.doesNotMatch(pkg.scripts.test, /\*/, 'a glob in the test script: npm test -- FILE runs every file as well');
  const { NODE_TEST_CONTEXT, ...plain } = env; // a runner of its own, not a child of this one
  const { stdout } = await promisify(execFile)('npm', ['test', '--', 'test/fixtures/one/one.test.mjs'], { cwd: edgeDir, env: plain });
  assert.match(stdout, /^# tests 1$/m, stdout);
  assert.match(stdout, /^# pass 1$/m, stdout);
});

test('wrangler dev (local, offline) runs the build command and serves the gateway against the sandbox', async () => {
  assert.match(log, /\[custom build\] Running: bash build\.sh/);
  const h = await fetch(url + '/v1/health');
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { ok: true, service: 'wallexkit-edge' });
  const res = await call('get_basic_info');
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.error, 'ok');
  assert.equal(body.result.merchant_id, sb.merchantId, 'the gateway called the sandbox named in .dev.vars');
  const st = await sb.stats();
  assert.equal(st.logins, 1);
});

test('a changed Go source is built again by wrangler dev itself', async () => {
  const before = log.length;
  const src = join(edgeDir, 'internal', 'gateway', 'platform.go');
  const now = new Date();
  utimesSync(src, now, now); // the content is unchanged; build.sh sees a newer source
  await eventually(() => /\[custom build\] wasm\/edge\/build: app\.wasm \d+ bytes/.test(log.slice(before)), 120_000, 'wrangler dev to rebuild');
  // and serves the rebuilt Worker
  await eventually(async () => (await call('get_basic_info')).status === 200, 60_000, 'the rebuilt gateway to answer');
  await sleep(100);
});

test('every Go source of the repository the gateway is built from is watched by build.sh and wrangler dev', async () => {
  // build.sh's freshness check and wrangler.jsonc's build.watch_dir name what the Worker is made
  // of; a source of the module outside them (an edit to it) leaves a stale build/app.wasm that
  // `npm run dev`, ./build.sh and the tests then run as if it were current.
  const { stdout } = await promisify(execFile)('go', ['list', '-deps', '-f', '{{if not .Standard}}{{.Dir}}|{{join .GoFiles ","}}{{end}}', './wasm/edge'],
    { cwd: repoRoot, env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' } });
  const files = stdout.split('\n').filter((l) => l && (l + sep).startsWith(repoRoot + sep))
    .flatMap((l) => { const [d, f] = l.split('|'); return f.split(',').map((n) => relative(repoRoot, join(d, n))); });
  assert.ok(files.some((f) => f.startsWith('core/')) && files.some((f) => f.startsWith('wasm/edge/')), files.join(' '));
  const script = readFileSync(join(edgeDir, 'build.sh'), 'utf8');
  const roots = /find ((?:[\w./-]+ )+)\\\(/.exec(script)[1].trim().split(/\s+/);
  const jsonc = readFileSync(join(edgeDir, 'wrangler.jsonc'), 'utf8');
  const watched = JSON.parse(/"watch_dir":\s*(\[[^\]]*\])/.exec(jsonc)[1]).map((w) => relative(repoRoot, join(edgeDir, w)));
  const under = (f, list) => list.some((r) => f === r || f.startsWith(r + '/'));
  assert.deepEqual(files.filter((f) => !under(f, roots)), [], 'sources build.sh does not look at (its find)');
  assert.deepEqual(files.filter((f) => !under(f, watched)), [], 'sources wrangler dev does not watch (build.watch_dir)');
});

test('build.sh never calls a partial build up to date, and runs that overlap leave a complete one', async () => {
  // wrangler dev starts build.sh again for each changed file while the last run is still going
  // (an editor saving three files, a git checkout): each run emptied build/ and wrote it again,
  // so overlapping runs left it without some files, and the stamp then said "up to date".
  const build = join(edgeDir, 'build.sh');
  const outputs = ['app.wasm', 'wasm_exec.js', 'worker.mjs', 'keys.mjs', 'ledger.mjs', 'limiter.mjs'];
  const run = (...args) => promisify(execFile)('bash', [build, ...args], { cwd: edgeDir, timeout: 300_000 });
  rmSync(join(edgeDir, 'build', 'keys.mjs'));
  const { stdout } = await run();
  assert.doesNotMatch(stdout, /up to date/, 'a build with a file missing is built again');
  // Overlapping runs, the second started while the first is building.
  const first = run('--force');
  await sleep(1500);
  const second = run('--force');
  await sleep(1500);
  await Promise.all([first, second, run('--force')]);
  for (const f of outputs) assert.ok(existsSync(join(edgeDir, 'build', f)), `build/${f} after overlapping runs`);
  assert.match((await run()).stdout, /up to date/);
});

test('wrangler deploy --dry-run runs the same build command (nothing to build: up to date)', async () => {
  const out = join(dir, 'dist');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', out], { cwd: edgeDir, env, timeout: 120_000 });
  const text = stdout + stderr;
  assert.match(text, /\[custom build\] Running: bash build\.sh/);
  assert.match(text, /wasm\/edge\/build: up to date/);
  assert.match(text, /--dry-run: exiting now/);
});

test('compatibility_date is current: not past what the pinned workerd knows, and close to it', async () => {
  const { compatibilityDate: newest } = await import('workerd');
  assert.match(compatibilityDate, /^\d{4}-\d\d-\d\d$/);
  assert.ok(compatibilityDate <= newest, `compatibility_date ${compatibilityDate} is past workerd's ${newest}`);
  const days = (Date.parse(newest) - Date.parse(compatibilityDate)) / 86_400_000;
  assert.ok(days <= 60, `compatibility_date ${compatibilityDate} is ${days} days older than workerd's ${newest}: move it up`);
});
