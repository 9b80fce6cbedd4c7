// SPDX-License-Identifier: GPL-2.0-only
/**
 * Address layout of a replay: which trace address ranges get replay memory, and where.
 *
 * A trace's regions cover a few far-apart areas (heap, mmap area and stack of a process, or
 * System RAM ranges for paddr) with huge gaps between them. The replay keeps each area's
 * size and internal layout but drops the gaps: areas are laid out one after another (the
 * executable puts a guard page between them). When the areas add up to more than
 * --max_memory, every area is shrunk by the same factor, so relative sizes, and therefore the
 * shape of the working set, are kept.
 */
import { DamoError } from '../core/errors.js';

/** Sorted, disjoint, half-open intervals [start, end) with their total kept up to date. */
export class IntervalSet {
  private starts: number[] = [];
  private ends: number[] = [];
  private totalBytes = 0;

  get size(): number {
    return this.starts.length;
  }

  total(): number {
    return this.totalBytes;
  }

  intervals(): Array<[number, number]> {
    return this.starts.map((s, i) => [s, this.ends[i] as number]);
  }

  /** Index of the first interval whose end is >= x. */
  private firstEndingAtOrAfter(x: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ends[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds [start, end), merging with intervals it overlaps or touches. */
  add(start: number, end: number): void {
    if (!(end > start)) return;
    const i = this.firstEndingAtOrAfter(start);
    let j = i;
    let s = start;
    let e = end;
    while (j < this.starts.length && (this.starts[j] as number) <= end) {
      s = Math.min(s, this.starts[j] as number);
      e = Math.max(e, this.ends[j] as number);
      this.totalBytes -= (this.ends[j] as number) - (this.starts[j] as number);
      j++;
    }
    this.starts.splice(i, j - i, s);
    this.ends.splice(i, j - i, e);
    this.totalBytes += e - s;
  }

  /** Removes [start, end) from the set. */
  subtract(start: number, end: number): void {
    if (!(end > start)) return;
    let i = this.firstEndingAtOrAfter(start);
    if (i < this.starts.length && this.ends[i] === start) i++;
    const newStarts: number[] = [];
    const newEnds: number[] = [];
    let j = i;
    while (j < this.starts.length && (this.starts[j] as number) < end) {
      const s = this.starts[j] as number;
      const e = this.ends[j] as number;
      this.totalBytes -= e - s;
      if (s < start) {
        newStarts.push(s);
        newEnds.push(start);
        this.totalBytes += start - s;
      }
      if (e > end) {
        newStarts.push(end);
        newEnds.push(e);
        this.totalBytes += e - end;
      }
      j++;
    }
    this.starts.splice(i, j - i, ...newStarts);
    this.ends.splice(i, j - i, ...newEnds);
  }
}

/** One replayed area: a trace address range and the replay bytes it gets. */
export interface LayoutArea {
  traceStart: number;
  traceEnd: number;
  replayBytes: number;
  /** Offset of the area in the concatenation of all areas' replay bytes. */
  replayOffset: number;
}

export interface Layout {
  areas: LayoutArea[];
  /** Replay bytes per trace byte (1 when the trace fits in --max_memory). */
  scale: number;
  pageSizeBytes: number;
  traceBytes: number;
  replayBytes: number;
}

/** The executable refuses more; merging the smallest gaps keeps plans below it. */
export const MAX_AREAS = 1024;

/**
 * Builds the layout from the trace's covered ranges (the union of its regions). Ranges closer
 * than `mergeGapBytes` are joined into one area (the gap becomes replay memory that is never
 * touched); beyond MAX_AREAS areas the smallest gaps are joined too.
 */
export function makeLayout(
  covered: ReadonlyArray<readonly [number, number]>,
  options: { maxMemoryBytes: number; pageSizeBytes: number; mergeGapBytes?: number },
): Layout {
  const page = options.pageSizeBytes;
  if (covered.length === 0) throw new DamoError('E_FORMAT', 'the trace has no regions to replay');
  let ranges = covered.map(([s, e]) => [s, e] as [number, number]);
  const mergeGap = options.mergeGapBytes ?? 0;
  ranges = joinGaps(ranges, (gap) => gap <= mergeGap);
  if (ranges.length > MAX_AREAS) {
    const gaps = ranges.slice(1).map((r, i) => r[0] - (ranges[i] as [number, number])[1]).sort((a, b) => a - b);
    const limit = gaps[ranges.length - MAX_AREAS - 1] as number;
    ranges = joinGaps(ranges, (gap) => gap <= limit);
  }
  const traceBytes = ranges.reduce((sum, [s, e]) => sum + (e - s), 0);
  const unscaledBytes = ranges.reduce((sum, [s, e]) => sum + Math.max(page, Math.ceil((e - s) / page) * page), 0);
  let scale = 1;
  if (unscaledBytes > options.maxMemoryBytes) {
    // Page rounding adds up to one page per area; keep that inside the budget.
    const budget = options.maxMemoryBytes - ranges.length * page;
    if (budget < ranges.length * page) {
      throw new DamoError(
        'E_USAGE',
        `--max_memory ${options.maxMemoryBytes} bytes is too small for the trace's ${ranges.length} areas (need at least ${2 * ranges.length * page})`,
      );
    }
    scale = budget / traceBytes;
  }
  let offset = 0;
  const areas: LayoutArea[] = ranges.map(([s, e]) => {
    const replayBytes = Math.max(page, Math.ceil(((e - s) * scale) / page) * page);
    const area = { traceStart: s, traceEnd: e, replayBytes, replayOffset: offset };
    offset += replayBytes;
    return area;
  });
  return { areas, scale, pageSizeBytes: page, traceBytes, replayBytes: offset };
}

function joinGaps(ranges: Array<[number, number]>, join: (gap: number) => boolean): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && join(r[0] - last[1])) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** Byte offset inside `area` of trace address `addr` (clamped to the area), page-aligned. */
export function replayOffsetOf(layout: Layout, area: LayoutArea, addr: number): number {
  const page = layout.pageSizeBytes;
  if (addr >= area.traceEnd) return area.replayBytes;
  const rel = Math.max(addr, area.traceStart) - area.traceStart;
  return Math.min(area.replayBytes, Math.round((rel * layout.scale) / page) * page);
}

/** Index of the area holding trace address `addr`, or -1. Areas are sorted. */
export function areaIndexOf(layout: Layout, addr: number): number {
  let lo = 0;
  let hi = layout.areas.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const a = layout.areas[mid] as LayoutArea;
    if (addr < a.traceStart) hi = mid - 1;
    else if (addr >= a.traceEnd) lo = mid + 1;
    else return mid;
  }
  return -1;
}
