// SPDX-License-Identifier: GPL-2.0-only
// damo start / report damon / stop over DAMON debugfs (--damon_interface_DEPRECATED debugfs)
// against fake debugfs trees: the exact writes, the state file, what stop writes back, a
// foreign monitor left byte-identical, a kdamond that died, sysfs and debugfs excluding
// each other, and what is refused before anything is written.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { checkTuneInterface } from '../../src/cli/values.js';
import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { resolveKdamondInterface } from '../../src/record/kdamond/debugfs_inspect.js';
import { runDebugfsStartCommand, type DebugfsStartRequest } from '../../src/record/kdamond/debugfs_start.js';
import { runDebugfsStopCommand } from '../../src/record/kdamond/debugfs_stop.js';
import { runReportDamonCommand, type ReportDamonRequest } from '../../src/record/kdamond/report_damon_command.js';
import { runStartCommand } from '../../src/record/kdamond/start_command.js';
import { readStateFile, stateFilePath } from '../../src/record/kdamond/state_file.js';
import { runStopCommand } from '../../src/record/kdamond/stop_command.js';
import { parseSchemesJson } from '../../src/schemes/damo_json.js';
import { parseSchemesText } from '../../src/schemes/text.js';
import { captureIo, type CapturedIo } from '../fixtures/kdamond/capture_io.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';

let dir: string;
let kernel: FakeKernel | null = null;
let children: ChildProcess[] = [];

function makeIo(): CapturedIo {
  return captureIo(join(dir, 'run'));
}

function fake(opts: ConstructorParameters<typeof FakeKernel>[1] = {}): FakeKernel {
  kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false, debugfs: 'monitor_on_DEPRECATED', ...opts });
  return kernel;
}

function sleeper(): number {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  return child.pid as number;
}

/** The schemes suite's stat scheme: `--damos_action stat --damos_sz_region 4K max --damos_access_rate 0% 0% --damos_age 1s max --damos_quotas 0s 0 max 100% 100% 100%`. */
const SUITE_STAT = '4K max 0% 0% 1s max stat quota_ms=0 quota_sz=0 quota_reset=max weights=1000,1000,1000';

function vaddrReq(k: FakeKernel, pid: number, schemes = SUITE_STAT): DebugfsStartRequest {
  return {
    debugfsRoot: k.roots.debugfs,
    sysfsRoot: k.roots.sysfs,
    kernelRelease: '6.12.0',
    ops: 'vaddr',
    intervals: { sampleUs: 5000, aggrUs: 20_000, opsUpdateUs: 1_000_000 },
    nrRegions: { min: 10, max: 1000 },
    targets: [{ pid }],
    schemes: schemes === '' ? [] : parseSchemesText(schemes, '<test>'),
  };
}

function statsReq(k: FakeKernel): ReportDamonRequest {
  return {
    sysfsRoot: k.roots.sysfs,
    debugfs: { root: k.roots.debugfs, kernelRelease: '6.12.0' },
    moduleRoot: join(dir, 'no-modules'),
    format: 'report',
    raw: true,
    damosStats: true,
    damosStatFields: ['sz_tried'],
    kdamondsSummary: false,
    damonParams: false,
    omitTriedRegions: false,
  };
}

const rel = (k: FakeKernel, ops: typeof k.log): string[] =>
  ops.map((op) => `${op.op} ${op.path.startsWith(k.roots.debugfs) ? op.path.slice(k.roots.debugfs.length + 1) : op.path.slice(k.roots.sysfs.length + 1)}${op.op === 'write' ? ` ${JSON.stringify(op.value)}` : ''}`);

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'damo-dbgfs-'));
  children = [];
});
afterEach(() => {
  kernel?.close();
  kernel = null;
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('damo start / report damon / stop over DAMON debugfs', () => {
  it('start writes attrs, schemes, target_ids and monitor_on in order and records what to write back; stop turns off and writes it back', async () => {
    const k = fake();
    const before = FakeKernel.snapshotTree(k.roots.debugfs);
    const pid = sleeper();
    const io = makeIo();
    // The suite's scheme with age 0 (the fake kdamond's regions never get older than 4 aggregations).
    expect(runDebugfsStartCommand(io, k, vaddrReq(k, pid, SUITE_STAT.replace(' 1s ', ' 0s ')))).toBe(0);
    // nr_accesses 0% 0% at 5 ms / 20 ms is 0 0 samples; 'max' reset is ULONG_MAX.
    expect(rel(k, k.log)).toEqual([
      'write attrs "5000 20000 1000000 10 1000"',
      'write schemes "4096\\t18446744073709551615\\t0\\t0\\t0\\t4294967295\\t5\\t0\\t0\\t18446744073709551615\\t1000\\t1000\\t1000\\t0\\t0\\t0\\t0\\t0\\n"',
      `write target_ids "${pid}"`,
      'write monitor_on_DEPRECATED "on"',
    ]);
    expect(k.isRunning('debugfs')).toBe(true);
    const kpid = fs.readFileSync(join(k.roots.debugfs, 'kdamond_pid'), 'utf8').trim();
    const state = readStateFile(stateFilePath(io.env));
    expect(state).toMatchObject({
      interface: 'debugfs',
      sysfs_root: '',
      kdamonds: [{ index: 0, pid: Number(kpid) }],
      debugfs: {
        root: k.roots.debugfs,
        monitor_on: 'monitor_on_DEPRECATED',
        restore: [
          { file: 'attrs', value: '5000 100000 1000000 10 1000' },
          { file: 'target_ids', value: '\n' },
          { file: 'schemes', value: '\n' },
        ],
      },
    });
    expect(io.out()).toBe(`DAMON debugfs monitoring started (kdamond pid ${kpid}); 'damo stop' stops it and writes back attrs, target_ids, schemes\n`);

    // The statistics are the schemes line's trailing fields; nothing is written to read them.
    await until(() => Number(fs.readFileSync(join(k.roots.debugfs, 'schemes'), 'utf8').trim().split(/\s+/)[19] ?? 0) > 0);
    const logged = k.log.length;
    const rio = makeIo();
    expect(runReportDamonCommand(rio, k, statsReq(k))).toBe(0);
    const line = fs.readFileSync(join(k.roots.debugfs, 'schemes'), 'utf8').trim().split(/\s+/);
    expect(line).toHaveLength(23);
    expect(rio.out()).toMatch(/^\d+\n$/);
    expect(Number(rio.out())).toBeGreaterThan(0);
    expect(Number(rio.out())).toBeLessThanOrEqual(Number(line[19]));
    expect(k.log.length).toBe(logged);

    const stopIo = makeIo();
    expect(runDebugfsStopCommand(stopIo, k, { debugfsRoot: k.roots.debugfs, force: false }, readStateFile(stateFilePath(io.env)))).toBe(0);
    expect(rel(k, k.log.slice(logged))).toEqual(['write monitor_on_DEPRECATED "off"', 'write attrs "5000 100000 1000000 10 1000"', 'write target_ids "\\n"', 'write schemes "\\n"']);
    expect(stopIo.out()).toBe(`stopped DAMON debugfs monitoring (kdamond pid ${kpid}); wrote back attrs, target_ids, schemes\n`);
    expect(k.isRunning('debugfs')).toBe(false);
    expect(fs.existsSync(stateFilePath(io.env))).toBe(false);
    expect(FakeKernel.snapshotTree(k.roots.debugfs)).toEqual(before);
  });

  it('paddr with the suite watermarks scheme writes paddr and init_regions by target index; report damon shows the parameters', () => {
    const k = fake({ debugfs: 'monitor_on' });
    const template = fs.readFileSync(join(__dirname, '../vm/damo-suites/tests/schemes/cold_mem_stat_damos_template_for_wmarks.json'), 'utf8');
    const json = template.replace('wmarks_high_to_be_replaced', '1000').replace('wmarks_mid_to_be_replaced', '1000').replace('wmarks_low_to_be_replaced', '450');
    const io = makeIo();
    const req: DebugfsStartRequest = { ...vaddrReq(k, 1), ops: 'paddr', targets: [{ regions: [[4096, 1 << 30]] }], schemes: parseSchemesJson(json, '<wmarks>') };
    expect(runDebugfsStartCommand(io, k, req)).toBe(0);
    expect(rel(k, k.log)).toEqual([
      'write attrs "5000 20000 1000000 10 1000"',
      'write schemes "4096\\t18446744073709551615\\t0\\t0\\t50\\t4294967295\\t5\\t0\\t5368709120\\t1000\\t0\\t300\\t700\\t1\\t1000000\\t1000\\t1000\\t450\\n"',
      'write target_ids "paddr\\n"',
      'write init_regions "0 4096 1073741824\\n"',
      'write monitor_on "on"',
    ]);
    const rio = makeIo();
    expect(runReportDamonCommand(rio, k, { ...statsReq(k), raw: false, damosStats: false, damosStatFields: null, format: 'json' })).toBe(0);
    const doc = JSON.parse(rio.out());
    expect(doc).toHaveLength(1);
    expect(doc[0].state).toBe('on');
    const ctx = doc[0].contexts[0];
    expect(ctx.ops).toBe('paddr');
    expect(ctx.targets).toEqual([{ pid: 42, obsolete: false, regions: [] }]);
    expect(ctx.schemes[0].action).toBe('stat');
    expect(ctx.schemes[0].watermarks).toMatchObject({ metric: 'free_mem_rate', high_permil: '100 %', mid_permil: '100 %', low_permil: '45 %' });
    expect(ctx.schemes[0].quotas).toMatchObject({ sz_bytes: '5.000 GiB', reset_interval_ms: '1 s' });
    const before = k.log.length;
    expect(runDebugfsStopCommand(makeIo(), k, { debugfsRoot: k.roots.debugfs, force: false }, readStateFile(stateFilePath(io.env)))).toBe(0);
    expect(rel(k, k.log.slice(before))).toEqual(['write monitor_on "off"', 'write attrs "5000 100000 1000000 10 1000"', 'write target_ids "\\n"', 'write init_regions "\\n"', 'write schemes "\\n"']);
  });

  it('a foreign running debugfs monitor is refused by start and stop, and left byte-identical; stop --force turns it off', () => {
    const k = fake({ debugfsForeignOn: true });
    const snap = FakeKernel.snapshotTree(k.roots.debugfs);
    const io = makeIo();
    expect(() => runDebugfsStartCommand(io, k, vaddrReq(k, sleeper()))).toThrow(/DAMON debugfs monitoring is already on \(.*monitor_on_DEPRECATED, kdamond pid 88\) and damo-ts did not start it/);
    expect(() => runDebugfsStopCommand(io, k, { debugfsRoot: k.roots.debugfs, force: false }, null)).toThrow(/does not name a debugfs start.*kdamond pid 88.*damo-ts did not start/s);
    // A sysfs start is refused too, before any write: DAMON would refuse it (EBUSY).
    expect(() => runStartCommand(io, k, { sysfsRoot: k.roots.sysfs, debugfsRoot: k.roots.debugfs, ops: 'paddr', intervals: { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000 }, nrRegions: { min: 10, max: 1000 }, targets: [{ regions: [[0, 1 << 20]] }], schemes: [] })).toThrow(
      /DAMON debugfs monitoring is on .*kdamond pid 88; damo-ts did not start it\); DAMON refuses \(EBUSY\) to start a sysfs kdamond/,
    );
    expect(k.log).toEqual([]);
    expect(FakeKernel.snapshotTree(k.roots.debugfs)).toEqual(snap);
    expect(runDebugfsStopCommand(io, k, { debugfsRoot: k.roots.debugfs, force: true }, null)).toBe(0);
    expect(rel(k, k.log)).toEqual(['write monitor_on_DEPRECATED "off"']);
  });

  it('a running sysfs kdamond makes a debugfs start refuse before writing, and says who owns it', () => {
    const k = fake({ foreign: [{ state: 'on', pid: 4242, ops: 'paddr' }] });
    const snap = FakeKernel.snapshotTree(k.roots.debugfs);
    expect(() => runDebugfsStartCommand(makeIo(), k, vaddrReq(k, sleeper()))).toThrow(/DAMON sysfs runs kdamond 0 on \(pid 4242\) paddr; DAMON refuses \(EBUSY\) to turn debugfs monitoring on while any kdamond runs; damo-ts did not create them/);
    expect(k.log).toEqual([]);
    expect(FakeKernel.snapshotTree(k.roots.debugfs)).toEqual(snap);
  });

  it('stop after the kdamond died tells so and writes back only the files; a start in between replaces it and keeps the first values', async () => {
    const k = fake();
    const io = makeIo();
    const first = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(first);
    runDebugfsStartCommand(io, k, vaddrReq(k, first.pid as number));
    first.kill('SIGKILL');
    await until(() => !k.isRunning('debugfs'));
    expect(k.isRunning('debugfs')).toBe(false);
    // The schemes suite starts again without a stop in between.
    expect(runDebugfsStartCommand(io, k, { ...vaddrReq(k, sleeper(), ''), intervals: { sampleUs: 1000, aggrUs: 10_000, opsUpdateUs: 100_000 } })).toBe(0);
    expect(io.err()).toMatch(/replacing the DAMON debugfs monitoring an earlier 'damo start' started \(pid \d+\): it has stopped/);
    expect(readStateFile(stateFilePath(io.env))?.debugfs?.restore).toEqual([
      { file: 'attrs', value: '5000 100000 1000000 10 1000' },
      { file: 'target_ids', value: '\n' },
      { file: 'schemes', value: '\n' },
    ]);
    for (const c of children) c.kill('SIGKILL');
    await until(() => !k.isRunning('debugfs'));
    const before = k.log.length;
    const stopIo = makeIo();
    expect(runDebugfsStopCommand(stopIo, k, { debugfsRoot: k.roots.debugfs, force: false }, readStateFile(stateFilePath(io.env)))).toBe(0);
    expect(stopIo.err()).toMatch(/DAMON debugfs monitoring \(kdamond pid \d+\) is no longer running/);
    expect(rel(k, k.log.slice(before))).toEqual(['write attrs "5000 100000 1000000 10 1000"', 'write target_ids "\\n"', 'write schemes "\\n"']);
    expect(fs.existsSync(stateFilePath(io.env))).toBe(false);
  });

  it('a monitor restarted by someone else (another pid) is refused; a sysfs stop names the debugfs start; a sysfs start waits for its stop', () => {
    const k = fake();
    const io = makeIo();
    runDebugfsStartCommand(io, k, vaddrReq(k, sleeper()));
    const path = stateFilePath(io.env);
    const state = readStateFile(path);
    expect(state).not.toBeNull();
    const before = k.log.length;
    expect(() => runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false })).toThrow(/records a 'damo start' over DAMON debugfs/);
    expect(() => runDebugfsStartCommand(io, k, vaddrReq(k, sleeper()))).toThrow(/already on .*'damo start' started it/);
    const other = { ...state, kdamonds: [{ index: 0, pid: 1 }] } as NonNullable<typeof state>;
    expect(() => runDebugfsStopCommand(io, k, { debugfsRoot: k.roots.debugfs, force: false }, other)).toThrow(/runs as kdamond pid \d+, not 1/);
    expect(k.log.length).toBe(before);
    expect(runDebugfsStopCommand(io, k, { debugfsRoot: k.roots.debugfs, force: false }, state)).toBe(0);
  });

  it('refuses what DAMON debugfs cannot do before writing anything', () => {
    const k = fake();
    const io = makeIo();
    const pid = sleeper();
    expect(() => runDebugfsStartCommand(io, k, { ...vaddrReq(k, pid), ops: 'fvaddr', targets: [{ pid, regions: [[4096, 8192]] }] })).toThrow(/ops: 'fvaddr' cannot be monitored through DAMON debugfs/);
    expect(() => runDebugfsStartCommand(io, k, vaddrReq(k, pid, '4K max 0 0 1s max pageout filter=reject,anon'))).toThrow(/schemes: .*filters cannot be written for debugfs/);
    expect(() => runDebugfsStartCommand(io, k, vaddrReq(k, pid, '4K max 0 0 1s max lru_prio'))).toThrow(/schemes: .*action 'lru_prio' cannot be written for debugfs/);
    expect(() => runDebugfsStartCommand(io, k, { ...vaddrReq(k, pid), intervalsGoal: { accessBp: 400, aggrs: 3, minSampleUs: 1000, maxSampleUs: 1_000_000 } })).toThrow(/no intervals auto-tuning/);
    expect(() => runDebugfsStartCommand(io, k, { ...vaddrReq(k, pid), nrRegions: { min: 2, max: 1 } })).toThrow(/monitoring_nr_regions_range/);
    expect(() => checkTuneInterface('debugfs')).toThrow(/damo tune cannot change a kdamond over DAMON debugfs, which refuses \(EBUSY\)/);
    expect(k.log).toEqual([]);
    const noDbgfs = new FakeKernel(join(dir, 'k2'), { autoTrace: false });
    try {
      expect(() => runDebugfsStartCommand(io, noDbgfs, vaddrReq(noDbgfs, pid))).toThrow(/DAMON debugfs is not there/);
    } finally {
      noDbgfs.close();
    }
  });

  it('auto picks sysfs when it is there and debugfs only without it', () => {
    const k = fake();
    const roots = { sysfsRoot: k.roots.sysfs, debugfsRoot: k.roots.debugfs };
    expect(resolveKdamondInterface(k, { ...roots, interface: undefined })).toBe('sysfs');
    expect(resolveKdamondInterface(k, { ...roots, interface: 'debugfs' })).toBe('debugfs');
    expect(resolveKdamondInterface(k, { ...roots, sysfsRoot: join(dir, 'none'), interface: 'auto' })).toBe('debugfs');
  });
});
