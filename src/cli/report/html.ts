// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report html`: option parsing only; it runs in src/report/html_command.ts.
 */
import type { Command } from 'commander';

import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit_code.js';

interface HtmlOptions {
  input: string;
  output: string;
  schemes?: string;
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
    .option('--strict', 'fail on a truncated or damaged recording instead of warning and reading around the damage')
    .addHelpText(
      'after',
      `
Examples:
  $ damo report html -i damon.data -o report.html
  $ damo report html -i damon.data -o report.html -c '4K max 0 0 5s max pageout'`,
    )
    .action(async (opts: HtmlOptions) => {
      const { runHtmlCommand } = await import('../../report/html_command.js');
      const code = await runHtmlCommand(ctx.io, { input: opts.input, output: opts.output, schemes: opts.schemes, strict: opts.strict === true });
      if (code !== 0) throw new ExitCode(code);
    });
}
