// SPDX-License-Identifier: GPL-2.0-only
/**
 * What `damo report html` puts in its page: per target and contiguous address range a heat
 * tile pyramid (html_tiles.ts) and an age grid for the read-out, per target the working set
 * and nr_regions over time and the working set distribution, the recording's facts, and the
 * scheme simulation when schemes are given. Everything is computed here, in the CLI; the
 * page only draws it.
 *
 * Two passes over the recording: the guide's gaps (which give the contiguous ranges) and
 * their heats, the time series and the wss distribution first; the heat grids second. (When
 * the recording keeps the first pass from counting the ranges' heats, guide.ts "Heats in
 * the gaps pass", the grid pass counts them, or a third pass first when there are too many
 * ranges to draw them all; a simulation takes its own.)
 */
import { deflateRawSync } from 'node:zlib';

import { schemeTableau10 } from 'd3-scale-chromatic';

import { DamoError } from '../core/errors.js';
import { percentileIndex } from '../core/fmt.js';
import type { Snapshot, TraceSource } from '../core/model.js';
import { infernoLut } from '../plot/svg.js';
import { GuideHeatCounter, GuideScanner, heatPerByte, sortGuides, targetIdsOf, type GuideInfo, type GuideRegion } from './guide.js';
import { heatmapGeometry, HeatGrid } from './heatgrid.js';
import { heatTitle, targetLabel } from './heats_image.js';
import { buildPyramid, TILE_CELLS, type Level, type PyramidLevel } from './html_tiles.js';
import { describeSelection, emptySelection, isWholeRecording, selectedSource, type HtmlSelection } from './html_selection.js';
import { SnapshotAdjuster } from './records.js';
import { WSS_DEFAULTS, wssOf } from './wss.js';

/** Limits that keep the page within its size budget (about 5 MB for any recording). */
export interface HtmlLimits {
  /** Finest heat cells over all heatmaps. */
  maxFinestCells: number;
  /** Cells along each axis of one heatmap's finest level. */
  maxTimeCells: number;
  maxAddrCells: number;
  /** Heatmaps (target x contiguous range); the hottest are kept. */
  maxMaps: number;
  /** Points per time series (WSS, nr_regions); more snapshots are averaged in buckets. */
  maxSeriesPoints: number;
  /** Encoded heat tiles and age grids over all heatmaps, in bytes (base64 text). */
  maxHeatBytes: number;
}

export const HTML_LIMITS: HtmlLimits = {
  maxFinestCells: 1 << 22,
  maxTimeCells: 1024,
  maxAddrCells: 1024,
  maxMaps: 24,
  maxSeriesPoints: 2000,
  // The page's budget is 5 MB; the rest of it (script, series, facts) is well under 0.5 MB.
  maxHeatBytes: 4_400_000,
};

function encodedBytes(m: HeatmapData): number {
  let n = m.ages?.data.length ?? 0;
  for (const l of m.levels) for (const t of l.tiles) n += t.length;
  return n;
}

/**
 * Drops finest levels, largest first, until the encoded heatmaps fit in `maxBytes`: a
 * recording whose cells do not compress well is shown at a coarser resolution.
 */
function fitHeatBytes(heatmaps: HeatmapData[], maxBytes: number, downsampling: string[]): void {
  const dropped = new Map<HeatmapData, number>();
  let total = heatmaps.reduce((n, m) => n + encodedBytes(m), 0);
  while (total > maxBytes) {
    let victim: HeatmapData | null = null;
    let most = 0;
    for (const m of heatmaps) {
      if (m.levels.length < 2) continue;
      const finest = m.levels[m.levels.length - 1]!;
      if (finest.timeResol * finest.addrResol > most) {
        most = finest.timeResol * finest.addrResol;
        victim = m;
      }
    }
    if (victim === null) break;
    total -= encodedBytes(victim);
    victim.levels.pop();
    total += encodedBytes(victim);
    dropped.set(victim, (dropped.get(victim) ?? 0) + 1);
  }
  for (const [m, n] of dropped) {
    const f = m.levels[m.levels.length - 1]!;
    downsampling.push(
      `${m.title}: shown at most at ${f.timeResol} x ${f.addrResol} cells (${n} finer level${n > 1 ? 's' : ''} left out to keep the page under about 5 MB)`,
    );
  }
}

/** The age read-out is one grid with sides of at most this many cells. */
const AGE_CELLS = 256;

export interface HeatmapData {
  title: string;
  targetIndex: number;
  /** 1-based index of the range within its target, and how many the target has. */
  rangeIndex: number;
  nrRanges: number;
  timeStartNs: number;
  timeEndNs: number;
  addrStart: number;
  addrEnd: number;
  /** Highest cell of the finest level: colour level 255. */
  highestHeat: number;
  /** The guide's heat per byte of the range (damo's --guide), for ordering. */
  heatPerByte: number;
  levels: PyramidLevel[];
  /** Average age per cell for the read-out; null when the recording has no ages. */
  ages: AgeGrid | null;
}

/** Average age (aggregation intervals) per cell, time-major, deflate-raw + base64 of Uint16 LE. */
export interface AgeGrid {
  timeResol: number;
  addrResol: number;
  timeCellNs: number;
  addrCellBytes: number;
  data: string;
}

export interface SeriesData {
  targetIndex: number;
  label: string;
  /** End of each point's snapshot(s), ns relative to the recording's base time. */
  timesNs: number[];
  wssBytes: number[];
  nrRegions: number[];
  /** Snapshots averaged into each point (1: every snapshot is a point). */
  snapshotsPerPoint: number;
}

export interface WssDistData {
  targetIndex: number;
  label: string;
  /** Working set at percentiles 0..100, as `damo report wss --per_target -r 0 101 1` computes it. */
  percentiles: number[];
  nrSnapshots: number;
}

export interface SchemesData {
  name: string;
  timesNs: number[];
  monitoredBytes: number[];
  schemes: Array<{ line: string; action: string; szTriedBytes: number[]; szAppliedBytes: number[]; effectBytes: number[]; effect: string }>;
  notes: string[];
}

export interface PageData {
  version: 1;
  input: string;
  facts: Array<[string, string]>;
  warnings: string[];
  /** What was reduced to fit the page's budget, and how. */
  downsampling: string[];
  heatTitle: string;
  /** 256 RGB triplets: the PNG heatmap's colour map (inferno). */
  colourMap: number[];
  /** Line colours, as the PNG plots use (d3's Tableau10). */
  palette: string[];
  /** Cells per tile side of the heat pyramids. */
  tileCells: number;
  /** The first snapshot's start: time 0 of the line charts. */
  timeOriginNs: number;
  aggrNs: number | null;
  heatmaps: HeatmapData[];
  series: SeriesData[];
  wssDists: WssDistData[];
  schemes: SchemesData | null;
}

export interface HtmlDataOptions {
  input: string;
  fileSizeBytes: number | null;
  limits?: HtmlLimits;
  schemes?: { name: string; result: SimulationLike } | null;
  /** --tid, --time_range, --address_range: the part of the recording the page shows. */
  selection?: HtmlSelection;
}

/** The parts of schemes/simulate.ts's SimulationResult the page shows. */
export interface SimulationLike {
  timeline: {
    timesNs: number[];
    monitoredBytes: number[];
    schemes: Array<{ szTried: number[]; szApplied: number[]; effectBytes: number[] }>;
  };
  schemes: Array<{ line: string; action: string; effects: { kind: string } }>;
  notes: string[];
}

/** Where the heatmaps are drawn when the user chose it (--time_range, --address_range). */
interface FixedRanges {
  timeNs: [number, number] | null;
  addr: readonly [number, number] | null;
}

interface MapPlan {
  guide: GuideInfo;
  range: { start: number; end: number; region: GuideRegion; heatPerByte: number };
  rangeIndex: number;
  nrRanges: number;
  timeResol: number;
  addrResol: number;
}

interface MapWork {
  plan: MapPlan;
  heat: HeatGrid;
  age: HeatGrid | null;
}

/** The heatmaps to draw and their finest resolutions, within the page's limits. */
function plansFor(
  guides: GuideInfo[],
  nrSnapshotsOf: (g: GuideInfo) => number,
  pageBytes: number,
  limits: HtmlLimits,
  downsampling: string[],
  fixed: FixedRanges,
): MapPlan[] {
  let all: MapPlan[] = [];
  for (const g of guides) {
    const [t0, t1] = spanOf(g, fixed);
    if (!(t1 > t0)) continue;
    // With --address_range, one heatmap of exactly that range per target, as report heats draws.
    const a = fixed.addr;
    const ranges = (a !== null ? [{ start: a[0], end: a[1], heats: null }] : g.contigRegions)
      .map((r) => ({ start: r.start, end: r.end, region: r, heatPerByte: heatPerByte(r) }))
      .filter((r) => r.end > r.start);
    const span = t1 - t0;
    const nrSnaps = Math.max(1, nrSnapshotsOf(g) - 1);
    ranges.forEach((r, k) => {
      // A cell per snapshot and per page at most: finer cells would only repeat values.
      const addrCells = Math.min(limits.maxAddrCells, Math.max(1, Math.floor((r.end - r.start) / pageBytes)));
      const timeCells = Math.min(limits.maxTimeCells, nrSnaps, span);
      all.push({ guide: g, range: r, rangeIndex: k + 1, nrRanges: ranges.length, timeResol: timeCells, addrResol: addrCells });
    });
  }
  if (all.length > limits.maxMaps) {
    const kept = [...all].sort((a, b) => b.range.heatPerByte - a.range.heatPerByte).slice(0, limits.maxMaps);
    downsampling.push(
      `${all.length} heatmaps (targets x contiguous address ranges) exceed the page's ${limits.maxMaps}; ` +
        `the ${limits.maxMaps} with the most accesses per byte are shown`,
    );
    all = all.filter((p) => kept.includes(p));
  }
  const total = (): number => all.reduce((s, p) => s + p.timeResol * p.addrResol, 0);
  let halved = 0;
  while (total() > limits.maxFinestCells) {
    let progressed = false;
    for (const p of all) {
      if (p.addrResol >= p.timeResol && p.addrResol > 64) {
        p.addrResol = Math.ceil(p.addrResol / 2);
        progressed = true;
      } else if (p.timeResol > 64) {
        p.timeResol = Math.ceil(p.timeResol / 2);
        progressed = true;
      }
    }
    if (!progressed) break;
    halved += 1;
  }
  if (halved > 0) {
    downsampling.push(`the heatmaps' finest cells were made up to ${2 ** halved} times coarser to bound the work of computing them`);
  }
  for (const p of all) {
    const nrSnaps = nrSnapshotsOf(p.guide) - 1;
    if (nrSnaps > p.timeResol) {
      downsampling.push(
        `${titleOf(p)}: ${nrSnaps} snapshots in ${p.timeResol} time cells (each cell averages about ${Math.ceil(nrSnaps / p.timeResol)} snapshots)`,
      );
    }
  }
  return all;
}

/** A heatmap's time span: the target's, within --time_range. */
function spanOf(g: GuideInfo, fixed: FixedRanges): [number, number] {
  const r = fixed.timeNs;
  return r === null ? [g.startNs, g.endNs] : [Math.max(g.startNs, r[0]), Math.min(g.endNs, r[1])];
}

function titleOf(p: MapPlan): string {
  return `target ${p.guide.targetIndexes[0]! + 1}, range ${p.rangeIndex}/${p.nrRanges}`;
}

/** First index in [0, n) whose value is above `x` (values ascending). */
function firstAbove(values: Float64Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The snapshot's regions that overlap [start, end), as views; regions are sorted by address. */
function regionsWithin(s: Snapshot, start: number, end: number): Snapshot {
  const lo = firstAbove(s.ends, start);
  // First region starting at or after `end`: the first start above end - 1 is not it for
  // fractional addresses, so search for the first start >= end directly.
  let hi = lo;
  let top = s.starts.length;
  while (hi < top) {
    const mid = (hi + top) >>> 1;
    if (s.starts[mid]! < end) hi = mid + 1;
    else top = mid;
  }
  if (lo === 0 && hi === s.starts.length) return s;
  return {
    ...s,
    starts: s.starts.subarray(lo, hi),
    ends: s.ends.subarray(lo, hi),
    nrAccesses: s.nrAccesses.subarray(lo, hi),
    ages: s.ages.subarray(lo, hi),
  };
}

/** A grid as the finest level of a pyramid. */
function levelOf(grid: HeatGrid): Level {
  const g = grid.geometry;
  return { timeResol: g.timeResol, addrResol: g.addrResol, timeCellNs: g.timeUnitNs, addrCellBytes: g.addrUnitBytes, cells: grid.heats };
}

function encodeAges(grid: HeatGrid): AgeGrid {
  const level = levelOf(grid);
  const u16 = new Uint16Array(level.cells.length);
  for (let k = 0; k < u16.length; k++) u16[k] = Math.min(65535, Math.max(0, Math.round(level.cells[k]!)));
  const bytes = Buffer.from(u16.buffer, u16.byteOffset, u16.byteLength);
  return {
    timeResol: level.timeResol,
    addrResol: level.addrResol,
    timeCellNs: level.timeCellNs,
    addrCellBytes: level.addrCellBytes,
    data: deflateRawSync(bytes).toString('base64'),
  };
}

/** Buckets of `per` snapshots averaged into one point. */
class SeriesBuilder {
  readonly times: number[] = [];
  readonly wss: number[] = [];
  readonly nrRegions: number[] = [];
  private n = 0;
  private sumW = 0;
  private sumR = 0;
  private lastT = 0;
  constructor(readonly per: number) {}
  push(t: number, w: number, r: number): void {
    this.sumW += w;
    this.sumR += r;
    this.lastT = t;
    this.n += 1;
    if (this.n === this.per) this.flush();
  }
  flush(): void {
    if (this.n === 0) return;
    this.times.push(this.lastT);
    this.wss.push(this.sumW / this.n);
    this.nrRegions.push(this.sumR / this.n);
    this.n = this.sumW = this.sumR = 0;
  }
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fmtUs(us: number): string {
  return us >= 1e6 ? `${us / 1e6} s` : us >= 1e3 ? `${us / 1e3} ms` : `${us} us`;
}

export async function computeHtmlData(recording: TraceSource, o: HtmlDataOptions): Promise<PageData> {
  const limits = o.limits ?? HTML_LIMITS;
  const selection = o.selection ?? {};
  const selected = selectedSource(recording, selection);
  const source = selected.source;
  const header = source.header;
  const nrTargets = header.targets.length;
  const ids = targetIdsOf(source);

  // Pass 1: the guide's gaps, snapshot counts, real intervals, the time series and the wss
  // distribution (damo report wss's own adjuster and thresholds, per target).
  const scanner = new GuideScanner(ids, {}, true);
  const counts: number[] = Array.from({ length: nrTargets }, () => 0);
  const durationsNs: number[] = [];
  const sampleUsSeen = new Set<number>();
  let firstStart = Infinity;
  let lastEnd = -Infinity;
  let nrRegionsTotal = 0;
  let agesKnown = true;
  const perTargetRaw: Array<{ t: number[]; w: number[]; r: number[]; dist: number[]; adjuster: SnapshotAdjuster }> = [];
  const rawOf = (t: number): (typeof perTargetRaw)[number] => {
    while (perTargetRaw.length <= t) {
      const dist: number[] = [];
      const adjuster = new SnapshotAdjuster(WSS_DEFAULTS.excludeSamples, WSS_DEFAULTS.workTimeUs, (a) =>
        dist.push(wssOf(a, WSS_DEFAULTS.accThres, WSS_DEFAULTS.szThres)),
      );
      perTargetRaw.push({ t: [], w: [], r: [], dist, adjuster });
    }
    return perTargetRaw[t]!;
  };
  for await (const s of source.snapshots()) {
    scanner.add(s);
    while (counts.length <= s.targetIndex) counts.push(0);
    counts[s.targetIndex]! += 1;
    if (durationsNs.length < 10000) durationsNs.push(s.endNs - s.startNs);
    if (s.sampleIntervalUs !== undefined) sampleUsSeen.add(s.sampleIntervalUs);
    firstStart = Math.min(firstStart, s.startNs);
    lastEnd = Math.max(lastEnd, s.endNs);
    nrRegionsTotal += s.starts.length;
    if (agesKnown && s.ages.length > 0 && s.ages[0]! < 0) agesKnown = false;
    const raw = rawOf(s.targetIndex);
    raw.t.push(s.endNs);
    raw.w.push(wssOf({ kind: 'same', snapshot: s }, WSS_DEFAULTS.accThres, WSS_DEFAULTS.szThres));
    raw.r.push(s.starts.length);
    raw.adjuster.push(s);
  }
  const unsorted = scanner.finish();
  if (unsorted.length === 0 && !isWholeRecording(selection)) throw emptySelection(o.input, selection);
  if (unsorted.length === 0) {
    throw new DamoError('E_FORMAT', `${o.input} has no snapshots: there is nothing to draw`, {
      hint: 'record for longer than one aggregation interval, or check that this is the file you meant',
    });
  }

  const downsampling: string[] = [];
  const pageBytes = header.host?.pageSizeBytes && header.host.pageSizeBytes > 0 ? header.host.pageSizeBytes : 4096;
  const nrSnapshotsOf = (g: GuideInfo): number => g.targetIndexes.reduce((sum, t) => sum + (counts[t] ?? 0), 0);
  const nrRanges = unsorted.reduce((sum, g) => sum + g.contigRegions.length, 0);
  // The heats of the ranges: counted in pass 1 when the recording allows (guide.ts, "Heats
  // in the gaps pass"). Else, since they choose which heatmaps to keep when there are too
  // many, a pass of their own in that case; otherwise they are counted in the grid pass.
  const heatCounter = scanner.heatsCounted() ? null : new GuideHeatCounter(ids, unsorted);
  if (heatCounter !== null && nrRanges > limits.maxMaps) for await (const s of source.snapshots()) heatCounter.add(s);
  const guides = sortGuides(unsorted);
  const fixed: FixedRanges = { timeNs: selected.timeRangeNs(), addr: selection.addressRange ?? null };
  const plans = plansFor(guides, nrSnapshotsOf, pageBytes, limits, downsampling, fixed);

  const works: MapWork[] = plans.map((plan) => {
    const span = spanOf(plan.guide, fixed);
    const geometry = heatmapGeometry(span, [plan.range.start, plan.range.end], [plan.timeResol, plan.addrResol]);
    // Ages are only read out, never drawn: a coarser grid of their cell averages is enough.
    const ageGeometry = heatmapGeometry(
      span,
      [plan.range.start, plan.range.end],
      [Math.min(AGE_CELLS, plan.timeResol), Math.min(AGE_CELLS, plan.addrResol)],
    );
    return { plan, heat: new HeatGrid(geometry), age: agesKnown ? new HeatGrid(ageGeometry) : null };
  });
  const worksOfTarget = new Map<number, MapWork[]>();
  for (const w of works) {
    for (const t of w.plan.guide.targetIndexes) {
      const list = worksOfTarget.get(t) ?? [];
      list.push(w);
      worksOfTarget.set(t, list);
    }
  }
  // Pass 2: the heat and age grids (and the ranges' heats, if not counted yet).
  for await (const s of source.snapshots()) {
    if (nrRanges <= limits.maxMaps) heatCounter?.add(s);
    const list = worksOfTarget.get(s.targetIndex);
    if (list === undefined) continue;
    for (const w of list) {
      // Only the regions inside the range (a view, no copy): the others add nothing, and a
      // target has several ranges. The age grid is the same cell average with ages in place
      // of nr_accesses.
      const inRange = regionsWithin(s, w.plan.range.start, w.plan.range.end);
      w.heat.add(inRange);
      if (w.age !== null) w.age.add({ ...inRange, nrAccesses: inRange.ages });
    }
  }

  const heatmaps: HeatmapData[] = works.map(({ plan, heat, age }) => {
    const g = heat.geometry;
    const highest = Math.max(0, heat.highest());
    const t = plan.guide.targetIndexes[0]!;
    return {
      title: `${targetLabel(header, t, plan.guide.tid)} · range ${plan.rangeIndex} of ${plan.nrRanges}`,
      targetIndex: t,
      rangeIndex: plan.rangeIndex,
      nrRanges: plan.nrRanges,
      timeStartNs: g.timeStartNs,
      timeEndNs: g.timeEndNs,
      addrStart: g.addrStart,
      addrEnd: g.addrEnd,
      highestHeat: highest,
      heatPerByte: heatPerByte(plan.range.region),
      levels: buildPyramid(levelOf(heat), highest),
      ages: age === null ? null : encodeAges(age),
    };
  });
  // Within a target, the hottest range first (the one report heats draws by default).
  heatmaps.sort((a, b) => a.targetIndex - b.targetIndex || b.heatPerByte - a.heatPerByte || a.rangeIndex - b.rangeIndex);
  fitHeatBytes(heatmaps, limits.maxHeatBytes, downsampling);
  const skippedShort = unsorted.filter((g) => {
    const [t0, t1] = spanOf(g, fixed);
    return !(t1 > t0);
  }).length;
  if (skippedShort > 0) downsampling.push(`${skippedShort} target(s) with a single snapshot have no heatmap (a heatmap needs two)`);

  const series: SeriesData[] = [];
  perTargetRaw.forEach((raw, t) => {
    if (raw.t.length === 0) return;
    const per = Math.max(1, Math.ceil(raw.t.length / limits.maxSeriesPoints));
    const b = new SeriesBuilder(per);
    for (let k = 0; k < raw.t.length; k++) b.push(raw.t[k]!, raw.w[k]!, raw.r[k]!);
    b.flush();
    if (per > 1) downsampling.push(`${targetLabel(header, t, header.targets[t]?.id ?? null)}: WSS and nr_regions over time average ${per} snapshots per point (${raw.t.length} snapshots)`);
    series.push({ targetIndex: t, label: targetLabel(header, t, header.targets[t]?.id ?? null), timesNs: b.times, wssBytes: b.wss, nrRegions: b.nrRegions, snapshotsPerPoint: per });
  });

  const wss: WssDistData[] = [];
  perTargetRaw.forEach((raw, t) => {
    if (raw.dist.length === 0) return;
    const values = Float64Array.from(raw.dist).sort();
    const percentiles = Array.from({ length: 101 }, (_, p) => values[percentileIndex(p, values.length)]!);
    wss.push({ targetIndex: t, label: targetLabel(header, t, header.targets[t]?.id ?? null), percentiles, nrSnapshots: values.length });
  });

  const iv = header.intervals;
  const aggrRealNs = median(durationsNs);
  const facts: Array<[string, string]> = [
    ['input', o.input + (o.fileSizeBytes !== null ? ` (${o.fileSizeBytes} bytes)` : '')],
    ['source', header.source + (header.toolVersion ? ` (written by ${header.toolVersion})` : '')],
    ['operations', header.ops === '' ? 'not recorded' : header.ops],
    [
      'intervals asked',
      iv === null ? 'not recorded' : `sampling ${fmtUs(iv.sampleUs)}, aggregation ${fmtUs(iv.aggrUs)}, ops update ${fmtUs(iv.opsUpdateUs)}`,
    ],
    [
      'intervals real',
      (aggrRealNs === null ? 'no snapshots' : `aggregation ${fmtUs(Math.round(aggrRealNs / 1000))} (median snapshot length)`) +
        (sampleUsSeen.size > 0 ? `, sampling ${[...sampleUsSeen].slice(0, 4).map(fmtUs).join(' / ')} (as recorded per snapshot)` : ', sampling not recorded per snapshot'),
    ],
    ['targets', header.targets.map((_, t) => targetLabel(header, t, header.targets[t]?.id ?? null)).join('; ') || 'none'],
    ['duration', Number.isFinite(lastEnd - firstStart) ? `${((lastEnd - firstStart) / 1e9).toFixed(3)} s (first snapshot start to last snapshot end)` : 'unknown'],
    ['snapshots', `${counts.reduce((a, b) => a + b, 0)} (${nrRegionsTotal} regions)`],
  ];
  const shown = describeSelection(selection, selected.baseNs());
  if (shown !== null) facts.splice(1, 0, ['shown', `only ${shown}; the figures below and the charts count only that (a -c simulation: see its notes)`]);
  if (header.nrRegions !== null) facts.push(['nr_regions asked', `${header.nrRegions.min}..${header.nrRegions.max}`]);
  if (header.host !== null) facts.push(['host', `${header.host.hostname}, Linux ${header.host.kernelRelease}, ${header.host.nrCpus} CPUs, ${header.host.pageSizeBytes}-byte pages`]);
  if (header.wallStartUnixNs !== undefined) facts.push(['started', new Date(Number(header.wallStartUnixNs / 1000000n)).toISOString()]);
  if (header.argv !== undefined && header.argv.length > 0) facts.push(['command', header.argv.join(' ')]);
  const trailer = source.trailer();
  if (trailer !== null) facts.push(['ended because', trailer.endReason]);

  const colourMap = Array.from(infernoLut());
  let schemes: SchemesData | null = null;
  if (o.schemes) {
    const r = o.schemes.result;
    // The simulation runs over the whole recording (a scheme's state depends on what came
    // before); with --time_range its charts show only the selected time.
    const tr = selected.timeRangeNs();
    const keep = r.timeline.timesNs.map((t) => tr === null || (t > tr[0] && t <= tr[1]));
    const cut = <T,>(xs: T[]): T[] => (tr === null ? xs : xs.filter((_, k) => keep[k]));
    const notes = [...r.notes];
    if (!isWholeRecording(selection)) {
      notes.push('the simulation ran over the whole recording, every target and address; --time_range only cuts its charts to the selected time');
    }
    schemes = {
      name: o.schemes.name,
      timesNs: cut(r.timeline.timesNs),
      monitoredBytes: cut(r.timeline.monitoredBytes),
      schemes: r.schemes.map((s, k) => ({
        line: s.line,
        action: s.action,
        effect: s.effects.kind,
        szTriedBytes: cut(r.timeline.schemes[k]?.szTried ?? []),
        szAppliedBytes: cut(r.timeline.schemes[k]?.szApplied ?? []),
        effectBytes: cut(r.timeline.schemes[k]?.effectBytes ?? []),
      })),
      notes,
    };
  }

  return {
    version: 1,
    input: o.input,
    facts,
    warnings: [...source.warnings],
    downsampling,
    heatTitle: heatTitle(header),
    colourMap,
    palette: [...schemeTableau10],
    tileCells: TILE_CELLS,
    timeOriginNs: Number.isFinite(firstStart) ? firstStart : 0,
    aggrNs: iv !== null ? iv.aggrUs * 1000 : aggrRealNs,
    heatmaps,
    series,
    wssDists: wss,
    schemes,
  };
}
