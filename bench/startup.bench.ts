// SPDX-License-Identifier: GPL-2.0-only
/**
 * Start-up cost of the CLI (issue 17 item 4): a report on damo's small test recording
 * (damo-3.3.0-tests-report/damon.data.json_compressed, 70 kB) must finish within 0.05 s of
 * `node -e 0` on the same machine.
 *
 * The cases run in interleaved rounds (node -e 0, then each damo command, then the next
 * round), so a change in the machine's load hits all of them alike; each figure is the
 * median over the rounds, and each overhead is the median of the per-round differences
 * against `node -e 0` of the same round. Wall times include spawning the child.
 *
 * Runs under `npm run bench` (run.ts picks up every *.bench.js) or alone:
 * `node dist/bench/startup.bench.js [rounds]`.
 */
import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { damoFixture } from '../test/fixtures/damo_fixtures.js';
import type { BenchResult } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, '../src/cli/bin.cjs');
const OVERHEAD_TARGET_S = 0.05;
const DEFAULT_ROUNDS = 21;

interface Case {
  name: string;
  argv: string[];
  /** Checked against OVERHEAD_TARGET_S. */
  target: boolean;
}

function cases(): Case[] {
  const small = damoFixture('damo-3.3.0-tests-report/damon.data.json_compressed');
  return [
    { name: 'node -e 0', argv: ['-e', '0'], target: false },
    { name: 'damo --version', argv: [BIN, '--version'], target: false },
    { name: 'damo report wss (small json_compressed)', argv: [BIN, 'report', 'wss', '-i', small], target: true },
    { name: 'damo report raw (small json_compressed)', argv: [BIN, 'report', 'raw', '-i', small], target: true },
    { name: 'damo report nr_regions (small json_compressed)', argv: [BIN, 'report', 'nr_regions', '-i', small], target: true },
  ];
}

let devNull: number | undefined;

function wallS(c: Case): number {
  // A real /dev/null rather than 'ignore': the report writes to stdout and must find it open.
  devNull ??= openSync('/dev/null', 'w');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, c.argv, { stdio: ['ignore', devNull, 'pipe'], encoding: 'utf8' });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}: ${r.stderr}`);
  return s;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface StartupFigures {
  rounds: number;
  /** Per case: median wall time and median per-round overhead over `node -e 0`. */
  cases: Array<{ name: string; medianS: number; overheadS: number; target: boolean }>;
}

export function measure(rounds = DEFAULT_ROUNDS): StartupFigures {
  const list = cases();
  const times = list.map(() => [] as number[]);
  for (const c of list) wallS(c); // warm the page cache and the fixture cache
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < list.length; i++) times[i]!.push(wallS(list[i]!));
  }
  const base = times[0]!;
  return {
    rounds,
    cases: list.map((c, i) => ({
      name: c.name,
      medianS: median(times[i]!),
      overheadS: median(times[i]!.map((t, r) => t - base[r]!)),
      target: c.target,
    })),
  };
}

export async function run(): Promise<BenchResult[]> {
  const f = measure();
  const out: BenchResult[] = [];
  for (const c of f.cases) {
    out.push({ name: `${c.name}: median wall (${f.rounds} interleaved rounds)`, value: c.medianS, unit: 's' });
    if (c.name === 'node -e 0') continue;
    out.push(
      c.target
        ? { name: `${c.name}: over node -e 0`, value: c.overheadS, unit: 's', target: `<= ${OVERHEAD_TARGET_S}`, ok: c.overheadS <= OVERHEAD_TARGET_S }
        : { name: `${c.name}: over node -e 0`, value: c.overheadS, unit: 's' },
    );
  }
  return out;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rounds = process.argv[2] === undefined ? DEFAULT_ROUNDS : Number(process.argv[2]);
  const f = measure(rounds);
  console.log(`start-up, ${f.rounds} interleaved rounds, medians (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  for (const c of f.cases) {
    const over = c.name === 'node -e 0' ? '' : `  +${c.overheadS.toFixed(3)} s over node -e 0${c.target ? (c.overheadS <= OVERHEAD_TARGET_S ? '  ok' : '  MISSED') : ''}`;
    console.log(`${c.name.padEnd(48)} ${c.medianS.toFixed(3)} s${over}`);
  }
}
