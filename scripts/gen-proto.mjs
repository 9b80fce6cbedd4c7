// SPDX-License-Identifier: GPL-2.0-only
// Generates the static protobuf code for proto/trace.proto into src/format/gen/.
// Runs pbjs through node directly so it works without a shell-specific PATH.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const cliDir = dirname(require.resolve('protobufjs-cli/package.json'));
const outDir = join(root, 'src/format/gen');
mkdirSync(outDir, { recursive: true });
execFileSync(process.execPath, [
  join(cliDir, 'bin/pbjs'),
  '-t', 'static-module', '-w', 'es6', '--force-number', '--no-verify', '--no-convert', '--no-delimited',
  '-d',
  '-o', join(outDir, 'trace.js'),
  join(root, 'proto/trace.proto'),
], { stdio: 'inherit' });
console.error('gen:proto: wrote src/format/gen/trace.js and trace.d.ts');
