// SPDX-License-Identifier: GPL-2.0-only
// damo start / damo stop against fake DAMON sysfs trees: the exact writes, the state file,
// foreign kdamonds left byte-identical, a dead kdamond, damaged or missing state, rollback.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DEFAULT_INTERVALS } from '../../src/core/damon_constants.js';
import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { runStartCommand, type StartRequest } from '../../src/record/kdamond/start_command.js';
import { stateFilePath } from '../../src/record/kdamond/state_file.js';
import { runStopCommand } from '../../src/record/kdamond/stop_command.js';
import { runTuneCommand } from '../../src/record/kdamond/tune_command.js';
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

function paddrReq(k: FakeKernel, schemes = ''): StartRequest {
  return {
    sysfsRoot: k.roots.sysfs,
    ops: 'paddr',
    intervals: { sampleUs: 1000, aggrUs: 20_000, opsUpdateUs: 1_000_000 },
    nrRegions: { min: 10, max: 1000 },
    targets: [{ regions: [[4096, 1 << 30]] }],
    schemes: schemes === '' ? [] : parseSchemesText(schemes, '<test>'),
  };
}

const rel = (k: FakeKernel, ops: typeof k.log): string[] => ops.map((op) => `${op.op} ${op.path.slice(k.roots.sysfs.length + 1)}${op.op === 'write' ? ` ${op.value}` : ''}`);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'damo-kdamond-'));
  children = [];
});
afterEach(() => {
  kernel?.close();
  kernel = null;
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('damo start / stop on fake sysfs', () => {
  it('start writes the configuration in order, turns kdamond 0 on and records it; stop undoes it', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const io = makeIo();
    expect(runStartCommand(io, k, paddrReq(k, '4K max 0 0 1s max pageout'))).toBe(0);
    const writes = rel(k, k.log);
    expect(writes.slice(0, 11)).toEqual([
      'write kdamonds/nr_kdamonds 1',
      'write kdamonds/0/contexts/nr_contexts 1',
      'write kdamonds/0/contexts/0/operations paddr',
      'write kdamonds/0/contexts/0/monitoring_attrs/intervals/sample_us 1000',
      'write kdamonds/0/contexts/0/monitoring_attrs/intervals/aggr_us 20000',
      'write kdamonds/0/contexts/0/monitoring_attrs/intervals/update_us 1000000',
      'write kdamonds/0/contexts/0/monitoring_attrs/nr_regions/min 10',
      'write kdamonds/0/contexts/0/monitoring_attrs/nr_regions/max 1000',
      'write kdamonds/0/contexts/0/targets/nr_targets 1',
      'write kdamonds/0/contexts/0/targets/0/regions/nr_regions 1',
      'write kdamonds/0/contexts/0/targets/0/regions/0/start 4096',
    ]);
    expect(writes).toContain('write kdamonds/0/contexts/0/schemes/0/action pageout');
    expect(writes[writes.length - 1]).toBe('write kdamonds/0/state on');
    expect(k.isRunning('sysfs:0')).toBe(true);
    const state = JSON.parse(fs.readFileSync(stateFilePath(io.env), 'utf8'));
    const pid = Number(fs.readFileSync(join(k.roots.sysfs, 'kdamonds/0/pid'), 'utf8'));
    expect(state.kdamonds).toEqual([{ index: 0, pid }]);
    expect(io.out()).toContain(`kdamond 0 started (pid ${pid})`);

    const before = k.log.length;
    expect(runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false })).toBe(0);
    expect(rel(k, k.log.slice(before))).toEqual(['write kdamonds/0/state off', 'write kdamonds/nr_kdamonds 0']);
    expect(k.isRunning('sysfs:0')).toBe(false);
    expect(fs.existsSync(stateFilePath(io.env))).toBe(false);
  });

  it('start refuses while a foreign kdamond exists, explains, and leaves the tree byte-identical', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false, foreign: [{ state: 'on', pid: 4242, ops: 'paddr' }] }));
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    const io = makeIo();
    expect(() => runStartCommand(io, k, paddrReq(k))).toThrow(/kdamond 0 on \(pid 4242\) paddr.*refuses \(EBUSY\) while any kdamond runs; damo-ts did not create them/s);
    expect(k.log).toEqual([]);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
    // stop without a state file refuses and says what it would touch
    expect(() => runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false })).toThrow(/does not exist.*would touch kdamond 0 on \(pid 4242\)/s);
    expect(k.log).toEqual([]);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
    // --force does stop it
    expect(runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: true })).toBe(0);
    expect(rel(k, k.log)).toEqual(['write kdamonds/0/state off', 'write kdamonds/nr_kdamonds 0']);
  });

  it('refuses a value the kernel would reject before writing anything, naming the key', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const io = makeIo();
    expect(() => runStartCommand(io, k, { ...paddrReq(k), nrRegions: { min: 2, max: 1 } })).toThrow(/monitoring_nr_regions_range: min 2, max 1; DAMON accepts 3 <= min <= max/);
    expect(() => runStartCommand(io, k, { ...paddrReq(k), intervals: { ...DEFAULT_INTERVALS, sampleUs: 200_000 } })).toThrow(/monitoring_intervals: sample/);
    expect(() => runStartCommand(io, k, { ...paddrReq(k), targets: [{}] })).toThrow(/targets\[0\]\.regions: ops 'paddr' needs/);
    expect(k.log).toEqual([]);
  });

  it('rolls back a write that fails midway, naming the sysfs file and errno', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const io = makeIo();
    // The fake kernel is Linux 6.12: it has no 'collapse' action (EINVAL).
    expect(() => runStartCommand(io, k, paddrReq(k, '4K max 0 0 1s max collapse'))).toThrow(/EINVAL writing .*schemes\/0\/action/);
    expect(rel(k, k.log).at(-1)).toBe('write kdamonds/nr_kdamonds 0');
    expect(fs.readFileSync(join(k.roots.sysfs, 'kdamonds/nr_kdamonds'), 'utf8').trim()).toBe('0');
    expect(fs.existsSync(stateFilePath(io.env))).toBe(false);
  });

  it('stop after the kdamond died tells so and removes its directory', async () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child);
    const io = makeIo();
    runStartCommand(io, k, { ...paddrReq(k), ops: 'vaddr', targets: [{ pid: child.pid as number }] });
    expect(k.isRunning('sysfs:0')).toBe(true);
    child.kill('SIGKILL');
    for (let i = 0; i < 200 && k.isRunning('sysfs:0'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(k.isRunning('sysfs:0')).toBe(false);
    const before = k.log.length;
    expect(runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false })).toBe(0);
    expect(io.err()).toMatch(/kdamond 0 \(pid \d+\) is no longer running/);
    expect(rel(k, k.log.slice(before))).toEqual(['write kdamonds/nr_kdamonds 0']);
  });

  it('start replaces the kdamond an earlier start made once it stopped on its own (damo 3.3.0 schemes suite)', async () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child);
    const io = makeIo();
    runStartCommand(io, k, { ...paddrReq(k), ops: 'vaddr', targets: [{ pid: child.pid as number }] });
    child.kill('SIGKILL');
    for (let i = 0; i < 200 && k.isRunning('sysfs:0'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(k.isRunning('sysfs:0')).toBe(false);
    expect(runStartCommand(io, k, paddrReq(k))).toBe(0);
    expect(k.isRunning('sysfs:0')).toBe(true);
    expect(io.err()).toMatch(/replacing kdamond 0 off .*an earlier 'damo start' made it and it has stopped/);
    expect(runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false })).toBe(0);
  });

  it('a damaged state file is refused with its path; --force still stops', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const io = makeIo();
    runStartCommand(io, k, paddrReq(k));
    fs.writeFileSync(stateFilePath(io.env), '{"version": 1, "kdam');
    const before = k.log.length;
    expect(() => runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false })).toThrow(/state file .*kdamonds\.json is damaged/);
    expect(k.log.length).toBe(before);
    expect(runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: true })).toBe(0);
    expect(k.isRunning('sysfs:0')).toBe(false);
    expect(fs.existsSync(stateFilePath(io.env))).toBe(false);
  });

  it('a kdamond restarted by someone else (other pid) is refused; a reboot is detected from the boot id', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const io = makeIo();
    runStartCommand(io, k, paddrReq(k));
    const path = stateFilePath(io.env);
    const state = JSON.parse(fs.readFileSync(path, 'utf8'));
    fs.writeFileSync(path, JSON.stringify({ ...state, kdamonds: [{ index: 0, pid: 1 }] }));
    const before = k.log.length;
    expect(() => runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false })).toThrow(/refusing to stop kdamonds damo-ts did not start: kdamond 0 runs as pid \d+, not 1/);
    expect(k.log.length).toBe(before);
    if (state.boot_id !== '') {
      fs.writeFileSync(path, JSON.stringify({ ...state, boot_id: 'another-boot' }));
      expect(runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false })).toBe(0);
      expect(io.err()).toMatch(/rebooted since damo start/);
      expect(k.log.length).toBe(before);
      expect(k.isRunning('sysfs:0')).toBe(true);
      expect(fs.existsSync(path)).toBe(false);
    }
  });

  it('tune writes the new values and commits; it refuses a kdamond damo-ts did not start', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const io = makeIo();
    runStartCommand(io, k, paddrReq(k, '4K max 0 0 1s max pageout'));
    const before = k.log.length;
    const tune = { sysfsRoot: k.roots.sysfs, index: 0, force: false, intervals: { sampleUs: 2000, aggrUs: 40_000, opsUpdateUs: 2_000_000 }, nrRegions: { min: 20, max: 500 }, schemes: null };
    expect(runTuneCommand(io, k, tune)).toBe(0);
    expect(rel(k, k.log.slice(before))).toEqual([
      'write kdamonds/0/contexts/0/monitoring_attrs/intervals/sample_us 2000',
      'write kdamonds/0/contexts/0/monitoring_attrs/intervals/aggr_us 40000',
      'write kdamonds/0/contexts/0/monitoring_attrs/intervals/update_us 2000000',
      'write kdamonds/0/contexts/0/monitoring_attrs/nr_regions/min 20',
      'write kdamonds/0/contexts/0/monitoring_attrs/nr_regions/max 500',
      'write kdamonds/0/state commit',
    ]);
    const mid = k.log.length;
    expect(runTuneCommand(io, k, { ...tune, intervals: null, nrRegions: null, schemes: parseSchemesText('min max 0 0 0s max stat', '<t>') })).toBe(0);
    const w = rel(k, k.log.slice(mid));
    expect(w).toContain('write kdamonds/0/contexts/0/schemes/0/action stat');
    expect(w.at(-1)).toBe('write kdamonds/0/state commit');
    expect(fs.readFileSync(join(k.roots.sysfs, 'kdamonds/0/contexts/0/schemes/0/action'), 'utf8').trim()).toBe('stat');
    runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false });
  });

  it('tune leaves a foreign kdamond byte-identical', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false, foreign: [{ state: 'on', pid: 4242, ops: 'paddr' }] }));
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    const io = makeIo();
    expect(() => runTuneCommand(io, k, { sysfsRoot: k.roots.sysfs, index: 0, force: false, intervals: null, nrRegions: { min: 20, max: 500 }, schemes: null })).toThrow(/refusing to tune kdamond 0 \(pid 4242\): damo-ts did not start it/);
    expect(k.log).toEqual([]);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
  });
});
