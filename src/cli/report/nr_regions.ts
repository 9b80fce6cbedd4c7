// SPDX-License-Identifier: GPL-2.0-only
import { Option, type Command } from '../commander.js';

import type { CommandContext } from '../context.js';
import { exactOption } from '../damo_command.js';
import { ExitCode } from '../exit_code.js';
import { parseRange } from '../values.js';
import { addInputOptions } from './common.js';

interface NrRegionsCliOptions {
  input: string;
  strict?: boolean;
  range?: string[];
  sortby: 'size' | 'time';
  json?: boolean;
  /** true: --plot without a file (draw in the terminal). */
  plot?: string | true;
}

export function registerNrRegions(report: Command, ctx: CommandContext): void {
  const cmd = report
    .command('nr_regions')
    .summary('print the distribution of the number of monitoring regions')
    .description(
      'Print the distribution of the number of regions DAMON used per snapshot, per target. ' +
        'The first 20 snapshots are skipped, as damo does. Output is identical to damo\'s.',
    );
  addInputOptions(cmd)
    .addOption(exactOption('-r, --range <start_stop_step...>', 'percentiles to print, as Python range(start, stop, step) (default: 0 101 25, i.e. 0 25 50 75 100)', 3))
    .addOption(new Option('-s, --sortby <metric>', "sort the values by 'size', or keep them in 'time' order").choices(['size', 'time']).default('size'))
    .option('--json', 'print one JSON document instead of text')
    .option('-p, --plot [file]', 'draw the distribution (with --sortby time: regions over time) instead of printing it: in the terminal, or into FILE.png, FILE.svg or FILE.pdf')
    .addHelpText(
      'after',
      `
Examples:
  $ damo report nr_regions -i damon.data
  $ damo report nr_regions -i damon.data -r 1 101 1
  $ damo report nr_regions -i damon.data --json
  $ damo report nr_regions -i damon.data --plot
  $ damo report nr_regions -i damon.data --sortby time --plot nr_regions.svg`,
    )
    .action(async (opts: NrRegionsCliOptions) => {
      const { percentilesOfRange } = await import('../../report/percentiles.js');
      const percentiles = percentilesOfRange('--range', parseRange(opts.range) ?? [0, 101, 25]);
      const { runNrRegionsCommand } = await import('../../report/nr_regions_command.js');
      const code = await runNrRegionsCommand(ctx.io, {
        input: opts.input,
        strict: opts.strict === true,
        options: { percentiles, sortBy: opts.sortby },
        json: opts.json === true,
        plot: opts.plot,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
