// SPDX-License-Identifier: GPL-2.0-only
/**
 * What the damo-compatible reports share: damo's snapshot re-aggregation
 * (`_damo_records.adjust_records`) and its exact mean. Walking a recording target by target
 * is core/trace_walk.ts.
 */
import type { Snapshot } from '../core/model.js';

/** A region while re-aggregating; objects so that identity works like damo's dict keys. */
interface AggRegion {
  start: number;
  end: number;
  samples: number;
}

/**
 * damo `aggregate_snapshots`: the first snapshot's layout is kept; for every later snapshot,
 * each existing region gets the maximum nr_accesses of the regions that overlap it, and
 * parts no existing region covers are appended. Faithful to damo's list-order scan so the
 * result is identical even for overlapping or empty regions.
 */
function addRegion(regions: AggRegion[], region: AggRegion, toAdd: Map<AggRegion, number>): void {
  for (const r of regions) {
    if (r.end <= region.start || region.end <= r.start) continue;
    toAdd.set(r, Math.max(toAdd.get(r) ?? 0, region.samples));
    const parts: AggRegion[] = [];
    if (region.start < r.start) parts.push({ start: region.start, end: r.start, samples: region.samples });
    if (r.end < region.end) parts.push({ start: r.end, end: region.end, samples: region.samples });
    for (const p of parts) addRegion(regions, p, toAdd);
    return;
  }
  regions.push(region);
}

export interface AggregatedSnapshot {
  startNs: number;
  endNs: number;
  /** Region sizes and nr_accesses after aggregation, parallel. */
  sizes: Float64Array;
  nrAccesses: Float64Array;
}

/** What aggregation yields: the snapshot itself when aggregation is the identity. */
export type Adjusted = { kind: 'same'; snapshot: Snapshot } | ({ kind: 'aggregated' } & AggregatedSnapshot);

function isSortedDisjoint(s: Snapshot): boolean {
  const n = s.starts.length;
  for (let i = 0; i < n; i++) {
    if (!((s.starts[i] as number) < (s.ends[i] as number))) return false;
    if (i > 0 && (s.starts[i] as number) < (s.ends[i - 1] as number)) return false;
  }
  return true;
}

export function aggregateSnapshots(group: Snapshot[]): Adjusted {
  const first = group[0] as Snapshot;
  const last = group[group.length - 1] as Snapshot;
  // No region overlaps another, so damo's aggregation is the identity.
  if (group.length === 1 && isSortedDisjoint(first)) return { kind: 'same', snapshot: first };
  const regions: AggRegion[] = [];
  for (const s of group) {
    const toAdd = new Map<AggRegion, number>();
    for (let i = 0; i < s.starts.length; i++) {
      addRegion(regions, { start: s.starts[i] as number, end: s.ends[i] as number, samples: s.nrAccesses[i] as number }, toAdd);
    }
    for (const [r, add] of toAdd) r.samples += add;
  }
  const sizes = new Float64Array(regions.length);
  const nrAccesses = new Float64Array(regions.length);
  regions.forEach((r, i) => {
    sizes[i] = r.end - r.start;
    nrAccesses[i] = r.samples;
  });
  return { kind: 'aggregated', startNs: first.startNs, endNs: last.endNs, sizes, nrAccesses };
}

/**
 * damo `adjust_records` for one record, streaming: drops the first `skip` snapshots, then
 * groups snapshots until a group spans at least `workTimeUs` (last end - first start) and
 * aggregates each group; a trailing partial group is dropped.
 */
export class SnapshotAdjuster {
  private seen = 0;
  private group: Snapshot[] = [];

  constructor(
    private readonly skip: number,
    private readonly workTimeUs: number,
    private readonly emit: (s: Adjusted) => void,
  ) {}

  /**
   * For readers of column batches: true, and counted, when the next snapshot, spanning
   * [startNs, endNs), is one push() would skip or close a group with alone; the caller then
   * handles it (the latter as aggregateSnapshots([it]) would). False: push() it.
   */
  takesAlone(startNs: number, endNs: number): 'skip' | 'alone' | false {
    if (this.seen < this.skip) {
      this.seen++;
      return 'skip';
    }
    if (this.group.length === 0 && endNs - startNs >= this.workTimeUs * 1000) {
      this.seen++;
      return 'alone';
    }
    return false;
  }

  push(s: Snapshot): void {
    if (this.seen++ < this.skip) return;
    this.group.push(s);
    const first = this.group[0] as Snapshot;
    if (s.endNs - first.startNs >= this.workTimeUs * 1000) {
      this.emit(aggregateSnapshots(this.group));
      this.group = [];
    }
  }
}

const TWO_POW_32 = 2 ** 32;
const TWO_POW_52 = 2 ** 52;

/** Python's `int / int` for non-negative sums that may exceed 2^53 (correctly rounded). */
export function exactMean(values: ArrayLike<number>): number {
  let sum = 0;
  let exact = true;
  let integers = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    sum += v;
    if (sum > Number.MAX_SAFE_INTEGER) exact = false;
    if (!Number.isSafeInteger(v)) integers = false;
  }
  if (exact || !integers) return sum / values.length;
  // The exact sum in two numbers, each kept below 2^53: the values' multiples of 2^32 and
  // their remainders (a BigInt per value was a fresh allocation per snapshot).
  let high = 0;
  let low = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const h = Math.floor(v / TWO_POW_32);
    high += h;
    low += v - h * TWO_POW_32;
    if (low >= TWO_POW_52) {
      const carry = Math.floor(low / TWO_POW_32);
      high += carry;
      low -= carry * TWO_POW_32;
    }
  }
  const big = (BigInt(high) << 32n) + BigInt(low);
  const scale = 1n << 64n;
  return Number((big * scale) / BigInt(values.length)) / 2 ** 64;
}
