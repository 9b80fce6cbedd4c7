// SPDX-License-Identifier: GPL-2.0-only
/**
 * The last full feature probe, kept for the rest of the boot: a probe stages a kdamond,
 * which cannot be done while kdamonds exist (damon_feature_probe.ts), and `damo features`
 * is asked exactly then (e.g. by scripts between `damo start` and `damo stop`). The entry
 * is valid for the same boot (/proc/sys/kernel/random/boot_id), kernel release, damo-ts
 * version and kernel roots; damo keeps the same kind of cache in ~/.damo.sysinfo.
 */
import * as fs from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

import { toolVersion } from '../core/version.js';
import type { KernelRoots } from './roots.js';

interface CacheEntry {
  key: string;
  available: string[];
}

export function featuresCachePath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache');
  return join(base, 'damo-ts', 'damon_features.json');
}

function readOr(path: string, dflt: string): string {
  try {
    return fs.readFileSync(path, 'utf8').trim();
  } catch {
    return dflt;
  }
}

export function featuresCacheKey(kernelRelease: string, roots: KernelRoots, moduleRoot: string): string {
  const bootId = readOr('/proc/sys/kernel/random/boot_id', 'unknown-boot');
  return JSON.stringify([bootId, kernelRelease, toolVersion(), roots.sysfs, roots.debugfs, roots.tracefs, moduleRoot]);
}

export function readFeaturesCache(path: string, key: string): Set<string> | undefined {
  try {
    const e = JSON.parse(fs.readFileSync(path, 'utf8')) as CacheEntry;
    if (e.key !== key || !Array.isArray(e.available)) return undefined;
    return new Set(e.available);
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written only costs a probe next time. */
export function writeFeaturesCache(path: string, key: string, available: ReadonlySet<string>): void {
  try {
    fs.mkdirSync(dirname(path), { recursive: true });
    const entry: CacheEntry = { key, available: [...available].sort() };
    fs.writeFileSync(path, JSON.stringify(entry) + '\n');
  } catch {
    // read-only home: probe again next time
  }
}

export function removeFeaturesCache(path: string): void {
  fs.rmSync(path, { force: true });
}
