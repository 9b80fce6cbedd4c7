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
 * next, so the keep of damo's test recording x1000 holds 14.6 MB, 1.5 bytes a region. Each
 * snapshot's fields (target, number of regions, times, total_bytes) go before its regions
 * in the same blocks; the few other extras (damos_stats, sample_interval_us) are kept
 * as objects. A value the coding cannot hold exactly (a fraction, an
 * address beyond 2^52, per-region extras) makes add() refuse: the caller then keeps nothing
 * and later passes read the file again, as before.
 */
import { deflateRawSync } from 'node:zlib';

import { type Snapshot, type SnapshotColumns, type SnapshotExtras } from '../../core/model.js';
import { putUvarintAt, readVarint, varintCursor } from '../varint.js';
import { RawInflater } from '../zlib_handle.js';

/** Coded bytes per block before it is deflated. */
const BLOCK_RAW_BYTES = 1 << 20;

/**
 * The most memory a keep may hold (deflated blocks and per-snapshot columns): past it add()
 * refuses. damo's test recording x1000 takes 14.6 MB.
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

/** A block's per-snapshot fields, decoded. */
interface BlockFields {
  targetIndex: Uint32Array;
  startNs: Float64Array;
  endNs: Float64Array;
  counts: Uint32Array;
  /** NaN where a snapshot has no total_bytes; null when none in the block has. */
  totalBytes: Float64Array | null;
}

/** The extras a snapshot keeps besides total_bytes, which is coded with its fields. */
type KeptExtras = Pick<SnapshotExtras, 'sampleIntervalUs' | 'damosStats' | 'granularityBytes'>;

/** Worst-case bytes of a snapshot's fields: two varints, three float64s and a flag. */
const FIELDS_MAX_BYTES = 2 * 8 + 3 * 8 + 1;

export class CodedKeptSnapshots {
  /** Regions kept so far. */
  nrRegions = 0;
  private nrSnapshots = 0;
  /** By snapshot number: the extras besides total_bytes, of the few snapshots that have any. */
  private readonly extras = new Map<number, KeptExtras>();
  private readonly blocks: Block[] = [];
  private deflatedBytes = 0;
  private raw = Buffer.allocUnsafe(BLOCK_RAW_BYTES + 64 * REGION_MAX_BYTES);
  /** Blocks are inflated one at a time, each decoded before the next is inflated. */
  private readonly inflater = new RawInflater();
  private rawBytes = 0;
  private blockFirst = 0;
  private blockRegions = 0;

  /** Memory held: deflated blocks, the block being filled and the extras. */
  get heldBytes(): number {
    return this.deflatedBytes + this.raw.length + this.extras.size * 64;
  }

  /** Keeps `s`; false when the coding cannot hold it exactly or the keep is full (keep nothing then). */
  add(s: Snapshot): boolean {
    if (s.szFilterPassed !== undefined || s.nrAccessesPercent !== undefined || s.ageUsec !== undefined) return false;
    if (!this.codeSnapshot(s.targetIndex, s.startNs, s.endNs, s.totalBytes, s.starts, s.ends, s.nrAccesses, s.ages, 0, s.starts.length)) return false;
    this.added(s.starts.length, s);
    return this.heldBytes <= CODED_KEPT_MAX_BYTES;
  }

  /** Keeps every snapshot of a column batch; false as add(). */
  addColumns(c: SnapshotColumns): boolean {
    for (let k = 0; k < c.count; k++) {
      const from = c.offsets[k] as number;
      const to = c.offsets[k + 1] as number;
      const x = c.extras?.[k];
      if (x?.szFilterPassed !== undefined) return false;
      let totalBytes = x?.totalBytes;
      const column = c.totalBytes?.[k];
      if (column !== undefined && !Number.isNaN(column)) totalBytes = column;
      if (!this.codeSnapshot(c.targetIndex[k] as number, c.startNs[k] as number, c.endNs[k] as number, totalBytes, c.starts, c.ends, c.nrAccesses, c.ages, from, to)) return false;
      this.added(to - from, x);
    }
    return this.heldBytes <= CODED_KEPT_MAX_BYTES;
  }

  private added(nrRegions: number, x: KeptExtras | undefined): void {
    const i = this.nrSnapshots;
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

  /**
   * Codes a snapshot into the open block: its target, number of regions, times and
   * total_bytes, then regions [from, to). False when a value cannot be held exactly.
   */
  private codeSnapshot(
    targetIndex: number,
    startNs: number,
    endNs: number,
    totalBytes: number | undefined,
    starts: Float64Array,
    ends: Float64Array,
    nrAccesses: Float64Array,
    ages: Float64Array,
    from: number,
    to: number,
  ): boolean {
    const need = this.rawBytes + FIELDS_MAX_BYTES + (to - from) * REGION_MAX_BYTES;
    if (need > this.raw.length) {
      const bigger = Buffer.allocUnsafe(need);
      this.raw.copy(bigger, 0, 0, this.rawBytes);
      this.raw = bigger;
    }
    const b = this.raw;
    let p = putUvarintAt(b, this.rawBytes, targetIndex);
    p = putUvarintAt(b, p, to - from);
    b.writeDoubleLE(startNs, p);
    b.writeDoubleLE(endNs, p + 8);
    p += 16;
    if (totalBytes === undefined) b[p++] = 0;
    else {
      b[p++] = 1;
      b.writeDoubleLE(totalBytes, p);
      p += 8;
    }
    this.rawBytes = p;
    return this.codeRegions(starts, ends, nrAccesses, ages, from, to);
  }

  /** Codes regions [from, to) after the snapshot's fields (room made); false when a value cannot be held exactly. */
  private codeRegions(starts: Float64Array, ends: Float64Array, nrAccesses: Float64Array, ages: Float64Array, from: number, to: number): boolean {
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

  /** Decodes a block: its snapshots' fields, returned, and its regions into `into` (columns at least block.nrRegions long). */
  private decodeBlock(block: Block, into: { starts: Float64Array; ends: Float64Array; nrAccesses: Float64Array; ages: Float64Array }): BlockFields {
    const raw = this.inflater.inflate(block.deflated, block.rawBytes);
    const m = block.nrSnapshots;
    const fields: BlockFields = { targetIndex: new Uint32Array(m), startNs: new Float64Array(m), endNs: new Float64Array(m), counts: new Uint32Array(m), totalBytes: null };
    const { starts, ends, nrAccesses, ages } = into;
    let p = 0;
    let r = 0;
    for (let k = 0; k < m; k++) {
      fields.targetIndex[k] = readVarint(raw, p);
      const n = readVarint(raw, varintCursor);
      p = varintCursor;
      fields.counts[k] = n;
      fields.startNs[k] = raw.readDoubleLE(p);
      fields.endNs[k] = raw.readDoubleLE(p + 8);
      p += 16;
      if (raw[p++] === 1) {
        (fields.totalBytes ??= new Float64Array(m).fill(NaN))[k] = raw.readDoubleLE(p);
        p += 8;
      }
      let prevEnd = 0;
      for (let left = n; left > 0; left--) {
        let v = raw[p++] as number;
        if (v >= 0x80) {
          v = readVarint(raw, p - 1);
          p = varintCursor;
        }
        const gap = v % 2 === 0 ? v / 2 : -(v + 1) / 2;
        const start = prevEnd + gap;
        let length = raw[p++] as number;
        if (length >= 0x80) {
          length = readVarint(raw, p - 1);
          p = varintCursor;
        }
        let nr = raw[p++] as number;
        if (nr >= 0x80) {
          nr = readVarint(raw, p - 1);
          p = varintCursor;
        }
        let age = raw[p++] as number;
        if (age >= 0x80) {
          age = readVarint(raw, p - 1);
          p = varintCursor;
        }
        starts[r] = start;
        ends[r] = prevEnd = start + length;
        nrAccesses[r] = nr;
        ages[r] = age - 1;
        r++;
      }
    }
    return fields;
  }

  /** The extras of snapshot `i` (k-th of its block), when it has any. */
  private extrasOf(i: number, fields: BlockFields, k: number): SnapshotExtras | undefined {
    const x = this.extras.get(i);
    const totalBytes = fields.totalBytes?.[k];
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
      const fields = this.decodeBlock(block, cols);
      let at = 0;
      for (let k = 0; k < block.nrSnapshots; k++) {
        const m = fields.counts[k] as number;
        const s: Snapshot = {
          targetIndex: fields.targetIndex[k] as number,
          startNs: fields.startNs[k] as number,
          endNs: fields.endNs[k] as number,
          starts: cols.starts.subarray(at, at + m),
          ends: cols.ends.subarray(at, at + m),
          nrAccesses: cols.nrAccesses.subarray(at, at + m),
          ages: cols.ages.subarray(at, at + m),
        };
        const x = this.extrasOf(block.firstSnapshot + k, fields, k);
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
    for (const block of this.blocks) {
      const fields = this.decodeBlock(block, cols);
      let regionAt = 0;
      for (let first = 0; first < block.nrSnapshots; ) {
        const count = Math.min(batchSnapshots, block.nrSnapshots - first);
        const c: SnapshotColumns = {
          count,
          targetIndex: fields.targetIndex.subarray(first, first + count),
          startNs: fields.startNs.subarray(first, first + count),
          endNs: fields.endNs.subarray(first, first + count),
          offsets: new Uint32Array(count + 1),
          starts: cols.starts,
          ends: cols.ends,
          nrAccesses: cols.nrAccesses,
          ages: cols.ages,
          extras: null,
          totalBytes: null,
        };
        const from = regionAt;
        for (let k = 0; k < count; k++) {
          const j = first + k;
          regionAt += fields.counts[j] as number;
          c.offsets[k + 1] = regionAt - from;
          const i = block.firstSnapshot + j;
          if (this.extras.has(i)) (c.extras ??= new Array<SnapshotExtras | undefined>(count))[k] = this.extrasOf(i, fields, j);
          else if (fields.totalBytes !== null && !Number.isNaN(fields.totalBytes[j] as number)) (c.totalBytes ??= new Float64Array(count).fill(NaN))[k] = fields.totalBytes[j] as number;
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
