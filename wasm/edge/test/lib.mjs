// Test harness for the edge gateway: builds it (wasm/edge/build.sh) and the CLI, starts a real
// sandbox (`wallexkit sandbox`) and the gateway in real workerd (Miniflare), and collects every
// answer and log line so that tests can check that no secret ever shows up.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHmac, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { Miniflare, Log, LogLevel } from 'miniflare';
import { printedURL } from '../../../scripts/lib-proc.mjs';

export const edgeDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = join(edgeDir, '..', '..');
export const buildDir = join(edgeDir, 'build');

process.env.WRANGLER_SEND_METRICS = 'false';

/** The glue modules build.sh copies next to app.wasm: the entry and one module per Durable Object class. */
export const glueModules = ['worker.mjs', 'keys.mjs', 'ledger.mjs', 'limiter.mjs'];

/** The Worker's modules in build/ (dir), as Miniflare takes them. */
export function edgeModules(dir) {
  return [
    ...glueModules.map((m) => ({ type: 'ESModule', path: join(dir, m) })),
    { type: 'ESModule', path: join(dir, 'wasm_exec.js') },
    { type: 'CompiledWasm', path: join(dir, 'app.wasm') },
  ];
}

/**
 * The Durable Object bindings (wrangler.jsonc): one class per role. With scriptName, bound to the
 * classes of that worker (another isolate sharing the same objects).
 */
export function edgeDurableObjects(scriptName) {
  const classes = { KEY_STATE: 'KeyState', LEDGER: 'Ledger', LIMITER: 'Limiter' };
  if (!scriptName) return classes;
  return Object.fromEntries(Object.entries(classes).map(([b, className]) => [b, { className, scriptName }]));
}

let built = false;
/**
 * Builds the Worker (build.sh, which builds only when a source changed: the same check wrangler's
 * build.command relies on), once per test process.
 */
export function buildEdge() {
  if (!built) {
    execFileSync('bash', [join(edgeDir, 'build.sh')], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    built = true;
  }
  return buildDir;
}

/** The compatibility_date of wrangler.jsonc, which every Worker in the tests uses too. */
export const compatibilityDate = /"compatibility_date":\s*"(\d{4}-\d\d-\d\d)"/.exec(readFileSync(join(edgeDir, 'wrangler.jsonc'), 'utf8'))[1];

let cliPath;
/** Builds cmd/wallexkit into a temp dir once per process. */
export function buildCLI() {
  if (!cliPath) {
    const dir = mkdtempSync(join(tmpdir(), 'wallexkit-edge-cli-'));
    cliPath = join(dir, 'wallexkit');
    execFileSync('go', ['build', '-o', cliPath, './cmd/wallexkit'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return cliPath;
}

export const rnd = (n = 12) => randomBytes(n).toString('hex');

/** Starts `wallexkit sandbox` on a free loopback port with fixed demo keys. */
export async function startSandbox({ tokenTTL } = {}) {
  const bin = buildCLI();
  const publicKey = 'edgepub' + rnd(12);
  const privateKey = 'edgepriv' + rnd(20);
  const args = ['sandbox', '--addr', '127.0.0.1:0', '--demo-public-key', publicKey, '--demo-private-key', privateKey];
  if (tokenTTL) args.push('--token-ttl', tokenTTL);
  const proc = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const apiUrl = await printedURL(proc, /listening on (http:\/\/\S+)/, 'the sandbox');
  const adminUrl = apiUrl.replace(/\/api$/, '/sandbox');
  const admin = async (method, path, body) => {
    const res = await fetch(adminUrl + path, {
      method,
      headers: body === undefined ? { 'x-wallexkit-sandbox': '1' } : { 'x-wallexkit-sandbox': '1', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`sandbox ${method} ${path}: HTTP ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const demo = await admin('GET', '/demo');
  return {
    apiUrl, adminUrl, admin, publicKey, privateKey, merchantId: demo.merchant_id,
    stats: () => admin('GET', '/stats?key=' + encodeURIComponent(publicKey)),
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    },
  };
}

/** A local HTTP receiver for forwarded events. `fail` answers 500 to the first N requests. */
export async function startReceiver({ fail = 0 } = {}) {
  const received = [];
  let failures = fail;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body, at: Date.now(), answered: failures > 0 ? 500 : 200 });
      if (failures > 0) {
        failures--;
        res.writeHead(500).end('try later');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks/wallex`,
    received,
    close: () => new Promise((r) => server.close(r)),
  };
}

let verifierPath;
/** Builds the Go forward verifier (test/verifyforward: gateway.VerifyForward) once per process. */
function buildVerifier() {
  if (!verifierPath) {
    const dir = mkdtempSync(join(tmpdir(), 'wallexkit-edge-verify-'));
    verifierPath = join(dir, 'verifyforward');
    execFileSync('go', ['build', '-o', verifierPath, './wasm/edge/test/verifyforward'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return verifierPath;
}

/**
 * Verifies a forwarded request as a merchant's receiver would, with the Go rule
 * (gateway.VerifyForward: HMAC-SHA256 over timestamp + "." + raw body, constant-time compare,
 * timestamp within 5 minutes of `now`, unix seconds, default the real clock).
 */
export function verifyForward(secret, rec, now) {
  const args = [];
  if (now !== undefined) args.push('-now', String(now));
  args.push(rec.headers['x-wallexkit-timestamp'] ?? '', rec.headers['x-wallexkit-signature'] ?? '');
  try {
    execFileSync(buildVerifier(), args, { input: rec.body, env: { ...process.env, FORWARD_SECRET: secret }, stdio: ['pipe', 'ignore', 'ignore'] });
    return true;
  } catch (e) {
    if (e.status === 1) return false;
    throw e;
  }
}

/** Signs an IPN body as Wallex does (HMAC-SHA512, hex). */
export function signIPN(secret, body) {
  return createHmac('sha512', secret).update(body).digest('hex');
}

/** Waits until fn returns a truthy value (polling), or fails after ms. */
export async function eventually(fn, ms = 10000, what = 'condition') {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts the gateway in Miniflare against a sandbox. vars override the defaults. Returns the
 * gateway's URL, a `request` helper that records every answer, the captured worker logs, and
 * the secrets to look for.
 */
export async function startGateway(sb, { vars = {}, prices = {}, extraWorkers = [], inspectorPort, persist, secrets: keep, dir: builtDir } = {}) {
  // dir: another build of the Worker (the benchmark's --before), else this tree's, built now.
  const dir = builtDir ?? buildEdge();
  // persist: a directory for Durable Object and KV storage, so that a gateway started again on it
  // (with the same secrets: pass the first one's `secrets`) finds its state, as after a restart.
  const secrets = keep ?? {
    WALLEX_PUBLIC_KEY: sb.publicKey,
    WALLEX_PRIVATE_KEY: sb.privateKey,
    WALLEX_MERCHANT_ID: sb.merchantId,
    WALLEX_IPN_SECRET: 'ipnsecret-' + rnd(16),
    GATEWAY_TOKENS: `tok-a-${rnd(16)}, tok-b-${rnd(16)}`,
    FORWARD_SECRET: 'fwdsecret-' + rnd(16),
    CHECKOUT_SIGNING_SECRET: 'checkoutsecret-' + rnd(16),
  };
  const bindings = {
    WALLEX_API_URL: sb.apiUrl,
    ALLOWED_ORIGINS: 'https://shop.example, https://other-shop.example',
    FORWARD_URL: '',
    PUBLIC_URL: '',
    // WALLEX_NONCE unset: the gateway's default (nonces on).
    ALLOW_MONEY: '0',
    CHECKOUT_RATE_LIMIT: '10',
    FORWARD_RETRY_BASE_MS: '100',
    FORWARD_MAX_ATTEMPTS: '4',
    ...secrets,
    ...vars,
  };
  let logs = '';
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    log: new Log(LogLevel.WARN),
    cf: false,
    inspectorPort,
    ...(persist ? { durableObjectsPersist: join(persist, 'do'), kvPersist: join(persist, 'kv') } : {}),
    handleRuntimeStdio(stdout, stderr) {
      stdout.on('data', (d) => (logs += d));
      stderr.on('data', (d) => (logs += d));
    },
    workers: [
      {
        name: 'edge',
        modulesRoot: dir,
        modules: edgeModules(dir),
        compatibilityDate,
        durableObjects: edgeDurableObjects(),
        kvNamespaces: ['PRICES'],
        bindings,
      },
      ...extraWorkers.map((w) => w(dir, bindings)),
    ],
  });
  const url = (await mf.ready).toString().replace(/\/$/, '');
  const kv = await mf.getKVNamespace('PRICES', 'edge');
  for (const [sku, p] of Object.entries(prices)) await kv.put('price:' + sku, typeof p === 'string' ? p : JSON.stringify(p));
  const answers = [];
  /** Sends a request to the gateway over HTTP; returns {status, headers, text, json}. */
  const request = async (method, path, { body, headers = {}, token, origin, base = url, worker } = {}) => {
    const h = { ...headers };
    if (token) h.authorization = 'Bearer ' + token;
    if (origin) h.origin = origin;
    let payload = body;
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      payload = JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = worker
      ? await (await mf.getWorker(worker)).fetch(base + path, { method, headers: h, body: payload })
      : await fetch(base + path, { method, headers: h, body: payload });
    const text = await res.text();
    const out = { status: res.status, headers: Object.fromEntries(res.headers), text };
    try {
      out.json = JSON.parse(text);
    } catch {}
    answers.push(JSON.stringify(out));
    return out;
  };
  const tokens = secrets.GATEWAY_TOKENS.split(',').map((s) => s.trim());
  /** The API bearer token the gateway holds for its key (from the key's Durable Object). */
  const upstreamToken = async () => {
    const ns = await mf.getDurableObjectNamespace('KEY_STATE', 'edge');
    const t = await ns.get(ns.idFromName('key:' + sb.apiUrl.replace(/\/+$/, '') + '|' + sb.publicKey)).loadToken(0);
    return t ? t.access_token : null;
  };
  /** Names the first secret (or the API bearer token) found in any answer or log line so far. */
  const leakedSecret = async () => {
    const tok = await upstreamToken().catch(() => null);
    const all = { ...secrets, WALLEX_MERCHANT_ID: undefined };
    if (tok) all.API_BEARER_TOKEN = tok.replace(/^Bearer /, '');
    return findSecret(answers.join('\n') + '\n' + logs, all);
  };
  return {
    mf, url, kv, request, answers, secrets, tokens, bindings, upstreamToken, leakedSecret,
    logs: () => logs,
    /** Every answer and log line so far, for secret scans. */
    transcript: () => answers.join('\n') + '\n' + logs,
    stop: () => mf.dispose(),
  };
}

/** Fails with the first secret found in text. */
export function findSecret(text, secrets) {
  for (const [name, value] of Object.entries(secrets)) {
    for (const v of String(value).split(',').map((s) => s.trim()).filter((s) => s.length >= 6)) {
      if (text.includes(v)) return name;
    }
  }
  return null;
}

/**
 * A direct API client on a second key of the account, to count what the sandbox recorded:
 * withdrawals by note, payments by invoice.
 */
export async function historyCounter(sb) {
  const key = await sb.admin('POST', `/accounts/${sb.merchantId}/keys`, {});
  const post = async (cmd, fields, token) => {
    const res = await fetch(sb.apiUrl + '/' + cmd, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(token ? { authorization: token } : {}) },
      body: new URLSearchParams({ version: '1', cmd, ...fields }).toString(),
    });
    return res.json();
  };
  const login = await post('login', { publickey: key.public_key, privatekey: key.private_key });
  const token = login.result.access_token;
  const call = async (cmd, fields = {}) => {
    const r = await post(cmd, { key: key.public_key, ...fields }, token);
    assert.equal(r.error, 'ok', `${cmd}: ${JSON.stringify(r)}`);
    return r.result;
  };
  return {
    async withdrawals(note) {
      return (await call('get_withdrawal_history', { limit: '100' })).filter((w) => w.note === note).length;
    },
    async payments(invoice) {
      let n = 0;
      for (const id of await call('get_tx_ids', { limit: '100' })) {
        const info = await call('get_tx_info', { txid: id, full: '1' });
        if (info.checkout?.invoice === invoice) n++;
      }
      return n;
    },
  };
}
