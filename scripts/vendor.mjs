#!/usr/bin/env node
// Copies the browser modules the console uses from npm packages (pinned in package-lock.json,
// installed by npm ci) into a folder of the console, so that the extension and the dev page carry
// them as local files (no remote code, no bundler needed: each is one ES module without imports).
//
//   uqr (unjs/uqr): the QR code encoder of the Receive screen and the counter
//
// Usage: node scripts/vendor.mjs DIR      (build-extension.mjs calls vendor() for dist/extension)

import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What is copied: package, its ES module file, the name it gets. */
export const MODULES = [{ pkg: 'uqr', file: 'dist/index.mjs', as: 'uqr.js' }];

/** The version package-lock.json pins for pkg. @param {string} pkg */
function pinned(pkg) {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  return lock.packages?.[`node_modules/${pkg}`]?.version;
}

/** @param {string} dir */
export function vendor(dir) {
  mkdirSync(dir, { recursive: true });
  for (const m of MODULES) {
    const base = path.join(ROOT, 'node_modules', m.pkg);
    if (!existsSync(path.join(base, 'package.json'))) {
      throw new Error(`node_modules/${m.pkg} is missing: run npm ci (the version is pinned in package-lock.json)`);
    }
    const version = JSON.parse(readFileSync(path.join(base, 'package.json'), 'utf8')).version;
    const want = pinned(m.pkg);
    if (!want || version !== want) throw new Error(`node_modules/${m.pkg} is ${version}, package-lock.json pins ${want ?? 'nothing'}: run npm ci`);
    const src = readFileSync(path.join(base, m.file), 'utf8');
    if (/^\s*import\s|\bimport\(|require\(/m.test(src)) throw new Error(`${m.pkg}/${m.file} imports other modules: it cannot be copied as one file`);
    writeFileSync(path.join(dir, m.as), `// ${m.pkg} ${version} (npm, MIT), copied from node_modules/${m.pkg}/${m.file} by scripts/vendor.mjs. Do not edit.\n${src}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/vendor.mjs DIR');
    process.exit(2);
  }
  try {
    vendor(path.resolve(dir));
  } catch (e) {
    console.error(`vendor: ${/** @type {Error} */ (e).message}`);
    process.exit(1);
  }
}
