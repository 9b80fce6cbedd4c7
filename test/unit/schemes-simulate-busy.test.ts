// SPDX-License-Identifier: GPL-2.0-only
/**
 * kdamond applies actions synchronously and samples nothing meanwhile: a slow pageout leaves
 * it fewer aggregations in the same time (issue 19: under TCG a first pageout of ~90 MiB took
 * 4.9 s, and the kernel had 14 aggregations in a run the recording had 45 for).
 */
import { describe, expect, it } from 'vitest';

import { snapshotFromRegions } from '../../src/core/model.js';
import { SchemesSimulator, type SimulationOptions } from '../../src/schemes/simulate.js';
import { parseSchemeLine } from '../../src/schemes/text.js';

const MiB = 1048576;
const MS = 1_000_000;
const OPTS: SimulationOptions = { intervals: { sampleUs: 5000, aggrUs: 100000 }, ops: 'vaddr', minRegionSz: 4096 };

/** 20 aggregations of 100 ms: one cold 10 MiB region, and a hot 1 MiB one after it. */
function run(scheme: string, extra: Partial<SimulationOptions>) {
  const sim = new SchemesSimulator([parseSchemeLine(scheme)], { ...OPTS, ...extra });
  for (let i = 0; i < 20; i++) {
    sim.step([
      snapshotFromRegions(0, i * 100 * MS, (i + 1) * 100 * MS, [
        { start: 0, end: 10 * MiB, nrAccesses: 0, age: i },
        { start: 10 * MiB, end: 11 * MiB, nrAccesses: 20, age: i },
      ]),
    ]);
  }
  return sim.result();
}

describe('simulate: the time kdamond spends paging out', () => {
  it("at the kernel's first guess (4 GiB/s) 10 MiB costs no aggregation", () => {
    const r = run('4K max 0 0 0us max pageout', {});
    expect(r.nrSteps).toBe(20);
    expect(r.schemes[0]?.stats.nrTried).toBe(20);
    expect(r.notes.some((n) => n.includes('paging out'))).toBe(false);
  });

  it('at 10 MiB/s the first pass takes 1 s: ten aggregations pass without sampling', () => {
    const r = run('4K max 0 0 0us max pageout', { pageoutBytesPerSec: 10 * MiB });
    // applied at 100 ms, busy until 1.1 s: aggregations 2..11 (midpoints 150..1050 ms) are lost
    expect(r.nrSteps).toBe(10);
    const s = r.schemes[0];
    expect(s?.stats.nrTried).toBe(10);
    expect(s?.stats.szApplied).toBe(10 * 10 * MiB);
    // paging out again what is already out costs nothing more
    expect(s?.effects.enteredBytes).toBe(10 * MiB);
    expect(r.notes.find((n) => n.includes('paging out'))).toContain('10 of the 20 recorded aggregations');
    // the timeline still covers every recorded aggregation, with nothing applied in the lost ones
    expect(r.timeline.timesNs.length).toBe(20);
    expect(r.timeline.schemes[0]?.szApplied.slice(1, 11).every((b) => b === 0)).toBe(true);
  });

  it('ages count the kernel aggregations only: lost ones do not bring the next application closer', () => {
    // min age 3 aggregations (300 ms): applied at the 4th aggregation (recorded age 3), then
    // 1 s lost, then again only 3 aggregations of its own after the first one after the loss.
    const r = run('4K max 0 0 300ms max pageout', { pageoutBytesPerSec: 10 * MiB });
    const applied = r.timeline.schemes[0]?.szApplied ?? [];
    const at = applied.flatMap((b, i) => (b > 0 ? [i + 1] : []));
    // 4th at 400 ms; busy until 1.4 s (aggregations 5..14 lost); its own aggregations 15, 16
    // and 17 age it to 3 at the 17th, and 18, 19, 20 again (paging out what is out is free)
    expect(at).toEqual([4, 17, 20]);
    expect(r.nrSteps).toBe(10);
  });

  it('does not stop actions other than pageout', () => {
    const r = run('4K max 0 0 0us max cold', { pageoutBytesPerSec: 10 * MiB });
    expect(r.nrSteps).toBe(20);
  });
});
