// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's DAMON parameter flags of `args damon` and `start`: the context flags (`--ops`,
 * `--monitoring_*`, `-s/-a/-u/-n/-m`) and target flags (`--target_pid`, `-r/--regions`,
 * `--numa_node`), each repeatable, one occurrence per context or target, and the counts that
 * split them (`--nr_targets`, `--nr_schemes`, `--nr_ctxs`). Parsing only; they are resolved
 * into kdamonds in src/record/kdamond/damon_params.ts.
 */
import { InvalidArgumentError, Option, type Command } from './commander.js';

import { AUTOTUNE_INTERVALS_GOAL } from '../core/damon_constants.js';
import { DAMON_OPS, type Ops } from '../core/model.js';
import { DamoError } from '../core/errors.js';
import type { DamonParamsFlags, IntervalsGoalParams } from '../record/kdamond/control_command.js';
import type { Scheme } from '../schemes/model.js';
import { exactGroupsOption, exactOption, groupsOption } from './damo_command.js';
import { compactTime } from './monitoring.js';
import { parseTargetArgs } from './targets.js';
import { optionValue, parseAddressRanges, parseBpValue, parseNonNegativeInteger, parsePositiveInteger, parseTimeUs } from './values.js';

export interface DamonParamsCliOptions {
  ops?: Ops[];
  monitoring_intervals?: string[][];
  monitoring_intervals_goal?: string[][];
  monitoring_intervals_autotune?: boolean;
  monitoring_nr_regions_range?: string[][];
  sample?: string[];
  aggr?: string[];
  updr?: string[];
  minr?: string[];
  maxr?: string[];
  regions?: string[];
  target_pid?: number[];
  numa_node?: string[][];
  nr_targets?: number[];
  nr_schemes?: number[];
  nr_ctxs?: number[];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function collectCounts(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), parseNonNegativeInteger(value)];
}

function collectPids(value: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), parsePositiveInteger(value)];
}

function opsOption(): Option {
  const option = new Option('--ops <ops>', 'DAMON operations set of a context (repeat for each context; default: vaddr when the target of the same index has a pid, else paddr)').choices(DAMON_OPS);
  // After choices(), so that --help still lists them: validate, then keep every occurrence.
  return option.argParser((value: string, previous: Ops[] | undefined) => {
    if (!(DAMON_OPS as readonly string[]).includes(value)) throw new InvalidArgumentError(`Allowed choices are ${DAMON_OPS.join(', ')}.`);
    return [...(previous ?? []), value as Ops];
  });
}

const AUTOTUNE_WORDS = describeGoalWords(AUTOTUNE_INTERVALS_GOAL);

function describeGoalWords(g: Readonly<IntervalsGoalParams>): string {
  return `${g.accessBp / 100}% ${g.aggrs} ${compactTime(g.minSampleUs)} ${compactTime(g.maxSampleUs)}`;
}

/**
 * `--monitoring_intervals_goal`, as `start`, `tune`, `args damon` and `record` take it: four
 * words per occurrence, kept per occurrence (`whose`: what one occurrence tunes).
 */
export function intervalsGoalOption(whose: string, repeat: string): Option {
  return exactGroupsOption(
    '--monitoring_intervals_goal <goal...>',
    `<access_bp> <aggrs> <min_sample_us> <max_sample_us>: let DAMON tune ${whose}'s sampling and aggregation intervals (Linux 6.15+) so that <access_bp> of the possible accesses are seen per <aggrs> aggregations, sampling between the two bounds (e.g. ${AUTOTUNE_WORDS}; aggrs 0 is no tuning${repeat})`,
    4,
  );
}

/** `--monitoring_intervals_autotune`: damo's default goal, in place of --monitoring_intervals_goal. */
export function intervalsAutotuneOption(whom: string): Option {
  return new Option('--monitoring_intervals_autotune', `give ${whom} the intervals auto-tuning goal ${AUTOTUNE_WORDS} (Linux 6.15+), in place of --monitoring_intervals_goal`);
}

/**
 * The goal of a command that monitors one context (`record`, `tune`'s single form):
 * --monitoring_intervals_autotune's (which wins, as in damo), the one given, or undefined.
 */
export function singleIntervalsGoalOf(o: Pick<DamonParamsCliOptions, 'monitoring_intervals_goal' | 'monitoring_intervals_autotune'>, command: string): IntervalsGoalParams | undefined {
  if (o.monitoring_intervals_autotune === true) return { ...AUTOTUNE_INTERVALS_GOAL };
  const goals = intervalsGoalsOf(o);
  if (goals.length > 1) throw new DamoError('E_USAGE', `${command} monitors one context, but --monitoring_intervals_goal was given ${goals.length} times`, { hint: 'give it once' });
  return goals[0];
}

export function addDamonParamsOptions(cmd: Command): Command {
  return cmd
    .addOption(opsOption())
    .addOption(exactGroupsOption('--monitoring_intervals <times...>', 'sampling, aggregation and ops-update intervals of a context, with units (repeat for each context)', 3))
    .addOption(intervalsGoalOption('a context', '; repeat for each context'))
    .addOption(intervalsAutotuneOption('every context'))
    .addOption(exactGroupsOption('--monitoring_nr_regions_range <nr...>', 'minimum and maximum number of regions of a context (repeat for each context)', 2))
    .addOption(exactOption('-r, --regions <ranges...>', 'fixed ranges of a target, "<start>-<end> ..." as one argument (repeat for each target; fvaddr and paddr)', 1))
    .option('--target_pid <pid>', 'pid of a target (repeat for each target)', collectPids)
    .addOption(groupsOption('--numa_node <ids...>', "limit a paddr target to the System RAM of these NUMA node(s) (repeat for each target)"))
    .option('--nr_targets <nr...>', 'how many targets each context takes, in order (needed with several contexts)', collectCounts)
    .option('--nr_schemes <nr...>', 'how many schemes each context takes, in order (needed with several contexts and schemes)', collectCounts)
    .option('--nr_ctxs <nr...>', 'how many contexts each kdamond takes, in order (default: one kdamond with every context)', collectCounts)
    .option('-s, --sample <us>', 'sampling interval of a context in microseconds, or with a unit (repeatable)', collect)
    .option('-a, --aggr <us>', 'aggregation interval of a context in microseconds, or with a unit (repeatable)', collect)
    .option('-u, --updr <us>', 'ops-update interval of a context in microseconds, or with a unit (repeatable)', collect)
    .option('-n, --minr <nr>', 'minimum number of regions of a context (repeatable)', collect)
    .option('-m, --maxr <nr>', 'maximum number of regions of a context (repeatable)', collect);
}

/** Each occurrence's words, checked to be `count` of them. */
function groups(flag: string, list: string[][] | undefined, count: number, what: string): string[][] {
  for (const g of list ?? []) {
    if (g.length !== count) throw new DamoError('E_USAGE', `${flag} takes ${count} values each time, ${what} (got ${g.length}${g.length > 0 ? `: ${g.join(' ')}` : ''})`);
  }
  return list ?? [];
}

/** One `--monitoring_intervals_goal` occurrence (aggrs 0 is DAMON's "no tuning", as damo accepts it). */
export function intervalsGoalOf(words: string[]): IntervalsGoalParams {
  const flag = '--monitoring_intervals_goal';
  return {
    accessBp: optionValue(`${flag} <access_bp>`, words[0] as string, parseBpValue),
    aggrs: optionValue(`${flag} <aggrs>`, words[1] as string, parseNonNegativeInteger),
    minSampleUs: optionValue(`${flag} <min_sample_us>`, words[2] as string, parseTimeUs),
    maxSampleUs: optionValue(`${flag} <max_sample_us>`, words[3] as string, parseTimeUs),
  };
}

function nodeIdsOf(words: string[]): number[] {
  if (words.length === 0) throw new DamoError('E_USAGE', '--numa_node takes one or more node ids');
  return words.map((w) => {
    if (!/^\d+$/.test(w.trim())) throw new DamoError('E_USAGE', `--numa_node ${words.join(' ')}: '${w}' is not a node id (a non-negative integer, as in /sys/devices/system/node/node<id>)`);
    return Number(w);
  });
}

/** Every `--monitoring_intervals_goal` occurrence, checked. */
export function intervalsGoalsOf(o: Pick<DamonParamsCliOptions, 'monitoring_intervals_goal'>): IntervalsGoalParams[] {
  return groups('--monitoring_intervals_goal', o.monitoring_intervals_goal, 4, '<access_bp> <aggrs> <min_sample_us> <max_sample_us>').map(intervalsGoalOf);
}

/** The flags of the command line, for damon_params.ts; throws E_USAGE naming the bad option. */
export function damonParamsFlagsOf(args: string[], o: DamonParamsCliOptions, schemes: readonly Scheme[]): DamonParamsFlags {
  const times = (flag: string, list: string[] | undefined): number[] => (list ?? []).map((v) => optionValue(flag, v, parseTimeUs));
  const counts = (flag: string, list: string[] | undefined): number[] => (list ?? []).map((v) => optionValue(flag, v, parsePositiveInteger));
  return {
    ...(args.length > 0 ? { deduced: parseTargetArgs(args, { forSchemes: true, ...(o.target_pid !== undefined ? { targetPids: o.target_pid } : {}) }) } : {}),
    ops: o.ops ?? [],
    monitoringIntervals: groups('--monitoring_intervals', o.monitoring_intervals, 3, '<sample> <aggr> <update>').map((g) => g.map((t) => optionValue('--monitoring_intervals', t, parseTimeUs)) as [number, number, number]),
    sample: times('-s/--sample', o.sample),
    aggr: times('-a/--aggr', o.aggr),
    updr: times('-u/--updr', o.updr),
    intervalsGoal: intervalsGoalsOf(o),
    intervalsAutotune: o.monitoring_intervals_autotune === true,
    nrRegionsRange: groups('--monitoring_nr_regions_range', o.monitoring_nr_regions_range, 2, '<min> <max>').map((g) => g.map((x) => optionValue('--monitoring_nr_regions_range', x, parsePositiveInteger)) as [number, number]),
    minr: counts('-n/--minr', o.minr),
    maxr: counts('-m/--maxr', o.maxr),
    targetPid: o.target_pid ?? [],
    regions: (o.regions ?? []).map((r) => parseAddressRanges([r], '--regions')),
    numaNode: (o.numa_node ?? []).map(nodeIdsOf),
    nrTargets: o.nr_targets,
    nrSchemes: o.nr_schemes,
    nrCtxs: o.nr_ctxs,
    schemes,
  };
}

/** The options given, by name, for messages of commands that take only some of them. */
export function givenDamonParams(o: DamonParamsCliOptions): string[] {
  const given: Array<[string, unknown]> = [
    ['--ops', o.ops],
    ['--monitoring_intervals', o.monitoring_intervals],
    ['--monitoring_intervals_goal', o.monitoring_intervals_goal],
    ['--monitoring_intervals_autotune', o.monitoring_intervals_autotune],
    ['--monitoring_nr_regions_range', o.monitoring_nr_regions_range],
    ['--regions', o.regions],
    ['--target_pid', o.target_pid],
    ['--numa_node', o.numa_node],
    ['--nr_targets', o.nr_targets],
    ['--nr_schemes', o.nr_schemes],
    ['--nr_ctxs', o.nr_ctxs],
    ['-s/--sample', o.sample],
    ['-a/--aggr', o.aggr],
    ['-u/--updr', o.updr],
    ['-n/--minr', o.minr],
    ['-m/--maxr', o.maxr],
  ];
  return given.filter(([, v]) => v !== undefined).map(([name]) => name);
}
