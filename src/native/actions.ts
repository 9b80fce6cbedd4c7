// SPDX-License-Identifier: GPL-2.0-only
/**
 * DAMOS actions on another process with process_madvise(2), through the addon
 * (native/actions/process_madvise.h). What the kernel's vaddr DAMOS does with do_madvise(),
 * from user space: cold, pageout, willneed and collapse (MADVISE_ACTIONS below);
 * `processMadviseAdvice()` in src/schemes/online_native.ts says why the others cannot be done.
 *
 *   const fd = openPidfd(pid)                        // DamoError E_NOENT / E_UNSUPPORTED / E_PERM
 *   const problem = probeAdvice(fd, 'pageout', pid)  // null, or a DamoError saying why not
 *   const r = await adviseRanges(fd, 'pageout', [{ start, end }, ...])
 *       // r.bytes[i] (the range's length, or 0), r.errnos[i] ('' or 'ENOMEM', ...), r.elapsedNs
 *   closePidfd(fd)
 */
import { constants as osConstants, release } from 'node:os';

import { DamoError } from '../core/errors.js';
import { loadNativeAddon } from './addon.js';
import { nativeError } from './monitor.js';

export interface AdviseResult {
  /** Bytes the advice was applied to, per range: its whole length, or 0 when it failed. */
  bytes: Float64Array;
  /** Per range: '' when applied, else the errno name ('ENOMEM', 'EINVAL', ...). */
  errnos: string[];
  elapsedNs: number;
  nrSyscalls: number;
}

/**
 * The DAMOS actions process_madvise(2) can apply to another process, and the advice each is
 * (mm/madvise.c process_madvise_remote_valid); 'stat' applies nothing.
 */
export const MADVISE_ACTIONS = {
  willneed: { advice: 3, name: 'MADV_WILLNEED' }, // remote since Linux 5.15
  cold: { advice: 20, name: 'MADV_COLD' }, // remote since 5.10
  pageout: { advice: 21, name: 'MADV_PAGEOUT' }, // remote since 5.10
  collapse: { advice: 25, name: 'MADV_COLLAPSE' }, // remote since 6.1
  stat: { advice: -1, name: 'none (statistics only)' },
} as const;

export type MadviseAction = keyof typeof MADVISE_ACTIONS;

export function isMadviseAction(action: string): action is MadviseAction {
  return Object.hasOwn(MADVISE_ACTIONS, action);
}

/** The surface online application uses; tests substitute fakes. */
export interface MadviseActions {
  openPidfd(pid: number): number;
  closePidfd(fd: number): void;
  probeAdvice(fd: number, action: MadviseAction, pid: number): DamoError | null;
  adviseRanges(fd: number, action: MadviseAction, ranges: ReadonlyArray<{ start: number; end: number }>): Promise<AdviseResult>;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

export function errnoName(n: number): string {
  if (n === 0) return '';
  return ERRNO_NAMES.get(n) ?? `errno ${n}`;
}

function adviceOf(action: MadviseAction): { advice: number; name: string } {
  if (!isMadviseAction(action)) throw new DamoError('E_INTERNAL', `'${String(action)}' is not a process_madvise action`);
  return MADVISE_ACTIONS[action];
}

/** Since which release another process may be given this advice (process_madvise_remote_valid). */
const REMOTE_SINCE: Record<string, string> = {
  MADV_COLD: '5.10',
  MADV_PAGEOUT: '5.10',
  MADV_WILLNEED: '5.15',
  MADV_COLLAPSE: '6.1',
};

/** Why process_madvise(advice) on `pid` failed as a whole, and what to do. */
export function explainProbeErrno(errno: string, advice: string, pid: number, kernelRelease = release()): DamoError {
  switch (errno) {
    case 'ENOSYS':
      return new DamoError('E_UNSUPPORTED', `this kernel (${kernelRelease}) has no process_madvise(2): it needs Linux 5.10+ built with CONFIG_ADVISE_SYSCALLS`, {
        hint: 'use a kernel backend (--backend sysfs or debugfs) if this kernel has DAMON',
      });
    case 'EINVAL':
      return new DamoError('E_UNSUPPORTED', `this kernel (${kernelRelease}) does not accept ${advice} for another process (allowed since Linux ${REMOTE_SINCE[advice] ?? '?'}${advice === 'MADV_COLLAPSE' ? ', with CONFIG_TRANSPARENT_HUGEPAGE' : ''})`, {
        hint: 'use a kernel backend, or another action',
      });
    case 'EPERM':
    case 'EACCES':
      return new DamoError('E_PERM', `process_madvise(${advice}) on pid ${pid} is not permitted: it needs CAP_SYS_NICE and ptrace access to the process (PTRACE_MODE_READ)`, {
        hint: 'run as root',
      });
    case 'ESRCH':
      return new DamoError('E_NOENT', `process ${pid} has exited`);
    default:
      return new DamoError('E_IO', `process_madvise(${advice}) on pid ${pid} failed: ${errno}`);
  }
}

/** What a per-range failure during application means (for warnings and the report). */
export function explainRangeErrno(errno: string): string {
  switch (errno) {
    case 'ENOMEM':
      return 'the range spans unmapped addresses (vaddr regions cover the gaps between mappings, and the process may unmap memory); the advice reached the mapped pages, but like the kernel\'s DAMOS (damos_madvise) the range counts as not applied';
    case 'EINVAL':
      return 'the range holds a mapping madvise refuses (locked, PFN-mapped like [vvar], hugetlb; for collapse: huge pages disabled there)';
    case 'EAGAIN':
      return 'a transient failure that persisted after retries (for collapse: pages locked or under migration)';
    case 'EFAULT':
      return 'the kernel could not read the range list';
    case 'ESRCH':
      return 'the process exited';
    case 'EPERM':
      return 'not permitted any more (the process changed credentials?)';
    case 'EHWPOISON':
      return 'a hardware-poisoned page was in the range';
    default:
      return 'unexpected failure';
  }
}

/** process_madvise() through the addon. */
export function nativeMadviseActions(): MadviseActions {
  const addon = loadNativeAddon();
  return {
    openPidfd(pid) {
      try {
        return addon.openPidfd(pid);
      } catch (err) {
        throw nativeError(err, `opening a pidfd for process ${pid}`);
      }
    },
    closePidfd(fd) {
      addon.closeFd(fd);
    },
    probeAdvice(fd, action, pid) {
      const { advice, name } = adviceOf(action);
      if (advice < 0) return null;
      const err = addon.probeProcessMadvise(fd, advice);
      return err === 0 ? null : explainProbeErrno(errnoName(err), name, pid);
    },
    async adviseRanges(fd, action, ranges) {
      const { advice } = adviceOf(action);
      const starts = new Float64Array(ranges.length);
      const lens = new Float64Array(ranges.length);
      ranges.forEach((r, i) => {
        starts[i] = r.start;
        lens[i] = r.end - r.start;
      });
      let raw;
      try {
        raw = await addon.processMadvise(fd, starts, lens, advice);
      } catch (err) {
        throw nativeError(err, 'process_madvise');
      }
      return { bytes: raw.bytes, errnos: Array.from(raw.errnos, errnoName), elapsedNs: raw.elapsedNs, nrSyscalls: raw.nrSyscalls };
    },
  };
}
