// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { emptyHeader, snapshotFromRegions, type SourceKind } from '../../src/core/model.js';
import { lowAccessShare, lowAccessWarning } from '../../src/report/low_access.js';
import { memoryTrace } from './memory_trace.js';

const MiB = 2 ** 20;
const intervals = { sampleUs: 25_000, aggrUs: 500_000, opsUpdateUs: 5_000_000 };

// n snapshots, each with a fully hot region (nr_accesses 18 of 20) of hotMiB and a
// partially hot one (nr_accesses 1) of lowMiB.
function trace(n: number, hotMiB: number, lowMiB: number, withIntervals = true, source: SourceKind = 'kernel-tracefs') {
  const snaps = Array.from({ length: n }, (_, k) =>
    snapshotFromRegions(0, k * 5e8, (k + 1) * 5e8, [
      { start: 0, end: hotMiB * MiB, nrAccesses: 18 },
      { start: hotMiB * MiB, end: (hotMiB + lowMiB) * MiB, nrAccesses: 1 },
      { start: (hotMiB + lowMiB) * MiB, end: 512 * MiB, nrAccesses: 0 },
    ]),
  );
  return memoryTrace(emptyHeader({ intervals: withIntervals ? intervals : null, source }), snaps);
}

describe('lowAccessShare', () => {
  it('is the part of the accessed bytes in regions with nr_accesses <= 10% of aggr/sample', async () => {
    const r = await lowAccessShare(trace(30, 16, 48), 10);
    expect(r).toEqual({ share: 0.75, samplesPerAggr: 20, lowBound: 2 });
    expect(lowAccessWarning(r)).toMatch(/^75% of the working set is in regions seen accessed in at most 2 of 20 samples/);
  });

  it('stays quiet when most of the working set is fully hot', async () => {
    const r = await lowAccessShare(trace(30, 60, 4), 10);
    expect(r?.share).toBeCloseTo(4 / 64);
    expect(lowAccessWarning(r)).toBeNull();
  });

  it('skips the first snapshots and needs the intervals', async () => {
    expect(await lowAccessShare(trace(10, 16, 48), 10)).toBeNull();
    expect(await lowAccessShare(trace(30, 16, 48, false), 10)).toBeNull();
    expect(lowAccessWarning(null)).toBeNull();
  });

  it('does not judge soft-dirty recordings (a page written once per pass is dirty in few samples)', async () => {
    expect(await lowAccessShare(trace(30, 16, 48, true, 'native-soft_dirty'), 10)).toBeNull();
  });
});
