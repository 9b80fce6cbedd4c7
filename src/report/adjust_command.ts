// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo adjust` (damo 3.3.0): rewrite a recording with the record filters applied, the first
 * `skip` snapshots of each target dropped and the rest re-aggregated to a longer aggregation
 * interval (damo `_damo_records.adjust_records`), into damo's json_compressed by default.
 *
 * Streaming: each target's snapshots go through the filters and the aggregation one by one,
 * so memory holds one aggregation window, not the recording.
 */
import { chmodSync } from 'node:fs';

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

/** The filter-passed bytes of `size` bytes of a region with `passed` of `regionSize` (damo's share). */
function passedShare(passed: number, regionSize: number, size: number): number {
  if (Number.isNaN(passed)) return NaN;
  return Math.trunc((passed / regionSize) * size);
}

const EMPTY = new Float64Array(0);
const INITIAL_REGIONS = 64;

/** A larger copy of `a` holding its first `n` values. */
function grown<T extends Float64Array | Int32Array>(a: T, n: number): T {
  const bigger = new (a.constructor as new (length: number) => T)(Math.max(INITIAL_REGIONS, a.length * 2));
  bigger.set(a.subarray(0, n));
  return bigger;
}

/**
 * The regions kept while aggregating, in damo's order (the order they were added), as
 * columns indexed by that order: a region is its index, as damo's region objects are
 * themselves. They never overlap each other (a region is added only where none is), so
 * while they are also in address order, the first one in list order that overlaps a range
 * is found by binary search; once a region lands out of order, by damo's linear scan.
 * Columns, not an object per region, and kept from one window to the next (reset()): an
 * object and its boxed addresses per kept region were most of adjust's garbage.
 */
class AggRegions {
  n = 0;
  starts = new Float64Array(INITIAL_REGIONS);
  ends = new Float64Array(INITIAL_REGIONS);
  samples = new Float64Array(INITIAL_REGIONS);
  ages = new Float64Array(INITIAL_REGIONS);
  /** NaN when the recording has no filter results. */
  passed = new Float64Array(INITIAL_REGIONS);
  /** The units damo's record filter gave the region, NaN for one made while aggregating. */
  percent = new Float64Array(INITIAL_REGIONS);
  usec = new Float64Array(INITIAL_REGIONS);
  /** What the snapshot being added raises a region by, valid while its addEpoch is that snapshot's. */
  private add = new Float64Array(INITIAL_REGIONS);
  private addEpoch = new Int32Array(INITIAL_REGIONS);
  private sorted = true;
  /** Regions raised by the snapshot being added: the first nrRaised. */
  private raised = new Int32Array(INITIAL_REGIONS);
  private nrRaised = 0;
  private epoch = 0;

  /** Empties the list for the next window; the columns stay allocated. */
  reset(): void {
    this.n = 0;
    this.sorted = true;
    this.nrRaised = 0;
    this.epoch = 0;
    this.hint = 0;
    this.hintStart = -Infinity;
  }

  /** The first region in list order that overlaps [start, end), or -1. */
  private firstOverlapping(start: number, end: number): number {
    const n = this.n;
    const starts = this.starts;
    const ends = this.ends;
    if (!this.sorted) {
      for (let i = 0; i < n; i++) if ((starts[i] as number) < end && start < (ends[i] as number)) return i;
      return -1;
    }
    // A snapshot's regions come in address order: the answer for one is at or after the
    // answer for the one before, so search on from there (a step or two) unless it went back.
    let lo = start >= this.hintStart ? this.hint : 0;
    if (lo < n && (ends[lo] as number) <= start) {
      lo++;
      if (lo < n && (ends[lo] as number) <= start) {
        let hi = n;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((ends[mid] as number) <= start) lo = mid + 1;
          else hi = mid;
        }
      }
    }
    this.hint = lo;
    this.hintStart = start;
    return lo < n && (starts[lo] as number) < end ? lo : -1;
  }

  /** Where the last search ended, and for what start (see firstOverlapping). */
  private hint = 0;
  private hintStart = -Infinity;

  /**
   * The columns of the snapshot being added, for addRegionAt: a region's values are read
   * where they are used, so that no address crosses a call (an address above 2^31 passed to
   * a function that is not inlined is boxed).
   */
  private cStarts: Float64Array = EMPTY;
  private cEnds: Float64Array = EMPTY;
  private cSamples: Float64Array = EMPTY;
  private cAges: Float64Array = EMPTY;
  /** Filter results of the snapshot, indexed from cPassedFrom; undefined when it has none. */
  private cPassed: Float64Array | undefined;
  private cPassedFrom = 0;
  /** The record's intervals, for the units damo's record filter gives a kept region. */
  private units: Intervals | null = null;

  /** Starts a snapshot: its regions are then added with addRegionAt. */
  setColumns(starts: Float64Array, ends: Float64Array, samples: Float64Array, ages: Float64Array, passed: Float64Array | undefined, passedFrom: number, units: Intervals | null): void {
    this.cStarts = starts;
    this.cEnds = ends;
    this.cSamples = samples;
    this.cAges = ages;
    this.cPassed = passed;
    this.cPassedFrom = passedFrom;
    this.units = units;
  }

  /**
   * addRegion for region i of the columns set by setColumns, with the units damo's record
   * filter gave it. The common cases (the region is new, or inside one kept region) end
   * here; only the parts of a region outside the kept one it overlaps go through addRegion.
   */
  addRegionAt(i: number): void {
    const start = this.cStarts[i] as number;
    const end = this.cEnds[i] as number;
    const samples = this.cSamples[i] as number;
    const r = this.firstOverlapping(start, end);
    if (r < 0) {
      // pushRegion() written out: it is not inlined here, and its seven numbers would cross
      // the call boxed (four heap numbers per new region, ~31 MB on damo's recording x100).
      const age = this.cAges[i] as number;
      const iv = this.units;
      const n = this.appendSlot();
      this.starts[n] = start;
      this.ends[n] = end;
      this.samples[n] = samples;
      this.ages[n] = age;
      this.passed[n] = this.cPassed === undefined ? NaN : (this.cPassed[i - this.cPassedFrom] as number);
      this.percent[n] = iv === null ? NaN : accessPercent(samples, iv);
      this.usec[n] = iv === null ? NaN : age * iv.aggrUs;
      this.checkOrder(n);
      return;
    }
    this.raise(r, samples);
    if ((this.starts[r] as number) <= start && end <= (this.ends[r] as number)) return;
    const passed = this.cPassed === undefined ? NaN : (this.cPassed[i - this.cPassedFrom] as number);
    this.addParts(r, start, end, samples, this.cAges[i] as number, passed);
  }

  private pushRegion(start: number, end: number, samples: number, age: number, passed: number, percent: number, usec: number): void {
    const n = this.appendSlot();
    this.starts[n] = start;
    this.ends[n] = end;
    this.samples[n] = samples;
    this.ages[n] = age;
    this.passed[n] = passed;
    this.percent[n] = percent;
    this.usec[n] = usec;
    this.checkOrder(n);
  }

  /** A new last region, for the caller to fill in and then checkOrder(). */
  private appendSlot(): number {
    const n = this.n;
    if (n === this.starts.length) this.grow();
    this.addEpoch[n] = -1;
    this.n = n + 1;
    return n;
  }

  /** Notes when the region just appended at n starts before the one before it ends. */
  private checkOrder(n: number): void {
    if (n > 0 && (this.starts[n] as number) < (this.ends[n - 1] as number)) this.sorted = false;
  }

  private grow(): void {
    const n = this.n;
    this.starts = grown(this.starts, n);
    this.ends = grown(this.ends, n);
    this.samples = grown(this.samples, n);
    this.ages = grown(this.ages, n);
    this.passed = grown(this.passed, n);
    this.percent = grown(this.percent, n);
    this.usec = grown(this.usec, n);
    this.add = grown(this.add, n);
    this.addEpoch = grown(this.addEpoch, n);
    this.raised = grown(this.raised, this.nrRaised);
  }

  /** Region `r` takes the snapshot's nr_accesses for the region overlapping it (the maximum of those). */
  private raise(r: number, samples: number): void {
    if (this.addEpoch[r] !== this.epoch) {
      this.addEpoch[r] = this.epoch;
      this.add[r] = samples;
      // Each region is raised at most once per snapshot, so `raised` never holds more than n.
      this.raised[this.nrRaised++] = r;
    } else this.add[r] = Math.max(this.add[r] as number, samples);
  }

  /** The parts of [start, end) before and after region `r`, which it overlaps, added as regions. */
  private addParts(r: number, start: number, end: number, samples: number, age: number, passed: number): void {
    const rStart = this.starts[r] as number;
    const rEnd = this.ends[r] as number;
    // Both parts' shares are of the whole region, as damo computes them before adding either.
    const size = end - start;
    const passedBefore = start < rStart ? passedShare(passed, size, rStart - start) : 0;
    const passedAfter = rEnd < end ? passedShare(passed, size, end - rEnd) : 0;
    // Parts are new regions, in samples only (damo's record filter never saw them).
    if (start < rStart) this.addRegion(start, rStart, samples, age, passedBefore);
    if (rEnd < end) this.addRegion(rEnd, end, samples, age, passedAfter);
  }

  /**
   * damo `add_region`: a region overlapping kept ones raises each of them by its
   * nr_accesses (the maximum over this snapshot's overlapping regions); its parts outside
   * them are added as regions of their own, with no record-filter units.
   */
  private addRegion(start: number, end: number, samples: number, age: number, passed: number): void {
    const r = this.firstOverlapping(start, end);
    if (r < 0) {
      this.pushRegion(start, end, samples, age, passed, NaN, NaN);
      return;
    }
    this.raise(r, samples);
    this.addParts(r, start, end, samples, age, passed);
  }

  /** Applies what the snapshot just added raised, and starts the next one. */
  endSnapshot(): void {
    const samples = this.samples;
    const add = this.add;
    for (let k = 0; k < this.nrRaised; k++) {
      const r = this.raised[k] as number;
      samples[r] = (samples[r] as number) + (add[r] as number);
    }
    this.nrRaised = 0;
    this.epoch++;
    this.hint = 0;
    this.hintStart = -Infinity;
  }
}

/**
 * damo `aggregate_snapshots` of one target's window, built a snapshot at a time (so a
 * column batch's memory need not outlive the batch): one snapshot spanning the window.
 * One per target, empty again after each window (finish()).
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
    agg.setColumns(starts, ends, nrAccesses, ages, passed, from, this.units);
    for (let i = from; i < to; i++) agg.addRegionAt(i);
    agg.endSnapshot();
  }

  addSnapshot(s: Snapshot): void {
    this.add(s.startNs, s.endNs, s.starts, s.ends, s.nrAccesses, s.ages, 0, s.starts.length, s.szFilterPassed);
  }

  /** The window's snapshot; the window is empty again after. */
  finish(): Snapshot {
    const a = this.agg;
    const n = a.n;
    const out: Snapshot = {
      targetIndex: this.targetIndex,
      startNs: this.startNs,
      endNs: this.endNs,
      starts: a.starts.slice(0, n),
      ends: a.ends.slice(0, n),
      nrAccesses: a.samples.slice(0, n),
      ages: a.ages.slice(0, n),
    };
    if (this.hasPassed) out.szFilterPassed = a.passed.slice(0, n).map((v) => (Number.isNaN(v) ? 0 : v));
    if (this.units !== null) {
      out.nrAccessesPercent = a.percent.slice(0, n);
      out.ageUsec = a.usec.slice(0, n);
    }
    let total = 0;
    for (let i = 0; i < n; i++) total += (out.ends[i] as number) - (out.starts[i] as number);
    out.totalBytes = total;
    a.reset();
    this.startNs = NaN;
    this.endNs = NaN;
    this.hasPassed = false;
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
  /** Created at the target's first snapshot after the skip; reused for each window. */
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
      chmodSync(tmp, r.mode);
    } catch (e) {
      if (e instanceof DamoError) throw e;
      throw new DamoError('E_IO', `${r.output}: writing the adjusted recording failed: ${errorMessage(e)}`, { cause: e });
    }
  });
  return 0;
}
