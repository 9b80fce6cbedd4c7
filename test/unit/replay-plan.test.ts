// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { emptyHeader, snapshotFromRegions, type Snapshot, type TraceSource } from '../../src/core/model.js';
import { syntheticHeader, syntheticSnapshots } from '../../src/format/synthetic.js';
import { makePlan, planPeriods, scanTrace, type PlanOptions, type PlannedPeriod } from '../../src/replay/plan.js';
import { decodePlan, encodePlanEnd, encodePlanHeader, encodePlanPeriod } from '../../src/replay/plan_codec.js';
import { memoryTrace } from './memory_trace.js';

const PAGE = 4096;

const baseOptions: PlanOptions = {
  maxMemoryBytes: 1 << 30,
  timeScale: 1,
  pageSizeBytes: PAGE,
  seed: 1,
  nrThreads: 2,
  startDelayNs: 0,
  keepCold: false,
  allowThp: false,
  periodEvents: false,
};

async function collect(trace: TraceSource, options: Partial<PlanOptions> = {}, target = 0): Promise<{ periods: PlannedPeriod[]; plan: ReturnType<typeof makePlan> }> {
  const scan = await scanTrace(trace, target);
  const plan = makePlan(scan, { ...baseOptions, ...options });
  const periods: PlannedPeriod[] = [];
  for await (const p of planPeriods(trace, plan)) periods.push(p);
  return { periods, plan };
}

const synthSpec = { nrSnapshots: 30, nrRegionsPerSnapshot: 60, seed: 7, spaceBytes: 96 << 20, hotMoveEvery: 10 };
const synth = (): TraceSource => memoryTrace(syntheticHeader(synthSpec), [...syntheticSnapshots(synthSpec)]);

describe('replay planner', () => {
  it('covers the three synthetic areas and drops the gaps between them', async () => {
    const scan = await scanTrace(synth(), 0);
    expect(scan.covered.length).toBe(3);
    expect(scan.nrSnapshots).toBe(30);
    const plan = makePlan(scan, baseOptions);
    expect(plan.layout.scale).toBe(1);
    expect(plan.layout.replayBytes).toBe(plan.layout.traceBytes);
    expect(plan.defaultMaxNrAccesses).toBe(20); // 100 ms / 5 ms
  });

  it('tiles every area exactly once per period, sorted, page-aligned', async () => {
    const { periods, plan } = await collect(synth());
    expect(periods.length).toBe(30);
    for (const p of periods) {
      const perArea = new Array<number>(plan.layout.areas.length).fill(0);
      let prevArea = -1;
      let prevEnd = 0;
      for (const r of p.ranges) {
        expect(r.start % PAGE).toBe(0);
        expect(r.end % PAGE).toBe(0);
        expect(r.end).toBeGreaterThan(r.start);
        if (r.area === prevArea) expect(r.start).toBe(prevEnd);
        else expect(r.start).toBe(0);
        perArea[r.area] = (perArea[r.area] as number) + (r.end - r.start);
        prevArea = r.area;
        prevEnd = r.end;
        expect(r.nrAccesses).toBeLessThanOrEqual(p.nrSlots);
      }
      expect(perArea).toEqual(plan.layout.areas.map((a) => a.replayBytes));
    }
  });

  it("plans damo's working set (regions with nr_accesses >= 1) as the resident set", async () => {
    const snaps = [...syntheticSnapshots(synthSpec)];
    const { periods } = await collect(synth());
    periods.forEach((p, i) => {
      const s = snaps[i] as Snapshot;
      let wss = 0;
      for (let r = 0; r < s.starts.length; r++) if ((s.nrAccesses[r] as number) >= 1) wss += (s.ends[r] as number) - (s.starts[r] as number);
      expect(p.traceWssBytes).toBe(wss);
      // Unscaled and page-aligned: the plan reproduces it exactly.
      expect(p.replayWssBytes).toBe(wss);
      expect(p.plannedResidentBytes).toBe(wss);
      const active = p.ranges.filter((r) => r.nrAccesses > 0).reduce((sum, r) => sum + r.end - r.start, 0);
      expect(active).toBe(wss);
    });
  });

  it('keeps period timing, applies --time_scale, and limits slots to 1 ms', async () => {
    const { periods } = await collect(synth(), { timeScale: 0.01 });
    const p = periods[3] as PlannedPeriod;
    expect(p.startOffsetNs).toBe(3 * 1_000_000);
    expect(p.durationNs).toBe(1_000_000);
    // 100 ms x 0.01 = 1 ms cannot hold 20 slots of >= 1 ms: one slot, and every
    // accessed range touched in it.
    expect(p.nrSlots).toBe(1);
    expect(p.ranges.every((r) => r.nrAccesses <= 1)).toBe(true);
    const slow = await collect(synth(), { timeScale: 2 });
    expect(slow.periods[3]?.startOffsetNs).toBe(600_000_000);
    expect(slow.periods[3]?.nrSlots).toBe(20);
  });

  it('scales nr_accesses to the slot count, keeping any access at least one touch', async () => {
    const header = emptyHeader({ intervals: { sampleUs: 1000, aggrUs: 100_000, opsUpdateUs: 1_000_000 } });
    const snap = snapshotFromRegions(0, 0, 100_000_000, [
      { start: 0, end: PAGE, nrAccesses: 100 },
      { start: PAGE, end: 2 * PAGE, nrAccesses: 50 },
      { start: 2 * PAGE, end: 3 * PAGE, nrAccesses: 1 },
      { start: 3 * PAGE, end: 4 * PAGE, nrAccesses: 0 },
      { start: 4 * PAGE, end: 5 * PAGE, nrAccesses: 250 },
    ]);
    const { periods } = await collect(memoryTrace(header, [snap]), { minSlotNs: 2_000_000 });
    const p = periods[0] as PlannedPeriod;
    expect(p.nrSlots).toBe(50); // 100 slots of 1 ms would be below the 2 ms minimum
    expect(p.ranges.map((r) => r.nrAccesses)).toEqual([50, 25, 1, 0, 50]);
    expect(p.clampedRegions).toBe(1);
  });

  it('with --keep_cold plans the cumulative footprint, which never shrinks', async () => {
    const { periods } = await collect(synth(), { keepCold: true });
    let prev = 0;
    for (const p of periods) {
      expect(p.plannedResidentBytes).toBeGreaterThanOrEqual(prev);
      expect(p.plannedResidentBytes).toBeGreaterThanOrEqual(p.replayWssBytes);
      prev = p.plannedResidentBytes;
    }
    expect(prev).toBeGreaterThan(periods[0]?.replayWssBytes ?? 0);
  });

  it('scales a trace larger than --max_memory and reports what rounds away', async () => {
    const { periods, plan } = await collect(synth(), { maxMemoryBytes: 8 << 20 });
    expect(plan.layout.scale).toBeLessThan(0.1);
    expect(plan.layout.replayBytes).toBeLessThanOrEqual(8 << 20);
    for (const p of periods) {
      const expected = p.traceWssBytes * plan.layout.scale;
      // Page rounding of each range boundary: within a few pages per range.
      expect(Math.abs(p.replayWssBytes - expected)).toBeLessThan(p.ranges.length * PAGE);
    }
  });

  it('replays only the chosen target and rejects one the trace lacks', async () => {
    const spec = { ...synthSpec, nrTargets: 2 };
    const trace = memoryTrace(syntheticHeader(spec), [...syntheticSnapshots(spec)]);
    const { periods } = await collect(trace, {}, 1);
    expect(periods.length).toBe(15);
    await expect(scanTrace(trace, 2)).rejects.toThrow(/has 2 target\(s\); --target 2 does not exist/);
  });

  it('rejects overlapping regions with the snapshot and region named', async () => {
    const bad = snapshotFromRegions(0, 0, 100, [
      { start: 0, end: 2 * PAGE, nrAccesses: 1 },
      { start: PAGE, end: 3 * PAGE, nrAccesses: 1 },
    ]);
    await expect(scanTrace(memoryTrace(emptyHeader(), [bad], 'bad.data'), 0)).rejects.toThrow(/bad\.data: snapshot 0, region 1: regions are not sorted or overlap/);
  });

  it('round-trips through the binary plan encoding', async () => {
    const { periods, plan } = await collect(synth());
    const buf = Buffer.concat([encodePlanHeader(plan.header), ...periods.map((p) => encodePlanPeriod(p)), encodePlanEnd(periods.length)]);
    const back = decodePlan(buf);
    expect(back.header).toEqual(plan.header);
    expect(back.periods.length).toBe(periods.length);
    expect(back.periods[5]).toEqual({
      startOffsetNs: periods[5]?.startOffsetNs,
      durationNs: periods[5]?.durationNs,
      nrSlots: periods[5]?.nrSlots,
      ranges: periods[5]?.ranges,
    });
    const meta = JSON.parse(plan.header.metaJson) as Record<string, unknown>;
    expect(meta.timeScale).toBe(1);
    expect(meta.traceStartNs).toBe(0);
  });
});
