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
import type { TraceSource } from '../core/model.js';

/** Share of the working set above which `damo report wss` warns. */
export const LOW_ACCESS_SHARE_WARN = 0.5;
/** nr_accesses at or below this fraction of the samples per aggregation counts as low. */
export const LOW_ACCESS_FRACTION = 0.1;

export interface LowAccessShare {
  /** Bytes in low-nr_accesses regions / bytes in all regions with nr_accesses > 0. */
  share: number;
  /** Samples per aggregation interval (aggr / sample). */
  samplesPerAggr: number;
  /** The nr_accesses bound counted as low. */
  lowBound: number;
}

/**
 * Over the snapshots after the first `excludeSamples`; null when the recording has no
 * intervals (the samples per aggregation are unknown) or nothing was accessed.
 */
export async function lowAccessShare(src: TraceSource, excludeSamples: number): Promise<LowAccessShare | null> {
  if (src.header.source === 'native-soft_dirty') return null;
  const iv = src.header.intervals;
  if (iv === null || iv.sampleUs <= 0 || iv.aggrUs < iv.sampleUs) return null;
  const samplesPerAggr = Math.floor(iv.aggrUs / iv.sampleUs);
  const lowBound = Math.floor(samplesPerAggr * LOW_ACCESS_FRACTION);
  if (lowBound < 1) return null;
  let low = 0;
  let accessed = 0;
  let seen = 0;
  for await (const s of src.snapshots()) {
    if (seen++ < excludeSamples) continue;
    for (let i = 0; i < s.starts.length; i++) {
      const acc = s.nrAccesses[i] as number;
      if (acc <= 0) continue;
      const sz = (s.ends[i] as number) - (s.starts[i] as number);
      accessed += sz;
      if (acc <= lowBound) low += sz;
    }
  }
  return accessed > 0 ? { share: low / accessed, samplesPerAggr, lowBound } : null;
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
