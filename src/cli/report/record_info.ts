// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report record_info` (damo 3.3.0): option parsing only; it runs in
 * src/report/record_info_command.ts.
 */
import type { Command } from 'commander';

import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit_code.js';
import { addInputOptions } from './common.js';

export function registerRecordInfo(report: Command, ctx: CommandContext): void {
  const cmd = report
    .command('record_info')
    .summary('time span and contiguous address ranges of each record (damo report record_info)')
    .description(
      "Print, per record (kdamond, context, scheme, target id) and as damo 3.3.0 does, the time " +
        'span of the recording and the address ranges that stayed contiguous, largest first. ' +
        'The same as `damo report heatmap --guide_human` (`--guide` with --raw_numbers).',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ damo report record_info -i damon.data
  $ damo report record_info -i damon.data --raw_numbers`,
    );
  addInputOptions(cmd)
    .option('--raw_numbers', 'plain numbers (ns, bytes) instead of human units')
    .action(async (opts: { input: string; strict?: boolean; raw_numbers?: boolean }) => {
      const { runRecordInfoCommand } = await import('../../report/record_info_command.js');
      const code = await runRecordInfoCommand(ctx.io, { input: opts.input, strict: opts.strict === true, rawNumbers: opts.raw_numbers === true });
      if (code !== 0) throw new ExitCode(code);
    });
}
