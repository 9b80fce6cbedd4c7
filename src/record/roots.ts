// SPDX-License-Identifier: GPL-2.0-only
/** Where the kernel's DAMON control files live. Every backend takes these as parameters. */
export interface KernelRoots {
  /** DAMON sysfs admin directory (holds kdamonds/). */
  sysfs: string;
  /** tracefs mount point (holds instances/ and events/). */
  tracefs: string;
  /** DAMON debugfs directory (holds attrs, target_ids, monitor_on). */
  debugfs: string;
}

export const DEFAULT_ROOTS: Readonly<KernelRoots> = Object.freeze({
  sysfs: '/sys/kernel/mm/damon/admin',
  // Only the tracefs mount point: touching /sys/kernel/debug/tracing would automount
  // tracefs as a side effect, and detection must not change the system.
  tracefs: '/sys/kernel/tracing',
  debugfs: '/sys/kernel/debug/damon',
});

/** Name prefix of the tracefs instances we create; the suffix is our pid. */
export const TRACE_INSTANCE_PREFIX = 'damo-ts.';

/** Where the kernel's modules publish their parameters (DAMON_RECLAIM, DAMON_LRU_SORT, DAMON_STAT). */
export const DEFAULT_MODULE_ROOT = '/sys/module';
