// SPDX-License-Identifier: GPL-2.0-only
/**
 * Measuring a running replay from outside: the resident memory of its areas, read from
 * /proc/PID/smaps, against the working set the trace says it should have.
 *
 * The resident-memory check only reads. The referenced check also writes
 * /proc/PID/clear_refs after each sample, which resets the accessed bits a concurrent
 * recording with the clear_refs or soft_dirty primitive depends on: never run it while the
 * replay is being recorded that way.
 */
import { readFile } from 'node:fs/promises';

import { percentileIndex } from '../core/fmt.js';

export interface SmapsTotals {
  /** Rss of the VMAs inside [lo, hi): the replay's areas (and their guard pages). */
  areaRssBytes: number;
  areaReferencedBytes: number;
  /** Rss of the whole process. */
  processRssBytes: number;
}

const VMA_LINE = /^([0-9a-f]+)-([0-9a-f]+) /;

/** Sums Rss and Referenced of /proc/PID/smaps text over VMAs lying inside [lo, hi). */
export function parseSmaps(text: string, lo: number, hi: number): SmapsTotals {
  const out: SmapsTotals = { areaRssBytes: 0, areaReferencedBytes: 0, processRssBytes: 0 };
  let inside = false;
  for (const line of text.split('\n')) {
    const vma = VMA_LINE.exec(line);
    if (vma !== null) {
      const start = Number.parseInt(vma[1] as string, 16);
      const end = Number.parseInt(vma[2] as string, 16);
      inside = start >= lo && end <= hi;
      continue;
    }
    if (line.startsWith('Rss:')) {
      const kb = kbOf(line);
      out.processRssBytes += kb * 1024;
      if (inside) out.areaRssBytes += kb * 1024;
    } else if (inside && line.startsWith('Referenced:')) {
      out.areaReferencedBytes += kbOf(line) * 1024;
    }
  }
  return out;
}

function kbOf(line: string): number {
  const m = /(\d+)\s*kB/.exec(line);
  return m === null ? 0 : Number(m[1]);
}

/** Reads the totals of a live process; null when it has gone. */
export async function readSmaps(pid: number, lo: number, hi: number): Promise<SmapsTotals | null> {
  try {
    return parseSmaps(await readFile(`/proc/${pid}/smaps`, 'utf8'), lo, hi);
  } catch {
    return null;
  }
}

/** damo's percentile indexing (core/fmt percentileIndex) over an ascending list; NaN when empty. */
export function percentileOf(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[percentileIndex(p, sorted.length)] as number;
}

/** (measured - reference) / reference in percent; 0 when both are 0, null when only the reference is. */
export function errorPct(reference: number, measured: number): number | null {
  if (reference === 0) return measured === 0 ? 0 : null;
  return ((measured - reference) / reference) * 100;
}

export interface RssPoint {
  period: number;
  /** The trace's working set in replay bytes (trace bytes x scale). */
  expectedBytes: number;
  /** What the plan makes resident, after page rounding (and the footprint with --keep_cold). */
  plannedBytes: number;
  measuredBytes: number;
  /**
   * Referenced bytes of the areas since the previous sample (clear_refs reset after each
   * sample), when the referenced check runs: the bytes the replay touched in the period.
   */
  referencedBytes?: number;
  /** Taken after its period had already ended (the sampler fell behind); not scored. */
  late: boolean;
}

export interface RssPercentile {
  percentile: number;
  expectedBytes: number;
  plannedBytes: number;
  measuredBytes: number;
  /** Measured against the trace's working set. */
  errorPct: number | null;
  /** Measured against the plan (isolates the executable from scaling/rounding). */
  errorVsPlanPct: number | null;
}

export interface RssAccuracy {
  nrPoints: number;
  nrLate: number;
  percentiles: RssPercentile[];
  /** Largest |errorPct| over the percentiles. */
  maxAbsErrorPct: number | null;
  /** Mean over periods of |measured - expected| / mean expected, in percent. */
  meanAbsPeriodErrorPct: number | null;
}

export const DEFAULT_PERCENTILES = [10, 25, 50, 75, 90];

/**
 * Compares the distributions (sorted separately, as damo's wss report does) of the expected
 * and measured sizes at each percentile, plus the period-by-period error.
 */
export function rssAccuracy(
  points: readonly RssPoint[],
  percentiles: readonly number[] = DEFAULT_PERCENTILES,
  measure: (p: RssPoint) => number = (p) => p.measuredBytes,
): RssAccuracy {
  const scored = points.filter((p) => !p.late);
  const sortedNum = (f: (p: RssPoint) => number): Float64Array => Float64Array.from(scored.map(f)).sort();
  const expected = sortedNum((p) => p.expectedBytes);
  const planned = sortedNum((p) => p.plannedBytes);
  const measured = sortedNum(measure);
  const rows: RssPercentile[] = percentiles.map((p) => {
    const e = percentileOf(expected, p);
    const pl = percentileOf(planned, p);
    const m = percentileOf(measured, p);
    return { percentile: p, expectedBytes: e, plannedBytes: pl, measuredBytes: m, errorPct: errorPct(e, m), errorVsPlanPct: errorPct(pl, m) };
  });
  let maxAbs: number | null = null;
  for (const r of rows) {
    if (r.errorPct === null) continue;
    maxAbs = Math.max(maxAbs ?? 0, Math.abs(r.errorPct));
  }
  let sumAbs = 0;
  let sumExpected = 0;
  for (const p of scored) {
    sumAbs += Math.abs(measure(p) - p.expectedBytes);
    sumExpected += p.expectedBytes;
  }
  return {
    nrPoints: scored.length,
    nrLate: points.length - scored.length,
    percentiles: rows,
    maxAbsErrorPct: scored.length === 0 ? null : maxAbs,
    meanAbsPeriodErrorPct: sumExpected > 0 ? (sumAbs / sumExpected) * 100 : null,
  };
}
