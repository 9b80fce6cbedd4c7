// SPDX-License-Identifier: GPL-2.0-only
// `npm run demo`: records the bundled workload (examples/touch.c: 256 MiB, 32 MiB of it
// rewritten) for a few seconds, draws its heatmap into a PNG and prints its working set.
// `npm run demo` runs scripts/setup-if-needed.mjs first, so this finds everything built.
//
// Options: --out DIR (default: demo/ in the checkout), --seconds N (default 10), and
// --source S, passed to `damo record --source`. Without --source, `damo record` picks the
// best source this machine offers (kernel DAMON when it can monitor virtual addresses and
// it may, else the native engine) unless DAMO_RECORD_SOURCE says otherwise: tests and CI
// set DAMO_RECORD_SOURCE=native.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'demo') },
    seconds: { type: 'string', default: '10' },
    source: { type: 'string' },
  },
});
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const data = join(out, 'damon.data');
const png = join(out, 'heatmap.png');
const BIN = join(root, 'dist/src/cli/bin.cjs');
const WORKLOAD = join(root, 'dist/examples/touch');

function damo(args) {
  console.error(`demo: $ damo ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [BIN, ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`demo: damo ${args[0]} failed (exit ${r.status ?? r.signal}); see its message above`);
    process.exit(1);
  }
}

/** A path as short as it can be said from where the user stands. */
function shown(path) {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

damo(['record', '-o', data, ...(values.source ? ['--source', values.source] : []), '--', WORKLOAD, values.seconds]);
damo(['report', 'heats', '-i', data, '--heatmap', png]);
// damo skips the first 20 snapshots, while DAMON adapts its regions; a demo of a few
// seconds on a busy machine may have fewer. Skipping 3 leaves out the workload's start-up
// (it writes all 256 MiB once) and keeps the rest.
damo(['report', 'wss', '-i', data, '--exclude_samples', '3']);
console.error(`
demo: the recording is ${shown(data)}, its heatmap ${shown(png)}. More:
  npx damo report heats -i ${shown(data)} --heatmap     # the heatmap in the terminal
  npx damo report wss -i ${shown(data)} --exclude_samples 3 --plot   # the working set, charted
  npx damo report raw -i ${shown(data)} | less          # every snapshot`);
