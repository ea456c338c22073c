// Shared pieces of the browser tests: a real sandbox on a free port, the built extension in
// real Chromium (playwright-core driving /usr/bin/chromium), and helpers to drive the console.

import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { printedURL } from '../../scripts/lib-proc.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_EXT = path.join(ROOT, 'dist', 'extension');
export const SHOTS = path.join(ROOT, 'dist', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const GO = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';

/** Builds the CLI, whose `sandbox` command is the emulator the tests run against (and whose
 * `console` command serves the dev page with the console and the core built in). */
function buildSandbox(dir) {
  const out = path.join(dir, 'wallexkit');
  lastBin = out;
  const env = { ...process.env, CGO_ENABLED: '0' };
  delete env.GOOS;
  delete env.GOARCH;
  execFileSync(GO, ['build', '-o', out, './cmd/wallexkit'], { cwd: ROOT, env, stdio: 'inherit' });
  return { bin: out, args: ['sandbox'] };
}

let lastBin = '';

/**
 * The dev page as 'wallexkit console' serves it (the console embedded in the binary, /api of the
 * same origin passed on to the sandbox). Needs a sandbox started first (it builds the binary).
 * @param {{apiUrl: string}} sb
 */
export async function startDevServer(sb) {
  if (!lastBin || !existsSync(lastBin)) throw new Error('start a sandbox first: it builds the CLI');
  const proc = spawn(lastBin, ['console', '--addr', '127.0.0.1:0', '--api-url', sb.apiUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
  const origin = await printedURL(proc, /Merchant console on (http:\/\/\S+?)\/?\n/, 'wallexkit console');
  return { origin, stop: () => { proc.kill('SIGTERM'); } };
}

/**
 * @typedef {object} Sandbox
 * @property {string} base        http://127.0.0.1:PORT
 * @property {string} apiUrl      base + /api
 * @property {string} pub
 * @property {string} priv
 * @property {string} merchantId
 * @property {(method: string, p: string, body?: unknown) => Promise<any>} admin
 * @property {(pub?: string) => Promise<any>} stats
 * @property {(coin?: string, count?: number) => Promise<string[]>} addresses  fresh addresses in the coin's real format (valid checksums)
 * @property {() => Promise<void>} stop
 */

/** @param {{tokenTtl?: string}} [opts] @returns {Promise<Sandbox>} */
export async function startSandbox(opts = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wk-sbx-'));
  const { bin, args } = buildSandbox(dir);
  const pub = 'pub' + Math.random().toString(16).slice(2, 14);
  const priv = 'PRIV-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  const proc = spawn(bin, [...args, '--addr', '127.0.0.1:0', '--demo-public-key', pub, '--demo-private-key', priv, '--token-ttl', opts.tokenTtl ?? '1h'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const base = (await printedURL(proc, /listening on (http:\/\/\S+)/, 'the sandbox')).replace(/\/api$/, '');
  /** @type {Sandbox['admin']} */
  const admin = async (method, p, body) => {
    const r = await fetch(`${base}/sandbox/${p.replace(/^\//, '')}`, {
      method, headers: body === undefined ? { 'x-wallexkit-sandbox': '1' } : { 'x-wallexkit-sandbox': '1', 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    const json = text ? JSON.parse(text) : null;
    if (!r.ok) throw new Error(`admin ${method} ${p}: HTTP ${r.status} ${text}`);
    return json;
  };
  let demo;
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`sandbox exited: ${log}`);
    try {
      demo = await admin('GET', 'demo');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (!demo) throw new Error(`sandbox did not start: ${log}`);
  return {
    base, apiUrl: `${base}/api`, pub, priv, merchantId: demo.merchant_id, admin,
    stats: (k = pub) => admin('GET', `stats?key=${encodeURIComponent(k)}`),
    addresses: async (coin = 'LTCT', count = 1) => (await admin('GET', `addresses?coin=${encodeURIComponent(coin)}&count=${count}`)).addresses,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => { if (proc.exitCode !== null) r(null); else proc.once('exit', r); setTimeout(r, 3000); });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * @typedef {object} Ext
 * @property {import('playwright-core').BrowserContext} context
 * @property {string} id
 * @property {string} dir
 * @property {() => Promise<import('playwright-core').Worker>} worker   the current service worker
 * @property {(variant?: 'popup'|'sidepanel') => Promise<import('playwright-core').Page>} open
 * @property {(page: import('playwright-core').Page) => Promise<void>} stopWorkers
 * @property {() => Promise<{session: any, local: any, sync: any}>} dumpStorage
 * @property {() => Promise<void>} close
 */

/**
 * Launches Chromium with a copy of dist/extension. The copy adds http://127.0.0.1/* to
 * host_permissions: a headless browser cannot click the permission prompt, so the test grants
 * the loopback origin up front (the shipped manifest keeps it optional). The console still
 * calls chrome.permissions.request on Connect, which then resolves true without a prompt.
 * opts.lang starts Chromium in that UI language (--lang and LANGUAGE), which chrome.i18n follows.
 * @param {{lang?: string}} [opts]
 * @returns {Promise<Ext>}
 */
export async function launchExtension(opts = {}) {
  if (!existsSync(path.join(DIST_EXT, 'manifest.json'))) {
    throw new Error('dist/extension is not built: run `node scripts/build-extension.mjs` (after building dist/wasm/wallexkit.wasm)');
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wk-ext-'));
  const ext = path.join(dir, 'extension');
  cpSync(DIST_EXT, ext, { recursive: true });
  const mf = JSON.parse(readFileSync(path.join(ext, 'manifest.json'), 'utf8'));
  mf.host_permissions = [...mf.host_permissions, 'http://127.0.0.1/*'];
  writeFileSync(path.join(ext, 'manifest.json'), JSON.stringify(mf, null, 2));
  const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: false, // '--headless=new' below: the new headless mode runs extensions
    args: ['--headless=new', '--no-sandbox', `--disable-extensions-except=${ext}`, `--load-extension=${ext}`,
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu',
      ...(opts.lang ? [`--lang=${opts.lang}`] : [])],
    ...(opts.lang ? { env: { ...process.env, LANGUAGE: opts.lang } } : {}),
    viewport: { width: 900, height: 1000 },
  });
  let [sw] = context.serviceWorkers();
  if (!sw) sw = await context.waitForEvent('serviceworker', { timeout: 20_000 });
  const id = new URL(sw.url()).host;
  const worker = async () => {
    const all = context.serviceWorkers().filter((w) => w.url().startsWith(`chrome-extension://${id}/`));
    return all[all.length - 1] ?? context.waitForEvent('serviceworker', { timeout: 20_000 });
  };
  return {
    context, id, dir,
    worker,
    async open(variant = 'popup') {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${id}/ext/${variant}.html`);
      return page;
    },
    async stopWorkers(page) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      await cdp.detach();
    },
    async dumpStorage() {
      // Read through the service worker when one is running; else through an extension page.
      const read = () => Promise.all([chrome.storage.session.get(null), chrome.storage.local.get(null), chrome.storage.sync.get(null)])
        .then(([session, local, sync]) => ({ session, local, sync }));
      try {
        const w = await worker();
        return await w.evaluate(read);
      } catch {
        const p = await context.newPage();
        await p.goto(`chrome-extension://${id}/ext/popup.html`);
        const d = await p.evaluate(read);
        await p.close();
        return d;
      }
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Fills the Connect form through its labels and waits for the Overview.
 * @param {import('playwright-core').Page} page @param {Sandbox} sb
 * @param {{pub?: string, priv?: string, remember?: boolean, passphrase?: string}} [o]
 */
export async function connect(page, sb, o = {}) {
  await page.getByLabel('API URL').fill(sb.apiUrl);
  await page.getByLabel('Public key').fill(o.pub ?? sb.pub);
  await page.getByLabel('Private key').fill(o.priv ?? sb.priv);
  if (o.remember) {
    await page.getByLabel('Remember on this device').check();
    await page.getByLabel('Passphrase').fill(o.passphrase ?? 'correct horse battery');
  }
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.locator('main [data-screen="overview"]').waitFor({ timeout: 30_000 });
}

/** @param {import('playwright-core').Page} page @param {string} name */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** @param {import('playwright-core').Page} page @param {string} id */
export async function go(page, id) {
  await page.evaluate((h) => { location.hash = h; }, `#${id}`);
  await page.locator(`main [data-screen="${id}"]`).waitFor();
}

/**
 * Creates a payment of 12.50 USD in LTCT on the Receive screen; returns its id.
 * @param {import('playwright-core').Page} page @param {string} item
 */
export async function createPayment(page, item) {
  await go(page, 'receive');
  await page.getByLabel('Amount', { exact: true }).fill('12.50');
  await page.waitForFunction(() => [...document.querySelectorAll('select[name="currency2"] option')].some((o) => /** @type {HTMLOptionElement} */ (o).value === 'LTCT'));
  await page.getByLabel('Pricing currency').selectOption('USD');
  await page.getByLabel('Pay currency').selectOption('LTCT');
  await page.getByLabel('Buyer email').fill('buyer@example.com');
  await page.getByLabel('Item').fill(item);
  await page.getByRole('button', { name: 'Create payment' }).click();
  const card = page.locator('section[data-txn]');
  await card.waitFor();
  return /** @type {string} */ (await card.getAttribute('data-txn'));
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/**
 * A one-character typo of a valid address (a character near the end swapped for another of the
 * same alphabet): what a person mistyping it would produce, and what the address checks catch.
 * @param {string} address
 */
export function typo(address) {
  const i = address.length - 3;
  const ch = address[i];
  // Bech32 (tltc1q…, bc1q…) or Base58 (legacy addresses); a Bech32 checksum catches any one changed character
  const alphabet = /^[a-z]+1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]+$/.test(address) ? BECH32 : '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  const next = alphabet[(alphabet.indexOf(ch) + 1) % alphabet.length];
  return address.slice(0, i) + next + address.slice(i + 1);
}

/** Every string value anywhere in v. @param {unknown} v @returns {string[]} */
export function allStrings(v) {
  if (typeof v === 'string') return [v];
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...allStrings(x)]);
  return [];
}

/**
 * Reads CSV text (RFC 4180: quotes, doubled quotes, CRLF or LF) into rows of fields: enough to
 * check a downloaded results file.
 * @param {string} text @returns {string[][]}
 */
export function readCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}
