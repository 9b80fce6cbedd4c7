import { InvalidArgumentError, type Command } from 'commander';

import type { CommandContext } from '../context.js';
import { TextOut } from '../io.js';
import { addInputOptions, openInput } from './common.js';

interface RawCliOptions {
  input: string;
  strict?: boolean;
  raw_number?: boolean;
  duration?: string[];
  json?: boolean;
}

function parseSeconds(value: string, previous: string[] | undefined): string[] {
  if (!Number.isFinite(Number(value))) throw new InvalidArgumentError(`'${value}' is not a number of seconds.`);
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
    .option('--duration <start_end...>', 'only snapshots starting between these offsets (seconds) from the first', parseSeconds)
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
      const { DamoError } = await import('../../core/errors.js');
      let duration: [number, number] | undefined;
      if (opts.duration !== undefined) {
        if (opts.duration.length !== 2) throw new DamoError('E_USAGE', '--duration takes two numbers: <start seconds> <end seconds>');
        duration = [Number(opts.duration[0]), Number(opts.duration[1])];
      }
      const src = await openInput(ctx, opts.input, opts.strict === true, true);
      const out = new TextOut(ctx.io.stdout);
      const pagerLines = ctx.io.stdoutIsTTY && ctx.io.rows !== undefined ? ctx.io.rows : 50;
      if (opts.json === true) {
        const { damoJsonText } = await import('../../format/damo/json_writer.js');
        await damoJsonText(src, { raw: opts.raw_number === true, durationSec: duration, pagerLines }, out);
      } else {
        const { reportRaw } = await import('../../report/raw.js');
        const rawOpts = duration === undefined ? { rawNumber: opts.raw_number === true, pagerLines } : { rawNumber: opts.raw_number === true, pagerLines, durationSec: duration };
        await reportRaw(src, rawOpts, out);
      }
      await out.flush();
    });
}
