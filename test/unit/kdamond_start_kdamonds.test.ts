// SPDX-License-Identifier: GPL-2.0-only
// damo start --kdamonds against fake DAMON sysfs trees: several kdamonds and targets from
// damo's kdamonds document (JSON or YAML), the exact writes, the state file, stop, rollback.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { kdamondsFromFlags } from '../../src/record/kdamond/args_damon.js';
import { kdamondsKvpairs } from '../../src/record/kdamond/damon_status_format.js';
import { parseKdamondsText } from '../../src/record/kdamond/kdamonds_input.js';
import { kdamondsJson, kdamondsYaml } from '../../src/record/kdamond/kdamonds_text.js';
import { runStartKdamondsCommand } from '../../src/record/kdamond/start_command.js';
import { stateFilePath } from '../../src/record/kdamond/state_file.js';
import { runStopCommand } from '../../src/record/kdamond/stop_command.js';
import { captureIo, type CapturedIo } from '../fixtures/kdamond/capture_io.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';

let dir: string;
let kernel: FakeKernel | null = null;
let children: ChildProcess[] = [];

function makeIo(): CapturedIo {
  return captureIo(join(dir, 'run'));
}

function sleeper(): number {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  if (child.pid === undefined) throw new Error('cannot spawn sleep');
  return child.pid;
}

const rel = (k: FakeKernel, ops: typeof k.log): string[] => ops.filter((op) => op.op === 'write').map((op) => `${op.path.slice(k.roots.sysfs.length + 1)} ${op.value}`);

const STAT_SCHEME = { action: 'stat', access_pattern: { sz_bytes: { min: '4.000 KiB', max: 'max' }, nr_accesses: { min: '0 samples', max: '10 samples' }, age: { min: '0 aggr_intervals', max: 'max' } } };

/** Two kdamonds with two process targets each, as `damo args damon` writes them; the second has a scheme. */
function twoByTwo(pids: number[]): { kdamonds: Array<Record<string, unknown>> } {
  const iv = { sampleUs: 1000, aggrUs: 20_000, opsUpdateUs: 1_000_000 };
  const a = kdamondsFromFlags({ ops: 'vaddr', intervals: iv, nrRegions: { min: 10, max: 1000 }, targets: [{ pid: pids[0] as number }, { pid: pids[1] as number }] });
  const b = kdamondsFromFlags({ ops: 'fvaddr', intervals: { ...iv, aggrUs: 40_000 }, nrRegions: { min: 5, max: 50 }, targets: [{ pid: pids[2] as number, regions: [[4096, 8192]] }, { pid: pids[3] as number, regions: [[1 << 20, 1 << 21]] }] });
  const doc = { kdamonds: kdamondsKvpairs([...a, ...b], { raw: false, paramsOnly: true }) };
  const ctx = (doc.kdamonds[1]?.contexts as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
  ctx.schemes = [STAT_SCHEME];
  return doc;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'damo-kdamonds-'));
  children = [];
});
afterEach(() => {
  kernel?.close();
  kernel = null;
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('damo start --kdamonds on fake sysfs', () => {
  it.each(['json', 'yaml'] as const)('starts 2 kdamonds x 2 targets from %s in the exact write order; stop removes them', (format) => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const pids = [sleeper(), sleeper(), sleeper(), sleeper()];
    const doc = twoByTwo(pids);
    const text = format === 'json' ? kdamondsJson(doc) : kdamondsYaml(doc);
    const io = makeIo();
    expect(runStartKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, plan: parseKdamondsText(text, 'test') })).toBe(0);
    const c0 = 'kdamonds/0/contexts/0';
    const c1 = 'kdamonds/1/contexts/0';
    const s = `${c1}/schemes/0`;
    expect(rel(k, k.log)).toEqual([
      'kdamonds/nr_kdamonds 2',
      'kdamonds/0/contexts/nr_contexts 1',
      `${c0}/operations vaddr`,
      `${c0}/monitoring_attrs/intervals/sample_us 1000`,
      `${c0}/monitoring_attrs/intervals/aggr_us 20000`,
      `${c0}/monitoring_attrs/intervals/update_us 1000000`,
      `${c0}/monitoring_attrs/nr_regions/min 10`,
      `${c0}/monitoring_attrs/nr_regions/max 1000`,
      `${c0}/targets/nr_targets 2`,
      `${c0}/targets/0/pid_target ${pids[0]}`,
      `${c0}/targets/1/pid_target ${pids[1]}`,
      `${c0}/schemes/nr_schemes 0`,
      'kdamonds/1/contexts/nr_contexts 1',
      `${c1}/operations fvaddr`,
      `${c1}/monitoring_attrs/intervals/sample_us 1000`,
      `${c1}/monitoring_attrs/intervals/aggr_us 40000`,
      `${c1}/monitoring_attrs/intervals/update_us 1000000`,
      `${c1}/monitoring_attrs/nr_regions/min 5`,
      `${c1}/monitoring_attrs/nr_regions/max 50`,
      `${c1}/targets/nr_targets 2`,
      `${c1}/targets/0/pid_target ${pids[2]}`,
      `${c1}/targets/0/regions/nr_regions 1`,
      `${c1}/targets/0/regions/0/start 4096`,
      `${c1}/targets/0/regions/0/end 8192`,
      `${c1}/targets/1/pid_target ${pids[3]}`,
      `${c1}/targets/1/regions/nr_regions 1`,
      `${c1}/targets/1/regions/0/start 1048576`,
      `${c1}/targets/1/regions/0/end 2097152`,
      `${c1}/schemes/nr_schemes 1`,
      `${s}/action stat`,
      `${s}/access_pattern/sz/min 4096`,
      `${s}/access_pattern/sz/max 18446744073709551615`,
      `${s}/access_pattern/nr_accesses/min 0`,
      `${s}/access_pattern/nr_accesses/max 10`,
      `${s}/access_pattern/age/min 0`,
      `${s}/access_pattern/age/max 4294967295`,
      ...rel(k, k.log).slice(36, -2),
      'kdamonds/0/state on',
      'kdamonds/1/state on',
    ]);
    // Between the access pattern and `state on`: the scheme's quotas and watermarks only.
    expect(rel(k, k.log).slice(36, -2).every((w) => w.startsWith(`${s}/quotas/`) || w.startsWith(`${s}/watermarks/`))).toBe(true);
    expect(k.isRunning('sysfs:0')).toBe(true);
    expect(k.isRunning('sysfs:1')).toBe(true);
    const state = JSON.parse(fs.readFileSync(stateFilePath(io.env), 'utf8')) as { kdamonds: Array<{ index: number; pid: number }> };
    const kpids = [0, 1].map((i) => Number(fs.readFileSync(join(k.roots.sysfs, `kdamonds/${i}/pid`), 'utf8')));
    expect(state.kdamonds).toEqual([
      { index: 0, pid: kpids[0] },
      { index: 1, pid: kpids[1] },
    ]);
    expect(io.out()).toBe(`kdamond 0 started (pid ${kpids[0]})\nkdamond 1 started (pid ${kpids[1]})\n'damo stop' stops them\n`);

    expect(runStopCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false })).toBe(0);
    expect(k.isRunning('sysfs:0') || k.isRunning('sysfs:1')).toBe(false);
    expect(fs.readFileSync(join(k.roots.sysfs, 'kdamonds/nr_kdamonds'), 'utf8').trim()).toBe('0');
  });

  it('rolls everything back when the second kdamond is refused, naming the file and errno', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const pids = [sleeper(), sleeper(), sleeper(), sleeper()];
    const doc = twoByTwo(pids);
    // The fake kernel refuses `on` for a target that is not a live process (EINVAL), as DAMON does.
    const child = children[3] as ChildProcess;
    child.kill('SIGKILL');
    const dead = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    return dead.then(() => {
      const io = makeIo();
      expect(() => runStartKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, plan: parseKdamondsText(kdamondsJson(doc), 'test') })).toThrow(/turning kdamond 1 on failed \(EINVAL writing .*kdamonds\/1\/state/);
      // The refused write is logged too: kdamond 0 on, kdamond 1 refused, kdamond 0 off, none left.
      expect(rel(k, k.log).slice(-4)).toEqual(['kdamonds/0/state on', 'kdamonds/1/state on', 'kdamonds/0/state off', 'kdamonds/nr_kdamonds 0']);
      expect(k.isRunning('sysfs:0')).toBe(false);
      expect(fs.existsSync(stateFilePath(io.env))).toBe(false);
    });
  });

  it('refuses a bad document before writing anything, with the key path', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const doc = twoByTwo([1, 1, 1, 1]);
    const start = (d: unknown): (() => number) => () => runStartKdamondsCommand(makeIo(), k, { sysfsRoot: k.roots.sysfs, plan: parseKdamondsText(JSON.stringify(d), 'test') });
    const ctx1 = (): Record<string, unknown> => (doc.kdamonds[1]?.contexts as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    ctx1().nr_regions = { min: '2', max: '50' };
    expect(start(doc)).toThrow(/kdamonds\[1\]\.contexts\[0\]\.monitoring_nr_regions_range: min 2/);
    ctx1().nr_regions = { min: 'many', max: '50' };
    expect(start(doc)).toThrow(/kdamonds\[1\]\.contexts\[0\]\.nr_regions\.min: expected a non-negative integer/);
    ctx1().nr_regions = { min: '5', max: '50' };
    ctx1().ops = 'kaddr';
    expect(start(doc)).toThrow(/kdamonds\[1\]\.contexts\[0\]\.ops: expected one of vaddr, fvaddr, paddr/);
    ctx1().ops = 'fvaddr';
    ctx1().pause = true;
    expect(start(doc)).toThrow(/kdamonds\[1\]\.contexts\[0\]\.pause: true is not supported/);
    ctx1().pause = false;
    ctx1().colour = 'blue';
    expect(start(doc)).toThrow(/kdamonds\[1\]\.contexts\[0\]: unknown key 'colour'/);
    delete ctx1().colour;
    expect(() => parseKdamondsText('kdamonds: [', 'test')).toThrow(/neither valid JSON nor YAML/);
    expect(() => parseKdamondsText('{"kdamonds": [{"contexts": []}]}', 'test')).toThrow(/exactly one context per kdamond/);
    expect(k.log.filter((op) => op.op === 'write')).toEqual([]);
  });
});
