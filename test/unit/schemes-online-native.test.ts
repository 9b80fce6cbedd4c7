// SPDX-License-Identifier: GPL-2.0-only
/**
 * Online application by the native engine, without the engine or the kernel: the applier
 * gets hand-built snapshots and a fake process_madvise, and must decide like the kernel,
 * group and order the actions, reset ages, and count only what the "kernel" applied.
 */
import { describe, expect, it } from 'vitest';

import { DamoError } from '../../src/core/errors.js';
import { snapshotFromRegions, type SchemeStatsRecord, type Snapshot } from '../../src/core/model.js';
import type { AdviseResult, MadviseActions } from '../../src/native/actions.js';
import type { DamosAction } from '../../src/schemes/model.js';
import { NativeSchemesApplier, freeMemRatePermil, nativeSchemesProblem } from '../../src/schemes/online_native.js';
import { parseSchemeLine, parseSchemesText } from '../../src/schemes/text.js';

const MiB = 1 << 20;
const MS = 1_000_000;
const IV = { sampleUs: 5000, aggrUs: 100000 };

interface Call {
  fd: number;
  action: DamosAction;
  ranges: Array<[number, number]>;
}

/** A fake process_madvise: fails ranges that touch `failAt` with `errno`. */
function fakeActions(opts: { failAt?: number; errno?: string; probe?: DamoError | null; nsPerMiB?: number } = {}): MadviseActions & { calls: Call[]; closed: number[]; opened: number[] } {
  const calls: Call[] = [];
  const closed: number[] = [];
  const opened: number[] = [];
  return {
    calls,
    closed,
    opened,
    openPidfd(pid) {
      opened.push(pid);
      return 100 + pid;
    },
    closePidfd(fd) {
      closed.push(fd);
    },
    probeAdvice() {
      return opts.probe ?? null;
    },
    async adviseRanges(fd, action, ranges): Promise<AdviseResult> {
      calls.push({ fd, action, ranges: ranges.map((r) => [r.start, r.end]) });
      const bytes = new Float64Array(ranges.length);
      const errnos: string[] = [];
      ranges.forEach((r, i) => {
        const fail = opts.failAt !== undefined && r.start <= opts.failAt && opts.failAt < r.end;
        bytes[i] = fail ? 0 : r.end - r.start;
        errnos.push(fail ? (opts.errno ?? 'ENOMEM') : '');
      });
      const total = ranges.reduce((sum, r) => sum + r.end - r.start, 0);
      return { bytes, errnos, elapsedNs: opts.nsPerMiB !== undefined ? (total / MiB) * opts.nsPerMiB : 1000, nrSyscalls: 1 };
    },
  };
}

function snap(k: number, regions: Array<{ start: number; end: number; nrAccesses: number; age: number }>, target = 0): Snapshot {
  return snapshotFromRegions(target, (k - 1) * 100 * MS, k * 100 * MS, regions);
}

function applier(schemesText: string, actions: MadviseActions, extra: { pids?: number[]; meminfo?: () => string } = {}) {
  const resets: Array<[number, Array<[number, number]>]> = [];
  const stats: SchemeStatsRecord[][] = [];
  const warnings: string[] = [];
  const a = new NativeSchemesApplier({
    schemes: parseSchemesText(schemesText, 't.damos'),
    intervals: IV,
    ops: 'vaddr',
    pids: extra.pids ?? [42],
    minRegionSz: 4096,
    actions,
    resetAges: (t, r) => resets.push([t, r]),
    ...(extra.meminfo !== undefined ? { readMeminfo: extra.meminfo } : {}),
  });
  a.listen({ onStats: (r) => stats.push(r), onWarning: (w) => warnings.push(w) });
  return { a, resets, stats, warnings };
}

describe('native online application', () => {
  it('applies to the matching regions, resets their ages, and counts what the kernel applied', async () => {
    const act = fakeActions();
    const { a, resets, stats } = applier('4K max 0 0 1s max pageout', act);
    a.open();
    expect(act.opened).toEqual([42]);
    // 1 s = 10 aggregations; regions: idle & old, idle & young, busy & old.
    a.onAggregation([snap(1, [
      { start: 0, end: 8 * MiB, nrAccesses: 0, age: 12 },
      { start: 8 * MiB, end: 16 * MiB, nrAccesses: 0, age: 9 },
      { start: 16 * MiB, end: 24 * MiB, nrAccesses: 3, age: 40 },
      { start: 24 * MiB, end: 26 * MiB, nrAccesses: 0, age: 10 },
    ])]);
    // The age reset goes to the engine at once, before the action runs.
    expect(resets).toEqual([[0, [[0, 8 * MiB], [24 * MiB, 26 * MiB]]]]);
    await a.drain();
    expect(act.calls).toEqual([{ fd: 142, action: 'pageout', ranges: [[0, 8 * MiB], [24 * MiB, 26 * MiB]] }]);
    expect(stats.at(-1)?.map((r) => [r.nrTried, r.szTriedBytes, r.nrApplied, r.szAppliedBytes])).toEqual([[2, 10 * MiB, 2, 10 * MiB]]);
    a.close();
    expect(act.closed).toEqual([142]);
  });

  it('a failed range is tried but not applied, and reported by errno', async () => {
    const act = fakeActions({ failAt: 8 * MiB + 4096, errno: 'ENOMEM' });
    const { a, warnings } = applier('min max 0 0 min max cold', act);
    a.open();
    a.onAggregation([snap(1, [
      { start: 0, end: 8 * MiB, nrAccesses: 0, age: 1 },
      { start: 8 * MiB, end: 12 * MiB, nrAccesses: 0, age: 1 },
    ])]);
    await a.drain();
    const r = a.report()[0];
    expect([r?.nrTried, r?.szTried, r?.nrApplied, r?.szApplied]).toEqual([2, 12 * MiB, 1, 8 * MiB]);
    expect(r?.failures).toEqual([{ errno: 'ENOMEM', nrRanges: 1, bytes: 4 * MiB, meaning: expect.stringContaining('unmapped') }]);
    // Expected with vaddr regions over gaps: in the table, not a warning.
    expect(warnings).toEqual([]);
  });

  it('warns once per scheme and unexpected errno', async () => {
    const act = fakeActions({ failAt: 0, errno: 'EAGAIN' });
    const { a, warnings } = applier('min max 0 0 min max cold', act);
    a.open();
    for (let k = 1; k <= 3; k++) a.onAggregation([snap(k, [{ start: 0, end: MiB, nrAccesses: 0, age: 1 }])]);
    await a.drain();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/scheme 0 \(t.damos:1\): process_madvise\(cold\) failed with EAGAIN/);
    expect(a.report()[0]?.failures[0]?.nrRanges).toBe(3);
  });

  it('runs the schemes per region in order: grouped per scheme, scheme 0 first', async () => {
    const act = fakeActions();
    // Scheme 0 resets the age of what it applies to, so scheme 1 (min age 1) sees age 0
    // there, as in the kernel where the schemes run one after another on each region.
    const { a } = applier('min max 0 0 min max cold\nmin max 0 0 100ms max pageout', act);
    a.open();
    a.onAggregation([snap(1, [
      { start: 0, end: MiB, nrAccesses: 0, age: 5 },
      { start: MiB, end: 2 * MiB, nrAccesses: 0, age: 5 },
    ])]);
    await a.drain();
    expect(act.calls.map((c) => [c.action, c.ranges.length])).toEqual([['cold', 2]]);
    expect(a.report().map((r) => r.nrTried)).toEqual([2, 0]);
  });

  it('stat schemes make no system call; targets get their own pidfd', async () => {
    const act = fakeActions();
    const { a } = applier('min max min max min max stat\nmin max 0 0 min max willneed', act, { pids: [7, 8] });
    a.open();
    expect(act.opened).toEqual([7, 8]);
    a.onAggregation([snap(1, [{ start: 0, end: MiB, nrAccesses: 0, age: 0 }], 0), snap(1, [{ start: 0, end: 2 * MiB, nrAccesses: 0, age: 0 }], 1)]);
    await a.drain();
    expect(act.calls.map((c) => [c.fd, c.action, c.ranges])).toEqual([
      [107, 'willneed', [[0, MiB]]],
      [108, 'willneed', [[0, 2 * MiB]]],
    ]);
    const [st, wn] = a.report();
    expect([st?.nrTried, st?.szTried, st?.nrApplied, st?.nrSyscalls]).toEqual([2, 3 * MiB, 0, 0]);
    expect([wn?.nrApplied, wn?.szApplied]).toEqual([2, 3 * MiB]);
  });

  it('refuses before anything runs when the kernel would refuse the advice, closing what it opened', () => {
    const act = fakeActions({ probe: new DamoError('E_UNSUPPORTED', 'this kernel (5.4) has no process_madvise(2)') });
    const { a } = applier('min max 0 0 min max cold', act, { pids: [7, 8] });
    expect(() => a.open()).toThrow(/no process_madvise/);
    expect(act.closed).toEqual([107]);
  });

  it('names what the native engine cannot do, and why', () => {
    const problem = (line: string, ops: 'vaddr' | 'paddr' = 'vaddr'): string | null => nativeSchemesProblem([parseSchemeLine(line, 'x.damos')], ops);
    expect(problem('min max 0 0 1s max hugepage')).toMatch(/x.damos:1\) \(hugepage\): process_madvise\(\) refuses MADV_HUGEPAGE for another process/);
    expect(problem('min max 0 0 1s max migrate_cold target_nid=1')).toMatch(/move_pages/);
    expect(problem('min max 0 0 1s max lru_prio')).toMatch(/no user-space interface/);
    expect(problem('min max 0 0 1s max pageout', 'paddr')).toMatch(/physical-address schemes need kernel DAMON/);
    expect(problem('min max 0 0 1s max pageout filter=reject,anon')).toMatch(/'anon' filters need page state/);
    expect(problem('min max 0 0 1s max pageout goal=some_mem_psi_us,1ms quota_sz=1G quota_reset=1s')).toMatch(/some_mem_psi_us/);
    expect(problem('min max 0 0 1s max pageout filter=allow,addr,0,1G')).toBeNull();
    expect(problem('min max 0 0 1s max collapse')).toBeNull();
    expect(problem('min max min max min max stat', 'paddr')).toBeNull();
    expect(() => applier('min max 0 0 1s max hugepage', fakeActions())).toThrow(/cannot apply scheme 0/);
  });

  it('a time quota uses the throughput it measured', async () => {
    // 1 ms per window. The first window uses the kernel's guess of PAGE_SIZE * 1024 bytes
    // per ms (4 MiB); each 1 MiB range "took" 1 ms, so the next window measures 1 MiB/ms.
    const act = fakeActions({ nsPerMiB: 1_000_000 });
    const { a } = applier('min max 0 0 min max cold quota_ms=1 quota_reset=100ms', act);
    a.open();
    const regions = Array.from({ length: 8 }, (_, i) => ({ start: i * MiB, end: (i + 1) * MiB, nrAccesses: 0, age: 1 }));
    a.onAggregation([snap(1, regions)]);
    await a.drain();
    expect(a.report()[0]?.szApplied).toBe(4 * MiB);
    a.onAggregation([snap(2, regions)]);
    await a.drain();
    // Window 2: 4 MiB were charged in 4 ms -> 1 MiB/ms * 1 ms = 1 MiB. It resumes after
    // the last charged address plus one (charge_addr_from = end + 1), which skips a page
    // (damos_skip_charged_region), and splits the region where the quota runs out.
    const page = 4096;
    expect(act.calls.map((c) => c.ranges.map(([a, b]) => [a / page, b / page]))).toEqual([
      [[0, 256], [256, 512], [512, 768], [768, 1024]],
      [[1025, 1280], [1280, 1281]],
    ]);
    expect(a.report()[0]?.szApplied).toBe(5 * MiB);
    expect(a.report()[0]?.qtExceeds).toBe(1);
  });

  it('watermarks on free_mem_rate switch a scheme off and on', async () => {
    let free = 900; // per-mille
    const act = fakeActions();
    const { a } = applier('min max 0 0 min max cold wmarks=free_mem_rate,1s,800,500,100', act, {
      meminfo: () => `MemTotal:       1000000 kB\nMemFree:        ${free * 1000} kB\n`,
    });
    a.open();
    const r = [{ start: 0, end: MiB, nrAccesses: 0, age: 1 }];
    a.onAggregation([snap(1, r)]); // 900 > high 800: deactivated
    free = 600; // between mid and high: stays inactive
    a.onAggregation([snap(2, r)]);
    free = 400; // below mid: active
    a.onAggregation([snap(3, r)]);
    await a.drain();
    expect(a.report()[0]?.nrTried).toBe(1);
    expect(freeMemRatePermil('MemTotal: 2000 kB\nMemFree: 500 kB\n')).toBe(250);
    expect(freeMemRatePermil('nothing')).toBeNull();
  });
});
