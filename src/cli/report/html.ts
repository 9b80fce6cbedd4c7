// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report html`: option parsing only; it runs in src/report/html_command.ts.
 */
import type { Command } from 'commander';

import type { CommandContext } from '../context.js';
import { exactOption } from '../damo_command.js';
import { ExitCode } from '../exit_code.js';
import { addressRangeOf, parseTargetId, timeRangeOf } from '../values.js';

interface HtmlOptions {
  input: string;
  output: string;
  schemes?: string;
  tid?: bigint;
  // commander keeps underscores in option keys: --time_range -> time_range.
  time_range?: string[];
  address_range?: string[];
  strict?: boolean;
}

export function registerHtml(report: Command, ctx: CommandContext): void {
  report
    .command('html')
    .summary('one self-contained interactive page: heatmaps, working set, regions, facts')
    .description(
      'Write one HTML file that opens from disk in any current browser, with no network: a ' +
        'heatmap of each target and each of its contiguous address ranges (zoom with the wheel, ' +
        'drag to pan, Shift-drag to zoom to a box, double-click to reset, hover for the time, ' +
        'address range, access frequency and age of a cell), the working set size and nr_regions ' +
        'over time and the working set distribution, linked by the hovered time, and the ' +
        "recording's facts. With -c, the simulation of the schemes over time (damo simulate).\n\n" +
        'Heatmap cells and colours are those of report heats --heatmap; a recording too large for ' +
        'the page (about 5 MB) is shown at a coarser resolution, and the page says so.',
    )
    .option('-i, --input <file>', 'recording to read (any format damo-ts reads)', 'damon.data')
    .option('-o, --output <file>', 'page to write', 'report.html')
    .option('-c, --schemes <file|text>', 'also simulate these schemes (one-line language or damo JSON) and chart them')
    .option('--tid <id>', 'show only this target id (see report heats --guide); default: every target', parseTargetId)
    .addOption(exactOption(
      '--time_range <start_end...>',
      'show only this time: two values; plain numbers are ns in the recording\'s clock (as --guide prints), values with a unit (10s, 1500ms) count from the first shown snapshot',
      2))
    .addOption(exactOption(
      '--address_range <start_end...>',
      'show only these addresses, one heatmap of exactly this range per target: two addresses (decimal, 0x hex, or sizes like "86.245 TiB")',
      2))
    .option('--strict', 'fail on a truncated or damaged recording instead of warning and reading around the damage')
    .addHelpText(
      'after',
      `
Examples:
  $ damo report html -i damon.data -o report.html
  $ damo report html -i damon.data -o report.html -c '4K max 0 0 5s max pageout'
  $ damo report html -i damon.data -o heap.html --tid 0 --time_range 10s 20s --address_range 0x555500000000 0x555600000000`,
    )
    .action(async (opts: HtmlOptions) => {
      const timeRange = timeRangeOf(opts.time_range);
      const addressRange = addressRangeOf(opts.address_range);
      const { runHtmlCommand } = await import('../../report/html_command.js');
      const code = await runHtmlCommand(ctx.io, {
        input: opts.input,
        output: opts.output,
        schemes: opts.schemes,
        strict: opts.strict === true,
        selection: { tid: opts.tid, timeRange, addressRange },
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
