// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo validate` (damo 3.3.0): option parsing only; it runs in src/report/validate_command.ts.
 */
import type { Command } from 'commander';

import { DamoError } from '../core/errors.js';
import type { CommandContext } from './context.js';
import { ExitCode } from './exit_code.js';
import { optionValue, parseInteger, parsePercent, valuesOf } from './values.js';
import { exactOption } from './damo_command.js';

interface ValidateCliOptions {
  input: string;
  aggr?: string[];
  nr_regions?: string[];
  nr_accesses?: string[];
  allow_error: number;
  regions_boundary?: string[];
  count_warmup?: boolean;
}

function minMax(option: string, values: string[] | undefined, dflt: [number, number]): [number, number] {
  const v = valuesOf(option, values, 2, '<min> <max>');
  if (v === undefined) return dflt;
  const out = v.map((x) => optionValue(option, x, parseInteger)) as [number, number];
  if (out[0] < 0) throw new DamoError('E_USAGE', `${option}: min ${out[0]} is negative; give counts and intervals of 0 or more`);
  if (out[0] > out[1]) throw new DamoError('E_USAGE', `${option}: min ${out[0]} is above max ${out[1]}`);
  return out;
}

function boundary(text: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (m === null) throw new DamoError('E_USAGE', `--regions_boundary: '${text}' is not <start>-<end> (decimal addresses, e.g. 4096-8192)`);
  const b: [number, number] = [Number(m[1]), Number(m[2])];
  if (b[0] >= b[1]) throw new DamoError('E_USAGE', `--regions_boundary: '${text}' is empty (start is not below end)`);
  return b;
}

export function registerValidate(program: Command, ctx: CommandContext): void {
  program
    .command('validate')
    .summary('check that a recording looks like a healthy DAMON run (damo validate)')
    .description(
      "Check a recording as damo 3.3.0's `damo validate` does: every snapshot's aggregation " +
        'interval (--aggr, us) and number of regions (--nr_regions) in range, except for ' +
        '--allow_error percent of each record\'s snapshots; every region non-empty, within ' +
        '--regions_boundary and with nr_accesses in range (--nr_accesses). Prints one line per ' +
        'violation and exits 1 if there is any; silent on stdout with exit 0 otherwise.\n\n' +
        "Unlike damo, a record's first snapshots that have fewer regions than --nr_regions' " +
        'minimum while their number grows at each one (DAMON splitting the regions a paddr or ' +
        'fvaddr target starts with) are not counted against --nr_regions, provided a later ' +
        "snapshot reaches it; stderr says how many. damo's recordings rarely hold that warm-up " +
        'because damo starts its tracer after DAMON; damo-ts records it. --count_warmup counts ' +
        'them as damo does.',
    )
    .option('-i, --input <file>', 'recording to check (any format damo-ts reads)', 'damon.data')
    .addOption(exactOption('--aggr <min_max...>', 'valid aggregation intervals in us (default 75000 125000)', 2))
    .addOption(exactOption('--nr_regions <min_max...>', 'valid numbers of regions (default 3 1200)', 2))
    .addOption(exactOption('--nr_accesses <min_max...>', 'valid nr_accesses per aggregation interval (default 0 24)', 2))
    .option('--allow_error <percent>', 'percent of snapshots allowed to miss --aggr and --nr_regions', parsePercent, 2)
    .option('--regions_boundary <start-end...>', 'regions must lie within one of these ranges')
    .option('--count_warmup', "count DAMON's warm-up snapshots against --nr_regions too, as damo 3.3.0 does")
    .addHelpText(
      'after',
      `
Examples:
  $ damo validate -i damon.data
  $ damo validate --aggr 90000 110000 --nr_regions 10 1000 --allow_error 5`,
    )
    .action(async (opts: ValidateCliOptions) => {
      const { runValidateCommand } = await import('../report/validate_command.js');
      const code = await runValidateCommand(ctx.io, {
        input: opts.input,
        aggrUs: minMax('--aggr', opts.aggr, [75000, 125000]),
        nrRegions: minMax('--nr_regions', opts.nr_regions, [3, 1200]),
        nrAccesses: minMax('--nr_accesses', opts.nr_accesses, [0, 24]),
        allowErrorPercent: opts.allow_error,
        regionsBoundary: (opts.regions_boundary ?? []).map(boundary),
        countWarmup: opts.count_warmup === true,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
