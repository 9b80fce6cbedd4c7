// SPDX-License-Identifier: GPL-2.0-only
/**
 * What every damo-format reader produces: damo "records" (one per kdamond/context/scheme/
 * target) turned into our model, with damo's rules for the formats that store only snapshot
 * end times (perf script text, the legacy binary):
 *
 * - `set_first_snapshot_start_time`: the first snapshot starts at
 *   `end0 - (endN - end0) / (N - 1)`, a float damo never rounds (the test recording's
 *   539809434100 comes from this);
 * - the fake snapshot damo's writers append to one-snapshot records (exactly one region
 *   0-0 with nr_accesses -1 and age -1) is dropped again.
 *
 * damo stops applying the deduction at the first record with fewer than two snapshots
 * (a `break` where `continue` was meant), leaving later records' first start time unset,
 * which makes its reports crash. We apply it to every record instead, and give a lone
 * snapshot with no known start a duration of one aggregation interval when the intervals
 * are known (zero otherwise).
 *
 * damo files keep times as absolute clock readings (CLOCK_MONOTONIC for traces, wall-clock
 * ns for `damo record --snapshot`, which exceed 2^53). Snapshot times in our model are
 * doubles relative to `baseTimeNs`, so when a reading would not be exact as a double the
 * builder moves the base to the first snapshot's start.
 */
import type { DamosStats, Intervals, Snapshot, TraceHeader, TraceSource, TraceTarget, TraceTrailer } from '../../core/model.js';

/** An absolute time as read: a double, or a bigint when an integer beyond 2^53. */
export type AbsTime = number | bigint;

export interface PendingSnapshot {
  /** null when the format does not store it (deduced later). */
  start: AbsTime | null;
  end: AbsTime;
  starts: Float64Array;
  ends: Float64Array;
  nrAccesses: Float64Array;
  ages: Float64Array;
  sampleIntervalUs?: number;
  totalBytes?: number;
  szFilterPassed?: Float64Array;
  damosStats?: DamosStats;
}

export interface PendingRecord {
  target: TraceTarget;
  snapshots: PendingSnapshot[];
}

/**
 * damo's fake snapshot: one region 0-0 with nr_accesses -1 and age -1. The legacy binary
 * stores nr_accesses as u32 and has no age, so there -1 reads as 0xffffffff.
 */
export function isFakeSnapshot(s: PendingSnapshot): boolean {
  return (
    s.starts.length === 1 &&
    s.starts[0] === 0 &&
    s.ends[0] === 0 &&
    (s.nrAccesses[0] === -1 || s.nrAccesses[0] === 0xffffffff) &&
    s.ages[0] === -1
  );
}

function absToNumber(t: AbsTime): number {
  return typeof t === 'bigint' ? Number(t) : t;
}

/**
 * damo `set_first_snapshot_start_time` for formats without start times, and the fake
 * snapshot drop. Snapshots after the first already have start = previous end.
 */
export function deduceFirstStartTimes(records: PendingRecord[], intervals: Intervals | null): void {
  for (const record of records) {
    const snaps = record.snapshots;
    const first = snaps[0];
    if (first === undefined) continue;
    const last = snaps[snaps.length - 1] as PendingSnapshot;
    if (snaps.length >= 2) {
      const span =
        typeof last.end === 'bigint' || typeof first.end === 'bigint'
          ? Number(BigInt(last.end) - BigInt(first.end))
          : last.end - first.end;
      const snapshotTime = span / (snaps.length - 1);
      first.start = absToNumber(first.end) - snapshotTime;
      if (isFakeSnapshot(last)) snaps.pop();
    } else if (first.start === null) {
      const aggrNs = intervals ? intervals.aggrUs * 1000 : 0;
      first.start = absToNumber(first.end) - aggrNs;
    }
  }
}

function isExactNumber(t: AbsTime | null): boolean {
  return t === null || typeof t === 'number';
}

/**
 * Picks the base time and converts every snapshot to our model. Returns the snapshots
 * grouped per record (damo prints and computes per record, in file order).
 */
export function finishRecords(
  records: PendingRecord[],
  header: TraceHeader,
): Snapshot[][] {
  let needBase = false;
  for (const r of records) {
    for (const s of r.snapshots) {
      if (needsBaseTime(s)) {
        needBase = true;
        break;
      }
    }
    if (needBase) break;
  }
  const base = needBase ? baseTimeOf(records.find((r) => r.snapshots.length > 0)?.snapshots[0]) : 0n;
  header.baseTimeNs = base;
  header.targets = records.map((r) => r.target);
  const rel = relativeTo(base);
  return records.map((r, targetIndex) => r.snapshots.map((s) => snapshotOf(s, targetIndex, rel)));
}

/** Whether a time read from a file needs a base time to be exact as a double. */
export function needsBaseTime(s: PendingSnapshot): boolean {
  return timesNeedBase(s.start, s.end);
}

/** needsBaseTime() of a snapshot's two times. */
export function timesNeedBase(start: AbsTime | null, end: AbsTime): boolean {
  return !isExactNumber(start) || !isExactNumber(end);
}

/** The base time finishRecords() picks when a time needs one: the first snapshot's start. */
export function baseTimeOf(first: PendingSnapshot | undefined): bigint {
  const t = first ? (first.start ?? first.end) : 0;
  return typeof t === 'bigint' ? t : BigInt(Math.trunc(t));
}

/** Converts absolute times to doubles relative to `base`. */
export function relativeTo(base: bigint): (t: AbsTime) => number {
  const baseF = Number(base);
  return (t: AbsTime): number => {
    if (base === 0n) return absToNumber(t);
    if (typeof t === 'bigint') return Number(t - base);
    return Number.isInteger(t) ? Number(BigInt(t) - base) : t - baseF;
  };
}

/** A snapshot of our model from one as read, times made relative by `rel`. */
export function snapshotOf(s: PendingSnapshot, targetIndex: number, rel: (t: AbsTime) => number): Snapshot {
  const endNs = rel(s.end);
  const snap: Snapshot = {
    targetIndex,
    startNs: s.start === null ? endNs : rel(s.start),
    endNs,
    starts: s.starts,
    ends: s.ends,
    nrAccesses: s.nrAccesses,
    ages: s.ages,
  };
  if (s.sampleIntervalUs !== undefined) snap.sampleIntervalUs = s.sampleIntervalUs;
  if (s.totalBytes !== undefined) snap.totalBytes = s.totalBytes;
  if (s.szFilterPassed !== undefined) snap.szFilterPassed = s.szFilterPassed;
  if (s.damosStats !== undefined) snap.damosStats = s.damosStats;
  return snap;
}

/**
 * A recording held in memory as typed arrays (about 32 bytes per region). damo's formats
 * are read whole anyway (their headers and deductions need the entire file), and even the
 * largest damo files stay far below what damo itself needs to load them.
 */
export class MemoryTraceSource implements TraceSource {
  readonly path: string;
  readonly header: TraceHeader;
  readonly warnings: string[];
  /** Snapshots grouped per target, in target order (damo's record order). */
  readonly perTarget: Snapshot[][];

  constructor(path: string, header: TraceHeader, perTarget: Snapshot[][], warnings: string[] = []) {
    this.path = path;
    this.header = header;
    this.perTarget = perTarget;
    this.warnings = warnings;
  }

  snapshots(): AsyncIterable<Snapshot> {
    const perTarget = this.perTarget;
    return {
      [Symbol.asyncIterator]: async function* () {
        for (const list of perTarget) yield* list;
      },
    };
  }

  snapshotsOfTarget(targetIndex: number): readonly Snapshot[] {
    return this.perTarget[targetIndex] ?? [];
  }

  trailer(): TraceTrailer | null {
    return null;
  }

  get nrSnapshots(): number {
    return this.perTarget.reduce((n, l) => n + l.length, 0);
  }
}

const ARENA_REGIONS = 1 << 16;

type F64 = Float64Array<ArrayBuffer>;

/**
 * Where a parser in range mode puts each finished snapshot instead of making it a
 * PendingSnapshot: its regions are acc.arena's [rangeFrom, rangeTo), read before the parser
 * moves on (json_source.ts ColumnBatchBuilder, for a column pass).
 */
export interface SnapshotRangeSink {
  add(recordIndex: number, start: AbsTime | null, end: AbsTime, acc: RegionAccumulator, totalBytes: number | undefined, sampleIntervalUs: number | undefined, damosStats: DamosStats | undefined): void;
}

/** One set of RegionAccumulator's columns. */
export interface Arena {
  starts: F64;
  ends: F64;
  nrAccesses: F64;
  ages: F64;
  szFilterPassed: F64 | null;
}

/**
 * Parallel arrays for the regions of the snapshot being parsed. Regions go straight into
 * large shared arenas and each finished snapshot gets subarray views of them: far fewer
 * allocations (and garbage) than one set of small arrays per snapshot.
 */
export class RegionAccumulator {
  private starts: F64;
  private ends: F64;
  private nrAccesses: F64;
  private ages: F64;

  constructor(private readonly arenaRegions = ARENA_REGIONS) {
    this.starts = new Float64Array(arenaRegions);
    this.ends = new Float64Array(arenaRegions);
    this.nrAccesses = new Float64Array(arenaRegions);
    this.ages = new Float64Array(arenaRegions);
    this.current = { starts: this.starts, ends: this.ends, nrAccesses: this.nrAccesses, ages: this.ages, szFilterPassed: null };
  }
  private szFilterPassed: F64 | null = null;
  /** The columns above as one object (the same arrays), for those who take ranges (arena). */
  private current: Arena;
  hasSzFilterPassed = false;
  /** Start of the current snapshot in the arenas. */
  private first = 0;
  private next = 0;

  /** Regions of the current snapshot so far. */
  get length(): number {
    return this.next - this.first;
  }

  /** Drops the current snapshot's regions. */
  reset(): void {
    this.next = this.first;
    this.hasSzFilterPassed = false;
  }

  push(start: number, end: number, nrAccesses: number, age: number, szFilterPassed: number): void {
    if (this.next === this.starts.length) this.newArena();
    const i = this.next++;
    this.starts[i] = start;
    this.ends[i] = end;
    this.nrAccesses[i] = nrAccesses;
    this.ages[i] = age;
    if (szFilterPassed !== 0 || this.szFilterPassed !== null) {
      if (this.szFilterPassed === null) this.current.szFilterPassed = this.szFilterPassed = new Float64Array(this.starts.length);
      this.szFilterPassed[i] = szFilterPassed;
    }
  }

  /**
   * Moves the current snapshot into other arenas (twice its size if it is huge): spare ones
   * when recycle() gave some, else new ones.
   */
  private newArena(): void {
    const n = this.next - this.first;
    const size = Math.max(this.arenaRegions, n * 2);
    const old = this.current;
    const spare = size === this.arenaRegions ? this.spare.pop() : undefined;
    const move = (a: F64, into: F64 | null | undefined): F64 => {
      const b = into ?? new Float64Array(size);
      b.set(a.subarray(this.first, this.next));
      return b;
    };
    this.starts = move(old.starts, spare?.starts);
    this.ends = move(old.ends, spare?.ends);
    this.nrAccesses = move(old.nrAccesses, spare?.nrAccesses);
    this.ages = move(old.ages, spare?.ages);
    // Once the column exists every arena after has one, and push() writes every region into
    // it: the stale values of a spare column are never read.
    this.szFilterPassed = old.szFilterPassed === null ? null : move(old.szFilterPassed, spare?.szFilterPassed);
    this.current = { starts: this.starts, ends: this.ends, nrAccesses: this.nrAccesses, ages: this.ages, szFilterPassed: this.szFilterPassed };
    this.first = 0;
    this.next = n;
    if (this.keepRetired && old.starts.length === this.arenaRegions) this.retired.push(old);
  }

  /**
   * Whether arenas replaced from now on are kept for recycle(). Off unless the reader says
   * which views are dead: snapshots handed out as views may be kept by whoever got them.
   */
  keepRetired = false;
  private retired: Arena[] = [];
  private spare: Arena[] = [];

  /**
   * Makes the arenas replaced so far spare, to be filled again: the caller guarantees that
   * no view of them is still in use (a column pass, whose batches live until the next one).
   * New arenas are fresh memory, which the kernel clears page by page (zlib_handle.ts).
   */
  recycle(): void {
    for (const a of this.retired) this.spare.push(a);
    this.retired.length = 0;
  }

  /**
   * The current snapshot's regions as a range of the current arena, without views:
   * [rangeFrom, rangeTo) of `arena`; skip() then starts the next snapshot.
   */
  get arena(): Arena {
    return this.current;
  }
  get rangeFrom(): number {
    return this.first;
  }
  get rangeTo(): number {
    return this.next;
  }
  skip(): void {
    this.first = this.next;
    this.hasSzFilterPassed = false;
  }

  /** Hands the current snapshot's regions out as views and starts the next snapshot. */
  take(): Pick<PendingSnapshot, 'starts' | 'ends' | 'nrAccesses' | 'ages' | 'szFilterPassed'> {
    const a = this.first;
    const b = this.next;
    const out: Pick<PendingSnapshot, 'starts' | 'ends' | 'nrAccesses' | 'ages' | 'szFilterPassed'> = {
      starts: this.starts.subarray(a, b),
      ends: this.ends.subarray(a, b),
      nrAccesses: this.nrAccesses.subarray(a, b),
      ages: this.ages.subarray(a, b),
    };
    if (this.hasSzFilterPassed) {
      out.szFilterPassed = this.szFilterPassed === null ? new Float64Array(b - a) : this.szFilterPassed.subarray(a, b);
    }
    this.first = b;
    this.hasSzFilterPassed = false;
    return out;
  }
}
