// SPDX-License-Identifier: GPL-2.0-only
/**
 * Opening a damo json / json_compressed file for reports: small files are read whole into
 * memory (MemoryTraceSource, as every damo format is), large ones are streamed: each pass
 * over the snapshots inflates and parses the file again, handing snapshots out as they are
 * parsed, so memory stays flat in the file's size (for reports that take several passes,
 * a file of up to 2^20 regions is kept by its first pass, compactly: kept_snapshots.ts;
 * a larger one coded, in bounded memory: coded_kept_snapshots.ts).
 * The first pass goes on from where opening stopped reading. Inflation runs on zlib's
 * thread pool while the main thread parses (json_parse_stream.ts); docs/PERFORMANCE.md has
 * what a pass costs.
 *
 * What the header needs is read from the start of the file: damo writes a record's target
 * fields and intervals before its snapshots, and the base time is decided by the first
 * snapshot. Records after the first are found during a pass; their targets are appended to
 * header.targets as they begin (core/trace_walk.ts takes such sources), or, for readers that
 * need every target before they start, by one pass at open. What a streamed pass cannot
 * undo is refused with a clear error instead of giving other figures than the in-memory
 * reader: times that become inexact as doubles (beyond 2^53) after the first snapshot had
 * exact ones.
 */

import { statSync } from 'node:fs';

import { DamoError } from '../../core/errors.js';
import { emptySnapshotCounts, extrasOf, type DamosStats, type Snapshot, type SnapshotColumns, type SnapshotExtras, type TraceHeader, type TraceSource, type TraceTarget, type TraceTrailer } from '../../core/model.js';
import { openParseStream, type DamoJsonParseStream, type ParsedSnapshot } from './json_parse_stream.js';
import { damoJsonError, damoJsonHeader, type DamoJsonReadOptions } from './json_reader.js';
import { CodedKeptSnapshots } from './coded_kept_snapshots.js';
import { KeptSnapshots } from './kept_snapshots.js';
import {
  baseTimeOf,
  finishRecords,
  MemoryTraceSource,
  needsBaseTime,
  relativeTo,
  snapshotOf,
  timesNeedBase,
  type AbsTime,
  type Arena,
  type PendingRecord,
  type PendingSnapshot,
  type RegionAccumulator,
  type SnapshotRangeSink,
} from './records.js';

/**
 * Files whose JSON text is at most this long are read whole into memory (about 0.3 MB of
 * typed arrays per MB of damo's indented JSON): one pass, then any number of passes free.
 */
export const DAMO_JSON_IN_MEMORY_MAX_BYTES = 8 << 20;

/**
 * A streamed file of at most this many regions is kept in memory by its first complete
 * pass (kept_snapshots.ts: 32 MiB at most), so reports that take several passes (heats,
 * heatmap) inflate and parse it once; larger files are kept coded (coded_kept_snapshots.ts,
 * a few bytes a region, CODED_KEPT_MAX_BYTES at most), and read again on every pass only
 * when even that is too much or the coding cannot hold them. Reports
 * that take one pass keep nothing (keptMaxRegions 0): what they would keep is garbage.
 * 2^20 holds damo's test recording x100 (977,300 regions).
 */
export const DAMO_JSON_KEPT_MAX_REGIONS = 1 << 20;

export interface DamoJsonStreaming {
  /** Longest JSON text read whole into memory (default DAMO_JSON_IN_MEMORY_MAX_BYTES). */
  inMemoryMaxBytes?: number;
  /**
   * The reader takes header.targets before its first pass, so it must list every record:
   * opening then costs one pass more. Otherwise records after the first are added to
   * header.targets during the first pass that reaches them.
   */
  completeTargets?: boolean;
  /**
   * Most regions a pass keeps for the next ones: DAMO_JSON_KEPT_MAX_REGIONS by default,
   * 0 for reports that take one pass.
   */
  keptMaxRegions?: number;
}

export interface OpenDamoJsonOptions extends DamoJsonReadOptions, DamoJsonStreaming {}

/** What opening read of a streamed file: its first pass goes on from there. */
interface HeadStart {
  stream: DamoJsonParseStream;
  parsed: ParsedSnapshot[];
}

/** Reads a damo json or json_compressed file completely into memory. */
export async function readDamoJson(path: string, opts: DamoJsonReadOptions): Promise<MemoryTraceSource> {
  const stream = openParseStream(path, opts);
  const parsed: ParsedSnapshot[] = [];
  try {
    for (;;) {
      const batch = await stream.next();
      if (batch === null) break;
      for (const p of batch) parsed.push(p);
    }
  } catch (e) {
    throw damoJsonError(e, path, opts);
  } finally {
    await stream.close();
  }
  const header = damoJsonHeader(stream, opts);
  return new MemoryTraceSource(path, header, finishRecords(recordsOf(stream.targets, parsed), header));
}

function recordsOf(targets: readonly TraceTarget[], parsed: readonly ParsedSnapshot[]): PendingRecord[] {
  const records: PendingRecord[] = targets.map((target) => ({ target, snapshots: [] }));
  for (const { snapshot, recordIndex } of parsed) (records[recordIndex] as PendingRecord).snapshots.push(snapshot);
  return records;
}

/** Opens a damo json or json_compressed file, in memory when small, streamed otherwise. */
export async function openDamoJson(path: string, opts: OpenDamoJsonOptions): Promise<TraceSource> {
  const maxBytes = opts.inMemoryMaxBytes ?? DAMO_JSON_IN_MEMORY_MAX_BYTES;
  const parsed: ParsedSnapshot[] = [];
  let streamed = false;
  const stream = openParseStream(path, opts);
  try {
    for (;;) {
      const batch = await stream.next();
      if (batch === null) break;
      for (const p of batch) parsed.push(p);
      if (stream.textBytes > maxBytes && parsed.length > 0) {
        streamed = true;
        break;
      }
    }
  } catch (e) {
    await stream.close();
    throw damoJsonError(e, path, opts);
  }
  const header = damoJsonHeader(stream, opts);
  if (!streamed) {
    await stream.close();
    return new MemoryTraceSource(path, header, finishRecords(recordsOf(stream.targets, parsed), header));
  }
  const first = parsed[0]?.snapshot;
  header.baseTimeNs = first !== undefined && needsBaseTime(first) ? baseTimeOf(first) : 0n;
  header.targets = stream.targets;
  let keptMaxRegions = opts.keptMaxRegions ?? DAMO_JSON_KEPT_MAX_REGIONS;
  // A report that takes several passes keeps a file too big for KeptSnapshots coded.
  const codedKeep = keptMaxRegions > 0;
  if (keptMaxRegions > 0 && fewestRegions(path, opts.compressed, stream.textBytes, parsed) > keptMaxRegions) keptMaxRegions = 0;
  const source = new StreamedDamoJsonSource(path, header, opts, keptMaxRegions, { stream, parsed }, codedKeep);
  if (opts.completeTargets === true) {
    // A column pass: no object per snapshot, and it keeps the file when small enough.
    for await (const batch of source.snapshotColumns()) void batch;
  }
  return source;
}

/**
 * How much JSON text a byte of a json_compressed file is at least, for fewestRegions(): damo
 * writes the same indented text for every region, which zlib shrinks 65-68x on damo's test
 * recordings (4.6 MB of text from 70,655 bytes; 461.8 MB from 6.77 MB for it x100) and 35x
 * on a 600-region file of two targets.
 */
const LEAST_INFLATION = 30;

/**
 * About how few regions a file holds at least, from its size and the text per region of what
 * opening parsed: a file that surely holds more than a pass may keep is not tried, which
 * would cost copying 2^20 regions (32 MB) on the first pass only to drop them. Wrong only
 * the safe way round: a file that inflates less than LEAST_INFLATION is tried and dropped.
 */
function fewestRegions(path: string, compressed: boolean, textBytes: number, parsed: readonly ParsedSnapshot[]): number {
  let regions = 0;
  for (const p of parsed) regions += p.snapshot.starts.length;
  if (regions === 0 || textBytes === 0) return 0;
  let fileBytes: number;
  try {
    fileBytes = statSync(path).size;
  } catch {
    return 0;
  }
  return (fileBytes * (compressed ? LEAST_INFLATION : 1)) / (textBytes / regions);
}

/** A damo json file read anew on every pass (see the module comment). */
export class StreamedDamoJsonSource implements TraceSource {
  readonly warnings: string[] = [];
  /** Every snapshot, once a complete pass found the file small enough to keep. */
  private kept: KeptSnapshots | CodedKeptSnapshots | null = null;
  /** Set once a pass held more than keptMaxRegions regions: later passes do not try again. */
  private tooBigToKeep = false;
  /** Set once a pass found the file too big to keep even coded, or not codable. */
  private tooBigToCode = false;
  /**
   * Set once a complete pass kept the file: the source then holds the recording in memory
   * as MemoryTraceSource does, and reports may take more passes freely (core/model.ts).
   */
  snapshotsOfTarget?: (targetIndex: number) => readonly Snapshot[];

  constructor(
    readonly path: string,
    readonly header: TraceHeader,
    private readonly opts: DamoJsonReadOptions,
    private readonly keptMaxRegions = DAMO_JSON_KEPT_MAX_REGIONS,
    /** What opening parsed: the first pass goes on with it instead of reading that again. */
    private headStart: HeadStart | null = null,
    /**
     * Whether a file too big for keptMaxRegions is kept coded (coded_kept_snapshots.ts):
     * for reports that take several passes.
     */
    private readonly codedKeep = false,
  ) {}

  trailer(): TraceTrailer | null {
    return null;
  }

  get holdsRecording(): boolean {
    return this.kept !== null;
  }

  snapshots(): AsyncIterable<Snapshot> {
    return { [Symbol.asyncIterator]: () => this.pass() };
  }

  /**
   * The same pass a parse batch at a time in columns (core/model.ts): no object and no
   * promise per snapshot, which on damo's small snapshots (~18 regions) was a good part of a
   * pass. A pass that keeps the file for the next ones goes through snapshots().
   */
  snapshotColumns(): AsyncIterable<SnapshotColumns> {
    return { [Symbol.asyncIterator]: () => this.columnPass() };
  }

  private async *pass(): AsyncGenerator<Snapshot> {
    if (this.kept !== null) {
      yield* this.kept.replay();
      return;
    }
    const rel = relativeTo(this.header.baseTimeNs);
    const keeping = this.keeping();
    for await (const batch of this.parsedBatches(keeping.completed)) {
      const ready: Snapshot[] = new Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const { snapshot: s, recordIndex } = batch[i] as ParsedSnapshot;
        ready[i] = snapshotOf(s, recordIndex, rel);
      }
      if (keeping.active()) for (const s of ready) keeping.add(s);
      for (let i = 0; i < ready.length; i++) yield ready[i] as Snapshot;
    }
  }

  /**
   * A column pass, keeping the batches for the next passes as pass() does (the file may be
   * small enough), but without an object per snapshot.
   */
  private async *columnPass(): AsyncGenerator<SnapshotColumns> {
    if (this.kept !== null) {
      yield* this.kept.replayColumns(KEPT_COLUMN_BATCH);
      return;
    }
    const rel = relativeTo(this.header.baseTimeNs);
    const keeping = this.keeping();
    const keepAndGive = (c: SnapshotColumns): SnapshotColumns => {
      if (keeping.active()) keeping.addColumns(c);
      return c;
    };
    // What opening parsed comes as snapshots; after it the parser hands each snapshot over as
    // a range of its arenas. Each batch lives until the next one: the parser may then fill
    // its regions' memory again.
    const ranges = new ColumnBatchBuilder(rel, this.header.baseTimeNs === 0n, this.path);
    for await (const batch of this.parsedBatches(keeping.completed, ranges)) {
      if (batch.length > 0) yield keepAndGive(columnsOfParsed(batch, rel));
      if (ranges.count > 0) yield keepAndGive(ranges.take());
    }
  }

  /**
   * What a pass keeps for the next ones: nothing for one-pass reports (keptMaxRegions 0 and
   * no codedKeep); else every snapshot until it holds more than keptMaxRegions regions, and
   * when a pass found the file too big for that, every snapshot coded until the coding
   * refuses one (coded_kept_snapshots.ts). `completed` makes what was kept the source's when
   * the pass reached the end of the file.
   */
  private keeping(): {
    active: () => boolean;
    add: (s: Snapshot) => void;
    addColumns: (c: SnapshotColumns) => void;
    completed: () => void;
  } {
    let keep: KeptSnapshots | null = this.keptMaxRegions > 0 && !this.tooBigToKeep ? new KeptSnapshots() : null;
    let coded: CodedKeptSnapshots | null = keep === null && this.codedKeep && !this.tooBigToCode ? new CodedKeptSnapshots() : null;
    const checkPlain = (k: KeptSnapshots): void => {
      if (k.nrRegions > this.keptMaxRegions) {
        keep = null;
        this.tooBigToKeep = true;
      }
    };
    const refused = (): void => {
      coded = null;
      this.tooBigToCode = true;
    };
    return {
      active: () => keep !== null || coded !== null,
      add: (s) => {
        if (keep !== null) {
          keep.add(s);
          checkPlain(keep);
        } else if (coded !== null && !coded.add(s)) refused();
      },
      addColumns: (c) => {
        if (keep !== null) {
          keep.addColumns(c);
          checkPlain(keep);
        } else if (coded !== null && !coded.addColumns(c)) refused();
      },
      completed: () => {
        if (keep !== null) {
          const k = keep;
          this.kept = k;
          this.snapshotsOfTarget = (targetIndex) => k.ofTarget(targetIndex);
        } else if (coded !== null) this.kept = coded;
      },
    };
  }

  /**
   * The parse batches of one pass, each once the header has what the batch needs (the
   * records begun so far); `completed` runs when the pass reached the end of the file.
   * With `ranges`, the parser hands snapshots to it from the second batch on (the batches
   * are then empty), and the caller is done with a batch when it asks for the next one.
   */
  private async *parsedBatches(completed: () => void, ranges: SnapshotRangeSink | null = null): AsyncGenerator<readonly ParsedSnapshot[]> {
    const { header, path, opts } = this;
    const base = header.baseTimeNs;
    const head = this.headStart;
    this.headStart = null;
    // Go on from where opening stopped, with what it parsed so far, or read the file anew.
    const stream = head !== null ? head.stream : openParseStream(path, opts);
    let batch: ParsedSnapshot[] | null = head !== null ? head.parsed : [];
    try {
      for (;;) {
        if (batch === null) {
          completed();
          return;
        }
        // Later passes see the same records again; the first pass to reach one adds it.
        for (let i = header.targets.length; i < stream.targets.length; i++) header.targets.push(stream.targets[i] as TraceTarget);
        if (header.intervals === null && stream.intervals !== null) header.intervals = stream.intervals;
        if (header.intervalsGoal === undefined && stream.intervalsGoal !== undefined) header.intervalsGoal = stream.intervalsGoal;
        if (header.dataSource === undefined && stream.dataSource !== undefined) header.dataSource = stream.dataSource;
        if (base === 0n) {
          for (const { snapshot: s } of batch) if (needsBaseTime(s)) throw inexactTimeError(path, s);
        }
        yield batch;
        if (ranges !== null) {
          stream.recycleArenas();
          stream.setRangeSink(ranges);
        }
        try {
          batch = await stream.next();
        } catch (e) {
          throw damoJsonError(e, path, opts);
        }
      }
    } finally {
      await stream.close();
    }
  }
}

/** Snapshots per column batch of a replay of the kept file. */
const KEPT_COLUMN_BATCH = 1024;

/**
 * A parse batch in columns. The parser hands regions out as views of its arenas, one
 * snapshot after the other, so the batch's regions are usually one run of each arena: the
 * columns are then views of it, else copies.
 */
function columnsOfParsed(batch: readonly ParsedSnapshot[], rel: (t: AbsTime) => number): SnapshotColumns {
  const count = batch.length;
  const first = (batch[0] as ParsedSnapshot).snapshot;
  let nrRegions = 0;
  let contiguous = true;
  for (let k = 0; k < count; k++) {
    const s = (batch[k] as ParsedSnapshot).snapshot;
    if (contiguous) contiguous = followsIn(s.starts, first.starts, nrRegions) && followsIn(s.ends, first.ends, nrRegions) && followsIn(s.nrAccesses, first.nrAccesses, nrRegions) && followsIn(s.ages, first.ages, nrRegions);
    nrRegions += s.starts.length;
  }
  const c: SnapshotColumns = {
    ...emptySnapshotCounts(count),
    starts: contiguous ? viewOfRun(first.starts, nrRegions) : new Float64Array(nrRegions),
    ends: contiguous ? viewOfRun(first.ends, nrRegions) : new Float64Array(nrRegions),
    nrAccesses: contiguous ? viewOfRun(first.nrAccesses, nrRegions) : new Float64Array(nrRegions),
    ages: contiguous ? viewOfRun(first.ages, nrRegions) : new Float64Array(nrRegions),
    extras: null,
    totalBytes: null,
  };
  let at = 0;
  for (let k = 0; k < count; k++) {
    const { snapshot: s, recordIndex } = batch[k] as ParsedSnapshot;
    if (!contiguous) {
      c.starts.set(s.starts, at);
      c.ends.set(s.ends, at);
      c.nrAccesses.set(s.nrAccesses, at);
      c.ages.set(s.ages, at);
    }
    c.targetIndex[k] = recordIndex;
    const endNs = rel(s.end);
    c.endNs[k] = endNs;
    c.startNs[k] = s.start === null ? endNs : rel(s.start);
    at += s.starts.length;
    c.offsets[k + 1] = at;
    // total_bytes alone (damo gives it to every snapshot) goes in its column, else with the rest.
    if (s.sampleIntervalUs !== undefined || s.szFilterPassed !== undefined || s.damosStats !== undefined) (c.extras ??= new Array<SnapshotExtras | undefined>(count))[k] = extrasOf(s);
    else if (s.totalBytes !== undefined) (c.totalBytes ??= new Float64Array(count).fill(NaN))[k] = s.totalBytes;
  }
  return c;
}

/**
 * A column pass's snapshots as the parser finishes them (SnapshotRangeSink), gathered into
 * one column batch per parse step: no object per snapshot. Times are made relative as they
 * come; the regions stay where the parser put them, the batch's columns being views of the
 * arena when its regions are one run of it (as columnsOfParsed() does), copies otherwise.
 */
class ColumnBatchBuilder implements SnapshotRangeSink {
  count = 0;
  private readonly recordIndex: number[] = [];
  private readonly startNs: number[] = [];
  private readonly endNs: number[] = [];
  private arenas: Arena[] = [];
  private readonly from: number[] = [];
  private readonly to: number[] = [];
  private extras: Array<SnapshotExtras | undefined> = [];
  /** total_bytes of the snapshots without other extras (NaN when absent), as columnsOfParsed() keeps it. */
  private readonly totalBytes: number[] = [];

  constructor(
    private readonly rel: (t: AbsTime) => number,
    /** No base time: a time beyond 2^53 cannot be kept exact (inexactTimeError). */
    private readonly exactOnly: boolean,
    private readonly path: string,
  ) {}

  add(recordIndex: number, start: AbsTime | null, end: AbsTime, acc: RegionAccumulator, totalBytes: number | undefined, sampleIntervalUs: number | undefined, damosStats: DamosStats | undefined): void {
    if (this.exactOnly && timesNeedBase(start, end)) throw inexactTimeError(this.path, { start, end });
    const k = this.count++;
    const endNs = this.rel(end);
    this.recordIndex[k] = recordIndex;
    this.endNs[k] = endNs;
    this.startNs[k] = start === null ? endNs : this.rel(start);
    const arena = acc.arena;
    const from = acc.rangeFrom;
    const to = acc.rangeTo;
    this.arenas[k] = arena;
    this.from[k] = from;
    this.to[k] = to;
    let x: SnapshotExtras | undefined;
    if (sampleIntervalUs !== undefined || acc.hasSzFilterPassed || damosStats !== undefined) {
      // extrasOf() of the snapshot the parser would have made (take()'s filter results).
      x = {};
      if (sampleIntervalUs !== undefined) x.sampleIntervalUs = sampleIntervalUs;
      if (totalBytes !== undefined) x.totalBytes = totalBytes;
      if (acc.hasSzFilterPassed) x.szFilterPassed = arena.szFilterPassed === null ? new Float64Array(to - from) : arena.szFilterPassed.subarray(from, to);
      if (damosStats !== undefined) x.damosStats = damosStats;
    }
    this.extras[k] = x;
    this.totalBytes[k] = x === undefined ? (totalBytes ?? NaN) : NaN;
  }

  /** The batch gathered since the last take(). */
  take(): SnapshotColumns {
    const count = this.count;
    const first = this.arenas[0] as Arena;
    let contiguous = true;
    let nrRegions = 0;
    for (let k = 0; k < count; k++) {
      if (k > 0 && (this.arenas[k] !== first || this.from[k] !== this.to[k - 1])) contiguous = false;
      nrRegions += (this.to[k] as number) - (this.from[k] as number);
    }
    const at = this.from[0] as number;
    const column = (a: (arena: Arena) => Float64Array): Float64Array => {
      if (contiguous) return new Float64Array(a(first).buffer, at * 8, nrRegions);
      const out = new Float64Array(nrRegions);
      let p = 0;
      for (let k = 0; k < count; k++) {
        out.set(a(this.arenas[k] as Arena).subarray(this.from[k], this.to[k]), p);
        p += (this.to[k] as number) - (this.from[k] as number);
      }
      return out;
    };
    const c: SnapshotColumns = {
      ...emptySnapshotCounts(count),
      starts: column((a) => a.starts),
      ends: column((a) => a.ends),
      nrAccesses: column((a) => a.nrAccesses),
      ages: column((a) => a.ages),
      extras: null,
      totalBytes: null,
    };
    let offset = 0;
    for (let k = 0; k < count; k++) {
      c.targetIndex[k] = this.recordIndex[k] as number;
      c.startNs[k] = this.startNs[k] as number;
      c.endNs[k] = this.endNs[k] as number;
      offset += (this.to[k] as number) - (this.from[k] as number);
      c.offsets[k + 1] = offset;
      const x = this.extras[k];
      if (x !== undefined) (c.extras ??= new Array<SnapshotExtras | undefined>(count))[k] = x;
      const total = this.totalBytes[k] as number;
      if (!Number.isNaN(total)) (c.totalBytes ??= new Float64Array(count).fill(NaN))[k] = total;
    }
    this.count = 0;
    // Drop what would keep arenas and filter-result views alive past the batch.
    this.arenas = [];
    this.extras = [];
    return c;
  }
}

/** The n regions from the start of `a`, in its memory. */
function viewOfRun(a: Float64Array, n: number): Float64Array {
  return new Float64Array(a.buffer, a.byteOffset, n);
}

/** Whether `a` starts `regionsBefore` regions after `first` in the same memory. */
function followsIn(a: Float64Array, first: Float64Array, regionsBefore: number): boolean {
  return a.buffer === first.buffer && a.byteOffset === first.byteOffset + regionsBefore * 8;
}

function inexactTimeError(path: string, s: Pick<PendingSnapshot, 'start' | 'end'>): DamoError {
  const t: AbsTime = typeof s.start === 'bigint' ? s.start : s.end;
  return new DamoError(
    'E_UNSUPPORTED',
    `${path}: snapshot time ${t} is beyond 2^53 while the first snapshot's times were not; ` +
      'a streamed pass cannot keep such times exact',
    { hint: 'convert the file with `damo convert` into a damo-ts trace and report on that' },
  );
}
