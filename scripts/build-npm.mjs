#!/usr/bin/env node
// Assembles the npm package @wallexkit/core in dist/npm/package/ and packs it into
// dist/npm/wallexkit-core-VERSION.tgz:
//   package.json     wasm/npm/package.template.json with core.Version (core/version.go)
//   index.js/.d.ts   wasm/npm (the loader: createClient, WallexError, verifyIpn, ...)
//   core.d.ts        wasm/bridge/wallexkit.d.ts, with codes.gen.d.ts (generated from Go)
//   wasm_exec.mjs    Go's wasm_exec.js of the Go that built the core, as a module that leaves
//                    no globalThis.Go behind
//   wallexkit.wasm   dist/wasm/wallexkit.wasm (build it first)
//
// Usage: node scripts/build-npm.mjs [--wasm PATH] [--no-pack]

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, wasmExecPath, DEFAULT_WASM } from './lib-paths.mjs';

const args = process.argv.slice(2);
const i = args.indexOf('--wasm');
const WASM = i >= 0 ? path.resolve(args[i + 1]) : DEFAULT_WASM;
const OUT = path.join(ROOT, 'dist', 'npm', 'package');

function fail(msg) {
  console.error(`build-npm: ${msg}`);
  process.exit(1);
}
if (!existsSync(WASM)) fail(`${WASM} is missing: run ./build.sh build first`);
const version = /const Version = "([^"]+)"/.exec(readFileSync(path.join(ROOT, 'core', 'version.go'), 'utf8'))?.[1];
if (!version) fail('cannot read core.Version from core/version.go');

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const src = (...p) => path.join(ROOT, ...p);
writeFileSync(path.join(OUT, 'package.json'), readFileSync(src('wasm', 'npm', 'package.template.json'), 'utf8').replace('"VERSION"', JSON.stringify(version)));
for (const f of ['index.js', 'index.d.ts', 'README.md']) copyFileSync(src('wasm', 'npm', f), path.join(OUT, f));
copyFileSync(src('LICENSE'), path.join(OUT, 'LICENSE'));
copyFileSync(src('wasm', 'bridge', 'wallexkit.d.ts'), path.join(OUT, 'core.d.ts'));
copyFileSync(src('wasm', 'bridge', 'codes.gen.d.ts'), path.join(OUT, 'codes.gen.d.ts'));
copyFileSync(WASM, path.join(OUT, 'wallexkit.wasm'));
const exec = readFileSync(wasmExecPath(), 'utf8');
if (!exec.includes('globalThis.Go = class')) fail(`${wasmExecPath()} does not define globalThis.Go as expected`);
writeFileSync(path.join(OUT, 'wasm_exec.mjs'), [
  "// Go's wasm_exec.js from the Go that built wallexkit.wasm (they must match), as a module: it",
  '// defines globalThis.Go only while it runs, and restores whatever was there.',
  'const previous = globalThis.Go;',
  exec,
  'const Go = globalThis.Go;',
  'if (previous === undefined) delete globalThis.Go;',
  'else globalThis.Go = previous;',
  'export { Go };',
  '',
].join('\n'));

if (!args.includes('--no-pack')) {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', path.dirname(OUT)], { cwd: OUT, encoding: 'utf8' }).trim();
  console.log(path.join(path.dirname(OUT), out.split('\n').pop()));
}
