// SPDX-License-Identifier: GPL-2.0-only
/**
 * The thing being recorded: a command we start, running processes, or physical memory
 * (src/cli/targets.ts makes a TargetSpec of the command line's arguments).
 *
 * Commands run without a shell unless --shell (so arguments reach the program exactly as
 * given).
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

import { DamoError } from '../core/errors.js';
import type { OngoingKdamond } from './ongoing.js';

export type TargetSpec =
  | { kind: 'command'; argv: string[]; shell: boolean; display: string }
  | { kind: 'pids'; pids: number[] }
  | { kind: 'paddr' }
  /** A kdamond that already runs (`damo record ongoing`); `kdamond` is filled when the session reads it. */
  | { kind: 'ongoing'; kdamond?: OngoingKdamond };

/** Finds an executable the way execvp would; null when it is not found. */
export function resolveExecutable(name: string, env: NodeJS.ProcessEnv): string | null {
  const isExec = (p: string): boolean => {
    try {
      if (!statSync(p).isFile()) return false;
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (name.includes('/')) return isExec(name) ? name : null;
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const p = join(dir === '' ? '.' : dir, name);
    if (isExec(p)) return isAbsolute(p) ? p : p;
  }
  return null;
}

export function checkCommand(spec: Extract<TargetSpec, { kind: 'command' }>, env: NodeJS.ProcessEnv): void {
  const name = spec.argv[0] as string;
  if (resolveExecutable(name, env) !== null) return;
  if (name.includes('/')) {
    let why = 'it does not exist';
    try {
      const st = statSync(name);
      why = st.isDirectory() ? 'it is a directory' : 'it is not executable (chmod +x?)';
    } catch {
      // keep 'does not exist'
    }
    throw new DamoError('E_NOENT', `cannot run '${name}': ${why}`);
  }
  throw new DamoError('E_NOENT', `command not found: '${name}' (searched PATH)`, {
    hint: `give its path (e.g. ./${name}), or use --shell for shell syntax`,
  });
}

/** Whether the process is gone or a zombie (exited, not yet reaped by its parent). */
export function processGone(pid: number, alive: (pid: number) => boolean = pidAlive): boolean {
  if (!alive(pid)) return true;
  try {
    // The state is the field after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function checkPids(pids: number[], alive: (pid: number) => boolean = pidAlive): void {
  const missing = pids.filter((p) => !alive(p));
  if (missing.length > 0) {
    throw new DamoError('E_NOENT', `no process with pid ${missing.join(', ')}`, { hint: "check the pid with 'ps -p <pid>'; it may have exited" });
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running target whose end we wait for. */
export interface RunningTarget {
  readonly pids: number[];
  readonly exited: Promise<ExitInfo | null>;
  /** Ends a command we started (timeout, our own interrupt). No-op for pids. */
  terminate(signal: NodeJS.Signals): void;
  /** Stops watching (timers). */
  dispose(): void;
}

export function startCommand(spec: Extract<TargetSpec, { kind: 'command' }>, stdio: StdioOptions, env: NodeJS.ProcessEnv): Promise<RunningTarget> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(spec.argv[0] as string, spec.argv.slice(1), { stdio, env });
    } catch (err) {
      reject(new DamoError('E_TARGET', `cannot start '${spec.display}': ${(err as Error).message}`));
      return;
    }
    let exitInfo: ExitInfo | null = null;
    const exited = new Promise<ExitInfo | null>((res) => {
      child.once('exit', (code, signal) => {
        exitInfo = { code, signal };
        res(exitInfo);
      });
    });
    child.once('error', (err) => {
      reject(new DamoError('E_TARGET', `cannot start '${spec.display}': ${err.message}`));
    });
    child.once('spawn', () => {
      const pid = child.pid as number;
      resolve({
        pids: [pid],
        exited,
        terminate: (signal) => {
          if (exitInfo !== null) return;
          child.kill(signal);
          // A command that ignores the signal must not keep damo from exiting.
          child.unref();
        },
        dispose: () => undefined,
      });
    });
  });
}

/** Watches processes we did not start: resolves when all of them have exited. */
export function watchPids(pids: number[], alive: (pid: number) => boolean = pidAlive, periodMs = 200): RunningTarget {
  let timer: NodeJS.Timeout | null = null;
  const exited = new Promise<ExitInfo | null>((resolve) => {
    timer = setInterval(() => {
      if (pids.every((p) => !alive(p))) {
        if (timer !== null) clearInterval(timer);
        resolve(null);
      }
    }, periodMs);
  });
  return {
    pids,
    exited,
    terminate: () => undefined,
    dispose: () => {
      if (timer !== null) clearInterval(timer);
    },
  };
}

/** Reads a process's command line for the trace header ('' when unreadable). */
export function cmdlineOf(pid: number, read: (path: string) => string): string {
  try {
    return read(`/proc/${pid}/cmdline`).split('\0').filter((s) => s.length > 0).join(' ');
  } catch {
    return '';
  }
}
