// SPDX-License-Identifier: GPL-2.0-only
import { Option, type Command } from '../commander.js';

import { DamoError } from '../../core/errors.js';
import type { CommandContext } from '../context.js';
import { exactOption } from '../damo_command.js';
import { ExitCode } from '../exit_code.js';
import { parseInteger, parseRange, parseSize, parseTimeUs } from '../values.js';
import { addInputOptions } from './common.js';

interface WssCliOptions {
  input: string;
  strict?: boolean;
  range?: string[];
  exclude_samples: number;
  acc_thres: number;
  sz_thres: number;
  work_time: number;
  sortby: 'size' | 'time';
  per_target?: boolean;
  collapse_targets?: boolean;
  raw_number?: boolean;
  all_wss?: boolean;
  nr_cols_bar: number;
  json?: boolean;
  /** true: --plot without a file (draw in the terminal). */
  plot?: string | true;
}

export function registerWss(report: Command, ctx: CommandContext): void {
  const cmd = report
    .command('wss')
    .summary('print the distribution of working set sizes')
    .description(
      'Print the distribution of the working set size: per snapshot, the total size of the ' +
        'regions accessed at least --acc_thres times in the aggregation interval. The first ' +
        '--exclude_samples snapshots are skipped (DAMON is still adapting its regions), ' +
        'snapshots are re-aggregated into --work_time long groups, and all targets are summed ' +
        'into one list unless --per_target is given. Output is identical to damo\'s.',
    );
  addInputOptions(cmd)
    .addOption(exactOption('-r, --range <start_stop_step...>', 'percentiles to print, as Python range(start, stop, step) (default: 0 101 25)', 3))
    .option('--exclude_samples <n>', 'number of first snapshots to skip', parseInteger, 20)
    .option('-t, --acc_thres <n>', 'minimal nr_accesses for a region to count as working set', parseInteger, 1)
    .option('--sz_thres <bytes>', 'minimal size for a region to count as working set', parseSize, 1)
    .option('--work_time <us>', 'time each unit of work takes; snapshots are aggregated into groups this long', parseTimeUs, 1)
    .addOption(new Option('-s, --sortby <metric>', "sort the values by 'size', or keep them in 'time' order").choices(['size', 'time']).default('size'))
    .option('--per_target', 'report each target on its own instead of summing them')
    .option('--collapse_targets', 'sum all targets into one list (the default)')
    .option('--raw_number', 'print sizes as plain integers (bytes)')
    .option('--all_wss', 'print every value instead of percentiles')
    .option('--nr_cols_bar <n>', 'width of the bar chart (0 for none)', parseInteger, 59)
    .option('--json', 'print one JSON document (sizes in bytes) instead of text')
    .option('-p, --plot [file]', 'draw the distribution (with --sortby time: wss over time) instead of printing it: in the terminal, or into FILE.png, FILE.svg or FILE.pdf')
    .addHelpText(
      'after',
      `
Examples:
  $ damo report wss -i damon.data                      # 0/25/50/75/100th percentiles
  $ damo report wss -i damon.data -r 1 101 1 --raw_number
  $ damo report wss -i damon.data --work_time 1s --per_target
  $ damo report wss -i damon.data --sortby time --all_wss   # wss over time
  $ damo report wss -i damon.data --plot                  # the distribution, in the terminal
  $ damo report wss -i damon.data --plot wss.png          # the distribution as a picture
  $ damo report wss -i damon.data --json | jq '.targets[0].avr_wss_bytes'`,
    )
    .action(async (opts: WssCliOptions) => {
      const [{ percentilesOfRange }, { MAX_NR_COLS_BAR, WSS_DEFAULTS }] = await Promise.all([import('../../report/percentiles.js'), import('../../report/wss.js')]);
      const range = parseRange(opts.range) ?? [0, 101, 25];
      if (opts.nr_cols_bar > MAX_NR_COLS_BAR) {
        throw new DamoError('E_USAGE', `--nr_cols_bar: ${opts.nr_cols_bar} columns is too wide; the most is ${MAX_NR_COLS_BAR.toLocaleString('en-US')} (0 for no bar)`);
      }
      const allWss = opts.all_wss === true;
      const options = {
        ...WSS_DEFAULTS,
        // --all_wss prints every value, so damo ignores the range then; it is not built either.
        percentiles: allWss ? [] : percentilesOfRange('--range', range),
        excludeSamples: opts.exclude_samples,
        accThres: opts.acc_thres,
        szThres: opts.sz_thres,
        workTimeUs: opts.work_time,
        sortBy: opts.sortby,
        perTarget: opts.per_target === true,
        rawNumber: opts.raw_number === true,
        allWss,
        nrColsBar: opts.nr_cols_bar,
      };
      const { runWssCommand } = await import('../../report/wss_command.js');
      const code = await runWssCommand(ctx.io, { input: opts.input, strict: opts.strict === true, options, json: opts.json === true, plot: opts.plot });
      if (code !== 0) throw new ExitCode(code);
    });
}
