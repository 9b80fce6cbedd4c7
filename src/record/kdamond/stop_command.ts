// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo stop`: stop what `damo start` created, as its state file names it, and remove the
 * kdamond directories (nr_kdamonds 0) so DAMON is as it was before. A kdamond whose pid is
 * not the one recorded was not started by us (or was restarted by someone else) and is left
 * alone unless --force; a reboot since `start` (boot id) and a kdamond that died are told.
 */
import type { CliIO } from '../../core/io.js';
import { DamoError } from '../../core/errors.js';
import { writeRetryBusy, type KernelFs } from '../kfs.js';
import { toDamoError } from '../sysfs.js';
import { describeRunningKdamonds, listKdamonds, type KdamondView } from './inspect.js';
import { currentBootId, readStateFile, removeStateFile, stateFilePath } from './state_file.js';

export interface StopRequest {
  sysfsRoot: string;
  force: boolean;
}

function stopAll(kfs: KernelFs, root: string, views: KdamondView[]): void {
  for (const k of views) {
    if (k.state !== 'on') continue;
    try {
      writeRetryBusy(kfs, `${root}/kdamonds/${k.index}/state`, 'off');
    } catch (err) {
      throw toDamoError(err, `stopping kdamond ${k.index} (writing 'off' to ${root}/kdamonds/${k.index}/state)`);
    }
  }
  if (views.length > 0) {
    try {
      kfs.write(`${root}/kdamonds/nr_kdamonds`, '0');
    } catch (err) {
      throw toDamoError(err, `removing the kdamonds (writing 0 to ${root}/kdamonds/nr_kdamonds)`);
    }
  }
}

export function runStopCommand(io: CliIO, kfs: KernelFs, req: StopRequest): number {
  const statePath = stateFilePath(io.env);
  const root = req.sysfsRoot;
  const views = listKdamonds(kfs, root);
  let state;
  try {
    state = readStateFile(statePath);
  } catch (err) {
    if (!req.force) throw err;
    state = null;
  }
  if (state === null) {
    if (views.length === 0) {
      io.stdout.write('no kdamond to stop\n');
      return 0;
    }
    if (!req.force) {
      throw new DamoError('E_BUSY', `${statePath} does not exist, so damo start made no kdamond in this boot; stopping would touch ${describeRunningKdamonds(kfs, root)}`, {
        hint: "kdamonds that damo-ts did not start are stopped only with 'damo stop --force'",
      });
    }
    stopAll(kfs, root, views);
    removeStateFile(statePath);
    io.stdout.write(`stopped and removed (--force): ${views.map((k) => `kdamond ${k.index}`).join(', ')}\n`);
    return 0;
  }
  if (state.interface === 'debugfs') {
    throw new DamoError('E_USAGE', `the state file ${statePath} records a 'damo start' over DAMON debugfs (${state.debugfs?.root ?? '?'}), not sysfs`, {
      hint: "'damo stop' (without --damon_interface_DEPRECATED sysfs) stops it and writes back what it changed",
    });
  }
  if (state.sysfs_root !== root && !req.force) {
    throw new DamoError('E_USAGE', `the state file ${statePath} is for ${state.sysfs_root}, not ${root}`, { hint: `give --sysfs_root ${state.sysfs_root}` });
  }
  const bootId = currentBootId();
  if (state.boot_id !== '' && bootId !== '' && state.boot_id !== bootId) {
    removeStateFile(statePath);
    io.stderr.write(`damo: the machine rebooted since damo start (${state.started_at}); the kdamonds it started are gone; removed the stale ${statePath}\n`);
    if (req.force) stopAll(kfs, root, views);
    return 0;
  }
  const dead: string[] = [];
  const foreign: string[] = [];
  for (const s of state.kdamonds) {
    const v = views.find((x) => x.index === s.index);
    if (v === undefined || v.state !== 'on') dead.push(`kdamond ${s.index} (pid ${s.pid}) is no longer running`);
    else if (v.pid !== s.pid) foreign.push(`kdamond ${s.index} runs as pid ${v.pid ?? '?'}, not ${s.pid} as damo start left it`);
  }
  const ours = new Set(state.kdamonds.map((s) => s.index));
  for (const v of views) if (!ours.has(v.index) && v.state === 'on') foreign.push(`kdamond ${v.index} (pid ${v.pid ?? '?'}) was not started by damo start`);
  if (foreign.length > 0 && !req.force) {
    throw new DamoError('E_BUSY', `refusing to stop kdamonds damo-ts did not start: ${foreign.join('; ')}`, { hint: "'damo stop --force' stops and removes every kdamond" });
  }
  for (const d of dead) io.stderr.write(`damo: ${d} (it died or someone stopped it)\n`);
  stopAll(kfs, root, views);
  removeStateFile(statePath);
  io.stdout.write(`stopped and removed: ${views.map((k) => `kdamond ${k.index}`).join(', ') || 'nothing was left'}\n`);
  return 0;
}
