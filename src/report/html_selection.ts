// SPDX-License-Identifier: GPL-2.0-only
/**
 * The part of a recording `damo report html` shows: `--tid` (one target id), `--time_range`
 * and `--address_range`, as report heats takes them. The selection is applied to the
 * snapshots themselves, so everything on the page (heatmaps, working set and nr_regions over
 * time, the working set distribution) describes the same targets, time and addresses, and
 * the heatmaps get their full resolution over the selected range instead of a zoom into a
 * coarser whole.
 *
 * Relative time bounds (`10s`, `1500ms`) count from the end of the first selected snapshot,
 * where report heats's time axis starts (damo's guide): the chosen target's with --tid,
 * else the recording's first.
 */
import { DamoError } from '../core/errors.js';
import { formatTimeNs } from '../core/fmt.js';
import type { Snapshot, TraceSource } from '../core/model.js';
import type { TimeBound } from './heats.js';

export interface HtmlSelection {
  /** undefined: every target; null: the targets recorded without an id. */
  tid?: bigint | null | undefined;
  timeRange?: readonly [TimeBound, TimeBound] | undefined;
  addressRange?: readonly [number, number] | undefined;
}

export function isWholeRecording(sel: HtmlSelection): boolean {
  return sel.tid === undefined && sel.timeRange === undefined && sel.addressRange === undefined;
}

function tidText(tid: bigint | null): string {
  return tid === null ? 'none' : tid.toString();
}

/** Index of the first region ending above `x` (regions sorted by address, not overlapping). */
function firstEndingAbove(ends: Float64Array, x: number): number {
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ends[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The snapshot's regions inside [a0, a1), the ones across a bound cut at it (copies). */
export function clipRegions(s: Snapshot, a0: number, a1: number): Snapshot {
  const lo = firstEndingAbove(s.ends, a0);
  let hi = lo;
  while (hi < s.starts.length && s.starts[hi]! < a1) hi++;
  const starts = s.starts.slice(lo, hi);
  const ends = s.ends.slice(lo, hi);
  if (starts.length > 0) {
    starts[0] = Math.max(starts[0]!, a0);
    ends[ends.length - 1] = Math.min(ends[ends.length - 1]!, a1);
  }
  const out: Snapshot = { ...s, starts, ends, nrAccesses: s.nrAccesses.slice(lo, hi), ages: s.ages.slice(lo, hi) };
  // Whole-snapshot extras no longer describe the clipped regions.
  delete out.totalBytes;
  if (s.szFilterPassed !== undefined) out.szFilterPassed = s.szFilterPassed.slice(lo, hi);
  return out;
}

/**
 * A source that yields only the selected snapshots, their regions clipped to the address
 * range. Checks the tid before any pass (a missing one fails at once, listing the ids).
 */
export interface SelectedSource {
  source: TraceSource;
  /** The time range in ns of the recording's clock, once a pass has started; null: all. */
  timeRangeNs(): [number, number] | null;
  /** The start relative time bounds count from, once a pass has started. */
  baseNs(): number | null;
}

export function selectedSource(source: TraceSource, sel: HtmlSelection): SelectedSource {
  if (isWholeRecording(sel)) return { source, timeRangeNs: () => null, baseNs: () => null };
  const ids = source.header.targets.map((t) => t.id);
  if (sel.tid !== undefined && !ids.includes(sel.tid)) {
    throw new DamoError('E_USAGE', `${source.path} has no target with id ${tidText(sel.tid)}`, {
      hint: `its target ids are: ${[...new Set(ids)].map(tidText).join(', ') || '(none)'}; run report heats --guide to see them`,
    });
  }
  const ar = sel.addressRange;
  if (ar !== undefined && !(ar[1] > ar[0])) {
    throw new DamoError('E_USAGE', `--address_range ${ar[0]} ${ar[1]}: the end must be above the start`);
  }
  // The base of relative time bounds: fixed by the first pass, the same in every later one.
  let baseNs: number | null = null;
  let range: [number, number] | null = null;
  const inTime = (s: Snapshot): boolean => {
    const tr = sel.timeRange;
    if (tr === undefined) return true;
    if (range === null) {
      baseNs ??= s.endNs;
      range = [tr[0].relative ? baseNs + tr[0].ns : tr[0].ns, tr[1].relative ? baseNs + tr[1].ns : tr[1].ns];
      if (!(range[1] > range[0])) throw new DamoError('E_USAGE', `--time_range: the end must be after the start`);
    }
    return s.endNs > range[0] && s.startNs < range[1];
  };
  const selected: TraceSource = {
    path: source.path,
    header: source.header,
    warnings: source.warnings,
    trailer: () => source.trailer(),
    async *snapshots() {
      for await (const s of source.snapshots()) {
        if (sel.tid !== undefined && ids[s.targetIndex] !== sel.tid) continue;
        if (!inTime(s)) continue;
        yield ar === undefined ? s : clipRegions(s, ar[0], ar[1]);
      }
    },
  };
  return { source: selected, timeRangeNs: () => range, baseNs: () => baseNs };
}

/** The selection in words, for the page's facts; null for the whole recording. */
export function describeSelection(sel: HtmlSelection, baseNs: number | null): string | null {
  if (isWholeRecording(sel)) return null;
  const parts: string[] = [];
  if (sel.tid !== undefined) parts.push(`target id ${tidText(sel.tid)} (--tid)`);
  if (sel.timeRange !== undefined) {
    const b = (t: TimeBound): string => (t.relative ? `${formatTimeNs(t.ns, false)} from the start` : `${t.ns} ns`);
    parts.push(`time ${b(sel.timeRange[0])} to ${b(sel.timeRange[1])} (--time_range${baseNs !== null ? `; start ${baseNs} ns` : ''})`);
  }
  if (sel.addressRange !== undefined) {
    const [a0, a1] = sel.addressRange;
    parts.push(`addresses 0x${a0.toString(16)}-0x${a1.toString(16)} (--address_range)`);
  }
  return parts.join('; ');
}

/** An error for a selection that left nothing to draw. */
export function emptySelection(path: string, sel: HtmlSelection): DamoError {
  return new DamoError('E_USAGE', `${path}: no snapshot is left within ${describeSelection(sel, null)}`, {
    hint: 'run report heats --guide to see the time span and address ranges of each target',
  });
}
