// SPDX-License-Identifier: GPL-2.0-only
/**
 * Everything a monitoring session touches outside itself (kernel files, processes, clocks,
 * streams), so tests can replace any of it, and the real ones.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
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

/**
 * Whether any symbol read through `read` (a file's bytes in order, like readSync: bytes put
 * into the buffer, 0 at the end) starts with each prefix (ASCII). Stops reading once every
 * prefix was found: /proc/kallsyms is made anew by the kernel on every read, ~120,000 lines,
 * 31 ms of system time on the project's machine and many times that under the VM's emulated
 * CPU, and DAMON's symbols come about a third of the way in.
 */
export function symbolsHave(read: (buf: Buffer) => number, prefixes: string[], chunkBytes = 1 << 16): Map<string, boolean> {
  const found = new Map<string, boolean>(prefixes.map((p) => [p, false]));
  const needles = prefixes.map((p) => [p, ` ${p}`] as const);
  const keep = Math.max(0, ...needles.map(([, n]) => n.length - 1));
  let left = needles.length;
  let tail = '';
  const buf = Buffer.allocUnsafe(chunkBytes);
  while (left > 0) {
    const n = read(buf);
    if (n <= 0) break;
    // latin1 keeps one character per byte; a needle cut by the chunk's end is found in the
    // next round, with the last bytes of this one kept before it.
    const text = tail + buf.toString('latin1', 0, n);
    for (const [p, needle] of needles) {
      if (found.get(p) === false && text.includes(needle)) {
        found.set(p, true);
        left -= 1;
      }
    }
    tail = text.slice(Math.max(0, text.length - keep));
  }
  return found;
}

export function kallsymsHas(prefixes: string[]): Map<string, boolean> | null {
  let fd: number;
  try {
    fd = openSync('/proc/kallsyms', 'r');
  } catch {
    return null;
  }
  try {
    return symbolsHave((buf) => readSync(fd, buf, 0, buf.length, null), prefixes);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
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
