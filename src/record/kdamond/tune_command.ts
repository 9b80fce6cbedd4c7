// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo tune`: change the monitoring intervals, intervals goal, region counts and schemes of the kdamond
 * `damo start` left running, online: write the new values into its sysfs files and ask the
 * kernel to take them with the `commit` state command. Only a kdamond the state file names,
 * with the pid recorded there, is touched unless --force.
 */
import type { CliIO } from '../../core/io.js';
import { DamoError } from '../../core/errors.js';
import type { Intervals, IntervalsGoal, NrRegionsRange, Ops } from '../../core/model.js';
import { sysfsFiles } from '../../schemes/kernel.js';
import type { Scheme } from '../../schemes/model.js';
import { readTrim, writeRetryBusy, type KernelFs } from '../kfs.js';
import { intervalsGoalFiles, intervalsGoalToWrite, readIntervalsGoal, validateIntervalsGoal } from '../intervals_goal_sysfs.js';
import { toDamoError } from '../sysfs.js';
import { listKdamonds } from './inspect.js';
import { readStateFile, stateFilePath, sysfsStateFor } from './state_file.js';

export interface TuneRequest {
  sysfsRoot: string;
  /** Index of the kdamond to tune. */
  index: number;
  force: boolean;
  intervals: Intervals | null;
  /** A new intervals auto-tuning goal (Linux 6.15+); null or absent leaves the current one. */
  intervalsGoal?: IntervalsGoal | null | undefined;
  nrRegions: NrRegionsRange | null;
  /**
   * The operations set the caller expects the kdamond to run (damo's tune takes --ops); null: any.
   * Switching it needs new targets, which only the multi-context form (tune_kdamonds.ts) gives.
   */
  ops?: Ops | null | undefined;
  /** New schemes replacing the current ones; null leaves them. */
  schemes: readonly Scheme[] | null;
}

/** Refuses a kdamond that is not running, or that damo-ts did not start (its state file), unless `force`. */
export function checkTuneOwnership(io: CliIO, kfs: KernelFs, req: Pick<TuneRequest, 'sysfsRoot' | 'index' | 'force'>): void {
  const view = listKdamonds(kfs, req.sysfsRoot).find((k) => k.index === req.index);
  if (view === undefined || view.state !== 'on') throw new DamoError('E_TARGET', `kdamond ${req.index} is not running under ${req.sysfsRoot}; 'damo start' first`);
  if (req.force) return;
  const statePath = stateFilePath(io.env);
  const state = readStateFile(statePath);
  const mine = sysfsStateFor(state, req.sysfsRoot)?.kdamonds.find((k) => k.index === req.index);
  if (mine === undefined || mine.pid !== view.pid) {
    throw new DamoError('E_BUSY', `refusing to tune kdamond ${req.index} (pid ${view.pid ?? '?'}): damo-ts did not start it (${state === null ? `no ${statePath}` : `${statePath} names ${mine === undefined ? 'another kdamond' : `pid ${mine.pid}`}`}); tuning would rewrite its parameters and schemes`, {
      hint: "'damo tune --force' tunes it anyway",
    });
  }
}

export function runTuneCommand(io: CliIO, kfs: KernelFs, req: TuneRequest): number {
  if (req.intervals !== null && req.intervals.sampleUs > req.intervals.aggrUs) {
    throw new DamoError('E_USAGE', `monitoring_intervals: sample (${req.intervals.sampleUs} us) must not exceed aggr (${req.intervals.aggrUs} us)`);
  }
  if (req.nrRegions !== null && (req.nrRegions.min < 3 || req.nrRegions.min > req.nrRegions.max)) {
    throw new DamoError('E_USAGE', `monitoring_nr_regions_range: min ${req.nrRegions.min}, max ${req.nrRegions.max}; DAMON accepts 3 <= min <= max`);
  }
  checkTuneOwnership(io, kfs, req);
  const kd = `${req.sysfsRoot}/kdamonds/${req.index}`;
  const ctx = `${kd}/contexts/0`;
  const running = readTrim(kfs, `${ctx}/operations`);
  if (req.ops !== null && req.ops !== undefined && running !== undefined && running !== req.ops) {
    // DAMON's commit would switch it, but the targets must change with it, and this form leaves them.
    throw new DamoError(
      'E_USAGE',
      `--ops ${req.ops}: kdamond ${req.index} monitors with '${running}'; a new operations set needs targets of its own (a pid for vaddr and fvaddr, address ranges for fvaddr and paddr), and this form of damo tune (each flag once, no target) keeps the running targets`,
      { hint: `describe the whole context with a target, as damo's tune does, and DAMON switches it on commit: e.g. 'damo tune paddr', 'damo tune --ops vaddr --target_pid <pid>' or 'damo tune --ops fvaddr --target_pid <pid> -r <start>-<end>' (flags not given take their defaults; schemes not given are removed); or 'damo stop' and 'damo start'` },
    );
  }
  const attrs = `${ctx}/monitoring_attrs`;
  const newGoal = req.intervalsGoal ?? undefined;
  // The goal that will be in force (the new one, else the kernel's) against the sampling interval that will be.
  const goalInForce = newGoal ?? readIntervalsGoal(kfs, ctx);
  if (newGoal !== undefined || req.intervals !== null) validateIntervalsGoal(goalInForce, req.intervals?.sampleUs ?? Number(readTrim(kfs, `${attrs}/intervals/sample_us`)));
  const goal = newGoal === undefined ? null : intervalsGoalToWrite(kfs, ctx, newGoal, null, `kdamond ${req.index}`);
  const w = (path: string, value: string): void => {
    try {
      kfs.write(path, value);
    } catch (err) {
      throw toDamoError(err, `tuning kdamond ${req.index} (writing '${value}' to ${path}); nothing was committed, the kdamond runs as before`);
    }
  };
  if (req.intervals !== null) {
    w(`${attrs}/intervals/sample_us`, String(req.intervals.sampleUs));
    w(`${attrs}/intervals/aggr_us`, String(req.intervals.aggrUs));
    w(`${attrs}/intervals/update_us`, String(req.intervals.opsUpdateUs));
  }
  if (goal !== null) for (const [path, value] of intervalsGoalFiles(ctx, goal)) w(path, String(value));
  if (req.nrRegions !== null) {
    w(`${attrs}/nr_regions/min`, String(req.nrRegions.min));
    w(`${attrs}/nr_regions/max`, String(req.nrRegions.max));
  }
  if (req.schemes !== null) {
    const iv = req.intervals ?? { sampleUs: Number(readTrim(kfs, `${attrs}/intervals/sample_us`)), aggrUs: Number(readTrim(kfs, `${attrs}/intervals/aggr_us`)) };
    if (req.schemes.length === 0) w(`${ctx}/schemes/nr_schemes`, '0');
    for (const f of sysfsFiles(req.schemes, iv)) w(`${ctx}/${f.path}`, f.value);
  }
  try {
    writeRetryBusy(kfs, `${kd}/state`, 'commit');
  } catch (err) {
    throw toDamoError(err, `committing the new parameters of kdamond ${req.index} (writing 'commit' to ${kd}/state); the kernel kept the old ones`);
  }
  io.stdout.write(`kdamond ${req.index} tuned\n`);
  return 0;
}
