// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo args damon`: print the kdamonds that DAMON parameter flags resolve to (damo 3.3.0).
 * Parsing only; the work is in src/record/kdamond/args_damon.ts.
 */
import { Option, type Command } from './commander.js';

import { DAMON_OPS, type Ops } from '../core/model.js';
import type { CommandContext } from './context.js';
import { exactOption } from './damo_command.js';
import { addDamosOptions, schemesOfOptions, type DamosCliOptions } from './damos_options.js';
import { ExitCode } from './exit_code.js';
import { resolveMonitoring } from './monitoring.js';
import { DamoError } from '../core/errors.js';
import { collectIntegers, optionValue, parseBpValue, parsePositiveInteger, parseTimeUs } from './values.js';

interface ArgsDamonCliOptions extends DamosCliOptions {
  schemes?: string;
  monitoring_intervals_goal?: string[];
  ops?: Ops;
  monitoring_intervals?: string[];
  monitoring_nr_regions_range?: string[];
  sample?: string;
  aggr?: string;
  updr?: string;
  minr?: number;
  maxr?: number;
  regions?: string[];
  target_pid?: number[];
  format: 'json' | 'yaml' | 'report';
  raw?: boolean;
}

export function registerArgs(program: Command, ctx: CommandContext): void {
  const args = program
    .command('args')
    .summary('print the DAMON parameters that command-line flags resolve to')
    .addHelpText(
      'after',
      `
Examples:
  $ damo args damon paddr --format yaml`,
    );
  const damon = args
    .command('damon')
    .summary('print the kdamonds that DAMON parameter flags resolve to (damo args damon)')
    .description(
      "Resolve the target and DAMON parameter flags the way 'damo start' does and print the " +
        "resulting kdamonds in damo 3.3.0's layout (JSON, YAML, or the 'report damon' text), " +
        'without touching the kernel.',
    )
    .argument('[target...]', "pid(s) of running processes, or 'paddr'")
    .addOption(new Option('--ops <ops>', 'DAMON operations set (default: paddr for paddr, fvaddr with --regions, else vaddr)').choices(DAMON_OPS))
    .addOption(exactOption('--monitoring_intervals <times...>', 'sampling, aggregation and ops-update intervals, with units', 3))
    .addOption(exactOption('--monitoring_nr_regions_range <nr...>', 'minimum and maximum number of regions', 2))
    .addOption(exactOption('-r, --regions <ranges...>', 'fixed ranges to monitor, "<start>-<end> ..." (fvaddr and paddr)', 1))
    .option('-s, --sample <us>', 'sampling interval in microseconds (or with a unit)')
    .option('-a, --aggr <us>', 'aggregation interval in microseconds (or with a unit)')
    .option('-u, --updr <us>', 'ops-update interval in microseconds (or with a unit)')
    .option('-n, --minr <nr>', 'minimum number of regions', parsePositiveInteger)
    .option('-m, --maxr <nr>', 'maximum number of regions', parsePositiveInteger)
    .option('--target_pid <pid>', 'pid of a target (repeatable), as an option', collectIntegers)
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'yaml', 'report']).default('json'))
    .option('--raw', 'plain numbers instead of human units')
    .option('-c, --schemes <file>', "schemes: a file (damo JSON or the one-line language), or the scheme text itself")
    .addOption(exactOption('--monitoring_intervals_goal <goal...>', 'intervals auto-tuning goal: <access_bp> <aggrs> <min_sample_us> <max_sample_us> (e.g. 4% 3 5ms 10s)', 4));
  addDamosOptions(damon)
    .addHelpText(
      'after',
      `
Examples:
  $ damo args damon paddr --monitoring_intervals 10ms 200ms 2s > kdamonds.json
  $ damo args damon 1234 --format yaml
  $ damo args damon paddr --damos_action lru_deprio --damos_access_rate 0% 0% --damos_age 10s max --damos_filter reject young`,
    )
    .action(async (targets: string[], opts: ArgsDamonCliOptions) => {
      const [{ runArgsDamonCliCommand }] = await Promise.all([import('../record/kdamond/control_command.js')]);
      const m = resolveMonitoring(targets, opts, true, true);
      const schemes = (await schemesOfOptions(opts)) ?? [];
      const intervalsGoal = intervalsGoalOf(opts.monitoring_intervals_goal);
      const code = runArgsDamonCliCommand(ctx.io, { target: m.target, ops: opts.ops, regions: m.regions, intervals: m.intervals, nrRegions: m.nrRegions, format: opts.format, raw: opts.raw === true, schemes, intervalsGoal });
      if (code !== 0) throw new ExitCode(code);
    });
}

/** damo's `--monitoring_intervals_goal <access_bp> <aggrs> <min_sample_us> <max_sample_us>`. */
function intervalsGoalOf(words: string[] | undefined): { accessBp: number; aggrs: number; minSampleUs: number; maxSampleUs: number } | undefined {
  if (words === undefined) return undefined;
  const flag = '--monitoring_intervals_goal';
  if (words.length !== 4) throw new DamoError('E_USAGE', `${flag} takes 4 values, <access_bp> <aggrs> <min_sample_us> <max_sample_us> (got ${words.length})`);
  return {
    accessBp: optionValue(flag, words[0] as string, parseBpValue),
    aggrs: optionValue(flag, words[1] as string, parsePositiveInteger),
    minSampleUs: optionValue(flag, words[2] as string, parseTimeUs),
    maxSampleUs: optionValue(flag, words[3] as string, parseTimeUs),
  };
}
