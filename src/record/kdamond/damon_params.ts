// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's DAMON parameter flags (`args damon`, `start`) resolved into kdamonds >
 * contexts > targets and schemes, the way damo's argument code splits them:
 *
 * - Context flags (`--ops`, `--monitoring_intervals`, `-s/-a/-u`, `--monitoring_intervals_goal`,
 *   `--monitoring_nr_regions_range`, `-n/-m`) are taken in order, the i-th occurrence for the
 *   i-th context. There are as many contexts as the longest of those lists, of `--nr_targets`
 *   and of `--nr_schemes` (at least one); a context without an occurrence gets the default.
 *   `--monitoring_intervals_autotune` gives every context damo's default goal, in place of
 *   any `--monitoring_intervals_goal` (as damo does).
 * - Target flags (`--target_pid`, `-r/--regions`, `--numa_node`) likewise, the i-th occurrence
 *   for the i-th target; there are as many targets as the longest of them, and at least as
 *   many as contexts. `--nr_targets` says how many targets each context takes, in order
 *   (needed as soon as there are two contexts; one context takes them all).
 * - Schemes (the `--damos_*` flags or `-c`) are cut per context by `--nr_schemes` (needed
 *   when two contexts and any scheme), and contexts per kdamond by `--nr_ctxs` (default: one
 *   kdamond with every context).
 * - A context's operations set defaults to vaddr when the target of the same index has a pid,
 *   else paddr; a target takes the operations set of the context it is assigned to. A paddr
 *   target without `--regions` covers the System RAM of its `--numa_node` nodes
 *   (pa_layout.ts), or by default the span of all System RAM.
 * - A positional target is deduced as damo does: 'paddr' makes every context paddr and drops
 *   `--target_pid`; pids replace `--target_pid` and make the operations set vaddr (fvaddr
 *   with `--regions`) unless one `--ops` says otherwise.
 *
 * Where damo would print a document that cannot run (a target without a pid under vaddr, a
 * node without memory, `--numa_node` beside `--regions` or under vaddr, which damo ignores),
 * damo-ts refuses with a usage error instead.
 */
import { AUTOTUNE_INTERVALS_GOAL, DEFAULT_INTERVALS, DEFAULT_NR_REGIONS } from '../../core/damon_constants.js';
import { usageError } from '../../core/errors.js';
import type { Intervals, IntervalsGoal, NrRegionsRange, Ops } from '../../core/model.js';
import type { Scheme } from '../../schemes/model.js';
import { numaNodeRegions, type HostFiles } from '../pa_layout.js';
import { defaultPaddrRegion } from '../paddr.js';
import type { KdamondTarget } from '../sysfs.js';
import type { TargetSpec } from '../target.js';

/** `--monitoring_intervals_goal`: access_bp in basis points, aggrs, sample interval bounds in us. */
export type IntervalsGoalParams = IntervalsGoal;

/** The flags as parsed: one entry per occurrence, in order. */
export interface DamonParamsFlags {
  /** The positional target, if any. */
  deduced?: TargetSpec | undefined;
  ops: Ops[];
  monitoringIntervals: Array<[number, number, number]>;
  sample: number[];
  aggr: number[];
  updr: number[];
  intervalsGoal: IntervalsGoalParams[];
  /** `--monitoring_intervals_autotune`: every context takes AUTOTUNE_INTERVALS_GOAL. */
  intervalsAutotune?: boolean | undefined;
  nrRegionsRange: Array<[number, number]>;
  minr: number[];
  maxr: number[];
  targetPid: number[];
  regions: Array<Array<[number, number]>>;
  numaNode: number[][];
  nrTargets?: number[] | undefined;
  nrSchemes?: number[] | undefined;
  nrCtxs?: number[] | undefined;
  schemes: readonly Scheme[];
}

export interface ResolvedContext {
  ops: Ops;
  intervals: Intervals;
  intervalsGoal?: IntervalsGoalParams;
  nrRegions: NrRegionsRange;
  targets: KdamondTarget[];
  schemes: Scheme[];
}

export interface ResolvedKdamond {
  contexts: ResolvedContext[];
}

/** An empty set of flags (everything default), to build on. */
export function noDamonParamsFlags(): DamonParamsFlags {
  return { ops: [], monitoringIntervals: [], sample: [], aggr: [], updr: [], intervalsGoal: [], nrRegionsRange: [], minr: [], maxr: [], targetPid: [], regions: [], numaNode: [], schemes: [] };
}

function sum(list: readonly number[]): number {
  return list.reduce((a, b) => a + b, 0);
}

function nrContextsOf(f: DamonParamsFlags): number {
  const lengths = [f.ops, f.sample, f.aggr, f.updr, f.minr, f.maxr, f.monitoringIntervals, f.intervalsGoal, f.nrRegionsRange].map((l) => l.length);
  if (f.nrTargets !== undefined) lengths.push(f.nrTargets.length);
  if (f.nrSchemes !== undefined) lengths.push(f.nrSchemes.length);
  return Math.max(1, ...lengths);
}

/** damo's deduction from the positional target, applied to the flags. */
function deduce(f: DamonParamsFlags): DamonParamsFlags {
  const t = f.deduced;
  if (t === undefined) return f;
  if (t.kind === 'ongoing') throw usageError("'ongoing' is a target of damo record, not of damo start or args damon");
  if (t.kind === 'command') {
    throw usageError(`damo start monitors a running process or physical memory, not a command ('${t.display}')`, 'start the workload first and give its pid, or use damo record / damo schemes -c for a command');
  }
  if (t.kind === 'paddr') {
    const others = f.ops.filter((o) => o !== 'paddr');
    if (others.length > 0) throw usageError(`--ops ${others[0] as string}: the target is paddr`, 'drop the paddr target to give each context its own --ops');
    return { ...f, ops: ['paddr'], targetPid: [] };
  }
  if (f.ops.length > 1) throw usageError(`a pid target is one context, but --ops is given ${f.ops.length} times`, 'give the pids with --target_pid to set up several contexts');
  if (f.ops[0] === 'paddr') throw usageError('--ops paddr: the target is a process', "physical memory is the 'paddr' target");
  const ops: Ops = f.ops[0] ?? (f.regions.length > 0 ? 'fvaddr' : 'vaddr');
  return { ...f, ops: [ops], targetPid: t.pids };
}

function contextAt(f: DamonParamsFlags, i: number): Omit<ResolvedContext, 'targets' | 'schemes'> {
  const ops = f.ops[i] ?? (f.targetPid[i] === undefined ? 'paddr' : 'vaddr');
  const intervals = { ...DEFAULT_INTERVALS };
  const triple = f.monitoringIntervals[i];
  if (triple !== undefined) [intervals.sampleUs, intervals.aggrUs, intervals.opsUpdateUs] = triple;
  intervals.sampleUs = f.sample[i] ?? intervals.sampleUs;
  intervals.aggrUs = f.aggr[i] ?? intervals.aggrUs;
  intervals.opsUpdateUs = f.updr[i] ?? intervals.opsUpdateUs;
  const nrRegions = { ...DEFAULT_NR_REGIONS };
  const pair = f.nrRegionsRange[i];
  if (pair !== undefined) [nrRegions.min, nrRegions.max] = pair;
  nrRegions.min = f.minr[i] ?? nrRegions.min;
  nrRegions.max = f.maxr[i] ?? nrRegions.max;
  const goal = f.intervalsAutotune === true ? { ...AUTOTUNE_INTERVALS_GOAL } : f.intervalsGoal[i];
  return { ops, intervals, nrRegions, ...(goal === undefined ? {} : { intervalsGoal: goal }) };
}

function targetAt(f: DamonParamsFlags, i: number, ops: Ops, files: HostFiles): KdamondTarget {
  const regions = f.regions[i];
  const nodes = f.numaNode[i];
  const pid = f.targetPid[i];
  const where = `target ${i}`;
  if (nodes !== undefined && ops !== 'paddr') {
    throw usageError(`--numa_node ${nodes.join(' ')} (${where}): only a paddr target is limited to NUMA nodes, and this target is monitored with ${ops}`, 'the i-th --numa_node is for the i-th target; put the paddr contexts first to give only their targets --numa_node');
  }
  if (nodes !== undefined && regions !== undefined) throw usageError(`--numa_node ${nodes.join(' ')} and --regions both give the regions of ${where}; give one of them`);
  if (ops === 'paddr') {
    if (regions !== undefined) return { regions };
    if (nodes !== undefined) return { regions: numaNodeRegions(files, nodes) };
    return { regions: [defaultPaddrRegion(() => files.readText('/proc/iomem'), 'span')] };
  }
  if (pid === undefined) throw usageError(`${where} is monitored with ${ops} and needs a process: give its pid (--target_pid, or as the target)`, 'without a pid, --ops paddr monitors physical memory');
  return regions === undefined ? { pid } : { pid, regions };
}

/** The kdamonds the flags describe, or a usage error saying what does not add up. */
export function resolveDamonParams(flags: DamonParamsFlags, files: HostFiles): ResolvedKdamond[] {
  const f = deduce(flags);
  const nrCtxs = nrContextsOf(f);
  const nrTargetsTotal = Math.max(f.targetPid.length, f.regions.length, f.numaNode.length, nrCtxs);
  const contexts = Array.from({ length: nrCtxs }, (_, i) => contextAt(f, i));

  let nrTargets = f.nrTargets;
  if (nrTargets === undefined) {
    if (nrCtxs !== 1) throw usageError(`${nrCtxs} contexts need --nr_targets: how many targets each context takes, in order`, `e.g. --nr_targets ${new Array<string>(nrCtxs).fill('1').join(' ')}`);
    nrTargets = [nrTargetsTotal];
  }
  if (sum(nrTargets) !== nrTargetsTotal) {
    throw usageError(`--nr_targets ${nrTargets.join(' ')} adds up to ${sum(nrTargets)}, but ${nrTargetsTotal} targets are given (each --target_pid, --regions or --numa_node is one, and each context has at least one)`);
  }
  if (nrTargets.length !== nrCtxs) throw usageError(`--nr_targets ${nrTargets.join(' ')} gives ${nrTargets.length} contexts, but ${nrCtxs} are given (by the most of --ops, --monitoring_* and -s/-a/-u/-n/-m occurrences, or --nr_schemes)`);
  let at = 0;
  const targets = contexts.map((c, ci) => {
    const n = nrTargets[ci] as number;
    const out: KdamondTarget[] = [];
    for (let ti = at; ti < at + n; ti++) out.push(targetAt(f, ti, c.ops, files));
    at += n;
    return out;
  });

  let nrSchemes = f.nrSchemes;
  if (nrSchemes === undefined) {
    if (nrCtxs !== 1 && f.schemes.length > 0) throw usageError(`${f.schemes.length} schemes for ${nrCtxs} contexts need --nr_schemes: how many schemes each context takes, in order`);
    nrSchemes = [f.schemes.length, ...new Array<number>(nrCtxs - 1).fill(0)];
  }
  if (sum(nrSchemes) !== f.schemes.length) throw usageError(`--nr_schemes ${nrSchemes.join(' ')} adds up to ${sum(nrSchemes)}, but ${f.schemes.length} schemes are given (each --damos_action starts one)`);
  if (nrSchemes.length !== nrCtxs) throw usageError(`--nr_schemes ${nrSchemes.join(' ')} gives ${nrSchemes.length} contexts, but ${nrCtxs} are given`);
  at = 0;
  const resolved: ResolvedContext[] = contexts.map((c, ci) => {
    const n = nrSchemes[ci] as number;
    const schemes = f.schemes.slice(at, at + n);
    at += n;
    return { ...c, targets: targets[ci] as KdamondTarget[], schemes };
  });

  const nrCtxsList = f.nrCtxs ?? [nrCtxs];
  if (sum(nrCtxsList) !== nrCtxs) throw usageError(`--nr_ctxs ${nrCtxsList.join(' ')} adds up to ${sum(nrCtxsList)}, but ${nrCtxs} contexts are given`, 'give how many contexts each kdamond takes, in order; their sum is the number of contexts');
  at = 0;
  return nrCtxsList.map((n) => {
    const kd = { contexts: resolved.slice(at, at + n) };
    at += n;
    return kd;
  });
}
