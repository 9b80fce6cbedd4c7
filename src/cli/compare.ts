// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from 'commander';

import { DamoError } from '../core/errors.js';
import type { CommandContext } from './context.js';
import { exactOption } from './damo_command.js';
import { ExitCode } from './exit_code.js';
import { collectIntegers, parseCorrelation, parseFraction, parseNonNegativeInteger, parsePercent, parsePositiveInteger, parsePositiveTimeUs } from './values.js';

interface CompareCliOptions {
  mapping?: string;
  target_a: number;
  target_b?: number;
  resol?: number[];
  hot_threshold: number;
  percentiles?: number[];
  acc_thres: number;
  work_time?: number;
  json?: boolean;
  strict?: boolean;
  max_wss_error?: number;
  min_correlation?: number;
  min_recall?: number;
}

export function registerCompare(program: Command, ctx: CommandContext): void {
  program
    .command('compare')
    .summary('score how closely one recording matches another (e.g. a replay against its original)')
    .description(
      'Score recording B against recording A: the working set size at percentiles (damo\'s ' +
        'definition: bytes of regions with nr_accesses >= --acc_thres, per snapshot), the Pearson ' +
        'correlation of their heatmaps on one time x address grid (gaps between areas dropped), ' +
        "and the recall of A's hot cells in B.\n\n" +
        'With --mapping (written by `damo replay`), B is a recording of the replay: its addresses ' +
        "and times are first mapped back into A's. Without it, both are taken to be of the same " +
        'address space, aligned at their first snapshots.',
    )
    .argument('<a>', 'reference recording (e.g. the original trace)')
    .argument('<b>', 'recording to score (e.g. a recording of its replay)')
    .option('--mapping <file>', 'replay mapping from `damo replay --mapping`, to put B into A\'s coordinates')
    .option('--target_a <index>', 'target of A to compare', parseNonNegativeInteger, 0)
    .option('--target_b <index>', 'target of B (default: the mapping\'s pid, else 0)', parseNonNegativeInteger)
    .addOption(exactOption('--resol <time_address...>', 'heatmap grid: <time bins> <address bins> (default: one bin per snapshot of A up to 500, and 200)', 2).argParser(collectIntegers))
    .option('--hot_threshold <f>', 'a pixel is hot at this fraction of its recording\'s hottest pixel', parseFraction, 0.5)
    .option('--percentiles <p...>', 'working set percentiles to compare (default 10 25 50 75 90)', collectIntegers)
    .option('--acc_thres <n>', 'nr_accesses from which a region counts in the working set', parsePositiveInteger, 1)
    .option('--work_time <us>', "compare working sets of snapshot groups spanning at least this many microseconds (or with a unit; damo's --work_time), for recordings with different aggregation intervals", parsePositiveTimeUs)
    .option('--json', 'print the result as JSON')
    .option('--strict', 'fail on truncated or damaged recordings instead of reading around the damage')
    .option('--max_wss_error <pct>', 'exit 1 if any working-set percentile error exceeds this (in %)', parsePercent)
    .option('--min_correlation <r>', 'exit 1 if the heatmap correlation is below this', parseCorrelation)
    .option('--min_recall <r>', 'exit 1 if the hot-region recall is below this', parseFraction)
    .addHelpText(
      'after',
      `
Examples:
  $ damo compare kernel.data native.data
  $ damo compare orig.data replayed.data --mapping map.json --json
  $ damo compare orig.data replayed.data --mapping map.json --max_wss_error 10 --min_correlation 0.8`,
    )
    .action(async (a: string, b: string, opts: CompareCliOptions) => {
      const resol = opts.resol;
      if (resol !== undefined && (resol.length !== 2 || resol.some((n) => n <= 0 || n > 4000))) {
        throw new DamoError('E_USAGE', '--resol takes two numbers in [1, 4000]: <time bins> <address bins>');
      }
      const percentiles = opts.percentiles ?? [10, 25, 50, 75, 90];
      if (percentiles.some((p) => p < 0 || p > 100)) throw new DamoError('E_USAGE', '--percentiles must be in [0, 100]');
      const { runCompareCommand } = await import('../replay/compare_command.js');
      const code = await runCompareCommand(ctx.io, {
        a,
        b,
        mapping: opts.mapping,
        targetA: opts.target_a,
        targetB: opts.target_b,
        resol: resol as [number, number] | undefined,
        hotThreshold: opts.hot_threshold,
        percentiles,
        accThres: opts.acc_thres,
        workTimeUs: opts.work_time,
        json: opts.json === true,
        strict: opts.strict === true,
        maxWssErrorPct: opts.max_wss_error,
        minCorrelation: opts.min_correlation,
        minRecall: opts.min_recall,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
