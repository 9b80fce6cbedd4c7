// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report access` (damo 3.3.0): option parsing only; it runs in
 * src/report/access_command.ts.
 */
import { Option, type Command } from '../commander.js';

import { DamoError } from '../../core/errors.js';
import { DEFAULT_ROOTS } from '../../record/roots.js';
import {
  ACCESS_STYLES,
  BOX_VALUES,
  DEFAULT_MIN_CHARS,
  FORMAT_AREAS,
  MAX_BOX_HEIGHT,
  MAX_BOX_LENGTH,
  MAX_TEXT_COLUMNS,
  RECORD_KEYWORDS,
  REGION_KEYWORDS,
  SNAPSHOT_KEYWORDS,
  SORT_FIELDS,
  type AccessFormatOptions,
  type AccessStyle,
  type BoxValue,
  type FormatArea,
  type FormatEdit,
  type SortField,
} from '../../report/access_options.js';
import { COLORSET_NAMES, type ColorsetName } from '../../report/heats_text.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../exit_code.js';
import { optionValue, parseInteger, parsePositiveInteger, valuesOf } from '../values.js';
import { addInputOptions } from './common.js';
import { addRecordFilterOptions, recordFilterOf, type RecordFilterCliOptions } from './record_filter_options.js';
import { exactOption } from '../damo_command.js';

interface AccessCliOptions extends RecordFilterCliOptions {
  input: string;
  strict?: boolean;
  style: AccessStyle;
  percentiles_range?: string[];
  sort_regions_by?: string[];
  sort_regions_dsc?: string[];
  temperature_weights?: string[];
  hist_logscale?: boolean;
  hist_ranges?: string[];
  hist_cumulate?: boolean;
  format?: string[];
  format_record_head?: string;
  format_record_tail?: string;
  format_snapshot_head?: string;
  format_snapshot_tail?: string;
  format_region?: string;
  snapshot_heatmap_width: number;
  snapshot_heatmap_colorset: ColorsetName;
  snapshot_heatmap_static?: boolean;
  region_box?: boolean;
  region_box_values?: string[];
  region_box_min_max_length?: string[];
  region_box_min_max_height?: string[];
  region_box_colorset: ColorsetName;
  region_box_scales?: string[];
  region_box_align: 'left' | 'right';
  min_chars_for?: string[];
  total_sz_only?: boolean;
  dont_merge_regions?: boolean;
  sysfs_root: string;
  raw_number?: boolean;
  json?: boolean;
  raw_form?: boolean;
  exec?: string;
  snapshot_damos_filter?: string[];
}

function choice<T extends string>(option: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new DamoError('E_USAGE', `${option}: '${value}' is not one of ${choices.join(', ')}`);
  }
  return value as T;
}

function choicesOf<T extends string>(option: string, values: string[] | undefined, choices: readonly T[]): T[] | undefined {
  return values?.map((v) => choice(option, v, choices));
}

function ints(option: string, values: string[] | undefined, count: number, what: string): number[] | undefined {
  return valuesOf(option, values, count, what)?.map((v) => optionValue(option, v, parseInteger));
}

/** A width the text is padded or drawn to: bounded, so a typo cannot ask for gigabytes of spaces. */
function atMost(option: string, n: number, max: number, unit: string): void {
  if (n > max) throw new DamoError('E_USAGE', `${option}: ${n} ${unit} is too many; the most is ${max.toLocaleString('en-US')}`);
}

/** A [min, max] pair of box sizes: 0 <= min <= max <= `max`. */
function minMaxColumns(option: string, v: number[] | undefined, max: number): number[] | undefined {
  if (v === undefined) return undefined;
  const [lo, hi] = v as [number, number];
  if (lo < 0) throw new DamoError('E_USAGE', `${option}: min ${lo} is negative; sizes are 0 to ${max.toLocaleString('en-US')}`);
  if (lo > hi) throw new DamoError('E_USAGE', `${option}: min ${lo} is above max ${hi}`, { hint: `give the smaller first: ${option} ${hi} ${lo}` });
  if (hi > max) throw new DamoError('E_USAGE', `${option}: max ${hi} is too large; the most is ${max.toLocaleString('en-US')}`);
  return v;
}

/** --format: groups of <set|append> <area> <text>. */
function formatEdits(values: string[] | undefined): FormatEdit[] {
  if (values === undefined) return [];
  if (values.length % 3 !== 0) {
    throw new DamoError('E_USAGE', `--format takes <set|append> <record_head|snapshot_head|region|snapshot_tail|record_tail> <format string> (got ${values.length} values)`);
  }
  const out: FormatEdit[] = [];
  for (let i = 0; i < values.length; i += 3) {
    out.push({
      action: choice('--format', values[i] as string, ['set', 'append'] as const),
      area: choice('--format', values[i + 1] as string, FORMAT_AREAS),
      text: values[i + 2] as string,
    });
  }
  return out;
}

function minChars(values: string[] | undefined): Array<[string, number]> {
  const out: Array<[string, number]> = DEFAULT_MIN_CHARS.map(([k, n]) => [k, n]);
  if (values === undefined) return out;
  if (values.length % 2 !== 0) throw new DamoError('E_USAGE', `--min_chars_for takes pairs: <keyword> <number> (got ${values.length} values)`);
  for (let i = 0; i < values.length; i += 2) {
    const n = optionValue('--min_chars_for', values[i + 1] as string, parseInteger);
    atMost('--min_chars_for', n, MAX_TEXT_COLUMNS, 'characters');
    out.push([values[i] as string, n]);
  }
  return out;
}

function keywordsHelp(): string {
  const list = (keywords: ReadonlyArray<readonly [string, string]>): string => keywords.map(([k, h]) => `    ${k.padEnd(45)} ${h}`).join('\n');
  return `\nFormat keywords (for --format set|append <area> <text>; "\\n" is a newline):\n  record_head, record_tail:\n${list(RECORD_KEYWORDS)}\n  snapshot_head, snapshot_tail:\n${list(SNAPSHOT_KEYWORDS)}\n  region:\n${list(REGION_KEYWORDS)}`;
}

export function registerAccess(report: Command, ctx: CommandContext): void {
  const cmd = report
    .command('access')
    .summary("access pattern of each snapshot, in damo 3.x's styles (damo report access)")
    .description(
      'Show the access pattern of every snapshot of a recording, byte for byte as damo 3.3.0 ' +
        'does: a --style, a custom --format, damo\'s raw text (--raw_form) or its JSON (--json). ' +
        "damo's --exec (Python code run on the records) is not offered: use --json and process " +
        'the JSON with any tool (see the examples).',
    );
  addInputOptions(cmd);
  addRecordFilterOptions(cmd)
    .addOption(new Option('--style <style>', 'output style').choices(ACCESS_STYLES).default('detailed'))
    .option('--percentiles_range <number...>', 'percentiles to show: start stop [step] like range(), or more than three values to list them')
    .option('--sort_regions_by <field...>', `sort regions by these fields (${SORT_FIELDS.join(', ')})`)
    .option('--sort_regions_dsc <field...>', 'sort in descending order for these fields (or all)')
    .addOption(exactOption('--temperature_weights <int...>', 'three weights of size, access rate and age in the temperature (default 0 100 100)', 3))
    .option('--hist_logscale', 'histogram ranges in log scale')
    .option('--hist_ranges <value...>', 'histogram ranges: pairs of bounds')
    .option('--hist_cumulate', 'cumulative histograms')
    .option('--format <action_area_text...>', 'customise the text: <set|append> <record_head|snapshot_head|region|snapshot_tail|record_tail> <format string> (repeatable)')
    .addOption(new Option('--format_record_head <template>').hideHelp())
    .addOption(new Option('--format_record_tail <template>').hideHelp())
    .addOption(new Option('--format_snapshot_head <template>').hideHelp())
    .addOption(new Option('--format_snapshot_tail <template>').hideHelp())
    .addOption(new Option('--format_region <template>').hideHelp())
    .option('--snapshot_heatmap_width <number>', 'width of the snapshot heatmap', parsePositiveInteger, 80)
    .addOption(new Option('--snapshot_heatmap_colorset <set>', 'snapshot heatmap colorset').choices(COLORSET_NAMES).default('gray'))
    .option('--snapshot_heatmap_static', 'draw address gaps to scale in the snapshot heatmap')
    .option('--region_box', 'show each region as a box')
    .addOption(exactOption('--region_box_values <value...>', `values shown by the box's length, colour and height (${BOX_VALUES.join(', ')}; default age access_rate size)`, 3))
    .addOption(exactOption('--region_box_min_max_length <min_max...>', 'box length range (default 1 30)', 2))
    .addOption(exactOption('--region_box_min_max_height <min_max...>', 'box height range (default 1 5)', 2))
    .addOption(new Option('--region_box_colorset <set>', 'region box colorset').choices(['gray', 'flame', 'emotion']).default('gray'))
    .addOption(exactOption('--region_box_scales <scale...>', 'linear or log for the length, colour and height (default log linear log)', 3))
    .addOption(new Option('--region_box_align <side>', 'box alignment').choices(['left', 'right']).default('left'))
    .addOption(exactOption('--min_chars_for <keyword_number...>', 'minimum characters of a keyword\'s text: <keyword> <number> (repeatable)', 2))
    .option('--total_sz_only', 'print only the total size of each snapshot')
    .option('--dont_merge_regions', 'live snapshots: keep adjacent regions with equal access counts and ages apart (recordings are never merged)')
    .option('--sysfs_root <dir>', "DAMON sysfs admin directory, for a live snapshot when -i is not given and a kdamond 'damo start' started is running", DEFAULT_ROOTS.sysfs)
    .option('--raw_number', 'plain numbers (bytes, ns, us) instead of human units')
    .option('--json', "damo's JSON form of the (filtered) records")
    .option('--raw_form', "damo's raw text form (the same as damo report raw)")
    .option('--snapshot_damos_filter <words...>', "DAMOS filters for taking a live snapshot (damo's --damos_filter form: <allow|reject> [none] <type> [<args>]); on a recording they are checked and change nothing, as in damo 3.3.0 (repeatable)")
    .option('--exec <command>', 'not supported: see the description')
    .addHelpText(
      'after',
      `
Examples:
  $ damo report access -i damon.data                          # heatmap and regions per snapshot
  $ damo report access -i damon.data --style recency-percentiles
  $ damo report access -i damon.data --style temperature-sz-hist
  $ damo report access -i damon.data --format set region "<index> <size> <access rate>"
  $ damo report access -i damon.data --json | jq '.[0].snapshots | length'   # instead of --exec
${keywordsHelp()}`,
    )
    .action(async (opts: AccessCliOptions, cmd: Command) => {
      if (opts.exec !== undefined) {
        throw new DamoError('E_USAGE', "--exec runs Python code in damo and is not offered by damo-ts; use --json and process the JSON with any tool (e.g. jq or a Node/Python script)");
      }
      const weights = ints('--temperature_weights', opts.temperature_weights, 3, '<size weight> <access rate weight> <age weight>') as [number, number, number] | undefined;
      const percentiles = opts.percentiles_range?.map((v) => optionValue('--percentiles_range', v, parseInteger));
      if (percentiles !== undefined) {
        if (percentiles.length === 0) throw new DamoError('E_USAGE', '--percentiles_range needs at least one number');
        // Checked here, before the recording is read; the views build the list again from these values.
        const { checkPercentiles, percentilesOfRange } = await import('../../report/percentiles.js');
        if (percentiles.length > 3) checkPercentiles('--percentiles_range', percentiles);
        else {
          const [a, b, c] = percentiles.length === 1 ? [0, percentiles[0] as number, 1] : [percentiles[0] as number, percentiles[1] as number, percentiles[2] ?? 1];
          percentilesOfRange('--percentiles_range', [a, b, c]);
        }
      }
      const formats: Partial<Record<FormatArea, string>> = {};
      if (opts.format_record_head !== undefined) formats.record_head = opts.format_record_head;
      if (opts.format_record_tail !== undefined) formats.record_tail = opts.format_record_tail;
      if (opts.format_snapshot_head !== undefined) formats.snapshot_head = opts.format_snapshot_head;
      if (opts.format_snapshot_tail !== undefined) formats.snapshot_tail = opts.format_snapshot_tail;
      if (opts.format_region !== undefined) formats.region = opts.format_region;
      const boxValues = choicesOf('--region_box_values', valuesOf('--region_box_values', opts.region_box_values, 3, '<length> <color> <height>'), BOX_VALUES);
      const boxScales = choicesOf('--region_box_scales', valuesOf('--region_box_scales', opts.region_box_scales, 3, '<length> <color> <height>'), ['linear', 'log'] as const);
      const boxLength = minMaxColumns('--region_box_min_max_length', ints('--region_box_min_max_length', opts.region_box_min_max_length, 2, '<min> <max>'), MAX_BOX_LENGTH);
      const boxHeight = minMaxColumns('--region_box_min_max_height', ints('--region_box_min_max_height', opts.region_box_min_max_height, 2, '<min> <max>'), MAX_BOX_HEIGHT);
      atMost('--snapshot_heatmap_width', opts.snapshot_heatmap_width, MAX_TEXT_COLUMNS, 'columns');
      if (opts.hist_ranges !== undefined && opts.hist_ranges.length % 2 !== 0) {
        throw new DamoError('E_USAGE', `--hist_ranges takes pairs of range bounds (got ${opts.hist_ranges.length} values)`);
      }
      const temperatureWeights = weights ?? [0, 100, 100];
      const format: AccessFormatOptions = {
        style: opts.style,
        raw: opts.raw_number === true,
        temperatureWeights,
        histLogscale: opts.hist_logscale === true,
        histCumulate: opts.hist_cumulate === true,
        histRanges: opts.hist_ranges,
        percentilesRange: percentiles,
        heatmapWidth: opts.snapshot_heatmap_width,
        heatmapColorset: opts.snapshot_heatmap_colorset,
        heatmapStatic: opts.snapshot_heatmap_static === true,
        sortBy: (choicesOf('--sort_regions_by', opts.sort_regions_by, SORT_FIELDS) as SortField[] | undefined) ?? ['address'],
        sortDsc: choicesOf('--sort_regions_dsc', opts.sort_regions_dsc, [...SORT_FIELDS, 'all'] as const),
        formats,
        formatEdits: formatEdits(opts.format),
        totalSzOnly: opts.total_sz_only === true,
        regionBox: opts.region_box === true,
        boxValues: (boxValues as [BoxValue, BoxValue, BoxValue] | undefined) ?? ['age', 'access_rate', 'size'],
        boxMinMaxLength: (boxLength as [number, number] | undefined) ?? [1, 30],
        boxMinMaxHeight: (boxHeight as [number, number] | undefined) ?? [1, 5],
        boxColorset: opts.region_box_colorset,
        boxScales: (boxScales as AccessFormatOptions['boxScales'] | undefined) ?? ['log', 'linear', 'log'],
        boxAlign: opts.region_box_align,
        minCharsFor: minChars(opts.min_chars_for),
      };
      const { runAccessCommand } = await import('../../report/access_command.js');
      // damo 3.3.0 snapshots the running kdamonds when no recording is named; we do that for
      // the kdamonds `damo start` started (a snapshot adds a scheme to them for a moment).
      let source;
      if (cmd.getOptionValueSource('input') === 'default') {
        const { liveSnapshotOfOurKdamonds } = await import('../../record/kdamond/control_command.js');
        source = liveSnapshotOfOurKdamonds(ctx.io, { sysfsRoot: opts.sysfs_root, mergeRegions: opts.dont_merge_regions !== true, debug: ctx.debug() }) ?? undefined;
      }
      const code = await runAccessCommand(ctx.io, {
        source,
        input: opts.input,
        strict: opts.strict === true,
        rawForm: opts.raw_form === true,
        json: opts.json === true,
        filter: recordFilterOf(opts, temperatureWeights),
        format,
        snapshotDamosFilter: opts.snapshot_damos_filter,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}
