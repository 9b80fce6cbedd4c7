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
import { currentBootId, readStateFile, stateFilePath } from './state_file.js';
import { runStopCommand } from './stop_command.js';
import { runTuneCommand, type TuneRequest } from './tune_command.js';
import { runTuneKdamondsCommand } from './tune_kdamonds.js';

export interface StartCliRequest {
  sysfsRoot: string;
  flags: DamonParamsFlags;
  debug: boolean;
}

export type { ArgsDamonEdits, DamonParamsFlags, IntervalsGoalParams, KdamondsDocIndex };

/** Where /proc/iomem and /sys/devices/system are read: '/', or $DAMO_HOST_ROOT (a fake tree, for tests). */
function hostFilesOf(io: CliIO): HostFiles {
  const root = io.env.DAMO_HOST_ROOT;
  return hostFiles(root === undefined || root === '' ? '/' : root);
}

export function runStartCliCommand(io: CliIO, req: StartCliRequest): number {
  const kdamonds = resolveDamonParams(req.flags, hostFilesOf(io));
  const only = kdamonds.length === 1 ? kdamonds[0]?.contexts : undefined;
  const kfs = kernelFs(io, req.debug);
  if (only !== undefined && only.length === 1) {
    const c = only[0] as ResolvedContext;
    return runStartCommand(io, kfs, { sysfsRoot: req.sysfsRoot, ops: c.ops, intervals: c.intervals, intervalsGoal: c.intervalsGoal, nrRegions: c.nrRegions, targets: c.targets, schemes: c.schemes });
  }
  // Several contexts or kdamonds: started as a --kdamonds document of them would be.
  const plan: KdamondsPlan = {
    kdamonds: kdamonds.map((k) => ({ contexts: k.contexts.map((c) => ({ ops: c.ops, intervals: c.intervals, ...(c.intervalsGoal === undefined ? {} : { intervalsGoal: c.intervalsGoal }), nrRegions: c.nrRegions, targets: c.targets, schemes: c.schemes })) })),
  };
  return runStartKdamondsCommand(io, kfs, { sysfsRoot: req.sysfsRoot, plan });
}

/** `damo args damon`: resolves the flags as start does (reading the host's memory layout) and prints the kdamonds. */
export function runArgsDamonCliCommand(io: CliIO, req: { flags: DamonParamsFlags; format: ArgsDamonFormat; raw: boolean; edits?: ArgsDamonEdits }): number {
  const edits = req.edits ?? {};
  const kdamonds = editKdamonds(() => kdamondsOfResolved(resolveDamonParams(req.flags, hostFilesOf(io))), edits);
  return printKdamonds(io, kdamonds, req.format, req.raw, edits);
}

export function runStartKdamondsCliCommand(io: CliIO, req: { sysfsRoot: string; kdamonds: string; debug: boolean }): number {
  return runStartKdamondsCommand(io, kernelFs(io, req.debug), { sysfsRoot: req.sysfsRoot, plan: readKdamondsArg(req.kdamonds) });
}

export function runStopCliCommand(io: CliIO, req: { sysfsRoot: string; force: boolean; debug: boolean }): number {
  return runStopCommand(io, kernelFs(io, req.debug), { sysfsRoot: req.sysfsRoot, force: req.force });
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
  const state = readStateFile(stateFilePath(io.env));
  if (state === null || state.sysfs_root !== req.sysfsRoot) return null;
  const bootId = currentBootId();
  if (state.boot_id !== '' && bootId !== '' && state.boot_id !== bootId) return null;
  const kfs = kernelFs(io, req.debug);
  const views = listKdamonds(kfs, req.sysfsRoot);
  const ours = state.kdamonds.filter((s) => views.some((v) => v.index === s.index && v.state === 'on' && v.pid === s.pid)).map((s) => s.index);
  if (ours.length === 0) return null;
  return takeLiveSnapshot(kfs, { sysfsRoot: req.sysfsRoot, kdamonds: ours, mergeRegions: req.mergeRegions, nowNs: () => Date.now() * 1e6 });
}
