// SPDX-License-Identifier: GPL-2.0-only
/**
 * The pictures `damo report access` draws of one snapshot (damo 3.3.0
 * `damo_report_access.py`): size histograms over temperature or idle time, percentiles of
 * the same metrics, and the one-line snapshot heatmap. Each returns damo's exact text.
 */
import { formatNr, formatSz, formatTimeUs, textToNr, textToUs } from '../core/fmt.js';
import { colorStart, COLOR_RESET } from './heats_text.js';
import type { ViewOptions, Weights } from './access_options.js';
import type { Intervals } from '../core/model.js';
import { temperatureAt, temperatureOf, type AccessSnapshot, type RegionView } from './access_records.js';


export type Metric = 'recency' | 'temperature';

/** Idle time (us) of a region: 0 when accessed, else age plus one aggregation interval. */
function idleTimeUs(r: RegionView, aggrUs: number): number {
  if (r.percent > 0) return 0;
  return r.ageUsec + aggrUs;
}

/** Temperature with the size weight zeroed, as damo's histograms and percentiles use it. */
function histTemperature(r: RegionView, w: Weights): number {
  return temperatureOf(r, [0, w[1], w[2]]);
}

function metricOf(metric: Metric, r: RegionView, o: ViewOptions, aggrUs: number): number {
  return metric === 'recency' ? idleTimeUs(r, aggrUs) : histTemperature(r, o.temperatureWeights);
}

function sizeCount(r: RegionView, dfPassed: boolean): number {
  return dfPassed ? (r.szFilterPassed ?? 0) : r.end - r.start;
}

// ---------------------------------------------------------------------------------------
// Histograms

function linearRanges(minv: number, maxv: number, nr: number, cumulate: boolean): Array<[number, number]> {
  const total = maxv + 1 - minv;
  const interval = Math.max(Math.ceil(total / nr), 1);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < nr; i++) out.push([cumulate ? minv : minv + interval * i, minv + interval * (i + 1)]);
  return out;
}

function logRanges(minv: number, maxv: number, nr: number, cumulate: boolean): Array<[number, number]> {
  const initial = Math.max(Math.trunc((maxv - minv) / 2 ** nr), 1);
  const out: Array<[number, number]> = [[minv, minv + initial]];
  for (;;) {
    const last = out[out.length - 1] as [number, number];
    if (!(last[1] < maxv)) break;
    const len = last[1] - last[0];
    out.push([cumulate ? minv : last[1], last[1] + len * 2]);
  }
  return out;
}

/** damo `histogram_str`: aligned range and value columns and a 20-column bar. */
export function histogramText(hist: Array<[string, string, number]>): string {
  const ys = hist.map((h) => h[2]);
  const minY = Math.min(...ys);
  const maxY = Math.max(...ys);
  const xw = Math.max(...hist.map((h) => h[0].length));
  const yw = Math.max(...hist.map((h) => h[1].length));
  const maxDots = 20;
  const perDot = Math.max(Math.trunc((maxY - minY) / maxDots), 1);
  return hist
    .map(([x, y, v]) => {
      const dots = Math.min(Math.ceil((v - minY) / perDot), maxDots);
      return `${x.padEnd(xw)} ${y.padEnd(yw)} |${'*'.repeat(dots)}${' '.repeat(maxDots - dots)}|`;
    })
    .join('\n');
}

/** damo `sz_hist_str` for temperature or idle time: total (or df-passed) bytes per range. */
export function sizeHistogram(regions: RegionView[], metric: Metric, dfPassed: boolean, aggrUs: number, o: ViewOptions): string {
  if (regions.length === 0) return 'no region in snapshot';
  const dist = new Map<number, number>();
  for (const r of regions) {
    const m = metricOf(metric, r, o, aggrUs);
    dist.set(m, (dist.get(m) ?? 0) + sizeCount(r, dfPassed));
  }
  const metrics = [...dist.keys()].sort((a, b) => a - b);
  const fmtX = metric === 'recency' ? formatTimeUs : formatNr;
  let ranges: Array<[number, number]>;
  if (o.histRanges !== undefined) {
    const parse = metric === 'recency' ? textToUs : textToNr;
    ranges = [];
    for (let i = 0; i + 1 < o.histRanges.length; i += 2) ranges.push([parse(o.histRanges[i] as string), parse(o.histRanges[i + 1] as string)]);
  } else {
    const lo = metrics[0] as number;
    const hi = metrics[metrics.length - 1] as number;
    ranges = o.histLogscale ? logRanges(lo, hi, 10, o.histCumulate) : linearRanges(lo, hi, 10, o.histCumulate);
  }
  const hist: Array<[string, string, number]> = ranges.map(([lo, hi]) => {
    let y = 0;
    for (const m of metrics) if (m >= lo && m < hi) y += dist.get(m) as number;
    return [`[${fmtX(lo, o.raw)}, ${fmtX(hi, o.raw)})`, formatSz(y, o.raw), y];
  });
  return histogramText(hist);
}

// ---------------------------------------------------------------------------------------
// Percentiles

function percentilesToShow(o: ViewOptions): number[] {
  const r = o.percentilesRange;
  if (r === undefined) return [0, 1, 25, 50, 75, 99, 100];
  if (r.length <= 3) {
    const [a, b, c] = r.length === 1 ? [0, r[0] as number, 1] : [r[0] as number, r[1] as number, r[2] ?? 1];
    const out: number[] = [];
    if (c > 0) for (let v = a; v < b; v += c) out.push(v);
    else if (c < 0) for (let v = a; v > b; v += c) out.push(v);
    return out;
  }
  return [...r].sort((x, y) => x - y);
}

/** damo `percentiles_str`: per-byte distribution of idle time or temperature. */
export function percentilesText(regions: RegionView[], metric: Metric, dfPassed: boolean, aggrUs: number, o: ViewOptions): string {
  if (regions.length === 0) return 'no region in snapshot';
  let toShow = percentilesToShow(o);
  const keyed = regions.map((r) => ({ r, m: metricOf(metric, r, o, aggrUs) }));
  keyed.sort((a, b) => a.m - b.m);
  let total = 0;
  for (const k of keyed) total += sizeCount(k.r, dfPassed);
  const values: Array<[number, number]> = [];
  let percentile = 0;
  let last = keyed[0] as { r: RegionView; m: number };
  for (const k of keyed) {
    last = k;
    percentile += (sizeCount(k.r, dfPassed) * 100) / total;
    while (toShow.length > 0) {
      if (percentile < (toShow[0] as number)) break;
      values.push([toShow[0] as number, k.m]);
      toShow = toShow.slice(1);
    }
    if (percentile >= 100.0) break;
  }
  if (toShow.includes(100)) values.push([100, last.m]);

  const legend =
    metric === 'recency'
      ? o.raw
        ? '<idle time (us)>'
        : '<idle time>'
      : `<temperature (weights: [${o.temperatureWeights.join(', ')}])>`;
  const lines = [`${dfPassed ? '<df-passed percentile>' : '<percentile>'} ${legend}`];
  if (values.length === 0) return lines.join('\n');
  const fmtV = metric === 'recency' ? formatTimeUs : formatNr;
  const pTexts = values.map(([p]) => String(Math.trunc(p)));
  const vTexts = values.map(([, v]) => fmtV(v, o.raw));
  const pw = Math.max(...pTexts.map((t) => t.length));
  const vw = Math.max(...vTexts.map((t) => t.length));
  const minV = (values[0] as [number, number])[1];
  const maxV = (values[values.length - 1] as [number, number])[1];
  const maxDots = 20;
  const perDot = maxV !== minV ? (maxV - minV) / maxDots : 1;
  values.forEach(([, v], i) => {
    const len = Math.trunc((v - minV) / perDot);
    const bar = `|${'*'.repeat(Math.max(len, 0))}${' '.repeat(Math.max(maxDots - len, 0))}|`;
    lines.push(`${(pTexts[i] as string).padStart(pw)}  ${(vTexts[i] as string).padStart(vw)}  ${bar}`);
  });
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------
// Snapshot heatmap

interface HeatPixel {
  start: number;
  end: number;
  temperature: number;
  isVoid: boolean;
}

/** Python's float floor division `a // b`. */
function pyFloorDiv(a: number, b: number): number {
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) return 0 * Math.sign(a / b);
  let floorDiv = Math.floor(div);
  if (div - floorDiv > 0.5) floorDiv += 1;
  return floorDiv;
}

/**
 * The regions a heatmap draws: a snapshot's columns, all of them or the listed ones (in
 * address order either way), read in place so no object is made per region.
 */
interface HeatRegions {
  s: AccessSnapshot;
  iv: Intervals;
  /** the columns drawn; undefined for all */
  picked: number[] | undefined;
  length: number;
}

function heatStart(h: HeatRegions, k: number): number {
  return h.s.starts[h.picked === undefined ? k : (h.picked[k] as number)] as number;
}

function heatEnd(h: HeatRegions, k: number): number {
  return h.s.ends[h.picked === undefined ? k : (h.picked[k] as number)] as number;
}

/**
 * One column of the heatmap from the regions at `from` on: the caller passes the first region
 * that can still reach `start` (columns move forward, so the regions before it end before
 * every later column too, and damo's loop skips them one by one).
 */
function heatPixel(start: number, end: number, h: HeatRegions, from: number, w: Weights): HeatPixel {
  let total = 0;
  let isVoid = true;
  for (let k = from; k < h.length; k++) {
    const rStart = heatStart(h, k);
    const rEnd = heatEnd(h, k);
    if (rEnd <= start) continue;
    if (end <= rStart) break;
    isVoid = false;
    const s = Math.max(rStart, start);
    const e = Math.min(rEnd, end);
    const i = h.picked === undefined ? k : (h.picked[k] as number);
    total += temperatureAt(h.s, i, h.iv, w, e - s) * (e - s);
  }
  return { start, end, temperature: total / (end - start), isVoid };
}

/** damo `heatmap_str`: one character per column of the snapshot's address space. */
function heatmapText(h: HeatRegions, o: ViewOptions): string {
  if (h.length === 0) return 'n/a (no region)';
  const firstStart = heatStart(h, 0);
  const lastEnd = heatEnd(h, h.length - 1);
  let totalSz = 0;
  if (o.heatmapStatic) totalSz = lastEnd - firstStart;
  else for (let k = 0; k < h.length; k++) totalSz += heatEnd(h, k) - heatStart(h, k);
  const unit = totalSz / o.heatmapWidth;

  const pixels: HeatPixel[] = [];
  let minT: number | undefined;
  let maxT: number | undefined;
  let start = firstStart;
  let from = 0;
  while (start < lastEnd) {
    while (from < h.length && heatEnd(h, from) <= start) from++;
    const end = start + unit;
    const p = heatPixel(start, end, h, from, o.temperatureWeights);
    pixels.push(p);
    if (p.isVoid) {
      let next = -1;
      for (let k = 0; k < h.length && next < 0; k++) if (heatStart(h, k) > end) next = k;
      if (next < 0) break;
      start = pyFloorDiv(heatStart(h, next), unit) * unit;
      p.end = start;
    } else {
      if (minT === undefined || p.temperature < minT) minT = p.temperature;
      if (maxT === undefined || p.temperature > maxT) maxT = p.temperature;
      start = end;
    }
  }
  const lo = minT ?? 0;
  const hi = maxT ?? 0;
  const maxLevel = 9;
  let tUnit = (hi - lo) / maxLevel;
  if (tUnit === 0) tUnit = hi / maxLevel;
  if (tUnit === 0) tUnit = 1;
  let dots = '';
  for (const p of pixels) {
    if (p.isVoid) {
      const n = (p.end - p.start) / unit;
      if (!o.heatmapStatic && n > 4) dots += '[...]';
      else dots += '.'.repeat(Math.max(Math.trunc(n), 0));
      continue;
    }
    const level = Math.trunc((p.temperature - lo) / tUnit);
    dots += `${colorStart(o.heatmapColorset, level)}${level}${COLOR_RESET}`;
  }
  return `${dots}\n# min/max temperatures: ${formatNr(lo, o.raw)}, ${formatNr(hi, o.raw)}, column size: ${formatSz(unit, o.raw)}`;
}

/** damo `heatmap_str` of a snapshot's regions. */
export function snapshotHeatmap(s: AccessSnapshot, iv: Intervals, o: ViewOptions): string {
  return heatmapText({ s, iv, picked: undefined, length: s.starts.length }, o);
}

/** damo `df_passed_heatmap_str`: the heatmap of regions some of whose bytes passed the filters. */
export function dfPassedHeatmap(s: AccessSnapshot, iv: Intervals, o: ViewOptions): string {
  const picked: number[] = [];
  // A snapshot without filter results counts every region as passed (its value is unknown, not 0).
  for (let i = 0; i < s.starts.length; i++) if (s.szFilterPassed === undefined || s.szFilterPassed[i] !== 0) picked.push(i);
  return heatmapText({ s, iv, picked, length: picked.length }, o);
}
