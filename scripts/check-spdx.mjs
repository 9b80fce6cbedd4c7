#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
/**
 * Every source file the repository tracks starts with the project's SPDX license line, as
 * the kernel and damo do: `// SPDX-License-Identifier: GPL-2.0-only` (or `#` in shell,
 * gyp and .config files), on the first line or right after a shebang. `npm run lint` and
 * `.ci/run` run this; it lists the files without the line and exits 1.
 *
 * Usage: node scripts/check-spdx.mjs [--fix]   (--fix adds the line where it is missing)
 *
 * Generated code (src/format/gen/, written by scripts/gen-proto.mjs at build time), damo's
 * test data and documents are not checked.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LICENSE = 'GPL-2.0-only';
const TAG = `SPDX-License-Identifier: ${LICENSE}`;

/** How a line comment starts, by file name ending. */
const COMMENT_BY_EXT = {
  '.ts': '//',
  '.mjs': '//',
  '.js': '//',
  '.cc': '//',
  '.h': '//',
  '.c': '//',
  '.proto': '//',
  '.sh': '#',
  '.gyp': '#',
};
/** Tracked files that are not ours to license line by line, or that are data. */
// test/vm/damo-suites/tests/: damo 3.3.0's test scripts, kept byte-identical (GPL-2.0, their own line)
const SKIP_PREFIXES = ['src/format/gen/', 'test/fixtures/damo/', 'test/vm/damo-suites/tests/'];
/** Shell scripts without the .sh ending. */
const EXTRA_SHELL = ['.ci/run'];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fix = process.argv.includes('--fix');

function commentOf(path) {
  if (EXTRA_SHELL.includes(path)) return '#';
  const ext = Object.keys(COMMENT_BY_EXT).find((e) => path.endsWith(e));
  return ext === undefined ? undefined : COMMENT_BY_EXT[ext];
}

const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
const missing = [];
let nrChecked = 0;
for (const path of tracked) {
  if (SKIP_PREFIXES.some((p) => path.startsWith(p))) continue;
  const comment = commentOf(path);
  if (comment === undefined) continue;
  nrChecked++;
  const text = readFileSync(join(root, path), 'utf8');
  const lines = text.split('\n');
  const first = lines[0].startsWith('#!') ? 1 : 0;
  if (lines[first]?.includes(TAG)) continue;
  if (!fix) {
    missing.push(path);
    continue;
  }
  lines.splice(first, 0, `${comment} ${TAG}`);
  writeFileSync(join(root, path), lines.join('\n'));
  missing.push(path);
}

if (fix) {
  console.log(`check-spdx: added the license line to ${missing.length} of ${nrChecked} source files`);
} else if (missing.length > 0) {
  for (const path of missing) console.error(`${path}: no "${TAG}" on its first line (after a shebang)`);
  console.error(`check-spdx: ${missing.length} of ${nrChecked} source files lack the license line; run node scripts/check-spdx.mjs --fix`);
  process.exit(1);
} else {
  console.log(`check-spdx: ${nrChecked} source files, each with the ${LICENSE} license line`);
}
