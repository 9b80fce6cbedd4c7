import { InvalidArgumentError, Option, type Command } from 'commander';

import type { CommandContext } from './context.js';
import { note, warn } from './io.js';

interface ConvertCliOptions {
  input: string;
  output: string;
  format?: string;
  output_permission: number;
  strict?: boolean;
  quiet?: boolean;
}

function parseMode(value: string): number {
  if (!/^[0-7]{1,4}$/.test(value)) throw new InvalidArgumentError(`'${value}' is not an octal file mode such as 600.`);
  const mode = Number.parseInt(value, 8);
  if (mode > 0o777) throw new InvalidArgumentError(`'${value}' is out of the 000..777 range.`);
  return mode;
}

export function registerConvert(program: Command, ctx: CommandContext): void {
  program
    .command('convert')
    .summary('convert a recording between formats')
    .description(
      "Convert a recording between damo-ts's trace format and damo's formats, so files " +
        'move freely between damo and damo-ts. The input format is detected from its ' +
        'bytes. The output format is --format, or else follows the output name:\n' +
        '  *.json                       damo json\n' +
        '  *.json_compressed, *.jsonz   damo json_compressed (zlib)\n' +
        '  *.perf_script, *.script      perf script text (also *.txt)\n' +
        '  *.legacy, *.recfmt           legacy binary record (damo <= 1.9.9)\n' +
        '  anything else                damo-ts trace (protobuf)',
    )
    .requiredOption('-i, --input <file>', 'recording to convert (any supported format)')
    .requiredOption('-o, --output <file>', 'file to write; replaced atomically at the end (may equal --input)')
    .addOption(
      new Option('-f, --format <format>', 'output format (default: from the output name, see above)').choices([
        'protobuf',
        'json',
        'json_compressed',
        'perf_script',
        'legacy',
      ]),
    )
    .addOption(new Option('--output_permission <mode>', 'octal file mode of the output').argParser(parseMode).default(0o600, '600'))
    .option('--strict', 'fail on a truncated input instead of converting its complete part')
    .option('-q, --quiet', 'do not print the summary line on stderr')
    .addHelpText(
      'after',
      `
Examples:
  $ damo convert -i damon.data -o damon.damo                    # damo json_compressed -> damo-ts
  $ damo convert -i run.damo -o run.json_compressed             # back to damo
  $ damo convert -i perf.data.script -o perf.damo
  $ damo convert -i old.data -o old.data --format json_compressed   # legacy binary, in place`,
    )
    .action(async (opts: ConvertCliOptions) => {
      const { convertTrace, formatForOutputName } = await import('../format/convert.js');
      const format = (opts.format ?? formatForOutputName(opts.output)) as ReturnType<typeof formatForOutputName>;
      const result = await convertTrace(opts.input, opts.output, {
        format,
        mode: opts.output_permission,
        strict: opts.strict === true,
        env: ctx.io.env,
      });
      for (const w of result.warnings) warn(ctx.io, w);
      if (opts.quiet !== true) {
        note(
          ctx.io,
          `wrote ${opts.output} (${format}): ${result.nrTargets} target(s), ${result.nrSnapshots} snapshots, ` +
            `${result.nrRegions} regions, from ${result.inputFormat}`,
        );
      }
    });
}
