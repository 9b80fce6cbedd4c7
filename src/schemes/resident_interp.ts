// SPDX-License-Identifier: GPL-2.0-only
/**
 * Resident pages between two of the recorder's readings (docs/ACCURACY.md, "What the
 * simulation counts", rule 1). The recorder reads /proc/PID/pagemap at most once a second and
 * at most 1/50 of its time, so under TCG its readings of a 20 s run are 3-5 s apart; xz's
 * resident set grows from ~30 to ~90 MiB over such a run, and the latest reading before an
 * aggregation misses every page faulted in since (the simulation then cannot page them out,
 * and they cannot refault). A simulation of a recording knows the next reading too: a page
 * resident in neither is out, in both is in, and a page that came (or went) between them did
 * so at a time the recording does not say. Taken as uniform over the interval, the page is in
 * with probability (t - t0) / (t1 - t0) (came) or (t1 - t) / (t1 - t0) (went), and that share
 * of the bytes that came or went counts as resident, page-aligned, at the start of each
 * range of them (which pages within a range, the readings cannot tell; a buffer filled
 * upwards, xz's, fills its lower part first). After the last reading it counts, as before;
 * the first reading's time stands in for the simulation's first aggregation end (see at()).
 */
import { mergeRanges, subtractRanges, type MappingHistory, type Ranges } from '../format/mappings.js';

/** The leading `share` of each range (page-aligned, rounded to the nearest page). */
function leadingShare(ranges: Ranges, share: number, page: number): Ranges {
  const out: Ranges = [];
  if (share <= 0) return out;
  for (const [s, e] of ranges) {
    const len = Math.min(e - s, Math.round(((e - s) * share) / page) * page);
    if (len > 0) out.push([s, s + len]);
  }
  return out;
}

/**
 * The resident ranges at `f` (0..1) of the way from reading `a` to reading `b`: those in both,
 * the leading f of each range that came, the leading 1 - f of each range that went.
 */
export function interpolateRanges(a: Ranges, b: Ranges, f: number, page: number): Ranges {
  if (f <= 0) return a;
  if (f >= 1) return b;
  const went = subtractRanges(a, b);
  const came = subtractRanges(b, a);
  const both = subtractRanges(a, went);
  return mergeRanges([...both, ...leadingShare(came, f, page), ...leadingShare(went, 1 - f, page)].map(([s, e]) => [s, e] as [number, number]));
}

/** A resident-page history read between its readings (see the module comment). */
export class InterpolatedResidency {
  private readonly times: number[];
  private cachedAt = Number.NaN;
  private cached: Ranges = [];

  constructor(
    private readonly h: MappingHistory,
    private readonly page: number,
  ) {
    this.times = h.changeTimes();
  }

  /**
   * The resident ranges at `timeNs`. `firstNs` stands in for the first reading's time, which
   * `at()` cannot tell (it gives the first reading before it too): the simulation's first
   * aggregation end, after which the recorder takes its first reading.
   */
  at(timeNs: number, firstNs: number): Ranges {
    if (timeNs === this.cachedAt) return this.cached;
    const cur = this.h.at(timeNs);
    const i = firstAfter(this.times, timeNs);
    let out = cur;
    if (i < this.times.length) {
      const next = this.times[i] as number;
      const prev = i > 0 ? (this.times[i - 1] as number) : firstNs;
      if (timeNs >= prev && next > prev) out = interpolateRanges(cur, this.h.at(next), (timeNs - prev) / (next - prev), this.page);
    }
    this.cachedAt = timeNs;
    this.cached = out;
    return out;
  }
}

/** The index of the first of the sorted `times` after `t` (times.length when none is). */
function firstAfter(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
