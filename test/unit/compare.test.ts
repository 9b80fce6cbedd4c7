// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { emptyHeader, snapshotFromRegions, type Snapshot } from '../../src/core/model.js';
import { syntheticHeader, syntheticSnapshots, type SyntheticTraceSpec } from '../../src/format/synthetic.js';
import { compareTraces, formatCompareText, pearson, type CompareOptions } from '../../src/replay/compare.js';
import { makeLayout } from '../../src/replay/layout.js';
import { parseMapping, type ReplayMapping } from '../../src/replay/mapping.js';
import { scanTrace } from '../../src/replay/plan.js';
import { memoryTrace } from './memory_trace.js';

const PAGE = 4096;
const spec: SyntheticTraceSpec = { nrSnapshots: 60, nrRegionsPerSnapshot: 90, seed: 3, spaceBytes: 192 << 20, hotMoveEvery: 15 };
const original = () => memoryTrace(syntheticHeader(spec), [...syntheticSnapshots(spec)], 'a.data');

const options: CompareOptions = {
  mapping: null,
  targetA: 0,
  timeBins: 60,
  addrBins: 100,
  hotThreshold: 0.5,
  percentiles: [10, 25, 50, 75, 90],
  accThres: 1,
};

describe('pearson', () => {
  it('is 1 for proportional data, -1 for reversed, null for constant', () => {
    expect(pearson(Float64Array.from([1, 2, 3]), Float64Array.from([2, 4, 6]))).toBeCloseTo(1, 12);
    expect(pearson(Float64Array.from([1, 2, 3]), Float64Array.from([3, 2, 1]))).toBeCloseTo(-1, 12);
    expect(pearson(Float64Array.from([1, 1, 1]), Float64Array.from([3, 2, 1]))).toBeNull();
  });
});

describe('damo compare', () => {
  it('finds a trace identical to itself', async () => {
    const r = await compareTraces(original(), original(), options);
    expect(r.wss.percentiles.every((row) => row.errorPct === 0)).toBe(true);
    expect(r.heatmap.correlation).toBeCloseTo(1, 12);
    expect(r.hot.recall).toBe(1);
    expect(r.hot.precision).toBe(1);
    expect(r.a.nrSnapshotsInWindow).toBe(60);
    expect(r.heatmap.nrAreas).toBe(3);
    const text = formatCompareText(r, null);
    expect(text).toContain('correlation (Pearson): 1.000');
    expect(text).toMatch(/^\s+50\s+\S+ MiB\s+\S+ MiB\s+0\.00%$/m);
  });

  it('scores a different access pattern lower', async () => {
    const other = { ...spec, hotMoveEvery: 7, seed: 9 };
    const b = memoryTrace(syntheticHeader(other), [...syntheticSnapshots(other)], 'b.data');
    const r = await compareTraces(original(), b, options);
    expect(r.heatmap.correlation).not.toBeNull();
    expect(r.heatmap.correlation as number).toBeLessThan(0.8);
    expect(r.hot.recall as number).toBeLessThan(0.8);
  });

  it('maps a recording of a (scaled, delayed) replay back into the original coordinates', async () => {
    const a = original();
    const scan = await scanTrace(a, 0);
    const layout = makeLayout(scan.covered, { maxMemoryBytes: 100 << 20, pageSizeBytes: PAGE });
    expect(layout.scale).toBeLessThan(1);
    // Where a replay process would have put the areas: one reservation, guard pages between.
    const reserveStart = 0x7f12_3400_0000;
    let cursor = reserveStart + PAGE;
    const areas = layout.areas.map((ar) => {
      const m = { traceStart: ar.traceStart, traceEnd: ar.traceEnd, replayStart: cursor, replayEnd: cursor + ar.replayBytes };
      cursor += ar.replayBytes + PAGE;
      return m;
    });
    const startMonotonicNs = 5_000_000_000_000n;
    const timeScale = 2;
    const mapping: ReplayMapping = parseMapping(
      JSON.stringify({
        format: 'damo-replay-mapping',
        version: 1,
        pid: 777,
        startMonotonicNs: startMonotonicNs.toString(),
        pageSizeBytes: PAGE,
        reserve: { start: reserveStart, end: cursor },
        areas,
        plan: { traceStartNs: scan.firstStartNs, timeScale, scale: layout.scale },
      }),
      'map.json',
    );
    // The recording of the replay: began 1.5 s before the replay's period 0 (idle snapshots),
    // sees the replay's areas at replay addresses plus the process's own small mappings.
    const recStart = startMonotonicNs - 1_500_000_000n;
    const aggrNs = 100_000_000 * timeScale;
    const toReplay = (addr: number): number => {
      const ar = areas.find((x) => addr >= x.traceStart && addr <= x.traceEnd);
      if (ar === undefined) throw new Error('address outside areas');
      return ar.replayStart + Math.round(((addr - ar.traceStart) * (ar.replayEnd - ar.replayStart)) / (ar.traceEnd - ar.traceStart));
    };
    const recorded: Snapshot[] = [];
    const exe = { start: 0x5600_0000_0000, end: 0x5600_0000_0000 + 64 * PAGE, nrAccesses: 3 };
    for (let i = 0; i < 15; i++) {
      recorded.push(snapshotFromRegions(0, i * 100_000_000, (i + 1) * 100_000_000, [exe, { start: areas[0]?.replayStart ?? 0, end: cursor, nrAccesses: 0 }]));
    }
    for (const s of syntheticSnapshots(spec)) {
      const regions = [exe];
      for (let r = 0; r < s.starts.length; r++) {
        regions.push({ start: toReplay(s.starts[r] as number), end: toReplay(s.ends[r] as number), nrAccesses: s.nrAccesses[r] as number });
      }
      const t = 1_500_000_000 + s.startNs * timeScale;
      recorded.push(snapshotFromRegions(0, t, t + aggrNs, regions.filter((x) => x.end > x.start)));
    }
    const header = emptyHeader({
      source: 'native-clear_refs',
      clock: 'monotonic',
      baseTimeNs: recStart,
      intervals: { sampleUs: 5000 * timeScale, aggrUs: 100_000 * timeScale, opsUpdateUs: 1_000_000 },
      targets: [{ id: 1n, pid: 1 }, { id: 777n, pid: 777 }],
    });
    // Target 1 is the replay's pid: compare must find it without being told.
    const b = memoryTrace(header, recorded.map((s) => ({ ...s, targetIndex: 1 })), 'b.data');
    const r = await compareTraces(original(), b, { ...options, mapping });
    expect(r.b.target).toBe(1);
    expect(r.timeAlignment).toBe('mapping');
    expect(r.b.nrSnapshotsInWindow).toBe(60);
    expect(r.window.startNs).toBe(0);
    for (const row of r.wss.percentiles) expect(Math.abs(row.errorPct as number)).toBeLessThan(1);
    expect(r.heatmap.correlation as number).toBeGreaterThan(0.98);
    expect(r.hot.recall as number).toBeGreaterThan(0.95);
    expect(r.bUnmappedFraction).toBeGreaterThan(0);
    expect(r.bUnmappedFraction).toBeLessThan(0.05);

    // Without the mapping the same files barely line up.
    const raw = await compareTraces(original(), b, { ...options, targetB: 1 });
    expect(raw.heatmap.correlation ?? 0).toBeLessThan(0.5);
  });

  it('warns about unequal snapshot spans and compares equal spans with workTimeUs', async () => {
    // B: the same pattern recorded with a 200 ms aggregation interval (pairs of A's snapshots,
    // each region accessed if it was in either).
    const snaps = [...syntheticSnapshots(spec)];
    const pairs: Snapshot[] = [];
    for (let i = 0; i + 1 < snaps.length; i += 2) {
      const x = snaps[i] as Snapshot;
      const y = snaps[i + 1] as Snapshot;
      const regions = [];
      for (let r = 0; r < x.starts.length; r++) {
        regions.push({ start: x.starts[r] as number, end: x.ends[r] as number, nrAccesses: 0 });
      }
      // Accessed bytes of either snapshot, mapped onto x's layout (boundaries drift slightly).
      for (const s of [x, y]) {
        for (let r = 0; r < s.starts.length; r++) {
          if ((s.nrAccesses[r] as number) < 1) continue;
          for (const reg of regions) {
            if (reg.end > (s.starts[r] as number) && reg.start < (s.ends[r] as number)) reg.nrAccesses = Math.max(reg.nrAccesses, s.nrAccesses[r] as number);
          }
        }
      }
      pairs.push(snapshotFromRegions(0, x.startNs, y.endNs, regions));
    }
    const header = { ...syntheticHeader(spec), intervals: { sampleUs: 10_000, aggrUs: 200_000, opsUpdateUs: 1_000_000 } };
    const b = memoryTrace(header, pairs, 'b.data');
    const plain = await compareTraces(original(), b, options);
    expect(plain.warnings.join('\n')).toMatch(/average 200\.0 ms against 100\.0 ms .* --work_time 200000/);
    const grouped = await compareTraces(original(), b, { ...options, workTimeUs: 200_000 });
    expect(grouped.wss.meanSpanANs).toBe(200_000_000);
    expect(grouped.wss.meanSpanBNs).toBe(200_000_000);
    expect(grouped.warnings).toEqual([]);
    const worst = (r: typeof plain): number => Math.max(...r.wss.percentiles.map((x) => Math.abs(x.errorPct ?? Infinity)));
    expect(worst(grouped)).toBeLessThan(worst(plain));
    expect(worst(grouped)).toBeLessThan(15);
  });

  it('refuses recordings that do not overlap in time', async () => {
    const a = memoryTrace(emptyHeader(), [snapshotFromRegions(0, 0, 100, [{ start: 0, end: PAGE, nrAccesses: 1 }])]);
    const mapping = parseMapping(
      JSON.stringify({
        format: 'damo-replay-mapping',
        version: 1,
        pid: 1,
        startMonotonicNs: '1000000',
        pageSizeBytes: PAGE,
        reserve: { start: 0, end: 2 * PAGE },
        areas: [{ traceStart: 0, traceEnd: PAGE, replayStart: PAGE, replayEnd: 2 * PAGE }],
        plan: { traceStartNs: 0, timeScale: 1 },
      }),
      'm.json',
    );
    const b = memoryTrace(emptyHeader({ clock: 'monotonic', baseTimeNs: 9_000_000_000n }), [
      snapshotFromRegions(0, 0, 100, [{ start: PAGE, end: 2 * PAGE, nrAccesses: 1 }]),
    ]);
    await expect(compareTraces(a, b, { ...options, mapping })).rejects.toThrow(/do not overlap in time/);
  });
});

describe('replay mapping', () => {
  const good = {
    format: 'damo-replay-mapping',
    version: 1,
    pid: 5,
    startMonotonicNs: '123',
    pageSizeBytes: PAGE,
    reserve: { start: 0, end: 3 * PAGE },
    areas: [{ traceStart: 10 * PAGE, traceEnd: 11 * PAGE, replayStart: PAGE, replayEnd: 2 * PAGE }],
    plan: { timeScale: 1 },
  };

  it('accepts the executable\'s event line as well as the bare object', () => {
    expect(parseMapping(JSON.stringify(good), 'x').startMonotonicNs).toBe(123n);
    expect(parseMapping(JSON.stringify({ event: 'mapping', mapping: good }), 'x').pid).toBe(5);
  });

  it('names the bad field', () => {
    expect(() => parseMapping('{', 'm.json')).toThrow(/m\.json: not JSON/);
    expect(() => parseMapping(JSON.stringify({ ...good, format: 'x' }), 'm.json')).toThrow(/not a damo replay mapping/);
    expect(() => parseMapping(JSON.stringify({ ...good, areas: [{ ...good.areas[0], replayEnd: -1 }] }), 'm.json')).toThrow(
      /areas\[0\]\.replayEnd is not a non-negative integer/,
    );
    expect(() => parseMapping(JSON.stringify({ ...good, plan: { timeScale: 0 } }), 'm.json')).toThrow(/timeScale/);
  });
});
