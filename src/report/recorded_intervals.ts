// SPDX-License-Identifier: GPL-2.0-only
/**
 * The aggregation intervals a recording really has, against the ones asked for. A loaded
 * machine, or an access check that costs time (clear_refs walks smaps), stretches every
 * sampling interval, and DAMON (and the native engine) count an aggregation in samples, not
 * in time: 100 ms asked became 166-169 ms on this host. Reports that speak of time per
 * aggregation use the recorded mean (snapshot end - start) when it differs by more than
 * STRETCH_FRACTION.
 */
import { humanTime } from '../core/human.js';
import type { Snapshot, SnapshotColumns, SnapshotSpan, TraceHeader, TraceSource } from '../core/model.js';

/** A recorded mean this far from the asked interval (either way) is reported. */
export const STRETCH_FRACTION = 0.1;

/** Mean snapshot duration in ns, fed one snapshot at a time (so a report can share its pass). */
export class AggregationMean {
  private sumNs = 0;
  private n = 0;

  add(s: Snapshot): void {
    const d = s.endNs - s.startNs;
    if (d > 0) {
      this.sumNs += d;
      this.n++;
    }
  }

  /** add() of a snapshot span. */
  addSpan(s: SnapshotSpan): void {
    const d = s.endNs - s.startNs;
    if (d > 0) {
      this.sumNs += d;
      this.n++;
    }
  }

  /** add() of snapshot k of a column batch. */
  addOfColumns(c: SnapshotColumns, k: number): void {
    const d = (c.endNs[k] as number) - (c.startNs[k] as number);
    if (d > 0) {
      this.sumNs += d;
      this.n++;
    }
  }

  /** The mean, or null when no snapshot had a positive duration. */
  meanNs(): number | null {
    return this.n === 0 ? null : this.sumNs / this.n;
  }
}

/** Mean snapshot duration in ns over one pass, or null when there is none. */
export async function meanAggregationNs(src: TraceSource): Promise<number | null> {
  const mean = new AggregationMean();
  if (src.snapshotColumns !== undefined) {
    // Only the times are wanted: a column pass builds no object per snapshot.
    for await (const c of src.snapshotColumns()) for (let k = 0; k < c.count; k++) mean.addOfColumns(c, k);
  } else {
    for await (const s of src.snapshots()) mean.add(s);
  }
  return mean.meanNs();
}

/** The recorded mean when it differs from the asked aggregation interval by more than STRETCH_FRACTION, else null. */
export function stretchedAggregationNs(header: TraceHeader, meanNs: number | null): number | null {
  const askedUs = header.intervals?.aggrUs;
  if (meanNs === null || askedUs === undefined || !(askedUs > 0)) return null;
  return Math.abs(meanNs / (askedUs * 1000) - 1) > STRETCH_FRACTION ? meanNs : null;
}

/** "aggregations averaged 167 ms, not the 100 ms asked", or null when they did not stretch. */
export function stretchWords(header: TraceHeader, meanNs: number | null): string | null {
  const stretched = stretchedAggregationNs(header, meanNs);
  if (stretched === null || header.intervals === null) return null;
  return `aggregations averaged ${humanTime(stretched)}, not the ${humanTime(header.intervals.aggrUs * 1000)} asked`;
}
