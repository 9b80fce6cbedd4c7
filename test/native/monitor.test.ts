// SPDX-License-Identifier: GPL-2.0-only
/**
 * The native Monitor through the TypeScript wrapper: lifecycle (start, prompt stop that
 * joins the thread, target exit, duration), snapshot timing, errors with codes, and the
 * async iterator. Uses the synthetic primitive (runs anywhere) and, where the host has it,
 * clear_refs against a real child process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DamoError } from '../../src/core/errors.js';
import type { Snapshot } from '../../src/core/model.js';
import { nativeCapabilities, openNativeMonitor } from '../../src/native/monitor.js';
import { SyntheticPattern, syntheticMovingHotBlock } from '../../src/native/synthetic_pattern.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const space = [{ start: GiB, end: 2 * GiB }];
const pattern = new SyntheticPattern([{ t0Ns: 0, t1Ns: 1e15, start: GiB + 100 * MiB, end: GiB + 164 * MiB, p: 1 }]);
const caps = nativeCapabilities({ ops: 'vaddr' });

function expectSnapshotShape(s: Snapshot, min: number, max: number): void {
  const n = s.starts.length;
  expect(n).toBeGreaterThanOrEqual(min);
  expect(n).toBeLessThanOrEqual(max);
  expect(s.ends.length).toBe(n);
  expect(s.nrAccesses.length).toBe(n);
  expect(s.ages.length).toBe(n);
  for (let i = 0; i < n; i++) {
    expect(s.ends[i]!).toBeGreaterThan(s.starts[i]!);
    if (i > 0) expect(s.starts[i]!).toBeGreaterThanOrEqual(s.ends[i - 1]!);
  }
}

describe('native monitor (synthetic primitive)', () => {
  it('runs in real time: one snapshot per aggregation interval, contiguous times, prompt stop', async () => {
    const m = openNativeMonitor({
      ops: 'fvaddr',
      ranges: space,
      primitive: 'synthetic',
      synthetic: pattern,
      intervals: { sampleUs: 2000, aggrUs: 20000 },
      nrRegions: { min: 10, max: 200 },
      seed: 1,
    });
    expect(m.header.source).toBe('native-synthetic');
    expect(m.header.clock).toBe('monotonic');
    const snaps: Snapshot[] = [];
    const { baseTimeNs } = m.start((s) => snaps.push(s));
    expect(typeof baseTimeNs).toBe('bigint');
    expect(baseTimeNs).toBeGreaterThan(0n);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    await m.stop();
    const stopMs = performance.now() - t0;
    const end = await m.done;
    expect(end.endReason).toBe('stopped');
    expect(stopMs).toBeLessThan(200);
    expect(snaps.length).toBeGreaterThanOrEqual(5);
    expect(end.nrSnapshots).toBe(snaps.length);
    expect(end.stats.nrSamples).toBeGreaterThanOrEqual(snaps.length * 10);
    for (const [i, s] of snaps.entries()) {
      expectSnapshotShape(s, 10, 200);
      expect(s.sampleIntervalUs).toBe(2000);
      expect(s.granularityBytes).toBeUndefined();
      if (i > 0) expect(s.startNs).toBe(snaps[i - 1]!.endNs);
      // Ten samples of 2 ms plus the work between them.
      expect(s.endNs - s.startNs).toBeGreaterThanOrEqual(19e6);
    }
    expect(snaps[0]!.startNs).toBe(0);
  });

  it('stops within one sampling interval even when the interval is long', async () => {
    const m = openNativeMonitor({
      ops: 'fvaddr',
      ranges: space,
      primitive: 'synthetic',
      synthetic: pattern,
      intervals: { sampleUs: 5_000_000, aggrUs: 10_000_000 },
    });
    m.start(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await m.stop();
    expect(performance.now() - t0).toBeLessThan(500);
    expect((await m.done).endReason).toBe('stopped');
  });

  it('runs in virtual time without sleeping, deterministically for a seed', async () => {
    const run = async (seed: number): Promise<Snapshot[]> => {
      const m = openNativeMonitor({ ops: 'fvaddr', ranges: space, primitive: 'synthetic', synthetic: pattern, clock: 'virtual', durationUs: 5_000_000, seed });
      expect(m.header.clock).toBe('unknown');
      const out: Snapshot[] = [];
      m.start((s) => out.push(s));
      const end = await m.done;
      expect(end.endReason).toBe('timeout');
      return out;
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(a.length).toBe(50);
    expect(a[49]!.endNs).toBe(5e9);
    expect(a.map((s) => Array.from(s.starts))).toEqual(b.map((s) => Array.from(s.starts)));
    expect(a.map((s) => Array.from(s.nrAccesses))).toEqual(b.map((s) => Array.from(s.nrAccesses)));
    expect(a.map((s) => Array.from(s.starts))).not.toEqual(c.map((s) => Array.from(s.starts)));
  });

  it('yields snapshots through the async iterator', async () => {
    const m = openNativeMonitor({ ops: 'paddr', ranges: space, primitive: 'synthetic', synthetic: pattern, clock: 'virtual', durationUs: 1_000_000 });
    let n = 0;
    for await (const s of m.snapshots()) {
      expectSnapshotShape(s, 10, 1000);
      n++;
    }
    expect(n).toBe(10);
    expect((await m.done).endReason).toBe('timeout');
  });

  it('stops the run and rejects done with what a throwing callback threw', async () => {
    const m = openNativeMonitor({ ops: 'fvaddr', ranges: space, primitive: 'synthetic', synthetic: pattern, clock: 'virtual', durationUs: 100_000_000 });
    let calls = 0;
    m.start(() => {
      calls++;
      if (calls === 3) throw new Error('consumer failed');
    });
    await expect(m.done).rejects.toThrow('consumer failed');
    expect(calls).toBe(3);
  });

  it('supports several targets, one snapshot each per aggregation', async () => {
    const m = openNativeMonitor({
      ops: 'fvaddr',
      targets: [{ ranges: [{ start: GiB, end: GiB + 256 * MiB }] }, { ranges: [{ start: 4 * GiB, end: 4 * GiB + 64 * MiB }, { start: 5 * GiB, end: 5 * GiB + 64 * MiB }] }],
      primitive: 'synthetic',
      synthetic: pattern,
      clock: 'virtual',
      durationUs: 1_000_000,
    });
    const snaps: Snapshot[] = [];
    m.start((s) => snaps.push(s));
    await m.done;
    expect(snaps.length).toBe(20);
    expect(snaps.filter((s) => s.targetIndex === 1).length).toBe(10);
    const t1 = snaps.find((s) => s.targetIndex === 1)!;
    expect(t1.starts[0]).toBe(4 * GiB);
    expect(t1.ends[t1.ends.length - 1]).toBe(5 * GiB + 64 * MiB);
    // Nothing between the two ranges is monitored.
    for (let i = 0; i < t1.starts.length; i++) expect(t1.starts[i]! >= 5 * GiB || t1.ends[i]! <= 4 * GiB + 64 * MiB).toBe(true);
  });

  it('moving hot block helper places page-aligned blocks inside the space', () => {
    const p = syntheticMovingHotBlock({ spaceBytes: GiB, blockBytes: 64 * MiB, moveEveryNs: 10e9, durationNs: 60e9, seed: 4 });
    expect(p.blocks.length).toBe(6);
    for (const b of p.blocks) {
      expect(b.start % 4096).toBe(0);
      expect(b.start).toBeGreaterThanOrEqual(GiB);
      expect(b.end).toBeLessThanOrEqual(2 * GiB);
      expect(p.accessedBytes(b.t0Ns, b.t1Ns)).toBe(64 * MiB);
    }
    expect(new Set(p.blocks.map((b) => b.start)).size).toBeGreaterThan(1);
  });
});

describe('native monitor option validation', () => {
  const cases: Array<[string, Parameters<typeof openNativeMonitor>[0], RegExp]> = [
    ['no target', { ops: 'vaddr', primitive: 'clear_refs' }, /needs a target/],
    ['pid 0', { pids: [0], primitive: 'clear_refs' }, /pid must be a positive integer/],
    ['fractional pid', { pids: [1.5], primitive: 'clear_refs' }, /pid must be a positive integer/],
    ['overlapping ranges', { ops: 'fvaddr', ranges: [{ start: 0, end: 10 }, { start: 5, end: 20 }], primitive: 'synthetic', synthetic: pattern }, /overlap/],
    ['empty range', { ops: 'fvaddr', ranges: [{ start: 10, end: 10 }], primitive: 'synthetic', synthetic: pattern }, /empty/],
    ['sample above aggr', { pids: [1], primitive: 'clear_refs', intervals: { sampleUs: 200000 } }, /must not exceed the aggregation interval/],
    ['min regions below 3', { pids: [1], primitive: 'clear_refs', nrRegions: { min: 2 } }, /at least 3/],
    ['max below min', { pids: [1], primitive: 'clear_refs', nrRegions: { min: 20, max: 10 } }, /not below nrRegions.min/],
    ['virtual clock with a real primitive', { pids: [1], primitive: 'clear_refs', clock: 'virtual' }, /needs the synthetic primitive/],
    ['synthetic without pattern', { ops: 'fvaddr', ranges: space, primitive: 'synthetic' }, /needs a pattern/],
    ['synthetic with a pid', { ops: 'fvaddr', pids: [1], ranges: space, primitive: 'synthetic', synthetic: pattern }, /not a process/],
    ['paddr with a pid', { ops: 'paddr', pids: [1], primitive: 'page_idle' }, /takes no pid/],
    ['vaddr with ranges', { targets: [{ pid: 1, ranges: space }], primitive: 'clear_refs' }, /use ops 'fvaddr'/],
    ['unknown primitive', { pids: [1], primitive: 'magic' as never }, /unknown primitive/],
    ['bad ops', { ops: 'kaddr' as never, pids: [1] }, /ops must be/],
  ];
  it.each(cases)('%s is E_USAGE', (_name, options, message) => {
    let caught: unknown;
    try {
      openNativeMonitor(options);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DamoError);
    expect((caught as DamoError).code).toBe('E_USAGE');
    expect((caught as DamoError).message).toMatch(message);
  });

  it('reports why each primitive can or cannot run', () => {
    for (const name of ['page_idle', 'soft_dirty', 'clear_refs', 'synthetic'] as const) {
      const c = caps[name];
      expect(typeof c.available).toBe('boolean');
      if (!c.available) {
        expect(c.reason.length).toBeGreaterThan(10);
        expect(c.code).toMatch(/^E_/);
      }
    }
    expect(caps.synthetic.available).toBe(true);
    expect(nativeCapabilities({ ops: 'paddr' }).clear_refs.available).toBe(false);
  });

  it('refuses an unavailable primitive with its reason', () => {
    const missing = (['page_idle', 'soft_dirty'] as const).find((n) => !caps[n].available);
    if (missing === undefined) return;  // both available (a VM with full config): nothing to refuse
    let caught: unknown;
    try {
      openNativeMonitor({ pids: [process.pid], primitive: missing });
    } catch (err) {
      caught = err;
    }
    expect((caught as DamoError).code).toBe(caps[missing].code);
    expect((caught as DamoError).message).toContain(caps[missing].reason);
  });
});

describe.skipIf(!caps.clear_refs.available)('native monitor on a real process (clear_refs)', () => {
  it('fails with E_NOENT for a pid that does not exist', () => {
    let caught: unknown;
    try {
      const m = openNativeMonitor({ pids: [2 ** 22 + 12345], primitive: 'clear_refs' });
      m.start(() => undefined);
    } catch (err) {
      caught = err;
    }
    expect((caught as DamoError).code).toBe('E_NOENT');
  });

  it('ends with target-exit soon after the process exits, with the vaddr three-region layout', async () => {
    const child = spawn('sleep', ['0.6'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const m = openNativeMonitor({ pids: [child.pid!], primitive: 'clear_refs', intervals: { sampleUs: 10_000, aggrUs: 100_000 } });
    expect(m.header.targets).toEqual([{ id: BigInt(child.pid!), pid: child.pid! }]);
    const snaps: Snapshot[] = [];
    m.start((s) => snaps.push(s));
    const exited = new Promise<number>((r) => child.once('exit', () => r(performance.now())));
    const end = await m.done;
    const endedAt = performance.now();
    expect(end.endReason).toBe('target-exit');
    expect(endedAt - (await exited)).toBeLessThan(300);
    expect(snaps.length).toBeGreaterThanOrEqual(2);
    for (const s of snaps) {
      expectSnapshotShape(s, 10, 1000);
      expect(s.granularityBytes).toBeGreaterThan(0);
    }
  });

  it('follows a layout change at the ops update (vaddr damon_set_regions)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'damo-monitor-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const exe = join(dir, 'touch_part');
    execFileSync('cc', ['-O2', '-o', exe, join(dirname(fileURLToPath(import.meta.url)), 'fixtures/touch_part.c')]);
    // 16 MiB now, 64 MiB more after 400 ms.
    const child = spawn(exe, ['16', '4', '64', '400'], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => child.kill('SIGKILL'));
    const lines: string[] = [];
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
    });
    while (lines.length < 1) await new Promise((r) => setTimeout(r, 10));
    const m = openNativeMonitor({ pids: [child.pid!], primitive: 'clear_refs', intervals: { sampleUs: 10_000, aggrUs: 100_000, opsUpdateUs: 200_000 } });
    const snaps: Snapshot[] = [];
    m.start((s) => snaps.push(s));
    const deadline = Date.now() + 20_000;
    while (lines.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(lines.length).toBe(2);
    const [gs, ge] = lines[1]!.split(' ').map(Number) as [number, number];
    const grownAt = snaps.length;
    while (snaps.length < grownAt + 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await m.stop();
    const covered = (s: Snapshot): number => {
      let c = 0;
      for (let i = 0; i < s.starts.length; i++) c += Math.max(0, Math.min(ge, s.ends[i]!) - Math.max(gs, s.starts[i]!));
      return c;
    };
    expect(covered(snaps[0]!)).toBe(0);  // not mapped yet: inside the biggest gap
    const last = snaps[snaps.length - 1]!;
    expect(covered(last)).toBe(ge - gs);
    expectSnapshotShape(last, 10, 1000);
  }, 30_000);
});

const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups) c();
});
