// SPDX-License-Identifier: GPL-2.0-only
// Builds the native addon and damo_replay with node-gyp against the headers of the node that
// runs this script. Passing --nodedir explicitly keeps node-gyp from trying to download
// headers, which fails on machines without internet access.
//
// `--install` is the package's install script: an installed package (npm install -g
// damo-ts-*.tgz) has no development dependencies, so it builds with the node-gyp that npm
// itself ships (npm passes its path in npm_config_node_gyp). In a source checkout the
// install step does nothing: `npm run build` builds the addon along with the rest.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const installing = process.argv.includes('--install');

if (installing && existsSync(join(root, 'tsconfig.json'))) {
  console.error('build:native: source checkout, skipped at install (npm run build builds the addon)');
  process.exit(0);
}

const nodeDir = resolve(process.execPath, '../..');
if (!existsSync(join(nodeDir, 'include/node/node_api.h'))) {
  console.error(`build:native: no Node headers under ${nodeDir}/include/node; install the nodejs headers (Debian: libnode-dev or nodejs from nodesource).`);
  process.exit(1);
}

function nodeGypScript() {
  try {
    return join(dirname(require.resolve('node-gyp/package.json')), 'bin/node-gyp.js');
  } catch {
    // Not a development install: use npm's own node-gyp.
  }
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  console.error('build:native: node-gyp not found; run this from npm (npm install / npm rebuild damo-ts), or install node-gyp.');
  process.exit(1);
}

const jobs = process.env.JOBS ?? 'max';
try {
  execFileSync(process.execPath, [nodeGypScript(), 'rebuild', `--nodedir=${nodeDir}`, `--jobs=${jobs}`], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
} catch {
  console.error('build:native: building the native addon failed (it needs g++, make and python3; see the messages above).');
  process.exit(1);
}
