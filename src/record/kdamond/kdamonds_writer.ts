// SPDX-License-Identifier: GPL-2.0-only
/**
 * Writes several kdamonds into DAMON sysfs and turns them on (`damo start --kdamonds`).
 * The caller has checked that nr_kdamonds reads 0, so every kdamond written here is ours.
 *
 * Order: nr_kdamonds first (it creates the directories), then each kdamond's context
 * top-down (counts before the directories they create, as the kernel needs), then every
 * kdamond's `state on` only after all are configured, so a bad value is found before any
 * kdamond runs. On a failure the kdamonds already on are turned off and nr_kdamonds goes
 * back to 0, and the error names the sysfs file and errno.
 */
import { DamoError, errorMessage } from '../../core/errors.js';
import { sysfsFiles } from '../../schemes/kernel.js';
import { readTrim, writeRetryBusy, type KernelFs } from '../kfs.js';
import { NO_INTERVALS_GOAL } from '../../core/damon_constants.js';
import { intervalsGoalToWrite } from '../intervals_goal_sysfs.js';
import { monitoringAttrsFiles } from '../sysfs.js';
import type { ContextPlan, KdamondsPlan } from './kdamonds_input.js';

function errnoOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'error';
}

class KdamondsWriter {
  private readonly on: number[] = [];

  constructor(
    private readonly kfs: KernelFs,
    private readonly root: string,
  ) {}

  private w(path: string, value: string | number): void {
    try {
      this.kfs.write(path, String(value));
    } catch (err) {
      throw new DamoError('E_IO', `writing '${value}' to ${path} failed (${errnoOf(err)}: ${errorMessage(err)})`, { cause: err });
    }
  }

  private context(dir: string, c: ContextPlan, where: string): void {
    const avail = readTrim(this.kfs, `${dir}/avail_operations`);
    if (avail !== undefined && !avail.split(/\s+/).includes(c.ops)) {
      throw new DamoError('E_UNSUPPORTED', `this kernel's DAMON cannot run '${c.ops}' (${dir}/avail_operations: ${avail || 'none'})`);
    }
    // start checked the kernel's support before writing; this is damo's write of the goal.
    const goal = intervalsGoalToWrite(this.kfs, dir, c.intervalsGoal, NO_INTERVALS_GOAL, where);
    this.w(`${dir}/operations`, c.ops);
    for (const [path, value] of monitoringAttrsFiles(dir, c.intervals, c.nrRegions, goal)) this.w(path, value);
    this.w(`${dir}/targets/nr_targets`, c.targets.length);
    c.targets.forEach((t, i) => {
      const td = `${dir}/targets/${i}`;
      if (c.ops !== 'paddr' && t.pid !== undefined) this.w(`${td}/pid_target`, t.pid);
      const regions = t.regions ?? [];
      if (regions.length === 0) return;
      this.w(`${td}/regions/nr_regions`, regions.length);
      regions.forEach(([start, end], j) => {
        this.w(`${td}/regions/${j}/start`, start);
        this.w(`${td}/regions/${j}/end`, end);
      });
    });
    for (const f of sysfsFiles(c.schemes, c.intervals)) this.w(`${dir}/${f.path}`, f.value);
  }

  /** Configures every kdamond, then turns each on; returns their pids in order. */
  run(plan: KdamondsPlan): number[] {
    this.w(`${this.root}/kdamonds/nr_kdamonds`, plan.kdamonds.length);
    plan.kdamonds.forEach((k, i) => {
      const kd = `${this.root}/kdamonds/${i}`;
      this.w(`${kd}/contexts/nr_contexts`, k.contexts.length);
      k.contexts.forEach((c, j) => this.context(`${kd}/contexts/${j}`, c, `kdamonds[${i}].contexts[${j}]`));
    });
    return plan.kdamonds.map((_, i) => {
      const kd = `${this.root}/kdamonds/${i}`;
      try {
        writeRetryBusy(this.kfs, `${kd}/state`, 'on');
      } catch (err) {
        const hint = errnoOf(err) === 'EINVAL' ? 'the kernel rejected this kdamond\'s configuration: check sample <= aggr <= ops_update, 3 <= nr_regions.min <= max, that the target pids exist, and the regions' : undefined;
        throw new DamoError('E_IO', `turning kdamond ${i} on failed (${errnoOf(err)} writing ${kd}/state: ${errorMessage(err)})`, hint === undefined ? { cause: err } : { cause: err, hint });
      }
      this.on.push(i);
      const pidText = readTrim(this.kfs, `${kd}/pid`);
      const pid = pidText === undefined ? NaN : Number.parseInt(pidText, 10);
      if (!Number.isSafeInteger(pid) || pid <= 0) throw new DamoError('E_TARGET', `kdamond ${i} stopped right after it started (pid reads ${pidText ?? 'nothing'}); its targets may have exited`);
      return pid;
    });
  }

  /** Undoes run(): kdamonds it turned on go off, nr_kdamonds back to 0. Returns what could not be undone. */
  rollback(): string[] {
    const left: string[] = [];
    for (const i of this.on.reverse()) {
      const path = `${this.root}/kdamonds/${i}/state`;
      if (readTrim(this.kfs, path) !== 'on') continue;
      try {
        this.kfs.write(path, 'off');
      } catch (err) {
        left.push(`${path}: ${errorMessage(err)}`);
      }
    }
    try {
      this.kfs.write(`${this.root}/kdamonds/nr_kdamonds`, '0');
    } catch (err) {
      left.push(`${this.root}/kdamonds/nr_kdamonds: ${errorMessage(err)}`);
    }
    return left;
  }
}

/** Writes and starts the kdamonds; on failure undoes everything and rethrows (naming what could not be undone). */
export function startKdamonds(kfs: KernelFs, root: string, plan: KdamondsPlan): number[] {
  const w = new KdamondsWriter(kfs, root);
  try {
    return w.run(plan);
  } catch (err) {
    const left = w.rollback();
    if (left.length === 0 || !(err instanceof DamoError)) throw err;
    throw new DamoError(err.code, `${err.message}; undoing it also failed for ${left.join(', ')}`, { cause: err, hint: 'check with damo report damon, then damo stop --force' });
  }
}
