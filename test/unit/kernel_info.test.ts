// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo features`, `damo report sysinfo` and `damo module` against fake sysfs and module
 * parameter trees (the real-kernel-write guard stays armed: nothing here may reach /sys).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { CliIO } from '../../src/core/io.js';
import { DAMON_FEATURES, inferDamonVersion } from '../../src/record/damon_feature_list.js';
import { runFeaturesCommand, runSysinfoCommand } from '../../src/record/features_command.js';
import { FORBID_REAL_KERNEL_ENV, RealKernelFs } from '../../src/record/kfs.js';
import { runModuleCommand, type ModuleRequest } from '../../src/record/module_command.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { Cleanup, makeFake } from '../fixtures/record/helpers.js';

const tmp = fileTempDir('damo-kernel-info-');
const cleanup = new Cleanup();
afterEach(() => cleanup.run());
beforeAll(() => {
  process.env[FORBID_REAL_KERNEL_ENV] = '1';
});

function io(cacheDir: string): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d: Buffer) => (o += d.toString()));
  stderr.on('data', (d: Buffer) => (e += d.toString()));
  return {
    io: { stdout, stderr, env: { XDG_CACHE_HOME: cacheDir, PATH: '' }, stdoutIsTTY: false, stderrIsTTY: false, columns: undefined, rows: undefined },
    out: () => o,
    err: () => e,
  };
}

let nCache = 0;
function freshCache(): string {
  const d = join(tmp, `cache-${nCache++}`);
  fs.mkdirSync(d);
  return d;
}

function moduleTree(name: string, params: Record<string, string>): string {
  const root = join(tmp, `mod-${nCache++}`);
  const dir = join(root, `damon_${name}`, 'parameters');
  fs.mkdirSync(dir, { recursive: true });
  for (const [k, v] of Object.entries(params)) fs.writeFileSync(join(dir, k), `${v}\n`);
  return root;
}

describe('damo features', () => {
  it('lists the debugfs features of a 6.9+ kernel (monitor_on_DEPRECATED) without DAMON sysfs, as damo probes them; only the read ones for monitor_on', () => {
    for (const [file, full] of [['monitor_on_DEPRECATED', true], ['monitor_on', false]] as const) {
      const fake = makeFake(cleanup, { sysfs: false, debugfs: file });
      const c = io(freshCache());
      expect(runFeaturesCommand(c.io, { type: 'supported', inferVersion: false, roots: fake.roots, moduleRoot: join(tmp, 'no-modules'), invalidateCache: false, kfs: fake })).toBe(0);
      const names = c.out().trim().split('\n');
      expect(names).toContain('debugfs/schemes');
      for (const n of ['debugfs/paddr', 'debugfs/schemes_time_quota', 'debugfs/schemes_wmarks', 'debugfs/schemes_stat_succ', 'debugfs/init_regions_target_idx']) expect({ file, n, has: names.includes(n) }).toEqual({ file, n, has: full });
      expect(names.some((n) => n.startsWith('sysfs/'))).toBe(false);
      expect(fake.log).toEqual([]);
    }
  });

  it("probes a staged kdamond on an empty DAMON sysfs, removes it, and lists damo's names", () => {
    const fake = makeFake(cleanup, { debugfs: 'monitor_on_DEPRECATED' });
    const modRoot = moduleTree('reclaim', { enabled: 'N', kdamond_pid: '-1', commit_inputs: 'N', skip_anon: 'N', nr_quota_exceeds: '0' });
    const c = io(freshCache());
    expect(runFeaturesCommand(c.io, { type: 'supported', inferVersion: false, roots: fake.roots, moduleRoot: modRoot, invalidateCache: false, kfs: fake })).toBe(0);
    const names = c.out().trim().split('\n');
    for (const n of ['sysfs/fvaddr', 'sysfs/paddr', 'sysfs/schemes_tried_regions', 'sysfs/schemes_filters', 'sysfs/schemes_wmarks', 'sysfs/schemes_apply_interval', 'sysfs/schemes_quota_goals', 'interface/damon_sysfs', 'interface/damon_debugfs', 'interface/damon_reclaim', 'reclaim/commit_inputs', 'reclaim/skip_anon', 'reclaim/stats']) {
      expect(names).toContain(n);
    }
    expect(names).not.toContain('interface/damon_stat');
    expect(names).toEqual([...names].sort());
    // the probe kdamond is gone again
    expect(fs.readFileSync(join(fake.roots.sysfs, 'kdamonds/nr_kdamonds'), 'utf8').trim()).toBe('0');
    expect(fake.log.filter((o) => o.op === 'write').map((o) => o.path.slice(fake.roots.sysfs.length))).toEqual([
      '/kdamonds/nr_kdamonds',
      '/kdamonds/0/contexts/nr_contexts',
      '/kdamonds/0/contexts/0/targets/nr_targets',
      '/kdamonds/0/contexts/0/schemes/nr_schemes',
      '/kdamonds/0/contexts/0/schemes/0/filters/nr_filters',
      '/kdamonds/0/contexts/0/schemes/0/quotas/goals/nr_goals',
      '/kdamonds/0/contexts/0/schemes/0/filters/0/type',
      '/kdamonds/nr_kdamonds',
    ]);
  });

  it('writes nothing when kdamonds exist, reads kdamond 0 and says the result is partial', () => {
    const fake = makeFake(cleanup, { foreign: [{ state: 'on', ops: 'paddr' }] });
    const before = fake.log.length;
    const c = io(freshCache());
    runFeaturesCommand(c.io, { type: 'all', inferVersion: false, roots: fake.roots, moduleRoot: join(tmp, 'none'), invalidateCache: false, kfs: fake });
    expect(fake.log.length).toBe(before);
    expect(c.out()).toMatch(/^sysfs\/schemes: Supported$/m);
    expect(c.out()).toMatch(/^interface\/damon_lru_sort: Unsupported$/m);
    expect(c.err()).toMatch(/holds 1 kdamond\(s\), so no probe kdamond was staged/);
    expect(c.out().trim().split('\n').length).toBe(DAMON_FEATURES.length);
  });

  it('answers from the cache of this boot without writing, until --invalidate_cache', () => {
    const fake = makeFake(cleanup);
    const cache = freshCache();
    const req = { type: 'json' as const, inferVersion: false, roots: fake.roots, moduleRoot: join(tmp, 'none'), invalidateCache: false, kfs: fake };
    const a = io(cache);
    runFeaturesCommand(a.io, req);
    const writes = fake.log.length;
    expect(writes).toBeGreaterThan(0);
    const b = io(cache);
    runFeaturesCommand(b.io, req);
    expect(fake.log.length).toBe(writes);
    expect(JSON.parse(b.out())).toEqual(JSON.parse(a.out()));
    expect((JSON.parse(a.out()) as Record<string, boolean>)['sysfs/fvaddr']).toBe(true);
    runFeaturesCommand(io(cache).io, { ...req, invalidateCache: true });
    expect(fake.log.length).toBe(2 * writes);
  });

  it("infers DAMON's version as damo does", () => {
    expect(inferDamonVersion(new Set())).toEqual({ version: '<5.15' });
    expect(inferDamonVersion(new Set(['sysfs/schemes', 'sysfs/schemes_migrate']))).toEqual({ version: '6.11' });
    expect(inferDamonVersion(new Set(['sysfs/schemes_migrate', 'sysfs/ctx_pause']))).toEqual({ version: '6.11+' });
  });

  it('report sysinfo prints versions and the available interfaces by default', () => {
    const fake = makeFake(cleanup);
    const c = io(freshCache());
    runSysinfoCommand(c.io, { print: ['versions', 'interfaces'], roots: fake.roots, moduleRoot: join(tmp, 'none'), invalidateCache: false, kfs: fake });
    const lines = c.out().split('\n');
    expect(lines[0]).toMatch(/^damo version: \d/);
    expect(lines[1]).toMatch(/^kernel version: /);
    expect(lines[2]).toMatch(/^DAMON version: \d/);
    expect(lines.slice(3, 5)).toEqual(['available DAMON features:', '- interface/damon_sysfs (merged in v5.18-rc1 (c951cd3b8901))']);
    expect(c.out()).not.toMatch(/sysfs\/schemes /);
  });
});

describe('damo module', () => {
  const base = (moduleRoot: string, over: Partial<ModuleRequest>): ModuleRequest => ({ module: 'reclaim', action: 'status', args: [], json: false, moduleRoot, waitMs: 300, kfs: new RealKernelFs(), ...over });

  it('status prints settings and statistics apart', () => {
    const root = moduleTree('reclaim', { enabled: 'N', kdamond_pid: '-1', min_age: '120000000', nr_reclaim_tried_regions: '7', bytes_reclaimed_regions: '4096' });
    const c = io(freshCache());
    runModuleCommand(c.io, base(root, {}));
    expect(c.out()).toBe('parameters:\n  enabled: N\n  kdamond_pid: -1\n  min_age: 120000000\nstats:\n  nr_reclaim_tried_regions: 7\n  bytes_reclaimed_regions: 4096\n');
    const j = io(freshCache());
    runModuleCommand(j.io, base(root, { json: true }));
    expect(JSON.parse(j.out())).toEqual({ parameters: { enabled: 'N', kdamond_pid: '-1', min_age: '120000000' }, stats: { nr_reclaim_tried_regions: '7', bytes_reclaimed_regions: '4096' } });
  });

  it('write checks every name before the first write', () => {
    const root = moduleTree('lru_sort', { enabled: 'N', kdamond_pid: '-1', hot_thres_access_freq: '500' });
    const file = join(root, 'damon_lru_sort/parameters/hot_thres_access_freq');
    expect(() => runModuleCommand(io(freshCache()).io, base(root, { module: 'lru_sort', action: 'write', args: ['hot_thres_access_freq', '700', 'nope', '1'] }))).toThrow(/damon_lru_sort has no parameter 'nope'/);
    expect(fs.readFileSync(file, 'utf8')).toBe('500\n');
    runModuleCommand(io(freshCache()).io, base(root, { module: 'lru_sort', action: 'write', args: ['hot_thres_access_freq', '700'] }));
    expect(fs.readFileSync(file, 'utf8')).toBe('700\n');
    const r = io(freshCache());
    runModuleCommand(r.io, base(root, { module: 'lru_sort', action: 'read', args: ['hot_thres_access_freq'] }));
    expect(r.out()).toBe('700\n');
    expect(() => runModuleCommand(io(freshCache()).io, base(root, { module: 'lru_sort', action: 'write', args: ['enabled'] }))).toThrow(/pairs; got 1 word/);
  });

  it('says the kernel lacks a module whose parameters directory is missing', () => {
    expect(() => runModuleCommand(io(freshCache()).io, base(join(tmp, 'empty'), { module: 'stat' }))).toThrow(/this kernel has no DAMON_STAT/);
  });

  it('enable waits for kdamond_pid and fails clearly when the kdamond does not start', () => {
    const root = moduleTree('reclaim', { enabled: 'N', kdamond_pid: '-1' });
    expect(() => runModuleCommand(io(freshCache()).io, base(root, { action: 'enable' }))).toThrow(/did not start its kdamond within 300 ms \(kdamond_pid is -1\)/);
    fs.writeFileSync(join(root, 'damon_reclaim/parameters/kdamond_pid'), '4242\n');
    const c = io(freshCache());
    runModuleCommand(c.io, base(root, { action: 'enable' }));
    expect(c.err()).toBe('DAMON_RECLAIM enabled (kdamond pid 4242)\n');
  });

  it('the real-kernel guard refuses writes to /sys/module/damon_*', () => {
    expect(() => new RealKernelFs().write('/sys/module/damon_reclaim/parameters/enabled', 'Y')).toThrow(/refusing to modify/);
  });
});
