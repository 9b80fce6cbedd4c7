// SPDX-License-Identifier: GPL-2.0-only
/**
 * Replay benchmark (issue 9):
 *  - planner throughput: plan a 1,000,000-region synthetic trace (1,000 snapshots of 1,000
 *    regions) into the binary plan, as `damo replay --plan_out` does;
 *  - accuracy on this host: replay a moving-hot-block synthetic trace and compare the replay
 *    process's resident memory (its areas' Rss in /proc/PID/smaps, sampled each period) and
 *    the bytes it referenced each period (clear_refs + smaps Referenced) with the trace's
 *    working set at percentiles; and the generator's CPU cost.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { writeSyntheticTrace } from '../src/format/synthetic.js';
import { openProtobufTrace } from '../src/format/trace_reader.js';
import { pageSizeBytes } from '../src/core/page_size.js';
import { makePlan, planPeriods, scanTrace, type PlanOptions } from '../src/replay/plan.js';
import { encodePlanPeriod } from '../src/replay/plan_codec.js';
import { ReplayRun } from '../src/replay/runner.js';
import type { BenchResult } from './run.js';

const planOptions: PlanOptions = {
  maxMemoryBytes: 1 << 30,
  timeScale: 1,
  pageSizeBytes: pageSizeBytes(),
  seed: 1,
  nrThreads: 2,
  startDelayNs: 0,
  keepCold: false,
  allowThp: false,
  periodEvents: true,
};

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'damo-bench-replay-'));
  try {
    const results: BenchResult[] = [];

    // Planner throughput.
    const big = join(dir, 'big.data');
    await writeSyntheticTrace(big, { nrSnapshots: 1000, nrRegionsPerSnapshot: 1000, seed: 11 });
    let bestS = Infinity;
    let planBytes = 0;
    for (let pass = 0; pass < 3; pass++) {
      const t0 = performance.now();
      const trace = await openProtobufTrace(big);
      const plan = makePlan(await scanTrace(trace, 0), planOptions);
      planBytes = 0;
      for await (const p of planPeriods(trace, plan)) planBytes += encodePlanPeriod(p).length;
      bestS = Math.min(bestS, (performance.now() - t0) / 1000);
    }
    results.push({ name: 'plan 1M regions (scan + plan + encode)', value: bestS, unit: 's' });
    results.push({ name: 'planner throughput', value: Math.round(1e6 / bestS), unit: 'regions/s' });
    results.push({ name: 'plan size per trace region', value: planBytes / 1e6, unit: 'bytes' });
    results.push({ name: 'trace size per region (for reference)', value: statSync(big).size / 1e6, unit: 'bytes' });

    // Accuracy: 256 MiB space, 16 MiB hot block moving every 2 s, 20 s at the default intervals.
    const synth = join(dir, 'hot.data');
    await writeSyntheticTrace(synth, { nrSnapshots: 200, nrRegionsPerSnapshot: 200, seed: 3, spaceBytes: 256 << 20, hotMoveEvery: 20 });
    const trace = await openProtobufTrace(synth);
    const plan = makePlan(await scanTrace(trace, 0), planOptions);
    const cpu0 = process.cpuUsage();
    const result = await new ReplayRun(trace, plan, { checkRss: true, checkReferenced: true }).run();
    const ownCpu = process.cpuUsage(cpu0);
    const rss = result.rss;
    if (result.outcome !== 'done' || result.stats === null || rss === null) throw new Error(`replay failed: ${result.errorMessage}`);
    for (const row of rss.percentiles) {
      results.push({
        name: `replay rss vs trace wss, p${row.percentile} error`,
        value: Math.abs(row.errorPct ?? Infinity),
        unit: '%',
        target: '<= 10',
        ok: Math.abs(row.errorPct ?? Infinity) <= 10,
      });
    }
    results.push({ name: 'replay rss periods scored (of 200)', value: rss.nrPoints, unit: 'periods' });
    const ref = result.referenced;
    if (ref !== null) {
      results.push({
        name: 'replay referenced bytes vs trace wss, max error p10..p90',
        value: ref.maxAbsErrorPct ?? NaN,
        unit: '%',
        target: '<= 10',
        ok: ref.maxAbsErrorPct !== null && ref.maxAbsErrorPct <= 10,
      });
    }
    results.push({ name: 'replay mean per-period rss error', value: rss.meanAbsPeriodErrorPct ?? NaN, unit: '%' });
    const seconds = result.plannedDurationNs / 1e9;
    results.push({
      name: 'generator cpu (user+sys) per replayed second',
      value: (result.stats.cpuUserUs + result.stats.cpuSysUs) / 1e6 / seconds,
      unit: 'cpu-s/s',
    });
    results.push({ name: 'planner+sampler cpu (node) per replayed second', value: (ownCpu.user + ownCpu.system) / 1e6 / seconds, unit: 'cpu-s/s' });
    results.push({ name: 'generator late slots (of 4,000)', value: result.stats.lateSlots, unit: 'slots' });
    results.push({ name: 'generator max period lag', value: result.stats.maxPeriodLagNs / 1e6, unit: 'ms' });
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
