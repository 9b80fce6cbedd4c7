// SPDX-License-Identifier: GPL-2.0-only
/**
 * CodedKeptSnapshots (format/damo/coded_kept_snapshots.ts) keeps a large damo file's
 * snapshots in a few bytes a region: what it replays, as snapshots and as column batches,
 * must be exactly what it was given, and it must refuse what its coding cannot hold.
 */
import { describe, expect, it } from 'vitest';

import { columnsOfSnapshots, snapshotCopyOfColumns, type Snapshot } from '../../src/core/model.js';
import { CodedKeptSnapshots } from '../../src/format/damo/coded_kept_snapshots.js';

function snapshot(i: number, regions: Array<[number, number, number, number]>, extra: Partial<Snapshot> = {}): Snapshot {
  return {
    targetIndex: i % 3,
    startNs: i * 1e8 + 0.5 * (i % 2),
    endNs: (i + 1) * 1e8,
    starts: Float64Array.from(regions.map((r) => r[0])),
    ends: Float64Array.from(regions.map((r) => r[1])),
    nrAccesses: Float64Array.from(regions.map((r) => r[2])),
    ages: Float64Array.from(regions.map((r) => r[3])),
    ...extra,
  };
}

type Flat = [number, number, number, number[], number[], number[], number[], number | undefined, number | undefined, unknown];

function flat(s: Snapshot): Flat {
  return [s.targetIndex, s.startNs, s.endNs, [...s.starts], [...s.ends], [...s.nrAccesses], [...s.ages], s.totalBytes, s.sampleIntervalUs, s.damosStats];
}

/** Many snapshots of varied regions: high addresses, overlaps, empty regions, unknown ages. */
function varied(nrSnapshots: number): Snapshot[] {
  const out: Snapshot[] = [];
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < nrSnapshots; i++) {
    const regions: Array<[number, number, number, number]> = [];
    let at = i % 5 === 0 ? 2 ** 47 + 4096 * rand(1000) : 4096 * rand(1 << 20);
    for (let r = 0, n = rand(40); r < n; r++) {
      const start = r % 7 === 3 ? at - 4096 : at + 4096 * rand(3);
      const end = start + (r % 11 === 0 ? 0 : 4096 * (1 + rand(5000)));
      regions.push([start, end, rand(r % 4 === 0 ? 300000 : 21), r % 9 === 0 ? -1 : rand(1 << 20)]);
      at = Math.max(end, at);
    }
    const extra: Partial<Snapshot> = {};
    if (i % 4 === 0) extra.totalBytes = 4096 * rand(1 << 30);
    if (i % 13 === 0) extra.sampleIntervalUs = 5000 + i;
    if (i % 17 === 0) extra.damosStats = { nrTried: i, szTriedBytes: 2 * i, nrApplied: 0, szAppliedBytes: 0, szOpsFilterPassedBytes: 0, qtExceeds: 0, nrSnapshots: 1, maxNrSnapshots: 0 };
    out.push(snapshot(i, regions, extra));
  }
  return out;
}

describe('CodedKeptSnapshots', () => {
  // Over 1 MiB of coded regions: several blocks, with snapshots on both sides of each cut.
  const given = varied(12000);

  it('replays what it was given, as snapshots and as column batches, over several blocks', () => {
    const kept = new CodedKeptSnapshots();
    for (const s of given) expect(kept.add(s)).toBe(true);
    expect(kept.nrRegions).toBe(given.reduce((n, s) => n + s.starts.length, 0));
    for (let pass = 0; pass < 2; pass++) expect([...kept.replay()].map(flat)).toEqual(given.map(flat));
    for (const batch of [1, 7, 1024]) {
      const got: Snapshot[] = [];
      for (const c of kept.replayColumns(batch)) {
        expect(c.count).toBeLessThanOrEqual(batch);
        for (let k = 0; k < c.count; k++) got.push(snapshotCopyOfColumns(c, k));
      }
      expect(got.map(flat)).toEqual(given.map(flat));
    }
    // Random regions barely deflate; coded, they still take under half of KeptSnapshots' 32 bytes.
    expect(kept.heldBytes).toBeLessThan(kept.nrRegions * 16);
  });

  it('keeps column batches as it keeps snapshots', () => {
    const kept = new CodedKeptSnapshots();
    for (let i = 0; i < given.length; i += 500) expect(kept.addColumns(columnsOfSnapshots(given.slice(i, i + 500)))).toBe(true);
    expect([...kept.replay()].map(flat)).toEqual(given.map(flat));
  });

  it('refuses what its coding cannot hold exactly', () => {
    const refuses = (s: Snapshot): void => {
      const kept = new CodedKeptSnapshots();
      expect(kept.add(given[1] as Snapshot)).toBe(true);
      expect(kept.add(s)).toBe(false);
    };
    refuses(snapshot(1, [[4096.5, 8192, 0, 0]]));
    refuses(snapshot(1, [[4096, 8192, 0.25, 0]]));
    refuses(snapshot(1, [[4096, 8192, 0, -2]]));
    refuses(snapshot(1, [[8192, 4096, 0, 0]]));
    refuses(snapshot(1, [[2 ** 53, 2 ** 53, 0, 0]]));
    refuses(snapshot(1, [[4096, 8192, 0, 0]], { szFilterPassed: Float64Array.of(4096) }));
    refuses(snapshot(1, [[4096, 8192, 0, 0]], { nrAccessesPercent: Float64Array.of(5) }));
  });
});
