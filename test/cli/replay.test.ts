// SPDX-License-Identifier: GPL-2.0-only
/**
 * The replay generator (build/Release/damo_replay) and `damo replay` end to end on this host:
 * plan validation in the executable, exact touch accounting, determinism of the schedule,
 * signals, and the resident-memory check against the trace's working set.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeSyntheticTrace } from '../../src/format/synthetic.js';
import { encodePlanEnd, encodePlanHeader, encodePlanPeriod, type PlanHeaderFields, type PlanPeriod } from '../../src/replay/plan_codec.js';
import { replayBinaryPath } from '../../src/replay/runner.js';
import { BIN, runBin, runMain } from './helpers.js';

const PAGE = 4096;
const EXE = replayBinaryPath();
const dir = mkdtempSync(join(tmpdir(), 'damo-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function header(overrides: Partial<PlanHeaderFields> = {}): PlanHeaderFields {
  return {
    pageSizeBytes: PAGE,
    maxMemoryBytes: 1 << 30,
    seed: 1,
    startDelayNs: 0,
    vmaBytes: 0,
    nrThreads: 2,
    flags: 0,
    areas: [
      { traceStart: 1 << 20, traceEnd: (1 << 20) + 64 * PAGE, replayBytes: 64 * PAGE },
      { traceStart: 1 << 30, traceEnd: (1 << 30) + 16 * PAGE, replayBytes: 16 * PAGE },
    ],
    metaJson: '{"test":true}',
    ...overrides,
  };
}

function period(startOffsetNs: number, overrides: Partial<PlanPeriod> = {}): PlanPeriod {
  return {
    startOffsetNs,
    durationNs: 20_000_000,
    nrSlots: 20,
    ranges: [
      { area: 0, nrAccesses: 20, start: 0, end: 8 * PAGE },
      { area: 0, nrAccesses: 0, start: 8 * PAGE, end: 32 * PAGE },
      { area: 0, nrAccesses: 2, start: 32 * PAGE, end: 64 * PAGE },
      { area: 1, nrAccesses: 1, start: 0, end: 16 * PAGE },
    ],
    ...overrides,
  };
}

function plan(h: PlanHeaderFields, periods: PlanPeriod[], endCount = periods.length): Buffer {
  return Buffer.concat([encodePlanHeader(h), ...periods.map(encodePlanPeriod), encodePlanEnd(endCount)]);
}

function exe(input: Buffer, args: string[] = []): { status: number | null; stdout: string; stderr: string; events: Array<Record<string, unknown>> } {
  const r = spawnSync(EXE, args, { input, encoding: 'utf8', timeout: 30_000 });
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, events };
}

describe('damo_replay executable', () => {
  it('is built', () => {
    expect(existsSync(EXE), `${EXE} missing: run npm run build:native`).toBe(true);
  });

  it('refuses bad plans with the byte offset and the reason, exit 2', () => {
    const good = plan(header(), [period(0)]);
    const cases: Array<[Buffer, RegExp, string[]?]> = [
      [Buffer.from('NOTAPLAN'), /bad magic bytes/],
      [Buffer.concat([good.subarray(0, 8), Buffer.from([2, 0, 0, 0]), good.subarray(12)]), /plan version 2 is not supported/],
      [plan(header({ pageSizeBytes: 8192 }), []), /byte offset 12: page_size_bytes 8192 differs from this machine's page size 4096/],
      [plan(header({ maxMemoryBytes: 1 << 30 }), []), /allows 1073741824 bytes, more than --max_memory 1000000/, ['--max_memory', '1000000']],
      [plan(header({ maxMemoryBytes: 32 * PAGE }), []), /areas add up to more than the plan's max_memory_bytes/],
      [plan(header({ flags: 64 }), []), /unknown flags 0x00000040/],
      [plan(header({ nrThreads: 0 }), []), /nr_threads 0 is not in \[1, 256\]/],
      [plan(header({ vmaBytes: 1000 }), []), /vma_bytes 1000 is not a multiple of the page size/],
      [plan(header({ vmaBytes: PAGE }), [], 0).subarray(0, 60), /the plan ends inside/],
      [plan(header(), [period(0, { ranges: [{ area: 2, nrAccesses: 1, start: 0, end: PAGE }] })]), /period 0: range 0: area 2 does not exist/],
      [plan(header(), [period(0, { ranges: [{ area: 1, nrAccesses: 1, start: 0, end: 17 * PAGE }] })]), /is not inside area 1 of 65536 bytes/],
      [plan(header(), [period(0, { ranges: [{ area: 0, nrAccesses: 1, start: 100, end: PAGE }] })]), /is not page-aligned/],
      [plan(header(), [period(0, { ranges: [{ area: 0, nrAccesses: 21, start: 0, end: PAGE }] })]), /nr_accesses is above the period's nr_slots/],
      [
        plan(header(), [
          period(0, {
            ranges: [
              { area: 0, nrAccesses: 1, start: PAGE, end: 2 * PAGE },
              { area: 0, nrAccesses: 1, start: 0, end: PAGE },
            ],
          }),
        ]),
        /must be sorted by area and address and must not overlap/,
      ],
      [plan(header(), [period(0), period(10_000_000)]), /period 1: starts before the previous period ends/],
      [plan(header(), [period(0, { durationNs: 1000, nrSlots: 20 })]), /slots are shorter than 1 us/],
      [plan(header(), [period(0)], 5), /the end marker counts 5 periods but 1 were read/],
      [good.subarray(0, good.length - 30), /the plan ends inside/],
    ];
    for (const [input, message, args] of cases) {
      const r = exe(input, ['--dry_run', ...(args ?? [])]);
      expect(r.status, message.source).toBe(2);
      expect(r.stderr).toMatch(/^damo_replay: invalid plan: plan byte offset \d+: /);
      expect(r.stderr).toMatch(message);
      expect(r.events.at(-1)?.event).toBe('error');
    }
  });

  it('schedules k evenly spaced touches per period, deterministic for a seed', () => {
    const p = [period(0), period(20_000_000), period(40_000_000)];
    const a = exe(plan(header(), p), ['--dry_run']);
    const b = exe(plan(header(), p), ['--dry_run']);
    const c = exe(plan(header({ seed: 99 }), p), ['--dry_run']);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(c.stdout).not.toBe(a.stdout);
    const schedules = a.events.filter((e) => e.event === 'schedule');
    expect(schedules.length).toBe(3);
    for (const s of schedules) {
      expect(s.idle).toEqual([1]);
      const touch = new Map((s.touch as Array<[number, number[]]>).map(([r, slots]) => [r, slots]));
      expect(touch.get(0)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      const two = touch.get(2) as number[];
      expect(two.length).toBe(2);
      expect(two[1]! - two[0]!).toBe(10); // evenly spaced over 20 slots
      expect(two[0]).toBeLessThan(5); // first touch within the first quarter
      expect(touch.get(3)?.length).toBe(1);
      expect(touch.get(3)![0]).toBeLessThan(5);
    }
  });

  it('touches exactly the planned pages, releases idle ranges, and writes the mapping', () => {
    const mappingPath = join(dir, 'exe-map.json');
    const periods = [period(0), period(20_000_000), period(40_000_000)];
    const r = exe(plan(header(), periods), ['--mapping', mappingPath]);
    expect(r.status, r.stderr).toBe(0);
    const done = r.events.find((e) => e.event === 'done') as Record<string, number>;
    // Per period: 8 pages x 20 + 32 x 2 + 16 x 1 = 240 page writes; 24 idle pages released.
    expect(done.periods).toBe(3);
    expect(done.touchedPages).toBe(3 * 240);
    expect(done.releasedBytes).toBe(3 * 24 * PAGE);
    const mapping = JSON.parse(readFileSync(mappingPath, 'utf8')) as {
      pid: number;
      areas: Array<{ traceStart: number; traceEnd: number; replayStart: number; replayEnd: number }>;
      reserve: { start: number; end: number };
      plan: unknown;
    };
    expect(r.events[0]).toEqual({ event: 'mapping', mapping });
    expect(mapping.plan).toEqual({ test: true });
    expect(mapping.areas.map((a) => a.replayEnd - a.replayStart)).toEqual([64 * PAGE, 16 * PAGE]);
    expect(mapping.areas[0]?.replayStart).toBe(mapping.reserve.start + PAGE);
    expect(mapping.areas[1]?.replayStart).toBe((mapping.areas[0]?.replayEnd ?? 0) + PAGE);
    expect(mapping.reserve.end).toBe((mapping.areas[1]?.replayEnd ?? 0) + PAGE);
  });

  it('splits areas into mappings of vma_bytes so per-mapping access checks can locate accesses', async () => {
    const child = spawn(EXE, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(plan(header({ vmaBytes: 8 * PAGE }), [period(0, { durationNs: 20_000_000_000 })]));
    let out = '';
    child.stdout.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve();
      });
    });
    const mapping = (JSON.parse(out.split('\n')[0] as string) as { mapping: { reserve: { start: number; end: number } } }).mapping;
    const vmas = readFileSync(`/proc/${child.pid}/maps`, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => l.split(' '))
      .map(([range, perms]) => {
        const [s, e] = (range as string).split('-').map((x) => Number.parseInt(x, 16)) as [number, number];
        return { s, e, perms: perms as string };
      })
      .filter((v) => v.s >= mapping.reserve.start && v.e <= mapping.reserve.end && v.perms.startsWith('rw'));
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('close', resolve));
    // 64 pages in pieces of 8 and 16 pages in pieces of 8: 8 + 2 mappings, all 8 pages long.
    expect(vmas.length).toBe(10);
    expect(vmas.every((v) => v.e - v.s === 8 * PAGE)).toBe(true);
  });

  it('ends at once on SIGTERM while still waiting for its plan', async () => {
    const child = spawn(EXE, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(143);
  });

  it('stops promptly on SIGTERM and reports what it did (exit 143)', async () => {
    const child = spawn(EXE, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(plan(header(), [period(0, { durationNs: 20_000_000_000 })]));
    let out = '';
    child.stdout.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: string) => {
        out += d;
        if (out.includes('"mapping"')) resolve();
      });
    });
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(143);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(out).toMatch(/"event":"interrupted","signal":15,/);
  });
});

describe('damo replay', () => {
  let small: string;
  beforeAll(async () => {
    small = join(dir, 'small.data');
    await writeSyntheticTrace(small, { nrSnapshots: 24, nrRegionsPerSnapshot: 60, seed: 5, spaceBytes: 64 << 20, hotMoveEvery: 8 });
  });

  it("keeps the replay's resident memory within 10% of the trace's working set at the percentiles", () => {
    // Twice as slow as recorded: 200 ms periods leave room on a busy 2-core machine.
    const r = runBin(['replay', '-i', small, '--check_rss', '--json', '--time_scale', '2', '--seed', '3']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as {
      outcome: string;
      periods: { planned: number; replayed: number };
      rss: { nr_points: number; nr_late: number; percentiles: Array<{ percentile: number; error_pct: number | null }>; max_abs_error_pct: number };
    };
    expect(s.outcome).toBe('done');
    expect(s.periods).toEqual({ planned: 24, replayed: 24 });
    expect(s.rss.nr_points, `only ${s.rss.nr_points} of 24 periods could be sampled in time (${s.rss.nr_late} late): is the machine overloaded?`).toBeGreaterThanOrEqual(5);
    for (const row of s.rss.percentiles) expect(Math.abs(row.error_pct ?? Infinity), `p${row.percentile}`).toBeLessThanOrEqual(10);
  });

  it('touches exactly the working set each period (Referenced bytes via clear_refs)', () => {
    const r = runBin(['replay', '-i', small, '--check_referenced', '--json', '--time_scale', '2', '-q']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { referenced: { nr_points: number; percentiles: Array<{ percentile: number; error_pct: number | null }> } };
    expect(s.referenced.nr_points, 'periods sampled in time').toBeGreaterThanOrEqual(5);
    for (const row of s.referenced.percentiles) expect(Math.abs(row.error_pct ?? Infinity), `p${row.percentile}`).toBeLessThanOrEqual(10);
  });

  it('writes a plan the executable runs by itself', () => {
    const planPath = join(dir, 'small.plan');
    const mappingPath = join(dir, 'small-map.json');
    const w = runBin(['replay', '-i', small, '--plan_out', planPath, '--mapping', mappingPath, '--time_scale', '0.25']);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stderr).toContain(`--plan ${planPath}`);
    const r = spawnSync(EXE, ['--plan', planPath, '--mapping', mappingPath, '--quiet'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const mapping = JSON.parse(readFileSync(mappingPath, 'utf8')) as { plan: { trace: string; timeScale: number } };
    expect(mapping.plan.trace).toBe(small);
    expect(mapping.plan.timeScale).toBe(0.25);
  });

  it('prints a text summary with the mapping, and the mapping parses', async () => {
    const mappingPath = join(dir, 'text-map.json');
    const r = runBin(['replay', '-i', small, '--time_scale', '0.1', '--mapping', mappingPath, '--max_memory', '16M']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^# replay of .*small\.data \(target 0\) as pid \d+: done$/m);
    expect(r.stdout).toMatch(/^periods: +24 of 24 replayed/m);
    expect(r.stdout).toMatch(/^memory: +3 area\(s\), 15\.996 MiB for 63\.996 MiB of trace \(scale 0\.2498\)$/m);
    expect(r.stderr).toMatch(/scaled by 0\.2498 to fit --max_memory 16\.000 MiB/);
    const { readMapping } = await import('../../src/replay/mapping.js');
    const m = await readMapping(mappingPath);
    expect(m.areas.length).toBe(3);
    expect(m.plan.scale).toBeCloseTo(0.25, 2);
  });

  it('stops the generator and exits 130 on Ctrl-C', async () => {
    const long = join(dir, 'long.data');
    await writeSyntheticTrace(long, { nrSnapshots: 600, nrRegionsPerSnapshot: 30, seed: 1, spaceBytes: 16 << 20 });
    const child = spawn(process.execPath, [BIN, 'replay', '-i', long], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const pid = await new Promise<number>((resolve) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        const m = /as pid (\d+)/.exec(err);
        if (m !== null) resolve(Number(m[1]));
      });
    });
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(out).toMatch(/: interrupted$/m);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('reports bad input and options clearly', async () => {
    const missing = await runMain(['replay', '-i', join(dir, 'nope.data')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^damo: .*nope\.data: no such file/m);
    const size = await runMain(['replay', '-i', small, '--max_memory', 'lots']);
    expect(size.code).toBe(2);
    expect(size.stderr).toContain("'lots' is not a size");
    const target = await runMain(['replay', '-i', small, '--target', '3']);
    expect(target.code).toBe(2);
    expect(target.stderr).toContain('--target 3 does not exist');
    const scale = await runMain(['replay', '-i', small, '--time_scale', '0']);
    expect(scale.code).toBe(2);
  });
});
