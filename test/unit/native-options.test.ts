// SPDX-License-Identifier: GPL-2.0-only
/**
 * The native engine's TypeScript side that needs no addon: option resolution (defaults,
 * target shapes) and the synthetic pattern helpers (truth computation, replay of a trace).
 */
import { describe, expect, it } from 'vitest';
import { emptyHeader, snapshotFromRegions, type Snapshot, type TraceSource } from '../../src/core/model.js';
import { DEFAULT_INTERVALS, DEFAULT_NR_REGIONS } from '../../src/core/damon_constants.js';
import { resolveNativeOptions } from '../../src/native/monitor.js';
import { SyntheticPattern, syntheticMovingHotBlock, syntheticPatternFromTrace } from '../../src/native/synthetic_pattern.js';

describe('resolveNativeOptions', () => {
  it('fills damo defaults and one target per pid', () => {
    const r = resolveNativeOptions({ pids: [10, 20], seed: 3 });
    expect(r.ops).toBe('vaddr');
    expect(r.primitive).toBe('auto');
    expect(r.intervals).toEqual(DEFAULT_INTERVALS);
    expect(r.intervals).toEqual({ sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 1000000 });
    expect(r.nrRegions).toEqual(DEFAULT_NR_REGIONS);
    expect(r.targets).toEqual([{ pid: 10 }, { pid: 20 }]);
    expect(r.seed).toBe(3);
    expect(r.clock).toBe('real');
    expect(r.durationUs).toBeNull();
  });

  it('picks a random seed when none is given', () => {
    const seeds = new Set([1, 2, 3, 4].map(() => resolveNativeOptions({ pids: [1] }).seed));
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('sorts ranges and keeps partial interval overrides', () => {
    const r = resolveNativeOptions({ ops: 'fvaddr', pids: [7], ranges: [{ start: 8192, end: 12288 }, { start: 0, end: 4096 }], intervals: { aggrUs: 200000 } });
    expect(r.targets).toEqual([{ pid: 7, ranges: [{ start: 0, end: 4096 }, { start: 8192, end: 12288 }] }]);
    expect(r.intervals).toEqual({ sampleUs: 5000, aggrUs: 200000, opsUpdateUs: 1000000 });
  });

  it('lets paddr default to the biggest System RAM range', () => {
    expect(resolveNativeOptions({ ops: 'paddr', primitive: 'page_idle' }).targets).toEqual([{}]);
  });
});

describe('SyntheticPattern', () => {
  const p = new SyntheticPattern([
    { t0Ns: 0, t1Ns: 10, start: 0, end: 100, p: 0.5 },
    { t0Ns: 5, t1Ns: 20, start: 50, end: 150, p: 1 },
    { t0Ns: 0, t1Ns: 20, start: 300, end: 400, p: 0 },
  ]);

  it('answers the highest covering probability', () => {
    expect(p.probabilityAt(10, 0)).toBe(0.5);
    expect(p.probabilityAt(60, 6)).toBe(1);
    expect(p.probabilityAt(60, 4)).toBe(0.5);
    expect(p.probabilityAt(120, 4)).toBe(0);
    expect(p.probabilityAt(350, 4)).toBe(0);
  });

  it('computes the true working set of a time window (union, p > 0 only)', () => {
    expect(p.accessedBytes(0, 5)).toBe(100);
    expect(p.accessedBytes(0, 20)).toBe(150);
    expect(p.accessedBytes(10, 20)).toBe(100);
    expect(p.accessedBytes(30, 40)).toBe(0);
  });

  it('rejects malformed entries', () => {
    expect(() => new SyntheticPattern([{ t0Ns: 0, t1Ns: 0, start: 0, end: 1, p: 1 }])).toThrow(/t1Ns/);
    expect(() => new SyntheticPattern([{ t0Ns: 0, t1Ns: 1, start: 5, end: 5, p: 1 }])).toThrow(/non-empty/);
    expect(() => new SyntheticPattern([{ t0Ns: 0, t1Ns: 1, start: 0, end: 5, p: 1.5 }])).toThrow(/between 0 and 1/);
  });

  it('converts to the flat arrays the addon takes', () => {
    const raw = p.toRaw();
    expect(Array.from(raw.starts)).toEqual([0, 50, 300]);
    expect(Array.from(raw.probs)).toEqual([0.5, 1, 0]);
  });

  it('moving hot block is deterministic per seed', () => {
    const a = syntheticMovingHotBlock({ spaceBytes: 2 ** 30, blockBytes: 2 ** 26, moveEveryNs: 1e9, durationNs: 5e9, seed: 9 });
    const b = syntheticMovingHotBlock({ spaceBytes: 2 ** 30, blockBytes: 2 ** 26, moveEveryNs: 1e9, durationNs: 5e9, seed: 9 });
    const c = syntheticMovingHotBlock({ spaceBytes: 2 ** 30, blockBytes: 2 ** 26, moveEveryNs: 1e9, durationNs: 5e9, seed: 10 });
    expect(a.blocks).toEqual(b.blocks);
    expect(a.blocks).not.toEqual(c.blocks);
    expect(a.blocks.length).toBe(5);
  });
});

describe('syntheticPatternFromTrace', () => {
  it('replays nr_accesses as probabilities at times relative to the first snapshot', async () => {
    const snaps: Snapshot[] = [
      snapshotFromRegions(0, 1000, 1100, [{ start: 0, end: 10, nrAccesses: 20 }, { start: 10, end: 30, nrAccesses: 5 }]),
      snapshotFromRegions(1, 1000, 1100, [{ start: 0, end: 99, nrAccesses: 1 }]),
      snapshotFromRegions(0, 1100, 1200, [{ start: 0, end: 30, nrAccesses: 10 }]),
    ];
    const source: TraceSource = {
      path: 'mem.damo',
      header: emptyHeader({ intervals: { sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 1000000 } }),
      async *snapshots() {
        yield* snaps;
      },
      trailer: () => null,
      warnings: [],
    };
    const p = await syntheticPatternFromTrace(source, { targetIndex: 0 });
    expect(p.entries).toEqual([
      { t0Ns: 0, t1Ns: 100, start: 0, end: 10, p: 1 },
      { t0Ns: 0, t1Ns: 100, start: 10, end: 30, p: 0.25 },
      { t0Ns: 100, t1Ns: 200, start: 0, end: 30, p: 0.5 },
    ]);
    await expect(syntheticPatternFromTrace(source, { targetIndex: 5 })).rejects.toThrow(/no snapshots of target 5/);
  });
});
