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

export interface StateFile {
  version: 1;
  sysfs_root: string;
  boot_id: string;
  started_at: string;
  kdamonds: StartedKdamond[];
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
  if (typeof o.sysfs_root !== 'string' || o.sysfs_root === '') throw damaged('no sysfs_root');
  if (typeof o.boot_id !== 'string') throw damaged('no boot_id');
  if (!Array.isArray(o.kdamonds) || !o.kdamonds.every(isStarted)) throw damaged('kdamonds is not a list of {index, pid}');
  return { version: 1, sysfs_root: o.sysfs_root, boot_id: o.boot_id, started_at: typeof o.started_at === 'string' ? o.started_at : '', kdamonds: o.kdamonds };
}
