// SPDX-License-Identifier: GPL-2.0-only
/**
 * DAMON's monitoring intervals auto-tuning goal in sysfs: the directory
 * `contexts/<c>/monitoring_attrs/intervals/intervals_goal/` with `access_bp`, `aggrs`,
 * `min_sample_us` and `max_sample_us`, added in Linux 6.15 (older kernels lack it).
 *
 * Written as damo 3.3.0 writes it: whenever a context has the directory, the context's goal
 * (all zeros, DAMON's "no auto-tuning", when none was asked for), and nothing where it is
 * missing. A goal that asks for auto-tuning (aggrs > 0; with aggrs 0 DAMON ignores the other
 * three) cannot run on a kernel without the directory, so it is refused before any
 * parameter is written, rather than leaving a kdamond with fixed intervals.
 */
import { join } from 'node:path';

import { DamoError, usageError } from '../core/errors.js';
import { formatBp, formatTimeUs } from '../core/fmt.js';
import type { IntervalsGoal } from '../core/model.js';
import { readTrim, type KernelFs } from './kfs.js';
import type { SourceChoice } from './source_names.js';

export const INTERVALS_GOAL_FEATURE = 'monitoring intervals auto-tuning (the intervals_goal directory of DAMON sysfs, Linux 6.15+)';

/** The goal directory of the context at `ctxDir`. */
export function intervalsGoalDir(ctxDir: string): string {
  return `${ctxDir}/monitoring_attrs/intervals/intervals_goal`;
}

/** The goal's files and values, in the order damo writes them. */
export function intervalsGoalFiles(ctxDir: string, goal: IntervalsGoal): Array<[path: string, value: number]> {
  const dir = intervalsGoalDir(ctxDir);
  return [
    [`${dir}/access_bp`, goal.accessBp],
    [`${dir}/aggrs`, goal.aggrs],
    [`${dir}/min_sample_us`, goal.minSampleUs],
    [`${dir}/max_sample_us`, goal.maxSampleUs],
  ];
}

/** The goal a context's files hold, or undefined where the kernel has none (before 6.15). */
export function readIntervalsGoal(kfs: KernelFs, ctxDir: string): IntervalsGoal | undefined {
  const dir = intervalsGoalDir(ctxDir);
  if (!kfs.isDir(dir)) return undefined;
  const n = (f: string): number => Number(readTrim(kfs, `${dir}/${f}`) ?? '0');
  return { accessBp: n('access_bp'), aggrs: n('aggrs'), minSampleUs: n('min_sample_us'), maxSampleUs: n('max_sample_us') };
}

/** Whether the goal asks DAMON to tune the intervals (DAMON's own test: aggrs is not 0). */
export function asksForAutoTuning(goal: IntervalsGoal | undefined): goal is IntervalsGoal {
  return goal !== undefined && goal.aggrs !== 0;
}

/** The goal as the flags give it: `4 % 3 5 ms 10 s`. */
export function describeIntervalsGoal(goal: IntervalsGoal): string {
  return `${formatBp(goal.accessBp, false)} ${goal.aggrs} ${formatTimeUs(goal.minSampleUs, false)} ${formatTimeUs(goal.maxSampleUs, false)}`;
}

/**
 * What the kernel refuses (EINVAL on `on` or `commit`) and the files cannot hold, checked
 * before anything is written: whole basis points, and for a goal that asks for tuning,
 * min_sample_us <= the sampling interval <= max_sample_us.
 */
export function validateIntervalsGoal(goal: IntervalsGoal | undefined, sampleUs: number): void {
  if (goal === undefined) return;
  if (!Number.isSafeInteger(goal.accessBp)) {
    throw usageError(`monitoring_intervals_goal: access_bp ${goal.accessBp} is not a whole number of basis points, and DAMON's access_bp file takes only those`, 'give the ratio in steps of 0.01% (e.g. 4% or 4.25%)');
  }
  if (!asksForAutoTuning(goal)) return;
  if (goal.minSampleUs > goal.maxSampleUs) {
    throw usageError(`monitoring_intervals_goal: min_sample_us (${goal.minSampleUs} us) must not exceed max_sample_us (${goal.maxSampleUs} us)`);
  }
  if (sampleUs < goal.minSampleUs || sampleUs > goal.maxSampleUs) {
    throw usageError(
      `monitoring_intervals_goal: the sampling interval (${sampleUs} us) must lie within the goal's [min_sample_us, max_sample_us] (${goal.minSampleUs} us, ${goal.maxSampleUs} us); DAMON refuses it otherwise`,
      'change the sampling interval (--monitoring_intervals, -s) or the goal\'s bounds',
    );
  }
}

/** The refusal for a goal that asks for tuning on a kernel without the directory. */
export function intervalsGoalUnsupported(where: string, goal: IntervalsGoal, lookedAt: string): DamoError {
  return new DamoError('E_UNSUPPORTED', `${where} asks for ${INTERVALS_GOAL_FEATURE}, with the goal ${describeIntervalsGoal(goal)}, but this kernel lacks it (${lookedAt} does not exist); no parameter was written`, {
    hint: 'use Linux 6.15 or later, or drop --monitoring_intervals_autotune and --monitoring_intervals_goal (or give the goal aggrs 0) to monitor with fixed intervals',
  });
}

/**
 * The goal to write into the context at `ctxDir`, as damo does: `goal` (`fallback` when the
 * context gives none) when the kernel has the directory; null, nothing to write, when it
 * lacks it and the goal asks for no tuning; a refusal when it lacks it and the goal asks.
 */
export function intervalsGoalToWrite(kfs: KernelFs, ctxDir: string, goal: IntervalsGoal | undefined, fallback: IntervalsGoal | null, where: string): IntervalsGoal | null {
  const dir = intervalsGoalDir(ctxDir);
  if (kfs.isDir(dir)) return goal ?? fallback;
  if (asksForAutoTuning(goal)) throw intervalsGoalUnsupported(where, goal, dir);
  return null;
}

/** The first context directory under `sysfsRoot`, if any kdamond has one. */
function anyContextDir(kfs: KernelFs, sysfsRoot: string): string | undefined {
  const kds = join(sysfsRoot, 'kdamonds');
  const nr = Number(readTrim(kfs, join(kds, 'nr_kdamonds')) ?? '0');
  for (let k = 0; k < nr; k++) {
    const ctx = join(kds, String(k), 'contexts/0');
    if (kfs.isDir(join(ctx, 'monitoring_attrs/intervals'))) return ctx;
  }
  return undefined;
}

/**
 * Whether this kernel's contexts have the intervals_goal directory, and where that was seen.
 * Read from an existing context when a kdamond has one; otherwise, only when DAMON sysfs
 * holds no kdamond (nr_kdamonds 0) and `stage` allows it, from a context staged as `damo
 * features` stages one (nr_kdamonds 1, nr_contexts 1, look, nr_kdamonds 0: the tree is left
 * as it was). Undefined when neither can be done.
 */
export function kernelIntervalsGoalSupport(kfs: KernelFs, sysfsRoot: string, stage: boolean): { has: boolean; lookedAt: string } | undefined {
  const existing = anyContextDir(kfs, sysfsRoot);
  if (existing !== undefined) return { has: kfs.isDir(intervalsGoalDir(existing)), lookedAt: intervalsGoalDir(existing) };
  const nrPath = join(sysfsRoot, 'kdamonds/nr_kdamonds');
  if (!stage || readTrim(kfs, nrPath) !== '0') return undefined;
  const ctx = join(sysfsRoot, 'kdamonds/0/contexts/0');
  try {
    kfs.write(nrPath, '1');
    kfs.write(join(sysfsRoot, 'kdamonds/0/contexts/nr_contexts'), '1');
    return { has: kfs.isDir(intervalsGoalDir(ctx)), lookedAt: intervalsGoalDir(ctx) };
  } finally {
    kfs.write(nrPath, '0');
  }
}

/** What to do when intervalsGoalBlocker() refuses a source. */
export const INTERVALS_GOAL_SOURCE_HINT = 'record with --source tracefs or sysfs (root, Linux 6.15+), or drop the goal to record with fixed intervals';

/** Where an intervals goal that asks for auto-tuning cannot go; null: a sysfs kdamond of ours can take it. */
export function intervalsGoalBlocker(kind: SourceChoice): string | null {
  if (kind === 'native') return "the native engine keeps the intervals it is given: auto-tuning them is kernel DAMON's (its sysfs intervals_goal, Linux 6.15+)";
  if (kind === 'debugfs') return 'DAMON debugfs has no intervals auto-tuning (only DAMON sysfs has, from Linux 6.15)';
  return null;
}
