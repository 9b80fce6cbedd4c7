// SPDX-License-Identifier: GPL-2.0-only
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { snapshotFromRegions, type Snapshot } from '../../src/core/model.js';
import { estimatedMemoryBandwidth, idleMsPercentiles } from '../../src/fleet/damon_stat.js';

/** The kernel's loop as written in mm/damon/stat.c: one region at a time, after a sort. */
function kernelLoop(s: Snapshot, aggrUs: number): number[] {
  const regions = Array.from(s.starts, (start, i) => ({
    sz: (s.ends[i] as number) - start,
    idle: (s.nrAccesses[i] as number) > 0 ? -((s.ages[i] as number) + 1) : (s.ages[i] as number) + 1,
  })).sort((a, b) => a.idle - b.idle);
  const total = regions.reduce((a, r) => a + r.sz, 0);
  const out = new Array<number>(101).fill(0);
  let next = 0;
  let accounted = 0;
  for (const r of regions) {
    accounted += r.sz;
    while (next <= Math.floor((accounted * 100) / total)) out[next++] = Math.trunc((r.idle * aggrUs) / 1000);
  }
  return out;
}

const regionArb = fc.record({ pages: fc.integer({ min: 1, max: 5000 }), nr: fc.integer({ min: 0, max: 20 }), age: fc.integer({ min: 0, max: 300 }) });

function snapshotOf(regions: Array<{ pages: number; nr: number; age: number }>): Snapshot {
  let addr = 0x1000_0000;
  return snapshotFromRegions(
    0,
    0,
    100e6,
    regions.map((r) => {
      const start = addr;
      addr += r.pages * 4096;
      return { start, end: addr, nrAccesses: r.nr, age: r.age };
    }),
  );
}

describe('DAMON_STAT idle-time percentiles', () => {
  it('equal the kernel loop, region by region, on random snapshots', () => {
    fc.assert(
      fc.property(fc.array(regionArb, { minLength: 1, maxLength: 60 }), fc.constantFrom(5000, 100_000, 1_234_567), (regions, aggrUs) => {
        const s = snapshotOf(regions);
        expect(idleMsPercentiles(s, aggrUs)).toEqual(kernelLoop(s, aggrUs));
      }),
      { numRuns: 300 },
    );
  });

  it('a hand example: 3/4 idle for 10 aggregations, 1/4 hot for 2, aggr 100 ms', () => {
    const s = snapshotOf([
      { pages: 3, nr: 0, age: 9 },
      { pages: 1, nr: 5, age: 1 },
    ]);
    const p = idleMsPercentiles(s, 100_000) as number[];
    expect(p).toHaveLength(101);
    // hot: idle -(1+1) = -2 aggregations = -200 ms, for percentiles 0..25
    expect(p[0]).toBe(-200);
    expect(p[25]).toBe(-200);
    expect(p[26]).toBe(1000);
    expect(p[100]).toBe(1000);
  });

  it('is null when ages are unknown or no byte is covered', () => {
    expect(idleMsPercentiles(snapshotFromRegions(0, 0, 1, [{ start: 0, end: 4096, nrAccesses: 1 }]), 100_000)).toBeNull();
    expect(idleMsPercentiles(snapshotFromRegions(0, 0, 1, []), 100_000)).toBeNull();
  });

  it('estimated memory bandwidth: bytes times accesses per second of aggregation', () => {
    const s = snapshotOf([
      { pages: 1, nr: 10, age: 0 },
      { pages: 2, nr: 0, age: 0 },
    ]);
    expect(estimatedMemoryBandwidth(s, 100_000)).toBe(4096 * 10 * 10);
  });
});
