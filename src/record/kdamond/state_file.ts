// SPDX-License-Identifier: GPL-2.0-only
/**
 * What `damo start` created, so that `damo stop` touches only that: the sysfs root, the
 * kdamond index and the pid it ran as, and the boot it ran in. The file lives in a
 * directory that does not survive a reboot (/run by default); the boot id is compared as
 * well, because a state file copied or kept across a reboot must not make `stop` write
 * to a kdamond of the new boot that merely has the same index.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';

import { DamoError, errnoCode, errorMessage } from '../../core/errors.js';

/** Overrides the state directory (tests use a temp dir). */
export const STATE_DIR_ENV = 'DAMO_STATE_DIR';
const DEFAULT_STATE_DIR = '/run/damo-ts';
const STATE_FILE_NAME = 'kdamonds.json';
const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

export interface StartedKdamond {
  /** Index under <sysfs_root>/kdamonds/. */
  index: number;
  /** The kdamond thread's pid when it started. */
  pid: number;
}

/** One debugfs file `damo start` changed and the value `damo stop` writes back. */
export interface DebugfsRestoreWrite {
  /** File name under the debugfs root (attrs, target_ids, init_regions, schemes). */
  file: string;
  value: string;
}

/** What a start over DAMON debugfs (the one root context) changed. */
export interface DebugfsStarted {
  root: string;
  /** monitor_on or monitor_on_DEPRECATED. */
  monitor_on: string;
  /** In the order stop writes them, after monitoring is off. */
  restore: DebugfsRestoreWrite[];
}

export interface StateFile {
  version: 1;
  /** The DAMON interface start used; absent in files of sysfs starts. */
  interface?: 'sysfs' | 'debugfs';
  /** The sysfs root a sysfs start used; '' for a debugfs start. */
  sysfs_root: string;
  boot_id: string;
  started_at: string;
  /** For debugfs: one entry, index 0, the pid kdamond_pid showed. */
  kdamonds: StartedKdamond[];
  debugfs?: DebugfsStarted;
}

/** The state file when it records a sysfs start under `sysfsRoot`, else null. */
export function sysfsStateFor(state: StateFile | null, sysfsRoot: string): StateFile | null {
  return state !== null && state.interface !== 'debugfs' && state.sysfs_root === sysfsRoot ? state : null;
}

export function stateFilePath(env: NodeJS.ProcessEnv): string {
  return join(env[STATE_DIR_ENV] ?? DEFAULT_STATE_DIR, STATE_FILE_NAME);
}

/** This boot's id; '' when the kernel does not expose it (then reboots go undetected). */
export function currentBootId(): string {
  try {
    return fs.readFileSync(BOOT_ID_PATH, 'utf8').trim();
  } catch {
    return '';
  }
}

export function writeStateFile(path: string, state: StateFile): void {
  fs.mkdirSync(join(path, '..'), { recursive: true, mode: 0o755 });
  const tmp = `${path}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  fs.renameSync(tmp, path);
}

export function removeStateFile(path: string): void {
  fs.rmSync(path, { force: true });
}

function isStarted(x: unknown): x is StartedKdamond {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return Number.isSafeInteger(o.index) && (o.index as number) >= 0 && Number.isSafeInteger(o.pid) && (o.pid as number) > 0;
}

/** The state file, or null when there is none. A damaged file is an E_CORRUPT error naming it. */
export function readStateFile(path: string): StateFile | null {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw new DamoError('E_IO', `cannot read the state file ${path}: ${errorMessage(err)}`, { cause: err });
  }
  const damaged = (why: string): DamoError =>
    new DamoError('E_CORRUPT', `the state file ${path} is damaged (${why}), so it does not say which kdamonds damo start created`, {
      hint: `check 'damo report damon', then stop them with 'damo stop --force' (which also removes ${path})`,
    });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw damaged(errorMessage(err));
  }
  if (typeof data !== 'object' || data === null) throw damaged('not a JSON object');
  const o = data as Record<string, unknown>;
  if (o.version !== 1) throw damaged(`version ${JSON.stringify(o.version)}, expected 1`);
  if (o.interface !== undefined && o.interface !== 'sysfs' && o.interface !== 'debugfs') throw damaged(`interface ${JSON.stringify(o.interface)}`);
  const debugfs = o.interface === 'debugfs';
  if (typeof o.sysfs_root !== 'string' || (o.sysfs_root === '' && !debugfs)) throw damaged('no sysfs_root');
  if (typeof o.boot_id !== 'string') throw damaged('no boot_id');
  if (!Array.isArray(o.kdamonds) || !o.kdamonds.every(isStarted)) throw damaged('kdamonds is not a list of {index, pid}');
  const out: StateFile = { version: 1, sysfs_root: o.sysfs_root, boot_id: o.boot_id, started_at: typeof o.started_at === 'string' ? o.started_at : '', kdamonds: o.kdamonds };
  if (!debugfs) return out;
  if (!isDebugfsStarted(o.debugfs)) throw damaged('debugfs is not {root, monitor_on, restore: [{file, value}]}');
  return { ...out, interface: 'debugfs', debugfs: o.debugfs };
}

/** The debugfs files a start may change, hence the only ones a state file may name. */
const DEBUGFS_RESTORABLE: readonly string[] = ['attrs', 'target_ids', 'init_regions', 'schemes'];

function isDebugfsStarted(x: unknown): x is DebugfsStarted {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  const isWrite = (w: unknown): boolean => typeof w === 'object' && w !== null && DEBUGFS_RESTORABLE.includes((w as Record<string, unknown>).file as string) && typeof (w as Record<string, unknown>).value === 'string';
  return typeof o.root === 'string' && o.root !== '' && (o.monitor_on === 'monitor_on' || o.monitor_on === 'monitor_on_DEPRECATED') && Array.isArray(o.restore) && o.restore.every(isWrite);
}
