// SPDX-License-Identifier: GPL-2.0-only
import type { Command } from 'commander';

import type { CommandContext } from '../context.js';
import { exactOption } from '../damo_command.js';
import { ExitCode } from '../exit_code.js';
import { checkRangeOrder, optionValue, parseSecondsOffset, valuesOf } from '../values.js';
import { addInputOptions } from './common.js';

interface RawCliOptions {
  input: string;
  strict?: boolean;
  raw_number?: boolean;
  duration?: string[];
  json?: boolean;
}

function collectSeconds(value: string, previous: string[] | undefined): string[] {
  parseSecondsOffset(value);
  return [...(previous ?? []), value];
}

export function registerRaw(report: Command, ctx: CommandContext): void {
  const cmd = report
    .command('raw')
    .summary('print every snapshot and region as text (damo report raw)')
    .description(
      'Print every snapshot of the recording with its regions: address range, size, ' +
        'nr_accesses and age (-1 when unknown). The output is byte-for-byte what damo ' +
        'prints (`damo report access --raw_form`), for recordings in any format.',
    );
  addInputOptions(cmd)
    .option('--raw_number', 'print sizes and times as plain integers (bytes, ns)')
    .addOption(exactOption('--duration <start_end...>', 'only snapshots starting between these offsets (seconds) from the first', 2).argParser(collectSeconds))
    .option('--json', "print damo's JSON form of the records instead")
    .addHelpText(
      'after',
      `
Examples:
  $ damo report raw -i damon.data | less
  $ damo report raw -i damon.data --duration 1 2.5     # snapshots from 1 s to 2.5 s
  $ damo report raw -i perf.data.script --raw_number`,
    )
    .action(async (opts: RawCliOptions) => {
      const duration = valuesOf('--duration', opts.duration, 2, '<start seconds> <end seconds>')?.map((v) => optionValue('--duration', v, parseSecondsOffset)) as
        | [number, number]
        | undefined;
      if (duration !== undefined) checkRangeOrder('--duration', opts.duration as [string, string], duration, true);
      const { runRawCommand } = await import('../../report/raw_command.js');
      const code = await runRawCommand(ctx.io, {
        input: opts.input,
        strict: opts.strict === true,
        rawNumber: opts.raw_number === true,
        durationSec: duration,
        json: opts.json === true,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
