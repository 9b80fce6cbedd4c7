// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report heats`: option parsing only; it runs in src/report/heats_command.ts.
 */
import { Option, type Command } from '../commander.js';

import { DamoError } from '../../core/errors.js';
import { COLORSET_NAMES, type ColorsetName } from '../../report/heats_text.js';
import type { CommandContext } from '../context.js';
import { exactOption } from '../damo_command.js';
import { ExitCode } from '../exit_code.js';
import { addressRangeOf, optionValue, parsePositiveInteger, parseTargetId, timeRangeOf, valuesOf } from '../values.js';

interface HeatsOptions {
  input: string;
  tid?: bigint;
  resol?: string[];
  // commander keeps underscores in option keys: --time_range -> time_range.
  time_range?: string[];
  address_range?: string[];
  abs_time?: boolean;
  abs_addr?: boolean;
  guide?: boolean;
  /** true: --heatmap without a value (draw in the terminal). */
  heatmap?: string | true;
  plot_ascii?: boolean;
  stdout_heatmap_color?: ColorsetName;
  ascii_color?: ColorsetName;
  stdout_heatmap_skip_color_example?: boolean;
  color: 'auto' | 'always' | 'never';
  json?: boolean;
  strict?: boolean;
}

export function registerHeats(report: Command, ctx: CommandContext): void {
  report
    .command('heats')
    .summary('heatmap of when which addresses were accessed how often')
    .description(
      'Turn a recording into a heatmap: time on one axis, address on the other, access ' +
        'frequency (DAMON nr_accesses averaged over each cell) as the value.\n\n' +
        'Without --heatmap it prints damo\'s raw "<time> <address> <heat>" lines (times and ' +
        'addresses relative to the range start unless --abs_time/--abs_addr). By default it ' +
        'draws the first target of --guide over its whole time span and its hottest contiguous ' +
        'address range, exactly as damo does.',
    )
    .option('-i, --input <file>', 'recording to read (any format damo-ts reads)', 'damon.data')
    .option('--tid <id>', 'target id to draw (see --guide); default: the first target of the guide', parseTargetId)
    .addOption(exactOption(
      '--resol <rows_cols...>',
      'resolution: <time rows> <address columns> (default 500 500; in the terminal its size, or 40 80 when not a terminal)',
      2))
    .addOption(exactOption(
      '--time_range <start_end...>',
      'time range: two values; plain numbers are ns in the recording\'s clock (as --guide prints), values with a unit (10s, 1500ms, "1 m 30 s") are relative to the default start',
      2))
    .addOption(exactOption(
      '--address_range <start_end...>',
      'address range: two addresses (decimal, 0x hex, or sizes like "86.245 TiB")',
      2))
    .option('--abs_time', 'print absolute times instead of times relative to the range start')
    .option('--abs_addr', 'print absolute addresses instead of offsets from the range start')
    .option('--guide', 'print each target\'s time span and contiguous address ranges, then exit')
    .option('--heatmap [file|stdout]', 'draw the heatmap: in the terminal (no value, or stdout), or into FILE.png, FILE.svg, FILE.pdf')
    .option('--plot_ascii', 'same as --heatmap stdout')
    .addOption(new Option('--stdout_heatmap_color <set>', 'terminal colour set').choices(COLORSET_NAMES))
    .addOption(new Option('--ascii_color <set>', 'alias of --stdout_heatmap_color').choices(COLORSET_NAMES).hideHelp())
    .option('--stdout_heatmap_skip_color_example', 'omit the "# access_frequency:" colour legend line')
    .addOption(
      new Option('--color <when>', 'colour codes in the terminal heatmap: auto (a terminal, unless NO_COLOR, FORCE_COLOR=0 or TERM=dumb), always, never')
        .choices(['auto', 'always', 'never'] as const)
        .default('auto'),
    )
    .option('--json', 'print one JSON document (heat cells, or the guide with --guide) instead of text')
    .option('--strict', 'fail on a truncated or damaged recording instead of warning and reading around the damage')
    .addHelpText(
      'after',
      `
Examples:
  $ damo report heats -i damon.data --heatmap heat.png      # picture of the hottest range
  $ damo report heats -i damon.data --heatmap               # in the terminal
  $ damo report heats -i damon.data --guide                 # targets, time span, ranges
  $ damo report heats -i damon.data --resol 100 200 > heats.txt
  $ damo report heats -i damon.data --time_range 10s 20s --heatmap zoom.svg
  $ damo report heats -i damon.data --address_range 0x7f0000000000 0x7f0040000000 --json`,
    )
    .action(async (opts: HeatsOptions) => {
      const resol = valuesOf('--resol', opts.resol, 2, '<time rows> <address columns>')?.map((x) => optionValue('--resol', x, parsePositiveInteger)) as
        | [number, number]
        | undefined;
      const timeRange = timeRangeOf(opts.time_range);
      const addressRange = addressRangeOf(opts.address_range);
      const heatmap = opts.heatmap === true ? 'stdout' : (opts.heatmap ?? (opts.plot_ascii ? 'stdout' : undefined));
      if (heatmap === 'stdout' && opts.json === true) throw new DamoError('E_USAGE', '--json and a terminal heatmap (--heatmap without a file, or --heatmap stdout) both want stdout; choose one');
      const { runHeatsCommand } = await import('../../report/heats_command.js');
      const code = await runHeatsCommand(ctx.io, {
        input: opts.input,
        tid: opts.tid,
        resol,
        timeRange,
        addressRange,
        absTime: opts.abs_time === true,
        absAddr: opts.abs_addr === true,
        guide: opts.guide === true,
        heatmap,
        saveHint: opts.heatmap === true,
        colorset: opts.stdout_heatmap_color ?? opts.ascii_color ?? 'gray',
        skipColorExample: opts.stdout_heatmap_skip_color_example === true,
        color: opts.color,
        json: opts.json === true,
        strict: opts.strict === true,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
