// SPDX-License-Identifier: GPL-2.0-only
/**
 * The contiguous ranges' heats counted in the gaps pass (GuideScanner with countHeats,
 * src/report/guide.ts "Heats in the gaps pass") against the second pass that counts them
 * over the final ranges (GuideHeatCounter): the same exact sums on recordings whose gaps
 * narrow, close to a point, fill with new regions and grow at both ends.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { snapshotFromRegions, type Snapshot } from '../../src/core/model.js';
import { GuideHeatCounter, GuideScanner, type GuideInfo } from '../../src/report/guide.js';

const ids = [1n, 2n];

function heatsByTwoPasses(snaps: Snapshot[]): Array<Array<bigint | null>> {
  const scanner = new GuideScanner(ids);
  for (const s of snaps) scanner.add(s);
  const guides = scanner.finish();
  const counter = new GuideHeatCounter(ids, guides);
  for (const s of snaps) counter.add(s);
  return heatsOf(guides);
}

function heatsOf(guides: GuideInfo[]): Array<Array<bigint | null>> {
  return guides.map((g) => g.contigRegions.map((r) => r.heats?.value() ?? null));
}

function onePass(snaps: Snapshot[]): { counted: boolean; heats: Array<Array<bigint | null>>; ranges: string } {
  const scanner = new GuideScanner(ids, {}, true);
  for (const s of snaps) scanner.add(s);
  const guides = scanner.finish();
  return { counted: scanner.heatsCounted(), heats: heatsOf(guides), ranges: JSON.stringify(guides.map((g) => g.contigRegions.map((r) => [r.start, r.end]))) };
}

function rangesOf(snaps: Snapshot[]): string {
  const scanner = new GuideScanner(ids);
  for (const s of snaps) scanner.add(s);
  return JSON.stringify(scanner.finish().map((g) => g.contigRegions.map((r) => [r.start, r.end])));
}

/**
 * A snapshot of sorted regions over address slots 1..40 (x 4096): each slot is a region
 * boundary or not, and present or not (absent slots are gaps), nr_accesses 0-20.
 */
const snapshotArb = (target: number, k: number) =>
  fc.array(fc.tuple(fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 20 })), { minLength: 40, maxLength: 40 }).map((slots) => {
    const regions: Array<{ start: number; end: number; nrAccesses: number }> = [];
    let open: { start: number; end: number; nrAccesses: number } | null = null;
    slots.forEach(([present, boundary, nr], i) => {
      const a = (i + 1) * 4096;
      if (!present) {
        open = null;
        return;
      }
      if (open === null || boundary) {
        open = { start: a, end: a + 4096, nrAccesses: nr };
        regions.push(open);
      } else open.end = a + 4096;
    });
    if (regions.length === 0) regions.push({ start: 4096, end: 8192, nrAccesses: 1 });
    return snapshotFromRegions(target, k * 100, k * 100 + 100, regions);
  });

/** Snapshots whose gaps mostly persist: a base layout, then layouts that fill or open slots. */
const recordingArb = fc
  .tuple(snapshotArb(0, 0), fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.nat(1000)), { minLength: 1, maxLength: 25 }), fc.array(snapshotArb(0, 1), { minLength: 1, maxLength: 25 }))
  .map(([first, picks, others]) =>
    [first, ...picks.map(([t, j], k) => {
      // Half the time the first snapshot again (its gaps persist), else another layout.
      const from = j % 2 === 0 ? first : others[j % others.length]!;
      return snapshotFromRegions(t, (k + 1) * 100, (k + 1) * 100 + 100, Array.from(from.starts, (s, i) => ({ start: s, end: from.ends[i]!, nrAccesses: from.nrAccesses[i]! })));
    })],
  );

describe('guide heats counted in the gaps pass', () => {
  it('equal the second pass over the final ranges, exactly, whenever the scanner counted them', () => {
    let counted = 0;
    fc.assert(
      fc.property(recordingArb, (snaps) => {
        const one = onePass(snaps);
        expect(one.ranges).toBe(rangesOf(snaps));
        if (one.counted) {
          counted++;
          expect(one.heats).toEqual(heatsByTwoPasses(snaps));
        } else {
          expect(one.heats.every((g) => g.every((h) => h === null))).toBe(true);
        }
      }),
      { numRuns: 400, seed: 19 },
    );
    // The property would say nothing if the scanner always gave up.
    expect(counted).toBeGreaterThan(300);
  });

  it('settles regions in a gap that later narrows to reach them, and a gap closed to a point', () => {
    const s = (k: number, regions: Array<[number, number, number]>) =>
      snapshotFromRegions(0, k * 100, k * 100 + 100, regions.map(([start, end, nrAccesses]) => ({ start, end, nrAccesses })));
    const snaps = [
      s(0, [[10, 20, 1], [40, 50, 1]]), // gap [20, 40]
      s(1, [[10, 25, 2], [35, 50, 3]]), // a region reaching into the gap from each side
      s(2, [[10, 30, 4], [30, 50, 5]]), // no gap: the old one stays [20, 40]
      s(3, [[10, 30, 6], [31, 50, 7]]), // gap [30, 31]: the ranges become [10, 30] and [31, 50]
    ];
    const one = onePass(snaps);
    expect(one.counted).toBe(true);
    expect(one.ranges).toBe('[[[10,30],[31,50]]]');
    expect(one.heats).toEqual(heatsByTwoPasses(snaps));
    // [10, 30]: 10x1 + 15x2 + 20x4 + 20x5 (the region starting at 30 touches it) + 20x6.
    expect(one.heats[0]![0]).toBe(BigInt(10 + 30 + 80 + 100 + 120));
  });

  it('gives the ranges back to the second pass on a region at address 0 or regions out of order', () => {
    const s = (k: number, regions: Array<[number, number, number]>) =>
      snapshotFromRegions(0, k * 100, k * 100 + 100, regions.map(([start, end, nrAccesses]) => ({ start, end, nrAccesses })));
    expect(onePass([s(0, [[0, 20, 1], [40, 50, 1]])]).counted).toBe(false);
    expect(onePass([s(0, [[40, 50, 1], [10, 20, 1]])]).counted).toBe(false);
    // A first snapshot without gaps, then one with: the number of ranges changed.
    expect(onePass([s(0, [[10, 50, 1]]), s(1, [[10, 20, 1], [40, 50, 1]])]).counted).toBe(false);
  });

  it('gives up when too many region bounds wait in gaps, and the second pass still counts', () => {
    // The first snapshot's gap [2, 80,000) pages; the second covers it with one-page regions
    // and no gap, so the gap stays and 80,000 region ends wait in it.
    const page = 4096;
    const first = snapshotFromRegions(0, 0, 100, [
      { start: page, end: 2 * page, nrAccesses: 1 },
      { start: 80_000 * page, end: 80_001 * page, nrAccesses: 1 },
    ]);
    const covering = snapshotFromRegions(0, 100, 200, Array.from({ length: 80_000 }, (_, i) => ({ start: (i + 1) * page, end: (i + 2) * page, nrAccesses: 1 })));
    expect(onePass([first, covering]).counted).toBe(false);
    // 20,000 of them (and their starts) wait within the bound, and settle to the second
    // pass's figures.
    const half = snapshotFromRegions(0, 100, 200, [
      ...Array.from({ length: 20_000 }, (_, i) => ({ start: (i + 1) * page, end: (i + 2) * page, nrAccesses: 1 })),
      { start: 20_001 * page, end: 80_001 * page, nrAccesses: 2 },
    ]);
    const one = onePass([first, half]);
    expect(one.counted).toBe(true);
    expect(one.heats).toEqual(heatsByTwoPasses([first, half]));
  });
});
