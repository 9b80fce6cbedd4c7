// SPDX-License-Identifier: GPL-2.0-only
/**
 * Schemes benchmark (issue 8): a synthetic recording of 1,000,000 regions (1,000 snapshots
 * of 1,000 regions, DAMON's default max_nr_regions) and
 * - the simulator alone, in process, with a typical set of schemes (pageout with a size
 *   quota and age priority, cold, hugepage, stat): regions per second;
 * - `damo simulate` end to end in a child process (decode + simulate + report), wall time
 *   and peak RSS (target < 3 s and < 200 MB);
 * - `damo schemes tune` with 16 candidates on the same file (one decode, 16 simulators);
 * - online application by the native engine, its TypeScript side: the decision step
 *   (DamosCore) plus grouping, age resets and crediting, per aggregation interval of 1,000
 *   regions, with a process_madvise stand-in that answers at once (the system call's own
 *   cost is the kernel's madvise work, measured in the VM scenario 30-schemes).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { projectRoot } from '../src/core/version.js';
import { syntheticSnapshots, writeSyntheticTrace, type SyntheticTraceSpec } from '../src/format/synthetic.js';
import { NativeSchemesApplier } from '../src/schemes/online_native.js';
import { SchemesSimulator } from '../src/schemes/simulate.js';
import { parseSchemesText } from '../src/schemes/text.js';
import type { BenchResult } from './run.js';

const SPEC: SyntheticTraceSpec = { nrSnapshots: 1000, nrRegionsPerSnapshot: 1000, seed: 11 };
const SCHEMES = [
  '4K max 0 0 2s max pageout quota_sz=64M quota_reset=1s weights=0,3,7',
  'min max 0 5 1s max cold',
  '2M max 80 max 500ms max hugepage',
  'min max min max min max stat',
].join('\n');
const RUNS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function timed(argv: string[]): { wallS: number; maxRssMb: number } {
  const bin = join(projectRoot(), 'dist/src/cli/bin.cjs');
  const useTime = existsSync('/usr/bin/time');
  const cmd = useTime ? '/usr/bin/time' : process.execPath;
  const args = useTime ? ['-f', '%M', process.execPath, bin, ...argv] : [bin, ...argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`damo ${argv.join(' ')} failed: ${r.stderr}`);
  const rssKb = useTime ? Number((r.stderr.trim().split('\n').pop() ?? '0').trim()) : 0;
  return { wallS, maxRssMb: rssKb / 1024 };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const schemes = parseSchemesText(SCHEMES, 'bench');
  const snaps = [...syntheticSnapshots(SPEC)];
  const nrRegions = snaps.reduce((a, s) => a + s.starts.length, 0);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const sim = new SchemesSimulator(schemes, { intervals: { sampleUs: 5000, aggrUs: 100000 }, ops: 'vaddr' });
    for (const s of snaps) sim.step([s]);
    sim.result();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  results.push({ name: 'simulator, 4 schemes, 1M regions (in process)', value: median(times), unit: 's' });
  results.push({ name: 'simulator throughput', value: nrRegions / median(times) / 1e6, unit: 'M regions/s' });

  // Online (native engine): the per-interval work on the JS thread. Schemes without
  // process_madvise-incompatible parts: pageout with quota, cold, stat.
  const online = parseSchemesText(['4K max 0 0 2s max pageout quota_sz=64M quota_reset=1s weights=0,3,7', 'min max 0 5 1s max cold', 'min max min max min max stat'].join('\n'), 'bench');
  const perStep: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let calls = 0;
    const applier = new NativeSchemesApplier({
      schemes: online,
      intervals: { sampleUs: 5000, aggrUs: 100000 },
      ops: 'vaddr',
      pids: [1],
      minRegionSz: 4096,
      actions: {
        openPidfd: () => 3,
        closePidfd: () => undefined,
        probeAdvice: () => null,
        adviseRanges: async (_fd, _action, ranges) => {
          calls++;
          return { bytes: Float64Array.from(ranges, (r) => r.end - r.start), errnos: ranges.map(() => ''), elapsedNs: 0, nrSyscalls: 1 };
        },
      },
      resetAges: () => undefined,
    });
    applier.open();
    const t0 = process.hrtime.bigint();
    for (const s of snaps) applier.onAggregation([s]);
    await applier.drain();
    perStep.push(Number(process.hrtime.bigint() - t0) / 1e3 / snaps.length);
    if (calls === 0) throw new Error('the online bench applied nothing');
  }
  results.push({ name: 'online (native) per aggregation, 1000 regions, 3 schemes', value: median(perStep), unit: 'us', target: '< 5000 (5% of 100 ms)', ok: median(perStep) < 5000 });

  const dir = mkdtempSync(join(tmpdir(), 'damo-bench-schemes-'));
  try {
    const trace = join(dir, 'synthetic.damo');
    await writeSyntheticTrace(trace, SPEC);
    const schemesFile = join(dir, 'bench.damos');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(schemesFile, SCHEMES);
    const sim = [...Array(RUNS)].map(() => timed(['simulate', '-i', trace, '-c', schemesFile]));
    const wall = median(sim.map((r) => r.wallS));
    const rss = Math.max(...sim.map((r) => r.maxRssMb));
    results.push({ name: 'damo simulate, 4 schemes, 1M regions (wall)', value: wall, unit: 's', target: '< 3', ok: wall < 3 });
    if (rss > 0) results.push({ name: 'damo simulate peak RSS', value: rss, unit: 'MB', target: '< 200', ok: rss < 200 });
    const tune = timed(['schemes', 'tune', '-i', trace, '-t', '4K max 0 0|5 500ms..64s*2 max pageout']);
    results.push({ name: 'damo schemes tune, 16 candidates, 1M regions (wall)', value: tune.wallS, unit: 's' });
    if (tune.maxRssMb > 0) results.push({ name: 'damo schemes tune peak RSS', value: tune.maxRssMb, unit: 'MB' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
