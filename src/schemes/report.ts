// SPDX-License-Identifier: GPL-2.0-only
/**
 * Rendering a simulation: text for people, JSON for machines, and the data of the plot.
 */
import { ULONG_MAX_F } from '../core/damon_constants.js';
import { formatNr, formatSz, formatTimeNs } from '../core/fmt.js';
import type { EffectKind, SchemeResult, SimulationResult } from './simulate.js';

export interface SimulationContext {
  input: string;
  schemesName: string;
  intervalsSource: 'recording' | 'option' | 'default';
  opsSource: 'recording' | 'option' | 'default';
}

export interface TextReportOptions {
  /** Sizes as plain byte counts. */
  raw: boolean;
  /** Rows of the over-time table per scheme (0: none). */
  rows: number;
}

const EFFECT_WORDS: Record<EffectKind, { level: string; again: string; againLong: string } | undefined> = {
  'paged-out': { level: 'paged out', again: 'refaulted', againLong: 'paged out, then accessed again (refaults)' },
  deactivated: { level: 'deactivated', again: 'reactivated', againLong: 'deactivated, then accessed again (would refault if reclaimed)' },
  'huge-advised': { level: 'huge-advised', again: '', againLong: '' },
  none: undefined,
};

function bound(v: number, max: number, fmt: (x: number) => string): string {
  return v >= max ? 'max' : fmt(v);
}

function percentText(part: number, whole: number): string {
  if (whole <= 0) return '-';
  return `${((part * 100) / whole).toFixed(2)}%`;
}

function describeKernelPattern(s: SchemeResult, raw: boolean): string {
  const k = s.kernel;
  const UINT_MAX = 4294967295;
  const sz = `[${formatSz(k.minSzBytes, raw)}, ${bound(k.maxSzBytes, ULONG_MAX_F, (x) => formatSz(x, raw))}]`;
  const nr = `[${k.minNrAccesses}, ${bound(k.maxNrAccesses, UINT_MAX, String)}]`;
  const age = `[${k.minAge}, ${bound(k.maxAge, UINT_MAX, String)}]`;
  return `size ${sz}, nr_accesses ${nr} samples, age ${age} aggregation intervals`;
}

export function formatSimulationText(r: SimulationResult, ctx: SimulationContext, opts: TextReportOptions): string {
  const raw = opts.raw;
  const lines: string[] = [];
  const duration = Math.max(0, r.endNs - r.startNs);
  lines.push(`# ${r.schemes.length} scheme${r.schemes.length === 1 ? '' : 's'} from ${ctx.schemesName} simulated on ${ctx.input}`);
  lines.push(`# ${formatNr(r.nrSnapshots, raw)} snapshots in ${formatNr(r.nrSteps, raw)} aggregation intervals, ${formatTimeNs(duration, raw)}`);
  const ivNote = ctx.intervalsSource === 'default' ? ' (assumed: the recording does not say; set them with -s/-a)' : ctx.intervalsSource === 'option' ? ' (from the command line)' : '';
  lines.push(`# intervals: sample ${formatTimeNs(r.intervals.sampleUs * 1000, raw)}, aggregation ${formatTimeNs(r.intervals.aggrUs * 1000, raw)}${ivNote}`);
  const opsNote = ctx.opsSource === 'default' ? ' (assumed; set it with --ops)' : '';
  lines.push(`# operations set: ${r.ops}${opsNote}`);
  if (r.ageSource === 'reconstructed' || r.ageSource === 'mixed') {
    lines.push("# region ages: rebuilt with the kernel's merge rule (the recording has none), so age bounds are approximate");
  }
  for (const s of r.schemes) {
    lines.push('');
    lines.push(`${s.description}: ${s.line}`);
    lines.push(`    pattern in kernel units: ${describeKernelPattern(s, raw)}`);
    lines.push(`    tried ${formatNr(s.stats.nrTried, raw)} times (${formatSz(s.stats.szTried, raw)})`);
    lines.push(`    applied ${formatNr(s.stats.nrApplied, raw)} times (${formatSz(s.stats.szApplied, raw)})`);
    lines.push(`    quota exceeded ${formatNr(s.stats.qtExceeds, raw)} times`);
    if (s.madviseRefused !== null) {
      lines.push(`    refused by madvise ${formatNr(s.madviseRefused.nrRegions, raw)} times (${formatSz(s.madviseRefused.szBytes, raw)} of regions over a locked, PFN-mapped or hugetlb mapping: 0 applied)`);
    }
    const words = EFFECT_WORDS[s.effects.kind];
    if (words !== undefined) {
      const e = s.effects;
      lines.push(`    ${words.level}: ${formatSz(e.enteredBytes, raw)} in total; ${formatSz(e.finalBytes, raw)} at the end, ${formatSz(e.peakBytes, raw)} at peak, ${formatSz(e.meanBytes, raw)} on average`);
      if (words.again !== '') {
        lines.push(`    ${words.againLong}: ${formatSz(e.reaccessedBytes, raw)} (${percentText(e.reaccessedBytes, e.enteredBytes)} of the ${words.level} bytes)`);
        if (e.reaccessedBytesSamePages !== e.reaccessedBytes) {
          // Both are estimates from one recording; which one holds, it cannot tell (simulate.ts noteReaccesses).
          const above =
            e.reaccessedImageBytes === null
              ? 'new pages in each interval'
              : `new pages in each interval, but the same pages in program images, ${formatSz(e.reaccessedImageBytes, raw)} of it`;
          lines.push(
            `      ${formatSz(e.reaccessedBytesSamePages, raw)} if all sampling intervals of an aggregation accessed the same pages ` +
              `(the figure above: ${above}; the recording cannot tell which)`,
          );
        }
      }
    }
    for (const n of s.notes) lines.push(`    note: ${n}`);
    if (opts.rows > 0 && r.timeline.timesNs.length > 0) lines.push(...timeTable(r, s, opts));
  }
  if (r.notes.length > 0) {
    lines.push('');
    for (const n of r.notes) lines.push(`# note: ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

interface Row {
  endNs: number;
  tried: number;
  applied: number;
  again: number;
  level: number;
}

/** Buckets the timeline of one scheme into `rows` equal spans of time. */
export function bucketRows(r: SimulationResult, index: number, rows: number): Row[] {
  const t = r.timeline;
  const col = t.schemes[index];
  if (col === undefined) return [];
  const span = Math.max(1, r.endNs - r.startNs);
  const out: Row[] = [];
  let p = 0;
  let level = 0;
  for (let i = 0; i < rows; i++) {
    const endNs = i === rows - 1 ? r.endNs : r.startNs + (span * (i + 1)) / rows;
    const row: Row = { endNs, tried: 0, applied: 0, again: 0, level };
    while (p < t.timesNs.length && (t.timesNs[p] ?? 0) <= endNs) {
      row.tried += col.szTried[p] ?? 0;
      row.applied += col.szApplied[p] ?? 0;
      row.again += col.reaccessedBytes[p] ?? 0;
      row.level = col.effectBytes[p] ?? 0;
      p++;
    }
    level = row.level;
    out.push(row);
  }
  return out;
}

function timeTable(r: SimulationResult, s: SchemeResult, opts: TextReportOptions): string[] {
  const words = EFFECT_WORDS[s.effects.kind];
  const heads = ['until', 'tried', 'applied'];
  if (words !== undefined) {
    heads.push(words.level);
    if (words.again !== '') heads.push(words.again);
  }
  const rows = bucketRows(r, s.index, opts.rows).map((row) => {
    const cells = [formatTimeNs(row.endNs - r.startNs, opts.raw), formatSz(row.tried, opts.raw), formatSz(row.applied, opts.raw)];
    if (words !== undefined) {
      cells.push(formatSz(row.level, opts.raw));
      if (words.again !== '') cells.push(formatSz(row.again, opts.raw));
    }
    return cells;
  });
  const widths = heads.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const fmtRow = (cells: string[]): string => `        ${cells.map((cell, c) => cell.padStart(widths[c] ?? 0)).join('  ')}`;
  return ['    over time:', fmtRow(heads), ...rows.map(fmtRow)];
}

/** The JSON document of `--json` (sizes in bytes, times in ns). */
export function simulationJson(r: SimulationResult, ctx: SimulationContext): unknown {
  return {
    input: ctx.input,
    schemes_source: ctx.schemesName,
    ops: r.ops,
    ops_source: ctx.opsSource,
    intervals: { sample_us: r.intervals.sampleUs, aggr_us: r.intervals.aggrUs, source: ctx.intervalsSource },
    nr_snapshots: r.nrSnapshots,
    nr_aggregations: r.nrSteps,
    start_ns: r.startNs,
    end_ns: r.endNs,
    age_source: r.ageSource,
    schemes: r.schemes.map((s) => ({
      index: s.index,
      scheme: s.line,
      description: s.description,
      action: s.action,
      kernel_pattern: {
        min_sz_bytes: s.kernel.minSzBytes,
        max_sz_bytes: s.kernel.maxSzBytes >= ULONG_MAX_F ? 'max' : s.kernel.maxSzBytes,
        min_nr_accesses: s.kernel.minNrAccesses,
        max_nr_accesses: s.kernel.maxNrAccesses,
        min_age: s.kernel.minAge,
        max_age: s.kernel.maxAge,
      },
      stats: {
        nr_tried: s.stats.nrTried,
        sz_tried: s.stats.szTried,
        nr_applied: s.stats.nrApplied,
        sz_applied: s.stats.szApplied,
        qt_exceeds: s.stats.qtExceeds,
        nr_snapshots: s.stats.nrSnapshots,
      },
      madvise_refused: s.madviseRefused === null ? null : { nr_regions: s.madviseRefused.nrRegions, sz_bytes: s.madviseRefused.szBytes },
      effects: {
        kind: s.effects.kind,
        final_bytes: s.effects.finalBytes,
        peak_bytes: s.effects.peakBytes,
        mean_bytes: Math.round(s.effects.meanBytes),
        reaccessed_bytes: s.effects.reaccessedBytes,
        reaccessed_bytes_same_pages: s.effects.reaccessedBytesSamePages,
        reaccessed_image_bytes: s.effects.reaccessedImageBytes,
        reaccessed_sparse_bytes: s.effects.reaccessedSparseBytes,
        entered_bytes: s.effects.enteredBytes,
      },
      notes: s.notes,
    })),
    timeline: {
      times_ns: r.timeline.timesNs,
      monitored_bytes: r.timeline.monitoredBytes,
      schemes: r.timeline.schemes.map((c) => ({
        sz_tried: c.szTried,
        sz_applied: c.szApplied,
        reaccessed_bytes: c.reaccessedBytes,
        reaccessed_bytes_same_pages: c.reaccessedBytesSamePages,
        effect_bytes: c.effectBytes,
      })),
    },
    notes: r.notes,
  };
}

export interface PlotSeries {
  name: string;
  xs: number[];
  ys: number[];
}

/** Cumulative applied bytes and the effect's bytes over time, per scheme (x in seconds). */
export function simulationPlotSeries(r: SimulationResult): PlotSeries[] {
  const xs = r.timeline.timesNs.map((t) => (t - r.startNs) / 1e9);
  const series: PlotSeries[] = [];
  r.schemes.forEach((s, i) => {
    const c = r.timeline.schemes[i];
    if (c === undefined) return;
    let acc = 0;
    series.push({ name: `s${i} ${s.action} applied (cumulative)`, xs, ys: c.szApplied.map((v) => (acc += v)) });
    const words = EFFECT_WORDS[s.effects.kind];
    if (words !== undefined) series.push({ name: `s${i} ${words.level}`, xs, ys: [...c.effectBytes] });
  });
  return series;
}
