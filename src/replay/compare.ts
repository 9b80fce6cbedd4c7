// SPDX-License-Identifier: GPL-2.0-only
/**
 * Fidelity of one recording against another (`damo compare A B`): typically an original
 * trace A and a recording B of its replay, put into A's coordinates with the replay mapping.
 *
 * Three figures:
 *  - working set: damo's per-snapshot working set (report wss: bytes of regions with
 *    nr_accesses >= acc_thres), sorted, compared at percentiles (damo's percentile indexing);
 *  - heatmap correlation: both recordings drawn with report heats' heat grid on one
 *    time x address grid (time: the window both cover; address: the areas either covers,
 *    laid end to end, so a process's huge unmapped gaps do not inflate the agreement), each
 *    cell holding the average access ratio (nr_accesses per sampling interval, so recordings
 *    with different intervals compare), then Pearson's r over the cells;
 *  - hot-region recall: of A's hot cells (at least `hotThreshold` of A's hottest cell), the
 *    fraction that are hot in B by the same rule relative to B's hottest.
 *
 * Each trace is read in two streaming passes; memory is O(grid + snapshots), never O(trace).
 */
import { DamoError } from '../core/errors.js';
import { formatSz } from '../core/fmt.js';
import type { Snapshot, TraceHeader, TraceSource } from '../core/model.js';
import type { ReplayMapping } from './mapping.js';
import { IntervalSet } from './layout.js';
import { errorPct, percentileOf } from './rss.js';
import { HeatGrid, heatmapGeometry } from '../report/heatgrid.js';
import { SnapshotAdjuster, type Adjusted } from '../report/records.js';
import { wssOf } from '../report/wss.js';

export interface CompareOptions {
  mapping: ReplayMapping | null;
  targetA: number;
  /** Default: the target whose pid is the mapping's, else 0. */
  targetB?: number;
  timeBins: number;
  addrBins: number;
  hotThreshold: number;
  percentiles: number[];
  accThres: number;
  /**
   * damo's --work_time (us): working sets of snapshot groups spanning at least this long,
   * for recordings whose aggregation intervals differ. 1 (default): every snapshot alone.
   */
  workTimeUs?: number;
}

export interface WssRow {
  percentile: number;
  aBytes: number;
  bBytes: number;
  errorPct: number | null;
}

export interface CompareSide {
  path: string;
  target: number;
  source: string;
  nrSnapshots: number;
  nrSnapshotsInWindow: number;
}

export interface CompareResult {
  /** Why the recordings give nothing to compare (the command then exits 1), or null. */
  nothingToCompare: string | null;
  a: CompareSide;
  b: CompareSide;
  mapped: boolean;
  mapping: { nrAreas: number; scale: number | null; timeScale: number } | null;
  /** How B's times were put on A's clock. */
  timeAlignment: 'mapping' | 'first-snapshot';
  window: { startNs: number; endNs: number };
  /** Share of B's region bytes that fell outside the mapping's areas (other memory of the replay process). */
  bUnmappedFraction: number;
  wss: {
    accThres: number;
    workTimeUs: number;
    /** Mean span of the compared working-set samples, ns of A's time. */
    meanSpanANs: number;
    meanSpanBNs: number;
    percentiles: WssRow[];
    maxAbsErrorPct: number | null;
    meanABytes: number;
    meanBBytes: number;
    meanErrorPct: number | null;
  };
  heatmap: { timeBins: number; addrBins: number; nrAreas: number; addressBytes: number; correlation: number | null };
  hot: { threshold: number; nrHotA: number; nrHotB: number; nrBoth: number; recall: number | null; precision: number | null };
  warnings: string[];
}

interface Side {
  trace: TraceSource;
  target: number;
  maxNrSeen: number;
  nrSnapshots: number;
  firstStartNs: number;
  lastEndNs: number;
  covered: IntervalSet;
  bytesTotal: number;
  bytesUnmapped: number;
}

/** Maximum nr_accesses of a snapshot: its sampling intervals, or the trace's when unknown. */
function maxNrOf(s: Snapshot, header: TraceHeader, maxNrSeen: number): number {
  if (s.sampleIntervalUs !== undefined && s.sampleIntervalUs > 0) {
    return Math.max(1, Math.round((s.endNs - s.startNs) / 1000 / s.sampleIntervalUs));
  }
  const iv = header.intervals;
  if (iv !== null && iv.sampleUs > 0) return Math.max(1, Math.round(iv.aggrUs / iv.sampleUs));
  return Math.max(1, maxNrSeen);
}

type AddressMap = (start: number, end: number, emit: (s: number, e: number) => void) => void;

const identityMap: AddressMap = (start, end, emit) => emit(start, end);

/** Maps a replay address range to trace address pieces through the mapping's areas. */
function mappingMap(mapping: ReplayMapping): AddressMap {
  const areas = mapping.areas;
  return (start, end, emit) => {
    // Areas are few (at most 1024) and sorted; a linear scan from the first candidate is fine.
    let lo = 0;
    let hi = areas.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((areas[mid] as (typeof areas)[number]).replayEnd <= start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < areas.length; i++) {
      const a = areas[i] as (typeof areas)[number];
      if (a.replayStart >= end) break;
      const s = Math.max(start, a.replayStart);
      const e = Math.min(end, a.replayEnd);
      if (e <= s) continue;
      const k = (a.traceEnd - a.traceStart) / (a.replayEnd - a.replayStart);
      emit(a.traceStart + (s - a.replayStart) * k, Math.min(a.traceEnd, a.traceStart + (e - a.replayStart) * k));
    }
  };
}

/**
 * Clips A's regions to the trace ranges the replay reproduces (the mapping's areas): the
 * replay has no memory for the rest (unmapped gaps inside DAMON's regions, when the plan
 * followed the recorded mappings), so neither recording is scored there.
 */
function traceAreasMap(mapping: ReplayMapping): AddressMap {
  const areas = mapping.areas;
  return (start, end, emit) => {
    for (const a of areas) {
      if (a.traceStart >= end) break;
      const s = Math.max(start, a.traceStart);
      const e = Math.min(end, a.traceEnd);
      if (e > s) emit(s, e);
    }
  };
}

/**
 * A snapshot of either recording in A's coordinates (A-relative times, A addresses); the
 * access ratio of each region (nr_accesses / sampling intervals) goes in `ratios`.
 */
function toTraceCoords(
  s: Snapshot,
  header: TraceHeader,
  side: Side,
  mapAddr: AddressMap,
  mapTime: (ns: number) => number,
): { snapshot: Snapshot; ratios: number[] } {
  const maxNr = maxNrOf(s, header, side.maxNrSeen);
  const starts: number[] = [];
  const ends: number[] = [];
  const nrs: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < s.starts.length; i++) {
    const nr = s.nrAccesses[i] as number;
    mapAddr(s.starts[i] as number, s.ends[i] as number, (ms, me) => {
      starts.push(ms);
      ends.push(me);
      nrs.push(nr);
      ratios.push(Math.min(1, nr / maxNr));
    });
  }
  const snapshot: Snapshot = {
    targetIndex: s.targetIndex,
    startNs: mapTime(s.startNs),
    endNs: mapTime(s.endNs),
    starts: Float64Array.from(starts),
    ends: Float64Array.from(ends),
    nrAccesses: Float64Array.from(nrs),
    ages: new Float64Array(starts.length).fill(-1),
  };
  return { snapshot, ratios };
}

/** Replay bytes of [start, end) that lie inside the mapping's areas. */
function overlapWithAreas(mapping: ReplayMapping, start: number, end: number): number {
  let inside = 0;
  for (const a of mapping.areas) {
    const s = Math.max(start, a.replayStart);
    const e = Math.min(end, a.replayEnd);
    if (e > s) inside += e - s;
  }
  return inside;
}

async function firstPass(trace: TraceSource, target: number, mapAddr: AddressMap, mapping: ReplayMapping | null): Promise<Side> {
  const side: Side = {
    trace,
    target,
    maxNrSeen: 0,
    nrSnapshots: 0,
    firstStartNs: Infinity,
    lastEndNs: -Infinity,
    covered: new IntervalSet(),
    bytesTotal: 0,
    bytesUnmapped: 0,
  };
  for await (const s of trace.snapshots()) {
    if (s.targetIndex !== target) continue;
    side.nrSnapshots++;
    side.firstStartNs = Math.min(side.firstStartNs, s.startNs);
    side.lastEndNs = Math.max(side.lastEndNs, s.endNs);
    for (let i = 0; i < s.starts.length; i++) {
      const start = s.starts[i] as number;
      const end = s.ends[i] as number;
      side.maxNrSeen = Math.max(side.maxNrSeen, s.nrAccesses[i] as number);
      mapAddr(start, end, (ms, me) => side.covered.add(ms, me));
      if (mapping !== null) {
        // In replay bytes: what lies outside the areas is the rest of the replay process.
        side.bytesTotal += end - start;
        side.bytesUnmapped += end - start - overlapWithAreas(mapping, start, end);
      }
    }
  }
  return side;
}

/** A compressed address axis: the covered areas laid end to end. */
class AddressAxis {
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly offsets: number[] = [];
  readonly totalBytes: number;

  constructor(intervals: Array<[number, number]>) {
    let off = 0;
    for (const [s, e] of intervals) {
      this.starts.push(s);
      this.ends.push(e);
      this.offsets.push(off);
      off += e - s;
    }
    this.totalBytes = off;
  }

  /** Calls emit with compressed [from, to) pieces of the address range [start, end). */
  pieces(start: number, end: number, emit: (from: number, to: number) => void): void {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ends[mid] as number) <= start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.starts.length; i++) {
      const s = this.starts[i] as number;
      if (s >= end) break;
      const a = Math.max(start, s);
      const b = Math.min(end, this.ends[i] as number);
      if (b > a) emit((this.offsets[i] as number) + (a - s), (this.offsets[i] as number) + (b - s));
    }
  }

  /**
   * The snapshot on this axis, for report heats' heat grid: addresses become offsets along
   * the axis and nr_accesses becomes the access ratio, so the grid's cell value is the
   * average access ratio over the cell.
   */
  compress(snapshot: Snapshot, ratios: readonly number[]): Snapshot {
    const starts: number[] = [];
    const ends: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < snapshot.starts.length; i++) {
      const ratio = ratios[i] as number;
      this.pieces(snapshot.starts[i] as number, snapshot.ends[i] as number, (from, to) => {
        starts.push(from);
        ends.push(to);
        values.push(ratio);
      });
    }
    return {
      targetIndex: snapshot.targetIndex,
      startNs: snapshot.startNs,
      endNs: snapshot.endNs,
      starts: Float64Array.from(starts),
      ends: Float64Array.from(ends),
      nrAccesses: Float64Array.from(values),
      ages: new Float64Array(starts.length).fill(-1),
    };
  }
}

export function pearson(x: Float64Array, y: Float64Array): number | null {
  const n = x.length;
  if (n === 0 || y.length !== n) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

function maxOf(v: Float64Array): number {
  let max = 0;
  for (const x of v) max = Math.max(max, x);
  return max;
}

function hotSet(heat: Float64Array, threshold: number): Uint8Array {
  let max = 0;
  for (const v of heat) max = Math.max(max, v);
  const out = new Uint8Array(heat.length);
  if (max <= 0) return out;
  const cut = threshold * max;
  for (let i = 0; i < heat.length; i++) if ((heat[i] as number) >= cut) out[i] = 1;
  return out;
}

export async function compareTraces(a: TraceSource, b: TraceSource, options: CompareOptions): Promise<CompareResult> {
  const warnings: string[] = [];
  const mapping = options.mapping;
  const nrTargetsA = a.header.targets.length;
  if (nrTargetsA > 0 && options.targetA >= nrTargetsA) {
    throw new DamoError('E_USAGE', `${a.path} has ${nrTargetsA} target(s); --target_a ${options.targetA} does not exist`);
  }
  let targetB = options.targetB;
  if (targetB === undefined) {
    const byPid = mapping === null ? -1 : b.header.targets.findIndex((t) => t.pid === mapping.pid);
    targetB = byPid >= 0 ? byPid : 0;
  }
  const nrTargetsB = b.header.targets.length;
  if (nrTargetsB > 0 && targetB >= nrTargetsB) {
    throw new DamoError('E_USAGE', `${b.path} has ${nrTargetsB} target(s); --target_b ${targetB} does not exist`);
  }

  const mapAddrA = mapping === null ? identityMap : traceAreasMap(mapping);
  const sideA = await firstPass(a, options.targetA, mapAddrA, null);
  if (sideA.nrSnapshots === 0) throw new DamoError('E_FORMAT', `${a.path} has no snapshots for target ${options.targetA}`);

  // B's clock -> A's relative time.
  const mapAddrB = mapping === null ? identityMap : mappingMap(mapping);
  let mapTimeB: (ns: number) => number;
  let timeAlignment: CompareResult['timeAlignment'] = 'first-snapshot';
  const timeScale = mapping?.plan.timeScale ?? 1;
  const preB = await firstPass(b, targetB, mapAddrB, mapping);
  if (preB.nrSnapshots === 0) throw new DamoError('E_FORMAT', `${b.path} has no snapshots for target ${targetB}`);
  if (mapping !== null && b.header.clock === 'monotonic' && mapping.startMonotonicNs > 0n) {
    timeAlignment = 'mapping';
    const traceStart = typeof mapping.plan.traceStartNs === 'number' ? mapping.plan.traceStartNs : sideA.firstStartNs;
    const shift = Number(b.header.baseTimeNs - mapping.startMonotonicNs);
    mapTimeB = (ns) => traceStart + (shift + ns) / timeScale;
  } else {
    if (mapping !== null) warnings.push(`${b.path} does not use the monotonic clock; its first snapshot is aligned with ${a.path}'s`);
    const bFirst = preB.firstStartNs;
    const aFirst = sideA.firstStartNs;
    mapTimeB = (ns) => aFirst + (ns - bFirst) / timeScale;
  }
  preB.firstStartNs = mapTimeB(preB.firstStartNs);
  preB.lastEndNs = mapTimeB(preB.lastEndNs);
  const sideB = preB;

  const w0 = Math.max(sideA.firstStartNs, sideB.firstStartNs);
  const w1 = Math.min(sideA.lastEndNs, sideB.lastEndNs);
  if (!(w1 > w0)) {
    // Not a usage error: the options were fine, the recordings give nothing to compare (exit 1).
    throw new DamoError('E_FORMAT', `nothing to compare: ${a.path} and ${b.path} do not overlap in time`, {
      hint:
        mapping === null
          ? 'their first snapshots were aligned; check that they are recordings of the same run'
          : 'was B recorded while this replay ran? (the mapping gives the replay start time)',
    });
  }
  const union = new IntervalSet();
  for (const [s, e] of sideA.covered.intervals()) union.add(s, e);
  for (const [s, e] of sideB.covered.intervals()) union.add(s, e);
  const axis = new AddressAxis(union.intervals());
  if (axis.totalBytes <= 0) throw new DamoError('E_FORMAT', 'neither recording has regions to compare');

  const timeBins = options.timeBins;
  const addrBins = options.addrBins;
  const geometry = heatmapGeometry([w0, w1], [0, axis.totalBytes], [timeBins, addrBins]);
  const gridA = new HeatGrid(geometry);
  const gridB = new HeatGrid(geometry);
  // The heats grid skips each record's first snapshot, as damo does; here every snapshot
  // counts, so each grid first gets an empty one.
  const nothing: Snapshot = {
    targetIndex: 0,
    startNs: w0,
    endNs: w0,
    starts: new Float64Array(0),
    ends: new Float64Array(0),
    nrAccesses: new Float64Array(0),
    ages: new Float64Array(0),
  };
  gridA.add(nothing);
  gridB.add(nothing);
  const inWindow = (s: { startNs: number; endNs: number }): boolean => {
    const mid = (s.startNs + s.endNs) / 2;
    return mid >= w0 && mid < w1;
  };
  const wssA: number[] = [];
  const wssB: number[] = [];
  const durationsA: number[] = [];
  const durationsB: number[] = [];
  const workTimeUs = options.workTimeUs ?? 1;
  const collect = (list: number[], durations: number[]) => (adj: Adjusted): void => {
    const span = adj.kind === 'same' ? adj.snapshot : adj;
    if (!inWindow(span)) return;
    list.push(wssOf(adj, options.accThres, 1));
    durations.push(span.endNs - span.startNs);
  };
  const adjusterA = new SnapshotAdjuster(0, workTimeUs, collect(wssA, durationsA));
  const adjusterB = new SnapshotAdjuster(0, workTimeUs, collect(wssB, durationsB));
  for await (const s of a.snapshots()) {
    if (s.targetIndex !== options.targetA) continue;
    const { snapshot, ratios } = toTraceCoords(s, a.header, sideA, mapAddrA, (ns) => ns);
    gridA.add(axis.compress(snapshot, ratios));
    adjusterA.push(snapshot);
  }
  for await (const s of b.snapshots()) {
    if (s.targetIndex !== targetB) continue;
    const { snapshot, ratios } = toTraceCoords(s, b.header, sideB, mapAddrB, mapTimeB);
    gridB.add(axis.compress(snapshot, ratios));
    adjusterB.push(snapshot);
  }
  const meanOf = (v: number[]): number => (v.length === 0 ? 0 : v.reduce((x, y) => x + y, 0) / v.length);
  const meanDurA = meanOf(durationsA);
  const meanDurB = meanOf(durationsB);
  if (meanDurA > 0 && meanDurB > 0 && Math.abs(meanDurB / meanDurA - 1) > 0.2) {
    const longer = Math.max(meanDurA, meanDurB);
    warnings.push(
      `working sets are per snapshot, and ${b.path}'s snapshots average ${(meanDurB / 1e6).toFixed(1)} ms against ` +
        `${(meanDurA / 1e6).toFixed(1)} ms for ${a.path} (in ${a.path}'s time); compare them over equal spans with ` +
        `--work_time ${Math.ceil(longer / 1000)}`,
    );
  }

  const sortedA = Float64Array.from(wssA).sort();
  const sortedB = Float64Array.from(wssB).sort();
  const rows: WssRow[] = options.percentiles.map((p) => {
    const av = percentileOf(sortedA, p);
    const bv = percentileOf(sortedB, p);
    return { percentile: p, aBytes: av, bBytes: bv, errorPct: Number.isNaN(av) || Number.isNaN(bv) ? null : errorPct(av, bv) };
  });
  let maxAbs: number | null = null;
  for (const r of rows) if (r.errorPct !== null) maxAbs = Math.max(maxAbs ?? 0, Math.abs(r.errorPct));
  const meanA = meanOf(wssA);
  const meanB = meanOf(wssB);

  const hotA = hotSet(gridA.heats, options.hotThreshold);
  const hotB = hotSet(gridB.heats, options.hotThreshold);
  let nA = 0;
  let nB = 0;
  let both = 0;
  for (let i = 0; i < hotA.length; i++) {
    nA += hotA[i] as number;
    nB += hotB[i] as number;
    both += (hotA[i] as number) & (hotB[i] as number);
  }

  const unmappedFraction = sideB.bytesTotal > 0 ? sideB.bytesUnmapped / sideB.bytesTotal : 0;
  // A recording of the replay process (its pid is the mapping's) also covers the
  // generator's own code, stacks and the gaps DAMON's regions span: that is expected.
  const bIsReplay = mapping !== null && b.header.targets[targetB]?.pid === mapping.pid;
  if (mapping !== null && !bIsReplay && unmappedFraction > 0.5) {
    warnings.push(
      `${(unmappedFraction * 100).toFixed(1)}% of ${b.path}'s region bytes lie outside the mapping's areas; is it a recording of this replay (pid ${mapping.pid})?`,
    );
  }
  const nothingToCompare =
    wssA.length === 0 || wssB.length === 0
      ? `no snapshot of ${wssA.length === 0 ? a.path : b.path} has its middle in the window both recordings cover`
      : mapping !== null && sideB.bytesTotal > 0 && sideB.bytesUnmapped >= sideB.bytesTotal
        ? `none of ${b.path}'s regions lie inside the replay's areas (pid ${mapping.pid}); is it a recording of this replay?`
        : maxOf(gridA.heats) <= 0
          ? `${a.path} shows no access in the window${mapping !== null ? " inside the replay's areas" : ''}`
          : maxOf(gridB.heats) <= 0
            ? `${b.path} shows no access in the window${mapping !== null ? " inside the replay's areas" : ''}: it saw nothing of what ${a.path} shows` +
              (b.header.source === 'native-clear_refs' ? ' (the clear_refs access check answers per mapping: replay with --vma_bytes, record with more regions, see docs/REPLAY.md)' : '')
            : null;
  return {
    nothingToCompare,
    a: { path: a.path, target: options.targetA, source: a.header.source, nrSnapshots: sideA.nrSnapshots, nrSnapshotsInWindow: wssA.length },
    b: { path: b.path, target: targetB, source: b.header.source, nrSnapshots: sideB.nrSnapshots, nrSnapshotsInWindow: wssB.length },
    mapped: mapping !== null,
    mapping:
      mapping === null ? null : { nrAreas: mapping.areas.length, scale: typeof mapping.plan.scale === 'number' ? mapping.plan.scale : null, timeScale },
    timeAlignment,
    window: { startNs: w0, endNs: w1 },
    bUnmappedFraction: unmappedFraction,
    wss: { accThres: options.accThres, workTimeUs, meanSpanANs: meanDurA, meanSpanBNs: meanDurB, percentiles: rows, maxAbsErrorPct: maxAbs, meanABytes: meanA, meanBBytes: meanB, meanErrorPct: errorPct(meanA, meanB) },
    heatmap: { timeBins, addrBins, nrAreas: axis.starts.length, addressBytes: axis.totalBytes, correlation: pearson(gridA.heats, gridB.heats) },
    hot: { threshold: options.hotThreshold, nrHotA: nA, nrHotB: nB, nrBoth: both, recall: nA === 0 ? null : both / nA, precision: nB === 0 ? null : both / nB },
    warnings,
  };
}

function fmtBytes(bytes: number): string {
  return Number.isNaN(bytes) ? 'n/a' : formatSz(bytes, false);
}

function fmtPct(v: number | null): string {
  if (v === null) return 'n/a';
  if (Math.abs(v) < 0.005) return '0.00%';
  return `${v > 0 ? '+' : ''}${v.toFixed(2)}%`;
}

function fmtRatio(v: number | null): string {
  return v === null ? 'n/a' : v.toFixed(3);
}

export function formatCompareText(r: CompareResult, mappingPath: string | null): string {
  const out: string[] = [];
  out.push(`A: ${r.a.path} (target ${r.a.target}, ${r.a.source}, ${r.a.nrSnapshotsInWindow} of ${r.a.nrSnapshots} snapshots in the window)`);
  out.push(`B: ${r.b.path} (target ${r.b.target}, ${r.b.source}, ${r.b.nrSnapshotsInWindow} of ${r.b.nrSnapshots} snapshots in the window)`);
  if (r.mapping !== null) {
    const scale = r.mapping.scale === null ? '' : `, scale ${r.mapping.scale.toPrecision(4)}`;
    out.push(
      `B mapped into A with ${mappingPath ?? 'the mapping'} (${r.mapping.nrAreas} area(s)${scale}, time scale ${r.mapping.timeScale}); ${(r.bUnmappedFraction * 100).toFixed(1)}% of B's bytes outside it`,
    );
  }
  out.push(
    `window: ${(r.window.startNs / 1e9).toFixed(3)} s - ${(r.window.endNs / 1e9).toFixed(3)} s of A (${((r.window.endNs - r.window.startNs) / 1e9).toFixed(3)} s; times aligned by ${r.timeAlignment})`,
  );
  out.push('');
  const spans = `mean span ${(r.wss.meanSpanANs / 1e6).toFixed(1)} ms in A, ${(r.wss.meanSpanBNs / 1e6).toFixed(1)} ms in B`;
  const group = r.wss.workTimeUs > 1 ? `, snapshots grouped over ${r.wss.workTimeUs / 1000} ms` : '';
  out.push(`# working set size (regions with nr_accesses >= ${r.wss.accThres}${group}; ${spans})`);
  out.push(`${'pct'.padStart(4)} ${'A'.padStart(14)} ${'B'.padStart(14)} ${'error'.padStart(9)}`);
  for (const row of r.wss.percentiles) {
    out.push(`${String(row.percentile).padStart(4)} ${fmtBytes(row.aBytes).padStart(14)} ${fmtBytes(row.bBytes).padStart(14)} ${fmtPct(row.errorPct).padStart(9)}`);
  }
  out.push(`${'avg'.padStart(4)} ${fmtBytes(r.wss.meanABytes).padStart(14)} ${fmtBytes(r.wss.meanBBytes).padStart(14)} ${fmtPct(r.wss.meanErrorPct).padStart(9)}`);
  out.push(`max |error| at these percentiles: ${fmtPct(r.wss.maxAbsErrorPct)}`);
  out.push('');
  out.push(
    `# heatmap: ${r.heatmap.timeBins} x ${r.heatmap.addrBins} (time x address over ${r.heatmap.nrAreas} area(s), ${fmtBytes(r.heatmap.addressBytes)})`,
  );
  out.push(`correlation (Pearson): ${fmtRatio(r.heatmap.correlation)}`);
  out.push('');
  out.push(`# hot regions (pixels at >= ${r.hot.threshold} of each recording's hottest)`);
  out.push(`A hot: ${r.hot.nrHotA}, B hot: ${r.hot.nrHotB}, both: ${r.hot.nrBoth}; recall ${fmtRatio(r.hot.recall)}, precision ${fmtRatio(r.hot.precision)}`);
  return out.join('\n') + '\n';
}
