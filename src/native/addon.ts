// SPDX-License-Identifier: GPL-2.0-only
/**
 * Loads the native addon (build/Release/damo_native.node) and describes the raw shape of
 * what it exports. Only src/native/*.ts talks to these raw functions; everything
 * else uses the validated wrapper in monitor.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DamoError, errorMessage } from '../core/errors.js';
import type { Snapshot, DamonOps } from '../core/model.js';

export interface RawCapability {
  available: boolean;
  code: string;
  reason: string;
}

/** What the addon delivers per aggregation: the model's core fields, granularity always set. */
export type RawSnapshot = Pick<Snapshot, 'targetIndex' | 'startNs' | 'endNs' | 'starts' | 'ends' | 'nrAccesses' | 'ages'> & {
  granularityBytes: number;
};

export interface RawRunEnd {
  endReason: 'stopped' | 'target-exit' | 'timeout';
  nrSnapshots: number;
  nrSamples: number;
  threadCpuNs: number;
  wallNs: number;
}

export interface RawMonitorOptions {
  ops: DamonOps;
  primitive: string;
  /** pid -1: no process. ranges: flat [start0, end0, start1, end1, ...]. */
  targets: Array<{ pid: number; ranges: Float64Array }>;
  sampleUs: number;
  aggrUs: number;
  opsUpdateUs: number;
  minNrRegions: number;
  maxNrRegions: number;
  seed: number;
  virtualTime: boolean;
  durationUs: number;
  synthetic?: { t0Ns: Float64Array; t1Ns: Float64Array; starts: Float64Array; ends: Float64Array; probs: Float64Array };
}

export interface RawMonitor {
  /** Starts the monitor thread; the promise settles after the thread has been joined. */
  start(onSnapshots: (snapshots: RawSnapshot[]) => void): Promise<RawRunEnd>;
  stop(): void;
  /** ranges: flat [start0, end0, ...]; the engine resets those regions' ages before its next sample. */
  resetAges(targetIndex: number, ranges: Float64Array): void;
  readonly baseTimeNs: bigint;
  readonly running: boolean;
}

export interface DamoNativeAddon {
  abiVersion: number;
  hostFacts(): { pageSizeBytes: number; kernelRelease: string; nrCpus: number };
  capabilities(ops: string, pid: number): Record<string, RawCapability>;
  Monitor: new (options: RawMonitorOptions) => RawMonitor;
  /** pidfd_open(2); throws an Error with a `code` (E_NOENT, E_UNSUPPORTED, E_PERM). */
  openPidfd(pid: number): number;
  closeFd(fd: number): void;
  /** 0 when process_madvise(advice) is allowed on that process, else the errno. */
  probeProcessMadvise(pidfd: number, advice: number): number;
  /** Per range: bytes applied and errno (0 = applied), on a worker thread. */
  processMadvise(pidfd: number, starts: Float64Array, lens: Float64Array, advice: number): Promise<RawMadviseResult>;
}

export interface RawMadviseResult {
  bytes: Float64Array;
  errnos: Int32Array;
  elapsedNs: number;
  nrSyscalls: number;
}

/** The ABI version this wrapper was written for; the addon exports its own. */
export const EXPECTED_ABI_VERSION = 3;

let cached: DamoNativeAddon | null = null;

/** The directory of our package.json (the source tree, dist/ under it, or an install). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'damo-ts') return dir;
      } catch {
        // not ours; keep looking upwards
      }
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

/** Path the addon is loaded from. */
export function addonPath(): string {
  return join(packageRoot(), 'build', 'Release', 'damo_native.node');
}

/** Loads the addon once; throws DamoError E_NATIVE with what to do when it is missing. */
export function loadNativeAddon(): DamoNativeAddon {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    throw new DamoError('E_NATIVE', `native addon not built: ${path} does not exist`, {
      hint: 'run npm run build (it needs g++, make and the Node headers)',
    });
  }
  let mod: DamoNativeAddon;
  try {
    mod = createRequire(import.meta.url)(path) as DamoNativeAddon;
  } catch (err) {
    throw new DamoError('E_NATIVE', `native addon ${path} failed to load: ${errorMessage(err)}`, {
      cause: err,
      hint: 'rebuild it for this Node version: npm run build:native',
    });
  }
  if (mod.abiVersion !== EXPECTED_ABI_VERSION) {
    throw new DamoError(
      'E_NATIVE',
      `native addon ${path} has ABI version ${mod.abiVersion}, this code expects ${EXPECTED_ABI_VERSION}`,
      { hint: 'rebuild it: npm run build:native' },
    );
  }
  cached = mod;
  return mod;
}
