// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo start --damon_interface_DEPRECATED debugfs`: configure DAMON debugfs's root context
 * (the only one damo uses), turn monitoring on, check that it runs, record in the state
 * file what it changed, and leave it running. The writes are DebugfsMonitor's
 * (src/record/debugfs.ts), in damo 3.3.0's order (`_damon_dbgfs.write_kdamonds`):
 *   attrs = "<sample_us> <aggr_us> <update_us> <min_nr> <max_nr>"
 *   schemes = the 18-field lines (debugfsText v4), or "\n" when it held schemes and we have none
 *   target_ids = "<pid> ..." or "paddr\n"
 *   init_regions = "<idx> <start> <end>" lines (only with --regions or paddr)
 *   monitor_on(_DEPRECATED) = "on"
 * `damo stop` writes "off" and then the files' earlier values back (debugfs_stop.ts).
 * Everything the kernel would refuse is refused here first: one context, vaddr or paddr,
 * the actions and fields the debugfs `schemes` file knows, no intervals auto-tuning.
 */
import { note, type CliIO } from '../../core/io.js';
import { DamoError } from '../../core/errors.js';
import { debugfsText } from '../../schemes/kernel.js';
import { DebugfsMonitor } from '../debugfs.js';
import { NoGuardian } from '../guardian.js';
import { asksForAutoTuning, describeIntervalsGoal } from '../intervals_goal_sysfs.js';
import type { KernelFs } from '../kfs.js';
import { toDamoError } from '../sysfs.js';
import { debugfsMonitorIsOurs, requireDebugfs } from './debugfs_inspect.js';
import { describeRunningKdamonds, listKdamonds } from './inspect.js';
import { validateStart, type StartRequest } from './start_command.js';
import { currentBootId, readStateFile, stateFilePath, sysfsStateFor, writeStateFile, type DebugfsRestoreWrite, type StateFile } from './state_file.js';

/** What a sysfs start takes (its sysfsRoot is checked for running kdamonds, which make DAMON refuse debugfs), and where debugfs is. */
export interface DebugfsStartRequest extends Omit<StartRequest, 'debugfsRoot'> {
  debugfsRoot: string;
  /** `uname -r`: init_regions names targets by index from 5.18, by id before. */
  kernelRelease: string;
}

const SYSFS_HINT = 'drop --damon_interface_DEPRECATED debugfs: DAMON sysfs has it (the debugfs interface knows only the Linux 5.16-era scheme fields)';

/** Checks what DAMON debugfs would refuse, before anything is written; returns the schemes file text. */
export function validateDebugfsStart(req: DebugfsStartRequest): string | undefined {
  validateStart(req);
  if (req.ops !== 'vaddr' && req.ops !== 'paddr') {
    throw new DamoError('E_USAGE', `ops: '${req.ops}' cannot be monitored through DAMON debugfs, which knows vaddr and paddr only`, { hint: SYSFS_HINT });
  }
  if (req.ops === 'paddr' && req.targets.length !== 1) throw new DamoError('E_USAGE', `targets: paddr takes one target over DAMON debugfs, not ${req.targets.length}`);
  if (asksForAutoTuning(req.intervalsGoal)) {
    throw new DamoError('E_UNSUPPORTED', `monitoring_intervals_goal ${describeIntervalsGoal(req.intervalsGoal)}: DAMON debugfs has no intervals auto-tuning (Linux 6.15+, sysfs only)`, { hint: SYSFS_HINT });
  }
  if (req.schemes.length === 0) return undefined;
  try {
    return debugfsText(req.schemes, req.intervals, 'v4');
  } catch (err) {
    if (err instanceof DamoError) throw new DamoError(err.code, `schemes: ${err.message}`, { cause: err, hint: SYSFS_HINT });
    throw err;
  }
}

/**
 * The writes stop must make: those of an earlier start of ours whose kdamond stopped by
 * itself come first and win (they hold what was there before damo-ts touched debugfs),
 * then this start's for files the earlier one did not change.
 */
function mergeRestore(earlier: readonly DebugfsRestoreWrite[], now: readonly DebugfsRestoreWrite[]): DebugfsRestoreWrite[] {
  const out = [...earlier];
  for (const w of now) if (!out.some((e) => e.file === w.file)) out.push(w);
  return out;
}

/**
 * What stands in the way, checked before anything is written: a running sysfs kdamond, a
 * debugfs monitor that is on. An earlier start of ours over sysfs whose kdamonds all
 * stopped is removed as 'damo stop' would; one over debugfs whose kdamond stopped is
 * replaced, keeping what it recorded. Returns the restore writes to carry over.
 */
function checkCanStart(io: CliIO, kfs: KernelFs, req: DebugfsStartRequest, state: StateFile | null, statePath: string, monitorOn: { on: boolean; pid: number | null; file: string; ours: boolean }): DebugfsRestoreWrite[] {
  const sameBoot = state !== null && (state.boot_id === '' || state.boot_id === currentBootId());
  const sysfsKdamonds = listKdamonds(kfs, req.sysfsRoot);
  const ourSysfs = sameBoot ? sysfsStateFor(state, req.sysfsRoot) : null;
  if (sysfsKdamonds.some((k) => k.state === 'on')) {
    const owner = ourSysfs !== null ? `damo start made them (state file ${statePath}); 'damo stop' removes them` : 'damo-ts did not create them';
    throw new DamoError('E_BUSY', `DAMON sysfs runs ${describeRunningKdamonds(kfs, req.sysfsRoot)}; DAMON refuses (EBUSY) to turn debugfs monitoring on while any kdamond runs; ${owner}`, {
      hint: 'stop them first',
    });
  }
  if (monitorOn.on) {
    const path = `${req.debugfsRoot}/${monitorOn.file}`;
    if (monitorOn.ours) {
      throw new DamoError('E_BUSY', `DAMON debugfs monitoring is already on (${path}, kdamond pid ${monitorOn.pid ?? '?'}): 'damo start' started it (state file ${statePath})`, { hint: "'damo stop' it first; DAMON debugfs takes no changes while it monitors" });
    }
    throw new DamoError('E_BUSY', `DAMON debugfs monitoring is already on (${path}, kdamond pid ${monitorOn.pid ?? '?'}) and damo-ts did not start it`, { hint: "leave it, or stop it with 'damo stop --damon_interface_DEPRECATED debugfs --force'" });
  }
  if (ourSysfs !== null && sysfsKdamonds.length > 0 && sysfsKdamonds.every((k) => ourSysfs.kdamonds.some((s) => s.index === k.index))) {
    note(io, `removing ${describeRunningKdamonds(kfs, req.sysfsRoot)}: an earlier 'damo start' made it and it has stopped`);
    kfs.write(`${req.sysfsRoot}/kdamonds/nr_kdamonds`, '0');
  }
  if (sameBoot && state.interface === 'debugfs' && state.debugfs?.root === req.debugfsRoot) {
    note(io, `replacing the DAMON debugfs monitoring an earlier 'damo start' started (pid ${state.kdamonds[0]?.pid ?? '?'}): it has stopped (its targets exited)`);
    return state.debugfs.restore;
  }
  return [];
}

export function runDebugfsStartCommand(io: CliIO, kfs: KernelFs, req: DebugfsStartRequest): number {
  const schemesText = validateDebugfsStart(req);
  const view = requireDebugfs(kfs, req.debugfsRoot);
  const statePath = stateFilePath(io.env);
  const state = readStateFile(statePath);
  const earlier = checkCanStart(io, kfs, req, state, statePath, { on: view.on, pid: view.pid, file: view.monitorOnFile, ours: debugfsMonitorIsOurs(view, state) });
  const mon = new DebugfsMonitor(
    kfs,
    req.debugfsRoot,
    view.monitorOnFile,
    { ops: req.ops, intervals: req.intervals, nrRegions: req.nrRegions, targets: req.targets, kernelRelease: req.kernelRelease, ...(schemesText === undefined ? {} : { schemesText }) },
    new NoGuardian(),
  );
  mon.setup();
  const pid = mon.start();
  if (!mon.isRunning()) {
    mon.restore();
    throw new DamoError('E_TARGET', 'DAMON debugfs monitoring stopped right after it started; its targets may have exited');
  }
  const prefix = `${req.debugfsRoot}/`;
  const now = mon.restoreWrites().map((w) => ({ file: w.path.slice(prefix.length), value: w.value }));
  const restore = mergeRestore(earlier, now);
  try {
    writeStateFile(statePath, {
      version: 1,
      interface: 'debugfs',
      sysfs_root: '',
      boot_id: currentBootId(),
      started_at: new Date().toISOString(),
      kdamonds: [{ index: 0, pid }],
      debugfs: { root: req.debugfsRoot, monitor_on: view.monitorOnFile, restore },
    });
  } catch (err) {
    const warnings = mon.restore();
    for (const w of warnings) io.stderr.write(`damo: ${w}\n`);
    throw new DamoError('E_IO', `cannot write the state file ${statePath}; DAMON debugfs monitoring was turned off again`, { cause: toDamoError(err, 'writing the state file'), hint: 'set DAMO_STATE_DIR to a writable directory' });
  }
  io.stdout.write(`DAMON debugfs monitoring started (kdamond pid ${pid}); 'damo stop' stops it and writes back ${restore.map((w) => w.file).join(', ')}\n`);
  return 0;
}
