#!/usr/bin/env node
// Assembles the Manifest V3 extension in dist/extension/:
//   manifest.json            from extension/manifest.json
//   ext/                     extension/*.js, *.html (not extension/test)
//   web/                     the console UI modules and CSS (not web/test, not the dev page)
//   _locales/                web/_locales (the console's strings, for chrome.i18n; manifest default_locale "en")
//   wasm/wasm_exec.js        Go's loader, copied (no remote code)
//   wasm/wallexkit.wasm      dist/wasm/wallexkit.wasm (build it first)
//   ext/icons/icon-N.png     the extension's icons (16, 32, 48, 128), drawn by scripts/icons.mjs
//   web/lib/vendor/          browser modules from npm packages pinned in package-lock.json
//                            (scripts/vendor.mjs: the QR encoder uqr), bundled here at build time
// The layout keeps the source tree's relative imports (../web/…, ../wasm/…) valid as is. The
// entry points are then bundled in place, each into one file (esbuild, pinned in
// package-lock.json): ext/sw.js and ext/page.js (the popup, side panel, tab and counter), both with
// the core's SHA-256 written in, and ext/options.js, because each module a page or a starting worker
// imports is a file to read before its code runs (measured: the worker's script ready after 25 ms
// with its 16 modules, 12 ms bundled; a popup's first data after 257 ms with its ~40, 148 ms
// bundled; see docs/benchmarks.md). The modules stay beside them, unbundled, for tests that
// import one.
//
// Usage: node scripts/build-extension.mjs [--wasm PATH] [--out DIR]

import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ROOT, wasmExecPath, DEFAULT_WASM } from './lib-paths.mjs';
import { vendor } from './vendor.mjs';
import { writeIcons } from './icons.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? path.resolve(args[i + 1]) : def;
};
const OUT = opt('--out', path.join(ROOT, 'dist', 'extension'));
const WASM = opt('--wasm', DEFAULT_WASM);
const CSP = "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'";

function fail(msg) {
  console.error(`build-extension: ${msg}`);
  process.exit(1);
}

if (!existsSync(WASM)) {
  fail(`${path.relative(ROOT, WASM)} is missing: build it first with\n  ./build.sh build   (or wasm/bridge/build.sh dist/wasm/wallexkit.wasm)`);
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(path.join(OUT, 'ext'), { recursive: true });
mkdirSync(path.join(OUT, 'wasm'), { recursive: true });

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'extension', 'manifest.json'), 'utf8'));
if (manifest.content_security_policy?.extension_pages !== CSP) fail('manifest CSP must be exactly: ' + CSP);
writeFileSync(path.join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

/** @param {string} from @param {string} to @param {(rel: string) => boolean} keep */
function copyTree(from, to, keep) {
  for (const name of readdirSync(from)) {
    const src = path.join(from, name);
    const rel = path.relative(ROOT, src);
    if (!keep(rel)) continue;
    if (statSync(src).isDirectory()) copyTree(src, path.join(to, name), keep);
    else {
      mkdirSync(to, { recursive: true });
      cpSync(src, path.join(to, name));
    }
  }
}
const webOnly = new Set(['web/index.html', 'web/main-local.js', 'web/backend-local.js']);
copyTree(path.join(ROOT, 'extension'), path.join(OUT, 'ext'), (rel) =>
  !rel.startsWith('extension/test') && rel !== 'extension/manifest.json' && /(\.js|\.html|\.css|\.png|\.svg)$|^extension\/[^.]+$/.test(rel));
copyTree(path.join(ROOT, 'web'), path.join(OUT, 'web'), (rel) =>
  !rel.startsWith('web/test') && !webOnly.has(rel) && /(\.js|\.css)$|^web\/[^.]+$/.test(rel));
cpSync(path.join(ROOT, 'web', '_locales'), path.join(OUT, '_locales'), { recursive: true });
try {
  vendor(path.join(OUT, 'web', 'lib', 'vendor'));
} catch (e) {
  fail(/** @type {Error} */ (e).message);
}
writeIcons(path.join(OUT, 'ext', 'icons'));
cpSync(wasmExecPath(), path.join(OUT, 'wasm', 'wasm_exec.js'));
cpSync(WASM, path.join(OUT, 'wasm', 'wallexkit.wasm'));
// The core's identity, which the service worker keeps its copy of the core under in Cache
// Storage (web/host/wasm-loader.js): written into the worker's and the console pages' bundles
// below (extension/core-location.js), so a new build is never served from an old copy.
const coreSha = createHash('sha256').update(readFileSync(WASM)).digest('hex');
const locatesCore = { __CORE_SHA256__: JSON.stringify(coreSha) };
// The entry points as one module each, from the assembled tree (so the worker takes the same
// wasm_exec.js).
try {
  const esbuild = await import('esbuild');
  for (const [entry, what, define] of [
    ['sw.js', 'the service worker', locatesCore],
    ['page.js', 'the console pages (popup, side panel, tab, counter); it includes the npm module uqr (MIT, see web/lib/vendor/uqr.js)', locatesCore],
    ['options.js', 'the options page', {}],
  ]) {
    const file = path.join(OUT, 'ext', /** @type {string} */ (entry));
    await esbuild.build({
      entryPoints: [file], outfile: file, allowOverwrite: true,
      bundle: true, format: 'esm', target: 'chrome120', logLevel: 'error', charset: 'utf8', define: /** @type {any} */ (define),
      banner: { js: `// wallexkit: ${what}, bundled by scripts/build-extension.mjs from extension/${entry} and its imports. Do not edit.` },
    });
  }
} catch (e) {
  fail(`bundling the extension: ${/** @type {Error} */ (e).message}\n(esbuild is pinned in package-lock.json: run npm ci)`);
}

// Self-check: every relative import and every local script/style reference resolves, and
// nothing loads code from the network.
const problems = [];
/** @param {string} dir */
function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}
for (const f of files(OUT)) {
  if (!/\.(js|html)$/.test(f) || f.endsWith('wasm_exec.js')) continue;
  const text = readFileSync(f, 'utf8');
  const refs = [...text.matchAll(/(?:import\s[^'"]*?from\s*|import\s*|src=|href=)['"]([^'"]+)['"]/g)].map((m) => m[1]);
  for (const ref of refs) {
    if (/^(https?:)?\/\//.test(ref)) problems.push(`${path.relative(OUT, f)} references remote ${ref}`);
    else if (ref.startsWith('.') && !existsSync(path.resolve(path.dirname(f), ref))) problems.push(`${path.relative(OUT, f)}: ${ref} does not resolve`);
  }
}
for (const p of [manifest.background.service_worker, manifest.action.default_popup, manifest.side_panel.default_path, manifest.options_page,
  ...Object.values(manifest.icons ?? {}), ...Object.values(manifest.action.default_icon ?? {})]) {
  if (!existsSync(path.join(OUT, p))) problems.push(`manifest points at missing ${p}`);
}
if (problems.length) fail('the assembled extension is broken:\n  ' + problems.join('\n  '));

let bytes = 0;
let count = 0;
for (const f of files(OUT)) {
  bytes += statSync(f).size;
  count++;
}
console.log(`build-extension: ${path.relative(ROOT, OUT) || OUT} — ${count} files, ${(bytes / 1e6).toFixed(1)} MB`);
