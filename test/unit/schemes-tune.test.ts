// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import type { DamoError } from '../../src/core/errors.js';
import { emptyHeader, snapshotFromRegions, type Snapshot, type TraceSource } from '../../src/core/model.js';
import { expandTemplate, tuneSchemes } from '../../src/schemes/tune.js';

describe('template expansion', () => {
  it('expands alternatives, arithmetic and geometric ranges with the field units', () => {
    expect(expandTemplate('4K max 0|5 10 1s..4s*2 max pageout').lines).toEqual([
      '4K max 0 10 1s max pageout',
      '4K max 0 10 2s max pageout',
      '4K max 0 10 4s max pageout',
      '4K max 5 10 1s max pageout',
      '4K max 5 10 2s max pageout',
      '4K max 5 10 4s max pageout',
    ]);
    expect(expandTemplate('4K..16K:4K max 0..10:5 0 5s max pageout|cold').lines).toHaveLength(4 * 3 * 2);
    expect(expandTemplate('min max 0 0 1.5s..3s:500ms max pageout').lines.map((l) => l.split(' ')[4])).toEqual(['1.5s', '2s', '2.5s', '3s']);
    expect(expandTemplate('min max 0 0 5s max pageout quota_sz=1M..16M*4 quota_reset=1s|10s').lines).toEqual([
      'min max 0 0 5s max pageout quota_sz=1M quota_reset=1s',
      'min max 0 0 5s max pageout quota_sz=1M quota_reset=10s',
      'min max 0 0 5s max pageout quota_sz=4M quota_reset=1s',
      'min max 0 0 5s max pageout quota_sz=4M quota_reset=10s',
      'min max 0 0 5s max pageout quota_sz=16M quota_reset=1s',
      'min max 0 0 5s max pageout quota_sz=16M quota_reset=10s',
    ]);
  });

  it('explains bad ranges with the column', () => {
    expect(() => expandTemplate('min max 0 0 1s..5s max pageout')).toThrow(/needs a step/);
    expect(() => expandTemplate('min max 0 0 0s..5s*2 max pageout')).toThrow(/cannot start at 0/);
    try {
      expandTemplate('min max 0 0 5s max pageout..cold:1');
      expect.unreachable();
    } catch (err) {
      expect((err as DamoError).message).toContain('<template>:1:20: action');
      expect((err as DamoError).message).toContain('no numeric kind');
    }
    expect(() => expandTemplate('1B..5000B:1B 1B..5000B:1B 0 0 5s max pageout')).toThrow(/combinations/);
  });
});

describe('tuning on a hand-built trace', () => {
  // A (1 MiB) is never accessed. B (1 MiB) is idle for 29 aggregations, then accessed,
  // over and over. 100 aggregations of 100 ms.
  const MiB = 2 ** 20;
  const steps: Snapshot[] = Array.from({ length: 100 }, (_, i) => {
    const k = i + 1;
    const bAccessed = k % 30 === 0;
    return snapshotFromRegions(0, i * 1e8, k * 1e8, [
      { start: 0, end: MiB, nrAccesses: 0, age: i },
      { start: MiB, end: 2 * MiB, nrAccesses: bAccessed ? 5 : 0, age: bAccessed ? 0 : (k % 30) - 1 },
    ]);
  });
  const trace: TraceSource = {
    path: 'mem',
    header: emptyHeader(),
    snapshots: async function* () {
      yield* steps;
    },
    trailer: () => null,
    warnings: [],
  };
  const opts = { intervals: { sampleUs: 5000, aggrUs: 100000 }, ops: 'vaddr' as const };

  it('picks the shortest min age that leaves B alone when refaults are not allowed', async () => {
    // min age 1 s or 2 s also pages out B, which comes back (refaults); 3 s (30) never
    // catches B (its age peaks at 28) and pages A out from step 31; 5 s only from step 51.
    const r = await tuneSchemes(trace, 'min max 0 0 1s|2s|3s|5s max pageout', { ...opts, maxRefaultPct: 0 });
    expect(r.nrCandidates).toBe(4);
    expect(r.best?.line).toBe('min max min 0 3s max pageout');
    expect(r.best?.refaultPct).toBe(0);
    // A is out from the end of step 30 to the end: 70 of 100 aggregations
    expect(r.best?.meanSavedBytes).toBeCloseTo(0.7 * MiB, 0);
    expect(r.ranking.map((c) => c.withinBudget)).toEqual([true, true, false, false]);
  });

  it('with a generous budget, takes the one that saves the most', async () => {
    const r = await tuneSchemes(trace, 'min max 0 0 1s|2s|3s|5s max pageout', { ...opts, maxRefaultPct: 100 });
    expect(r.best?.line).toBe('min max min 0 1s max pageout');
    expect(r.best?.refaultPct).toBeGreaterThan(0);
  });

  it('refuses actions without a refault trade-off', async () => {
    await expect(tuneSchemes(trace, 'min max 0 0 1s max hugepage', { ...opts, maxRefaultPct: 10 })).rejects.toThrow(/pageout, cold or lru_deprio/);
  });
});
