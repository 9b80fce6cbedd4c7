// SPDX-License-Identifier: GPL-2.0-only
// Builds the C++ unit tests of the native engine (native/tests/*.cc) with g++ into
// build/native-tests/. They use no N-API, so they link only the engine and access sources.
// test/native/engine-cc.test.ts runs this script and then the binaries, so `npx vitest run`
// covers the C++ tests too. Usage: node scripts/build-native-tests.mjs [--out DIR]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outIdx = process.argv.indexOf('--out');
const outDir = outIdx > 0 ? process.argv[outIdx + 1] : join(root, 'build/native-tests');
mkdirSync(outDir, { recursive: true });

const sources = (dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.cc'))
    .map((f) => join(root, dir, f));
const libSources = [...sources('native/engine'), ...sources('native/access'), ...sources('native/actions')];
const cxx = process.env.CXX ?? 'g++';
const flags = ['-std=c++17', '-O2', '-g', '-Wall', '-Wextra', '-Werror', '-pthread', `-I${join(root, 'native')}`];

for (const test of sources('native/tests')) {
  const name = test.replace(/^.*\//, '').replace(/\.cc$/, '');
  const out = join(outDir, name);
  const deps = [test, ...['native/engine', 'native/access', 'native/actions'].flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f)))];
  const newest = Math.max(...deps.map((f) => statSync(f).mtimeMs));
  let upToDate;
  try {
    upToDate = statSync(out).mtimeMs > newest;
  } catch {
    upToDate = false;
  }
  if (upToDate) continue;
  execFileSync(cxx, [...flags, '-o', out, test, ...libSources], { stdio: ['ignore', 'inherit', 'inherit'] });
  console.log(`built ${out}`);
}
