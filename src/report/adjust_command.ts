// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo adjust` (damo 3.3.0): rewrite a recording with the record filters applied, the first
 * `skip` snapshots of each target dropped and the rest re-aggregated to a longer aggregation
 * interval (damo `_damo_records.adjust_records`), into damo's json_compressed by default.
 *
 * Streaming: each target's snapshots go through the filters and the aggregation one by one,
 * so memory holds one aggregation window, not the recording.
 */
import { chmod } from 'node:fs/promises';

import { DamoError, errorMessage } from '../core/errors.js';
import type { CliIO } from '../core/io.js';
import { writeOutputFile } from '../core/output_file.js';
import { interruptible } from '../core/interrupts.js';
import type { Intervals, Snapshot, SnapshotColumns, TraceHeader, TraceSource } from '../core/model.js';
import { openForReport } from '../format/open_for_report.js';
import type { AdjustOutputType, RecordFilter } from './access_options.js';
import { accessPercent, snapshotOf } from './access_records.js';
import { filterSnapshot, isEmptyFilter } from './record_filter.js';

export interface AdjustRequest {
  input: string;
  output: string;
  outputType: AdjustOutputType;
  mode: number;
  /** New aggregation interval; undefined keeps the snapshots as they are (filters only). */
  aggregateIntervalUs: number | undefined;
  skip: number;
  filter: RecordFilter;
}

/** A region while re-aggregating; objects so that identity works like damo's region objects. */
interface AggRegion {
  start: number;
  end: number;
  samples: number;
  age: number;
  /** NaN when the recording has no filter results. */
  passed: number;
  /** The units damo's record filter gave the region object, NaN for one made while aggregating. */
  percent: number;
  usec: number;
  /** What the snapshot being added raises it by, valid while `addEpoch` is that snapshot's. */
  add: number;
  addEpoch: number;
}

/** The filter-passed bytes of `size` bytes of a region with `passed` of `regionSize` (damo's share). */
function passedShare(passed: number, regionSize: number, size: number): number {
  if (Number.isNaN(passed)) return NaN;
  return Math.trunc((passed / regionSize) * size);
}

/**
 * The regions kept while aggregating, in damo's order (the order they were added). They
 * never overlap each other (a region is added only where none is), so while they are also
 * in address order, the first one in list order that overlaps a range is found by binary
 * search; once a region lands out of order, by damo's linear scan.
 */
class AggRegions {
  readonly list: AggRegion[] = [];
  private sorted = true;
  /** Regions raised by the snapshot being added. */
  readonly raised: AggRegion[] = [];
  epoch = 0;

  /** The first region in list order that overlaps [start, end), or undefined. */
  private firstOverlapping(start: number, end: number): AggRegion | undefined {
    const l = this.list;
    if (!this.sorted) {
      for (const r of l) if (r.start < end && start < r.end) return r;
      return undefined;
    }
    // A snapshot's regions come in address order: the answer for one is at or after the
    // answer for the one before, so search on from there (a step or two) unless it went back.
    let lo = start >= this.hintStart ? this.hint : 0;
    const n = l.length;
    if (lo < n && (l[lo] as AggRegion).end <= start) {
      lo++;
      if (lo < n && (l[lo] as AggRegion).end <= start) {
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((l[mid] as AggRegion).end <= start) lo = mid + 1;
          else hi = mid;
        }
      }
    }
    this.hint = lo;
    this.hintStart = start;
    const r = l[lo];
    return r !== undefined && r.start < end ? r : undefined;
  }

  /** Where the last search ended, and for what start (see firstOverlapping). */
  private hint = 0;
  private hintStart = -Infinity;

  /**
   * damo `add_region`: a region overlapping kept ones raises each of them by its
   * nr_accesses (the maximum over this snapshot's overlapping regions); its parts outside
   * them are added as regions of their own. Plain values, not a region object: only a
   * region that is kept becomes one.
   */
  addRegion(start: number, end: number, samples: number, age: number, passed: number, percent: number, usec: number): void {
    const r = this.firstOverlapping(start, end);
    if (r === undefined) {
      const last = this.list[this.list.length - 1];
      if (last !== undefined && start < last.end) this.sorted = false;
      this.list.push({ start, end, samples, age, passed, percent, usec, add: 0, addEpoch: -1 });
      return;
    }
    if (r.addEpoch !== this.epoch) {
      r.addEpoch = this.epoch;
      r.add = samples;
      this.raised.push(r);
    } else r.add = Math.max(r.add, samples);
    const rStart = r.start;
    const rEnd = r.end;
    // Both parts' shares are of the whole region, as damo computes them before adding either.
    const size = end - start;
    const passedBefore = start < rStart ? passedShare(passed, size, rStart - start) : 0;
    const passedAfter = rEnd < end ? passedShare(passed, size, end - rEnd) : 0;
    // Parts are new region objects, in samples only (damo's record filter never saw them).
    if (start < rStart) this.addRegion(start, rStart, samples, age, passedBefore, NaN, NaN);
    if (rEnd < end) this.addRegion(rEnd, end, samples, age, passedAfter, NaN, NaN);
  }

  /** Applies what the snapshot just added raised, and starts the next one. */
  endSnapshot(): void {
    for (const r of this.raised) r.samples += r.add;
    this.raised.length = 0;
    this.epoch++;
    this.hint = 0;
    this.hintStart = -Infinity;
  }
}

/**
 * damo `aggregate_snapshots` of one target's window, built a snapshot at a time (so a
 * column batch's memory need not outlive the batch): one snapshot spanning the window.
 */
class WindowAggregation {
  private readonly agg = new AggRegions();
  private startNs = NaN;
  private endNs = NaN;
  private hasPassed = false;

  /** `units`: the record's intervals, for the units damo's record filter gives (withFilterUnits). */
  constructor(
    private readonly targetIndex: number,
    private readonly units: Intervals | null,
  ) {}

  get firstStartNs(): number {
    return this.startNs;
  }

  /**
   * Adds one snapshot: regions [from, to) of the parallel arrays; `passed`, when the
   * snapshot has filter results, indexed from `from` too (its own array: index i - from).
   */
  add(startNs: number, endNs: number, starts: Float64Array, ends: Float64Array, nrAccesses: Float64Array, ages: Float64Array, from: number, to: number, passed: Float64Array | undefined): void {
    if (Number.isNaN(this.startNs)) this.startNs = startNs;
    this.endNs = endNs;
    if (passed !== undefined) this.hasPassed = true;
    const agg = this.agg;
    const iv = this.units;
    for (let i = from; i < to; i++) {
      const nr = nrAccesses[i] as number;
      const age = ages[i] as number;
      agg.addRegion(
        starts[i] as number,
        ends[i] as number,
        nr,
        age,
        passed === undefined ? NaN : (passed[i - from] as number),
        iv === null ? NaN : accessPercent(nr, iv),
        iv === null ? NaN : age * iv.aggrUs,
      );
    }
    agg.endSnapshot();
  }

  addSnapshot(s: Snapshot): void {
    this.add(s.startNs, s.endNs, s.starts, s.ends, s.nrAccesses, s.ages, 0, s.starts.length, s.szFilterPassed);
  }

  finish(): Snapshot {
    const regions = this.agg.list;
    const n = regions.length;
    const out: Snapshot = {
      targetIndex: this.targetIndex,
      startNs: this.startNs,
      endNs: this.endNs,
      starts: new Float64Array(n),
      ends: new Float64Array(n),
      nrAccesses: new Float64Array(n),
      ages: new Float64Array(n),
    };
    if (this.hasPassed) out.szFilterPassed = new Float64Array(n);
    if (this.units !== null) {
      out.nrAccessesPercent = Float64Array.from(regions, (r) => r.percent);
      out.ageUsec = Float64Array.from(regions, (r) => r.usec);
    }
    let total = 0;
    regions.forEach((r, i) => {
      out.starts[i] = r.start;
      out.ends[i] = r.end;
      out.nrAccesses[i] = r.samples;
      out.ages[i] = r.age;
      if (out.szFilterPassed !== undefined) out.szFilterPassed[i] = Number.isNaN(r.passed) ? 0 : r.passed;
      total += r.end - r.start;
    });
    out.totalBytes = total;
    return out;
  }
}

/**
 * The snapshot with the units damo's record filter gives every region it keeps when the
 * record has intervals (damo `region_of_pattern`: nr_accesses and age `add_unset_unit`,
 * which `adjust` applies with its default access pattern whatever the options).
 */
function withFilterUnits(s: Snapshot, iv: Intervals | null): Snapshot {
  if (iv === null) return s;
  const n = s.starts.length;
  const percent = new Float64Array(n);
  const usec = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    percent[i] = accessPercent(s.nrAccesses[i] as number, iv);
    usec[i] = (s.ages[i] as number) * iv.aggrUs;
  }
  return { ...s, nrAccessesPercent: percent, ageUsec: usec };
}

/** What re-aggregating one target carries from one snapshot to the next. */
interface TargetAdjustState {
  filter: { nrBeforeIdx: number };
  nrSeen: number;
  window: WindowAggregation | null;
}

/**
 * A column batch's snapshots into their targets' windows (after each target's first `skip`);
 * the windows they complete go to `done`. Out of the async generator so that V8 compiles the
 * two apart (the generator's compile had taken ~40 ms of background CPU with this inlined).
 */
function addColumns(c: SnapshotColumns, stateOf: (t: number) => TargetAdjustState, skip: number, iv: Intervals | null, windowNs: number, done: Snapshot[]): void {
  for (let k = 0; k < c.count; k++) {
    const t = c.targetIndex[k] as number;
    const st = stateOf(t);
    if (st.nrSeen++ < skip) continue;
    const w = (st.window ??= new WindowAggregation(t, iv));
    const endNs = c.endNs[k] as number;
    w.add(c.startNs[k] as number, endNs, c.starts, c.ends, c.nrAccesses, c.ages, c.offsets[k] as number, c.offsets[k + 1] as number, c.extras?.[k]?.szFilterPassed);
    if (endNs - w.firstStartNs >= windowNs) {
      done.push(w.finish());
      st.window = null;
    }
  }
}

/**
 * Every target's snapshots after the filters, the skip and the re-aggregation, in one pass
 * over the input and in its order (each target's windows are its own): the writer takes a
 * pass per target, so a recording of T targets is read T times, never T^2.
 */
async function* adjustedSnapshots(src: TraceSource, r: AdjustRequest): AsyncGenerator<Snapshot> {
  const base = src.header.baseTimeNs === 0n ? 0 : Number(src.header.baseTimeNs);
  const filtering = !isEmptyFilter(r.filter);
  const iv = src.header.intervals;
  const states: TargetAdjustState[] = [];
  const stateOf = (t: number): TargetAdjustState => {
    while (states.length <= t) states.push({ filter: { nrBeforeIdx: 0 }, nrSeen: 0, window: null });
    return states[t] as TargetAdjustState;
  };
  const windowNs = r.aggregateIntervalUs === undefined ? NaN : r.aggregateIntervalUs * 1000;
  if (!filtering && r.aggregateIntervalUs !== undefined && src.snapshotColumns !== undefined) {
    // Column batches: no object and no promise per input snapshot.
    const done: Snapshot[] = [];
    for await (const c of src.snapshotColumns()) {
      addColumns(c, stateOf, r.skip, iv, windowNs, done);
      for (const s of done) yield s;
      done.length = 0;
    }
    return;
  }
  for await (const s0 of interruptible(src.snapshots())) {
    const t = s0.targetIndex;
    const st = stateOf(t);
    let s: Snapshot = s0;
    if (filtering) {
      const a = snapshotOf(s0);
      a.startNs += base;
      a.endNs += base;
      const f = filterSnapshot(a, src.header.intervals, r.filter, st.filter);
      if (f === undefined) continue;
      s = {
        targetIndex: t,
        startNs: f.startNs - base,
        endNs: f.endNs - base,
        starts: f.starts,
        ends: f.ends,
        nrAccesses: f.samples,
        ages: f.ages,
        totalBytes: f.totalBytes,
      };
      if (f.szFilterPassed !== undefined) s.szFilterPassed = f.szFilterPassed;
      if (s0.damosStats !== undefined) s.damosStats = s0.damosStats;
      if (s0.sampleIntervalUs !== undefined) s.sampleIntervalUs = s0.sampleIntervalUs;
    }
    if (r.aggregateIntervalUs === undefined) {
      yield withFilterUnits(s, iv);
      continue;
    }
    if (st.nrSeen++ < r.skip) continue;
    const w = (st.window ??= new WindowAggregation(t, iv));
    w.addSnapshot(s);
    if (s.endNs - w.firstStartNs >= windowNs) {
      yield w.finish();
      st.window = null;
    }
  }
}

/**
 * The adjusted recording as a source the writers stream from. The header is read through
 * to the input's: a streamed damo json file adds targets and its data source as a pass
 * reaches them.
 */
function adjustedSource(src: TraceSource, r: AdjustRequest): TraceSource {
  const header: TraceHeader = { ...src.header };
  for (const key of ['targets', 'dataSource', 'intervalsGoal'] as const) {
    Object.defineProperty(header, key, { get: () => src.header[key], enumerable: true });
  }
  const iv = src.header.intervals;
  if (r.aggregateIntervalUs !== undefined && iv !== null) header.intervals = { ...iv, aggrUs: r.aggregateIntervalUs };
  return {
    path: src.path,
    header,
    warnings: src.warnings,
    trailer: () => null,
    snapshots: () => adjustedSnapshots(src, r),
  };
}

export async function runAdjustCommand(io: CliIO, r: AdjustRequest): Promise<number> {
  // One pass per target, each streamed: memory holds an aggregation window, not the file.
  const src = await openForReport(io, r.input, { strict: false, streamDamoJson: 'grow', outputs: [{ path: r.output, what: 'the output' }] });
  const adjusted = adjustedSource(src, r);
  // Written under a temporary name removed on error and at exit (an interrupt included).
  await writeOutputFile(r.output, async (tmp) => {
    try {
      if (r.outputType === 'perf_script') {
        const { writePerfScript } = await import('../format/damo/perf_script_writer.js');
        await writePerfScript(adjusted, tmp, { mode: r.mode });
      } else {
        const { writeDamoJson } = await import('../format/damo/json_writer.js');
        await writeDamoJson(adjusted, tmp, { compressed: r.outputType === 'json_compressed', mode: r.mode });
      }
      // The mode given at creation is reduced by the umask; damo chmods after writing.
      await chmod(tmp, r.mode);
    } catch (e) {
      if (e instanceof DamoError) throw e;
      throw new DamoError('E_IO', `${r.output}: writing the adjusted recording failed: ${errorMessage(e)}`, { cause: e });
    }
  });
  return 0;
}
