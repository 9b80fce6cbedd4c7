// SPDX-License-Identifier: GPL-2.0-only
/**
 * The snapshots of a streamed pass over a large damo file kept for the passes after it in a
 * few bytes a region (json_source.ts): too many regions for kept_snapshots.ts (32 bytes a
 * region) within the reports' memory bound, but reading and parsing the JSON again costs a
 * heat map's second pass more than the first (damo's test recording x1000, 9.8 M regions:
 * ~2 s a pass; docs/PERFORMANCE.md, "Heat maps of large damo files: the first pass kept").
 *
 * Each region is four varints (its gap after the previous region's end, its length,
 * nr_accesses, age + 1), gathered in blocks of about BLOCK_RAW_BYTES and each block
 * deflated at zlib's fastest level: DAMON's regions repeat from one aggregation to the
 * next, so a block shrinks 6x (0.7 bytes a region on damo's test recording x1000). The
 * per-snapshot fields are columns. A value the coding cannot hold exactly (a fraction, an
 * address beyond 2^52, per-region extras) makes add() refuse: the caller then keeps nothing
 * and later passes read the file again, as before.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

import { emptySnapshotCounts, type Snapshot, type SnapshotColumns, type SnapshotExtras } from '../../core/model.js';
import { putUvarintAt, readVarint, varintEnd } from '../snapshot_block.js';

/** Coded bytes per block before it is deflated. */
const BLOCK_RAW_BYTES = 1 << 20;

/**
 * The most memory a keep may hold (deflated blocks and per-snapshot columns): past it add()
 * refuses. damo's test recording x1000 takes ~25 MB.
 */
export const CODED_KEPT_MAX_BYTES = 64 << 20;

/** Largest gap, length or count the coding holds: zigzag doubles a gap, within 2^53. */
const MAX_CODED = 2 ** 52;

/** Worst-case bytes of a region: four varints of up to 8 bytes. */
const REGION_MAX_BYTES = 32;

interface Block {
  deflated: Buffer;
  rawBytes: number;
  firstSnapshot: number;
  nrSnapshots: number;
  nrRegions: number;
}

/** The extras a snapshot keeps besides total_bytes, which has a column of its own. */
type KeptExtras = Pick<SnapshotExtras, 'sampleIntervalUs' | 'damosStats' | 'granularityBytes'>;

function grown<T extends Float64Array | Uint32Array>(a: T, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  const b = make(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

export class CodedKeptSnapshots {
  /** Regions kept so far. */
  nrRegions = 0;
  private nrSnapshots = 0;
  private targetIndex = new Uint32Array(1024);
  private startNs = new Float64Array(1024);
  private endNs = new Float64Array(1024);
  private counts = new Uint32Array(1024);
  /** total_bytes per snapshot, NaN when it has none; allocated at the first one. */
  private totalBytes: Float64Array | null = null;
  private readonly extras = new Map<number, KeptExtras>();
  private readonly blocks: Block[] = [];
  private deflatedBytes = 0;
  private raw = Buffer.allocUnsafe(BLOCK_RAW_BYTES + 64 * REGION_MAX_BYTES);
  private rawBytes = 0;
  private blockFirst = 0;
  private blockRegions = 0;

  /** Memory held: deflated blocks, per-snapshot columns and the block being filled. */
  get heldBytes(): number {
    return this.deflatedBytes + this.targetIndex.length * 28 + (this.totalBytes?.length ?? 0) * 8 + this.raw.length + this.extras.size * 64;
  }

  /** Keeps `s`; false when the coding cannot hold it exactly or the keep is full (keep nothing then). */
  add(s: Snapshot): boolean {
    if (s.szFilterPassed !== undefined || s.nrAccessesPercent !== undefined || s.ageUsec !== undefined) return false;
    if (!this.codeRegions(s.starts, s.ends, s.nrAccesses, s.ages, 0, s.starts.length)) return false;
    this.addFields(s.targetIndex, s.startNs, s.endNs, s.starts.length, s.totalBytes, s);
    return this.heldBytes <= CODED_KEPT_MAX_BYTES;
  }

  /** Keeps every snapshot of a column batch; false as add(). */
  addColumns(c: SnapshotColumns): boolean {
    for (let k = 0; k < c.count; k++) {
      const from = c.offsets[k] as number;
      const to = c.offsets[k + 1] as number;
      const x = c.extras?.[k];
      if (x?.szFilterPassed !== undefined) return false;
      if (!this.codeRegions(c.starts, c.ends, c.nrAccesses, c.ages, from, to)) return false;
      let totalBytes = x?.totalBytes;
      const column = c.totalBytes?.[k];
      if (column !== undefined && !Number.isNaN(column)) totalBytes = column;
      this.addFields(c.targetIndex[k] as number, c.startNs[k] as number, c.endNs[k] as number, to - from, totalBytes, x);
    }
    return this.heldBytes <= CODED_KEPT_MAX_BYTES;
  }

  private addFields(targetIndex: number, startNs: number, endNs: number, nrRegions: number, totalBytes: number | undefined, x: KeptExtras | undefined): void {
    const i = this.nrSnapshots;
    if (i === this.counts.length) {
      this.targetIndex = grown(this.targetIndex, i + 1, (n) => new Uint32Array(n));
      this.startNs = grown(this.startNs, i + 1, (n) => new Float64Array(n));
      this.endNs = grown(this.endNs, i + 1, (n) => new Float64Array(n));
      this.counts = grown(this.counts, i + 1, (n) => new Uint32Array(n));
    }
    this.targetIndex[i] = targetIndex;
    this.startNs[i] = startNs;
    this.endNs[i] = endNs;
    this.counts[i] = nrRegions;
    if (totalBytes !== undefined) {
      this.totalBytes ??= new Float64Array(this.counts.length).fill(NaN);
      if (this.totalBytes.length < this.counts.length) {
        const old = this.totalBytes;
        this.totalBytes = new Float64Array(this.counts.length).fill(NaN);
        this.totalBytes.set(old);
      }
      this.totalBytes[i] = totalBytes;
    } else if (this.totalBytes !== null && this.totalBytes.length < this.counts.length) {
      const old = this.totalBytes;
      this.totalBytes = new Float64Array(this.counts.length).fill(NaN);
      this.totalBytes.set(old);
    }
    if (x !== undefined && (x.sampleIntervalUs !== undefined || x.damosStats !== undefined || x.granularityBytes !== undefined)) {
      const kept: KeptExtras = {};
      if (x.sampleIntervalUs !== undefined) kept.sampleIntervalUs = x.sampleIntervalUs;
      if (x.damosStats !== undefined) kept.damosStats = x.damosStats;
      if (x.granularityBytes !== undefined) kept.granularityBytes = x.granularityBytes;
      this.extras.set(i, kept);
    }
    this.nrSnapshots = i + 1;
    this.nrRegions += nrRegions;
    this.blockRegions += nrRegions;
    if (this.rawBytes >= BLOCK_RAW_BYTES) this.closeBlock();
  }

  /** Codes regions [from, to) into the open block; false when a value cannot be held exactly. */
  private codeRegions(starts: Float64Array, ends: Float64Array, nrAccesses: Float64Array, ages: Float64Array, from: number, to: number): boolean {
    const need = this.rawBytes + (to - from) * REGION_MAX_BYTES;
    if (need > this.raw.length) {
      const bigger = Buffer.allocUnsafe(need);
      this.raw.copy(bigger, 0, 0, this.rawBytes);
      this.raw = bigger;
    }
    const b = this.raw;
    let p = this.rawBytes;
    let prevEnd = 0;
    for (let i = from; i < to; i++) {
      const start = starts[i] as number;
      const end = ends[i] as number;
      const nr = nrAccesses[i] as number;
      const age = (ages[i] as number) + 1;
      const gap = start - prevEnd;
      const length = end - start;
      if (!(Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(nr) && Number.isInteger(age))) return false;
      if (!(Math.abs(gap) < MAX_CODED && length >= 0 && length < MAX_CODED && nr >= 0 && nr < MAX_CODED && age >= 0 && age < MAX_CODED)) return false;
      p = putUvarintAt(b, p, gap >= 0 ? gap * 2 : -gap * 2 - 1);
      p = putUvarintAt(b, p, length);
      p = putUvarintAt(b, p, nr);
      p = putUvarintAt(b, p, age);
      prevEnd = end;
    }
    this.rawBytes = p;
    return true;
  }

  private closeBlock(): void {
    if (this.nrSnapshots === this.blockFirst) return;
    const deflated = deflateRawSync(this.raw.subarray(0, this.rawBytes), { level: 1 });
    this.blocks.push({ deflated, rawBytes: this.rawBytes, firstSnapshot: this.blockFirst, nrSnapshots: this.nrSnapshots - this.blockFirst, nrRegions: this.blockRegions });
    this.deflatedBytes += deflated.length;
    this.blockFirst = this.nrSnapshots;
    this.blockRegions = 0;
    this.rawBytes = 0;
  }

  /** Decodes a block's regions into `into` (each column at least block.nrRegions long). */
  private decodeBlock(block: Block, into: { starts: Float64Array; ends: Float64Array; nrAccesses: Float64Array; ages: Float64Array }): void {
    const raw = inflateRawSync(block.deflated);
    const { starts, ends, nrAccesses, ages } = into;
    const counts = this.counts;
    let p = 0;
    let r = 0;
    for (let k = block.firstSnapshot, e = block.firstSnapshot + block.nrSnapshots; k < e; k++) {
      let prevEnd = 0;
      for (let n = counts[k] as number; n > 0; n--) {
        let v = raw[p++] as number;
        if (v >= 0x80) {
          v = readVarint(raw, p - 1);
          p = varintEnd();
        }
        const gap = v % 2 === 0 ? v / 2 : -(v + 1) / 2;
        const start = prevEnd + gap;
        let length = raw[p++] as number;
        if (length >= 0x80) {
          length = readVarint(raw, p - 1);
          p = varintEnd();
        }
        let nr = raw[p++] as number;
        if (nr >= 0x80) {
          nr = readVarint(raw, p - 1);
          p = varintEnd();
        }
        let age = raw[p++] as number;
        if (age >= 0x80) {
          age = readVarint(raw, p - 1);
          p = varintEnd();
        }
        starts[r] = start;
        ends[r] = prevEnd = start + length;
        nrAccesses[r] = nr;
        ages[r] = age - 1;
        r++;
      }
    }
  }

  /** The per-snapshot extras of snapshot k, when it has any. */
  private extrasOf(k: number): SnapshotExtras | undefined {
    const x = this.extras.get(k);
    const totalBytes = this.totalBytes?.[k];
    const hasTotal = totalBytes !== undefined && !Number.isNaN(totalBytes);
    if (x === undefined && !hasTotal) return undefined;
    // The fields in snapshotOf()'s order (records.ts), so replayed objects share its shape.
    const out: SnapshotExtras = {};
    if (x?.sampleIntervalUs !== undefined) out.sampleIntervalUs = x.sampleIntervalUs;
    if (hasTotal) out.totalBytes = totalBytes;
    if (x?.damosStats !== undefined) out.damosStats = x.damosStats;
    if (x?.granularityBytes !== undefined) out.granularityBytes = x.granularityBytes;
    return out;
  }

  /** The kept snapshots in the order they were added, as fresh objects. */
  *replay(): Generator<Snapshot> {
    this.closeBlock();
    for (const block of this.blocks) {
      const n = block.nrRegions;
      const store = new Float64Array(n * 4);
      const cols = { starts: store.subarray(0, n), ends: store.subarray(n, 2 * n), nrAccesses: store.subarray(2 * n, 3 * n), ages: store.subarray(3 * n) };
      this.decodeBlock(block, cols);
      let at = 0;
      for (let k = block.firstSnapshot, e = block.firstSnapshot + block.nrSnapshots; k < e; k++) {
        const m = this.counts[k] as number;
        const s: Snapshot = {
          targetIndex: this.targetIndex[k] as number,
          startNs: this.startNs[k] as number,
          endNs: this.endNs[k] as number,
          starts: cols.starts.subarray(at, at + m),
          ends: cols.ends.subarray(at, at + m),
          nrAccesses: cols.nrAccesses.subarray(at, at + m),
          ages: cols.ages.subarray(at, at + m),
        };
        const x = this.extrasOf(k);
        if (x !== undefined) Object.assign(s, x);
        at += m;
        yield s;
      }
    }
  }

  /**
   * The kept snapshots in the order they were added, in column batches of at most
   * `batchSnapshots` within one block. A batch's regions live in buffers the next block's
   * batches fill again: a batch is valid until the next one (core/model.ts SnapshotColumns).
   */
  *replayColumns(batchSnapshots: number): Generator<SnapshotColumns> {
    this.closeBlock();
    let most = 0;
    for (const block of this.blocks) most = Math.max(most, block.nrRegions);
    const store = new Float64Array(most * 4);
    const cols = { starts: store.subarray(0, most), ends: store.subarray(most, 2 * most), nrAccesses: store.subarray(2 * most, 3 * most), ages: store.subarray(3 * most) };
    const totalColumn = this.totalBytes;
    for (const block of this.blocks) {
      this.decodeBlock(block, cols);
      let regionAt = 0;
      for (let first = block.firstSnapshot, end = block.firstSnapshot + block.nrSnapshots; first < end; ) {
        const count = Math.min(batchSnapshots, end - first);
        const c: SnapshotColumns = { ...emptySnapshotCounts(count), starts: cols.starts, ends: cols.ends, nrAccesses: cols.nrAccesses, ages: cols.ages, extras: null, totalBytes: null };
        c.targetIndex.set(this.targetIndex.subarray(first, first + count));
        c.startNs.set(this.startNs.subarray(first, first + count));
        c.endNs.set(this.endNs.subarray(first, first + count));
        const from = regionAt;
        for (let k = 0; k < count; k++) {
          const i = first + k;
          regionAt += this.counts[i] as number;
          c.offsets[k + 1] = regionAt - from;
          const x = this.extras.get(i);
          if (x !== undefined) (c.extras ??= new Array<SnapshotExtras | undefined>(count))[k] = this.extrasOf(i);
          else if (totalColumn !== null && !Number.isNaN(totalColumn[i] as number)) (c.totalBytes ??= new Float64Array(count).fill(NaN))[k] = totalColumn[i] as number;
        }
        c.starts = cols.starts.subarray(from, regionAt);
        c.ends = cols.ends.subarray(from, regionAt);
        c.nrAccesses = cols.nrAccesses.subarray(from, regionAt);
        c.ages = cols.ages.subarray(from, regionAt);
        yield c;
        first += count;
      }
    }
  }
}
