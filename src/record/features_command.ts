// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo features` and `damo report sysinfo` (damo 3.3.0's names and output): which DAMON
 * features this kernel has, probed as damon_feature_probe.ts explains.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { release } from 'node:os';
import { delimiter, join } from 'node:path';

import type { CliIO } from '../core/io.js';
import { toolVersion } from '../core/version.js';
import { DAMON_FEATURES, inferDamonVersion } from './damon_feature_list.js';
import type { DamonFeature } from './damon_feature_list.js';
import { probeDamonFeatures } from './damon_feature_probe.js';
import { featuresCacheKey, featuresCachePath, readFeaturesCache, removeFeaturesCache, writeFeaturesCache } from './features_cache.js';
import type { KernelFs } from './kfs.js';
import { RealKernelFs } from './kfs.js';
import type { KernelRoots } from './roots.js';

export const FEATURE_LIST_TYPES = ['supported', 'unsupported', 'all', 'json'] as const;
export type FeatureListType = (typeof FEATURE_LIST_TYPES)[number];

export const SYSINFO_PRINT_KEYS = [
  'versions',
  'fs_info',
  'trace_cmd_info',
  'perf_info',
  'sysfs_features',
  'debugfs_features',
  'trace_features',
  'stat_features',
  'lru_sort_features',
  'reclaim_features',
  'interfaces',
  'unavailable_features',
  'all',
] as const;
export type SysinfoPrintKey = (typeof SYSINFO_PRINT_KEYS)[number];

interface ProbeRequest {
  roots: KernelRoots;
  moduleRoot: string;
  invalidateCache: boolean;
  /** For tests: the file system to probe through. */
  kfs?: KernelFs;
}

export interface FeaturesRequest extends ProbeRequest {
  type: FeatureListType;
  inferVersion: boolean;
}

export interface SysinfoRequest extends ProbeRequest {
  print: SysinfoPrintKey[];
}

/** The available features, from the cache of this boot or a fresh probe. */
function availableFeatures(io: CliIO, req: ProbeRequest): Set<string> {
  const cachePath = featuresCachePath(io.env);
  if (req.invalidateCache) removeFeaturesCache(cachePath);
  const key = featuresCacheKey(release(), req.roots, req.moduleRoot);
  const cached = readFeaturesCache(cachePath, key);
  if (cached !== undefined) return cached;
  const probe = probeDamonFeatures(req.kfs ?? new RealKernelFs(), req.roots, req.moduleRoot);
  if (probe.partial.length === 0) writeFeaturesCache(cachePath, key, probe.available);
  else for (const p of probe.partial) io.stderr.write(`damo: note: ${p}\n`);
  return probe.available;
}

export function runFeaturesCommand(io: CliIO, req: FeaturesRequest): number {
  const available = availableFeatures(io, req);
  const names = DAMON_FEATURES.map((f) => f.name).sort();
  const lines: string[] = [];
  if (req.type === 'json') {
    const map: Record<string, boolean> = {};
    for (const n of names) map[n] = available.has(n);
    lines.push(JSON.stringify(map, null, 4));
  } else {
    for (const n of names) {
      const has = available.has(n);
      if (req.type === 'all') lines.push(`${n}: ${has ? 'Supported' : 'Unsupported'}`);
      else if ((req.type === 'supported') === has) lines.push(n);
    }
  }
  if (req.inferVersion) {
    const v = inferDamonVersion(available);
    if (v.error !== undefined) lines.push(`Version inference fail (${v.error})`);
    lines.push(`Seems the version of DAMON is ${v.version ?? 'None'}`);
  }
  io.stdout.write(lines.map((l) => `${l}\n`).join(''));
  return 0;
}

/** Mount point of the first filesystem of that type in /proc/mounts, or "None" as damo prints it. */
function mountPoint(fsType: string): string {
  try {
    for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const f = line.split(' ');
      if (f[2] === fsType && f[1] !== undefined) return f[1];
    }
  } catch {
    // no /proc: nothing mounted that we can tell
  }
  return 'None';
}

function onPath(io: CliIO, cmd: string): string | undefined {
  for (const dir of (io.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** First line of a tool's output matching `re` (group 1), or "None". */
function toolVersionLine(path: string | undefined, args: string[], re: RegExp): string {
  if (path === undefined) return 'None';
  const r = spawnSync(path, args, { encoding: 'utf8', timeout: 5000 });
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  for (const line of text.split('\n')) {
    const m = re.exec(line.trim());
    if (m !== null) return m[1] ?? line.trim();
  }
  return 'None';
}

/** The sysinfo category a feature belongs to (its name's prefix), as --print names them. */
function categoryOf(f: DamonFeature): SysinfoPrintKey | undefined {
  const prefix = f.name.split('/')[0];
  const map: Record<string, SysinfoPrintKey> = {
    interface: 'interfaces',
    sysfs: 'sysfs_features',
    debugfs: 'debugfs_features',
    trace: 'trace_features',
    stat: 'stat_features',
    lru_sort: 'lru_sort_features',
    reclaim: 'reclaim_features',
  };
  return prefix === undefined ? undefined : map[prefix];
}

export function runSysinfoCommand(io: CliIO, req: SysinfoRequest): number {
  const available = availableFeatures(io, req);
  const wants = (k: SysinfoPrintKey): boolean => req.print.includes('all') || req.print.includes(k);
  const lines: string[] = [];
  if (wants('versions')) {
    lines.push(`damo version: ${toolVersion()}`);
    lines.push(`kernel version: ${release()}`);
    const v = inferDamonVersion(available);
    lines.push(`DAMON version: ${v.error !== undefined ? `unknown (${v.error})` : v.version}`);
  }
  if (wants('fs_info')) {
    lines.push(`sysfs: ${mountPoint('sysfs')}`);
    lines.push(`tracefs: ${mountPoint('tracefs')}`);
    lines.push(`debugfs: ${mountPoint('debugfs')}`);
  }
  if (wants('trace_cmd_info')) {
    lines.push(`trace-cmd version: ${toolVersionLine(onPath(io, 'trace-cmd'), [], /^trace-cmd version (.*)$/)}`);
  }
  if (wants('perf_info')) {
    const perf = onPath(io, 'perf');
    lines.push(`perf path: ${perf ?? 'None'}`);
    lines.push(`perf version: ${toolVersionLine(perf, ['--version'], /^(perf version .*)$/)}`);
  }
  const show = (f: DamonFeature): string[] => [`- ${f.name} (${f.upstreamStatus})`, ...(f.comments ? [`  - ${f.comments}`] : [])];
  const shown = DAMON_FEATURES.filter((f) => {
    if (!available.has(f.name)) return false;
    const c = categoryOf(f);
    return c === undefined || wants(c);
  });
  if (shown.length > 0) lines.push('available DAMON features:', ...shown.flatMap(show));
  if (wants('unavailable_features')) {
    const missing = DAMON_FEATURES.filter((f) => !available.has(f.name));
    if (missing.length > 0) lines.push('unavailable DAMON features:', ...missing.flatMap(show));
  }
  io.stdout.write(lines.map((l) => `${l}\n`).join(''));
  return 0;
}
