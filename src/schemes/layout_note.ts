// SPDX-License-Identifier: GPL-2.0-only
/**
 * Why a prediction of sz_applied from one recording of a process may not hold for another
 * run of it: the regions' size limit depends on the address-space layout.
 *
 * DAMON's regions of a vaddr target cover the three ranges `damon_va_three_regions()`
 * (mm/damon/vaddr.c) keeps after leaving out the two biggest gaps, so the gap between the
 * program and its heap stays inside them; the heap starts a random 0-1 GiB above the
 * program on x86-64 (`arch_randomize_brk()`, arch/x86/kernel/process.c, `SZ_1G`). Regions
 * merge up to `damon_region_sz_limit()` (mm/damon/core.c: the bytes the regions span /
 * min_nr_regions), so that gap sets how large the cold regions grow. A vaddr action counts a
 * region's whole length or nothing (`damos_madvise()`), and madvise fails over an unmapped
 * hole (ENOMEM) or, for pageout and cold, a mapping `can_madv_lru_vma()` refuses such as
 * `[vvar]` (EINVAL): which cold regions lie clear of both decides sz_applied. In the VM runs
 * of docs/ACCURACY.md ("stress with the native engine"), stress-ng's libraries were cut into
 * ~15 MiB regions, three of four clear of `[vvar]` and the gaps, in a recording whose heap gap
 * was 25 MiB, and were one 44 MiB region over `[vvar]` in a run whose gap was 1,020 MiB: 155
 * MiB predicted, 0.7 MiB applied.
 */
import { formatSz } from '../core/fmt.js';
import type { Snapshot } from '../core/model.js';
import type { Ranges } from '../format/mappings.js';

/** DAMON's default min_nr_regions (damon_new_ctx), when the recording does not say. */
export const DEFAULT_MIN_NR_REGIONS = 10;

/**
 * How large a random gap can make the monitored span grow or shrink: the heap's offset above
 * the program, arch_randomize_brk() of x86-64 (`randomize_page(mm->brk, SZ_1G)`).
 */
export const BRK_RANDOM_RANGE_BYTES = 1 << 30;

export interface RegionLimitFacts {
  /** Bytes DAMON's regions spanned (all targets), damon_region_sz_limit's sum. */
  spanBytes: number;
  /** damon_region_sz_limit(): spanBytes / min_nr_regions. */
  limitBytes: number;
  /** Bytes of the span no mapping covered. */
  unmappedBytes: number;
  /** The largest contiguous unmapped piece inside the regions. */
  largestHoleBytes: number;
}

/**
 * The size limit the regions of one aggregation (one snapshot per target) had, and the
 * unmapped part of what they spanned. `mappedOf` gives a target's mapped ranges (sorted,
 * disjoint) at that time, or undefined when the recording has none.
 */
export function regionLimitFacts(snaps: readonly Snapshot[], mappedOf: (targetIndex: number) => Ranges | undefined, minNrRegions: number): RegionLimitFacts | null {
  let span = 0;
  let unmapped = 0;
  let largestHole = 0;
  for (const sn of snaps) {
    const mapped = mappedOf(sn.targetIndex);
    if (mapped === undefined) return null;
    // Walk the regions as contiguous blocks; a hole may run across region boundaries.
    let hole = 0;
    let prevEnd: number | null = null;
    let j = 0;
    for (let i = 0; i < sn.starts.length; i++) {
      const start = sn.starts[i] ?? 0;
      const end = sn.ends[i] ?? 0;
      if (end <= start) continue;
      span += end - start;
      if (prevEnd !== start) hole = 0;
      prevEnd = end;
      let at = start;
      while (j < mapped.length && (mapped[j] as [number, number])[1] <= at) j++;
      while (at < end) {
        const m = mapped[j];
        if (m === undefined || m[0] >= end) {
          hole += end - at;
          unmapped += end - at;
          at = end;
        } else if (m[0] > at) {
          hole += m[0] - at;
          unmapped += m[0] - at;
          at = m[0];
        } else {
          hole = 0;
          at = Math.min(end, m[1]);
          if (at === m[1]) j++;
        }
        largestHole = Math.max(largestHole, hole);
      }
    }
  }
  if (span === 0) return null;
  const n = minNrRegions > 0 ? minNrRegions : 1;
  return { spanBytes: span, limitBytes: Math.floor(span / n), unmappedBytes: unmapped, largestHoleBytes: largestHole };
}

/**
 * The note `damo simulate` adds for vaddr schemes whose actions count 0 over gaps, when a
 * random 0-1 GiB gap can change the regions' size limit by half or more (the span is under
 * 2 GiB) and the regions span an unmapped hole; null otherwise.
 */
export function regionLimitNote(facts: RegionLimitFacts | null, minNrRegions: number): string | null {
  if (facts === null || facts.largestHoleBytes === 0) return null;
  if (facts.spanBytes >= 2 * BRK_RANDOM_RANGE_BYTES) return null;
  const sz = (b: number): string => formatSz(b, false);
  return (
    `the regions could grow to ${sz(facts.limitBytes)} in this recording (damon_region_sz_limit: ${sz(facts.spanBytes)} ` +
    `in DAMON's regions / min_nr_regions ${minNrRegions}; ${sz(facts.unmappedBytes)} of it unmapped, the largest hole ` +
    `${sz(facts.largestHoleBytes)}). The heap starts a random 0-1 GiB above the program (x86-64), so another run of it ` +
    'has another limit and other region boundaries; a region over an unmapped gap, or (pageout, cold) over a mapping ' +
    'madvise refuses, applies nothing, so sz_applied can differ by orders of magnitude between runs (docs/ACCURACY.md)'
  );
}
