// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo adjust` (damo 3.3.0): option parsing only; it runs in src/report/adjust_command.ts.
 */
import { Option, type Command } from './commander.js';

import { ADJUST_OUTPUT_TYPES, type AdjustOutputType } from '../report/access_options.js';
import type { CommandContext } from './context.js';
import { ExitCode } from './exit_code.js';
import { addRecordFilterOptions, recordFilterOf, type RecordFilterCliOptions } from './report/record_filter_options.js';
import { parseFileMode, parseNonNegativeInteger, parsePositiveInteger } from './values.js';

interface AdjustCliOptions extends RecordFilterCliOptions {
  input: string;
  output: string;
  output_type: AdjustOutputType;
  output_permission: number;
  aggregate_interval?: number;
  skip: number;
}

export function registerAdjust(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('adjust')
    .summary('re-aggregate and filter a recording into a new file (damo adjust)')
    .description(
      "Rewrite a recording as damo 3.3.0's `damo adjust` does: apply the record filters, drop " +
        'the first --skip snapshots of each target and merge the rest into snapshots spanning ' +
        '--aggregate_interval each (accesses of overlapping regions add up). Without ' +
        '--aggregate_interval only the filters apply. Streams: memory holds one aggregation ' +
        'window, not the recording.',
    )
    .option('--aggregate_interval <us>', 'new aggregation interval in microseconds', parsePositiveInteger)
    .option('-i, --input <file>', 'recording to read (any format damo-ts reads)', 'damon.data')
    .option('-o, --output <file>', 'file to write', 'damon.adjusted.data')
    .addOption(new Option('--output_type <type>', "output file's type").choices(ADJUST_OUTPUT_TYPES).default('json_compressed'))
    .addOption(new Option('--output_permission <mode>', 'octal file mode of the output').argParser(parseFileMode).default(0o600, '600'))
    .option('--skip <int>', 'number of first snapshots to skip (with --aggregate_interval)', parseNonNegativeInteger, 20);
  addRecordFilterOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  $ damo adjust --aggregate_interval 1000000                 # 1 s snapshots into damon.adjusted.data
  $ damo adjust -i damon.data --skip 0 --aggregate_interval 2000000 -o coarse.data
  $ damo adjust --address 0x7f0000000000 0x7fffffffffff      # keep one address range only`,
    )
    .action(async (opts: AdjustCliOptions) => {
      const { runAdjustCommand } = await import('../report/adjust_command.js');
      const code = await runAdjustCommand(ctx.io, {
        input: opts.input,
        output: opts.output,
        outputType: opts.output_type,
        mode: opts.output_permission,
        aggregateIntervalUs: opts.aggregate_interval,
        skip: opts.skip,
        filter: recordFilterOf(opts),
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
