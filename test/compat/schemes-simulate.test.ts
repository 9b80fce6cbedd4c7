// SPDX-License-Identifier: GPL-2.0-only
/**
 * Simulating `stat` schemes on damo's own test recording: sz_tried and nr_tried must equal
 * sums computed directly from the recording with the inclusive access-pattern rule.
 */

import { describe, expect, it } from 'vitest';

import { openTrace } from '../../src/format/open.js';
import { simulateTrace } from '../../src/schemes/simulate.js';
import { parseSchemesText } from '../../src/schemes/text.js';
import { runMain } from '../cli/helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';

const DATA = damoFixture('damo-3.3.0-tests-report/damon.data');

async function directSums(match: (size: number, nr: number) => boolean): Promise<{ sz: number; nr: number; snapshots: number }> {
  const trace = await openTrace(DATA);
  let sz = 0;
  let nr = 0;
  let snapshots = 0;
  for await (const s of trace.snapshots()) {
    snapshots++;
    for (let i = 0; i < s.starts.length; i++) {
      const size = (s.ends[i] ?? 0) - (s.starts[i] ?? 0);
      if (match(size, s.nrAccesses[i] ?? 0)) {
        sz += size;
        nr++;
      }
    }
  }
  return { sz, nr, snapshots };
}

describe('stat scheme simulation on damon.data', () => {
  it('sz_tried equals the sums computed from the recording', async () => {
    // At 5 ms / 100 ms: 5% -> int(5*20/100) = 1 sample; 10%..50% -> 2..10 samples.
    const schemes = parseSchemesText(
      ['min max min max min max stat', 'min max 5 max min max stat', '8K 1G 10 50 min max stat'].join('\n'),
      'stat.damos',
    );
    const trace = await openTrace(DATA);
    const r = await simulateTrace(trace, schemes, { intervals: { sampleUs: 5000, aggrUs: 100000 }, ops: 'vaddr' });
    const all = await directSums(() => true);
    const accessed = await directSums((_sz, nr) => nr >= 1);
    const band = await directSums((sz, nr) => sz >= 8192 && sz <= 2 ** 30 && nr >= 2 && nr <= 10);
    expect(all.snapshots).toBe(543);
    expect(r.nrSnapshots).toBe(543);
    const stats = r.schemes.map((s) => s.stats);
    expect([stats[0]?.szTried, stats[0]?.nrTried]).toEqual([all.sz, all.nr]);
    expect([stats[1]?.szTried, stats[1]?.nrTried]).toEqual([accessed.sz, accessed.nr]);
    expect([stats[2]?.szTried, stats[2]?.nrTried]).toEqual([band.sz, band.nr]);
    // the bands are real subsets, so the test tells them apart
    expect(band.sz).toBeGreaterThan(0);
    expect(band.sz).toBeLessThan(accessed.sz);
    expect(accessed.sz).toBeLessThan(all.sz);
    for (const s of stats) {
      expect(s?.szApplied).toBe(0);
      expect(s?.nrSnapshots).toBe(543);
    }
  });

  it('the command line gives the same numbers', async () => {
    const all = await directSums(() => true);
    const res = await runMain(['simulate', '-i', DATA, '-c', 'min max min max min max stat', '--json']);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as { schemes: Array<{ stats: { sz_tried: number } }>; intervals: { source: string } };
    expect(doc.schemes[0]?.stats.sz_tried).toBe(all.sz);
    expect(doc.intervals.source).toBe('default');
  });
});
