// SPDX-License-Identifier: GPL-2.0-only
/**
 * Native engine benchmark (issue 5).
 *
 * 1. Engine cost per region per sample: the monitor thread's CPU time divided by
 *    samples x regions, in virtual time (no sleeping) with 1,000 regions (min = max = 1000).
 *    - "bookkeeping": an empty synthetic pattern, so the primitive does almost nothing and
 *      the figure is the engine's own work (random sampling address, access-rate update,
 *      merge/split/snapshot amortised over the aggregation). Target: < 0.2 us.
 *    - "with synthetic primitive": a 1,000-stripe pattern with random probabilities, so each
 *      check also does a binary search and a random draw.
 * 2. Monitor-thread CPU in real time at the default 5 ms / 100 ms with 1,000 regions
 *    (synthetic primitive), as a share of one CPU.
 * 3. For scale: the same with the clear_refs primitive against a real 64 MiB process (when
 *    the host has clear_refs and a C compiler), where the kernel work per sample dominates.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { nativeCapabilities, openNativeMonitor } from '../src/native/monitor.js';
import { SyntheticPattern } from '../src/native/synthetic_pattern.js';
import type { BenchResult } from './run.js';

const GiB = 2 ** 30;
const SPACE = [{ start: GiB, end: 2 * GiB }];

function stripes(n: number, seed: number): SyntheticPattern {
  let x = seed;
  const rand = (): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const width = Math.floor(GiB / n / 4096) * 4096;
  const entries = [];
  for (let i = 0; i < n; i++) entries.push({ t0Ns: 0, t1Ns: 1e15, start: GiB + i * width, end: GiB + (i + 1) * width, p: rand() < 0.5 ? 0 : rand() });
  return new SyntheticPattern(entries);
}

interface Measured {
  nsPerRegionSample: number;
  avgRegions: number;
  cpuShare: number;
  wallS: number;
}

async function measure(pattern: SyntheticPattern, clock: 'virtual' | 'real', durationUs: number): Promise<Measured> {
  const m = openNativeMonitor({
    ops: 'fvaddr',
    ranges: SPACE,
    primitive: 'synthetic',
    synthetic: pattern,
    nrRegions: { min: 1000, max: 1000 },
    clock,
    durationUs,
    seed: 3,
  });
  let regions = 0;
  let snaps = 0;
  m.start((s) => {
    regions += s.starts.length;
    snaps++;
  });
  const end = await m.done;
  const avgRegions = regions / Math.max(1, snaps);
  return {
    nsPerRegionSample: end.stats.threadCpuNs / (end.stats.nrSamples * avgRegions),
    avgRegions,
    cpuShare: end.stats.threadCpuNs / end.stats.wallNs,
    wallS: end.stats.wallNs / 1e9,
  };
}

async function clearRefsCpu(): Promise<BenchResult[]> {
  if (!nativeCapabilities({ ops: 'vaddr' }).clear_refs.available) return [];
  const dir = mkdtempSync(join(tmpdir(), 'damo-bench-engine-'));
  const exe = join(dir, 'touch_part');
  const src = fileURLToPath(new URL('../../test/native/fixtures/touch_part.c', import.meta.url));
  try {
    execFileSync('cc', ['-O2', '-o', exe, src]);
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return [];
  }
  const child = spawn(exe, ['64', '8'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const m = openNativeMonitor({ pids: [child.pid!], primitive: 'clear_refs', seed: 1 });
    let regions = 0;
    let snaps = 0;
    m.start((s) => {
      regions += s.starts.length;
      snaps++;
    });
    await new Promise((r) => setTimeout(r, 5000));
    await m.stop();
    const end = await m.done;
    const avgRegions = regions / Math.max(1, snaps);
    return [
      { name: 'clear_refs, 64 MiB child, 5 ms/100 ms: monitor thread CPU', value: (100 * end.stats.threadCpuNs) / end.stats.wallNs, unit: '% of a CPU' },
      { name: 'clear_refs, 64 MiB child: wall time per sample', value: end.stats.wallNs / 1e6 / Math.max(1, end.stats.nrSamples), unit: 'ms (5 ms asked)' },
      { name: 'clear_refs, 64 MiB child: regions (average)', value: Math.round(avgRegions), unit: 'regions' },
    ];
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const empty = new SyntheticPattern([]);
  const rich = stripes(1000, 7);
  // Warm up (JIT of the callback, page faults of the region vectors).
  await measure(empty, 'virtual', 2_000_000);

  const book = await measure(empty, 'virtual', 60_000_000);
  const withPrim = await measure(rich, 'virtual', 60_000_000);
  const realTime = await measure(rich, 'real', 10_000_000);
  return [
    { name: 'engine bookkeeping per region per sample (1,000 regions)', value: book.nsPerRegionSample, unit: 'ns', target: '< 200', ok: book.nsPerRegionSample < 200 },
    { name: 'engine + synthetic check per region per sample', value: withPrim.nsPerRegionSample, unit: 'ns' },
    { name: 'regions per snapshot in those runs (average)', value: Math.round(withPrim.avgRegions), unit: 'regions' },
    { name: 'monitor thread CPU, 1,000 regions at 5 ms/100 ms (real time)', value: 100 * realTime.cpuShare, unit: '% of a CPU', target: '< 5', ok: realTime.cpuShare < 0.05 },
    { name: 'real-time run: wall time for 10 s of samples', value: realTime.wallS, unit: 's' },
    ...(await clearRefsCpu()),
  ];
}
