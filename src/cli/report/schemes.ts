// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report schemes -i TRACE -c SCHEMES` and its alias `damo simulate`: what the schemes
 * would have done to the recorded workload, by the kernel's rules.
 */
import { Option, type Command } from '../commander.js';

import { DAMON_OPS, type DamonOps } from '../../core/model.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit_code.js';
import { parseNonNegativeInteger, parsePositiveSize, parseTimeUs } from '../values.js';
import { addInputOptions } from './common.js';

interface SimulateCliOptions {
  input: string;
  strict?: boolean;
  schemes: string;
  sample?: number;
  aggr?: number;
  ops?: DamonOps;
  rows: number;
  raw_number?: boolean;
  json?: boolean;
  plot?: string;
  pageout_throughput?: number;
}

const DESCRIPTION =
  'Replay a recording one aggregation interval at a time and apply the schemes to its regions ' +
  "with the kernel's rules: inclusive access-pattern bounds, age reset when a non-stat action " +
  'applies, size/time quotas spent on the regions the kernel would prioritise, charge windows, ' +
  'addr/target filters, apply intervals. Prints, per scheme, the kernel statistics (nr_tried, ' +
  'sz_tried, nr_applied, sz_applied, qt_exceeds) and the estimated effect: for pageout and cold, ' +
  'the bytes out of memory (or deactivated) over time and the bytes the recording shows accessed ' +
  'again afterwards (refaults); for hugepage/collapse, the bytes advised. What the recording ' +
  'cannot tell (page types for ops filters, free memory for watermarks) is named in notes.';

const EXAMPLES = `
Examples:
  $ damo report schemes -i damon.data -c '4K max 0 0 5s max pageout'
  $ damo simulate -i damon.data -c my.damos --rows 20
  $ damo simulate -i damon.data -c my.json --json | jq '.schemes[0].stats'
  $ damo simulate -i damon.data -c my.damos --plot effect.png
  $ damo simulate -i old.data -c my.damos -s 5ms -a 100ms   # recording without intervals`;

function addSimulateOptions(cmd: Command, ctx: CommandContext): Command {
  return addInputOptions(cmd)
    .requiredOption('-c, --schemes <file|text>', "schemes file (one-line language or damo JSON), or the scheme text itself")
    .option('-s, --sample <us>', 'sampling interval (default: the recording\'s, else 5ms)', parseTimeUs)
    .option('-a, --aggr <us>', 'aggregation interval (default: the recording\'s, else 100ms)', parseTimeUs)
    .addOption(new Option('--ops <ops>', "DAMON operations set whose actions and priorities to use (default: the recording's, else vaddr)").choices(DAMON_OPS))
    .option('--rows <n>', 'rows of the over-time table per scheme (0 for none)', parseNonNegativeInteger, 10)
    .option('--raw_number', 'print sizes as plain integers (bytes)')
    .option('--json', 'print one JSON document (bytes, ns) with the full timeline')
    .option('--plot <file>', 'draw applied bytes and estimated memory over time to FILE.png, FILE.svg or FILE.pdf')
    .option(
      '--pageout_throughput <size>',
      'bytes per second the kdamond reclaims while applying pageout (e.g. 10M); it samples nothing meanwhile, so a slow ' +
        "pageout leaves it fewer aggregations (default: the kernel's first guess of an action's speed, 1024 pages per ms)",
      parsePositiveSize,
    )
    .addHelpText('after', EXAMPLES)
    .action(async (opts: SimulateCliOptions) => {
      const { runSimulateCommand } = await import('../../schemes/simulate_command.js');
      const code = await runSimulateCommand(ctx.io, {
        input: opts.input,
        strict: opts.strict === true,
        schemes: opts.schemes,
        sampleUs: opts.sample,
        aggrUs: opts.aggr,
        ops: opts.ops,
        rows: opts.rows,
        rawNumber: opts.raw_number === true,
        json: opts.json === true,
        plot: opts.plot,
        pageoutBytesPerSec: opts.pageout_throughput,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}

export function registerReportSchemes(report: Command, ctx: CommandContext): void {
  const cmd = report
    .command('schemes')
    .summary('simulate DAMON-based operation schemes on a recording (alias: damo simulate)')
    .description(DESCRIPTION);
  addSimulateOptions(cmd, ctx);
}

/** `damo simulate`: the same command at the top level. */
export function registerSimulate(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('simulate')
    .summary('simulate DAMON-based operation schemes on a recording (= damo report schemes)')
    .description(DESCRIPTION);
  addSimulateOptions(cmd, ctx);
}
