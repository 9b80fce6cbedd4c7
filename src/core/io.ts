/**
 * The streams and environment a command runs with, and buffered result output. Commands
 * and reports never touch `process` directly, so `main(argv, io)` can run in tests with
 * captured output.
 */
import { errnoCode } from './errors.js';
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
  private readonly stream: NodeJS.WritableStream;

  constructor(stream: NodeJS.WritableStream) {
    this.stream = stream;
    stream.on('error', (err: unknown) => {
      if (errnoCode(err) === 'EPIPE') this.closed = true;
    });
  }

  /** Queues text; returns a promise only when the buffer was flushed and must drain. */
  write(text: string): Promise<void> | undefined {
    if (this.closed) throw new StdoutClosed();
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= FLUSH_BYTES) return this.flush();
    return undefined;
  }

  async flush(): Promise<void> {
    if (this.closed) throw new StdoutClosed();
    if (this.parts.length === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    const ok = this.stream.write(chunk);
    if (!ok) await waitDrain(this.stream, () => this.closed);
    if (this.closed) throw new StdoutClosed();
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
