// Shared helpers for the node tests of the wasm bridge: build and load the bridge, and talk to
// the sandbox's admin endpoints. The sandbox is started by run-go-wasm-tests.sh.
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The sandbox the harness started; throws (fails the test) when the harness did not run. */
export function sandboxEnv() {
  const e = {
    apiUrl: process.env.WALLEX_TEST_API_URL,
    adminUrl: (process.env.WALLEX_TEST_ADMIN_URL || '').replace(/\/+$/, ''),
    publicKey: process.env.WALLEX_TEST_PUBLIC_KEY,
    privateKey: process.env.WALLEX_TEST_PRIVATE_KEY,
  };
  if (!e.apiUrl || !e.adminUrl || !e.publicKey || !e.privateKey) {
    throw new Error('WALLEX_TEST_API_URL, WALLEX_TEST_ADMIN_URL, WALLEX_TEST_PUBLIC_KEY and WALLEX_TEST_PRIVATE_KEY ' +
      'must be set: run wasm/test/run-go-wasm-tests.sh, which starts a local sandbox');
  }
  return e;
}

export function goroot() {
  return process.env.GOROOT || execFileSync('go', ['env', 'GOROOT'], { encoding: 'utf8' }).trim();
}

/** Builds the bridge exactly as the release does, into a temp dir; returns the path. */
export function buildBridge() {
  const out = join(mkdtempSync(join(tmpdir(), 'wallexkit-wasm-')), 'wallexkit.wasm');
  execFileSync('bash', ['wasm/bridge/build.sh', out], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  return out;
}

/** The built bridge: $WALLEX_WASM when the harness built it already, else a fresh build. */
export function bridgePath() {
  return process.env.WALLEX_WASM || buildBridge();
}

/** Loads the bridge into this process and returns globalThis.wallexkit. */
export async function loadBridge() {
  createRequire(import.meta.url)(join(goroot(), 'lib', 'wasm', 'wasm_exec.js'));
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(readFileSync(bridgePath()), go.importObject);
  go.run(instance); // runs main until it blocks; wallexkit is installed by then
  if (!globalThis.wallexkit) throw new Error('the bridge did not install globalThis.wallexkit');
  return globalThis.wallexkit;
}

/** Calls a sandbox admin endpoint; returns the parsed JSON answer. */
export async function admin(method, path, body) {
  const { adminUrl } = sandboxEnv();
  const res = await fetch(adminUrl + path, {
    method,
    headers: body === undefined ? { 'x-wallexkit-sandbox': '1' } : { 'x-wallexkit-sandbox': '1', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`admin ${method} ${path}: HTTP ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Creates a fresh merchant account with one API key (all commands, or the given ones), so that
 * a test's stats, faults and nonce state are its own. */
export async function newKey(permissions) {
  const username = `wasm-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const acct = await admin('POST', '/accounts', { username, email: `${username}@example.com` });
  const k = await admin('POST', `/accounts/${acct.merchant_id}/keys`, permissions ? { permissions } : {});
  return { publicKey: k.public_key, privateKey: k.private_key, merchantId: acct.merchant_id };
}

export const stats = (publicKey) => admin('GET', `/stats?key=${encodeURIComponent(publicKey)}`);

/** A StorageAdapter over Maps that records every call (token values are not recorded). */
export function recordingStorage() {
  const tokens = new Map();
  const nonces = new Map();
  const calls = [];
  return {
    tokens, nonces, calls,
    async getToken(key) { calls.push(['getToken', key]); return tokens.get(key) ?? null; },
    async setToken(key, token) { calls.push(['setToken', key]); tokens.set(key, { ...token }); },
    async deleteToken(key) { calls.push(['deleteToken', key]); tokens.delete(key); },
    async getNonce(key) { calls.push(['getNonce', key]); return nonces.get(key) ?? 0; },
    async setNonce(key, n) {
      calls.push(['setNonce', key, n]);
      if (n > (nonces.get(key) ?? 0)) nonces.set(key, n);
    },
  };
}

/** Awaits a promise that must reject; returns the rejection reason. */
export async function rejection(p) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to reject, it resolved');
}
