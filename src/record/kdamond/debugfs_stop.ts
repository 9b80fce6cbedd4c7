// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo stop` of a `damo start` over DAMON debugfs: turn monitoring off when the kdamond
 * still runs as the pid start recorded, then write back the files start changed (attrs,
 * target_ids, init_regions, schemes: the state file holds their earlier values), and
 * remove the state file. Monitoring that damo-ts did not start is left alone unless
 * --force, which turns it off and restores nothing (nothing says what was there before).
 */
import type { CliIO } from '../../core/io.js';
import { DamoError, errorMessage } from '../../core/errors.js';
import { readTrim, type KernelFs } from '../kfs.js';
import { toDamoError } from '../sysfs.js';
import { debugfsView, type DebugfsView } from './debugfs_inspect.js';
import { currentBootId, removeStateFile, stateFilePath, type StateFile } from './state_file.js';

export interface DebugfsStopRequest {
  debugfsRoot: string;
  force: boolean;
}

function turnOff(kfs: KernelFs, view: DebugfsView): void {
  const path = `${view.root}/${view.monitorOnFile}`;
  try {
    kfs.write(path, 'off');
  } catch (err) {
    // It may have stopped by itself between the read and the write.
    if (readTrim(kfs, path) === 'off') return;
    throw toDamoError(err, `turning DAMON debugfs monitoring off (writing 'off' to ${path})`);
  }
}

/** Writes the recorded values back; a value the kernel refuses now (a pid that exited) is warned about. */
function restoreFiles(io: CliIO, kfs: KernelFs, root: string, state: StateFile): string[] {
  const done: string[] = [];
  for (const w of state.debugfs?.restore ?? []) {
    try {
      kfs.write(`${root}/${w.file}`, w.value);
      done.push(w.file);
    } catch (err) {
      io.stderr.write(`damo: could not write ${root}/${w.file} back to ${JSON.stringify(w.value.trim())}: ${errorMessage(err)}\n`);
    }
  }
  return done;
}

/** `state` is the state file when it records a debugfs start (the caller read it), else null. */
export function runDebugfsStopCommand(io: CliIO, kfs: KernelFs, req: DebugfsStopRequest, state: StateFile | null): number {
  const statePath = stateFilePath(io.env);
  const view = debugfsView(kfs, req.debugfsRoot);
  if (state === null) {
    if (view === null || !view.on) {
      io.stdout.write('no DAMON debugfs monitoring to stop\n');
      return 0;
    }
    if (!req.force) {
      throw new DamoError('E_BUSY', `${statePath} does not name a debugfs start of this boot; stopping would turn off DAMON debugfs monitoring (kdamond pid ${view.pid ?? '?'}) that damo-ts did not start`, {
        hint: "'damo stop --damon_interface_DEPRECATED debugfs --force' turns it off (and restores nothing)",
      });
    }
    turnOff(kfs, view);
    io.stdout.write(`stopped DAMON debugfs monitoring (--force; kdamond pid ${view.pid ?? '?'})\n`);
    return 0;
  }
  const root = state.debugfs?.root ?? req.debugfsRoot;
  if (root !== req.debugfsRoot && !req.force) {
    throw new DamoError('E_USAGE', `the state file ${statePath} is for DAMON debugfs at ${root}, not ${req.debugfsRoot}`, { hint: `give --debugfs_root ${root}` });
  }
  const bootId = currentBootId();
  if (state.boot_id !== '' && bootId !== '' && state.boot_id !== bootId) {
    removeStateFile(statePath);
    io.stderr.write(`damo: the machine rebooted since damo start (${state.started_at}); the monitoring it started is gone; removed the stale ${statePath}\n`);
    if (req.force && view?.on === true) turnOff(kfs, view);
    return 0;
  }
  if (view === null) throw new DamoError('E_UNSUPPORTED', `DAMON debugfs is not there any more (${req.debugfsRoot}); ${statePath} names a start over it`, { hint: `remove ${statePath} once DAMON debugfs is back or gone for good` });
  const startedPid = state.kdamonds[0]?.pid;
  if (view.on && view.pid !== startedPid) {
    if (!req.force) {
      throw new DamoError('E_BUSY', `refusing to stop DAMON debugfs monitoring: it runs as kdamond pid ${view.pid ?? '?'}, not ${startedPid ?? '?'} as damo start left it, so someone else restarted it`, {
        hint: "'damo stop --damon_interface_DEPRECATED debugfs --force' turns it off and writes back what damo start changed",
      });
    }
  }
  if (view.on) turnOff(kfs, view);
  else io.stderr.write(`damo: DAMON debugfs monitoring (kdamond pid ${startedPid ?? '?'}) is no longer running (its targets exited, or someone turned it off)\n`);
  const restored = restoreFiles(io, kfs, req.debugfsRoot, state);
  removeStateFile(statePath);
  io.stdout.write(`stopped DAMON debugfs monitoring${view.on ? ` (kdamond pid ${view.pid ?? '?'})` : ''}; wrote back ${restored.join(', ') || 'nothing'}\n`);
  return 0;
}
