// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo module stat|reclaim|lru_sort`: the kernel's own DAMON users, DAMON_STAT (Linux
 * 6.17+), DAMON_RECLAIM (5.16+) and DAMON_LRU_SORT (6.0+), are driven only through their
 * module parameters, /sys/module/damon_<name>/parameters/<param>. This reads them (their
 * settings and the statistics they publish), writes them, and turns a module on or off,
 * waiting until its kdamond_pid shows the kdamond started or gone.
 */
import { join } from 'node:path';

import { DamoError } from '../core/errors.js';
import { errnoCode } from '../core/errors.js';
import type { CliIO } from '../core/io.js';
import type { KernelFs } from './kfs.js';
import { RealKernelFs, readTrim, sleepMs } from './kfs.js';

export const DAMON_MODULES = ['stat', 'reclaim', 'lru_sort'] as const;
export type DamonModule = (typeof DAMON_MODULES)[number];

export const MODULE_ACTIONS = ['status', 'read', 'write', 'enable', 'disable', 'commit'] as const;
export type ModuleAction = (typeof MODULE_ACTIONS)[number];

/** What each module is called, and the release and option that brought it. */
const MODULE_INFO: Record<DamonModule, { title: string; since: string; config: string }> = {
  stat: { title: 'DAMON_STAT', since: '6.17', config: 'CONFIG_DAMON_STAT' },
  reclaim: { title: 'DAMON_RECLAIM', since: '5.16', config: 'CONFIG_DAMON_RECLAIM' },
  lru_sort: { title: 'DAMON_LRU_SORT', since: '6.0', config: 'CONFIG_DAMON_LRU_SORT' },
};

/**
 * Statistics each module publishes (read-only parameters), in the kernel's order; `status`
 * prints them apart from the settings. Parameters not in this kernel are skipped.
 */
const MODULE_STATS: Record<DamonModule, string[]> = {
  stat: ['estimated_memory_bandwidth', 'memory_idle_ms_percentiles'],
  reclaim: ['nr_reclaim_tried_regions', 'bytes_reclaim_tried_regions', 'nr_reclaimed_regions', 'bytes_reclaimed_regions', 'nr_quota_exceeds'],
  lru_sort: [
    'nr_lru_sort_tried_hot_regions',
    'bytes_lru_sort_tried_hot_regions',
    'nr_lru_sorted_hot_regions',
    'bytes_lru_sorted_hot_regions',
    'nr_hot_quota_exceeds',
    'nr_lru_sort_tried_cold_regions',
    'bytes_lru_sort_tried_cold_regions',
    'nr_lru_sorted_cold_regions',
    'bytes_lru_sorted_cold_regions',
    'nr_cold_quota_exceeds',
  ],
};

export interface ModuleRequest {
  module: DamonModule;
  action: ModuleAction;
  /** read: parameter names; write: name value pairs. */
  args: string[];
  json: boolean;
  /** /sys/module, or a fake tree's in tests. */
  moduleRoot: string;
  /** enable/disable/commit: how long to wait for the kernel to act. */
  waitMs: number;
  kfs?: KernelFs;
}

function paramDir(req: ModuleRequest): string {
  return join(req.moduleRoot, `damon_${req.module}`, 'parameters');
}

function requireModule(kfs: KernelFs, req: ModuleRequest): string {
  const dir = paramDir(req);
  if (!kfs.isDir(dir)) {
    const i = MODULE_INFO[req.module];
    throw new DamoError('E_UNSUPPORTED', `this kernel has no ${i.title}: ${dir} does not exist`, {
      hint: `${i.title} is in Linux ${i.since} and later, built in with ${i.config}=y`,
    });
  }
  return dir;
}

function paramNames(kfs: KernelFs, dir: string): string[] {
  return kfs.list(dir).sort();
}

function readParam(kfs: KernelFs, dir: string, name: string): string {
  const path = join(dir, name);
  try {
    return kfs.read(path).trim();
  } catch (err) {
    throw new DamoError('E_IO', `cannot read ${path}: ${errnoCode(err) ?? String(err)}`, { cause: err });
  }
}

function unknownParam(req: ModuleRequest, dir: string, name: string, names: string[]): DamoError {
  return new DamoError('E_USAGE', `damon_${req.module} has no parameter '${name}' (${join(dir, name)} does not exist)`, {
    hint: `its parameters: ${names.join(', ')}`,
  });
}

function writeParam(kfs: KernelFs, dir: string, name: string, value: string): void {
  const path = join(dir, name);
  try {
    kfs.write(path, value);
  } catch (err) {
    const code = errnoCode(err) ?? String(err);
    const why = code === 'EINVAL' ? ' (the kernel refused the value)' : code === 'EBUSY' ? ' (DAMON is in use by another kdamond)' : '';
    throw new DamoError('E_IO', `writing '${value}' to ${path} failed: ${code}${why}`, { cause: err });
  }
}

/** Waits until `done()` or the deadline; returns whether it happened. */
function waitFor(done: () => boolean, waitMs: number): boolean {
  const until = Date.now() + waitMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= until) return false;
    sleepMs(50);
  }
}

function printKv(io: CliIO, json: boolean, rows: Array<[string, string]>, group?: Record<string, Array<[string, string]>>): void {
  if (json) {
    const obj = group === undefined ? Object.fromEntries(rows) : Object.fromEntries(Object.entries(group).map(([k, v]) => [k, Object.fromEntries(v)]));
    io.stdout.write(`${JSON.stringify(obj, null, 2)}\n`);
    return;
  }
  if (group === undefined) {
    io.stdout.write(rows.map(([k, v]) => `${k}: ${v}\n`).join(''));
    return;
  }
  const parts = Object.entries(group)
    .filter(([, v]) => v.length > 0)
    .map(([title, v]) => `${title}:\n${v.map(([k, val]) => `  ${k}: ${val}\n`).join('')}`);
  io.stdout.write(parts.join(''));
}

function kdamondPid(kfs: KernelFs, dir: string): string | undefined {
  return readTrim(kfs, join(dir, 'kdamond_pid'));
}

function setEnabled(io: CliIO, kfs: KernelFs, req: ModuleRequest, dir: string, on: boolean): void {
  const title = MODULE_INFO[req.module].title;
  writeParam(kfs, dir, 'enabled', on ? 'Y' : 'N');
  if (!kfs.exists(join(dir, 'kdamond_pid'))) return;
  const running = (): boolean => {
    const pid = kdamondPid(kfs, dir);
    return pid !== undefined && pid !== '-1';
  };
  if (!waitFor(() => running() === on, req.waitMs)) {
    const hint = on ? 'DAMON runs one user at a time here: is another kdamond (damo start/record, or another module) running?' : undefined;
    throw new DamoError('E_BUSY', `${title} did not ${on ? 'start' : 'stop'} its kdamond within ${req.waitMs} ms (kdamond_pid is ${kdamondPid(kfs, dir) ?? 'missing'})`, hint === undefined ? {} : { hint });
  }
  io.stderr.write(`${title} ${on ? `enabled (kdamond pid ${kdamondPid(kfs, dir)})` : 'disabled'}\n`);
}

export function runModuleCommand(io: CliIO, req: ModuleRequest): number {
  const kfs = req.kfs ?? new RealKernelFs();
  const dir = requireModule(kfs, req);
  const names = paramNames(kfs, dir);
  switch (req.action) {
    case 'status': {
      const statNames = new Set(MODULE_STATS[req.module]);
      const settings = names.filter((n) => !statNames.has(n)).map((n): [string, string] => [n, readParam(kfs, dir, n)]);
      const stats = MODULE_STATS[req.module].filter((n) => names.includes(n)).map((n): [string, string] => [n, readParam(kfs, dir, n)]);
      printKv(io, req.json, [], { parameters: settings, stats });
      return 0;
    }
    case 'read': {
      for (const n of req.args) if (!names.includes(n)) throw unknownParam(req, dir, n, names);
      const which = req.args.length > 0 ? req.args : names;
      const rows = which.map((n): [string, string] => [n, readParam(kfs, dir, n)]);
      if (req.args.length === 1 && !req.json) io.stdout.write(`${rows[0]?.[1] ?? ''}\n`);
      else printKv(io, req.json, rows);
      return 0;
    }
    case 'write': {
      if (req.args.length === 0 || req.args.length % 2 !== 0) {
        throw new DamoError('E_USAGE', `module ${req.module} write takes <parameter> <value> pairs; got ${req.args.length} word(s)`);
      }
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i < req.args.length; i += 2) pairs.push([req.args[i] as string, req.args[i + 1] as string]);
      // Every name is checked before the first write: a typo must not leave half a change.
      for (const [n] of pairs) if (!names.includes(n)) throw unknownParam(req, dir, n, names);
      for (const [n, v] of pairs) writeParam(kfs, dir, n, v);
      return 0;
    }
    case 'enable':
    case 'disable':
      if (!names.includes('enabled')) throw unknownParam(req, dir, 'enabled', names);
      setEnabled(io, kfs, req, dir, req.action === 'enable');
      return 0;
    case 'commit': {
      const title = MODULE_INFO[req.module].title;
      if (!names.includes('commit_inputs')) {
        throw new DamoError('E_UNSUPPORTED', `${title} of this kernel cannot take new parameters while it runs (no ${join(dir, 'commit_inputs')}; Linux 5.19+)`);
      }
      if (readTrim(kfs, join(dir, 'enabled')) !== 'Y') {
        throw new DamoError('E_USAGE', `${title} is not enabled: its parameters take effect when it is enabled, there is nothing to commit`);
      }
      writeParam(kfs, dir, 'commit_inputs', 'Y');
      // The kernel sets commit_inputs back to N once its kdamond has applied the inputs.
      if (!waitFor(() => readTrim(kfs, join(dir, 'commit_inputs')) === 'N', req.waitMs)) {
        throw new DamoError('E_BUSY', `${title} did not apply the committed parameters within ${req.waitMs} ms (commit_inputs is still Y)`);
      }
      return 0;
    }
  }
}
