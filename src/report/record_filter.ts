// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's record filters (`damo help access_filter_options`; `_damo_records.RecordFilter`),
 * shared by `report access` and `adjust`: regions by size, access rate, age, address and
 * temperature; snapshots by total size, time and index. Applied in damo's order.
 */
import type { Intervals } from '../core/model.js';
import type { RecordFilter } from './access_options.js';
import { accessPercent, ageUsec, temperatureOf, type AccessRecord, type AccessSnapshot, type RegionView } from './access_records.js';


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

function regionView(s: AccessSnapshot, i: number, iv: Intervals): RegionView {
  const samples = s.samples[i] as number;
  return {
    start: s.starts[i] as number,
    end: s.ends[i] as number,
    samples,
    percent: accessPercent(samples, iv),
    ageUsec: ageUsec(s.ages[i] as number, iv),
    szFilterPassed: s.szFilterPassed?.[i],
  };
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
          const r = regionView(cur, i, iv);
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
        if (inRanges(temperatureOf(regionView(cur, i, iv), f.temperatureWeights), ranges)) keepRegion(cur, k, i);
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
