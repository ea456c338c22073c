// `npm test`: every test/*.test.mjs, one file at a time. `npm test -- test/<file>.test.mjs [...]`:
// only the files given (npm appends its arguments to the script, so a glob in the script would run
// every file as well). Other arguments (--test-name-pattern=..., ...) go to node --test as they are.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const files = args.some((a) => /\.[cm]?js$/.test(a))
  ? []
  : readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => 'test/' + f);
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...args, ...files], { stdio: 'inherit', cwd: dirname(dir) });
process.exit(r.status ?? 1);
