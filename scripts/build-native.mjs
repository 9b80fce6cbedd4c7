// Builds the native addon with node-gyp against the headers of the node that runs this
// script. Passing --nodedir explicitly keeps node-gyp from trying to download headers,
// which fails on machines without internet access.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const nodeDir = resolve(process.execPath, '../..');
if (!existsSync(join(nodeDir, 'include/node/node_api.h'))) {
  console.error(`build:native: no Node headers under ${nodeDir}/include/node; install the nodejs headers (Debian: libnode-dev or nodejs from nodesource).`);
  process.exit(1);
}
const gyp = join(dirname(require.resolve('node-gyp/package.json')), 'bin/node-gyp.js');
const jobs = process.env.JOBS ?? 'max';
execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodeDir}`, `--jobs=${jobs}`], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});
