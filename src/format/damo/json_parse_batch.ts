// SPDX-License-Identifier: GPL-2.0-only
/**
 * Parsed damo json snapshots as a message between threads (json_parse_worker.ts parses,
 * json_parse_stream.ts hands them to reports): a run of snapshots becomes one set of
 * column arrays whose buffers are transferred, not copied, plus the few values that do not
 * fit a column (times beyond 2^53 as bigints, DAMOS stats). The receiver's snapshots are
 * views of those columns, as the parser's own are views of its arenas.
 */
import type { DamosStats, Intervals, IntervalsGoal, TraceTarget } from '../../core/model.js';
import type { AbsTime, PendingSnapshot } from './records.js';

/** A snapshot as parsed and the record (target) it belongs to. */
export interface ParsedSnapshot {
  snapshot: PendingSnapshot;
  recordIndex: number;
}

/** What the parser knows of the file beyond its snapshots, as far as it has read. */
export interface ParsedFileFields {
  intervals: Intervals | null;
  intervalsGoal: IntervalsGoal | undefined;
  dataSource: string | undefined;
}

const F_SZ_FILTER_PASSED = 1;
const F_SAMPLE_INTERVAL = 2;
const F_TOTAL_BYTES = 4;

export interface SnapshotBatchMessage {
  type: 'batch';
  /** JSON text parsed so far, bytes. */
  textBytes: number;
  fields: ParsedFileFields;
  /** Records from index `firstRecord` on, as they are now (earlier ones are complete). */
  firstRecord: number;
  records: TraceTarget[];
  nrRegions: Int32Array;
  recordIndex: Int32Array;
  flags: Uint8Array;
  /** Times as doubles; NaN where `bigTimes` has the exact one. */
  start: Float64Array;
  end: Float64Array;
  sampleIntervalUs: Float64Array;
  totalBytes: Float64Array;
  starts: Float64Array;
  ends: Float64Array;
  nrAccesses: Float64Array;
  ages: Float64Array;
  /** Only when a snapshot of the run has filter results (zeros for the others). */
  szFilterPassed: Float64Array | null;
  bigTimes: Array<{ i: number; start?: bigint; end?: bigint }>;
  damosStats: Array<{ i: number; stats: DamosStats }>;
}

function bigOrNaN(t: AbsTime | null): number {
  return typeof t === 'number' ? t : NaN;
}

/** The run of snapshots as one message, and the buffers to transfer with it. */
export function encodeBatch(
  parsed: readonly ParsedSnapshot[],
  head: Pick<SnapshotBatchMessage, 'textBytes' | 'fields' | 'firstRecord' | 'records'>,
): { message: SnapshotBatchMessage; transfer: ArrayBuffer[] } {
  const n = parsed.length;
  let total = 0;
  let anyPassed = false;
  for (const { snapshot } of parsed) {
    total += snapshot.starts.length;
    if (snapshot.szFilterPassed !== undefined) anyPassed = true;
  }
  const m: SnapshotBatchMessage = {
    type: 'batch',
    ...head,
    nrRegions: new Int32Array(n),
    recordIndex: new Int32Array(n),
    flags: new Uint8Array(n),
    start: new Float64Array(n),
    end: new Float64Array(n),
    sampleIntervalUs: new Float64Array(n),
    totalBytes: new Float64Array(n),
    starts: new Float64Array(total),
    ends: new Float64Array(total),
    nrAccesses: new Float64Array(total),
    ages: new Float64Array(total),
    szFilterPassed: anyPassed ? new Float64Array(total) : null,
    bigTimes: [],
    damosStats: [],
  };
  let at = 0;
  for (let i = 0; i < n; i++) {
    const { snapshot: s, recordIndex } = parsed[i] as ParsedSnapshot;
    const k = s.starts.length;
    m.nrRegions[i] = k;
    m.recordIndex[i] = recordIndex;
    m.start[i] = bigOrNaN(s.start);
    m.end[i] = bigOrNaN(s.end);
    if (typeof s.start === 'bigint' || typeof s.end === 'bigint') {
      const big: { i: number; start?: bigint; end?: bigint } = { i };
      if (typeof s.start === 'bigint') big.start = s.start;
      if (typeof s.end === 'bigint') big.end = s.end;
      m.bigTimes.push(big);
    }
    let flags = 0;
    if (s.sampleIntervalUs !== undefined) {
      flags |= F_SAMPLE_INTERVAL;
      m.sampleIntervalUs[i] = s.sampleIntervalUs;
    }
    if (s.totalBytes !== undefined) {
      flags |= F_TOTAL_BYTES;
      m.totalBytes[i] = s.totalBytes;
    }
    if (s.damosStats !== undefined) m.damosStats.push({ i, stats: s.damosStats });
    m.starts.set(s.starts, at);
    m.ends.set(s.ends, at);
    m.nrAccesses.set(s.nrAccesses, at);
    m.ages.set(s.ages, at);
    if (s.szFilterPassed !== undefined) {
      flags |= F_SZ_FILTER_PASSED;
      (m.szFilterPassed as Float64Array).set(s.szFilterPassed, at);
    }
    m.flags[i] = flags;
    at += k;
  }
  const transfer = [m.nrRegions, m.recordIndex, m.flags, m.start, m.end, m.sampleIntervalUs, m.totalBytes, m.starts, m.ends, m.nrAccesses, m.ages]
    .map((a) => a.buffer as ArrayBuffer);
  if (m.szFilterPassed !== null) transfer.push(m.szFilterPassed.buffer as ArrayBuffer);
  return { message: m, transfer };
}

/** The snapshots of a batch message, their regions views of its columns. */
export function decodeBatch(m: SnapshotBatchMessage): ParsedSnapshot[] {
  const n = m.nrRegions.length;
  const out: ParsedSnapshot[] = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const k = m.nrRegions[i] as number;
    const b = at + k;
    const flags = m.flags[i] as number;
    const s: PendingSnapshot = {
      start: m.start[i] as number,
      end: m.end[i] as number,
      starts: m.starts.subarray(at, b),
      ends: m.ends.subarray(at, b),
      nrAccesses: m.nrAccesses.subarray(at, b),
      ages: m.ages.subarray(at, b),
    };
    if ((flags & F_SAMPLE_INTERVAL) !== 0) s.sampleIntervalUs = m.sampleIntervalUs[i] as number;
    if ((flags & F_TOTAL_BYTES) !== 0) s.totalBytes = m.totalBytes[i] as number;
    if ((flags & F_SZ_FILTER_PASSED) !== 0) s.szFilterPassed = (m.szFilterPassed as Float64Array).subarray(at, b);
    out[i] = { snapshot: s, recordIndex: m.recordIndex[i] as number };
    at = b;
  }
  for (const big of m.bigTimes) {
    const s = (out[big.i] as ParsedSnapshot).snapshot;
    if (big.start !== undefined) s.start = big.start;
    if (big.end !== undefined) s.end = big.end;
  }
  for (const d of m.damosStats) (out[d.i] as ParsedSnapshot).snapshot.damosStats = d.stats;
  return out;
}
