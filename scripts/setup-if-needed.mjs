// SPDX-License-Identifier: GPL-2.0-only
// Installs the dependencies and builds, each only when needed, so that `npm run demo` and
// `npm test` work as the first command on a fresh clone and cost nothing afterwards.
//
// - `npm ci` when node_modules has no lockfile record, or package-lock.json is newer.
// - `npm run build` when an output is missing, or a build input (sources, native code,
//   proto, examples, build scripts) changed since the last build finished. `npm run build`
//   ends with `node scripts/setup-if-needed.mjs --stamp`, which records that moment.
// Only Node's own modules are used here: this runs before anything is installed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(root, 'dist/.build-stamp');

if (process.argv.includes('--stamp')) {
  mkdirSync(dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  process.exit(0);
}

const INPUT_DIRS = ['src', 'bench', 'native', 'proto', 'examples'];
const INPUT_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'binding.gyp', 'scripts/build-native.mjs', 'scripts/gen-proto.mjs', 'scripts/gen-man.mjs', 'scripts/build-examples.mjs', 'scripts/bundle-cli.mjs'];
/** Generated into src/ by the build itself. */
const GENERATED = join(root, 'src/format/gen');
const OUTPUTS = ['dist/src/cli/bin.cjs', 'dist/src/cli/damo.pack', 'dist/man/damo.1', 'dist/examples/touch', 'build/Release/damo_native.node', 'build/Release/damo_replay', 'src/format/gen/trace.js'];

function mtimeMs(path) {
  return statSync(path).mtimeMs;
}

/** The newest modification time under `dir` (0 when it does not exist). */
function newestUnder(dir) {
  if (!existsSync(dir) || dir === GENERATED) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path) : mtimeMs(path));
  }
  return newest;
}

function run(what, args) {
  console.error(`setup: ${what}: npm ${args.join(' ')}`);
  const npm = process.env.npm_execpath;
  // Under npm, npm_execpath is npm's own CLI script: run it with this node.
  const [cmd, argv] = npm && npm.endsWith('.js') ? [process.execPath, [npm, ...args]] : ['npm', args];
  try {
    execFileSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  } catch {
    console.error(`setup: npm ${args.join(' ')} failed (see above)`);
    process.exit(1);
  }
}

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules/.package-lock.json');
if (!existsSync(installed) || mtimeMs(lock) > mtimeMs(installed)) run('dependencies missing or out of date', ['ci']);

const missing = OUTPUTS.filter((f) => !existsSync(join(root, f)));
let reason = missing.length > 0 ? `not built yet (${missing.join(', ')} missing)` : null;
if (reason === null) {
  if (!existsSync(STAMP)) reason = 'no record of a finished build';
  else {
    const inputs = Math.max(...INPUT_DIRS.map((d) => newestUnder(join(root, d))), ...INPUT_FILES.map((f) => (existsSync(join(root, f)) ? mtimeMs(join(root, f)) : 0)));
    if (inputs > mtimeMs(STAMP)) reason = 'sources changed since the last build';
  }
}
if (reason !== null) run(reason, ['run', 'build']);
