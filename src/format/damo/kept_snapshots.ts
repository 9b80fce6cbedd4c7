// SPDX-License-Identifier: GPL-2.0-only
/**
 * The snapshots of a streamed pass kept for the passes after it (json_source.ts), compactly:
 * regions are copied into large shared blocks (32 bytes a region, 40 with
 * sz_filter_passed) and each snapshot keeps one small object, no typed-array views; a
 * replay builds the views afresh, which young-generation GC collects almost for free.
 * Keeping the snapshots as parsed cost twice the memory (five views per snapshot, over
 * 150 bytes each on damo's ~18-region snapshots) and kept every view alive until the end.
 */
import { emptySnapshotCounts, type DamosStats, type Snapshot, type SnapshotColumns, type SnapshotExtras } from '../../core/model.js';

/** Regions per block; a larger snapshot gets a block of its own. */
const BLOCK_REGIONS = 1 << 16;

type F64 = Float64Array<ArrayBuffer>;

interface Block {
  starts: F64;
  ends: F64;
  nrAccesses: F64;
  ages: F64;
  /** Allocated when a snapshot in the block has sz_filter_passed. */
  szFilterPassed: F64 | null;
  used: number;
}

/** The optional fields of a snapshot (core/model.ts Snapshot), when it has any. */
interface Extras {
  sampleIntervalUs?: number;
  totalBytes?: number;
  damosStats?: DamosStats;
  granularityBytes?: number;
}

interface Kept {
  targetIndex: number;
  startNs: number;
  endNs: number;
  block: Block;
  at: number;
  n: number;
  hasSzFilterPassed: boolean;
  extras: Extras | null;
}

/** The optional fields of `x` a kept snapshot holds besides its filter results (Extras), or null. */
function extrasToKeep(x: Readonly<SnapshotExtras>): Extras | null {
  let extras: Extras | null = null;
  if (x.sampleIntervalUs !== undefined) (extras ??= {}).sampleIntervalUs = x.sampleIntervalUs;
  if (x.totalBytes !== undefined) (extras ??= {}).totalBytes = x.totalBytes;
  if (x.damosStats !== undefined) (extras ??= {}).damosStats = x.damosStats;
  if (x.granularityBytes !== undefined) (extras ??= {}).granularityBytes = x.granularityBytes;
  return extras;
}

function newBlock(nrRegions: number): Block {
  const n = Math.max(BLOCK_REGIONS, nrRegions);
  return { starts: new Float64Array(n), ends: new Float64Array(n), nrAccesses: new Float64Array(n), ages: new Float64Array(n), szFilterPassed: null, used: 0 };
}

export class KeptSnapshots {
  /** Regions kept so far. */
  nrRegions = 0;
  private readonly kept: Kept[] = [];
  private block: Block = newBlock(0);

  add(s: Snapshot): void {
    const n = s.starts.length;
    let b = this.block;
    if (b.used + n > b.starts.length) {
      b = newBlock(n);
      this.block = b;
    }
    const at = b.used;
    b.starts.set(s.starts, at);
    b.ends.set(s.ends, at);
    b.nrAccesses.set(s.nrAccesses, at);
    b.ages.set(s.ages, at);
    const passed = s.szFilterPassed;
    if (passed !== undefined) {
      b.szFilterPassed ??= new Float64Array(b.starts.length);
      b.szFilterPassed.set(passed, at);
    }
    b.used += n;
    this.nrRegions += n;
    this.kept.push({ targetIndex: s.targetIndex, startNs: s.startNs, endNs: s.endNs, block: b, at, n, hasSzFilterPassed: passed !== undefined, extras: extrasToKeep(s) });
  }

  /**
   * Keeps every snapshot of a column batch (a column pass: no snapshot object is made). Runs
   * of snapshots that fit in the current block are copied with one set() per column.
   */
  addColumns(c: SnapshotColumns): void {
    const { count, offsets } = c;
    let k = 0;
    while (k < count) {
      let b = this.block;
      const first = (offsets[k + 1] as number) - (offsets[k] as number);
      if (b.used + first > b.starts.length) {
        b = newBlock(first);
        this.block = b;
      }
      const from = offsets[k] as number;
      let m = k + 1;
      while (m < count && b.used + (offsets[m + 1] as number) - from <= b.starts.length) m++;
      const to = offsets[m] as number;
      const at = b.used;
      b.starts.set(c.starts.subarray(from, to), at);
      b.ends.set(c.ends.subarray(from, to), at);
      b.nrAccesses.set(c.nrAccesses.subarray(from, to), at);
      b.ages.set(c.ages.subarray(from, to), at);
      for (let j = k; j < m; j++) {
        const jAt = at + (offsets[j] as number) - from;
        const n = (offsets[j + 1] as number) - (offsets[j] as number);
        const x = c.extras?.[j];
        const passed = x?.szFilterPassed;
        if (passed !== undefined) {
          b.szFilterPassed ??= new Float64Array(b.starts.length);
          b.szFilterPassed.set(passed, jAt);
        }
        let extras = x === undefined ? null : extrasToKeep(x);
        const totalBytes = c.totalBytes?.[j];
        if (totalBytes !== undefined && !Number.isNaN(totalBytes)) (extras ??= {}).totalBytes = totalBytes;
        this.kept.push({ targetIndex: c.targetIndex[j] as number, startNs: c.startNs[j] as number, endNs: c.endNs[j] as number, block: b, at: jAt, n, hasSzFilterPassed: passed !== undefined, extras });
      }
      b.used += to - from;
      this.nrRegions += to - from;
      k = m;
    }
  }

  /** The kept snapshots in the order they were added, as fresh objects. */
  *replay(): Generator<Snapshot> {
    for (const k of this.kept) yield this.snapshot(k);
  }

  /**
   * The kept snapshots in the order they were added, in column batches of at most
   * `batchSnapshots`: the region columns are views of the kept blocks (a batch ends where
   * a block does), so a replay copies no region. A batch stays valid for good.
   */
  *replayColumns(batchSnapshots: number): Generator<SnapshotColumns> {
    const kept = this.kept;
    let i = 0;
    while (i < kept.length) {
      const first = kept[i] as Kept;
      const b = first.block;
      let m = i + 1;
      while (m < kept.length && m - i < batchSnapshots && (kept[m] as Kept).block === b) m++;
      const count = m - i;
      const from = first.at;
      const last = kept[m - 1] as Kept;
      const to = last.at + last.n;
      const c: SnapshotColumns = {
        ...emptySnapshotCounts(count),
        starts: b.starts.subarray(from, to),
        ends: b.ends.subarray(from, to),
        nrAccesses: b.nrAccesses.subarray(from, to),
        ages: b.ages.subarray(from, to),
        extras: null,
        totalBytes: null,
      };
      for (let k = 0; k < count; k++) {
        const e = kept[i + k] as Kept;
        c.targetIndex[k] = e.targetIndex;
        c.startNs[k] = e.startNs;
        c.endNs[k] = e.endNs;
        c.offsets[k + 1] = e.at + e.n - from;
        const x = e.extras;
        if (x === null && !e.hasSzFilterPassed) continue;
        if (x !== null && !e.hasSzFilterPassed && x.totalBytes !== undefined && x.sampleIntervalUs === undefined && x.damosStats === undefined && x.granularityBytes === undefined) {
          // total_bytes alone (damo gives it to every snapshot) goes in its column.
          (c.totalBytes ??= new Float64Array(count).fill(NaN))[k] = x.totalBytes;
          continue;
        }
        const out: SnapshotExtras = {};
        if (x?.sampleIntervalUs !== undefined) out.sampleIntervalUs = x.sampleIntervalUs;
        if (x?.totalBytes !== undefined) out.totalBytes = x.totalBytes;
        if (x?.granularityBytes !== undefined) out.granularityBytes = x.granularityBytes;
        if (e.hasSzFilterPassed) out.szFilterPassed = (b.szFilterPassed as F64).subarray(e.at, e.at + e.n);
        if (x?.damosStats !== undefined) out.damosStats = x.damosStats;
        (c.extras ??= new Array<SnapshotExtras | undefined>(count))[k] = out;
      }
      yield c;
      i = m;
    }
  }

  /** One target's kept snapshots, in the order they were added, as fresh objects. */
  ofTarget(targetIndex: number): Snapshot[] {
    const out: Snapshot[] = [];
    for (const k of this.kept) if (k.targetIndex === targetIndex) out.push(this.snapshot(k));
    return out;
  }

  private snapshot(k: Kept): Snapshot {
    const { block: b, at } = k;
    const e = at + k.n;
    const s: Snapshot = {
      targetIndex: k.targetIndex,
      startNs: k.startNs,
      endNs: k.endNs,
      starts: b.starts.subarray(at, e),
      ends: b.ends.subarray(at, e),
      nrAccesses: b.nrAccesses.subarray(at, e),
      ages: b.ages.subarray(at, e),
    };
    const x = k.extras;
    // The fields in snapshotOf()'s order (records.ts), so replayed objects share its shape.
    if (x?.sampleIntervalUs !== undefined) s.sampleIntervalUs = x.sampleIntervalUs;
    if (x?.totalBytes !== undefined) s.totalBytes = x.totalBytes;
    if (k.hasSzFilterPassed) s.szFilterPassed = (b.szFilterPassed as F64).subarray(at, e);
    if (x?.damosStats !== undefined) s.damosStats = x.damosStats;
    if (x?.granularityBytes !== undefined) s.granularityBytes = x.granularityBytes;
    return s;
  }
}
