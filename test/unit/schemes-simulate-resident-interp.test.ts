// SPDX-License-Identifier: GPL-2.0-only
/**
 * Resident pages between the recorder's readings (src/schemes/resident_interp.ts; rule 1 of
 * docs/ACCURACY.md): a resident set that grows between two readings seconds apart (xz in
 * the VM, 30 -> 90 MiB over 20 s) counts the pages that came in between in proportion to
 * the time, not only once the next reading shows them.
 */
import { describe, expect, it } from 'vitest';

import { snapshotFromRegions } from '../../src/core/model.js';
import { MappingHistory, type Ranges } from '../../src/format/mappings.js';
import { interpolateRanges } from '../../src/schemes/resident_interp.js';
import { SchemesSimulator, type SimulationOptions } from '../../src/schemes/simulate.js';
import { parseSchemeLine } from '../../src/schemes/text.js';

const K = 4096;
const MS = 1_000_000;
const OPTS: SimulationOptions = { intervals: { sampleUs: 5000, aggrUs: 100000 }, ops: 'vaddr', minRegionSz: K };

function history(...readings: Array<[number, Ranges]>): MappingHistory {
  const h = new MappingHistory();
  for (const [t, r] of readings) h.add(t, r);
  return h;
}

const cold = (startMs: number, endMs: number) => snapshotFromRegions(0, startMs * MS, endMs * MS, [{ start: 0, end: 64 * K, nrAccesses: 0, age: 10 }]);

describe('resident pages between readings', () => {
  it('finds the readings after the first through at() alone', () => {
    expect(history([100 * MS, []]).changeTimes()).toEqual([]);
    expect(history([100 * MS, []], [1100 * MS, [[0, K]]], [3_000_000_123, [[0, 2 * K]]]).changeTimes()).toEqual([1100 * MS, 3_000_000_123]);
    // Several readings at one time: the last is in effect from then on.
    expect(history([100 * MS, []], [100 * MS, [[0, K]]], [900 * MS, [[0, K]]], [900 * MS, []]).changeTimes()).toEqual([100 * MS, 900 * MS]);
  });

  it('interpolates: both stay, the share f of what came, 1 - f of what went, page-aligned', () => {
    const a: Ranges = [
      [0, 8 * K],
      [32 * K, 40 * K],
    ];
    const b: Ranges = [
      [0, 24 * K],
      [32 * K, 36 * K],
    ];
    // (K is one page here.) Came: [8K, 24K), so half is [8K, 16K). Went: [36K, 40K), half
    // of it still there: [36K, 38K).
    expect(interpolateRanges(a, b, 0.5, K)).toEqual([
      [0, 16 * K],
      [32 * K, 38 * K],
    ]);
    expect(interpolateRanges(a, b, 0.25, K)).toEqual([
      [0, 12 * K],
      [32 * K, 39 * K],
    ]);
    // Half a page rounds to a page.
    expect(interpolateRanges([], [[0, K]], 0.5, K)).toEqual([[0, K]]);
    expect(interpolateRanges(a, b, 0, K)).toBe(a);
    expect(interpolateRanges(a, b, 1, K)).toBe(b);
  });

  it('a pageout halfway between two readings pages out half of what came in between', () => {
    // Mapped [0, 64K); resident [0, 4K) at the first reading (just after the first aggregation,
    // 100 ms), [0, 44K) at the next one (1100 ms).
    const resident = new Map([[0, history([100 * MS, [[0, 4 * K]]], [1100 * MS, [[0, 44 * K]]])]]);
    const mappings = new Map([[0, history([0, [[0, 64 * K]]])]]);
    const sim = new SchemesSimulator([parseSchemeLine('4K max 0 0 0us max pageout')], { ...OPTS, mappings, resident });
    sim.step([cold(0, 100)]);
    expect(sim.result().schemes[0]?.effects.finalBytes).toBe(4 * K);
    // 600 ms: half way, so 20K of the 40K that came are resident too. The latest reading
    // alone (the rule until 2026-12-06) says 4K.
    sim.step([cold(500, 600)]);
    expect(sim.result().schemes[0]?.effects.finalBytes).toBe(24 * K);
    // After the next reading, all of it; after the last one, the last one.
    sim.step([cold(1100, 1200)]);
    expect(sim.result().schemes[0]?.effects.finalBytes).toBe(44 * K);
  });
});
