// SPDX-License-Identifier: GPL-2.0-only
// Builds the workloads under examples/ (the README's quick start and `npm run demo` record
// them) into dist/examples/, with the system C compiler ($CC, default cc).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/examples');
mkdirSync(out, { recursive: true });
const cc = process.env.CC || 'cc';
for (const file of readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.c'))) {
  const exe = join(out, file.slice(0, -2));
  try {
    execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-o', exe, join(root, 'examples', file)], { stdio: 'inherit' });
  } catch {
    console.error(`build:examples: compiling examples/${file} with ${cc} failed (see above; set CC to another C compiler)`);
    process.exit(1);
  }
}
console.error(`build:examples: built ${out}`);
