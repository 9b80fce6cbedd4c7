// SPDX-License-Identifier: GPL-2.0-only
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { heatCells, heatCellsUseWasm } from '../../src/report/heat_rows.js';

/** damo's update of one cell, as JavaScript computes it. */
const update = (h: number, whole: number, pixelSz: number): number => (whole + h * pixelSz) / pixelSz;

describe('heatCells', () => {
  it('runs the update in WebAssembly on this Node', () => {
    // Otherwise every heat map test would silently test only the JavaScript loop.
    expect(heatCellsUseWasm()).toBe(true);
    expect(heatCells(10).wholeRun).not.toBeNull();
    expect(heatCells(10, false).wholeRun).toBeNull();
  });

  it('gives zero cells of the asked number, also past one WebAssembly page', () => {
    for (const n of [1, 8191, 8192, 8193, 250_000]) {
      const { heats } = heatCells(n);
      expect(heats.length).toBe(n);
      expect(heats.every((h) => Object.is(h, 0))).toBe(true);
    }
  });

  it('updates exactly the cells of a run, with the same bits as JavaScript, at any offset and length', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 63 }),
            fc.integer({ min: 0, max: 9 }),
            // Products of a count, a duration and a cell width, as addHeats makes them.
            fc.integer({ min: 0, max: 20 }),
            fc.integer({ min: 1, max: 2 ** 30 }),
            fc.integer({ min: 1, max: 2 ** 36 }),
            fc.integer({ min: 1, max: 2 ** 30 }),
          ),
          { minLength: 1, maxLength: 40 },
        ),
        (runs) => {
          const { heats, wholeRun } = heatCells(72);
          const expected = new Float64Array(72);
          // The NaN-as-zero update on cells that start as NaN, as damo 3.3.0's heatmap's do.
          const nanCells = heatCells(72);
          nanCells.heats.fill(NaN);
          const nanExpected = new Float64Array(72).fill(NaN);
          for (const [from, n, nr, duration, width, timeUnit] of runs) {
            const whole = nr * duration * width;
            const pixelSz = timeUnit * width;
            wholeRun!(from * 8, n, whole, pixelSz);
            nanCells.wholeRunNanAsZero!(from * 8, n, whole, pixelSz);
            for (let j = from; j < from + n; j++) {
              expected[j] = update(expected[j]!, whole, pixelSz);
              const prev = nanExpected[j]!;
              nanExpected[j] = update(prev !== prev ? 0 : prev, whole, pixelSz);
            }
          }
          for (let j = 0; j < 72; j++) {
            expect(Object.is(heats[j], expected[j])).toBe(true);
            expect(Object.is(nanCells.heats[j], nanExpected[j])).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
