// SPDX-License-Identifier: GPL-2.0-only
/**
 * When a region's nr_accesses is "low": seen accessed in at most a tenth of an aggregation's
 * samples. A region whose pages are all hot is caught in nearly every sample; one caught in
 * a sample or two is either hot in a small part only or touched thinly, and a few samples
 * decide everything computed from it. Shared by `damo report wss`'s warning
 * (report/low_access.ts) and `damo simulate`'s note on its refault figure
 * (schemes/simulate.ts); measured in docs/ACCURACY.md.
 */

/** nr_accesses at or below this fraction of the samples per aggregation counts as low. */
export const LOW_ACCESS_FRACTION = 0.1;

/** The highest nr_accesses that counts as low for `samplesPerAggr` samples (aggr / sample). */
export function lowAccessBound(samplesPerAggr: number): number {
  return Math.floor(samplesPerAggr * LOW_ACCESS_FRACTION);
}
