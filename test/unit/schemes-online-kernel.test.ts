// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo schemes -c FILE <target>` through kernel DAMON, against the fake kernel: the exact
 * scheme writes and their order, statistics read back (and recomputed independently from
 * the regions the fake kdamond generated), the trace they go into, restoration after
 * every way of ending, and a kdamond that is not ours left alone.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { SchemeStatsRecord } from '../../src/core/model.js';
import { openProtobufTrace, type TraceRecord } from '../../src/format/trace_reader.js';
import type { KfsOp } from '../../src/record/kfs.js';
import type { RecordRequest, SchemesRequest } from '../../src/record/request.js';
import { record } from '../../src/record/session.js';
import { sysfsFiles } from '../../src/schemes/kernel.js';
import { parseSchemesText } from '../../src/schemes/text.js';
import { FakeKernel, type EmittedSnapshot } from '../fixtures/record/fake_kernel.js';
import { baseRequest, Cleanup, fakeDeps, makeFake, sleeper, tempDir, waitFor } from '../fixtures/record/helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const ULONG_MAX = '18446744073709551615';
const UINT_MAX = '4294967295';
// At FAST_INTERVALS (1 ms / 20 ms): 40 ms = 2 aggregation intervals.
const PAGEOUT = '4K max 0 0 40ms max pageout';

function schemesReq(text: string, extra: Partial<SchemesRequest> = {}): SchemesRequest {
  return { schemes: parseSchemesText(text, 'test.damos'), name: 'test.damos', backend: 'auto', statsIntervalMs: 30, ...extra };
}

function request(fake: FakeKernel, pid: number, text: string, extra: Partial<RecordRequest> = {}, sch: Partial<SchemesRequest> = {}): RecordRequest {
  return baseRequest(fake, '', { out: null, target: { kind: 'pids', pids: [pid] }, timeoutSec: 0.4, json: true, schemes: schemesReq(text, sch), ...extra });
}

function writes(log: KfsOp[], root: string): string[] {
  return log.filter((o): o is Extract<KfsOp, { op: 'write' }> => o.op === 'write').map((o) => `${o.path.replace(root, 'S')} ${o.value}`);
}

/** The statistics recomputed from the regions the fake kdamond generated (inclusive bounds). */
function recompute(emitted: EmittedSnapshot[], pattern: { minSz: number; nr: [number, number]; minAge: number }, applies: boolean) {
  let nrTried = 0;
  let szTried = 0;
  for (const e of emitted) {
    for (const r of e.regions) {
      const sz = r.end - r.start;
      if (sz >= pattern.minSz && r.nrAccesses >= pattern.nr[0] && r.nrAccesses <= pattern.nr[1] && r.age >= pattern.minAge) {
        nrTried++;
        szTried += sz;
      }
    }
  }
  return { nrTried, szTried, nrApplied: applies ? nrTried : 0, szApplied: applies ? szTried : 0, qtExceeds: 0 };
}

function expectRestored(fake: FakeKernel): void {
  expect(fake.read(`${fake.roots.sysfs}/kdamonds/nr_kdamonds`).trim()).toBe('0');
  expect(fake.list(`${fake.roots.sysfs}/kdamonds`)).toEqual(['nr_kdamonds']);
  expect(fake.list(`${fake.roots.tracefs}/instances`)).toEqual([]);
  expect(fake.isRunning('sysfs:0')).toBe(false);
}

interface JsonOut {
  backend: string;
  stopped_because: string;
  schemes: Array<{ scheme: string; action: string; stats: { nr_tried: number; sz_tried: number; nr_applied: number; sz_applied: number; qt_exceeds: number } }>;
}

describe('damo schemes through kernel DAMON sysfs', () => {
  it('writes the schemes file by file in this order, reads the statistics back, restores', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const pid = target.pid as number;
    const h = fakeDeps(fake);
    const r = await record(request(fake, pid, PAGEOUT), h.deps);
    expect(r.exitCode).toBe(0);
    const C = 'S/kdamonds/0/contexts/0';
    const all = writes(fake.log, fake.roots.sysfs);
    // update_schemes_stats is repeated while running; everything else is written once, in order.
    expect(all.filter((w) => !w.endsWith('state update_schemes_stats'))).toEqual([
      'S/kdamonds/nr_kdamonds 1',
      'S/kdamonds/0/contexts/nr_contexts 1',
      `${C}/operations vaddr`,
      `${C}/monitoring_attrs/intervals/sample_us 1000`,
      `${C}/monitoring_attrs/intervals/aggr_us 20000`,
      `${C}/monitoring_attrs/intervals/update_us 1000000`,
      `${C}/monitoring_attrs/nr_regions/min 10`,
      `${C}/monitoring_attrs/nr_regions/max 1000`,
      `${C}/targets/nr_targets 1`,
      `${C}/targets/0/pid_target ${pid}`,
      `${C}/schemes/nr_schemes 1`,
      `${C}/schemes/0/action pageout`,
      `${C}/schemes/0/access_pattern/sz/min 4096`,
      `${C}/schemes/0/access_pattern/sz/max ${ULONG_MAX}`,
      `${C}/schemes/0/access_pattern/nr_accesses/min 0`,
      `${C}/schemes/0/access_pattern/nr_accesses/max 0`,
      `${C}/schemes/0/access_pattern/age/min 2`,
      `${C}/schemes/0/access_pattern/age/max ${UINT_MAX}`,
      `${C}/schemes/0/quotas/ms 0`,
      `${C}/schemes/0/quotas/bytes 0`,
      `${C}/schemes/0/quotas/reset_interval_ms ${ULONG_MAX}`,
      `${C}/schemes/0/quotas/weights/sz_permil 0`,
      `${C}/schemes/0/quotas/weights/nr_accesses_permil 0`,
      `${C}/schemes/0/quotas/weights/age_permil 0`,
      `${C}/schemes/0/watermarks/metric none`,
      `${C}/schemes/0/watermarks/interval_us 0`,
      `${C}/schemes/0/watermarks/high 0`,
      `${C}/schemes/0/watermarks/mid 0`,
      `${C}/schemes/0/watermarks/low 0`,
      'S/kdamonds/0/state on',
      'S/kdamonds/0/state off',
      'S/kdamonds/nr_kdamonds 0',
    ]);
    // Statistics are polled while it runs, the last time just before 'off'.
    const updates = all.filter((w) => w.endsWith('state update_schemes_stats')).length;
    expect(updates).toBeGreaterThanOrEqual(3);
    expect(all.indexOf('S/kdamonds/0/state off')).toBe(all.lastIndexOf('S/kdamonds/0/state update_schemes_stats') + 1);
    // What the kernel published last is what we report, and it is what the regions give.
    const last = fake.statsUpdates.at(-1);
    expect(last?.nrAggregations).toBeGreaterThan(3);
    const mine = fake.emitted.filter((e) => e.kdamondPid === last?.kdamondPid).slice(0, last?.nrAggregations);
    const expected = recompute(mine, { minSz: 4096, nr: [0, 0], minAge: 2 }, true);
    expect(expected.nrTried).toBeGreaterThan(0);
    expect(last?.stats[0]).toEqual(expected);
    const json = JSON.parse(h.stdout()) as JsonOut;
    expect(json.backend).toBe('sysfs');
    expect(json.stopped_because).toBe('the 0.4 s timeout passed');
    expect(json.schemes[0]).toMatchObject({ scheme: '4K max min 0 40ms max pageout', action: 'pageout' });
    expect(json.schemes[0]?.stats).toEqual({ nr_tried: expected.nrTried, sz_tried: expected.szTried, nr_applied: expected.nrApplied, sz_applied: expected.szApplied, qt_exceeds: 0 });
    expect(h.stderr()).toMatch(/applying 1 scheme from test.damos to pid \d+ with kernel DAMON \(sysfs kdamond 0 pid 700000\) for up to 0.4 s/);
    expect(r.summary.nrSnapshots).toBe(0); // no trace wanted: nothing sampled for one
    expectRestored(fake);
  });

  it('writes several schemes exactly as `damo schemes convert --to sysfs` lists them', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const text = [
      '4K max 0 0 40ms max pageout quota_sz=1M quota_reset=1s weights=0,300,700 filter=reject,addr,0,1G',
      'min max 5 max min max stat goal=user_input,100,current=20 quota_sz=1G quota_reset=100ms',
      '2M max 50 max 20ms 1s hugepage apply_interval=40ms wmarks=free_mem_rate,1s,900,500,100',
    ].join('\n');
    const h = fakeDeps(fake);
    const r = await record(request(fake, target.pid as number, text, { timeoutSec: 0.2 }), h.deps);
    expect(r.exitCode).toBe(0);
    const C = `${fake.roots.sysfs}/kdamonds/0/contexts/0`;
    const schemeWrites = fake.log.filter((o): o is Extract<KfsOp, { op: 'write' }> => o.op === 'write' && o.path.startsWith(`${C}/schemes/`)).map((o) => [o.path.slice(C.length + 1), o.value]);
    const listing = sysfsFiles(parseSchemesText(text, 'x'), { sampleUs: 1000, aggrUs: 20000 }).map((f) => [f.path, f.value]);
    expect(schemeWrites).toEqual(listing);
    expect(listing.length).toBeGreaterThan(60);
    expect((JSON.parse(h.stdout()) as JsonOut).schemes.map((s) => s.action)).toEqual(['pageout', 'stat', 'hugepage']);
    expectRestored(fake);
  });

  it('-o records the monitoring (tracefs) with the statistics and the schemes they refer to', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const out = join(tempDir('damo-schemes-out-'), 's.data');
    cleanup.add(() => rmSync(join(out, '..'), { recursive: true, force: true }));
    const h = fakeDeps(fake);
    const r = await record(request(fake, target.pid as number, `${PAGEOUT}\nmin max min max min max stat`, { out, json: false }), h.deps);
    expect(r.summary.source).toBe('kernel-tracefs');
    const trace = await openProtobufTrace(out, { strict: true });
    const recs: TraceRecord[] = [];
    for await (const x of trace.records()) recs.push(x);
    const events = recs.flatMap((x) => (x.kind === 'event' ? [x.event] : []));
    // The target's mappings, resident pages, the ranges madvise refuses and its program
    // images are recorded too (format/mappings.ts, format/resident.ts, madvise-refused,
    // format/program_images.ts), when it is a live process.
    expect(events.filter((e) => e.kind === 'program-images')).toHaveLength(1);
    const others = events.filter((e) => !['mappings', 'resident', 'resident-shared', 'madvise-refused', 'program-images'].includes(e.kind));
    expect(others.map((e) => e.kind)).toEqual(['start', 'schemes']);
    expect(others[1]?.message).toBe('4K max min 0 40ms max pageout\nmin max min max min max stat');
    const stats = recs.flatMap((x) => (x.kind === 'scheme-stats' ? [x.stats] : []));
    expect(stats.length).toBeGreaterThanOrEqual(4);
    expect(new Set(stats.map((s) => s.schemeIndex))).toEqual(new Set([0, 1]));
    const lastOf = (i: number): SchemeStatsRecord | undefined => stats.filter((s) => s.schemeIndex === i).at(-1);
    // The file's last records are the table's numbers; stat tries everything, applies nothing.
    expect(lastOf(0)?.szAppliedBytes).toBe(r.summary.schemes?.schemes[0]?.stats.szApplied);
    expect(lastOf(1)).toMatchObject({ nrApplied: 0, szAppliedBytes: 0 });
    expect(lastOf(1)?.nrTried).toBeGreaterThan(lastOf(0)?.nrTried ?? Infinity);
    expect(recs.filter((x) => x.kind === 'snapshot').length).toBeGreaterThanOrEqual(5);
    expect(h.stdout()).toMatch(/^# 2 schemes from test.damos applied to pid \d+ by kernel DAMON \(sysfs kdamond 0 pid 700000, tracefs instance damo-ts\.\d+, trace_pipe, as trace_pipe_raw cannot be decoded: no events\/header_page\) for [\d.]+ m?s; stopped because the 0.4 s timeout passed\n# intervals: sample 1 ms, aggregation 20 ms; trace with statistics in .*s.data\n# {2}action {3}nr_tried/);
    expectRestored(fake);
  });

  it('-o without tracefs: the snapshot source\'s stat scheme comes after the user\'s', async () => {
    const fake = makeFake(cleanup, { tracefs: false });
    const target = sleeper(cleanup);
    const dir = tempDir('damo-schemes-out-');
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const h = fakeDeps(fake);
    const r = await record(request(fake, target.pid as number, PAGEOUT, { out: join(dir, 'x.data') }), h.deps);
    expect(r.summary.source).toBe('kernel-sysfs');
    expect(r.summary.nrSnapshots).toBeGreaterThan(0);
    const all = writes(fake.log, fake.roots.sysfs);
    const C = 'S/kdamonds/0/contexts/0';
    expect(all).toContain(`${C}/schemes/nr_schemes 2`);
    expect(all).toContain(`${C}/schemes/0/action pageout`);
    expect(all).toContain(`${C}/schemes/1/action stat`);
    expect(all).toContain(`${C}/schemes/1/apply_interval_us 1000`);
    expect(all.some((w) => w.endsWith('state update_schemes_tried_regions'))).toBe(true);
    // The statistics are scheme 0's, not the stat scheme's.
    const last = fake.statsUpdates.at(-1);
    expect((JSON.parse(h.stdout()) as JsonOut).schemes[0]?.stats.nr_tried).toBe(last?.stats[0]?.nrTried);
    expectRestored(fake);
  });

  const endings: Array<[string, number, string]> = [
    ['SIGINT', 130, 'signal:SIGINT'],
    ['SIGTERM', 143, 'signal:SIGTERM'],
    ['target exit', 0, 'target-exit'],
  ];
  for (const [how, code, reason] of endings) {
    it(`restores everything when it ends by ${how} (exit ${code})`, async () => {
      const fake = makeFake(cleanup);
      const h = fakeDeps(fake);
      const command = how === 'target exit' ? ['sleep', '0.5'] : ['sleep', '30'];
      const p = record(request(fake, 0, PAGEOUT, { target: { kind: 'command', argv: command, shell: false, display: command.join(' ') }, timeoutSec: undefined }), h.deps);
      if (how !== 'target exit') {
        // Statistics that counted something: on a loaded machine the fake kdamond's first
        // aggregations can come after the first updates.
        await waitFor(() => fake.statsUpdates.length >= 2 && (fake.statsUpdates.at(-1)?.stats[0]?.nrTried ?? 0) > 0, 10_000, 'statistics with tried regions');
        h.interrupt(how as 'SIGINT' | 'SIGTERM');
      }
      const r = await p;
      expect(r.exitCode).toBe(code);
      expect(r.summary.endReason).toBe(reason);
      expect(fake.statsUpdates.length).toBeGreaterThanOrEqual(2);
      expect((JSON.parse(h.stdout()) as JsonOut).schemes[0]?.stats.nr_tried).toBeGreaterThan(0);
      expectRestored(fake);
    });
  }

  it('refuses a scheme the kernel lacks a file for, naming the feature; nothing is left behind', async () => {
    const fake = makeFake(cleanup, { applyInterval: false });
    const target = sleeper(cleanup);
    const h = fakeDeps(fake);
    await expect(record(request(fake, target.pid as number, 'min max 0 0 40ms max pageout apply_interval=100ms'), h.deps)).rejects.toMatchObject({
      code: 'E_UNSUPPORTED',
      message: expect.stringMatching(/^scheme 0 \(test.damos:1\) uses apply intervals \(Linux 6.7\+\), which this kernel lacks \(.*schemes\/0\/apply_interval_us does not exist\)/),
    });
    expectRestored(fake);
  });

  it('explains an action the kernel rejects (EINVAL), and restores', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const h = fakeDeps(fake);
    await expect(record(request(fake, target.pid as number, 'min max 0 0 1s max collapse', {}, { backend: 'sysfs' }), h.deps)).rejects.toMatchObject({
      code: 'E_UNSUPPORTED',
      message: expect.stringMatching(/scheme 0 \(test.damos:1\): this kernel does not accept the action 'collapse' \(EINVAL writing .*schemes\/0\/action\)/),
    });
    expectRestored(fake);
  });
});

describe('damo schemes through the debugfs interface', () => {
  it('writes the 18-field lines, reads the statistics from them, and restores the old files', async () => {
    const fake = makeFake(cleanup, { sysfs: false, debugfs: 'monitor_on_DEPRECATED' });
    const D = fake.roots.debugfs;
    fake.write(`${D}/schemes`, '4096 8192 0 5 10 20 1 0 0 0 0 0 0 0 0 0 0 0\n');
    fake.log.length = 0;
    const target = sleeper(cleanup);
    const pid = target.pid as number;
    const h = fakeDeps(fake);
    const r = await record(request(fake, pid, PAGEOUT, { timeoutSec: 0.3 }), h.deps);
    expect(r.exitCode).toBe(0);
    expect(r.summary.source).toBe('kernel-debugfs');
    const ws = writes(fake.log, D);
    expect(ws).toEqual([
      'S/attrs 1000 20000 1000000 10 1000',
      `S/schemes 4096\t${ULONG_MAX}\t0\t0\t2\t${UINT_MAX}\t2\t0\t0\t${ULONG_MAX}\t0\t0\t0\t0\t0\t0\t0\t0\n`,
      `S/target_ids ${pid}`,
      'S/monitor_on_DEPRECATED on',
      'S/monitor_on_DEPRECATED off',
      'S/attrs 5000 100000 1000000 10 1000',
      'S/target_ids \n',
      'S/schemes 4096 8192 0 5 10 20 1 0 0 0 0 0 0 0 0 0 0 0\n',
    ]);
    // The last reading before 'off' equals the regions of some prefix of the aggregations.
    const mine = fake.emitted.filter((e) => e.kdamondPid === 700000);
    const got = (JSON.parse(h.stdout()) as JsonOut).schemes[0]?.stats;
    const prefixes = mine.map((_, k) => recompute(mine.slice(0, k + 1), { minSz: 4096, nr: [0, 0], minAge: 2 }, true));
    expect(got?.nr_tried).toBeGreaterThan(0);
    expect(prefixes.map((p) => ({ nr_tried: p.nrTried, sz_tried: p.szTried, nr_applied: p.nrApplied, sz_applied: p.szApplied, qt_exceeds: 0 }))).toContainEqual(got);
    expect(fake.read(`${D}/monitor_on_DEPRECATED`).trim()).toBe('off');
    // Had we been killed, the crash guardian would have put the old schemes back too.
    expect(h.guardian.steps).toContainEqual({ kind: 'write-if-equals', checkPath: `${D}/monitor_on_DEPRECATED`, equals: 'off', path: `${D}/schemes`, value: '4096 8192 0 5 10 20 1 0 0 0 0 0 0 0 0 0 0 0\n' });
  });

  it('refuses schemes debugfs cannot express, saying why', async () => {
    const fake = makeFake(cleanup, { sysfs: false, debugfs: 'monitor_on' });
    const target = sleeper(cleanup);
    const h = fakeDeps(fake);
    await expect(record(request(fake, target.pid as number, 'min max 0 0 1s max lru_prio', {}, { backend: 'debugfs' }), h.deps)).rejects.toThrow(
      /cannot apply the schemes with --backend debugfs: scheme 0 \(test.damos:1\): the 'vaddr' operations set does not implement 'lru_prio'/,
    );
    await expect(record(request(fake, target.pid as number, 'min max 0 0 1s max pageout filter=reject,anon', {}, { backend: 'debugfs' }), h.deps)).rejects.toThrow(/filters cannot be written for debugfs/);
    expect(fake.log).toEqual([]);
  });
});

describe('damo schemes safety and backend choice', () => {
  it('never touches a kdamond that is not ours: refused with the reasons, every file byte-identical', async () => {
    const fake = makeFake(cleanup, { foreign: [{ state: 'on', pid: 77, ops: 'paddr' }] });
    const target = sleeper(cleanup);
    const before = FakeKernel.snapshotTree(fake.dir);
    const h = fakeDeps(fake);
    await expect(record(request(fake, target.pid as number, PAGEOUT), h.deps)).rejects.toMatchObject({
      code: 'E_BUSY',
      message: expect.stringMatching(/no backend can apply these schemes to 'vaddr':\n {2}kernel sysfs: kdamond 0 \(pid 77\) is running and is not ours[^\n]*\n {2}kernel debugfs: [^\n]*\n {2}native engine: not in this test/),
      hint: expect.stringMatching(/--backend native/),
    });
    await expect(record(request(fake, target.pid as number, PAGEOUT, {}, { backend: 'sysfs' }), h.deps)).rejects.toMatchObject({ code: 'E_BUSY' });
    expect(fake.log).toEqual([]);
    expect(FakeKernel.snapshotTree(fake.dir)).toEqual(before);
    expect(fake.isRunning('sysfs:0')).toBe(true);
  });

  it('refuses actions the operations set does not implement, and the native engine names its limits', async () => {
    const fake = makeFake(cleanup);
    const h = fakeDeps(fake, { probeNative: async () => ({ usable: true, primitive: 'page_idle' }) });
    await expect(record(request(fake, 0, 'min max 0 0 1s max cold', { target: { kind: 'paddr' }, ops: 'paddr' }), h.deps)).rejects.toThrow(
      /kernel sysfs: scheme 0 \(test.damos:1\): the 'paddr' operations set does not implement 'cold'.*\n.*\n {2}native engine: scheme 0 \(test.damos:1\) \(cold\): process_madvise\(2\) acts on a process's virtual memory/,
    );
    const target = sleeper(cleanup);
    await expect(record(request(fake, target.pid as number, 'min max 0 0 1s max hugepage', {}, { backend: 'native' }), h.deps)).rejects.toThrow(
      /cannot apply the schemes with --backend native: scheme 0 \(test.damos:1\) \(hugepage\): process_madvise\(\) refuses MADV_HUGEPAGE for another process; only the kernel's DAMON can apply it/,
    );
    expect(fake.log).toEqual([]);
  });

  it('keeps the trace protobuf-only and --primitive native-only', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const h = fakeDeps(fake);
    await expect(record(request(fake, target.pid as number, PAGEOUT, { out: '/tmp/x.json', outputType: 'json' }), h.deps)).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(record(request(fake, target.pid as number, PAGEOUT, { primitive: 'page_idle' }, { backend: 'sysfs' }), h.deps)).rejects.toThrow(/--primitive page_idle applies to the native engine, not to --backend sysfs/);
    expect(fake.log).toEqual([]);
  });
});

