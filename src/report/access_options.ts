// SPDX-License-Identifier: GPL-2.0-only
/**
 * What `damo report access` and `damo adjust` can be asked (damo 3.3.0): the styles, the
 * format areas and keywords, the sort fields, the region box values, the record filters,
 * and the option types the CLI fills in. Lists and types only; the report runs in
 * access_command.ts.
 */
import type { ColorsetName } from './heats_text.js';

export type Weights = readonly [number, number, number];

export interface ViewOptions {
  raw: boolean;
  temperatureWeights: Weights;
  histLogscale: boolean;
  histCumulate: boolean;
  /** --hist_ranges: pairs of range bounds in the metric's text form. */
  histRanges: string[] | undefined;
  /** --percentiles_range values (range() arguments when at most three). */
  percentilesRange: number[] | undefined;
  heatmapWidth: number;
  heatmapColorset: ColorsetName;
  heatmapStatic: boolean;
}

/**
 * Bounds of the sizes the user gives the text: a snapshot heatmap or a keyword padded to
 * 10,000 columns is already unreadable, and far more would build strings of gigabytes.
 */
export const MAX_TEXT_COLUMNS = 10000;
/** Region boxes: damo's defaults are 1..30 columns and 1..5 rows. */
export const MAX_BOX_LENGTH = 1000;
export const MAX_BOX_HEIGHT = 100;

export const ACCESS_STYLES = [
  'detailed',
  'simple-boxes',
  'temperature-sz-hist',
  'recency-sz-hist',
  'cold-memory-tail',
  'recency-percentiles',
  'idle-time-percentiles',
  'temperature-percentiles',
  'cold',
  'hot',
] as const;
export type AccessStyle = (typeof ACCESS_STYLES)[number];

export const FORMAT_AREAS = ['record_head', 'snapshot_head', 'region', 'snapshot_tail', 'record_tail'] as const;
export type FormatArea = (typeof FORMAT_AREAS)[number];

export const SORT_FIELDS = ['address', 'access_rate', 'age', 'size', 'temperature'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export const BOX_VALUES = ['size', 'access_rate', 'age', 'none'] as const;
export type BoxValue = (typeof BOX_VALUES)[number];

export interface FormatEdit {
  action: 'set' | 'append';
  area: FormatArea;
  text: string;
}

/** Everything the user chose about the text (damo's ReportFormat inputs). */
export interface AccessFormatOptions extends ViewOptions {
  style: AccessStyle;
  sortBy: SortField[];
  sortDsc: Array<SortField | 'all'> | undefined;
  formats: Partial<Record<FormatArea, string>>;
  formatEdits: FormatEdit[];
  totalSzOnly: boolean;
  regionBox: boolean;
  boxValues: [BoxValue, BoxValue, BoxValue];
  boxMinMaxLength: [number, number];
  boxMinMaxHeight: [number, number];
  boxColorset: ColorsetName;
  boxScales: ['linear' | 'log', 'linear' | 'log', 'linear' | 'log'];
  boxAlign: 'left' | 'right';
  minCharsFor: Array<[string, number]>;
}

/** damo's default minimum widths of keyword texts (--min_chars_for adds to these). */
export const DEFAULT_MIN_CHARS: ReadonlyArray<[string, number]> = [
  ['<index>', 3],
  ['<start address>', 12],
  ['<end address>', 11],
  ['<size>', 11],
  ['<access rate>', 5],
  ['<access hz>', 6],
  ['<age>', 13],
  ['<filters passed type>', 10],
];

export const RECORD_KEYWORDS = [
  ['<kdamond index>', "index of the record's kdamond"],
  ['<context index>', "index of the record's DAMON context"],
  ['<scheme index>', "index of the record's DAMOS scheme"],
  ['<target id>', "index of the record's DAMON target"],
  ['<abs start time>', 'absolute time of the start of the record'],
  ['<duration>', 'duration of the record'],
  ['<intervals>', 'monitoring intervals'],
  ['<intervals goal>', 'monitoring intervals tuning goal'],
  ['<data source>', 'data source of the record'],
  ['<format strings>', 'current format strings'],
] as const;
export type RecordKeyword = (typeof RECORD_KEYWORDS)[number][0];

export const SNAPSHOT_KEYWORDS = [
  ['<total bytes>', 'total bytes of regions in the snapshot'],
  ['<duration>', 'access monitoring duration for the snapshot'],
  ['<start time>', 'snapshot start time, relative to the record start'],
  ['<end time>', 'snapshot end time, relative to the record start'],
  ['<abs start time>', 'absolute snapshot start time'],
  ['<abs end time>', 'absolute snapshot end time'],
  ['<number of regions>', 'the number of regions in the snapshot'],
  ['<region box colors>', 'available colors for the region box'],
  ['<region box description>', 'what the region box shows and how'],
  ['<temperature-sz histogram>', 'temperature to total size histogram'],
  ['<temperature-df-passed-sz histogram>', 'temperature to DAMOS filters (df) passed size histogram'],
  ['<recency-sz histogram>', 'idle time to total size histogram'],
  ['<recency-df-passed-sz histogram>', 'idle time to df-passed size histogram'],
  ['<recency percentiles>', 'per-byte idle time percentiles'],
  ['<df-passed recency percentiles>', 'per-df-passed-byte idle time percentiles'],
  ['<temperature percentiles>', 'per-byte temperature percentiles'],
  ['<df-passed temperature percentiles>', 'per-df-passed-byte temperature percentiles'],
  ['<heatmap>', 'heatmap of the snapshot'],
  ['<filters passed heatmap>', 'heatmap of the filter-passed regions'],
  ['<filters passed type>', 'type of <filters passed bytes> memory'],
  ['<filters passed bytes>', 'bytes of regions that passed DAMOS filters'],
  ['<positive access samples ratio>', 'positive access samples ratio'],
  ['<estimated memory bandwidth>', 'estimated memory bandwidth'],
  ['<filters passed estimated memory bandwidth>', 'estimated memory bandwidth of df-passed memory'],
  ['<intervals tuning status>', 'intervals tuning status'],
  ['<damos stats>', 'DAMOS stats for the snapshot-retrieval scheme'],
  ['<snapshot intervals>', 'snapshot intervals status'],
] as const;
export type SnapshotKeyword = (typeof SNAPSHOT_KEYWORDS)[number][0];

export const REGION_KEYWORDS = [
  ['<index>', 'index of the region in the snapshot'],
  ['<start address>', 'start address of the region'],
  ['<end address>', 'end address of the region'],
  ['<size>', 'size of the region'],
  ['<access rate>', 'monitored access rate of the region'],
  ['<access hz>', 'monitored access frequency of the region in hz'],
  ['<age>', 'how long the access pattern of the region has maintained'],
  ['<temperature>', 'access temperature of the region'],
  ['<probe hits>', 'data attributes probe hit counts'],
  ['<filters passed bytes>', 'bytes of the region that passed DAMOS filters'],
  ['<box>', 'box showing age, access rate and size (see --region_box_*)'],
] as const;
export type RegionKeyword = (typeof REGION_KEYWORDS)[number][0];

export interface RecordFilter {
  /** [min, max] bytes of a region. */
  szRegion: [number, number] | undefined;
  /** [min, max] access rate in percent. */
  accessRate: [number, number] | undefined;
  /** [min, max] age in microseconds. */
  ageUs: [number, number] | undefined;
  addressRanges: Array<[number, number]> | undefined;
  snapshotSzRanges: Array<[number, number]> | undefined;
  /** [start, end] ns, compared with the snapshots' absolute times. */
  snapshotTimeRanges: Array<[number, number]> | undefined;
  snapshotIdxRanges: Array<[number, number]> | undefined;
  temperatureRanges: Array<[number, number]> | undefined;
  temperatureWeights: readonly [number, number, number];
}

export function emptyRecordFilter(): RecordFilter {
  return {
    szRegion: undefined,
    accessRate: undefined,
    ageUs: undefined,
    addressRanges: undefined,
    snapshotSzRanges: undefined,
    snapshotTimeRanges: undefined,
    snapshotIdxRanges: undefined,
    temperatureRanges: undefined,
    temperatureWeights: [0, 100, 100],
  };
}

/** The file types damo adjust writes (damo `self_write_supported_file_types`). */
export const ADJUST_OUTPUT_TYPES = ['json_compressed', 'json', 'perf_script'] as const;
export type AdjustOutputType = (typeof ADJUST_OUTPUT_TYPES)[number];
