// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo start`: configure kdamond 0 through DAMON sysfs, turn it on, check that it runs,
 * write the state file, and leave it running. Setup reuses OurKdamond (src/record/sysfs.ts),
 * which creates a kdamond only when nr_kdamonds reads 0 (so a kdamond we did not create is
 * never touched) and rolls every write back when one fails midway.
 */
import { note, type CliIO } from '../../core/io.js';
import { DamoError } from '../../core/errors.js';
import { NO_INTERVALS_GOAL } from '../../core/damon_constants.js';
import type { Intervals, IntervalsGoal, NrRegionsRange, Ops } from '../../core/model.js';
import type { Scheme } from '../../schemes/model.js';
import { NoGuardian } from '../guardian.js';
import { asksForAutoTuning, intervalsGoalUnsupported, kernelIntervalsGoalSupport, validateIntervalsGoal } from '../intervals_goal_sysfs.js';
import { readTrim, type KernelFs } from '../kfs.js';
import { OurKdamond, type KdamondTarget } from '../sysfs.js';
import { currentBootId, readStateFile, stateFilePath, sysfsStateFor, writeStateFile } from './state_file.js';
import { checkNoDebugfsMonitor } from './debugfs_inspect.js';
import { describeRunningKdamonds, listKdamonds } from './inspect.js';
import type { KdamondsPlan } from './kdamonds_input.js';
import { startKdamonds } from './kdamonds_writer.js';

export interface StartRequest {
  sysfsRoot: string;
  /** DAMON debugfs, checked for monitoring (which makes DAMON refuse every kdamond) when given. */
  debugfsRoot?: string | undefined;
  ops: Ops;
  intervals: Intervals;
  /** The intervals auto-tuning goal; none is DAMON's "no tuning" (written as zeros where the kernel has the files). */
  intervalsGoal?: IntervalsGoal | undefined;
  nrRegions: NrRegionsRange;
  targets: KdamondTarget[];
  schemes: readonly Scheme[];
}

/** Checks what the kernel would refuse, before anything is written. */
export function validateStart(req: StartRequest): void {
  const { sampleUs, aggrUs, opsUpdateUs } = req.intervals;
  if (sampleUs > aggrUs) throw new DamoError('E_USAGE', `monitoring_intervals: sample (${sampleUs} us) must not exceed aggr (${aggrUs} us)`);
  if (opsUpdateUs < aggrUs) throw new DamoError('E_USAGE', `monitoring_intervals: ops_update (${opsUpdateUs} us) must be at least aggr (${aggrUs} us)`);
  if (req.nrRegions.min < 3 || req.nrRegions.min > req.nrRegions.max) {
    throw new DamoError('E_USAGE', `monitoring_nr_regions_range: min ${req.nrRegions.min}, max ${req.nrRegions.max}; DAMON accepts 3 <= min <= max`);
  }
  validateIntervalsGoal(req.intervalsGoal, sampleUs);
  if (req.targets.length === 0) throw new DamoError('E_USAGE', 'targets: at least one target is needed (a pid, or paddr)');
  req.targets.forEach((t, i) => {
    if (req.ops !== 'paddr' && t.pid === undefined) throw new DamoError('E_USAGE', `targets[${i}].pid: ops '${req.ops}' needs a process id`);
    if (req.ops !== 'vaddr' && (t.regions ?? []).length === 0) throw new DamoError('E_USAGE', `targets[${i}].regions: ops '${req.ops}' needs at least one address range (--regions)`);
    for (const [s, e] of t.regions ?? []) {
      if (!(s < e)) throw new DamoError('E_USAGE', `targets[${i}].regions: start ${s} must be below end ${e}`);
    }
  });
}

/**
 * Refuses to start while any kdamond exists (ours or not), explaining who owns it; except
 * kdamonds an earlier `damo start` made that have all stopped on their own (their targets
 * exited), which are replaced as damo replaces them, saying so.
 */
function checkNoKdamonds(io: CliIO, kfs: KernelFs, root: string, statePath: string, debugfsRoot: string | undefined): void {
  const state = readStateFile(statePath);
  if (debugfsRoot !== undefined) checkNoDebugfsMonitor(kfs, debugfsRoot, state, statePath);
  const previous = sysfsStateFor(state, root);
  const nr = readTrim(kfs, `${root}/kdamonds/nr_kdamonds`);
  if (nr === undefined) {
    throw new DamoError('E_UNSUPPORTED', `DAMON sysfs is not there (${root}/kdamonds/nr_kdamonds is missing)`, { hint: 'it needs CONFIG_DAMON_SYSFS (Linux 5.18+) and root' });
  }
  const ours = previous !== null && previous.boot_id === currentBootId();
  const existing = listKdamonds(kfs, root);
  const oursAllOff = ours && existing.length > 0 && existing.every((k) => k.state === 'off' && previous.kdamonds.some((p) => p.index === k.index)) && existing.length === previous.kdamonds.length;
  if (nr !== '0' && oursAllOff) {
    note(io, `replacing ${describeRunningKdamonds(kfs, root)}: an earlier 'damo start' made it and it has stopped (its targets exited)`);
    // What 'damo stop' would do: remove the stopped kdamonds, so this start adds its own.
    kfs.write(`${root}/kdamonds/nr_kdamonds`, '0');
    return;
  }
  if (nr !== '0') {
    const owner = previous !== null ? `damo start made them (state file ${statePath}); 'damo stop' removes them` : 'damo-ts did not create them (no state file of ours names them)';
    throw new DamoError('E_BUSY', `DAMON already has ${nr} kdamond(s): ${describeRunningKdamonds(kfs, root)}. Adding one rewrites nr_kdamonds, which erases every kdamond's configuration and which DAMON refuses (EBUSY) while any kdamond runs; ${owner}`, {
      hint: "stop them first, or change the running one online with 'damo tune'",
    });
  }
}

/**
 * Refuses a goal that asks for auto-tuning on a kernel without intervals_goal (Linux < 6.15)
 * before start writes any parameter: looked up in an existing context first (before
 * checkNoKdamonds replaces our stopped kdamonds), else in a staged one once DAMON sysfs is
 * empty (`afterCheckNoKdamonds`).
 */
function intervalsGoalCheck(kfs: KernelFs, root: string, goals: ReadonlyArray<[where: string, goal: IntervalsGoal | undefined]>): { afterCheckNoKdamonds: () => void } {
  const asking = goals.find((g): g is [string, IntervalsGoal] => asksForAutoTuning(g[1]));
  if (asking === undefined) return { afterCheckNoKdamonds: () => undefined };
  const check = (stage: boolean): boolean => {
    const seen = kernelIntervalsGoalSupport(kfs, root, stage);
    if (seen !== undefined && !seen.has) throw intervalsGoalUnsupported(asking[0], asking[1], seen.lookedAt);
    return seen !== undefined;
  };
  const known = check(false);
  return { afterCheckNoKdamonds: () => (known ? undefined : void check(true)) };
}

export function runStartCommand(io: CliIO, kfs: KernelFs, req: StartRequest): number {
  validateStart(req);
  const statePath = stateFilePath(io.env);
  const goalCheck = intervalsGoalCheck(kfs, req.sysfsRoot, [['kdamond 0', req.intervalsGoal]]);
  checkNoKdamonds(io, kfs, req.sysfsRoot, statePath, req.debugfsRoot);
  goalCheck.afterCheckNoKdamonds();
  const plan = { ops: req.ops, intervals: req.intervals, intervalsGoal: req.intervalsGoal ?? NO_INTERVALS_GOAL, nrRegions: req.nrRegions, targets: req.targets, statSchemes: false, schemes: req.schemes };
  const kd = new OurKdamond(kfs, req.sysfsRoot, plan, new NoGuardian());
  kd.setup();
  const pid = kd.start();
  if (!kd.isRunning()) {
    kd.restore();
    throw new DamoError('E_TARGET', 'kdamond 0 stopped right after it started; its targets may have exited');
  }
  try {
    writeStateFile(statePath, { version: 1, sysfs_root: req.sysfsRoot, boot_id: currentBootId(), started_at: new Date().toISOString(), kdamonds: [{ index: 0, pid }] });
  } catch (err) {
    kd.restore();
    throw new DamoError('E_IO', `cannot write the state file ${statePath}; kdamond 0 was stopped again`, { cause: err, hint: 'set DAMO_STATE_DIR to a writable directory' });
  }
  io.stdout.write(`kdamond 0 started (pid ${pid}); 'damo stop' stops it\n`);
  return 0;
}

/**
 * `damo start --kdamonds`: every kdamond of the document, each validated as a single start
 * would be, written and turned on together (kdamonds_writer.ts), then recorded in the state
 * file so that `damo stop` stops them all.
 */
export function runStartKdamondsCommand(io: CliIO, kfs: KernelFs, req: { sysfsRoot: string; debugfsRoot?: string | undefined; plan: KdamondsPlan }): number {
  req.plan.kdamonds.forEach((k, i) =>
    k.contexts.forEach((c, j) => {
      try {
        validateStart({ sysfsRoot: req.sysfsRoot, ...c });
      } catch (err) {
        if (err instanceof DamoError) throw new DamoError(err.code, `--kdamonds: kdamonds[${i}].contexts[${j}].${err.message}`, err.hint === undefined ? { cause: err } : { cause: err, hint: err.hint });
        throw err;
      }
    }),
  );
  const statePath = stateFilePath(io.env);
  const goals = req.plan.kdamonds.flatMap((k, i) => k.contexts.map((c, j): [string, IntervalsGoal | undefined] => [`kdamonds[${i}].contexts[${j}]`, c.intervalsGoal]));
  const goalCheck = intervalsGoalCheck(kfs, req.sysfsRoot, goals);
  checkNoKdamonds(io, kfs, req.sysfsRoot, statePath, req.debugfsRoot);
  goalCheck.afterCheckNoKdamonds();
  const pids = startKdamonds(kfs, req.sysfsRoot, req.plan);
  const started = pids.map((pid, index) => ({ index, pid }));
  try {
    writeStateFile(statePath, { version: 1, sysfs_root: req.sysfsRoot, boot_id: currentBootId(), started_at: new Date().toISOString(), kdamonds: started });
  } catch (err) {
    for (const { index } of [...started].reverse()) kfs.write(`${req.sysfsRoot}/kdamonds/${index}/state`, 'off');
    kfs.write(`${req.sysfsRoot}/kdamonds/nr_kdamonds`, '0');
    throw new DamoError('E_IO', `cannot write the state file ${statePath}; the kdamonds were stopped and removed again`, { cause: err, hint: 'set DAMO_STATE_DIR to a writable directory' });
  }
  for (const { index, pid } of started) io.stdout.write(`kdamond ${index} started (pid ${pid})\n`);
  io.stdout.write(`'damo stop' stops ${started.length === 1 ? 'it' : 'them'}\n`);
  return 0;
}
