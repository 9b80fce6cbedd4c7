// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report heatmap` (damo 3.3.0): option parsing only; it runs in
 * src/report/heatmap_command.ts. (`damo report heats` keeps damo 2.4.9's output.)
 */
import { Option, type Command } from '../commander.js';

import { DamoError } from '../../core/errors.js';
import { COLORSET_NAMES, type ColorsetName } from '../../report/heats_text.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit_code.js';
import { checkRangeOrder, optionValue, parseAddress, parseNonNegativeInteger, parsePositiveInteger, parseTargetId, parseTimeNs, valuesOf } from '../values.js';
import { exactOption } from '../damo_command.js';

interface HeatmapCliOptions {
  input: string;
  strict?: boolean;
  output: string | true;
  kdamond_idx?: number;
  context_idx?: number;
  scheme_idx?: number;
  tid?: bigint;
  resol?: string[];
  time_range?: string[];
  draw_range: 'hottest' | 'all';
  address_range?: string[];
  abs_time?: boolean;
  abs_addr?: boolean;
  guide?: boolean;
  guide_human?: boolean;
  stdout_colorset: ColorsetName;
  stdout_skip_colorset_example?: boolean;
  df_passed?: boolean;
  sort_temperature?: boolean;
  temperature_weights?: string[];
}

/**
 * --address_range groups: "<start> <end> [guided]" per use. Commander joins the values of
 * repeated uses, so groups are read back as pairs, each optionally followed by "guided".
 */
function addressGroups(values: string[] | undefined): string[][] | undefined {
  if (values === undefined) return undefined;
  const groups: string[][] = [];
  for (let i = 0; i < values.length; ) {
    const g = values.slice(i, i + 2);
    if (g.length < 2) throw new DamoError('E_USAGE', `--address_range takes "<start> <end> [guided]" (got ${values.join(' ')})`);
    const [start, end] = g.map((v) => optionValue('--address_range', v, parseAddress)) as [number, number];
    checkRangeOrder('--address_range', g as [string, string], [start, end]);
    i += 2;
    if (values[i] === 'guided') {
      g.push('guided');
      i++;
    }
    groups.push(g);
  }
  return groups;
}

function pythonFloat(option: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new DamoError('E_USAGE', `${option}: '${v}' is not a number`);
  return n;
}

export function registerHeatmap(report: Command, ctx: CommandContext): void {
  report
    .command('heatmap')
    .summary("heatmap of when which addresses were how often accessed, damo 3.x's (damo report heatmap)")
    .description(
      'Draw when which address ranges were how often accessed, byte for byte as damo 3.3.0: ' +
        'in the terminal (--output stdout, the default), as raw "<time> <address> <heat>" lines ' +
        '(--output raw; NaN where nothing was seen), or as an image (--output FILE.png|svg|pdf). ' +
        'With intervals in the recording the heat is in hz and counts from when each region\'s ' +
        'access pattern began. `damo report heats` keeps damo 2.4.9\'s form.',
    )
    .option('-i, --input <file>', 'recording to read (any format damo-ts reads)', 'damon.data')
    .option('--strict', 'fail on a truncated or damaged recording instead of warning and reading around the damage')
    .option('--output [output]', 'stdout, raw, or an image file (.png, .svg, .pdf); alone: stdout', 'stdout')
    .option('--kdamond_idx <int>', 'kdamond index of the record to draw', parseNonNegativeInteger)
    .option('--context_idx <int>', 'context index of the record to draw', parseNonNegativeInteger)
    .option('--scheme_idx <int>', 'scheme index of the record to draw', parseNonNegativeInteger)
    .option('--tid <id>', 'target id of the record to draw (see --guide)', parseTargetId)
    .addOption(exactOption('--resol <rows_cols...>', 'time rows and address columns (default 40 80 for stdout, else 500 500)', 2))
    .option('--time_range <start_end_base...>', '"<start> <end> [base]" in ns (or 10s, 1500ms); base: guided, guided_end or a time')
    .addOption(new Option('--draw_range <which>', 'draw the hottest contiguous range or all of them').choices(['hottest', 'all']).default('hottest'))
    .option('--address_range <start_end_base...>', '"<start> <end> [guided]": an address range, relative to the guided range with "guided" (repeatable)')
    .option('--abs_time', 'absolute times in the raw output')
    .option('--abs_addr', 'absolute addresses in the raw output')
    .option('--guide', 'print the records, their time spans and contiguous address ranges, then exit')
    .option('--guide_human', 'the same with human-friendly numbers')
    .addOption(new Option('--stdout_colorset <set>', 'terminal colours').choices(COLORSET_NAMES).default('gray'))
    .option('--stdout_skip_colorset_example', 'omit the "# access_frequency:" colour legend')
    .option('--df_passed', 'heat of the DAMOS filter-passed bytes only')
    .option('--sort_temperature', 'lay regions out by temperature instead of address')
    .addOption(exactOption('--temperature_weights <frequency_age...>', 'weights of access frequency and age for --sort_temperature (default 1 1)', 2))
    .addHelpText(
      'after',
      `
Examples:
  $ damo report heatmap                                  # in the terminal
  $ damo report heatmap --output raw > heat.txt
  $ damo report heatmap --output heat.png --draw_range all
  $ damo report heatmap --guide_human`,
    )
    .action(async (opts: HeatmapCliOptions) => {
      const resol = valuesOf('--resol', opts.resol, 2, '<time rows> <address columns>')?.map((v) => optionValue('--resol', v, parsePositiveInteger)) as
        | [number, number]
        | undefined;
      const timeRange = opts.time_range;
      if (timeRange !== undefined) {
        if (timeRange.length !== 2 && timeRange.length !== 3) {
          throw new DamoError('E_USAGE', `--time_range takes "<start> <end> [base]" (got ${timeRange.length} values)`);
        }
        const ends = timeRange.slice(0, 2) as [string, string];
        // Both ends share the base (absolute, or the third value), so their order shows now.
        checkRangeOrder('--time_range', ends, ends.map((v) => optionValue('--time_range', v, parseTimeNs)) as [number, number]);
        const b = timeRange[2];
        if (b !== undefined && b !== 'guided' && b !== 'guided_end') optionValue('--time_range', b, parseTimeNs);
      }
      const weights = valuesOf('--temperature_weights', opts.temperature_weights, 2, '<frequency weight> <age weight>')?.map((v) =>
        pythonFloat('--temperature_weights', v),
      ) as [number, number] | undefined;
      const { runHeatmapCommand } = await import('../../report/heatmap_command.js');
      const code = await runHeatmapCommand(ctx.io, {
        input: opts.input,
        strict: opts.strict === true,
        output: opts.output === true ? 'stdout' : opts.output,
        guide: opts.guide === true,
        guideHuman: opts.guide_human === true,
        kdamondIdx: opts.kdamond_idx,
        contextIdx: opts.context_idx,
        schemeIdx: opts.scheme_idx,
        tid: opts.tid,
        resol,
        timeRange,
        addressRanges: addressGroups(opts.address_range),
        drawRange: opts.draw_range,
        absTime: opts.abs_time === true,
        absAddr: opts.abs_addr === true,
        colorset: opts.stdout_colorset,
        skipColorsetExample: opts.stdout_skip_colorset_example === true,
        dfPassed: opts.df_passed === true,
        sortTemperature: opts.sort_temperature === true,
        temperatureWeights: weights ?? [1, 1],
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
