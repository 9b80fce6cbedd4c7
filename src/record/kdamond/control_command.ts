// SPDX-License-Identifier: GPL-2.0-only
/** Entry points of `damo start` and `damo stop` for the CLI: the real kernel filesystems. */
import type { CliIO } from '../../core/io.js';
import { kernelFs } from './cli_kfs.js';
import type { MemoryTraceSource } from '../../format/damo/records.js';
import { editKdamonds, kdamondsOfResolved, printKdamonds, type ArgsDamonEdits, type ArgsDamonFormat, type KdamondsDocIndex } from './args_damon.js';
import { resolveDamonParams, type DamonParamsFlags, type IntervalsGoalParams, type ResolvedContext } from './damon_params.js';
import { hostFiles, type HostFiles } from '../pa_layout.js';
import { listKdamonds } from './inspect.js';
import { takeLiveSnapshot } from './live_snapshot.js';
import { readKdamondsArg, type KdamondsPlan } from './kdamonds_input.js';
import { runStartCommand, runStartKdamondsCommand } from './start_command.js';
import { currentBootId, readStateFile, stateFilePath, sysfsStateFor, type StateFile } from './state_file.js';
import { release } from 'node:os';
import { DamoError } from '../../core/errors.js';
import type { KernelFs } from '../kfs.js';
import { resolveKdamondInterface, type InterfaceRoots } from './debugfs_inspect.js';
import { runDebugfsStartCommand } from './debugfs_start.js';
import { runDebugfsStopCommand } from './debugfs_stop.js';
import { runStopCommand } from './stop_command.js';
import { runTuneCommand, type TuneRequest } from './tune_command.js';
import { runTuneKdamondsCommand } from './tune_kdamonds.js';

export interface StartCliRequest extends InterfaceRoots {
  flags: DamonParamsFlags;
  debug: boolean;
}

/** A start over debugfs takes exactly one kdamond with one context. */
function debugfsContext(kdamonds: ReadonlyArray<{ contexts: readonly ResolvedContext[] }>): ResolvedContext {
  const only = kdamonds.length === 1 ? kdamonds[0]?.contexts : undefined;
  if (only === undefined || only.length !== 1) {
    const n = kdamonds.reduce((a, k) => a + k.contexts.length, 0);
    throw new DamoError('E_USAGE', `DAMON debugfs has one context (damo starts its root context only), but the flags describe ${kdamonds.length} kdamond(s) with ${n} context(s)`, {
      hint: 'drop --damon_interface_DEPRECATED debugfs to start several through DAMON sysfs',
    });
  }
  return only[0] as ResolvedContext;
}

function startDebugfs(io: CliIO, kfs: KernelFs, req: InterfaceRoots, c: ResolvedContext | KdamondsPlan['kdamonds'][number]['contexts'][number]): number {
  return runDebugfsStartCommand(io, kfs, {
    debugfsRoot: req.debugfsRoot,
    sysfsRoot: req.sysfsRoot,
    kernelRelease: release(),
    ops: c.ops,
    intervals: c.intervals,
    intervalsGoal: c.intervalsGoal,
    nrRegions: c.nrRegions,
    targets: c.targets,
    schemes: c.schemes,
  });
}

export type { ArgsDamonEdits, DamonParamsFlags, IntervalsGoalParams, KdamondsDocIndex };

/** Where /proc/iomem and /sys/devices/system are read: '/', or $DAMO_HOST_ROOT (a fake tree, for tests). */
function hostFilesOf(io: CliIO): HostFiles {
  const root = io.env.DAMO_HOST_ROOT;
  return hostFiles(root === undefined || root === '' ? '/' : root);
}

export function runStartCliCommand(io: CliIO, req: StartCliRequest): number {
  const kdamonds = resolveDamonParams(req.flags, hostFilesOf(io));
  const kfs = kernelFs(io, req.debug);
  if (resolveKdamondInterface(kfs, req) === 'debugfs') return startDebugfs(io, kfs, req, debugfsContext(kdamonds));
  const only = kdamonds.length === 1 ? kdamonds[0]?.contexts : undefined;
  if (only !== undefined && only.length === 1) {
    const c = only[0] as ResolvedContext;
    return runStartCommand(io, kfs, { sysfsRoot: req.sysfsRoot, debugfsRoot: req.debugfsRoot, ops: c.ops, intervals: c.intervals, intervalsGoal: c.intervalsGoal, nrRegions: c.nrRegions, targets: c.targets, schemes: c.schemes });
  }
  // Several contexts or kdamonds: started as a --kdamonds document of them would be.
  const plan: KdamondsPlan = {
    kdamonds: kdamonds.map((k) => ({ contexts: k.contexts.map((c) => ({ ops: c.ops, intervals: c.intervals, ...(c.intervalsGoal === undefined ? {} : { intervalsGoal: c.intervalsGoal }), nrRegions: c.nrRegions, targets: c.targets, schemes: c.schemes })) })),
  };
  return runStartKdamondsCommand(io, kfs, { sysfsRoot: req.sysfsRoot, debugfsRoot: req.debugfsRoot, plan });
}

/** `damo args damon`: resolves the flags as start does (reading the host's memory layout) and prints the kdamonds. */
export function runArgsDamonCliCommand(io: CliIO, req: { flags: DamonParamsFlags; format: ArgsDamonFormat; raw: boolean; edits?: ArgsDamonEdits }): number {
  const edits = req.edits ?? {};
  const kdamonds = editKdamonds(() => kdamondsOfResolved(resolveDamonParams(req.flags, hostFilesOf(io))), edits);
  return printKdamonds(io, kdamonds, req.format, req.raw, edits);
}

export function runStartKdamondsCliCommand(io: CliIO, req: InterfaceRoots & { kdamonds: string; debug: boolean }): number {
  const plan = readKdamondsArg(req.kdamonds);
  const kfs = kernelFs(io, req.debug);
  if (resolveKdamondInterface(kfs, req) === 'debugfs') {
    const only = plan.kdamonds.length === 1 ? plan.kdamonds[0]?.contexts : undefined;
    if (only === undefined || only.length !== 1) {
      throw new DamoError('E_USAGE', `--kdamonds: DAMON debugfs has one context, but the document has ${plan.kdamonds.length} kdamond(s) with ${plan.kdamonds.reduce((a, k) => a + k.contexts.length, 0)} context(s)`, {
        hint: 'drop --damon_interface_DEPRECATED debugfs to start them through DAMON sysfs',
      });
    }
    return startDebugfs(io, kfs, req, only[0] as KdamondsPlan['kdamonds'][number]['contexts'][number]);
  }
  return runStartKdamondsCommand(io, kfs, { sysfsRoot: req.sysfsRoot, debugfsRoot: req.debugfsRoot, plan });
}

/**
 * `damo stop`: over the interface given; without one (or auto), over the one the state
 * file says start used, else as auto picks.
 */
export function runStopCliCommand(io: CliIO, req: InterfaceRoots & { force: boolean; debug: boolean }): number {
  const kfs = kernelFs(io, req.debug);
  let state: StateFile | null;
  try {
    state = readStateFile(stateFilePath(io.env));
  } catch (err) {
    if (!req.force) throw err;
    state = null;
  }
  const debugfsState = state?.interface === 'debugfs' ? state : null;
  const iface = req.interface === 'sysfs' || req.interface === 'debugfs' ? req.interface : debugfsState !== null ? 'debugfs' : resolveKdamondInterface(kfs, req);
  if (iface === 'debugfs') return runDebugfsStopCommand(io, kfs, { debugfsRoot: req.debugfsRoot, force: req.force }, debugfsState);
  return runStopCommand(io, kfs, { sysfsRoot: req.sysfsRoot, force: req.force });
}

export function runTuneCliCommand(io: CliIO, req: TuneRequest & { debug: boolean }): number {
  const { debug, ...tune } = req;
  return runTuneCommand(io, kernelFs(io, debug), tune);
}

/** `damo tune` with the multi-context flags: every kdamond, resolved as start resolves them, committed online. */
export function runTuneKdamondsCliCommand(io: CliIO, req: { sysfsRoot: string; force: boolean; flags: DamonParamsFlags; debug: boolean }): number {
  const kdamonds = resolveDamonParams(req.flags, hostFilesOf(io));
  return runTuneKdamondsCommand(io, kernelFs(io, req.debug), { sysfsRoot: req.sysfsRoot, force: req.force, kdamonds });
}

/**
 * A live snapshot of the running kdamonds that `damo start` started (its state file names
 * them, with the same pid), or null when there is none: then `report access` reads its file.
 */
export function liveSnapshotOfOurKdamonds(io: CliIO, req: { sysfsRoot: string; mergeRegions: boolean; debug: boolean }): MemoryTraceSource | null {
  const state = sysfsStateFor(readStateFile(stateFilePath(io.env)), req.sysfsRoot);
  if (state === null) return null;
  const bootId = currentBootId();
  if (state.boot_id !== '' && bootId !== '' && state.boot_id !== bootId) return null;
  const kfs = kernelFs(io, req.debug);
  const views = listKdamonds(kfs, req.sysfsRoot);
  const ours = state.kdamonds.filter((s) => views.some((v) => v.index === s.index && v.state === 'on' && v.pid === s.pid)).map((s) => s.index);
  if (ours.length === 0) return null;
  return takeLiveSnapshot(kfs, { sysfsRoot: req.sysfsRoot, kdamonds: ours, mergeRegions: req.mergeRegions, nowNs: () => Date.now() * 1e6 });
}
