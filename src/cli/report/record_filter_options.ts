// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's record filter options (`damo help access_filter_options`), shared by
 * `report access` and `adjust`: parsing and validation only.
 */
import type { Command } from 'commander';

import { DamoError } from '../../core/errors.js';
import { emptyRecordFilter, type RecordFilter } from '../../report/access_options.js';
import {
  optionValue,
  parseInteger,
  parsePercentBound,
  parseSecondsBound,
  parseSizeBound,
  parseTimeNs,
  valuesOf,
} from '../values.js';
import { exactOption } from '../damo_command.js';

export interface RecordFilterCliOptions {
  sz_region?: string[];
  access_rate?: string[];
  age?: string[];
  address?: string[];
  sz_snapshot?: string[];
  snapshot_time?: string[];
  snapshot_idx?: string[];
  temperature?: string[];
}

export function addRecordFilterOptions(cmd: Command): Command {
  return cmd
    .addOption(exactOption('--sz_region <min_max...>', 'keep regions of [min, max] bytes (sizes like 4K, or min/max)', 2))
    .addOption(exactOption('--access_rate <min_max...>', 'keep regions whose access rate is in [min, max] percent', 2))
    .addOption(exactOption('--age <min_max...>', 'keep regions whose age is in [min, max] seconds', 2))
    .addOption(exactOption('--address <start_end...>', 'keep the parts of regions in [start, end) (repeatable: pairs)', 2))
    .addOption(exactOption('--sz_snapshot <min_max...>', 'keep snapshots whose regions total [min, max] bytes (repeatable: pairs)', 2))
    .addOption(exactOption('--snapshot_time <start_end...>', 'keep snapshots taken within [start, end] ns of the recording clock (repeatable: pairs)', 2))
    .addOption(exactOption('--snapshot_idx <start_end...>', 'keep snapshots with index in [start, end] (repeatable: pairs)', 2))
    .addOption(exactOption('--temperature <min_max...>', 'keep regions with temperature in [min, max] (repeatable: pairs)', 2));
}

function pair<T>(option: string, values: string[] | undefined, what: string, parse: (t: string) => T): [T, T] | undefined {
  const v = valuesOf(option, values, 2, what);
  if (v === undefined) return undefined;
  return [optionValue(option, v[0] as string, parse), optionValue(option, v[1] as string, parse)];
}

/** Pairs of a repeatable two-value option, checked for start <= end. */
function pairs(option: string, values: string[] | undefined, what: string, parse: (t: string) => number): Array<[number, number]> | undefined {
  if (values === undefined) return undefined;
  if (values.length === 0 || values.length % 2 !== 0) {
    throw new DamoError('E_USAGE', `${option} takes pairs of values: ${what} (got ${values.length}: ${values.join(' ')})`);
  }
  const out: Array<[number, number]> = [];
  for (let i = 0; i < values.length; i += 2) {
    const lo = optionValue(option, values[i] as string, parse);
    const hi = optionValue(option, values[i + 1] as string, parse);
    if (lo > hi) throw new DamoError('E_USAGE', `${option}: start ${values[i]} is after end ${values[i + 1]}`);
    out.push([lo, hi]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

function address(value: string): number {
  return parseSizeBound(value);
}

export function recordFilterOf(o: RecordFilterCliOptions, temperatureWeights: readonly [number, number, number] = [0, 100, 100]): RecordFilter {
  const f = emptyRecordFilter();
  f.temperatureWeights = temperatureWeights;
  f.szRegion = pair('--sz_region', o.sz_region, '<min> <max>', parseSizeBound);
  f.accessRate = pair('--access_rate', o.access_rate, '<min> <max>', parsePercentBound);
  const age = pair('--age', o.age, '<min> <max>', parseSecondsBound);
  if (age !== undefined) f.ageUs = [age[0] * 1e6, age[1] * 1e6];
  f.addressRanges = pairs('--address', o.address, '<start> <end>', address);
  if (f.addressRanges !== undefined) {
    for (let i = 1; i < f.addressRanges.length; i++) {
      if ((f.addressRanges[i - 1] as [number, number])[1] > (f.addressRanges[i] as [number, number])[0]) {
        throw new DamoError('E_USAGE', '--address: the ranges overlap; give disjoint ranges');
      }
    }
  }
  f.snapshotSzRanges = pairs('--sz_snapshot', o.sz_snapshot, '<min> <max>', parseSizeBound);
  f.snapshotTimeRanges = pairs('--snapshot_time', o.snapshot_time, '<start ns> <end ns>', parseTimeNs);
  f.snapshotIdxRanges = pairs('--snapshot_idx', o.snapshot_idx, '<start> <end>', parseInteger);
  f.temperatureRanges = pairs('--temperature', o.temperature, '<min> <max>', parseInteger);
  return f;
}
