// SPDX-License-Identifier: GPL-2.0-only
/** Entry points of `damo start` and `damo stop` for the CLI: the real kernel filesystems. */
import * as fs from 'node:fs';

import type { CliIO } from '../../core/io.js';
import { DamoError } from '../../core/errors.js';
import type { Intervals, NrRegionsRange, Ops } from '../../core/model.js';
import type { Scheme } from '../../schemes/model.js';
import type { IntervalsGoalParams } from './args_damon.js';
import { RealKernelFs, type KernelFs } from '../kfs.js';
import { defaultPaddrRegion } from '../paddr.js';
import type { KdamondTarget } from '../sysfs.js';
import type { TargetSpec } from '../target.js';
import type { MemoryTraceSource } from '../../format/damo/records.js';
import { runArgsDamonCommand, type ArgsDamonFormat } from './args_damon.js';
import { listKdamonds } from './inspect.js';
import { takeLiveSnapshot } from './live_snapshot.js';
import { runReportDamonCommand, type ReportDamonRequest } from './report_damon_command.js';
import { readKdamondsArg } from './kdamonds_input.js';
import { runStartCommand, runStartKdamondsCommand } from './start_command.js';
import { currentBootId, readStateFile, stateFilePath } from './state_file.js';
import { runStopCommand } from './stop_command.js';
import { runTuneCommand, type TuneRequest } from './tune_command.js';

export interface StartCliRequest {
  sysfsRoot: string;
  target: TargetSpec;
  ops: Ops | undefined;
  regions: Array<[number, number]> | null;
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  schemes: readonly Scheme[];
  debug: boolean;
}

function kernelFs(io: CliIO, debug: boolean): KernelFs {
  return new RealKernelFs(debug ? (op) => io.stderr.write(`damo: debug: ${op.op} ${op.path}${op.op === 'write' ? ` <- ${JSON.stringify(op.value)}` : ''}\n`) : undefined);
}

/**
 * The kdamond targets of a target spec; a command is refused (start leaves DAMON running, not a
 * workload). A paddr target without --regions gets damo 3.3.0's default, the span of all System RAM.
 */
export function kdamondTargets(target: TargetSpec, ops: Ops, regions: Array<[number, number]> | null, readIomem: () => string): KdamondTarget[] {
  if (target.kind === 'ongoing') throw new DamoError('E_USAGE', "'ongoing' is a target of damo record, not of damo start");
  if (target.kind === 'command') {
    throw new DamoError('E_USAGE', `damo start monitors a running process or physical memory, not a command ('${target.display}')`, { hint: 'start the workload first and give its pid, or use damo record / damo schemes -c for a command' });
  }
  if (target.kind === 'paddr') return [{ regions: regions ?? [defaultPaddrRegion(readIomem, 'span')] }];
  return target.pids.map((pid) => (regions !== null && ops === 'fvaddr' ? { pid, regions } : { pid }));
}

/** damo's deduced operations set: paddr for paddr, fvaddr when a process has fixed regions, else vaddr. */
function defaultOps(target: TargetSpec, ops: Ops | undefined, regions: Array<[number, number]> | null): Ops {
  return ops ?? (target.kind === 'paddr' ? 'paddr' : regions !== null ? 'fvaddr' : 'vaddr');
}

export function runStartCliCommand(io: CliIO, req: StartCliRequest): number {
  const ops = defaultOps(req.target, req.ops, req.regions);
  const targets = kdamondTargets(req.target, ops, req.regions, () => fs.readFileSync('/proc/iomem', 'utf8'));
  return runStartCommand(io, kernelFs(io, req.debug), { sysfsRoot: req.sysfsRoot, ops, intervals: req.intervals, nrRegions: req.nrRegions, targets, schemes: req.schemes });
}

/** Resolves targets as start does (the default paddr region from /proc/iomem) and prints them. */
export function runArgsDamonCliCommand(
  io: CliIO,
  req: { target: TargetSpec; ops: Ops | undefined; regions: Array<[number, number]> | null; intervals: Intervals; nrRegions: NrRegionsRange; format: ArgsDamonFormat; raw: boolean; schemes: readonly Scheme[]; intervalsGoal: IntervalsGoalParams | undefined },
): number {
  const ops = defaultOps(req.target, req.ops, req.regions);
  const targets = kdamondTargets(req.target, ops, req.regions, () => fs.readFileSync('/proc/iomem', 'utf8'));
  return runArgsDamonCommand(io, { ops, intervals: req.intervals, nrRegions: req.nrRegions, targets, format: req.format, raw: req.raw, schemes: req.schemes, ...(req.intervalsGoal === undefined ? {} : { intervalsGoal: req.intervalsGoal }) });
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

export function runReportDamonCliCommand(io: CliIO, req: ReportDamonRequest & { debug: boolean }): number {
  const { debug, ...report } = req;
  return runReportDamonCommand(io, kernelFs(io, debug), report);
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
