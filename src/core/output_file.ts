// SPDX-License-Identifier: GPL-2.0-only
/**
 * The one home for writing output files safely: refuse an output that is one of the
 * command's inputs (before anything is written), refuse a directory, write to a temporary
 * name in the same directory and rename it over the user's path only when complete, and
 * remove the temporary file on error and on exit (an interrupt ends the process through
 * process.exit, which runs the 'exit' listeners). Errors name the user's path, never the
 * temporary one.
 */
// Synchronous calls: a rename or a removal is one quick system call, and node:fs/promises
// (with the readline modules it loads) cost start-up.
import { existsSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DamoError, errnoCode } from './errors.js';
import { writeErrorText } from './io.js';

/** A named file: `what` says what it is in messages ("the recording", "--heatmap"). */
export interface NamedPath {
  path: string;
  what: string;
}

function identity(path: string): { real: string; devIno: string | null } {
  let real = resolve(path);
  try {
    real = realpathSync(path);
  } catch {
    // A file that does not exist yet can only match by its resolved path.
  }
  try {
    const st = statSync(path);
    return { real, devIno: `${st.dev}:${st.ino}` };
  } catch {
    return { real, devIno: null };
  }
}

/** True when `a` and `b` name the same file (same device and inode, or same resolved path). */
export function sameFile(a: string, b: string): boolean {
  const ia = identity(a);
  const ib = identity(b);
  if (ia.devIno !== null && ia.devIno === ib.devIno) return true;
  return ia.real === ib.real;
}

/** `-` and the standard streams are not files that can clash. */
function isStream(path: string): boolean {
  return path === '-' || path === '/dev/stdin' || path === '/dev/stdout' || path === '/dev/stderr';
}

/**
 * Throws a usage error when an output is one of the inputs, or two outputs are the same
 * file. Call it before opening anything for writing.
 */
export function refuseOutputsThatAreInputs(inputs: readonly NamedPath[], outputs: readonly NamedPath[]): void {
  const outs = outputs.filter((o) => !isStream(o.path));
  for (const out of outs) {
    for (const inp of inputs) {
      if (isStream(inp.path)) continue;
      if (sameFile(inp.path, out.path)) {
        throw new DamoError(
          'E_USAGE',
          `${out.what} ${out.path} is the same file as ${inp.what} ${inp.path}; writing it would destroy the input`,
          { hint: 'choose another output path' },
        );
      }
    }
  }
  for (let i = 0; i < outs.length; i++) {
    for (let j = i + 1; j < outs.length; j++) {
      if (sameFile(outs[i]!.path, outs[j]!.path)) {
        throw new DamoError('E_USAGE', `${outs[i]!.what} and ${outs[j]!.what} are the same file ${outs[i]!.path}`);
      }
    }
  }
}

/** Throws a usage error when `path` names a directory (`-o DIR`). */
export function refuseDirectory(path: string, what: string): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if (st.isDirectory()) throw new DamoError('E_USAGE', `${what} ${path} is a directory; give a file name inside it`);
}

/** Throws when `path` is a directory or its directory does not exist. */
export function checkOutputPath(path: string, what: string): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    st = null;
  }
  if (st?.isDirectory()) {
    throw new DamoError('E_USAGE', `${what} ${path} is a directory; give a file name inside it`);
  }
  const dir = dirname(resolve(path));
  let dirSt;
  try {
    dirSt = statSync(dir);
  } catch {
    throw new DamoError('E_NOENT', `cannot write ${path}: directory ${dir} does not exist`);
  }
  if (!dirSt.isDirectory()) throw new DamoError('E_USAGE', `cannot write ${path}: ${dir} is not a directory`);
}

/** Removing a temporary file must not hide the error that made us remove it. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true, recursive: true });
  } catch {
    // Nothing more can be done; the caller is already reporting a failure.
  }
}

const pendingTemps = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const tmp of pendingTemps) removeQuietly(tmp);
  });
}

/** Removes `path` when the process exits, however it exits (a spooled pipe, say). */
export function removeAtExit(path: string): void {
  installExitHook();
  pendingTemps.add(path);
}

/** The temporary name a file is written under before it is renamed to `path`. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
}

/** The message for a failed write, naming the user's path and the errno first. */
export function writeErrorMessage(what: string, err: unknown): string {
  return writeErrorText(what, err);
}

/**
 * An output file being written under a temporary name. `commit()` renames it over the
 * user's path (saying on stderr when that replaces an existing file); `abandon()` removes it.
 */
export class PendingOutput {
  readonly path: string;
  readonly tmp: string;
  private done = false;

  constructor(path: string, what = path) {
    checkOutputPath(path, what);
    this.path = path;
    this.tmp = tempPathFor(path);
    installExitHook();
    pendingTemps.add(this.tmp);
  }

  /** Renames the finished file into place; `notify` hears of a replaced file. */
  commit(notify?: (message: string) => void): Promise<void> {
    try {
      this.commitSync(notify);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  commitSync(notify?: (message: string) => void): void {
    const replaced = existsSync(this.path);
    try {
      renameSync(this.tmp, this.path);
    } catch (err) {
      this.abandonSync();
      throw new DamoError('E_IO', writeErrorMessage(this.path, err), { cause: err });
    }
    this.done = true;
    pendingTemps.delete(this.tmp);
    if (replaced && notify !== undefined) notify(`replaced the existing ${this.path}`);
  }

  abandon(): Promise<void> {
    this.abandonSync();
    return Promise.resolve();
  }

  abandonSync(): void {
    if (this.done) return;
    this.done = true;
    removeQuietly(this.tmp);
    pendingTemps.delete(this.tmp);
  }

  /** Turns an error met while writing the temporary file into one naming the user's path. */
  failure(err: unknown): DamoError {
    if (err instanceof DamoError) {
      return err.message.includes(this.tmp) ? new DamoError(err.code, err.message.split(this.tmp).join(this.path), { cause: err }) : err;
    }
    return new DamoError('E_IO', writeErrorMessage(this.path, err).split(this.tmp).join(this.path), { cause: err });
  }
}

/**
 * Writes a whole file atomically: `produce` writes into the temporary path; on success it is
 * renamed over `path`, on any error it is removed and the error names `path`.
 */
export async function writeOutputFile(
  path: string,
  produce: (tmpPath: string) => Promise<void>,
  opts: { what?: string; notify?: (message: string) => void } = {},
): Promise<void> {
  const out = new PendingOutput(path, opts.what);
  try {
    await produce(out.tmp);
  } catch (err) {
    await out.abandon();
    throw out.failure(err);
  }
  await out.commit(opts.notify);
}

/** Writes `data` to `path` atomically. */
export async function writeOutputData(
  path: string,
  data: Uint8Array | string,
  opts: { what?: string; notify?: (message: string) => void; mode?: number } = {},
): Promise<void> {
  await writeOutputFile(path, (tmp) => Promise.resolve(writeFileSync(tmp, data, { mode: opts.mode ?? 0o644 })), opts);
}

/** True for an errno that means the reader went away (the only write failure kept quiet). */
export function isBrokenPipe(err: unknown): boolean {
  return errnoCode(err) === 'EPIPE';
}

