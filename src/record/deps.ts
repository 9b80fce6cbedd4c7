// SPDX-License-Identifier: GPL-2.0-only
/**
 * Everything a monitoring session touches outside itself (kernel files, processes, clocks,
 * streams), so tests can replace any of it, and the real ones.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';

import type { OnInterrupt } from '../core/interrupts.js';
import type { SchemeStatsRecord, Snapshot } from '../core/model.js';
import { ShellGuardian, type Guardian } from './guardian.js';
import { RealKernelFs, type KernelFs } from './kfs.js';
import { createNativeSource, probeNative } from './native_source.js';
import { pidAlive } from './target.js';

export interface RecordDeps {
  kfs: KernelFs;
  euid: number;
  kernelRelease: string;
  env: NodeJS.ProcessEnv;
  stderr: NodeJS.WritableStream;
  stdout: NodeJS.WritableStream;
  stderrIsTTY: boolean;
  onInterrupt: OnInterrupt;
  makeGuardian: (onError: (m: string) => void) => Guardian;
  /** stdio of a command target. */
  targetStdio: 'inherit' | 'ignore';
  nowNs: () => bigint;
  pidAlive: (pid: number) => boolean;
  readIomem: () => string;
  kallsymsHas: (prefixes: string[]) => Map<string, boolean> | null;
  probeNative: typeof probeNative;
  createNativeSource: typeof createNativeSource;
  /** Wraps the writer (tests log every written snapshot). */
  wrapSink?: (sink: TraceSinkLike) => TraceSinkLike;
  statusIntervalMs?: number;
  pollMs?: number;
  aliveCheckMs?: number;
}

/** What a session writes its trace through (format/trace_writer.ts TraceWriter). */
export interface TraceSinkLike {
  writeSnapshot(s: Snapshot): void;
  writeSchemeStats?(s: SchemeStatsRecord): void;
  writeEvent(e: { timeNs: number; kind: string; message: string; targetIndex?: number }): void;
  close(endReason: string): void;
  abandon(): void;
  readonly nrSnapshots: number;
  readonly nrRegions: number;
  readonly bytesWritten: number;
}

export function kallsymsHas(prefixes: string[]): Map<string, boolean> | null {
  let text: string;
  try {
    text = readFileSync('/proc/kallsyms', 'utf8');
  } catch {
    return null;
  }
  const found = new Map<string, boolean>();
  for (const p of prefixes) found.set(p, text.includes(` ${p}`));
  return found;
}

export function defaultDeps(io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; stderrIsTTY: boolean; env: NodeJS.ProcessEnv }, onInterrupt: OnInterrupt): RecordDeps {
  return {
    kfs: new RealKernelFs(),
    euid: typeof process.geteuid === 'function' ? process.geteuid() : -1,
    kernelRelease: release(),
    env: io.env,
    stdout: io.stdout,
    stderr: io.stderr,
    stderrIsTTY: io.stderrIsTTY,
    onInterrupt,
    makeGuardian: (onError) => new ShellGuardian(onError),
    targetStdio: 'inherit',
    nowNs: () => process.hrtime.bigint(),
    pidAlive,
    readIomem: () => readFileSync('/proc/iomem', 'utf8'),
    kallsymsHas,
    probeNative,
    createNativeSource,
  };
}
