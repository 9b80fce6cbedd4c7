/**
 * `damo report heats`: option parsing only; the work is in src/report/heats*.ts.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';

import { DamoError } from '../../core/errors.js';
import { TextParseError, textToBytes, textToNs } from '../../core/fmt.js';
import type { TimeBound } from '../../report/heats.js';
import type { CommandContext } from '../context.js';

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
  heatmap?: string;
  plot_ascii?: boolean;
  stdout_heatmap_color?: 'gray' | 'flame' | 'emotion';
  ascii_color?: 'gray' | 'flame' | 'emotion';
  stdout_heatmap_skip_color_example?: boolean;
  color: 'auto' | 'always' | 'never';
  json?: boolean;
  strict?: boolean;
}

function parseTid(value: string): bigint {
  const text = value.replace(/,/g, '').trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw new InvalidArgumentError(`'${value}' is not a target id.`);
  return BigInt(text);
}

const COLORSETS = ['gray', 'flame', 'emotion'] as const;

/** Errors found after commander parsed the line: usage errors (exit 2) with our wording. */
function usage(message: string): DamoError {
  return new DamoError('E_USAGE', message);
}

function two(option: string, values: string[] | undefined, what: string): [string, string] | undefined {
  if (values === undefined) return undefined;
  if (values.length !== 2) throw usage(`${option} takes two values (${what}), got ${values.length}: ${values.join(' ')}`);
  return [values[0]!, values[1]!];
}

export function parseResol(values: string[] | undefined): [number, number] | undefined {
  const v = two('--resol', values, '<time rows> <address columns>');
  if (v === undefined) return undefined;
  return v.map((x) => {
    if (!/^\d+$/.test(x.trim()) || Number(x) <= 0) throw usage(`--resol: '${x}' is not a positive integer`);
    return Number(x);
  }) as [number, number];
}

/** Plain numbers are absolute ns; values with a unit are relative to the default start. */
export function parseTimeBound(text: string): TimeBound {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return { ns: Number(t), relative: false };
  try {
    const neg = t.startsWith('-');
    const ns = textToNs(neg ? t.slice(1).trim() : t);
    if (!Number.isFinite(ns)) throw new TextParseError(t);
    return { ns: neg ? -ns : ns, relative: true };
  } catch (err) {
    if (err instanceof DamoError) throw err;
    throw usage(`--time_range: '${text}' is not a time (use ns numbers, or values like 10s, 1500ms, "1 m 30 s")`);
  }
}

export function parseAddress(text: string): number {
  const t = text.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
  try {
    const v = textToBytes(t);
    if (!Number.isFinite(v)) throw new TextParseError(t);
    return v;
  } catch {
    throw usage(`--address_range: '${text}' is not an address (use decimal, 0x hex, or sizes like "86.245 TiB")`);
  }
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
    .option('--tid <id>', 'target id to draw (see --guide); default: the first target of the guide', parseTid)
    .option(
      '--resol <rows_cols...>',
      'resolution: <time rows> <address columns> (default 500 500; for --heatmap stdout the terminal size, or 40 80 when not a terminal)',
    )
    .option(
      '--time_range <start_end...>',
      'time range: two values; plain numbers are ns in the recording\'s clock (as --guide prints), values with a unit (10s, 1500ms, "1 m 30 s") are relative to the default start',
    )
    .option(
      '--address_range <start_end...>',
      'address range: two addresses (decimal, 0x hex, or sizes like "86.245 TiB")',
    )
    .option('--abs_time', 'print absolute times instead of times relative to the range start')
    .option('--abs_addr', 'print absolute addresses instead of offsets from the range start')
    .option('--guide', 'print each target\'s time span and contiguous address ranges, then exit')
    .option('--heatmap <file|stdout>', 'draw the heatmap: FILE.png, FILE.svg, FILE.pdf, or stdout for the terminal')
    .option('--plot_ascii', 'same as --heatmap stdout')
    .addOption(new Option('--stdout_heatmap_color <set>', 'terminal colour set').choices(COLORSETS))
    .addOption(new Option('--ascii_color <set>', 'alias of --stdout_heatmap_color').choices(COLORSETS).hideHelp())
    .option('--stdout_heatmap_skip_color_example', 'omit the "# access_frequency:" colour legend line')
    .addOption(
      new Option('--color <when>', 'colour codes in the terminal heatmap: auto (a terminal without NO_COLOR), always, never')
        .choices(['auto', 'always', 'never'] as const)
        .default('auto'),
    )
    .option('--json', 'print one JSON document (heat cells, or the guide with --guide) instead of text')
    .option('--strict', 'fail on a truncated recording instead of warning')
    .addHelpText(
      'after',
      `
Examples:
  $ damo report heats -i damon.data --heatmap heat.png      # picture of the hottest range
  $ damo report heats -i damon.data --heatmap stdout        # in the terminal
  $ damo report heats -i damon.data --guide                 # targets, time span, ranges
  $ damo report heats -i damon.data --resol 100 200 > heats.txt
  $ damo report heats -i damon.data --time_range 10s 20s --heatmap zoom.svg
  $ damo report heats -i damon.data --address_range 0x7f0000000000 0x7f0040000000 --json`,
    )
    .action(async (opts: HeatsOptions) => {
      const resol = parseResol(opts.resol);
      const timeRange = two('--time_range', opts.time_range, '<start> <end>')?.map(parseTimeBound) as
        | [TimeBound, TimeBound]
        | undefined;
      const addressRange = two('--address_range', opts.address_range, '<start> <end>')?.map(parseAddress) as
        | [number, number]
        | undefined;
      const { runHeatsCommand } = await import('../../report/heats_command.js');
      await runHeatsCommand(ctx.io, {
        input: opts.input,
        tid: opts.tid,
        resol,
        timeRange,
        addressRange,
        absTime: opts.abs_time === true,
        absAddr: opts.abs_addr === true,
        guide: opts.guide === true,
        heatmap: opts.heatmap ?? (opts.plot_ascii ? 'stdout' : undefined),
        colorset: opts.stdout_heatmap_color ?? opts.ascii_color ?? 'gray',
        skipColorExample: opts.stdout_heatmap_skip_color_example === true,
        color: opts.color,
        json: opts.json === true,
        strict: opts.strict === true,
      });
    });
}
