// SPDX-License-Identifier: GPL-2.0-only
/**
 * DAMON_STAT's two numbers (mm/damon/stat.c, Linux 6.17+), computed from one snapshot the
 * way the kernel computes them from its regions, so that fleet tables of damo-ts recordings
 * and of hosts that only run DAMON_STAT can be compared:
 *
 * - memory_idle_ms_percentiles[101]: regions sorted by damon_stat_idletime() (age + 1
 *   aggregations for a region not accessed in the last one, -(age + 1) for an accessed one),
 *   walked while adding up their bytes; percentile p takes the idle time of the region in
 *   which the running total reaches p% of all bytes (integer division, as the kernel's
 *   unsigned long arithmetic), times aggr_interval / 1000 (C division, toward zero).
 * - estimated_memory_bandwidth: sum of size * nr_accesses, per second of aggregation interval.
 */
import type { Snapshot } from '../core/model.js';

export const NR_PERCENTILES = 101;

/** damon_stat_idletime(): in aggregation intervals, negative for accessed regions. */
function damonStatIdletime(nrAccesses: number, age: number): number {
  return nrAccesses > 0 ? -(age + 1) : age + 1;
}

/** floor(a * 100 / b) for non-negative integers, exact beyond 2^53. */
function percentOf(a: number, b: number): number {
  const x = a * 100;
  if (x <= Number.MAX_SAFE_INTEGER) return Math.floor(x / b);
  return Number((BigInt(a) * 100n) / BigInt(b));
}

/**
 * memory_idle_ms_percentiles of one snapshot; null when a region's age is unknown (damo's
 * oldest formats) or the snapshot covers no bytes. Regions of equal idle time are taken
 * together: the kernel's walk gives them all the same value, so the result is the same.
 */
export function idleMsPercentiles(s: Snapshot, aggrUs: number): number[] | null {
  const n = s.starts.length;
  const bytesByIdle = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const age = s.ages[i] as number;
    if (age < 0) return null;
    const sz = (s.ends[i] as number) - (s.starts[i] as number);
    const idle = damonStatIdletime(s.nrAccesses[i] as number, age);
    bytesByIdle.set(idle, (bytesByIdle.get(idle) ?? 0) + sz);
    total += sz;
  }
  if (total <= 0) return null;
  const idles = [...bytesByIdle.keys()].sort((a, b) => a - b);
  const out: number[] = [];
  let accounted = 0;
  for (const idle of idles) {
    accounted += bytesByIdle.get(idle) as number;
    const reach = percentOf(accounted, total);
    while (out.length < NR_PERCENTILES && out.length <= reach) out.push(Math.trunc((idle * aggrUs) / 1000));
  }
  return out;
}

/** estimated_memory_bandwidth in bytes per second (the kernel's unsigned long division). */
export function estimatedMemoryBandwidth(s: Snapshot, aggrUs: number): number {
  let accessBytes = 0;
  const n = s.starts.length;
  for (let i = 0; i < n; i++) accessBytes += ((s.ends[i] as number) - (s.starts[i] as number)) * (s.nrAccesses[i] as number);
  return Math.floor((accessBytes * 1_000_000) / aggrUs);
}
