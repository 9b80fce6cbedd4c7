// SPDX-License-Identifier: GPL-2.0-only
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { snapshotFromRegions, type Snapshot } from '../../src/core/model.js';
import { HeatGrid, heatmapGeometry } from '../../src/report/heatgrid.js';

const snap = (start: number, end: number, regions: Array<[number, number, number]>): Snapshot =>
  snapshotFromRegions(
    0,
    start,
    end,
    regions.map(([s, e, nr]) => ({ start: s, end: e, nrAccesses: nr })),
  );

describe('heatmapGeometry', () => {
  it('floors the units and compensates the range ends like damo', () => {
    const g = heatmapGeometry([1000, 2003], [4096, 4096 + 1001], [10, 10]);
    expect(g.timeUnitNs).toBe(100);
    expect(g.timeEndNs).toBe(2000);
    expect(g.addrUnitBytes).toBe(100);
    expect(g.addrEnd).toBe(4096 + 1000);
  });

  it('is exact for large integer spans', () => {
    const t0 = 539914032967;
    const t1 = 596606618651;
    const g = heatmapGeometry([t0, t1], [0, 1], [500, 1]);
    expect(g.timeUnitNs).toBe(Math.floor((t1 - t0) / 500));
    expect(g.timeEndNs).toBe(t0 + g.timeUnitNs * 500);
  });

  it('rejects empty ranges and resolutions finer than the range', () => {
    expect(() => heatmapGeometry([10, 10], [0, 100], [1, 1])).toThrow(/time range is empty/);
    expect(() => heatmapGeometry([0, 10], [100, 50], [1, 1])).toThrow(/address range is empty/);
    expect(() => heatmapGeometry([0, 10], [0, 100], [20, 1])).toThrow(/shorter than the time resolution/);
    expect(() => heatmapGeometry([0, 10], [0, 100], [1, 200])).toThrow(/smaller than the address resolution/);
  });
});

describe('HeatGrid', () => {
  it('skips the first snapshot of a record, as damo does', () => {
    const grid = new HeatGrid(heatmapGeometry([0, 100], [0, 100], [1, 1]));
    grid.add(snap(0, 100, [[0, 100, 7]]));
    expect(grid.heats[0]).toBe(0);
    expect(grid.nrSnapshots).toBe(0);
    grid.add(snap(0, 100, [[0, 100, 7]]));
    expect(grid.heats[0]).toBe(7);
    expect(grid.nrSnapshots).toBe(1);
  });

  it('averages nr_accesses over each cell\'s time x space area', () => {
    const grid = new HeatGrid(heatmapGeometry([0, 200], [0, 200], [2, 2]));
    grid.add(snap(-100, 0, []));
    // Half of cell (0,0) in time, all of it in space, at 4 accesses; cell (1,1) fully at 10.
    grid.add(snap(0, 50, [[0, 100, 4]]));
    grid.add(snap(100, 200, [[100, 200, 10]]));
    expect(Array.from(grid.heats)).toEqual([2, 0, 0, 10]);
  });

  it('splits regions and snapshots that straddle cell borders', () => {
    const grid = new HeatGrid(heatmapGeometry([0, 100], [0, 100], [2, 2]));
    grid.add(snap(-1, 0, []));
    grid.add(snap(25, 75, [[25, 75, 8]]));
    // Each cell gets a quarter of its area covered at 8 accesses.
    expect(Array.from(grid.heats)).toEqual([2, 2, 2, 2]);
  });

  it('clips to the ranges and ignores what lies outside', () => {
    const grid = new HeatGrid(heatmapGeometry([100, 200], [1000, 2000], [1, 1]));
    grid.add(snap(0, 100, []));
    grid.add(snap(50, 100, [[1000, 2000, 9]])); // before the time range
    grid.add(snap(200, 300, [[1000, 2000, 9]])); // after it
    grid.add(snap(100, 200, [[0, 1000, 9], [2000, 3000, 9]])); // outside the address range
    expect(grid.heats[0]).toBe(0);
  });

  it('gives the cell row times and column addresses damo prints', () => {
    const grid = new HeatGrid(heatmapGeometry([539914032967, 596606618651], [140271510761472, 140271717171200], [4, 3]));
    expect([0, 1, 2, 3].map((i) => grid.rowTime(i) - 539914032967)).toEqual([0, 14173146421, 28346292842, 42519439263]);
    expect([0, 1, 2].map((j) => grid.colAddr(j) - 140271510761472)).toEqual([0, 68803242, 137606484]);
  });

  it('conserves the total access volume inside the ranges', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 1, max: 40 }), fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 20 })), { minLength: 1, maxLength: 8 })),
          { minLength: 2, maxLength: 12 },
        ),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 9 }),
        (shots, tres, ares) => {
          // Lay snapshots end to end and regions side by side from address 0.
          let t = 0;
          const snaps = shots.map(([dur, regions]) => {
            let a = 0;
            const rs = regions.map(([sz, nr]) => {
              const r: [number, number, number] = [a, a + sz, nr];
              a += sz + (sz % 3 === 0 ? 5 : 0); // some gaps
              return r;
            });
            const s = snap(t, t + dur, rs);
            t += dur;
            return s;
          });
          const t0 = snaps[0]!.endNs;
          const tEnd = t;
          const aEnd = Math.max(...snaps.map((s) => s.ends[s.ends.length - 1]!));
          if (tEnd - t0 < tres || aEnd < ares) return;
          const grid = new HeatGrid(heatmapGeometry([t0, tEnd], [0, aEnd], [tres, ares]));
          for (const s of snaps) grid.add(s);
          const g = grid.geometry;
          let expected = 0;
          for (const s of snaps.slice(1)) {
            const dt = Math.min(s.endNs, g.timeEndNs) - Math.max(s.startNs, g.timeStartNs);
            if (dt <= 0) continue;
            for (let i = 0; i < s.starts.length; i++) {
              const da = Math.min(s.ends[i]!, g.addrEnd) - Math.max(s.starts[i]!, g.addrStart);
              if (da > 0) expected += s.nrAccesses[i]! * dt * da;
            }
          }
          let got = 0;
          for (const h of grid.heats) got += h * g.timeUnitNs * g.addrUnitBytes;
          expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, expected));
        },
      ),
      { numRuns: 200 },
    );
  });
});

/**
 * damo's add_heats as a plain loop over every column a region touches: what HeatGrid must
 * give bit for bit, also where it takes the columns a region covers whole in one step.
 */
function referenceHeats(g: ReturnType<typeof heatmapGeometry>, snaps: readonly Snapshot[]): Float64Array {
  const heats = new Float64Array(g.timeResol * g.addrResol);
  const pixelSz = g.timeUnitNs * g.addrUnitBytes;
  for (const s of snaps.slice(1)) {
    const end = Math.min(s.endNs, g.timeEndNs);
    let tStart = Math.max(s.startNs, g.timeStartNs);
    let timeIdx = Math.trunc((tStart - g.timeStartNs) / g.timeUnitNs);
    while (tStart < end && timeIdx < g.timeResol) {
      const tEnd = Math.min((timeIdx + 1) * g.timeUnitNs + g.timeStartNs, end);
      const duration = tEnd - tStart;
      for (let r = 0; r < s.starts.length; r++) {
        const start = Math.max(s.starts[r]!, g.addrStart);
        const rEnd = Math.min(s.ends[r]!, g.addrEnd);
        if (start >= rEnd) continue;
        let fracStart = start;
        let addrIdx = Math.trunc((fracStart - g.addrStart) / g.addrUnitBytes);
        while (fracStart < rEnd && addrIdx < g.addrResol) {
          const fracEnd = Math.min((addrIdx + 1) * g.addrUnitBytes + g.addrStart, rEnd);
          let heat = s.nrAccesses[r]! * duration * (fracEnd - fracStart);
          const idx = timeIdx * g.addrResol + addrIdx;
          heat += heats[idx]! * pixelSz;
          heats[idx] = heat / pixelSz;
          fracStart = fracEnd;
          addrIdx += 1;
        }
      }
      tStart = tEnd;
      timeIdx += 1;
    }
  }
  return heats;
}

describe('HeatGrid against the plain loop', () => {
  it('gives the same bits on regions that cover columns whole, in part, or not at all', () => {
    fc.assert(
      fc.property(
        // Sizes and times large enough that the products round (as on real recordings).
        fc.array(fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 36 }), fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 0, max: 20 })), { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 ** 47 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 2 ** 33 }),
        (shots, base, tres, ares, trim) => {
          const snaps = shots.map((regions, i) => {
            let a = base;
            const rs = regions.map(([sz, gap, nr]) => {
              const r: [number, number, number] = [a + gap, a + gap + sz, nr];
              a += gap + sz;
              return r;
            });
            return snap(999_999_937 * i + 7, 999_999_937 * (i + 1) + 3, rs);
          });
          const aEnd = Math.max(...snaps.map((s) => s.ends[s.ends.length - 1]!));
          const a0 = base + trim;
          if (aEnd - a0 < ares) return;
          const g = heatmapGeometry([snaps[0]!.endNs, snaps[snaps.length - 1]!.endNs], [a0, aEnd], [tres, ares]);
          // The cells in WebAssembly (heat_rows.ts) and in JavaScript.
          const grid = new HeatGrid(g);
          const jsGrid = new HeatGrid(g, false);
          for (const s of snaps) {
            grid.add(s);
            jsGrid.add(s);
          }
          const expected = Array.from(referenceHeats(g, snaps));
          expect(Array.from(grid.heats)).toEqual(expected);
          expect(Array.from(jsGrid.heats)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
