#!/usr/bin/env node
// Prints the fault-matrix results the test suites wrote (dist/reliability/{cli,console,gateway}.json)
// as the Markdown tables of docs/reliability.md: one row per path and fault, nonces on and off,
// payments intended and recorded by the sandbox, and whether every cell matched.
//
// Usage: node scripts/reliability-report.mjs > docs/reliability-tables.md

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib-paths.mjs';

const DIR = path.join(ROOT, 'dist', 'reliability');
const suites = [['cli', 'CLI (real processes: cmd/wallexkit/matrix_unix_test.go)'], ['console', 'Console and extension (Chromium: extension/test/matrix-*.test.mjs)'], ['gateway', 'Edge gateway (workerd: wasm/edge/test/matrix.test.mjs)']];
let total = 0;
let bad = 0;
const out = [];
for (const [name, title] of suites) {
  const file = path.join(DIR, `${name}.json`);
  out.push(`### ${title}`, '');
  if (!existsSync(file)) {
    out.push(`(not run: ${path.relative(ROOT, file)} is missing)`, '');
    continue;
  }
  /** @type {{path: string, fault: string, nonces?: boolean, intended: number, recorded: number, refused?: boolean}[]} */
  const data = JSON.parse(readFileSync(file, 'utf8'));
  const cells = Array.isArray(data) ? data : data.cells; // the gateway's file wraps its cells with the run's settings
  out.push('| path | fault | nonces | intended | recorded | |', '|---|---|---|---|---|---|');
  for (const c of [...cells].sort((a, b) => a.path.localeCompare(b.path) || a.fault.localeCompare(b.fault) || Number(b.nonces) - Number(a.nonces))) {
    const ok = c.intended === c.recorded;
    total++;
    if (!ok) bad++;
    const nonces = c.nonces === undefined ? '—' : c.nonces ? 'on' : 'off';
    out.push(`| ${c.path} | ${c.fault}${c.refused ? ' (refused before sending)' : ''} | ${nonces} | ${c.intended} | ${c.recorded} | ${ok ? 'exact' : '**MISMATCH**'} |`);
  }
  const intended = cells.reduce((s, c) => s + c.intended, 0);
  const recorded = cells.reduce((s, c) => s + c.recorded, 0);
  out.push('', `${cells.length} cells; ${intended} payments intended, ${recorded} recorded.`, '');
}
out.unshift(`${total} cells in all, ${bad} with a different count.`, '');
console.log(out.join('\n'));
process.exitCode = bad ? 1 : 0;
