// SPDX-License-Identifier: GPL-2.0-only
/**
 * Options shared by the commands that monitor a target (`damo record`, `damo schemes -c`):
 * intervals, region counts, targets, timeout, kernel roots. Parsing only; the monitoring
 * itself lives in src/record.
 */
import { Option, type Command } from './commander.js';

import { DEFAULT_INTERVALS, DEFAULT_NR_REGIONS } from '../core/damon_constants.js';
import { formatTimeNs } from '../core/fmt.js';
import { DAMON_OPS, type Intervals, type NrRegionsRange, type Ops } from '../core/model.js';
import type { KernelRoots } from '../record/roots.js';
import { RECORD_PRIMITIVES } from '../native/primitives.js';
import { DEFAULT_ROOTS } from '../record/roots.js';
import type { TargetSpec } from '../record/target.js';
import { exactOption } from './damo_command.js';
import { parseTargetArgs } from './targets.js';
import { collectIntegers, optionValue, parseAddressRanges, parsePositiveInteger, parseSeconds, parseTimeUs, valuesOf } from './values.js';

export interface MonitoringCliOptions {
  sample?: string;
  aggr?: string;
  updr?: string;
  monitoring_intervals?: string[];
  minr?: number;
  maxr?: number;
  monitoring_nr_regions_range?: string[];
  ops?: Ops;
  regions?: string[];
  target_pid?: number[];
  shell?: boolean;
  timeout?: number;
  primitive?: string;
  sysfs_root?: string;
  tracefs_root?: string;
  debugfs_root?: string;
  quiet?: boolean;
  json?: boolean;
}

/** '5ms' for 5000 microseconds. */
export function compactTime(us: number): string {
  return formatTimeNs(us * 1000, false).replace(' ', '');
}

/** Adds the monitoring options (after the command's own). */
export function addMonitoringOptions(cmd: Command, jsonHelp: string): Command {
  return cmd
    .addOption(exactOption('--monitoring_intervals <times...>', `sampling, aggregation and ops-update intervals, with units (default: ${[DEFAULT_INTERVALS.sampleUs, DEFAULT_INTERVALS.aggrUs, DEFAULT_INTERVALS.opsUpdateUs].map(compactTime).join(' ')})`, 3))
    .option('-s, --sample <us>', 'sampling interval in microseconds (or with a unit)')
    .option('-a, --aggr <us>', 'aggregation interval in microseconds (or with a unit)')
    .option('-u, --updr <us>', 'ops-update interval in microseconds (or with a unit)')
    .addOption(exactOption('--monitoring_nr_regions_range <nr...>', `minimum and maximum number of regions (default: ${DEFAULT_NR_REGIONS.min} ${DEFAULT_NR_REGIONS.max})`, 2))
    .option('-n, --minr <nr>', 'minimum number of regions', parsePositiveInteger)
    .option('-m, --maxr <nr>', 'maximum number of regions', parsePositiveInteger)
    .addOption(new Option('--ops <ops>', 'DAMON operations set (default: paddr for paddr, fvaddr with -r, else vaddr)').choices(DAMON_OPS))
    .addOption(exactOption('-r, --regions <ranges...>', 'fixed ranges to monitor, "<start>-<end> ..." as one argument, or repeated (fvaddr and paddr)', 1))
    .option('--target_pid <pid>', 'pid of a target (repeatable), as an option', collectIntegers)
    .option('--shell', 'run the command through /bin/sh -c (for pipes, globs, variables)')
    .option('--timeout <seconds>', 'stop after this many seconds', parseSeconds)
    .addOption(new Option('--primitive <primitive>', 'access-check primitive of the native engine').choices(RECORD_PRIMITIVES))
    .option('--sysfs_root <dir>', 'DAMON sysfs admin directory', DEFAULT_ROOTS.sysfs)
    .option('--tracefs_root <dir>', 'tracefs mount point', DEFAULT_ROOTS.tracefs)
    .option('--debugfs_root <dir>', 'DAMON debugfs directory', DEFAULT_ROOTS.debugfs)
    .option('-q, --quiet', 'print nothing but errors')
    .option('--json', jsonHelp);
}

export interface Monitoring {
  target: TargetSpec;
  intervals: Intervals;
  nrRegions: NrRegionsRange;
  regions: Array<[number, number]> | null;
  timeoutSec: number | undefined;
  roots: KernelRoots;
}

/** Resolves the shared options; throws E_USAGE naming the bad option. */
/**
 * `paddrByDefault`: no target at all means physical memory, as damo 3.3.0's start and args
 * damon deduce it; record and schemes -c still ask for a target.
 */
export function resolveMonitoring(args: string[], opts: MonitoringCliOptions, forSchemes = false, paddrByDefault = false): Monitoring {
  const intervals = { ...DEFAULT_INTERVALS };
  const triple = valuesOf('--monitoring_intervals', opts.monitoring_intervals, 3, '<sample> <aggr> <ops_update>');
  if (triple !== undefined) {
    [intervals.sampleUs, intervals.aggrUs, intervals.opsUpdateUs] = triple.map((t) => optionValue('--monitoring_intervals', t, parseTimeUs)) as [number, number, number];
  }
  if (opts.sample !== undefined) intervals.sampleUs = optionValue('-s/--sample', opts.sample, parseTimeUs);
  if (opts.aggr !== undefined) intervals.aggrUs = optionValue('-a/--aggr', opts.aggr, parseTimeUs);
  if (opts.updr !== undefined) intervals.opsUpdateUs = optionValue('-u/--updr', opts.updr, parseTimeUs);
  const nrRegions = { ...DEFAULT_NR_REGIONS };
  const pair = valuesOf('--monitoring_nr_regions_range', opts.monitoring_nr_regions_range, 2, '<min> <max>');
  if (pair !== undefined) {
    [nrRegions.min, nrRegions.max] = pair.map((x) => optionValue('--monitoring_nr_regions_range', x, parsePositiveInteger)) as [number, number];
  }
  if (opts.minr !== undefined) nrRegions.min = opts.minr;
  if (opts.maxr !== undefined) nrRegions.max = opts.maxr;
  // damo deduces physical memory from `--ops paddr` alone (`damo start --ops paddr -c FILE`).
  const noTarget = args.length === 0 && opts.target_pid === undefined;
  const deducedArgs = noTarget && (opts.ops === 'paddr' || (paddrByDefault && opts.ops === undefined)) ? ['paddr'] : args;
  const target = parseTargetArgs(deducedArgs, { shell: opts.shell === true, forSchemes, ...(opts.target_pid !== undefined ? { targetPids: opts.target_pid } : {}) });
  return {
    target,
    intervals,
    nrRegions,
    regions: opts.regions !== undefined ? parseAddressRanges(opts.regions, '--regions') : null,
    timeoutSec: opts.timeout,
    roots: { sysfs: opts.sysfs_root ?? DEFAULT_ROOTS.sysfs, tracefs: opts.tracefs_root ?? DEFAULT_ROOTS.tracefs, debugfs: opts.debugfs_root ?? DEFAULT_ROOTS.debugfs },
  };
}

/** The command line as typed, for the trace header's provenance. */
export function rawArgsOf(cmd: Command): string[] {
  // Commander keeps the arguments it parsed in rawArgs (not in its type definitions).
  const raw = (cmd.parent as unknown as { rawArgs?: unknown } | null)?.rawArgs;
  return Array.isArray(raw) ? raw.map(String) : ['record'];
}
