// SPDX-License-Identifier: GPL-2.0-only
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { emptyHeader, snapshotFromRegions, type Snapshot, type TraceSource } from '../../src/core/model.js';
import { computeGuides, ExactSum, hottestRegion, overlappingRegions } from '../../src/report/guide.js';

function source(ids: Array<bigint | null>, snaps: Snapshot[]): TraceSource {
  return {
    path: 'test.data',
    header: emptyHeader({ targets: ids.map((id) => ({ id })) }),
    snapshots: async function* () {
      yield* snaps;
    },
    trailer: () => null,
    warnings: [],
  };
}

const snap = (target: number, end: number, regions: Array<[number, number, number]>): Snapshot =>
  snapshotFromRegions(target, end - 100, end, regions.map(([start, e, nr]) => ({ start, end: e, nrAccesses: nr })));

/** damo's overlapping_regions, literally. */
function naiveOverlap(oldGaps: Array<[number, number]>, newGaps: Array<[number, number]>): Array<[number, number]> {
  return oldGaps.map(([s0, e0]) => {
    let s = s0;
    let e = e0;
    for (const [ns, ne] of newGaps) {
      if (!(e < ns || ne < s)) {
        s = Math.max(s, ns);
        e = Math.min(e, ne);
      }
    }
    return [s, e];
  });
}

describe('guide', () => {
  it('takes the time span from snapshot END times and splits at gaps present in every snapshot', async () => {
    const guides = await computeGuides(
      source(
        [42n],
        [
          snap(0, 1000, [[100, 200, 1], [300, 400, 0], [900, 1000, 0]]),
          snap(0, 1100, [[100, 250, 0], [300, 400, 5], [950, 1000, 0]]),
        ],
      ),
    );
    expect(guides).toHaveLength(1);
    const g = guides[0]!;
    expect(g.tid).toBe(42n);
    expect([g.startNs, g.endNs]).toEqual([1000, 1100]);
    // Gaps [200,300],[400,900] intersected with [250,300],[400,950] => [250,300],[400,900].
    expect(g.contigRegions.map((r) => [r.start, r.end])).toEqual([
      [100, 250],
      [300, 400],
      [900, 1000],
    ]);
    // 100-200 at 1 access touches only the first range; 300-400 at 5 only the second.
    expect(g.contigRegions.map((r) => r.heats?.value() ?? null)).toEqual([100n, 500n, null]);
    expect(hottestRegion(g)).toBe(g.contigRegions[1]);
  });

  it('counts a region that merely touches a range (inclusive compare) with its full size', async () => {
    const guides = await computeGuides(
      source([1n], [snap(0, 10, [[1000, 1100, 3], [1200, 1300, 0]]), snap(0, 20, [[1000, 1100, 0], [1100, 1150, 0], [1200, 1300, 0]])]),
    );
    const g = guides[0]!;
    // Gap [1100,1200] narrowed by [1150,1200].
    expect(g.contigRegions.map((r) => [r.start, r.end])).toEqual([
      [1000, 1150],
      [1200, 1300],
    ]);
    // 1000-1100 at 3 accesses touches [1000,1150] only: 100 bytes x 3.
    expect(g.contigRegions.map((r) => r.heats?.value() ?? null)).toEqual([300n, null]);
  });

  it('treats address 0 as unset, like damo', async () => {
    const guides = await computeGuides(source([0n], [snap(0, 10, [[0, 100, 1], [200, 300, 1]])]));
    const g = guides[0]!;
    // The lowest address 0 is "unset", so the next start (200) replaces it; and the first
    // region's end (100) starts the gap search.
    expect(g.lowestAddr).toBe(200);
    expect(g.gaps).toEqual([[100, 200]]);
  });

  it('sorts targets by total contiguous space, keeping file order on ties', async () => {
    const guides = await computeGuides(
      source(
        [1n, 2n, 3n],
        [snap(0, 10, [[10, 20, 0]]), snap(1, 10, [[10, 110, 0]]), snap(2, 10, [[10, 20, 0]])],
      ),
    );
    expect(guides.map((g) => g.tid)).toEqual([2n, 1n, 3n]);
  });

  it('narrows gaps exactly like damo\'s quadratic overlapping_regions', () => {
    const gaps = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 20 })), { maxLength: 8 })
      .map((parts) => {
        let a = 0;
        return parts.map(([skip, len]): [number, number] => {
          const s = a + skip;
          a = s + len + 1;
          return [s, s + len];
        });
      });
    fc.assert(
      fc.property(gaps, gaps, (oldGaps, newGaps) => {
        expect(overlappingRegions(oldGaps, newGaps)).toEqual(naiveOverlap(oldGaps, newGaps));
      }),
      { numRuns: 500 },
    );
  });

  it('sums heats exactly beyond 2^53', () => {
    const sum = new ExactSum();
    for (let i = 0; i < 1000; i++) sum.add(2 ** 47 + 1, 400);
    expect(sum.value()).toBe(1000n * (2n ** 47n + 1n) * 400n);
  });
});
