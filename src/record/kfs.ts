// SPDX-License-Identifier: GPL-2.0-only
/**
 * Access to the kernel's control filesystems (DAMON sysfs, tracefs, DAMON debugfs).
 *
 * Every kernel backend goes through a `KernelFs` and takes its root directory as a
 * parameter, so host tests run the same code against fake trees in temp dirs (see
 * test/fixtures/record/fake_kernel.ts) and only the VM tests touch a real kernel.
 *
 * Writes are one `write()` on a descriptor opened O_WRONLY without O_CREAT/O_TRUNC: the
 * kernel parses each write() as one command, and a missing file must fail (ENOENT) rather
 * than be created. Every mutation is appended to `log` so `--debug` and the tests can show
 * the exact writes and their order.
 */
import * as fs from 'node:fs';

import { errnoCode } from '../core/errors.js';

/** One mutation a backend made, in order. Reads are not logged. */
export type KfsOp =
  | { op: 'write'; path: string; value: string }
  | { op: 'mkdir'; path: string }
  | { op: 'rmdir'; path: string };

export interface KernelFs {
  /** File contents as text (sysfs values end in a newline; callers trim). */
  read(path: string): string;
  /** One write() of `value`; throws the errno error (EBUSY, EINVAL, ...) on failure. */
  write(path: string, value: string): void;
  exists(path: string): boolean;
  isDir(path: string): boolean;
  /** Directory entries, unsorted; [] when the directory is missing. */
  list(path: string): string[];
  mkdir(path: string): void;
  rmdir(path: string): void;
  /** Opens a stream file (trace_pipe) for non-blocking reads; returns the fd. */
  openStream(path: string): number;
  /**
   * Reads what is available without blocking: a Buffer with data, or null when nothing
   * is there now (EAGAIN, or end of file of a fake FIFO without writers).
   */
  readStream(fd: number, buffer: Buffer): number | null;
  closeStream(fd: number): void;
  /** Mutations so far, in order. */
  readonly log: KfsOp[];
}

/**
 * Writes are refused when this variable is set and the path is under one of the real
 * kernel control roots. Test suites set it so a mistake in a test can never reach the
 * host's kernel (the host runs an infrastructure kdamond).
 */
export const FORBID_REAL_KERNEL_ENV = 'DAMO_FORBID_REAL_KERNEL_WRITES';

const REAL_KERNEL_DIRS = ['/sys/kernel/mm/damon', '/sys/kernel/debug', '/sys/kernel/tracing'];
/** The DAMON modules' directories (/sys/module/damon_reclaim, damon_lru_sort, damon_stat). */
const REAL_KERNEL_NAME_PREFIXES = ['/sys/module/damon_'];

function assertWritable(path: string): void {
  if (process.env[FORBID_REAL_KERNEL_ENV] === undefined) return;
  if (REAL_KERNEL_DIRS.some((p) => path === p || path.startsWith(`${p}/`)) || REAL_KERNEL_NAME_PREFIXES.some((p) => path.startsWith(p))) {
    throw new Error(`refusing to modify ${path}: ${FORBID_REAL_KERNEL_ENV} is set`);
  }
}

/** The real kernel filesystems, through plain syscalls. */
export class RealKernelFs implements KernelFs {
  readonly log: KfsOp[] = [];

  /** `onOp` sees every mutation before it is made (--debug prints them). */
  constructor(private readonly onOp?: (op: KfsOp) => void) {}

  private record(op: KfsOp): void {
    this.log.push(op);
    this.onOp?.(op);
  }

  read(path: string): string {
    return fs.readFileSync(path, 'utf8');
  }

  write(path: string, value: string): void {
    assertWritable(path);
    this.record({ op: 'write', path, value });
    const fd = fs.openSync(path, fs.constants.O_WRONLY);
    try {
      fs.writeSync(fd, value);
    } finally {
      fs.closeSync(fd);
    }
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  isDir(path: string): boolean {
    try {
      return fs.statSync(path).isDirectory();
    } catch {
      return false;
    }
  }

  list(path: string): string[] {
    try {
      return fs.readdirSync(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
      throw err;
    }
  }

  mkdir(path: string): void {
    assertWritable(path);
    this.record({ op: 'mkdir', path });
    fs.mkdirSync(path);
  }

  rmdir(path: string): void {
    assertWritable(path);
    this.record({ op: 'rmdir', path });
    fs.rmdirSync(path);
  }

  openStream(path: string): number {
    return fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  }

  readStream(fd: number, buffer: Buffer): number | null {
    try {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      return n === 0 ? null : n;
    } catch (err) {
      if (errnoCode(err) === 'EAGAIN' || errnoCode(err) === 'EWOULDBLOCK') return null;
      throw err;
    }
  }

  closeStream(fd: number): void {
    fs.closeSync(fd);
  }
}

/** Reads a file and trims the trailing newline; undefined when it does not exist. */
export function readTrim(kfs: KernelFs, path: string): string | undefined {
  try {
    return kfs.read(path).trim();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Synchronous sleep for short back-offs between kernel retries. */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Writes a DAMON `state` command, retrying while the kernel says EBUSY: the sysfs state
 * store uses mutex_trylock on damon_sysfs_lock and returns -EBUSY on contention (with
 * other writers, or while the kdamond populates tried_regions). damo retries 5 times with
 * random exponential back-off; so do we.
 */
export function writeRetryBusy(kfs: KernelFs, path: string, value: string, tries = 6): void {
  for (let i = 0; ; i++) {
    try {
      kfs.write(path, value);
      return;
    } catch (err) {
      if (errnoCode(err) !== 'EBUSY' || i + 1 >= tries) throw err;
      sleepMs(10 * 2 ** i + Math.floor(Math.random() * 10 * 2 ** i));
    }
  }
}
