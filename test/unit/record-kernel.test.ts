// SPDX-License-Identifier: GPL-2.0-only
/**
 * Kernel backends against fake sysfs/tracefs/debugfs trees: detection, source choice, the
 * exact writes each source makes and their order, and restoration on every way of ending.
 */
import { afterEach, describe, expect, it } from 'vitest';

import type { Snapshot } from '../../src/core/model.js';
import { chooseSource, detect, type Detection, type NativeAvailability } from '../../src/record/detect.js';
import { NoGuardian } from '../../src/record/guardian.js';
import { createKernelSource, tracePipePollMs, type KernelSourceConfig } from '../../src/record/kernel_source.js';
import type { KfsOp } from '../../src/record/kfs.js';
import { symbolsHave } from '../../src/record/deps.js';
import { TRACE_READER_ENV } from '../../src/record/source_names.js';
import { pidAlive } from '../../src/record/target.js';
import { FakeKernel, type FakeKernelOptions } from '../fixtures/record/fake_kernel.js';
import { Cleanup, FAST_INTERVALS, makeFake, sleeper, waitFor } from '../fixtures/record/helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const NATIVE_OK: NativeAvailability = { usable: true, primitive: 'clear_refs' };
const NATIVE_NO: NativeAvailability = { usable: false, reason: 'no addon' };

function det(fake: FakeKernel, over: { euid?: number; release?: string; kallsyms?: Map<string, boolean> | null } = {}): Detection {
  return detect({
    kfs: fake,
    roots: fake.roots,
    euid: over.euid ?? 0,
    kernelRelease: over.release ?? '6.12.0',
    kallsymsHas: () => over.kallsyms ?? null,
    pidAlive,
  });
}

function rel(fake: FakeKernel, ops: KfsOp[]): string[] {
  const r = (p: string): string =>
    p.replace(fake.roots.sysfs, 'S').replace(fake.roots.tracefs, 'T').replace(fake.roots.debugfs, 'D').replace(/damo-ts\.\d+/, 'damo-ts.PID');
  return ops.map((o) => (o.op === 'write' ? `write ${r(o.path)} = ${o.value.replace(/\n/g, '\\n')}` : `${o.op} ${r(o.path)}`));
}

describe('detection and the choice of source', () => {
  it('picks the tracefs stream on a kernel with DAMON sysfs, tracefs and no kdamond', () => {
    const fake = makeFake(cleanup);
    const d = det(fake);
    expect(d.sysfs).toMatchObject({ present: true, nrKdamonds: 0, kdamonds: [], availOps: null });
    expect(d.tracefs).toMatchObject({ present: true, aggregatedEvent: true, staleInstances: [] });
    expect(chooseSource({ source: 'auto', ops: 'vaddr', nrTargets: 1 }, d, NATIVE_OK)).toEqual({ kind: 'tracefs', skipped: [] });
    expect(fake.log).toEqual([]);
  });

  it('falls back to sysfs snapshots when tracefs is not mounted, saying why', () => {
    const fake = makeFake(cleanup, { tracefs: false });
    const c = chooseSource({ source: 'auto', ops: 'vaddr', nrTargets: 1 }, det(fake), NATIVE_OK);
    expect(c.kind).toBe('sysfs');
    expect(c.skipped[0]).toMatch(/tracefs stream: tracefs is not mounted at .*mount -t tracefs/);
  });

  it('uses debugfs on a 5.x kernel without sysfs, and native when nothing kernel-side works', () => {
    const fake = makeFake(cleanup, { sysfs: false, debugfs: 'monitor_on' });
    expect(chooseSource({ source: 'auto', ops: 'vaddr', nrTargets: 1 }, det(fake, { release: '5.15.0' }), NATIVE_OK).kind).toBe('debugfs');
    const none = makeFake(cleanup, { sysfs: false, tracefs: false });
    const c = chooseSource({ source: 'auto', ops: 'vaddr', nrTargets: 1 }, det(none), NATIVE_OK);
    expect(c.kind).toBe('native');
    expect(c.skipped).toHaveLength(3);
  });

  it('never picks a kernel source while a kdamond that is not ours runs; suggests native', () => {
    const fake = makeFake(cleanup, { foreign: [{ state: 'on', pid: 77, ops: 'paddr' }], availOps: ['paddr'] });
    const d = det(fake);
    expect(d.sysfs.kdamonds).toEqual([{ index: 0, state: 'on', pid: 77, ops: 'paddr' }]);
    expect(d.sysfs.availOps).toEqual(['paddr']);
    // vaddr: DAMON lacks vaddr here (like this host) and a kdamond runs: native.
    expect(chooseSource({ source: 'auto', ops: 'vaddr', nrTargets: 1 }, d, NATIVE_OK).kind).toBe('native');
    // paddr is available, but the running kdamond blocks adding ours.
    let err: unknown;
    try {
      chooseSource({ source: 'tracefs', ops: 'paddr', nrTargets: 1 }, d, NATIVE_OK);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'E_BUSY' });
    expect(String((err as Error).message)).toMatch(/kdamond 0 \(pid 77\) is running and is not ours.*EBUSY/);
    expect(() => chooseSource({ source: 'auto', ops: 'paddr', nrTargets: 1 }, d, NATIVE_NO)).toThrow(/no usable source to record 'paddr'/);
    expect(fake.log).toEqual([]);
  });

  it('explains an explicit choice that cannot work', () => {
    const fake = makeFake(cleanup, { availOps: ['paddr'], foreign: [{ state: 'off', ops: 'paddr' }] });
    const d = det(fake);
    expect(() => chooseSource({ source: 'sysfs', ops: 'vaddr', nrTargets: 1 }, d, NATIVE_OK)).toThrow(/cannot monitor 'vaddr' \(available operations: paddr; it was built without CONFIG_DAMON_VADDR\)/);
    expect(() => chooseSource({ source: 'sysfs', ops: 'paddr', nrTargets: 1 }, d, NATIVE_OK)).toThrow(/1 kdamond\(s\) are configured .* would erase their configuration/);
    expect(() => chooseSource({ source: 'native', ops: 'vaddr', nrTargets: 1 }, d, NATIVE_NO)).toThrow('cannot record with --source native: no addon');
    expect(chooseSource({ source: 'native', ops: 'paddr', nrTargets: 1 }, d, NATIVE_OK).kind).toBe('native');
    const user = det(makeFake(cleanup), { euid: 1000 });
    expect(() => chooseSource({ source: 'tracefs', ops: 'vaddr', nrTargets: 1 }, user, NATIVE_OK)).toThrow(/needs root/);
    expect(chooseSource({ source: 'auto', ops: 'vaddr', nrTargets: 1 }, user, NATIVE_OK).kind).toBe('native');
    expect(() => chooseSource({ source: 'sysfs', ops: 'vaddr', nrTargets: 1 }, det(makeFake(cleanup), { release: '6.1.0' }), NATIVE_OK)).toThrow(/Linux 6.2\+/);
    expect(() => chooseSource({ source: 'sysfs', ops: 'vaddr', nrTargets: 2 }, det(makeFake(cleanup), { release: '6.3.0' }), NATIVE_OK)).toThrow(/target filters \(Linux 6.6\+\)/);
  });

  it('detects as a normal user (root-only files unreadable) and says root is needed', () => {
    const fake = makeFake(cleanup, { foreign: [{ state: 'off', ops: 'paddr' }] });
    const denied = Object.create(fake) as FakeKernel;
    denied.read = (path: string) => {
      if (!path.endsWith('nr_kdamonds')) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
      return fake.read(path);
    };
    const d = detect({ kfs: denied, roots: fake.roots, euid: 1000, kernelRelease: '6.12.0', kallsymsHas: () => null, pidAlive });
    expect(d.sysfs.kdamonds).toEqual([{ index: 0, state: 'unknown', pid: null, ops: null }]);
    expect(() => chooseSource({ source: 'sysfs', ops: 'vaddr', nrTargets: 1 }, d, NATIVE_OK)).toThrow(/controlling kernel DAMON needs root/);
  });

  it('reads available operations from kallsyms when no context exists to read them from', () => {
    const fake = makeFake(cleanup);
    const d = det(fake, { kallsyms: new Map([['damon_va_', false], ['damon_pa_', true]]) });
    expect(d.sysfs).toMatchObject({ availOps: ['paddr'], availOpsFrom: 'kallsyms' });
    expect(() => chooseSource({ source: 'tracefs', ops: 'vaddr', nrTargets: 1 }, d, NATIVE_NO)).toThrow(/cannot monitor 'vaddr'/);
  });

  it('detects debugfs monitoring that is on, and instances left by dead recorders', () => {
    const fake = makeFake(cleanup, { sysfs: false, debugfs: 'monitor_on_DEPRECATED', debugfsForeignOn: true });
    fake.mkdir(`${fake.roots.tracefs}/instances/damo-ts.999999999`);
    fake.mkdir(`${fake.roots.tracefs}/instances/damo-ts.${process.pid}`);
    fake.log.length = 0;
    const d = det(fake, { release: '6.9.0' });
    expect(d.debugfs).toMatchObject({ present: true, monitorOnFile: 'monitor_on_DEPRECATED', running: true });
    expect(d.tracefs.staleInstances).toEqual(['damo-ts.999999999']);
    expect(() => chooseSource({ source: 'debugfs', ops: 'vaddr', nrTargets: 1 }, d, NATIVE_OK)).toThrow(/already on .* not ours/);
    expect(fake.log).toEqual([]);
  });
});

function sourceConfig(fake: FakeKernel, over: Partial<KernelSourceConfig> & Pick<KernelSourceConfig, 'kind' | 'targets'>): KernelSourceConfig {
  return {
    kfs: fake,
    roots: fake.roots,
    guardian: new NoGuardian(),
    detection: det(fake),
    ops: 'vaddr',
    intervals: FAST_INTERVALS,
    nrRegions: { min: 10, max: 1000 },
    baseTimeNs: process.hrtime.bigint(),
    nowNs: () => process.hrtime.bigint(),
    pollMs: 10,
    aliveCheckMs: 30,
    ...over,
  };
}

async function runSource(fake: FakeKernel, cfg: KernelSourceConfig, nrSnapshots: number) {
  const src = createKernelSource(cfg);
  const snaps: Snapshot[] = [];
  const warnings: string[] = [];
  await src.start({ onSnapshot: (s) => snaps.push(s), onWarning: (w) => warnings.push(w) });
  await waitFor(() => snaps.length >= nrSnapshots, 5000, `${nrSnapshots} snapshots`);
  const restoreWarnings = await src.stop();
  return { src, snaps, warnings, restoreWarnings };
}

function sysfsConfigWrites(pid: number, extra: string[] = []): string[] {
  const C = 'S/kdamonds/0/contexts/0';
  return [
    'write S/kdamonds/nr_kdamonds = 1',
    'write S/kdamonds/0/contexts/nr_contexts = 1',
    `write ${C}/operations = vaddr`,
    `write ${C}/monitoring_attrs/intervals/sample_us = 1000`,
    `write ${C}/monitoring_attrs/intervals/aggr_us = 20000`,
    `write ${C}/monitoring_attrs/intervals/update_us = 1000000`,
    `write ${C}/monitoring_attrs/nr_regions/min = 10`,
    `write ${C}/monitoring_attrs/nr_regions/max = 1000`,
    `write ${C}/targets/nr_targets = 1`,
    `write ${C}/targets/0/pid_target = ${pid}`,
    ...extra,
  ];
}

/** The fake kdamond's snapshots for our kdamond, as the recorder should have seen them. */
function emittedFor(fake: FakeKernel, kdamondPid: number) {
  return fake.emitted.filter((e) => e.kdamondPid === kdamondPid).map((e) => ({ t: e.targetIndex, regions: e.regions }));
}

function asRegions(s: Snapshot) {
  return { t: s.targetIndex, regions: [...s.starts].map((start, i) => ({ start, end: s.ends[i], nrAccesses: s.nrAccesses[i], age: s.ages[i] })) };
}

describe('tracefs stream source', () => {
  it('makes exactly these writes, streams every aggregation, and restores everything', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const pid = target.pid as number;
    const { snaps, warnings, restoreWarnings } = await runSource(fake, sourceConfig(fake, { kind: 'tracefs', targets: [{ pid }] }), 5);
    const kpid = 700000;
    expect(rel(fake, fake.log)).toEqual([
      ...sysfsConfigWrites(pid),
      'mkdir T/instances/damo-ts.PID',
      'write T/instances/damo-ts.PID/trace_clock = mono',
      'write T/instances/damo-ts.PID/events/damon/damon_aggregated/enable = 1',
      'write T/instances/damo-ts.PID/events/damon/damon_monitor_intervals_tune/enable = 1',
      'write S/kdamonds/0/state = on',
      `write T/instances/damo-ts.PID/set_event_pid = ${kpid}`,
      'write S/kdamonds/0/state = off',
      'rmdir T/instances/damo-ts.PID',
      'write S/kdamonds/nr_kdamonds = 0',
    ]);
    expect(warnings).toEqual([]);
    expect(restoreWarnings).toEqual([]);
    // Every aggregation the kdamond emitted before it stopped, in order, exactly.
    expect(snaps.map(asRegions)).toEqual(emittedFor(fake, kpid));
    for (let i = 1; i < snaps.length; i++) expect(snaps[i]?.startNs).toBe(snaps[i - 1]?.endNs);
    expect(fake.read(`${fake.roots.sysfs}/kdamonds/nr_kdamonds`).trim()).toBe('0');
    expect(fake.list(`${fake.roots.tracefs}/instances`)).toEqual([]);
  });

  it('reads the binary pages of every CPU when the instance has trace_pipe_raw, in time order', async () => {
    const fake = makeFake(cleanup, { rawCpus: 2 });
    const target = sleeper(cleanup);
    const cfg = sourceConfig(fake, { kind: 'tracefs', targets: [{ pid: target.pid as number }] });
    const { src, snaps, warnings, restoreWarnings } = await runSource(fake, cfg, 6);
    expect(src.label).toMatch(/tracefs instance damo-ts\.\d+, trace_pipe_raw\)$/);
    expect(warnings).toEqual([]);
    expect(restoreWarnings).toEqual([]);
    // Half of every other aggregation came from the next CPU's pipe; all of them, in order.
    expect(snaps.length).toBeGreaterThanOrEqual(6);
    expect(snaps.map(asRegions)).toEqual(emittedFor(fake, 700000));
    const emitted = fake.emitted.filter((e) => e.kdamondPid === 700000);
    expect(snaps.map((s) => s.endNs)).toEqual(emitted.map((e) => Number(e.timeNs - cfg.baseTimeNs)));
    expect(fake.list(`${fake.roots.tracefs}/instances`)).toEqual([]);
  });

  it('reads trace_pipe, saying why, when the instance describes pages it cannot decode', async () => {
    const fake = makeFake(cleanup, { rawCpus: 2, rawHeaderEvent: '# compressed entry header\n\ttype_len    :    6 bits\n' });
    const target = sleeper(cleanup);
    const { src, snaps, warnings } = await runSource(fake, sourceConfig(fake, { kind: 'tracefs', targets: [{ pid: target.pid as number }] }), 3);
    expect(src.label).toMatch(/, trace_pipe, as trace_pipe_raw cannot be decoded: header_event does not describe type_len of 5 bits\)$/);
    expect(warnings).toEqual([]);
    expect(snaps.map(asRegions)).toEqual(emittedFor(fake, 700000));
  });

  it('reads past possible CPUs that are not online (their trace_pipe_raw says ENODEV)', async () => {
    const fake = makeFake(cleanup, { rawCpus: 4, rawOfflineCpus: [1, 3] });
    const target = sleeper(cleanup);
    const { src, snaps, warnings } = await runSource(fake, sourceConfig(fake, { kind: 'tracefs', targets: [{ pid: target.pid as number }] }), 4);
    expect(src.label).toMatch(/, trace_pipe_raw\)$/);
    expect(warnings).toEqual([]);
    expect(snaps.map(asRegions)).toEqual(emittedFor(fake, 700000));
  });

  it('reads trace_pipe until it is empty, 8 KiB a read as the kernel gives it', async () => {
    // 300 regions every 20 ms are ~36 KiB of text an aggregation: one read a poll would fall
    // behind, fill the pipe and lose events.
    const fake = makeFake(cleanup, { textReadMax: 8191 });
    const target = sleeper(cleanup);
    const cfg = sourceConfig(fake, { kind: 'tracefs', targets: [{ pid: target.pid as number }], nrRegions: { min: 300, max: 1000 } });
    const { snaps, warnings } = await runSource(fake, cfg, 15);
    expect(warnings).toEqual([]);
    expect(snaps.map(asRegions)).toEqual(emittedFor(fake, 700000));
    expect(snaps[0]?.starts.length).toBe(300);
  });

  it('reads trace_pipe when asked to, even where trace_pipe_raw could be read', async () => {
    const fake = makeFake(cleanup, { rawCpus: 2 });
    const target = sleeper(cleanup);
    process.env[TRACE_READER_ENV] = 'text';
    try {
      const src = createKernelSource(sourceConfig(fake, { kind: 'tracefs', targets: [{ pid: target.pid as number }] }));
      const snaps: Snapshot[] = [];
      await src.start({ onSnapshot: (s) => snaps.push(s), onWarning: () => undefined });
      await waitFor(() => snaps.length >= 3, 5000, 'three snapshots');
      await src.stop();
      expect(src.label).toMatch(/, trace_pipe\)$/);
      expect(snaps.map(asRegions)).toEqual(emittedFor(fake, 700000));
    } finally {
      delete process.env[TRACE_READER_ENV];
    }
  });

  it('ends by itself when the kernel stops the kdamond because the target exited, and restores', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    const src = createKernelSource(sourceConfig(fake, { kind: 'tracefs', targets: [{ pid: target.pid as number }] }));
    const snaps: Snapshot[] = [];
    await src.start({ onSnapshot: (s) => snaps.push(s), onWarning: () => undefined });
    await waitFor(() => snaps.length >= 2);
    target.kill('SIGKILL');
    await expect(src.ended).resolves.toBe('kdamond-stopped');
    await src.stop();
    const ops = rel(fake, fake.log);
    // The kernel turned it off; we do not write 'off' to a stopped kdamond.
    expect(ops.slice(-2)).toEqual(['rmdir T/instances/damo-ts.PID', 'write S/kdamonds/nr_kdamonds = 0']);
    expect(ops).not.toContain('write S/kdamonds/0/state = off');
    expect(snaps.map(asRegions)).toEqual(emittedFor(fake, 700000));
  });

  it('undoes the setup when the kernel rejects the configuration', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    // min_nr_regions < 3 makes 'on' fail with EINVAL, as damon_set_attrs does.
    const src = createKernelSource(sourceConfig(fake, { kind: 'tracefs', targets: [{ pid: target.pid as number }], nrRegions: { min: 2, max: 1000 } }));
    await expect(src.start({ onSnapshot: () => undefined, onWarning: () => undefined })).rejects.toMatchObject({ code: 'E_UNSUPPORTED', message: expect.stringMatching(/rejected our DAMON configuration/) });
    expect(rel(fake, fake.log).slice(-3)).toEqual(['write S/kdamonds/0/state = on', 'write S/kdamonds/nr_kdamonds = 0', 'rmdir T/instances/damo-ts.PID']);
    expect(fake.list(`${fake.roots.tracefs}/instances`)).toEqual([]);
    expect(fake.read(`${fake.roots.sysfs}/kdamonds/nr_kdamonds`).trim()).toBe('0');
  });

  it('undoes the kdamond when the tracefs instance cannot be set up', async () => {
    const fake = makeFake(cleanup);
    const target = sleeper(cleanup);
    // An instance of that name already exists (mkdir EEXIST).
    fake.mkdir(`${fake.roots.tracefs}/instances/damo-ts.${process.pid}`);
    fake.log.length = 0;
    const src = createKernelSource(sourceConfig(fake, { kind: 'tracefs', targets: [{ pid: target.pid as number }] }));
    await expect(src.start({ onSnapshot: () => undefined, onWarning: () => undefined })).rejects.toThrow(/setting up the tracefs instance/);
    const ops = rel(fake, fake.log);
    expect(ops).not.toContain('write S/kdamonds/0/state = on');
    expect(ops.at(-1)).toBe('write S/kdamonds/nr_kdamonds = 0');
  });

  it('records the right target for each of several pids', async () => {
    const fake = makeFake(cleanup);
    const a = sleeper(cleanup);
    const b = sleeper(cleanup);
    const { snaps } = await runSource(fake, sourceConfig(fake, { kind: 'tracefs', targets: [{ pid: a.pid as number }, { pid: b.pid as number }] }), 6);
    expect(new Set(snaps.map((s) => s.targetIndex))).toEqual(new Set([0, 1]));
    expect(snaps.map(asRegions)).toEqual(emittedFor(fake, 700000));
  });
});

describe('sysfs snapshot source', () => {
  it('installs a stat scheme, snapshots its tried regions, and restores', async () => {
    const fake = makeFake(cleanup, { tracefs: false });
    const target = sleeper(cleanup);
    const pid = target.pid as number;
    const { snaps } = await runSource(fake, sourceConfig(fake, { kind: 'sysfs', targets: [{ pid }], snapshotIntervalUs: 40_000 }), 3);
    const Sc = 'S/kdamonds/0/contexts/0/schemes';
    const ops = rel(fake, fake.log);
    expect(ops.slice(0, 21)).toEqual([
      ...sysfsConfigWrites(pid),
      `write ${Sc}/nr_schemes = 1`,
      `write ${Sc}/0/action = stat`,
      `write ${Sc}/0/access_pattern/sz/min = 0`,
      `write ${Sc}/0/access_pattern/sz/max = 18446744073709551615`,
      `write ${Sc}/0/access_pattern/nr_accesses/min = 0`,
      `write ${Sc}/0/access_pattern/nr_accesses/max = 4294967295`,
      `write ${Sc}/0/access_pattern/age/min = 0`,
      `write ${Sc}/0/access_pattern/age/max = 4294967295`,
      `write ${Sc}/0/apply_interval_us = 1000`,
      'write S/kdamonds/0/state = on',
      'write S/kdamonds/0/state = update_schemes_tried_regions',
    ]);
    expect(ops.slice(-2)).toEqual(['write S/kdamonds/0/state = off', 'write S/kdamonds/nr_kdamonds = 0']);
    expect(ops.filter((o) => o.endsWith('update_schemes_tried_regions')).length).toBe(snaps.length);
    expect(snaps[0]?.starts.length).toBe(10);
    expect(snaps.every((s) => s.ages.every((a) => a >= 0))).toBe(true);
  });

  it('uses one scheme with a target filter per target when there are several', async () => {
    const fake = makeFake(cleanup, { tracefs: false });
    const a = sleeper(cleanup);
    const b = sleeper(cleanup);
    const { snaps } = await runSource(fake, sourceConfig(fake, { kind: 'sysfs', targets: [{ pid: a.pid as number }, { pid: b.pid as number }] }), 4);
    const ops = rel(fake, fake.log);
    const Sc = 'S/kdamonds/0/contexts/0/schemes';
    expect(ops).toContain(`write ${Sc}/nr_schemes = 2`);
    for (const s of [0, 1]) {
      const i = ops.indexOf(`write ${Sc}/${s}/filters/nr_filters = 1`);
      expect(ops.slice(i, i + 4)).toEqual([
        `write ${Sc}/${s}/filters/nr_filters = 1`,
        `write ${Sc}/${s}/filters/0/type = target`,
        `write ${Sc}/${s}/filters/0/damon_target_idx = ${s}`,
        `write ${Sc}/${s}/filters/0/matching = N`,
      ]);
    }
    const t0 = snaps.filter((s) => s.targetIndex === 0);
    const t1 = snaps.filter((s) => s.targetIndex === 1);
    expect(t0.length).toBeGreaterThan(0);
    expect(t1.length).toBeGreaterThan(0);
    // Target 1's regions (the fake places targets 256 MiB apart) never leak into target 0.
    expect(Math.max(...t0.flatMap((s) => [...s.ends]))).toBeLessThanOrEqual(Math.min(...t1.flatMap((s) => [...s.starts])));
  });

  it('fails clearly on a kernel without target filters, and undoes its writes', async () => {
    const fake = makeFake(cleanup, { tracefs: false, targetFilter: false });
    const a = sleeper(cleanup);
    const b = sleeper(cleanup);
    const src = createKernelSource(sourceConfig(fake, { kind: 'sysfs', targets: [{ pid: a.pid as number }, { pid: b.pid as number }] }));
    await expect(src.start({ onSnapshot: () => undefined, onWarning: () => undefined })).rejects.toThrow(/need DAMOS target filters \(Linux 6.6\+\)/);
    expect(rel(fake, fake.log).at(-1)).toBe('write S/kdamonds/nr_kdamonds = 0');
  });
});

describe('debugfs source', () => {
  function debugfsFake(options: FakeKernelOptions = {}): FakeKernel {
    const fake = makeFake(cleanup, { sysfs: false, debugfs: 'monitor_on', ...options });
    // Someone else's configuration, which must come back exactly.
    fake.write(`${fake.roots.debugfs}/attrs`, '10000 200000 2000000 5 500');
    fake.write(`${fake.roots.debugfs}/schemes`, '4096 18446744073709551615 0 0 10 18446744073709551615 3 0 0 0 0 0 0 0 0 0 0 0\n');
    fake.log.length = 0;
    return fake;
  }

  it('writes attrs, clears schemes, sets targets, turns on; then writes everything back', async () => {
    const fake = debugfsFake();
    const before = FakeKernel.snapshotTree(fake.roots.debugfs);
    const target = sleeper(cleanup);
    const pid = target.pid as number;
    const cfg = sourceConfig(fake, { kind: 'debugfs', targets: [{ pid }], detection: det(fake, { release: '5.18.0' }) });
    const { snaps } = await runSource(fake, cfg, 3);
    expect(rel(fake, fake.log)).toEqual([
      'write D/attrs = 1000 20000 1000000 10 1000',
      'write D/schemes = \\n',
      `write D/target_ids = ${pid}`,
      'mkdir T/instances/damo-ts.PID',
      'write T/instances/damo-ts.PID/trace_clock = mono',
      'write T/instances/damo-ts.PID/events/damon/damon_aggregated/enable = 1',
      'write T/instances/damo-ts.PID/events/damon/damon_monitor_intervals_tune/enable = 1',
      'write D/monitor_on = on',
      'write T/instances/damo-ts.PID/set_event_pid = 700000',
      'write D/monitor_on = off',
      'rmdir T/instances/damo-ts.PID',
      'write D/attrs = 10000 200000 2000000 5 500',
      'write D/target_ids = \\n',
      'write D/schemes = 4096 18446744073709551615 0 0 10 18446744073709551615 3 0 0 0 0 0 0 0 0 0 0 0\\n',
    ]);
    expect(FakeKernel.snapshotTree(fake.roots.debugfs)).toEqual(before);
    expect(snaps.map(asRegions)).toEqual(emittedFor(fake, 700000));
  });

  it('writes paddr init_regions by target index (5.18+) or by id 42 (older)', async () => {
    for (const [release, key] of [['5.18.0', '0'], ['5.16.0', '42']] as const) {
      const fake = debugfsFake();
      const cfg = sourceConfig(fake, { kind: 'debugfs', ops: 'paddr', targets: [{ regions: [[4294967296, 5368709120]] }], detection: det(fake, { release }) });
      await runSource(fake, cfg, 2);
      const ops = rel(fake, fake.log);
      expect(ops.slice(2, 4)).toEqual(['write D/target_ids = paddr\\n', `write D/init_regions = ${key} 4294967296 5368709120\\n`]);
      expect(ops).toContain('write D/init_regions = \\n');
    }
  });
});

describe('tracePipePollMs', () => {
  it('reads trace_pipe twice an aggregation, within 50 and 250 ms', () => {
    expect([5_000, 100_000, 200_000, 300_000, 500_000, 2_000_000].map(tracePipePollMs)).toEqual([50, 50, 100, 150, 250, 250]);
  });
});

describe('symbolsHave (the operation sets in /proc/kallsyms)', () => {
  const lines = (names: string[]): string => names.map((n, i) => `ffffffff8${String(i).padStart(7, '0')} t ${n}\n`).join('');
  const reader = (text: string): { read: (buf: Buffer) => number; bytesRead: () => number } => {
    const bytes = Buffer.from(text, 'latin1');
    let at = 0;
    return {
      read: (buf) => {
        const n = Math.min(buf.length, bytes.length - at);
        bytes.copy(buf, 0, at, at + n);
        at += n;
        return n;
      },
      bytesRead: () => at,
    };
  };
  const filler = (n: number): string[] => Array.from({ length: n }, (_, i) => `some_function_${i}`);

  it('finds prefixes cut by a chunk boundary, and not a prefix in the middle of a name', () => {
    const text = lines([...filler(50), 'damon_va_check_accesses', ...filler(50), 'xdamon_pa_fake']);
    for (let chunk = 7; chunk <= 64; chunk++) {
      const r = reader(text);
      expect(symbolsHave(r.read, ['damon_va_', 'damon_pa_'], chunk), `chunks of ${chunk} bytes`).toEqual(new Map([['damon_va_', true], ['damon_pa_', false]]));
      expect(r.bytesRead()).toBe(text.length);
    }
  });

  it('stops reading once every prefix was found', () => {
    const text = lines([...filler(100), 'damon_pa_young', 'damon_va_mkold', ...filler(5000)]);
    const r = reader(text);
    expect(symbolsHave(r.read, ['damon_va_', 'damon_pa_'], 4096)).toEqual(new Map([['damon_va_', true], ['damon_pa_', true]]));
    expect(r.bytesRead()).toBeLessThanOrEqual(text.indexOf('damon_va_mkold') + 4096);
  });
});
