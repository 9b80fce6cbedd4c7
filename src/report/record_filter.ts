// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's record filters (`damo help access_filter_options`; `_damo_records.RecordFilter`),
 * shared by `report access` and `adjust`: regions by size, access rate, age, address and
 * temperature; snapshots by total size, time and index. Applied in damo's order.
 */
import { DamoError } from '../core/errors.js';
import { formatTimeNs } from '../core/fmt.js';
import type { Intervals } from '../core/model.js';
import type { RecordFilter } from './access_options.js';
import { regionAt, temperatureOf, type AccessRecord, type AccessSnapshot } from './access_records.js';


interface Kept {
  starts: number[];
  ends: number[];
  samples: number[];
  ages: number[];
  passed: number[];
}

function rebuild(s: AccessSnapshot, keep: (k: Kept, i: number) => void, updateTotal: boolean): AccessSnapshot {
  const k: Kept = { starts: [], ends: [], samples: [], ages: [], passed: [] };
  for (let i = 0; i < s.starts.length; i++) keep(k, i);
  const out: AccessSnapshot = {
    ...s,
    starts: Float64Array.from(k.starts),
    ends: Float64Array.from(k.ends),
    samples: Float64Array.from(k.samples),
    ages: Float64Array.from(k.ages),
    szFilterPassed: s.szFilterPassed === undefined ? undefined : Float64Array.from(k.passed),
  };
  if (updateTotal) {
    let total = 0;
    for (let i = 0; i < out.starts.length; i++) total += (out.ends[i] as number) - (out.starts[i] as number);
    out.totalBytes = total;
  }
  return out;
}

function keepRegion(s: AccessSnapshot, k: Kept, i: number, start = s.starts[i] as number, end = s.ends[i] as number): void {
  k.starts.push(start);
  k.ends.push(end);
  k.samples.push(s.samples[i] as number);
  k.ages.push(s.ages[i] as number);
  k.passed.push(s.szFilterPassed === undefined ? 0 : (s.szFilterPassed[i] as number));
}

function inRanges(v: number, ranges: Array<[number, number]>): boolean {
  return ranges.some(([lo, hi]) => lo <= v && v <= hi);
}

export function isEmptyFilter(f: RecordFilter): boolean {
  return (
    f.szRegion === undefined &&
    f.accessRate === undefined &&
    f.ageUs === undefined &&
    f.addressRanges === undefined &&
    f.snapshotSzRanges === undefined &&
    f.snapshotTimeRanges === undefined &&
    f.snapshotIdxRanges === undefined &&
    f.temperatureRanges === undefined
  );
}

/**
 * Applies the filters to one snapshot of a record, streaming: `state` carries how many
 * snapshots passed the filters before the index filter (damo numbers the snapshots left by
 * the earlier filters). Returns the narrowed snapshot, or undefined when it is dropped.
 */
export function filterSnapshot(s0: AccessSnapshot, iv: Intervals | null, f: RecordFilter, state: { nrBeforeIdx: number }): AccessSnapshot | undefined {
  let s = s0;
  if (f.szRegion !== undefined || f.accessRate !== undefined || f.ageUs !== undefined) {
    const [szLo, szHi] = f.szRegion ?? [0, Infinity];
    const cur = s;
    s = rebuild(
      cur,
      (k, i) => {
        const sz = (cur.ends[i] as number) - (cur.starts[i] as number);
        if (sz < szLo || szHi < sz) return;
        if (iv !== null) {
          const r = regionAt(cur, i, iv);
          if (f.accessRate !== undefined && (r.percent < f.accessRate[0] || f.accessRate[1] < r.percent)) return;
          if (f.ageUs !== undefined && (r.ageUsec < f.ageUs[0] || f.ageUs[1] < r.ageUsec)) return;
        }
        keepRegion(cur, k, i);
      },
      false,
    );
  }
  const addr = f.addressRanges;
  if (addr !== undefined) {
    const cur = s;
    s = rebuild(
      cur,
      (k, i) => {
        const rs = cur.starts[i] as number;
        const re = cur.ends[i] as number;
        for (const [lo, hi] of addr) {
          if (re <= lo || hi <= rs) continue;
          keepRegion(cur, k, i, Math.max(lo, rs), Math.min(hi, re));
        }
      },
      true,
    );
  }
  if (f.snapshotSzRanges !== undefined && !inRanges(s.totalBytes, f.snapshotSzRanges)) return undefined;
  if (f.snapshotTimeRanges !== undefined && !f.snapshotTimeRanges.some(([lo, hi]) => s.startNs >= lo && s.endNs <= hi)) return undefined;
  const idx = state.nrBeforeIdx++;
  if (f.snapshotIdxRanges !== undefined && !inRanges(idx, f.snapshotIdxRanges)) return undefined;
  if (f.temperatureRanges !== undefined && iv !== null) {
    const ranges = f.temperatureRanges;
    const cur = s;
    s = rebuild(
      cur,
      (k, i) => {
        if (inRanges(temperatureOf(regionAt(cur, i, iv), f.temperatureWeights), ranges)) keepRegion(cur, k, i);
      },
      true,
    );
  }
  return s;
}

/** Narrows one record in place (its snapshots list and their regions). */
export function filterRecord(record: AccessRecord, f: RecordFilter): void {
  if (isEmptyFilter(f)) return;
  const state = { nrBeforeIdx: 0 };
  const kept: AccessSnapshot[] = [];
  for (const s of record.snapshots) {
    const out = filterSnapshot(s, record.intervals, f, state);
    if (out !== undefined) kept.push(out);
  }
  record.snapshots = kept;
}

/**
 * The address, time and index ranges of the filter, each checked on its own against the
 * records before filtering: a range that no region or snapshot could match is a usage error
 * saying what the recording holds, instead of an empty report. (Ranges that match only
 * together with the other filters fail nothing: that is an answer, not a mistake.)
 */
export function checkFilterRanges(records: readonly AccessRecord[], f: RecordFilter, path: string): void {
  let nrSnapshots = 0;
  let firstNs = Infinity;
  let lastNs = -Infinity;
  let lowest = Infinity;
  let highest = -Infinity;
  let addrHit = f.addressRanges === undefined;
  let timeHit = f.snapshotTimeRanges === undefined;
  let maxSnapshots = 0;
  for (const rec of records) {
    maxSnapshots = Math.max(maxSnapshots, rec.snapshots.length);
    for (const s of rec.snapshots) {
      nrSnapshots++;
      firstNs = Math.min(firstNs, s.startNs);
      lastNs = Math.max(lastNs, s.endNs);
      if (!timeHit && f.snapshotTimeRanges!.some(([lo, hi]) => s.startNs >= lo && s.endNs <= hi)) timeHit = true;
      const n = s.starts.length;
      if (n === 0) continue;
      lowest = Math.min(lowest, s.starts[0] as number);
      highest = Math.max(highest, s.ends[n - 1] as number);
      if (!addrHit) {
        for (let i = 0; i < n && !addrHit; i++) {
          const rs = s.starts[i] as number;
          const re = s.ends[i] as number;
          if (f.addressRanges!.some(([lo, hi]) => rs < hi && lo < re)) addrHit = true;
        }
      }
    }
  }
  if (nrSnapshots === 0) return;
  const pairs = (ranges: Array<[number, number]>): string => ranges.map(([lo, hi]) => `${lo} ${hi}`).join(', ');
  if (!addrHit) {
    const where =
      lowest === Infinity
        ? 'it has no regions'
        : `its regions span ${lowest} to ${highest} (0x${lowest.toString(16)} to 0x${highest.toString(16)})` +
          (f.addressRanges!.some(([lo, hi]) => lo < highest && lowest < hi) ? ', and the ranges fall in gaps between them' : '');
    throw new DamoError('E_USAGE', `--address ${pairs(f.addressRanges!)} matches no region of ${path}: ${where}`, {
      hint: 'see `damo report record_info` or `damo report heatmap --guide` for the monitored address ranges',
    });
  }
  if (!timeHit) {
    throw new DamoError(
      'E_USAGE',
      `--snapshot_time ${pairs(f.snapshotTimeRanges!)} contains no whole snapshot of ${path}: its snapshots run from ` +
        `${firstNs} to ${lastNs} ns of the recording's clock (${formatTimeNs(firstNs, false)} to ${formatTimeNs(lastNs, false)})`,
      { hint: 'times are absolute ns, and a snapshot counts only when it starts and ends within a range' },
    );
  }
  if (f.snapshotIdxRanges !== undefined && f.snapshotIdxRanges.every(([lo]) => lo >= maxSnapshots)) {
    throw new DamoError(
      'E_USAGE',
      `--snapshot_idx ${pairs(f.snapshotIdxRanges)} is past the last snapshot of ${path}: ` +
        `its records have at most ${maxSnapshots} snapshot${maxSnapshots === 1 ? '' : 's'} (indexes 0 to ${maxSnapshots - 1})`,
    );
  }
}
