// SPDX-License-Identifier: GPL-2.0-only
/**
 * Read-only views of DAMON's debugfs root context (Linux 5.15-6.13, `CONFIG_DAMON_DBGFS`):
 * whether it monitors and as which kdamond, for the messages and ownership checks of
 * start, stop and report damon. debugfs has one root context that always exists; DAMON
 * starts it exclusively, so while it monitors no sysfs kdamond can start (EBUSY), and
 * while any sysfs kdamond runs `monitor_on` refuses `on` (EBUSY).
 */
import { DamoError } from '../../core/errors.js';
import { debugfsMonitorOnFile } from '../detect.js';
import { readTrim, type KernelFs } from '../kfs.js';
import type { StateFile } from './state_file.js';

export interface DebugfsView {
  root: string;
  /** monitor_on or monitor_on_DEPRECATED. */
  monitorOnFile: string;
  on: boolean;
  /** kdamond_pid as a number; null when it reads 'none'. */
  pid: number | null;
}

/** The debugfs root context, or null when `root` is no DAMON debugfs directory. */
export function debugfsView(kfs: KernelFs, root: string): DebugfsView | null {
  const monitorOnFile = debugfsMonitorOnFile(kfs, root);
  if (monitorOnFile === null) return null;
  const pidText = readTrim(kfs, `${root}/kdamond_pid`);
  const pid = pidText === undefined || !/^\d+$/.test(pidText) ? null : Number(pidText);
  return { root, monitorOnFile, on: readTrim(kfs, `${root}/${monitorOnFile}`) === 'on', pid: pid !== null && pid > 0 ? pid : null };
}

/** The debugfs view, or the error that says DAMON debugfs is not there. */
export function requireDebugfs(kfs: KernelFs, root: string): DebugfsView {
  const view = debugfsView(kfs, root);
  if (view === null) {
    throw new DamoError('E_UNSUPPORTED', `DAMON debugfs is not there (${root} has no attrs, target_ids and monitor_on files)`, {
      hint: 'it needs CONFIG_DAMON_DBGFS(_DEPRECATED) (Linux 5.15-6.13), debugfs mounted and root; drop --damon_interface_DEPRECATED debugfs to use DAMON sysfs',
    });
  }
  return view;
}

/** Whether the state file names this running debugfs monitor as the one `damo start` started. */
export function debugfsMonitorIsOurs(view: DebugfsView, state: StateFile | null): boolean {
  return state !== null && state.interface === 'debugfs' && state.debugfs?.root === view.root && view.on && view.pid !== null && state.kdamonds.some((k) => k.pid === view.pid);
}

/**
 * Refuses a sysfs start while DAMON debugfs monitors (DAMON would refuse the kdamond with
 * EBUSY), or while the state file still holds the debugfs files a debugfs start changed
 * (a sysfs start would overwrite the record of what 'damo stop' must write back).
 */
export function checkNoDebugfsMonitor(kfs: KernelFs, debugfsRoot: string, state: StateFile | null, statePath: string): void {
  const view = debugfsView(kfs, debugfsRoot);
  if (view?.on === true) {
    const owner = debugfsMonitorIsOurs(view, state) ? "'damo start --damon_interface_DEPRECATED debugfs' started it" : 'damo-ts did not start it';
    throw new DamoError('E_BUSY', `DAMON debugfs monitoring is on (${view.root}/${view.monitorOnFile}, kdamond pid ${view.pid ?? '?'}; ${owner}); DAMON refuses (EBUSY) to start a sysfs kdamond while it runs`, {
      hint: "stop it first ('damo stop --damon_interface_DEPRECATED debugfs')",
    });
  }
  if (state?.interface === 'debugfs') {
    throw new DamoError('E_BUSY', `${statePath} records a 'damo start' over DAMON debugfs (${state.debugfs?.root ?? '?'}) whose files were not restored yet; a sysfs start would lose that record`, {
      hint: "run 'damo stop' first: it writes back the debugfs files that start changed",
    });
  }
}

/** damo's --damon_interface_DEPRECATED, as the CLI gives it (undefined: not given). */
export type KdamondInterfaceChoice = 'sysfs' | 'debugfs' | 'auto' | undefined;

export interface InterfaceRoots {
  sysfsRoot: string;
  debugfsRoot: string;
  interface: KdamondInterfaceChoice;
}

/**
 * The interface a command uses: the one given, else (auto) sysfs when DAMON sysfs is there
 * and debugfs only when it is not but DAMON debugfs is, as damo 3.3.0 picks.
 */
export function resolveKdamondInterface(kfs: KernelFs, r: InterfaceRoots): 'sysfs' | 'debugfs' {
  if (r.interface === 'sysfs' || r.interface === 'debugfs') return r.interface;
  if (kfs.exists(`${r.sysfsRoot}/kdamonds`)) return 'sysfs';
  return debugfsMonitorOnFile(kfs, r.debugfsRoot) !== null ? 'debugfs' : 'sysfs';
}
