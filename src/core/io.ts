// SPDX-License-Identifier: GPL-2.0-only
/**
 * The streams and environment a command runs with, and buffered result output. Commands
 * and reports never touch `process` directly, so `main(argv, io)` can run in tests with
 * captured output.
 */
import { readFileSync, readlinkSync } from 'node:fs';

import { DamoError, errnoCode, errorMessage } from './errors.js';
import { dimension, FALLBACK_COLUMNS, FALLBACK_ROWS } from './terminal.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Terminal size when stdout is a TTY (80x40 when the terminal reports 0x0). */
  columns: number | undefined;
  rows: number | undefined;
}

export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    columns: process.stdout.isTTY ? dimension(process.stdout.columns, FALLBACK_COLUMNS) : undefined,
    rows: process.stdout.isTTY ? dimension(process.stdout.rows, FALLBACK_ROWS) : undefined,
  };
}

/** Thrown (and swallowed by main) when the reader of stdout went away. */
export class StdoutClosed extends Error {
  constructor() {
    super('stdout closed');
  }
}

const FLUSH_BYTES = 1 << 16;

/**
 * Buffered text output with back-pressure. Reports write many small lines; batching them
 * into 64 KiB writes keeps syscalls low, and awaiting 'drain' keeps memory bounded when
 * stdout is a slow pipe. A closed pipe (EPIPE) ends the command quietly.
 */
export class TextOut {
  private parts: string[] = [];
  private size = 0;
  private closed = false;
  private failed: DamoError | null = null;
  private readonly stream: NodeJS.WritableStream;

  constructor(stream: NodeJS.WritableStream) {
    this.stream = stream;
    if (stream === process.stdout && stdoutWasClosed()) {
      this.failed = new DamoError('E_IO', 'cannot write stdout: EBADF: standard output is closed');
    }
    stream.on('error', (err: unknown) => {
      if (errnoCode(err) === 'EPIPE') this.closed = true;
      else this.failed ??= new DamoError('E_IO', writeErrorText(streamName(stream), err), { cause: err });
    });
  }

  private check(): void {
    if (this.failed !== null) throw this.failed;
    if (this.closed) throw new StdoutClosed();
  }

  /** Queues text; returns a promise only when the buffer was flushed and must drain. */
  write(text: string): Promise<void> | undefined {
    this.check();
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_BYTES) return this.flush();
    return undefined;
  }

  /**
   * Writes bytes after the queued text. The promise settles once the stream is done with
   * them, so the caller may then reuse `bytes` (reports that build their text in a reused
   * byte buffer write through here). A stream on a file descriptor (stdout, stderr, files)
   * has written them when it calls back; any other stream (a pipe inside this process)
   * may still hold them then, so it gets a copy.
   */
  async writeBytes(bytes: Uint8Array): Promise<void> {
    await this.flush();
    const held = typeof (this.stream as { fd?: unknown }).fd === 'number' ? bytes : Buffer.from(bytes);
    await new Promise<void>((resolve) => {
      this.stream.write(held, (err?: Error | null) => {
        if (err !== undefined && err !== null) {
          if (errnoCode(err) === 'EPIPE') this.closed = true;
          else this.failed ??= new DamoError('E_IO', writeErrorText(streamName(this.stream), err), { cause: err });
        }
        resolve();
      });
    });
    this.check();
  }

  async flush(): Promise<void> {
    this.check();
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    // The callback reports this chunk's fate, so a failed last write is not missed.
    await new Promise<void>((resolve) => {
      let settled = false;
      const done = (): void => {
        if (!settled) {
          settled = true;
          resolve();
        }
      };
      const ok = this.stream.write(chunk, (err?: Error | null) => {
        if (err !== undefined && err !== null) {
          if (errnoCode(err) === 'EPIPE') this.closed = true;
          else this.failed ??= new DamoError('E_IO', writeErrorText(streamName(this.stream), err), { cause: err });
        }
        done();
      });
      if (!ok) void waitDrain(this.stream, () => this.closed || this.failed !== null).then(done);
      else setImmediate(done);
    });
    this.check();
  }
}

/** `cannot write <what>: CODE: message`, the errno first and once. */
export function writeErrorText(what: string, err: unknown): string {
  const code = errnoCode(err);
  const msg = errorMessage(err).replace(/, (open|write|rename|close) '[^']*'$/, '');
  return code !== undefined && !msg.startsWith(code) ? `cannot write ${what}: ${code}: ${msg}` : `cannot write ${what}: ${msg}`;
}

function streamName(stream: NodeJS.WritableStream): string {
  if (stream === process.stdout) return 'stdout';
  if (stream === process.stderr) return 'stderr';
  return 'output';
}

let stdoutClosedAtStart: boolean | undefined;

/**
 * Node reopens a closed fd 1 (`>&-`) on /dev/null read-write before our code runs, so
 * writes would vanish without error. A shell redirect to /dev/null opens it write-only;
 * read-write /dev/null on fd 1 means the caller closed stdout.
 */
export function stdoutWasClosed(): boolean {
  if (stdoutClosedAtStart !== undefined) return stdoutClosedAtStart;
  stdoutClosedAtStart = false;
  try {
    const info = readFileSync('/proc/self/fdinfo/1', 'utf8');
    const flags = /^flags:\s*([0-7]+)/m.exec(info);
    if (flags !== null && (parseInt(flags[1]!, 8) & 3) === 2) {
      stdoutClosedAtStart = isDevNull();
    }
  } catch {
    stdoutClosedAtStart = false;
  }
  return stdoutClosedAtStart;
}

function isDevNull(): boolean {
  try {
    return readlinkSync('/proc/self/fd/1') === '/dev/null';
  } catch {
    return false;
  }
}

function waitDrain(stream: NodeJS.WritableStream, isClosed: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (isClosed()) {
      resolve();
      return;
    }
    const done = (): void => {
      stream.removeListener('drain', done);
      stream.removeListener('error', done);
      stream.removeListener('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}

/** Notes, warnings and progress go to stderr; results never do. */
export function note(io: CliIO, message: string): void {
  io.stderr.write(`damo: ${message}\n`);
}

export function warn(io: CliIO, message: string): void {
  io.stderr.write(`damo: warning: ${message}\n`);
}

/** Writes a command's whole result text to stdout. */
export async function writeResult(io: CliIO, text: string): Promise<void> {
  const out = new TextOut(io.stdout);
  await out.write(text);
  await out.flush();
}
