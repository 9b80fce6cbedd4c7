// SPDX-License-Identifier: GPL-2.0-only
/**
 * The replay planner: turns a recording into the plan the damo_replay executable follows.
 *
 * Two streaming passes over the trace, never holding it whole:
 *  1. scanTrace: which address ranges the target's regions cover, its time span, the largest
 *     nr_accesses; and a check that the regions are sane (sorted, disjoint, finite).
 *  2. planPeriods: one period per snapshot. Each period lists every byte of every area once:
 *     ranges the snapshot saw accessed (nr_accesses k > 0, touched in k slots) and ranges it
 *     saw idle or did not cover (released at the period's start unless cold memory is kept).
 *
 * Semantics kept from DAMON: nr_accesses counts the sampling intervals of an aggregation
 * interval in which the region was found accessed. A period therefore gets one slot per
 * sampling interval (snapshot duration / sample interval, both stretched by --time_scale),
 * and a range with count k is touched in k of them. When slots would be shorter than
 * `minSlotNs`, fewer slots are used and k is scaled to keep k / slots, the access ratio.
 */
import { resolve } from 'node:path';

import { DamoError } from '../core/errors.js';
import type { Snapshot, TraceHeader, TraceSource } from '../core/model.js';
import { toolVersion } from '../core/version.js';
import { IntervalSet, makeLayout, replayOffsetOf, type Layout, type LayoutArea } from './layout.js';
import {
  PLAN_FLAG_ALLOW_THP,
  PLAN_FLAG_KEEP_COLD,
  PLAN_FLAG_PERIOD_EVENTS,
  type PlanHeaderFields,
  type PlanPeriod,
  type PlanRange,
} from './plan_codec.js';

export interface TraceScan {
  path: string;
  header: TraceHeader;
  targetIndex: number;
  nrSnapshots: number;
  /** Snapshots of other targets, skipped. */
  nrOtherSnapshots: number;
  firstStartNs: number;
  lastEndNs: number;
  maxNrAccessesSeen: number;
  /** Union of the target's regions over the whole trace, sorted. */
  covered: Array<[number, number]>;
}

export interface PlanOptions {
  maxMemoryBytes: number;
  /** Replay time per trace time: 2 replays twice as slowly, 0.5 twice as fast. */
  timeScale: number;
  pageSizeBytes: number;
  seed: number;
  nrThreads: number;
  startDelayNs: number;
  keepCold: boolean;
  allowThp: boolean;
  periodEvents: boolean;
  /**
   * Split the replay memory into mappings of at most this many bytes (0 or absent: one per
   * area), for access checks that answer per mapping (clear_refs).
   */
  vmaBytes?: number;
  /** Shortest touch slot; 1 ms by default. */
  minSlotNs?: number;
  /** Gaps between covered ranges up to this size are kept as (untouched) replay memory. */
  mergeGapBytes?: number;
  /**
   * What the recorded process had mapped over the trace (format/mappings.ts), when the
   * recording says: only those parts of the regions get replay memory, so the unmapped gaps
   * inside DAMON's regions (hundreds of MiB between a binary and its heap) neither take
   * replay memory nor shrink the rest by scaling.
   */
  mappedRanges?: ReadonlyArray<readonly [number, number]>;
}

export interface ReplayPlan {
  scan: TraceScan;
  layout: Layout;
  options: PlanOptions;
  header: PlanHeaderFields;
  /** Sampling intervals per snapshot when a snapshot does not say (DAMON's max nr_accesses). */
  defaultMaxNrAccesses: number;
}

export interface PlannedPeriod extends PlanPeriod {
  index: number;
  /** The snapshot's start, ns relative to the trace's base time. */
  snapshotStartNs: number;
  snapshotEndNs: number;
  /** Bytes of the snapshot's regions with nr_accesses >= 1 (damo's working set) that the layout replays (mapped bytes, when the recording says what was mapped). */
  traceWssBytes: number;
  /** The same in replay bytes after scaling and page rounding. */
  replayWssBytes: number;
  /** Replay bytes expected resident at the end of the period. */
  plannedResidentBytes: number;
  /** Accessed trace bytes that scaled down to nothing (regions smaller than a page / scale). */
  lostBytes: number;
  /** Regions whose nr_accesses exceeded the snapshot's sampling intervals (clamped). */
  clampedRegions: number;
}

const DEFAULT_MIN_SLOT_NS = 1_000_000;
/** The executable's limit (kernel default vm.max_map_count is 65530). */
const MAX_MAPPINGS = 60_000;

function checkSnapshot(path: string, index: number, s: Snapshot): void {
  let prevEnd = -Infinity;
  for (let i = 0; i < s.starts.length; i++) {
    const start = s.starts[i] as number;
    const end = s.ends[i] as number;
    const nr = s.nrAccesses[i] as number;
    const where = `${path}: snapshot ${index}, region ${i}`;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) {
      throw new DamoError('E_FORMAT', `${where}: [${start}, ${end}) is not a valid address range`);
    }
    if (start < prevEnd) throw new DamoError('E_FORMAT', `${where}: regions are not sorted or overlap (starts at ${start}, before ${prevEnd})`);
    if (!Number.isFinite(nr) || nr < 0) throw new DamoError('E_FORMAT', `${where}: nr_accesses ${nr} is not a count`);
    prevEnd = end;
  }
  if (!(s.endNs >= s.startNs)) {
    throw new DamoError('E_FORMAT', `${path}: snapshot ${index} ends (${s.endNs} ns) before it starts (${s.startNs} ns)`);
  }
}

/** Pass 1. Throws E_USAGE for a target index the trace lacks, E_FORMAT for broken regions. */
export async function scanTrace(trace: TraceSource, targetIndex: number): Promise<TraceScan> {
  const nrTargets = trace.header.targets.length;
  if (nrTargets > 0 && targetIndex >= nrTargets) {
    throw new DamoError('E_USAGE', `${trace.path} has ${nrTargets} target(s); --target ${targetIndex} does not exist`, {
      hint: `use --target 0..${nrTargets - 1}`,
    });
  }
  const covered = new IntervalSet();
  let nrSnapshots = 0;
  let nrOther = 0;
  let first = Infinity;
  let last = -Infinity;
  let maxNr = 0;
  let index = 0;
  for await (const s of trace.snapshots()) {
    const i = index++;
    if (s.targetIndex !== targetIndex) {
      nrOther++;
      continue;
    }
    checkSnapshot(trace.path, i, s);
    nrSnapshots++;
    first = Math.min(first, s.startNs);
    last = Math.max(last, s.endNs);
    // Adjacent regions form runs; adding runs keeps the union cheap.
    let runStart = -1;
    let runEnd = -1;
    for (let r = 0; r < s.starts.length; r++) {
      const start = s.starts[r] as number;
      const end = s.ends[r] as number;
      maxNr = Math.max(maxNr, s.nrAccesses[r] as number);
      if (start === runEnd) {
        runEnd = end;
        continue;
      }
      if (runEnd > runStart) covered.add(runStart, runEnd);
      runStart = start;
      runEnd = end;
    }
    if (runEnd > runStart) covered.add(runStart, runEnd);
  }
  if (nrSnapshots === 0) {
    throw new DamoError('E_FORMAT', `${trace.path} has no snapshots${nrOther > 0 ? ` for target ${targetIndex}` : ''} to replay`);
  }
  return {
    path: trace.path,
    header: trace.header,
    targetIndex,
    nrSnapshots,
    nrOtherSnapshots: nrOther,
    firstStartNs: first,
    lastEndNs: last,
    maxNrAccessesSeen: maxNr,
    covered: covered.intervals(),
  };
}

/** The covered ranges inside the mapped ones; all of them when nothing is known to be mapped or nothing is. */
export function mappedPartOf(
  covered: ReadonlyArray<readonly [number, number]>,
  mapped: ReadonlyArray<readonly [number, number]> | undefined,
): Array<[number, number]> {
  const all = covered.map(([s, e]) => [s, e] as [number, number]);
  if (mapped === undefined || mapped.length === 0) return all;
  const out: Array<[number, number]> = [];
  let j = 0;
  for (const [s, e] of all) {
    while (j < mapped.length && (mapped[j] as readonly [number, number])[1] <= s) j++;
    for (let k = j; k < mapped.length; k++) {
      const [ms, me] = mapped[k] as readonly [number, number];
      if (ms >= e) break;
      out.push([Math.max(s, ms), Math.min(e, me)]);
    }
  }
  return out.length > 0 ? out : all;
}

/** Lays out the areas and fixes the plan header; throws E_USAGE for impossible options. */
export function makePlan(scan: TraceScan, options: PlanOptions): ReplayPlan {
  if (!(options.timeScale > 0) || !Number.isFinite(options.timeScale)) {
    throw new DamoError('E_USAGE', `--time_scale ${options.timeScale} must be a positive number`);
  }
  const layoutOptions: { maxMemoryBytes: number; pageSizeBytes: number; mergeGapBytes?: number } = {
    maxMemoryBytes: options.maxMemoryBytes,
    pageSizeBytes: options.pageSizeBytes,
  };
  if (options.mergeGapBytes !== undefined) layoutOptions.mergeGapBytes = options.mergeGapBytes;
  const layout = makeLayout(mappedPartOf(scan.covered, options.mappedRanges), layoutOptions);
  const page = options.pageSizeBytes;
  const vmaBytes = options.vmaBytes === undefined || options.vmaBytes <= 0 ? 0 : Math.ceil(options.vmaBytes / page) * page;
  if (vmaBytes > 0) {
    const nrMappings = layout.areas.reduce((n, a) => n + Math.ceil(a.replayBytes / vmaBytes), 0);
    if (nrMappings > MAX_MAPPINGS) {
      throw new DamoError('E_USAGE', `--vma_bytes ${vmaBytes} would split the replay into ${nrMappings} mappings (at most ${MAX_MAPPINGS})`, {
        hint: `use at least ${Math.ceil(layout.replayBytes / MAX_MAPPINGS / page) * page} bytes`,
      });
    }
  }
  const iv = scan.header.intervals;
  const defaultMaxNrAccesses =
    iv !== null && iv.sampleUs > 0 ? Math.max(1, Math.round(iv.aggrUs / iv.sampleUs)) : Math.max(1, scan.maxNrAccessesSeen);
  const meta = {
    tool: 'damo replay',
    toolVersion: toolVersion(),
    trace: resolve(scan.path),
    target: scan.targetIndex,
    traceStartNs: scan.firstStartNs,
    traceEndNs: scan.lastEndNs,
    baseTimeNs: scan.header.baseTimeNs.toString(),
    clock: scan.header.clock,
    source: scan.header.source,
    ops: scan.header.ops,
    intervals: scan.header.intervals,
    timeScale: options.timeScale,
    scale: layout.scale,
    seed: options.seed,
    maxNrAccesses: defaultMaxNrAccesses,
    keepCold: options.keepCold,
    vmaBytes,
  };
  let flags = 0;
  if (options.keepCold) flags |= PLAN_FLAG_KEEP_COLD;
  if (options.allowThp) flags |= PLAN_FLAG_ALLOW_THP;
  if (options.periodEvents) flags |= PLAN_FLAG_PERIOD_EVENTS;
  const header: PlanHeaderFields = {
    pageSizeBytes: options.pageSizeBytes,
    maxMemoryBytes: options.maxMemoryBytes,
    seed: options.seed,
    startDelayNs: options.startDelayNs,
    vmaBytes,
    nrThreads: options.nrThreads,
    flags,
    areas: layout.areas.map((a) => ({ traceStart: a.traceStart, traceEnd: a.traceEnd, replayBytes: a.replayBytes })),
    metaJson: JSON.stringify(meta),
  };
  return { scan, layout, options, header, defaultMaxNrAccesses };
}

/** Pass 2: the periods, in order, generated as the trace streams. */
export async function* planPeriods(trace: TraceSource, plan: ReplayPlan): AsyncGenerator<PlannedPeriod> {
  const { scan, layout, options } = plan;
  const minSlotNs = options.minSlotNs ?? DEFAULT_MIN_SLOT_NS;
  const ts = options.timeScale;
  const footprint = options.keepCold ? new IntervalSet() : null;
  let prevEndNs = 0;
  let index = 0;
  for await (const s of trace.snapshots()) {
    if (s.targetIndex !== scan.targetIndex) continue;
    const endOffset = Math.round((s.endNs - scan.firstStartNs) * ts);
    const startOffset = Math.max(prevEndNs, Math.round((s.startNs - scan.firstStartNs) * ts));
    const durationNs = endOffset - startOffset;
    // A snapshot shorter than a microsecond (or swallowed by its predecessor) has nothing to replay.
    if (durationNs < 1000) continue;
    prevEndNs = endOffset;

    const maxNr = snapshotMaxNrAccesses(s, plan);
    let nrSlots = maxNr;
    if (durationNs / nrSlots < minSlotNs) nrSlots = Math.max(1, Math.floor(durationNs / minSlotNs));
    const period = buildPeriod(s, layout, maxNr, nrSlots);
    let plannedResidentBytes = period.replayWssBytes;
    if (footprint !== null) {
      for (const r of period.ranges) {
        if (r.nrAccesses > 0) {
          const base = (layout.areas[r.area] as LayoutArea).replayOffset;
          footprint.add(base + r.start, base + r.end);
        }
      }
      plannedResidentBytes = footprint.total();
    }
    yield {
      index: index++,
      snapshotStartNs: s.startNs,
      snapshotEndNs: s.endNs,
      startOffsetNs: startOffset,
      durationNs,
      nrSlots,
      ranges: period.ranges,
      traceWssBytes: period.traceWssBytes,
      replayWssBytes: period.replayWssBytes,
      plannedResidentBytes,
      lostBytes: period.lostBytes,
      clampedRegions: period.clampedRegions,
    };
  }
}

function snapshotMaxNrAccesses(s: Snapshot, plan: ReplayPlan): number {
  const sampleUs = s.sampleIntervalUs;
  if (sampleUs !== undefined && sampleUs > 0) return Math.max(1, Math.round((s.endNs - s.startNs) / 1000 / sampleUs));
  return plan.defaultMaxNrAccesses;
}

interface BuiltPeriod {
  ranges: PlanRange[];
  traceWssBytes: number;
  replayWssBytes: number;
  lostBytes: number;
  clampedRegions: number;
}

/**
 * Maps one snapshot's regions into replay ranges covering every area completely: bytes the
 * snapshot does not cover count as idle, so their memory is released like that of idle
 * regions (a region DAMON stopped monitoring is not being accessed).
 */
export function buildPeriod(s: Snapshot, layout: Layout, maxNr: number, nrSlots: number): BuiltPeriod {
  const ranges: PlanRange[] = [];
  let traceWss = 0;
  let replayWss = 0;
  let lost = 0;
  let clamped = 0;
  const push = (area: number, start: number, end: number, nrAccesses: number): void => {
    if (end <= start) return;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.area === area && last.end === start && last.nrAccesses === nrAccesses) {
      last.end = end;
      return;
    }
    ranges.push({ area, nrAccesses, start, end });
  };
  let areaIdx = 0;
  let cursor = 0; // replay offset inside the current area up to which ranges were emitted
  const closeArea = (): void => {
    const a = layout.areas[areaIdx] as LayoutArea;
    push(areaIdx, cursor, a.replayBytes, 0);
  };
  for (let i = 0; i < s.starts.length; i++) {
    const start = s.starts[i] as number;
    const end = s.ends[i] as number;
    let nr = s.nrAccesses[i] as number;
    if (nr > maxNr) {
      nr = maxNr;
      clamped++;
    }
    // Areas and regions are both sorted: advance to the first area the region reaches.
    while (areaIdx < layout.areas.length && start >= (layout.areas[areaIdx] as LayoutArea).traceEnd) {
      closeArea();
      areaIdx++;
      cursor = 0;
    }
    // A region can span several areas (the mapped parts of it, when the layout follows the
    // recorded mappings) and the gaps between them, which have no replay memory.
    const k = nr <= 0 ? 0 : Math.max(1, Math.min(nrSlots, Math.round((nr * nrSlots) / maxNr)));
    let inAreasBytes = 0;
    while (areaIdx < layout.areas.length) {
      const area = layout.areas[areaIdx] as LayoutArea;
      if (end <= area.traceStart) break;
      const s0 = Math.max(start, area.traceStart);
      const e0 = Math.min(end, area.traceEnd);
      inAreasBytes += e0 - s0;
      const rs = replayOffsetOf(layout, area, s0);
      const re = replayOffsetOf(layout, area, e0);
      if (rs > cursor) push(areaIdx, cursor, rs, 0);
      if (re <= rs) {
        if (nr >= 1) lost += e0 - s0;
      } else {
        const from = Math.max(rs, cursor);
        if (re > from) {
          push(areaIdx, from, re, k);
          if (k > 0) replayWss += re - from;
          cursor = re;
        }
      }
      if (area.traceEnd > end) break;
      closeArea();
      areaIdx++;
      cursor = 0;
    }
    if (nr >= 1) traceWss += inAreasBytes;
  }
  while (areaIdx < layout.areas.length) {
    closeArea();
    areaIdx++;
    cursor = 0;
  }
  return { ranges, traceWssBytes: traceWss, replayWssBytes: replayWss, lostBytes: lost, clampedRegions: clamped };
}
