// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's heatmap grid (report/heatmap_map.ts): the loop that takes the columns a
 * region covers whole in one step gives the same bits as the cell-by-cell loop (damo's order
 * of float operations), with and without monitoring intervals, over ages and snapshots that
 * straddle cells.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { snapshotFromRegions, spanOfSnapshot, emptySpan, type Intervals } from '../../src/core/model.js';
import { HeatMap330 } from '../../src/report/heatmap_map.js';

describe('HeatMap330', () => {
  it('gives the same bits with whole columns taken at once as cell by cell', () => {
    fc.assert(
      fc.property(
        // Sizes and times large enough that the products round (as on real recordings).
        fc.array(fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 36 }), fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 ** 47 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 2 ** 33 }),
        fc.boolean(),
        (shots, base, tres, ares, trim, withIntervals) => {
          const snaps = shots.map((regions, i) => {
            let a = base;
            const rs = regions.map(([sz, gap, nr, age]) => {
              const r = { start: a + gap, end: a + gap + sz, nrAccesses: nr, age };
              a += gap + sz;
              return r;
            });
            return snapshotFromRegions(0, 999_999_937 * i + 7, 999_999_937 * (i + 1) + 3, rs);
          });
          const aEnd = Math.max(...snaps.map((s) => s.ends[s.ends.length - 1]!));
          const a0 = base + trim;
          const t0 = snaps[0]!.startNs;
          const t1 = snaps[snaps.length - 1]!.endNs;
          if (aEnd - a0 < ares || t1 - t0 < tres) return;
          const intervals: Intervals | null = withIntervals ? { sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 1000000 } : null;
          // Whole columns in WebAssembly (heat_rows.ts), in a JavaScript loop, and cell by cell.
          const fast = new HeatMap330([t0, t1], [a0, aEnd], [tres, ares], intervals, undefined, false, 0);
          const fastJs = new HeatMap330([t0, t1], [a0, aEnd], [tres, ares], intervals, undefined, false, 0, false);
          const slow = new HeatMap330([t0, t1], [a0, aEnd], [tres, ares], intervals, undefined, false, 0, false);
          (slow as unknown as { exactColumns: boolean }).exactColumns = false;
          const span = emptySpan();
          for (const s of snaps) {
            fast.add(spanOfSnapshot(s, span), s.startNs, s.endNs);
            fastJs.add(spanOfSnapshot(s, span), s.startNs, s.endNs);
            slow.add(spanOfSnapshot(s, span), s.startNs, s.endNs);
          }
          const expected = Array.from(slow.heats);
          expect(Array.from(fast.heats)).toEqual(expected);
          expect(Array.from(fastJs.heats)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps NaN (never touched) cells as NaN next to updated ones', () => {
    const map = new HeatMap330([0, 1000], [0, 4096 * 64], [1, 64], null, undefined, false, 0);
    const span = emptySpan();
    map.add(spanOfSnapshot(snapshotFromRegions(0, 0, 1000, [{ start: 4096 * 8, end: 4096 * 40, nrAccesses: 5, age: 0 }]), span), 0, 1000);
    const heats = Array.from(map.heats);
    expect(heats.slice(0, 8).every(Number.isNaN)).toBe(true);
    expect(heats.slice(8, 40)).toEqual(Array(32).fill(5));
    // damo touches the column where the region ends (int((end - start) / unit)) even when
    // none of it is covered: 0 bytes make it 0.
    expect(heats[40]).toBe(0);
    expect(heats.slice(41).every(Number.isNaN)).toBe(true);
    // The same as cell by cell.
    const slow = new HeatMap330([0, 1000], [0, 4096 * 64], [1, 64], null, undefined, false, 0, false);
    (slow as unknown as { exactColumns: boolean }).exactColumns = false;
    slow.add(spanOfSnapshot(snapshotFromRegions(0, 0, 1000, [{ start: 4096 * 8, end: 4096 * 40, nrAccesses: 5, age: 0 }]), span), 0, 1000);
    expect(heats).toEqual(Array.from(slow.heats));
  });
});
