// SPDX-License-Identifier: GPL-2.0-only
/**
 * The recording as `damo report access` (damo 3.3.0) sees it: one record per target, each
 * with its snapshots, and every region's values in the units damo derives for the report
 * (`add_unset_unit`): access rate in integer percent of the samples an aggregation interval
 * can hold, age in microseconds.
 *
 * Records are read through the reader's snapshot interface (core/trace_walk.ts), one target
 * at a time.
 */
import type { DamosFilterInfo, DamosStats, Intervals, IntervalsGoal, Snapshot, TraceSource, TraceTarget } from '../core/model.js';
import { targetSnapshots } from '../core/trace_walk.js';

export interface AccessRecord {
  target: TraceTarget;
  intervals: Intervals | null;
  intervalsGoal: IntervalsGoal | undefined;
  dataSource: string;
  schemeFilters: DamosFilterInfo[];
  snapshots: AccessSnapshot[];
}

/** A snapshot's regions as parallel arrays, possibly narrowed by the record filters. */
export interface AccessSnapshot {
  startNs: number;
  endNs: number;
  starts: Float64Array;
  ends: Float64Array;
  samples: Float64Array;
  /** Age in aggregation intervals; -1 when unknown. */
  ages: Float64Array;
  /** Bytes that passed the scheme's DAMOS filters, per region; undefined when not recorded. */
  szFilterPassed: Float64Array | undefined;
  totalBytes: number;
  sampleIntervalUs: number | undefined;
  /** DAMOS stats of the snapshot-retrieval scheme, when the file has them. */
  damosStats: DamosStats | undefined;
}

export function snapshotOf(s: Snapshot): AccessSnapshot {
  let total = s.totalBytes;
  if (total === undefined) {
    total = 0;
    for (let i = 0; i < s.starts.length; i++) total += (s.ends[i] as number) - (s.starts[i] as number);
  }
  return {
    startNs: s.startNs,
    endNs: s.endNs,
    starts: s.starts,
    ends: s.ends,
    samples: s.nrAccesses,
    ages: s.ages,
    szFilterPassed: s.szFilterPassed,
    totalBytes: total,
    sampleIntervalUs: s.sampleIntervalUs,
    damosStats: s.damosStats,
  };
}

/** Snapshot times as damo has them: absolute (the reader's base time added). */
function absNs(src: TraceSource, relNs: number): number {
  return src.header.baseTimeNs === 0n ? relNs : Number(src.header.baseTimeNs) + relNs;
}

export async function readAccessRecords(src: TraceSource): Promise<AccessRecord[]> {
  const records: AccessRecord[] = [];
  for (let t = 0; t < src.header.targets.length; t++) {
    const target = src.header.targets[t] as TraceTarget;
    const snapshots: AccessSnapshot[] = [];
    for await (const s of targetSnapshots(src, t)) {
      const a = snapshotOf(s);
      a.startNs = absNs(src, s.startNs);
      a.endNs = absNs(src, s.endNs);
      snapshots.push(a);
    }
    records.push({
      target,
      intervals: src.header.intervals,
      intervalsGoal: src.header.intervalsGoal,
      dataSource: src.header.dataSource ?? 'unknown',
      schemeFilters: target.schemeFilters ?? [],
      snapshots,
    });
  }
  return records;
}

/** damo `DamonNrAccesses.add_unset_unit`: int(samples * 100 / (aggr / sample)). */
export function accessPercent(samples: number, iv: Intervals): number {
  return Math.trunc((samples * 100.0) / (iv.aggrUs / iv.sampleUs));
}

/** damo `DamonAge.add_unset_unit`: aggregation intervals times the aggregation interval. */
export function ageUsec(ageAggrs: number, iv: Intervals): number {
  return ageAggrs < 0 ? 0 : ageAggrs * iv.aggrUs;
}

/** One region's values, as the report's formatters and sorters read them. */
export interface RegionView {
  start: number;
  end: number;
  samples: number;
  percent: number;
  ageUsec: number;
  szFilterPassed: number | undefined;
}

/** Region `i` of a snapshot as a view. */
export function regionAt(s: AccessSnapshot, i: number, iv: Intervals): RegionView {
  const samples = s.samples[i] as number;
  return {
    start: s.starts[i] as number,
    end: s.ends[i] as number,
    samples,
    percent: accessPercent(samples, iv),
    ageUsec: ageUsec(s.ages[i] as number, iv),
    szFilterPassed: s.szFilterPassed === undefined ? undefined : (s.szFilterPassed[i] as number),
  };
}

export function regionsOf(s: AccessSnapshot, iv: Intervals): RegionView[] {
  const out: RegionView[] = [];
  for (let i = 0; i < s.starts.length; i++) out.push(regionAt(s, i, iv));
  return out;
}

/** damo `DamosFilter.handled_by_ops`: filters the operations set applies page by page. */
export function handledByOps(f: DamosFilterInfo): boolean {
  return ['anon', 'active', 'memcg', 'young', 'hugepage_size', 'unmapped'].includes(f.filterType);
}

/** damo `temperature_of`: weighted size, access rate and age; negative for idle regions. */
export function temperatureOf(r: RegionView, weights: readonly [number, number, number], size = r.end - r.start): number {
  const score = size * weights[0] + r.percent * weights[1] + r.ageUsec * weights[2];
  return r.percent > 0 ? score : -1 * score;
}

/** temperatureOf region `i` of a snapshot, read from its columns. */
export function temperatureAt(s: AccessSnapshot, i: number, iv: Intervals, weights: readonly [number, number, number], size: number): number {
  const percent = accessPercent(s.samples[i] as number, iv);
  const score = size * weights[0] + percent * weights[1] + ageUsec(s.ages[i] as number, iv) * weights[2];
  return percent > 0 ? score : -1 * score;
}

/**
 * damo `snapshot_monitoring_intervals`: the sampling and aggregation intervals of one
 * snapshot, which differ from the record's when DAMON tuned them.
 */
export function snapshotIntervalsUs(s: Pick<AccessSnapshot, 'startNs' | 'endNs' | 'sampleIntervalUs'>, iv: Intervals, goal: IntervalsGoal | undefined): [number, number] {
  if (goal === undefined || goal.aggrs === 0) return [iv.sampleUs, iv.aggrUs];
  const ratio = iv.aggrUs / iv.sampleUs;
  if (s.sampleIntervalUs !== undefined) return [s.sampleIntervalUs, s.sampleIntervalUs * ratio];
  const snapAggrUs = (s.endNs - s.startNs) / 1000;
  if (Math.abs(snapAggrUs - iv.aggrUs) / iv.aggrUs < 0.1) return [iv.sampleUs, iv.aggrUs];
  return [snapAggrUs / ratio, snapAggrUs];
}
