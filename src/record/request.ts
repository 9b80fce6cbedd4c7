// SPDX-License-Identifier: GPL-2.0-only
/**
 * What a monitoring session is asked to do (`damo record`, `damo schemes -c`), and its
 * validation: the CLI resolves a request before anything runs, so usage errors come first
 * and the session itself only meets consistent requests.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { DamoError, errorMessage } from '../core/errors.js';
import type { DamonOps, Intervals, IntervalsGoal, NrRegionsRange, Ops } from '../core/model.js';
import type { OutputFormat } from '../format/output_formats.js';
import type { RecordPrimitive } from '../native/primitives.js';
import type { Scheme } from '../schemes/model.js';
import type { KernelRoots } from './roots.js';
import type { SchemesBackend, SourceChoice } from './source_names.js';
import { asksForAutoTuning, INTERVALS_GOAL_SOURCE_HINT, intervalsGoalBlocker, validateIntervalsGoal } from './intervals_goal_sysfs.js';
import type { TargetSpec } from './target.js';

/** `damo schemes`: what to apply, and where. */
export interface SchemesRequest {
  schemes: Scheme[];
  /** The schemes file, or `<command line>`, for messages. */
  name: string;
  backend: 'auto' | SchemesBackend;
  /** How often statistics are read back (kernel) or recorded (ms). */
  statsIntervalMs: number;
  /**
   * `record`: the schemes came with a recording (`damo record -c` or `--damos_*`, as damo's
   * record takes them), which applies them only through a sysfs kdamond of ours (backend
   * sysfs), with --source choosing how that kdamond is recorded (tracefs or sysfs).
   */
  command?: 'record';
}

export interface RecordRequest {
  /** The trace to write; null writes none (only `damo schemes` allows that). */
  out: string | null;
  outputType: OutputFormat;
  /** File mode of the output (octal 600 by default). */
  outputPermission: number;
  target: TargetSpec;
  /** Explicit --ops, or undefined to deduce (paddr for paddr, fvaddr with regions, else vaddr). */
  ops: Ops | undefined;
  regions: Array<[number, number]> | null;
  intervals: Intervals;
  /**
   * DAMON's intervals auto-tuning goal for our kdamond (--monitoring_intervals_goal,
   * --monitoring_intervals_autotune; Linux 6.15+), written as `damo start` writes it; only the
   * sources that run a sysfs kdamond of ours (tracefs, sysfs) take one that asks for tuning.
   */
  intervalsGoal?: IntervalsGoal;
  nrRegions: NrRegionsRange;
  source: 'auto' | SourceChoice;
  primitive: RecordPrimitive | undefined;
  timeoutSec: number | undefined;
  snapshotIntervalUs: number | undefined;
  quiet: boolean;
  json: boolean;
  roots: KernelRoots;
  argv: string[];
  /** Apply these schemes (`damo schemes`). */
  schemes?: SchemesRequest;
}

/** A request that passed resolveRequest(): consistent, with its ops set deduced. */
export interface ResolvedRequest extends Omit<RecordRequest, 'ops'> {
  ops: DamonOps;
  /** The source (or schemes backend) asked for; --primitive alone asks for the native engine. */
  requested: 'auto' | SourceChoice;
}

/**
 * Checks a request and deduces what it leaves open. Throws DamoError E_USAGE naming the
 * options that do not fit, or E_IO when the output cannot be written. Reads nothing but the
 * output's directory.
 */
export function resolveRequest(req: RecordRequest): ResolvedRequest {
  checkAttrs(req);
  const ops = deduceOps(req);
  const sch = req.schemes;
  if (sch?.command === 'record') checkRecordSchemes(req);
  const asked = sch !== undefined ? sch.backend : req.source;
  if (req.primitive !== undefined && asked !== 'auto' && asked !== 'native') {
    const option = sch !== undefined ? '--backend' : '--source';
    throw new DamoError('E_USAGE', `--primitive ${req.primitive} applies to the native engine, not to ${option} ${asked}`, { hint: `use ${option} native, or drop --primitive` });
  }
  if (req.out !== null) checkOutputWritable(req.out);
  else if (sch === undefined) throw new DamoError('E_USAGE', 'a recording needs an output file');
  if (sch !== undefined && req.out !== null && req.outputType !== 'protobuf') {
    throw new DamoError('E_USAGE', 'applying schemes records into damo-ts traces only (their statistics have no place in damo formats)', { hint: "convert the trace afterwards with 'damo convert'" });
  }
  const requested = req.primitive !== undefined && asked === 'auto' ? 'native' : asked;
  checkIntervalsGoal(req, requested);
  return { ...req, ops, requested };
}

/**
 * `damo record` with schemes: they run in our sysfs kdamond, which the native engine and
 * DAMON debugfs are not; `damo schemes` applies them there.
 */
function checkRecordSchemes(req: RecordRequest): void {
  if (req.target.kind === 'ongoing') {
    throw new DamoError('E_USAGE', "'ongoing' records the running kdamond as it is configured: -c/--schemes and the --damos_* flags do not apply", { hint: "change its schemes with 'damo tune -c ...' (or the --damos_* flags) first" });
  }
  const by = req.primitive !== undefined && req.source === 'auto' ? `--primitive ${req.primitive}` : req.source === 'native' || req.source === 'debugfs' ? `--source ${req.source}` : null;
  if (by === null) return;
  const backend = by.startsWith('--primitive') ? 'native' : req.source;
  throw new DamoError('E_USAGE', `damo record applies schemes (-c/--schemes, --damos_*) with kernel DAMON through a sysfs kdamond of its own, as damo's record does, but ${by} records with ${backend === 'native' ? 'the native engine' : 'DAMON debugfs'}`, {
    hint: `use --source tracefs or sysfs (or auto) as root, or 'damo schemes -c <schemes> --backend ${backend} -o <file> <target>' to apply them with ${backend === 'native' ? 'the native engine' : 'DAMON debugfs'} while recording`,
  });
}

/** An intervals goal: values DAMON accepts, and a source that can take it, before anything runs. */
function checkIntervalsGoal(req: RecordRequest, requested: 'auto' | SourceChoice): void {
  const goal = req.intervalsGoal;
  if (goal === undefined) return;
  const flags = '--monitoring_intervals_goal and --monitoring_intervals_autotune';
  if (req.target.kind === 'ongoing') {
    throw new DamoError('E_USAGE', `'ongoing' records the running kdamond as it is configured: ${flags} do not apply`, { hint: "set its goal with 'damo tune --monitoring_intervals_goal ...' first" });
  }
  validateIntervalsGoal(goal, req.intervals.sampleUs);
  if (!asksForAutoTuning(goal) || requested === 'auto') return;
  const why = intervalsGoalBlocker(requested);
  if (why !== null) {
    const option = req.primitive !== undefined && req.source === 'auto' ? `--primitive ${req.primitive}` : `--source ${requested}`;
    throw new DamoError('E_USAGE', `${flags} ask DAMON to tune the intervals, but ${option} records with ${requested === 'native' ? 'the native engine' : 'DAMON debugfs'}: ${why}`, {
      hint: INTERVALS_GOAL_SOURCE_HINT,
    });
  }
}

/** Fails early (before touching the kernel) when the output cannot be written. */
export function checkOutputWritable(out: string): void {
  const path = resolve(out);
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new DamoError('E_IO', `cannot write the recording to ${out}: it is a directory`, { hint: 'give a file name with -o' });
  }
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new DamoError('E_IO', `cannot write the recording to ${out}: the directory ${dir} ${existsSync(dir) ? 'is not writable' : 'does not exist'} (${errorMessage(err)})`, {
      hint: 'choose a writable location with -o',
    });
  }
}

function deduceOps(req: RecordRequest): DamonOps {
  if (req.target.kind === 'ongoing') {
    if (req.ops !== undefined || req.regions !== null) throw new DamoError('E_USAGE', "'ongoing' records the running kdamond as it is configured: --ops and -r/--regions do not apply");
    // Replaced by the running kdamond's operations when the session reads them.
    return 'paddr';
  }
  if (req.target.kind === 'paddr') {
    if (req.ops !== undefined && req.ops !== 'paddr') throw new DamoError('E_USAGE', `--ops ${req.ops} cannot monitor the 'paddr' target`);
    return 'paddr';
  }
  const ops = req.ops !== undefined && req.ops !== '' ? req.ops : req.regions !== null ? 'fvaddr' : 'vaddr';
  if (ops === 'paddr') throw new DamoError('E_USAGE', "--ops paddr monitors physical memory: give 'paddr' as the target instead of a command or pid");
  if (ops === 'fvaddr' && req.regions === null) throw new DamoError('E_USAGE', '--ops fvaddr needs the address ranges to monitor: add -r/--regions <start>-<end> ...');
  if (ops === 'vaddr' && req.regions !== null) throw new DamoError('E_USAGE', '-r/--regions fixes the monitored ranges, which needs --ops fvaddr (vaddr finds the ranges itself)');
  return ops;
}

/** DAMON's rules for the monitoring attributes (damon_set_attrs). */
function checkAttrs(req: RecordRequest): void {
  const { sampleUs, aggrUs, opsUpdateUs } = req.intervals;
  if (sampleUs <= 0 || aggrUs <= 0 || opsUpdateUs <= 0) throw new DamoError('E_USAGE', 'monitoring intervals must be greater than zero');
  if (sampleUs > aggrUs) throw new DamoError('E_USAGE', `the sampling interval (${sampleUs} us) must not exceed the aggregation interval (${aggrUs} us)`);
  if (req.nrRegions.min < 3) throw new DamoError('E_USAGE', `the minimum number of regions must be at least 3 (DAMON's rule), not ${req.nrRegions.min}`);
  if (req.nrRegions.min > req.nrRegions.max) throw new DamoError('E_USAGE', `the minimum number of regions (${req.nrRegions.min}) exceeds the maximum (${req.nrRegions.max})`);
}
