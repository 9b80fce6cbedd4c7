// SPDX-License-Identifier: GPL-2.0-only
/**
 * Snapshot blocks: frame type 6 of format versions 2 to 4 (docs/FORMAT.md, "Snapshot blocks").
 *
 * A block holds one or more snapshots in a compact columnar varint coding, compressed with
 * raw deflate whose preset dictionary is the tail of the coded bytes of the earlier blocks of
 * its segment. A segment is a run of snapshots (see segmentIsFull); its first block
 * needs nothing before it, so damage to one frame costs at most the rest of its segment.
 *
 * The dictionary is what makes 18-region snapshots small (DAMON's regions and counts repeat
 * from one aggregation to the next, and deflate finds them in the window), while every
 * snapshot can still go out in its own frame the moment it is taken.
 */
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, deflateRawSync, type InflateRaw, inflateRawSync } from 'node:zlib';

import { DamoError } from '../core/errors.js';
import { type DamosStats, type Snapshot, type SnapshotColumns, type SnapshotExtras, snapshotOfColumns } from '../core/model.js';
import { pb } from './pb.js';
import { putUvarintAt, readVarint, varintCursor as cursor } from './varint.js';
import { syncZlibOf, type ZlibHandle } from './zlib_handle.js';

/**
 * A segment closes once it holds SEGMENT_MIN_SNAPSHOTS snapshots and SEGMENT_MIN_REGIONS
 * regions, or SEGMENT_MAX_SNAPSHOTS snapshots (format version 3; version 2 closed every
 * segment at 32 snapshots). A damaged frame costs at most the rest of its segment. The region
 * floor is what makes small snapshots cheap to read: damo's ~18-region snapshots go 455 to a
 * segment, and a reader inflates a segment in one call, so the per-call cost of zlib is
 * spread over ~8,000 regions instead of ~600.
 */
export const SEGMENT_MIN_SNAPSHOTS = 32;
export const SEGMENT_MIN_REGIONS = 8192;
/** The most snapshots one damaged frame can cost. */
export const SEGMENT_MAX_SNAPSHOTS = 512;

/** Whether a segment of `nrSnapshots` snapshots holding `nrRegions` regions is closed. */
export function segmentIsFull(nrSnapshots: number, nrRegions: number): boolean {
  return nrSnapshots >= SEGMENT_MAX_SNAPSHOTS || (nrSnapshots >= SEGMENT_MIN_SNAPSHOTS && nrRegions >= SEGMENT_MIN_REGIONS);
}
/** A block is cut before its coded bytes exceed this (a single huge snapshot excepted). */
export const BLOCK_MAX_RAW_BYTES = 1 << 20;
/** deflate's window: the dictionary is at most this many bytes of the segment so far. */
export const DICTIONARY_BYTES = 32 * 1024;

export enum BlockCodec {
  Stored = 0,
  Deflate = 1,
}

const DEFLATE_LEVEL = 6;
/** The empty stored block a sync flush ends with; stripped on write, implied on read. */
const SYNC_MARKER_BYTES = 4;

// Snapshot flags (the second varint of each coded snapshot).
const F_AGES = 1;
const F_SAMPLE_INTERVAL = 2;
const F_TOTAL_BYTES = 4;
const F_GRANULARITY = 8;
const F_SZ_FILTER_PASSED = 16;
/** start_ns and end_ns are stored as float64 instead of integer deltas. */
const F_RAW_TIMES = 32;
/**
 * A SnapshotMore message (proto/trace.proto) follows, length first (format version 4): data
 * added after the fixed fields, in protobuf so that readers skip the fields they do not know.
 */
const F_MORE = 64;
const KNOWN_FLAGS = 127;

const TWO_POW_51 = 2 ** 51;
/** Largest unit shift: boundaries are multiples of 2^shift bytes. */
const MAX_UNIT_SHIFT = 40;
/** 2^shift for every unit shift: `2 ** shift` (a call to pow) was the hottest line of decodeColumns on 18-region snapshots. */
const UNIT_OF_SHIFT = Float64Array.from({ length: MAX_UNIT_SHIFT + 1 }, (_, i) => 2 ** i);

// ---------------------------------------------------------------------------------------
// Byte sink

/** A growable byte buffer with the little varint writer the coding needs. */
export class ByteSink {
  buf: Buffer;
  len = 0;

  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  reset(): void {
    this.len = 0;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.len + n, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.len++] = v;
  }

  /** A non-negative integer below 2^53 as LEB128. */
  uvarint(v: number): void {
    this.reserve(10);
    this.len = putUvarintAt(this.buf, this.len, v);
  }

  f64(v: number): void {
    this.reserve(8);
    this.buf.writeDoubleLE(v, this.len);
    this.len += 8;
  }

  bytes(src: Uint8Array): void {
    this.reserve(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

function internal(message: string): never {
  throw new DamoError('E_INTERNAL', message);
}

function corrupt(message: string): never {
  throw new DamoError('E_CORRUPT', message);
}

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function unzigzag(z: number): number {
  // Not z % 2: times' deltas exceed 2^31, where % is a floating-point remainder (slow).
  const half = Math.floor(z / 2);
  return z === half * 2 ? half : -half - 1;
}

function isCount(v: number | undefined): v is number {
  return v !== undefined && Number.isSafeInteger(v) && v >= 0;
}

// ---------------------------------------------------------------------------------------
// Coding of one snapshot

/** What the coding of a snapshot depends on from the snapshot before it in the segment. */
export interface TimeContext {
  prevEndNs: number;
  prevDurationNs: number;
}

export function newTimeContext(): TimeContext {
  return { prevEndNs: 0, prevDurationNs: 0 };
}

/** Trailing zero bits shared by every boundary (page-aligned regions give 12). */
function unitShiftOf(s: Snapshot): number {
  let shift = MAX_UNIT_SHIFT;
  const n = s.starts.length;
  for (let i = 0; i < n && shift > 0; i++) {
    const a = s.starts[i] as number;
    const b = s.ends[i] as number;
    while (shift > 0 && (a % 2 ** shift !== 0 || b % 2 ** shift !== 0)) shift--;
  }
  return shift;
}

function checkRegions(s: Snapshot): boolean {
  const n = s.starts.length;
  if (s.ends.length !== n || s.nrAccesses.length !== n || s.ages.length !== n) {
    internal(`snapshot arrays differ in length (${n}, ${s.ends.length}, ${s.nrAccesses.length}, ${s.ages.length})`);
  }
  let known = 0;
  for (let i = 0; i < n; i++) {
    const start = s.starts[i] as number;
    const end = s.ends[i] as number;
    const nr = s.nrAccesses[i] as number;
    const age = s.ages[i] as number;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start || start < 0) {
      internal(`snapshot region ${i} has an invalid range [${start}, ${end})`);
    }
    if (!Number.isInteger(nr) || nr < 0 || nr > 0xffffffff) internal(`snapshot region ${i} has an invalid nr_accesses ${nr}`);
    if (age >= 0) {
      if (!Number.isInteger(age) || age > 0xffffffff) internal(`snapshot region ${i} has an invalid age ${age}`);
      known++;
    }
  }
  if (known !== 0 && known !== n) internal('snapshot has ages for some regions but not for others');
  return n > 0 && known === n;
}

function checkCount(v: number | undefined, what: string): void {
  if (v !== undefined && !isCount(v)) internal(`snapshot ${what} ${v} is not a non-negative integer below 2^53`);
}

/** Appends the coding of `s` to `out` (docs/FORMAT.md, "Coded snapshot"). */
export function codeSnapshot(s: Snapshot, ctx: TimeContext, out: ByteSink): void {
  const hasAges = checkRegions(s);
  checkCount(s.sampleIntervalUs, 'sample_interval_us');
  checkCount(s.totalBytes, 'total_bytes');
  checkCount(s.granularityBytes, 'granularity_bytes');
  if (s.szFilterPassed) for (const v of s.szFilterPassed) checkCount(v, 'sz_filter_passed');
  if (s.damosStats) for (const [k, v] of Object.entries(s.damosStats)) checkCount(v, `damos_stats.${k}`);
  if (!Number.isInteger(s.targetIndex) || s.targetIndex < 0 || s.targetIndex > 0xffffffff) internal(`invalid target index ${s.targetIndex}`);

  const dStart = s.startNs - ctx.prevEndNs;
  const duration = s.endNs - s.startNs;
  const dDuration = duration - ctx.prevDurationNs;
  const integralTimes =
    Number.isInteger(dStart) &&
    Number.isInteger(dDuration) &&
    Math.abs(dStart) < TWO_POW_51 &&
    Math.abs(dDuration) < TWO_POW_51 &&
    ctx.prevEndNs + dStart === s.startNs &&
    s.startNs + (ctx.prevDurationNs + dDuration) === s.endNs;

  let flags = integralTimes ? 0 : F_RAW_TIMES;
  if (hasAges) flags |= F_AGES;
  if (s.sampleIntervalUs !== undefined) flags |= F_SAMPLE_INTERVAL;
  if (s.totalBytes !== undefined) flags |= F_TOTAL_BYTES;
  if (s.granularityBytes !== undefined) flags |= F_GRANULARITY;
  if (s.szFilterPassed !== undefined && s.szFilterPassed.length > 0) flags |= F_SZ_FILTER_PASSED;
  if (s.damosStats !== undefined) flags |= F_MORE;

  out.uvarint(s.targetIndex);
  out.uvarint(flags);
  if (integralTimes) {
    out.uvarint(zigzag(dStart));
    out.uvarint(zigzag(dDuration));
  } else {
    out.f64(s.startNs);
    out.f64(s.endNs);
  }
  ctx.prevEndNs = s.endNs;
  ctx.prevDurationNs = s.endNs - s.startNs;

  const n = s.starts.length;
  const shift = unitShiftOf(s);
  const unit = 2 ** shift;
  out.uvarint(n);
  out.u8(shift);
  // Gaps between a region's start and the previous region's end (0 for adjacent regions):
  // only the non-zero ones, as (index delta * 2 + sign, magnitude).
  let nrGaps = 0;
  let prevEnd = 0;
  for (let i = 0; i < n; i++) {
    if ((s.starts[i] as number) !== prevEnd) nrGaps++;
    prevEnd = s.ends[i] as number;
  }
  out.uvarint(nrGaps);
  prevEnd = 0;
  let prevGapIndex = 0;
  for (let i = 0; i < n; i++) {
    const start = s.starts[i] as number;
    if (start !== prevEnd) {
      const gap = (start - prevEnd) / unit;
      out.uvarint((i - prevGapIndex) * 2 + (gap < 0 ? 1 : 0));
      out.uvarint(Math.abs(gap));
      prevGapIndex = i;
    }
    prevEnd = s.ends[i] as number;
  }
  for (let i = 0; i < n; i++) out.uvarint(((s.ends[i] as number) - (s.starts[i] as number)) / unit);
  for (let i = 0; i < n; i++) out.uvarint(s.nrAccesses[i] as number);
  if (hasAges) for (let i = 0; i < n; i++) out.uvarint(s.ages[i] as number);
  if (flags & F_SZ_FILTER_PASSED) {
    const sz = s.szFilterPassed as Float64Array;
    out.uvarint(sz.length);
    for (const v of sz) out.uvarint(v);
  }
  if (s.sampleIntervalUs !== undefined) out.uvarint(s.sampleIntervalUs);
  if (s.totalBytes !== undefined) out.uvarint(s.totalBytes);
  if (s.granularityBytes !== undefined) out.uvarint(s.granularityBytes);
  if (flags & F_MORE) {
    const more = encodeMore(s.damosStats as DamosStats);
    out.uvarint(more.length);
    out.bytes(more);
  }
}

function encodeMore(st: DamosStats): Uint8Array {
  return pb.SnapshotMore.encode(
    pb.SnapshotMore.create({
      damosStats: {
        nrTried: st.nrTried,
        szTried: st.szTriedBytes,
        nrApplied: st.nrApplied,
        szApplied: st.szAppliedBytes,
        szOpsFilterPassed: st.szOpsFilterPassedBytes,
        qtExceeds: st.qtExceeds,
        nrSnapshots: st.nrSnapshots,
        maxNrSnapshots: st.maxNrSnapshots,
      },
    }),
  ).finish();
}

/** The fields of a SnapshotMore message; throws E_CORRUPT when it does not decode. */
function decodeMore(bytes: Uint8Array, snap: SnapshotExtras): void {
  let m: ReturnType<typeof pb.SnapshotMore.decode>;
  try {
    m = pb.SnapshotMore.decode(bytes);
  } catch (err) {
    return corrupt(`snapshot's further data does not decode: ${(err as Error).message}`);
  }
  const st = m.damosStats;
  if (st) {
    snap.damosStats = {
      nrTried: st.nrTried ?? 0,
      szTriedBytes: st.szTried ?? 0,
      nrApplied: st.nrApplied ?? 0,
      szAppliedBytes: st.szApplied ?? 0,
      szOpsFilterPassedBytes: st.szOpsFilterPassed ?? 0,
      qtExceeds: st.qtExceeds ?? 0,
      nrSnapshots: st.nrSnapshots ?? 0,
      maxNrSnapshots: st.maxNrSnapshots ?? 0,
    };
  }
}

// ---------------------------------------------------------------------------------------
// Decoding of coded snapshots

/**
 * Decodes `n` varints at `pos` into out[at, at + n); returns the position after them. The
 * one- and two-byte cases (nearly every value) are inline.
 */
/**
 * The position after `m` varints from `pos`, or past the end of `raw` when it ends first
 * (the caller's end check then names the damage).
 */
function skipVarints(raw: Uint8Array, pos: number, m: number): number {
  const end = raw.length;
  while (m > 0) {
    if (pos >= end) return end + 1;
    if ((raw[pos++] as number) < 0x80) m--;
  }
  return pos;
}

/**
 * Reads snapshot k's start and end into `startNsOf` and `endNsOf`: coded against the previous
 * snapshot's (`ctx`), or as they are (F_RAW_TIMES, read through `view`, a view of `raw`).
 * Returns the position after them. Apart from decodeColumns for the reason readGaps says.
 */
function readTimes(raw: Uint8Array, pos: number, flags: number, view: DataView | null, ctx: TimeContext, startNsOf: Float64Array, endNsOf: Float64Array, k: number): number {
  let startNs: number;
  let endNs: number;
  if (flags & F_RAW_TIMES) {
    if (pos + 16 > raw.length || view === null) corrupt('snapshot block ends inside a time');
    startNs = view.getFloat64(pos, true);
    endNs = view.getFloat64(pos + 8, true);
    pos += 16;
  } else {
    startNs = ctx.prevEndNs + unzigzag(readVarint(raw, pos));
    endNs = startNs + ctx.prevDurationNs + unzigzag(readVarint(raw, cursor));
    pos = cursor;
  }
  ctx.prevEndNs = endNs;
  ctx.prevDurationNs = endNs - startNs;
  startNsOf[k] = startNs;
  endNsOf[k] = endNs;
  return pos;
}

/**
 * Reads a snapshot's `nrGaps` gaps into `gaps`, as (region index, signed size) pairs; returns
 * the position after them. One of the small functions decodeColumns calls for each snapshot:
 * V8 optimizes a small function as soon as it is hot, while decodeColumns as one function
 * took TurboFan 30-60 ms to compile, and ran unoptimized (a heap number per address) for much
 * of a 1M-region report until then (docs/PERFORMANCE.md, "Small hot functions").
 */
function readGaps(raw: Uint8Array, pos: number, nrGaps: number, n: number, unit: number, gaps: Float64Array): number {
  let gi = 0;
  for (let g = 0; g < nrGaps; g++) {
    const tag = readVarint(raw, pos);
    gi += Math.floor(tag / 2);
    if (gi >= n || (g > 0 && tag < 2)) corrupt('snapshot gap index out of range');
    const mag = readVarint(raw, cursor) * unit;
    pos = cursor;
    gaps[2 * g] = gi;
    gaps[2 * g + 1] = tag % 2 === 1 ? -mag : mag;
  }
  return pos;
}

/**
 * Reads the sizes of a snapshot's `n` regions, which turn into addresses as they are read
 * (each region starts where the previous one ended, unless a gap says otherwise), into
 * `starts` and `ends` from index `at`; returns the position after them, or past the end of
 * `raw` when the sizes ran past it (reading past the end yields undefined, which turns into
 * NaN: caught once per snapshot).
 */
function readBounds(raw: Uint8Array, pos: number, n: number, unit: number, gaps: Float64Array, nrGaps: number, starts: Float64Array, ends: Float64Array, at: number): number {
  let prevEnd = 0;
  let nextGap = nrGaps > 0 ? (gaps[0] as number) : -1;
  let g = 0;
  for (let i = 0; i < n; i++) {
    let start = prevEnd;
    if (i === nextGap) {
      start += gaps[2 * g + 1] as number;
      g++;
      nextGap = g < nrGaps ? (gaps[2 * g] as number) : -1;
    }
    let v = raw[pos] as number;
    if (v < 0x80) pos += 1;
    else {
      const v2 = raw[pos + 1] as number;
      if (v2 < 0x80) {
        v = (v & 0x7f) | (v2 << 7);
        pos += 2;
      } else {
        v = readVarint(raw, pos);
        pos = cursor;
      }
    }
    prevEnd = start + v * unit;
    starts[at + i] = start;
    ends[at + i] = prevEnd;
  }
  return Number.isNaN(prevEnd) ? raw.length + 1 : pos;
}

function readColumn(raw: Uint8Array, pos: number, out: Float64Array, at: number, n: number): number {
  for (let i = at; i < at + n; i++) {
    const b = raw[pos] as number;
    if (b < 0x80) {
      out[i] = b;
      pos += 1;
      continue;
    }
    const b2 = raw[pos + 1] as number;
    if (b2 < 0x80) {
      out[i] = (b & 0x7f) | (b2 << 7);
      pos += 2;
      continue;
    }
    out[i] = readVarint(raw, pos);
    pos = cursor;
  }
  return pos;
}

/**
 * Decodes `count` coded snapshots from `raw`, holding `nrRegions` regions in all. The region
 * arrays of the block share one allocation (views of it), so a block costs one allocation
 * for its numbers, however many snapshots it holds.
 */
export function decodeSnapshots(raw: Uint8Array, count: number, nrRegions: number, ctx: TimeContext): Snapshot[] {
  const c = decodeColumns(raw, count, nrRegions, ctx);
  const out: Snapshot[] = new Array<Snapshot>(count);
  for (let k = 0; k < count; k++) out[k] = snapshotOfColumns(c, k);
  return out;
}

/**
 * Arrays that decodeColumns can decode into again and again: a pass that hands out one batch
 * at a time, each valid until the next (as SnapshotColumns says), then allocates nothing per
 * batch once the arrays fit the largest one.
 */
export class ColumnBuffers {
  /**
   * Decode the snapshots' shapes only (SnapshotCounts): the regions' bytes are skipped, and
   * a batch's region columns are empty.
   */
  constructor(readonly countsOnly = false) {}

  regions = new Float64Array(0);
  /** startNs, endNs and totalBytes of each snapshot. */
  times = new Float64Array(0);
  ints = new Uint32Array(0);
  /** One snapshot's gaps: index, then signed size, for each. */
  gaps = new Float64Array(0);

  /** Room for `count` snapshots of `nrRegions` regions in all (grown, never shrunk). */
  fit(count: number, nrRegions: number): void {
    if (!this.countsOnly && this.regions.length < nrRegions * 4) this.regions = new Float64Array(Math.max(nrRegions * 4, this.regions.length * 2));
    if (this.times.length < count * 3) this.times = new Float64Array(Math.max(count * 3, this.times.length * 2));
    if (this.ints.length < count * 2 + 1) this.ints = new Uint32Array(Math.max(count * 2 + 1, this.ints.length * 2));
  }

  fitGaps(nrGaps: number): Float64Array {
    if (this.gaps.length < nrGaps * 2) this.gaps = new Float64Array(Math.max(nrGaps * 2, this.gaps.length * 2, 64));
    return this.gaps;
  }
}

/**
 * Decodes `count` coded snapshots from `raw`, holding `nrRegions` regions in all, into
 * columns: no allocation per snapshot, and none per batch when `into` is given (the batch
 * then lives in `into` until its next use). The reports' fast path: varints of one and two
 * bytes (nearly all of them) are read inline, and each snapshot's regions are written
 * straight into the batch's columns.
 */
export function decodeColumns(raw: Uint8Array, count: number, nrRegions: number, ctx: TimeContext, into?: ColumnBuffers): SnapshotColumns {
  const end = raw.length;
  let pos = 0;
  const b = into ?? new ColumnBuffers();
  b.fit(count, nrRegions);
  const countsOnly = b.countsOnly;
  const store = b.regions;
  const perColumn = countsOnly ? 0 : nrRegions;
  const allStarts = store.subarray(0, perColumn);
  const allEnds = store.subarray(perColumn, perColumn * 2);
  const allNrAccesses = store.subarray(perColumn * 2, perColumn * 3);
  const allAges = store.subarray(perColumn * 3, perColumn * 4);
  const startNsOf = b.times.subarray(0, count);
  const endNsOf = b.times.subarray(count, count * 2);
  const totalBytesOf = b.times.subarray(count * 2, count * 3);
  let haveTotalBytes = false;
  const targetIndexOf = b.ints.subarray(0, count);
  const offsets = b.ints.subarray(count, count * 2 + 1);
  offsets[0] = 0;
  let extras: (SnapshotExtras | undefined)[] | null = null;
  let used = 0;
  let view: DataView | null = null;

  for (let k = 0; k < count; k++) {
    if (pos >= end) corrupt(`snapshot block holds ${k} snapshots, its header says ${count}`);
    const targetIndex = readVarint(raw, pos);
    const flags = readVarint(raw, cursor);
    pos = cursor;
    if (flags > KNOWN_FLAGS) corrupt(`snapshot flags ${flags} name features this reader does not know`);
    if (targetIndex > 0xffffffff) corrupt(`snapshot target index ${targetIndex} is out of range`);
    if (flags & F_RAW_TIMES) view ??= new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    pos = readTimes(raw, pos, flags, view, ctx, startNsOf, endNsOf, k);

    const n = readVarint(raw, pos);
    pos = cursor;
    const shift = raw[pos++] as number;
    if (!(n >= 0) || shift > MAX_UNIT_SHIFT) corrupt('snapshot block has a malformed snapshot header');
    if (used + n > nrRegions) corrupt('snapshot block holds more regions than its header says');
    const unit = UNIT_OF_SHIFT[shift] as number;

    // The gaps (starts that differ from the previous end) come first, as (index, size) pairs.
    const nrGaps = readVarint(raw, pos);
    pos = cursor;
    if (nrGaps > n) corrupt('snapshot has more gaps than regions');
    if (countsOnly) {
      // Two varints per gap, then one per region for the sizes, the nr_accesses and the ages.
      pos = skipVarints(raw, pos, 2 * nrGaps + n * (flags & F_AGES ? 3 : 2));
    } else {
      const gaps = nrGaps > 0 ? b.fitGaps(nrGaps) : b.gaps;
      pos = readGaps(raw, pos, nrGaps, n, unit, gaps);
      pos = readBounds(raw, pos, n, unit, gaps, nrGaps, allStarts, allEnds, used);
      pos = readColumn(raw, pos, allNrAccesses, used, n);
      if (flags & F_AGES) pos = readColumn(raw, pos, allAges, used, n);
      else allAges.fill(-1, used, used + n);
    }
    const extraFlags = flags & ~(F_AGES | F_RAW_TIMES);
    if (extraFlags === F_TOTAL_BYTES) {
      // The one extra of damo's files: a column, not an object per snapshot.
      totalBytesOf[k] = readVarint(raw, pos);
      pos = cursor;
      haveTotalBytes = true;
    } else {
      totalBytesOf[k] = NaN;
      if (extraFlags !== 0) {
        const x: SnapshotExtras = {};
        pos = decodeExtras(raw, pos, flags, x);
        (extras ??= new Array<SnapshotExtras | undefined>(count))[k] = x;
      }
    }
    // Past the end of `raw` the readers give a position past it (readBounds on a NaN).
    if (pos > end) corrupt('snapshot block ends inside a snapshot');
    targetIndexOf[k] = targetIndex;
    used += n;
    offsets[k + 1] = used;
  }
  if (pos !== end) corrupt(`snapshot block has ${end - pos} bytes after its ${count} snapshots`);
  if (used !== nrRegions) corrupt('snapshot block holds fewer regions than its header says');
  return {
    count,
    targetIndex: targetIndexOf,
    startNs: startNsOf,
    endNs: endNsOf,
    offsets,
    starts: allStarts,
    ends: allEnds,
    nrAccesses: allNrAccesses,
    ages: allAges,
    extras,
    totalBytes: haveTotalBytes ? totalBytesOf : null,
  };
}

/** The optional fields after the regions; returns the position after them. */
function decodeExtras(raw: Uint8Array, pos: number, flags: number, snap: SnapshotExtras): number {
  if (flags & F_SZ_FILTER_PASSED) {
    const m = readVarint(raw, pos);
    pos = cursor;
    if (m > raw.length - pos) corrupt('sz_filter_passed runs past the end of the block');
    const sz = new Float64Array(m);
    pos = readColumn(raw, pos, sz, 0, m);
    snap.szFilterPassed = sz;
  }
  if (flags & F_SAMPLE_INTERVAL) {
    snap.sampleIntervalUs = readVarint(raw, pos);
    pos = cursor;
  }
  if (flags & F_TOTAL_BYTES) {
    snap.totalBytes = readVarint(raw, pos);
    pos = cursor;
  }
  if (flags & F_GRANULARITY) {
    snap.granularityBytes = readVarint(raw, pos);
    pos = cursor;
  }
  if (flags & F_MORE) {
    const len = readVarint(raw, pos);
    pos = cursor;
    if (!(len <= raw.length - pos)) corrupt("snapshot's further data runs past the end of the block");
    decodeMore(raw.subarray(pos, pos + len), snap);
    pos += len;
  }
  return pos;
}

// ---------------------------------------------------------------------------------------
// Block frame payload

export interface BlockHeader {
  /** Number of the segment in the file (0, 1, 2, ...). */
  segment: number;
  /** Snapshots of the segment in the blocks before this one (0: the segment starts here). */
  position: number;
  /** Snapshots in this block (at least 1). */
  count: number;
  /** Regions in this block, in all. */
  nrRegions: number;
  /** Length of the coded snapshots once decompressed. */
  rawBytes: number;
  codec: number;
  /** The compressed (or stored) coded snapshots. */
  data: Uint8Array;
}

/** `raw` deflated alone (a fresh deflater primed with `dictionary`), without the sync marker. */
function deflateBlockAlone(raw: Uint8Array, dictionary: Uint8Array): Uint8Array {
  const data = deflateRawSync(raw, {
    level: DEFLATE_LEVEL,
    finishFlush: constants.Z_SYNC_FLUSH,
    ...(dictionary.length > 0 ? { dictionary } : {}),
  });
  return data.subarray(0, data.length - SYNC_MARKER_BYTES);
}

/**
 * A block frame's payload. `deflated` is `raw` deflated as the segment's stream continues
 * (SegmentDeflater); without it, `raw` is deflated alone with `dictionary`, the last
 * DICTIONARY_BYTES of the segment's coded bytes before it (the same data to a reader).
 */
export function encodeBlockPayload(h: Omit<BlockHeader, 'data' | 'codec'>, raw: Uint8Array, dictionary: Uint8Array, deflated?: Uint8Array): Uint8Array {
  let codec = BlockCodec.Deflate;
  let data: Uint8Array = deflated ?? deflateBlockAlone(raw, dictionary);
  if (data.length >= raw.length) {
    codec = BlockCodec.Stored;
    data = raw;
  }
  const out = new ByteSink(data.length + 32);
  out.uvarint(h.segment);
  out.uvarint(h.position);
  out.uvarint(h.count);
  out.uvarint(h.nrRegions);
  out.uvarint(h.rawBytes);
  out.u8(codec);
  out.bytes(data);
  return out.view();
}

export function parseBlockPayload(payload: Uint8Array): BlockHeader {
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (pos >= payload.length) corrupt('snapshot block header is cut short');
      const b = payload[pos++] as number;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
    return corrupt('varint longer than 8 bytes in a snapshot block header');
  };
  const segment = varint();
  const position = varint();
  const count = varint();
  const nrRegions = varint();
  const rawBytes = varint();
  if (pos >= payload.length) corrupt('snapshot block header is cut short');
  const codec = payload[pos++] as number;
  if (count < 1) corrupt('snapshot block holds no snapshots');
  return { segment, position, count, nrRegions, rawBytes, codec, data: payload.subarray(pos) };
}

const SYNC_MARKER = Uint8Array.from([0, 0, 0xff, 0xff]);

/** The coded snapshots of a block; `dictionary` is the segment's coded bytes before it. */
export function inflateBlock(h: BlockHeader, dictionary: Uint8Array): Buffer {
  let raw: Buffer;
  if (h.codec === BlockCodec.Stored) {
    raw = Buffer.from(h.data.buffer, h.data.byteOffset, h.data.byteLength);
  } else if (h.codec === BlockCodec.Deflate) {
    const input = Buffer.allocUnsafe(h.data.length + SYNC_MARKER_BYTES);
    input.set(h.data, 0);
    input.set(SYNC_MARKER, h.data.length);
    try {
      raw = inflateRawSync(input, {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: Math.max(h.rawBytes, 1),
        ...(dictionary.length > 0 ? { dictionary } : {}),
      });
    } catch (err) {
      return corrupt(`snapshot block does not inflate: ${(err as Error).message}`);
    }
  } else {
    return corrupt(`snapshot block codec ${h.codec} is unknown (written by a newer damo?)`);
  }
  if (raw.length !== h.rawBytes) corrupt(`snapshot block inflates to ${raw.length} bytes, its header says ${h.rawBytes}`);
  return raw;
}

/** Bytes of one deflate stored block: its data (at most 65535 bytes) after this header. */
const STORED_HEADER_BYTES = 5;
const STORED_MAX_BYTES = 0xffff;

/**
 * The deflate stream of consecutive blocks of one segment: each deflate block's data ends
 * where a sync flush ended it, so their concatenation (with the flush markers put back) is one
 * deflate stream, and the window carries from block to block exactly as the writer's
 * dictionaries did. A stored block goes into that stream as deflate stored blocks of its
 * bytes (RFC 1951, 3.2.4), so it joins the window as the writer's dictionary took it. Throws
 * when a block's codec is unknown.
 */
function deflateStreamOf(blocks: readonly BlockHeader[], bufferOf: (bytes: number) => Buffer = Buffer.allocUnsafe): { input: Buffer; outBytes: number } {
  let inBytes = 0;
  let outBytes = 0;
  for (const h of blocks) {
    if (h.codec === BlockCodec.Deflate) inBytes += h.data.length + SYNC_MARKER_BYTES;
    else if (h.codec === BlockCodec.Stored) inBytes += h.data.length + STORED_HEADER_BYTES * Math.max(1, Math.ceil(h.data.length / STORED_MAX_BYTES));
    else corrupt(`snapshot block codec ${h.codec} is unknown (written by a newer damo?)`);
    outBytes += h.rawBytes;
  }
  const input = bufferOf(inBytes);
  let at = 0;
  for (const h of blocks) {
    if (h.codec === BlockCodec.Deflate) {
      input.set(h.data, at);
      input.set(SYNC_MARKER, at + h.data.length);
      at += h.data.length + SYNC_MARKER_BYTES;
      continue;
    }
    // Every block before ended byte-aligned (a sync flush), so a stored block starts here:
    // header bits 000 (not final, stored) padded to a byte, then LEN and its complement.
    let from = 0;
    do {
      const len = Math.min(STORED_MAX_BYTES, h.data.length - from);
      input[at] = 0;
      input.writeUInt16LE(len, at + 1);
      input.writeUInt16LE(len ^ 0xffff, at + 3);
      input.set(h.data.subarray(from, from + len), at + STORED_HEADER_BYTES);
      at += STORED_HEADER_BYTES + len;
      from += len;
    } while (from < h.data.length);
  }
  return { input, outBytes };
}

/**
 * The coded snapshots of consecutive blocks of one segment, inflated in one call
 * (deflateStreamOf says why that works). Throws when a block's codec is unknown.
 */
export function inflateBlocks(blocks: readonly BlockHeader[], dictionary: Uint8Array): Buffer {
  const { input, outBytes } = deflateStreamOf(blocks);
  let raw: Buffer;
  try {
    raw = inflateRawSync(input, {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: Math.max(outBytes, 1),
      ...(dictionary.length > 0 ? { dictionary } : {}),
    });
  } catch (err) {
    return corrupt(`snapshot blocks do not inflate: ${(err as Error).message}`);
  }
  if (raw.length !== outBytes) corrupt(`snapshot blocks inflate to ${raw.length} bytes, their headers say ${outBytes}`);
  return raw;
}

/**
 * One inflater for a whole pass, fed the segments' deflate streams in file order: a block
 * that continues the stream it inflated last needs neither a dictionary nor a fresh
 * inflater, and a segment's first block only a reset. inflateRawSync makes, sets up and frees
 * an inflater (and a stream object around it) on every call, which on 8,000-region segments
 * cost 3.5x the inflating itself (measured: docs/PERFORMANCE.md).
 *
 * It drives the handle that zlib.InflateRaw wraps (zlib_handle.ts). When a Node version does
 * not have it, inflate() returns null and the caller inflates with inflateRawSync.
 */
export class SegmentInflater {
  private stream: InflateRaw | null = null;
  private handle: ZlibHandle | null = null;
  private state: Uint32Array | null = null;
  private out = Buffer.allocUnsafe(0);
  /**
   * The deflate stream of the blocks being inflated, kept from call to call: a new one per
   * call was fresh memory for the kernel to fault in (docs/PERFORMANCE.md, "Fresh memory").
   */
  private input: Buffer = Buffer.allocUnsafe(0);
  /** Where the stream inflated last stands: the block it continues with, or segment -1. */
  private segment = -1;
  private nextPosition = 0;
  private unavailable = false;

  /**
   * The coded snapshots of `blocks` (consecutive blocks of one segment), as a view valid
   * until the next call; null when this inflater cannot continue at the first block (not a
   * segment start, and not where it stopped) or the handle is unavailable. Throws E_CORRUPT
   * when the data do not inflate to the sizes their headers give.
   */
  inflate(blocks: readonly BlockHeader[]): Buffer | null {
    const first = blocks[0];
    const last = blocks[blocks.length - 1];
    if (first === undefined || last === undefined) return null;
    if (first.position !== 0 && !(first.segment === this.segment && first.position === this.nextPosition)) return null;
    if (!this.open()) return null;
    const handle = this.handle as ZlibHandle;
    const state = this.state as Uint32Array;
    this.segment = -1;
    if (first.position === 0) handle.reset();
    const { input, outBytes } = deflateStreamOf(blocks, (bytes) => {
      if (this.input.length < bytes) this.input = Buffer.allocUnsafe(Math.max(bytes, this.input.length * 2));
      return this.input.subarray(0, bytes);
    });
    // One byte more than expected: a stream that inflates to more than its headers say
    // fills it, which is how that is told from an exact fit.
    if (this.out.length < outBytes + 1) this.out = Buffer.allocUnsafe(Math.max(outBytes + 1, this.out.length * 2));
    handle.writeSync(constants.Z_SYNC_FLUSH, input, 0, input.length, this.out, 0, this.out.length);
    if (this.stream?.destroyed !== false) {
      // zlib reported an error: the stream destroyed itself; the next call makes a new one.
      this.close();
      return corrupt('snapshot blocks do not inflate (invalid deflate data)');
    }
    const produced = this.out.length - (state[0] as number);
    if (produced !== outBytes || state[1] !== 0) {
      return corrupt(`snapshot blocks inflate to ${produced === this.out.length ? 'more than' : produced} bytes, their headers say ${outBytes}`);
    }
    this.segment = last.segment;
    this.nextPosition = last.position + last.count;
    return this.out.subarray(0, outBytes);
  }

  close(): void {
    const stream = this.stream;
    this.stream = null;
    this.handle = null;
    this.state = null;
    this.segment = -1;
    if (stream !== null && !stream.destroyed) stream.close();
  }

  private open(): boolean {
    if (this.stream !== null) return true;
    if (this.unavailable) return false;
    const z = syncZlibOf(createInflateRaw());
    if (z === null) {
      this.unavailable = true;
      return false;
    }
    this.stream = z.stream as InflateRaw;
    this.handle = z.handle;
    this.state = z.state;
    return true;
  }
}

/**
 * The writer's side of SegmentInflater: one raw deflate stream per segment, each block a sync
 * flush of it. A block's deflate data then refer back at most a window (32 KiB) into the
 * segment's coded bytes, which is what a reader primed with the block's dictionary
 * (nextDictionary) or continuing the segment's stream has: the format is unchanged. Node's
 * deflateRawSync made, set up (hashing a 32 KiB dictionary) and freed a deflater and a stream
 * object for every block, which under the VM's emulated CPU was half of what writing a
 * snapshot cost the recorder (docs/ACCURACY.md, Run 12).
 *
 * deflate() returns null when this Node's zlib handle is not reachable (zlib_handle.ts); the
 * caller then deflates the block alone. A stream fed a block whose frame was not written
 * (the write failed) would hold bytes the file lacks: the caller must call drop() then, and
 * the next block starts a stream primed with the dictionary.
 */
export class SegmentDeflater {
  private stream: DeflateRaw | null = null;
  private handle: ZlibHandle | null = null;
  private state: Uint32Array | null = null;
  private out = Buffer.allocUnsafe(0);
  private unavailable = false;

  /**
   * `raw` deflated with a sync flush and without its marker, as a view valid until the next
   * call. `dictionary` (the segment's last coded bytes before `raw`) is used only when a new
   * stream starts: at the segment's first block (an empty one) or after drop().
   */
  deflate(raw: Uint8Array, dictionary: Uint8Array): Uint8Array | null {
    if (!this.open(dictionary)) return null;
    const handle = this.handle as ZlibHandle;
    const state = this.state as Uint32Array;
    // deflate's worst case is a few bytes per 16 KiB over the input; the loop grows the
    // buffer if a call still fills it.
    if (this.out.length < raw.length + 64) this.out = Buffer.allocUnsafe(Math.max(raw.length + (raw.length >>> 8) + 64, this.out.length * 2));
    let inOff = 0;
    let inLen = raw.length;
    let produced = 0;
    for (;;) {
      handle.writeSync(constants.Z_SYNC_FLUSH, raw, inOff, inLen, this.out, produced, this.out.length - produced);
      if (this.stream?.destroyed !== false) {
        this.drop();
        this.unavailable = true;
        return null;
      }
      produced = this.out.length - (state[0] as number);
      inOff += inLen - (state[1] as number);
      inLen = state[1] as number;
      // A sync flush is complete once zlib leaves output space unused.
      if ((state[0] as number) > 0) break;
      const grown = Buffer.allocUnsafe(this.out.length * 2);
      grown.set(this.out.subarray(0, produced));
      this.out = grown;
    }
    if (produced < SYNC_MARKER_BYTES) {
      this.drop();
      this.unavailable = true;
      return null;
    }
    return this.out.subarray(0, produced - SYNC_MARKER_BYTES);
  }

  /** Ends the stream: the next deflate() starts one primed with its dictionary. */
  drop(): void {
    const stream = this.stream;
    this.stream = null;
    this.handle = null;
    this.state = null;
    if (stream !== null && !stream.destroyed) stream.close();
  }

  private open(dictionary: Uint8Array): boolean {
    if (this.stream !== null) return true;
    if (this.unavailable) return false;
    const z = syncZlibOf(createDeflateRaw({ level: DEFLATE_LEVEL, ...(dictionary.length > 0 ? { dictionary } : {}) }));
    if (z === null) {
      this.unavailable = true;
      return false;
    }
    this.stream = z.stream as DeflateRaw;
    this.handle = z.handle;
    this.state = z.state;
    return true;
  }
}

/** The dictionary for the block after one whose coded bytes were `raw`. */
export function nextDictionary(dictionary: Uint8Array, raw: Uint8Array): Uint8Array {
  if (raw.length >= DICTIONARY_BYTES) return raw.slice(raw.length - DICTIONARY_BYTES);
  const keep = Math.min(dictionary.length, DICTIONARY_BYTES - raw.length);
  const out = new Uint8Array(keep + raw.length);
  out.set(dictionary.subarray(dictionary.length - keep), 0);
  out.set(raw, keep);
  return out;
}
