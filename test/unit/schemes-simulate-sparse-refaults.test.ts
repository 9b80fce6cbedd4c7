// SPDX-License-Identifier: GPL-2.0-only
/**
 * Refaults from few samples (issue 19, docs/ACCURACY.md "Refaults from few samples"): the
 * part of simulate's refault figure taken on regions seen accessed in at most a tenth of an
 * aggregation's samples, and the note when it is most of a figure that matters.
 */
import { describe, expect, it } from 'vitest';

import { snapshotFromRegions } from '../../src/core/model.js';
import { MappingHistory } from '../../src/format/mappings.js';
import { simulationJson } from '../../src/schemes/report.js';
import { SchemesSimulator, type SimulationOptions } from '../../src/schemes/simulate.js';
import { parseSchemeLine } from '../../src/schemes/text.js';

const K = 4096;
const MS = 1_000_000;
// 20 samples per aggregation: at most 2 of them is few.
const OPTS: SimulationOptions = { intervals: { sampleUs: 5000, aggrUs: 100000 }, ops: 'vaddr', minRegionSz: K };

/** `pages` pages paged out at step 1, then seen accessed in `nr` of 20 samples at step 2. */
function simulate(pages: number, nr: number) {
  const h = new MappingHistory();
  h.add(0, [[0, pages * K]]);
  const sim = new SchemesSimulator([parseSchemeLine('min max 0 0 200ms max pageout')], { ...OPTS, mappings: new Map([[0, h]]) });
  sim.step([snapshotFromRegions(0, 0, 100 * MS, [{ start: 0, end: pages * K, nrAccesses: 0, age: 2 }])]);
  sim.step([snapshotFromRegions(0, 100 * MS, 200 * MS, [{ start: 0, end: pages * K, nrAccesses: nr, age: 0 }])]);
  return sim.result();
}

const noteOf = (notes: readonly string[] | undefined) => (notes ?? []).find((n) => n.includes('Refaults from few samples'));

describe('refaults from few samples', () => {
  it('counts the refaults of a region seen accessed in 1 of 20 samples as sparse, and notes them', () => {
    // 1,000 pages out; 1 - 0.95^20 = 64 % of them refault: 642 pages, 2.5 MiB.
    const r = simulate(1000, 1);
    const s = r.schemes[0];
    expect(s?.effects.reaccessedBytes).toBe(642 * K);
    expect(s?.effects.reaccessedSparseBytes).toBe(642 * K);
    expect(noteOf(s?.notes)).toMatch(/^100 % of the bytes counted as accessed again came from regions seen accessed in at most 2 of the 20 samples/);
    const json = simulationJson(r, { input: 'x', schemesName: 'x', intervalsSource: 'recording', opsSource: 'recording' }) as {
      schemes: Array<{ effects: Record<string, unknown>; notes: string[] }>;
    };
    expect(json.schemes[0]?.effects.reaccessed_sparse_bytes).toBe(642 * K);
    expect(noteOf(json.schemes[0]?.notes)).toBeDefined();
  });

  it('takes 2 of 20 samples as few, 3 as not', () => {
    expect(simulate(1000, 2).schemes[0]?.effects.reaccessedSparseBytes).toBeGreaterThan(0);
    const s = simulate(1000, 3).schemes[0];
    expect(s?.effects.reaccessedBytes).toBeGreaterThan(0);
    expect(s?.effects.reaccessedSparseBytes).toBe(0);
    expect(noteOf(s?.notes)).toBeUndefined();
  });

  it('says nothing about a figure under 1 MiB', () => {
    // 200 pages out, 128 refault: 512 KiB, all of it sparse.
    const s = simulate(200, 1).schemes[0];
    expect(s?.effects.reaccessedSparseBytes).toBe(128 * K);
    expect(noteOf(s?.notes)).toBeUndefined();
  });
});
