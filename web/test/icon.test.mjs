// The console page's icon (web/icon.svg, also served for /favicon.ico) is the extension's mark,
// drawn from the same shapes as its PNGs (scripts/icons.mjs): regenerate it with
// `node scripts/icons.mjs --svg` after changing them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { iconSVG } from '../../scripts/icons.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('web/icon.svg is the mark scripts/icons.mjs draws', () => {
  assert.equal(readFileSync(path.join(ROOT, 'web', 'icon.svg'), 'utf8'), iconSVG());
});
