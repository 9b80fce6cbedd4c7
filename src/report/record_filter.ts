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

/** Narrows one record in place (its snapshots list and their regions). */
export function filterRecord(record: AccessRecord, f: RecordFilter): void {
  const iv = record.intervals;
  if (f.szRegion !== undefined || f.accessRate !== undefined || f.ageUs !== undefined) {
    const [szLo, szHi] = f.szRegion ?? [0, Infinity];
    record.snapshots = record.snapshots.map((s) =>
      rebuild(
        s,
        (k, i) => {
          const sz = (s.ends[i] as number) - (s.starts[i] as number);
          if (sz < szLo || szHi < sz) return;
          if (iv !== null) {
            const r = regionView(s, i, iv);
            if (f.accessRate !== undefined && (r.percent < f.accessRate[0] || f.accessRate[1] < r.percent)) return;
            if (f.ageUs !== undefined && (r.ageUsec < f.ageUs[0] || f.ageUs[1] < r.ageUsec)) return;
          }
          keepRegion(s, k, i);
        },
        false,
      ),
    );
  }
  const addr = f.addressRanges;
  if (addr !== undefined) {
    record.snapshots = record.snapshots.map((s) =>
      rebuild(
        s,
        (k, i) => {
          const rs = s.starts[i] as number;
          const re = s.ends[i] as number;
          for (const [lo, hi] of addr) {
            if (re <= lo || hi <= rs) continue;
            keepRegion(s, k, i, Math.max(lo, rs), Math.min(hi, re));
          }
        },
        true,
      ),
    );
  }
  if (f.snapshotSzRanges !== undefined) {
    const ranges = f.snapshotSzRanges;
    record.snapshots = record.snapshots.filter((s) => inRanges(s.totalBytes, ranges));
  }
  if (f.snapshotTimeRanges !== undefined) {
    const ranges = f.snapshotTimeRanges;
    record.snapshots = record.snapshots.filter((s) => ranges.some(([lo, hi]) => s.startNs >= lo && s.endNs <= hi));
  }
  if (f.snapshotIdxRanges !== undefined) {
    const ranges = f.snapshotIdxRanges;
    record.snapshots = record.snapshots.filter((_, idx) => inRanges(idx, ranges));
  }
  if (f.temperatureRanges !== undefined && iv !== null) {
    const ranges = f.temperatureRanges;
    record.snapshots = record.snapshots.map((s) =>
      rebuild(
        s,
        (k, i) => {
          if (inRanges(temperatureOf(regionView(s, i, iv), f.temperatureWeights), ranges)) keepRegion(s, k, i);
        },
        true,
      ),
    );
  }
}
