// SPDX-License-Identifier: GPL-2.0-only
import { Option, type Command } from './commander.js';

import { OUTPUT_FORMATS, type OutputFormat } from '../format/output_formats.js';
import type { CommandContext } from './context.js';
import { ExitCode } from './exit_code.js';
import { parseFileMode } from './values.js';

interface ConvertCliOptions {
  input: string;
  output: string;
  format?: OutputFormat;
  output_permission: number;
  strict?: boolean;
  quiet?: boolean;
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
      new Option('-f, --format <format>', 'output format (default: from the output name, see above)').choices(OUTPUT_FORMATS),
    )
    .addOption(new Option('--output_permission <mode>', 'octal file mode of the output').argParser(parseFileMode).default(0o600, '600'))
    .option('--strict', 'fail on a truncated or damaged input instead of converting its intact frames')
    .option('-q, --quiet', 'do not print the summary line on stderr')
    .addHelpText(
      'after',
      `
Examples:
  $ damo convert -i damon.data -o damon.damo                    # damo json_compressed -> damo-ts
  $ damo convert -i run.damo -o run.json_compressed             # back to damo
  $ damo convert -i perf.data.script -o perf.damo
  $ damo convert -i old.data -o old.json_compressed   # a legacy binary record to damo 3.x's format`,
    )
    .action(async (opts: ConvertCliOptions) => {
      const { runConvertCommand } = await import('../format/convert_command.js');
      const code = await runConvertCommand(ctx.io, {
        input: opts.input,
        output: opts.output,
        format: opts.format,
        mode: opts.output_permission,
        strict: opts.strict === true,
        quiet: opts.quiet === true,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}

/** damo 3.3.0's `damo convert_record_format`: the same conversion under damo's name and options. */
export function registerConvertRecordFormat(program: Command, ctx: CommandContext): void {
  program
    .command('convert_record_format')
    .summary('rewrite a recording in another format (damo convert_record_format; see damo convert)')
    .description(
      "damo 3.3.0's name for converting a recording, kept for its scripts: reads --record_file " +
        '(any format damo-ts reads) and writes it as --format to --output_file, or in place. ' +
        '`damo convert` does the same with more formats.',
    )
    .option('--record_file <file>', 'the recording', 'damon.data')
    .addOption(new Option('--format <format>', 'new file format').choices(['json_compressed', 'json', 'perf_script'] as const).default('json_compressed'))
    .option('--output_file <file>', 'where to write (default: --record_file, replaced)')
    .addHelpText(
      'after',
      `
Examples:
  $ damo convert_record_format --record_file damon.data --format json --output_file damon.json
  $ damo convert_record_format --record_file damon.data     # in place, as json_compressed`,
    )
    .action(async (opts: { record_file: string; format: OutputFormat; output_file?: string }) => {
      const { runConvertCommand } = await import('../format/convert_command.js');
      const code = await runConvertCommand(ctx.io, {
        input: opts.record_file,
        output: opts.output_file ?? opts.record_file,
        format: opts.format,
        mode: 0o600,
        strict: false,
        quiet: true,
        inPlace: opts.output_file === undefined,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}

/** `damo version`: damo-ts's version (damo prints its own release). */
export function registerVersion(program: Command, ctx: CommandContext): void {
  program
    .command('version')
    .summary("print damo-ts's version (damo version)")
    .addHelpText(
      'after',
      `
Examples:
  $ damo version
  $ damo --version          # the same`,
    )
    .action(async () => {
      const { toolVersion } = await import('../core/version.js');
      const { writeResult } = await import('../core/io.js');
      await writeResult(ctx.io, `${toolVersion()}\n`);
    });
}
