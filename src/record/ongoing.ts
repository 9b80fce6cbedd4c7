// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo record ongoing`: record a kdamond that already runs, whoever started it. Nothing
 * of the kdamond is written: its configuration is read from DAMON sysfs (for the trace
 * header), and its damon:damon_aggregated events are read through a tracefs instance of
 * our own, limited to its pid. The recording ends when the kdamond stops, at --timeout, or
 * on Ctrl-C; the kdamond keeps running.
 */
import { DamoError } from '../core/errors.js';
import type { DamonOps, Intervals, IntervalsGoal, NrRegionsRange } from '../core/model.js';
import { readDamonStatus } from './kdamond/damon_status.js';
import { readTrim, type KernelFs } from './kfs.js';

export interface OngoingKdamond {
  index: number;
  pid: number;
  ops: DamonOps;
  intervals: Intervals;
  /** Its intervals auto-tuning goal, when one is set (aggrs not 0, as damo's `enabled()`). */
  intervalsGoal?: IntervalsGoal;
  nrRegions: NrRegionsRange;
  /** Context 0's targets: pids (null for paddr) and fixed regions. */
  targets: Array<{ pid: number | null; regions: Array<[number, number]> }>;
  /** Other running kdamonds, which are not recorded. */
  othersRunning: number[];
}

const OPS: readonly string[] = ['vaddr', 'fvaddr', 'paddr'];

/** The first running kdamond under `sysfsRoot`, read only. */
export function findOngoingKdamond(kfs: KernelFs, sysfsRoot: string): OngoingKdamond {
  const status = readDamonStatus(kfs, sysfsRoot);
  const running = status.map((k, i) => ({ k, i })).filter(({ k }) => k.state === 'on');
  const first = running[0];
  if (first === undefined) {
    throw new DamoError('E_TARGET', `no kdamond is running under ${sysfsRoot} (${status.length} configured), so there is nothing ongoing to record`, {
      hint: "start one with 'damo start', or record a command, pid or paddr",
    });
  }
  const ctx = first.k.contexts[0];
  if (ctx === undefined) throw new DamoError('E_TARGET', `kdamond ${first.i} runs without a context`);
  if (!OPS.includes(ctx.ops)) throw new DamoError('E_UNSUPPORTED', `kdamond ${first.i} monitors with operations '${ctx.ops}', which damo-ts does not know`);
  const pidText = readTrim(kfs, `${sysfsRoot}/kdamonds/${first.i}/pid`) ?? '';
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new DamoError('E_TARGET', `kdamond ${first.i} is on but its pid reads '${pidText}'`);
  const goal = ctx.intervalsGoal;
  return {
    ...(goal.aggrs !== 0 ? { intervalsGoal: { accessBp: goal.accessBp, aggrs: goal.aggrs, minSampleUs: goal.minSampleUs, maxSampleUs: goal.maxSampleUs } } : {}),
    index: first.i,
    pid,
    ops: ctx.ops as DamonOps,
    intervals: { sampleUs: ctx.intervals.sampleUs, aggrUs: ctx.intervals.aggrUs, opsUpdateUs: ctx.intervals.opsUpdateUs },
    nrRegions: { min: ctx.nrRegions.min, max: ctx.nrRegions.max },
    targets: ctx.targets.map((t) => ({ pid: ctx.ops === 'paddr' ? null : t.pid, regions: t.regions.map((r): [number, number] => [r.start, r.end]) })),
    othersRunning: running.slice(1).map(({ i }) => i),
  };
}

/** Still the same kdamond: on, with the pid it had when the recording started. */
export function ongoingStillRuns(kfs: KernelFs, sysfsRoot: string, k: OngoingKdamond): boolean {
  return readTrim(kfs, `${sysfsRoot}/kdamonds/${k.index}/state`) === 'on' && readTrim(kfs, `${sysfsRoot}/kdamonds/${k.index}/pid`) === String(k.pid);
}
