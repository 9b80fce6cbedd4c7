// SPDX-License-Identifier: GPL-2.0-only
/**
 * A recording's own sign that its working set sizes are unreliable: most of the bytes
 * counted as accessed sit in regions whose sampled pages were found accessed in only a
 * few of the aggregation's samples (nr_accesses <= 10 % of aggr/sample).
 *
 * A region whose pages are all hot is seen accessed in nearly every sample. A low
 * nr_accesses means either that only a small part of the region is hot (DAMON's regions
 * are too coarse for where the accesses are, and the whole region is counted: the working
 * set is overestimated) or that its pages are touched less often than the sampling
 * interval catches (some accesses are missed: underestimated). Measured on real workloads
 * in the VM (docs/ACCURACY.md): redis GETs over a scattered hot set put 63-73 % of the
 * working set in such regions and its working set was off by 17-66 % at p50/p75; sqlite,
 * xz and stress-ng, measured within 20 % with the same sources, put 0-17 % there.
 *
 * Not for soft-dirty recordings: a page written once per pass (stress-ng's sweeps) is dirty
 * in few of the samples however well the regions fit, and those recordings put 43-94 % of
 * their working set there whether they were accurate or not.
 */
import { lowAccessBound } from '../core/low_access_bound.js';
import type { Snapshot, SnapshotColumns, TraceHeader, TraceSource } from '../core/model.js';

/** Share of the working set above which `damo report wss` warns. */
export const LOW_ACCESS_SHARE_WARN = 0.5;

export interface LowAccessShare {
  /** Bytes in low-nr_accesses regions / bytes in all regions with nr_accesses > 0. */
  share: number;
  /** Samples per aggregation interval (aggr / sample). */
  samplesPerAggr: number;
  /** The nr_accesses bound counted as low. */
  lowBound: number;
}

/**
 * Over the snapshots after the first `excludeSamples`, fed one at a time in file order (so
 * a report can share its pass); result() is null when the recording has no intervals (the
 * samples per aggregation are unknown) or nothing was accessed.
 */
export class LowAccessCounter {
  private readonly samplesPerAggr: number = 0;
  private readonly lowBound: number = 0;
  private readonly applies: boolean;
  private low = 0;
  private accessed = 0;
  private seen = 0;

  constructor(
    header: TraceHeader,
    private readonly excludeSamples: number,
  ) {
    const iv = header.intervals;
    this.applies = header.source !== 'native-soft_dirty' && iv !== null && iv.sampleUs > 0 && iv.aggrUs >= iv.sampleUs;
    if (this.applies && iv !== null) {
      this.samplesPerAggr = Math.floor(iv.aggrUs / iv.sampleUs);
      this.lowBound = lowAccessBound(this.samplesPerAggr);
      if (this.lowBound < 1) this.applies = false;
    }
  }

  add(s: Snapshot): void {
    if (!this.applies || this.seen++ < this.excludeSamples) return;
    const lowBound = this.lowBound;
    for (let i = 0; i < s.starts.length; i++) {
      const acc = s.nrAccesses[i] as number;
      if (acc <= 0) continue;
      const sz = (s.ends[i] as number) - (s.starts[i] as number);
      this.accessed += sz;
      if (acc <= lowBound) this.low += sz;
    }
  }

  /** add() of snapshot k of a column batch. */
  addOfColumns(c: SnapshotColumns, k: number): void {
    if (!this.applies || this.seen++ < this.excludeSamples) return;
    const lowBound = this.lowBound;
    const to = c.offsets[k + 1] as number;
    for (let i = c.offsets[k] as number; i < to; i++) {
      const acc = c.nrAccesses[i] as number;
      if (acc <= 0) continue;
      const sz = (c.ends[i] as number) - (c.starts[i] as number);
      this.accessed += sz;
      if (acc <= lowBound) this.low += sz;
    }
  }

  result(): LowAccessShare | null {
    if (!this.applies || !(this.accessed > 0)) return null;
    return { share: this.low / this.accessed, samplesPerAggr: this.samplesPerAggr, lowBound: this.lowBound };
  }
}

/** LowAccessCounter over one pass of `src`. */
export async function lowAccessShare(src: TraceSource, excludeSamples: number): Promise<LowAccessShare | null> {
  const counter = new LowAccessCounter(src.header, excludeSamples);
  for await (const s of src.snapshots()) counter.add(s);
  return counter.result();
}

/** The warning text, or null when the share is below LOW_ACCESS_SHARE_WARN. */
export function lowAccessWarning(r: LowAccessShare | null): string | null {
  if (r === null || r.share <= LOW_ACCESS_SHARE_WARN) return null;
  return (
    `${Math.round(r.share * 100)}% of the working set is in regions seen accessed in at most ` +
    `${r.lowBound} of ${r.samplesPerAggr} samples per aggregation: either only part of each ` +
    `such region is hot (regions too coarse: the working set is overestimated) or its pages ` +
    `are touched less often than the sampling interval catches (underestimated); try a longer ` +
    `sampling/aggregation interval or more regions (-n), see docs/ACCURACY.md`
  );
}
