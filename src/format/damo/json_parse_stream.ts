// SPDX-License-Identifier: GPL-2.0-only
/**
 * A pass of the damo json parser over a file, as runs of parsed snapshots. Large files are
 * inflated and parsed on a worker thread (json_parse_worker.ts) while the report works on
 * the main thread, so the two use both CPUs: reading damo's test recording x100 is about
 * as much work as the heatmap or the adjusted file made of it (docs/PERFORMANCE.md). Small
 * files are parsed on the main thread, where a thread's start-up (~30 ms) would cost more
 * than it saves. Both give the same snapshots, records and errors.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { DamoError, type ErrorCode } from '../../core/errors.js';
import type { IntervalsGoal, Intervals, TraceTarget } from '../../core/model.js';
import { JsonShapeError } from '../json_tokenizer.js';
import { decodeBatch, type ParsedFileFields, type ParsedSnapshot, type SnapshotBatchMessage } from './json_parse_batch.js';
import { damoJsonChunks, DamoJsonParser, type DamoJsonReadOptions } from './json_reader.js';

export type { ParsedSnapshot } from './json_parse_batch.js';

/**
 * Files at least this large on disk are parsed on a worker thread (a json_compressed file
 * of 1 MiB holds about 70 MB of JSON text, a quarter of a second of parsing).
 */
export const DAMO_JSON_WORKER_MIN_FILE_BYTES = 1 << 20;

/** Batches the worker may run ahead of the report: bounds memory when the report is slower. */
export const DAMO_JSON_WORKER_MAX_BATCHES_AHEAD = 8;

export interface DamoJsonParseStream extends ParsedFileFields {
  /** Records (one target each) begun so far, in file order; fields fill in as they are parsed. */
  readonly targets: TraceTarget[];
  /** Bytes of JSON text parsed so far. */
  readonly textBytes: number;
  /**
   * The next run of parsed snapshots (possibly none), or null once the whole text is parsed
   * and found complete. Throws what reading or parsing threw (damoJsonError() words it).
   */
  next(): Promise<ParsedSnapshot[] | null>;
  /** Stops reading (the file and any thread are released); safe to call more than once. */
  close(): Promise<void>;
}

export interface ParseStreamOptions extends DamoJsonReadOptions {
  /** 'auto' (default): a worker thread for files of DAMO_JSON_WORKER_MIN_FILE_BYTES or more. */
  parseWorker?: 'auto' | 'always' | 'never';
}

const WORKER_URL = new URL('./json_parse_worker.js', import.meta.url);

/** Whether this pass runs on a worker (the worker's script exists once built; sources run inline). */
function useWorker(path: string, opts: ParseStreamOptions): boolean {
  const mode = opts.parseWorker ?? 'auto';
  if (mode === 'never' || !existsSync(fileURLToPath(WORKER_URL))) return false;
  if (mode === 'always') return true;
  try {
    return statSync(path).size >= DAMO_JSON_WORKER_MIN_FILE_BYTES;
  } catch {
    // The inline reader reports the file's error in its words.
    return false;
  }
}

export function openParseStream(path: string, opts: ParseStreamOptions): DamoJsonParseStream {
  return useWorker(path, opts) ? new WorkerParseStream(path, opts) : new InlineParseStream(path, opts);
}

/** The parser on this thread, fed chunk by chunk. */
class InlineParseStream implements DamoJsonParseStream {
  readonly targets: TraceTarget[] = [];
  textBytes = 0;
  private readonly parser: DamoJsonParser;
  private readonly chunks: AsyncGenerator<Buffer>;
  private parsed: ParsedSnapshot[] = [];
  private ended = false;

  constructor(path: string, opts: DamoJsonReadOptions) {
    this.parser = new DamoJsonParser({
      onSnapshot: (snapshot, recordIndex) => this.parsed.push({ snapshot, recordIndex }),
      onRecord: (target) => this.targets.push(target),
    });
    this.chunks = damoJsonChunks(path, opts);
  }

  get intervals(): Intervals | null {
    return this.parser.intervals;
  }
  get intervalsGoal(): IntervalsGoal | undefined {
    return this.parser.intervalsGoal;
  }
  get dataSource(): string | undefined {
    return this.parser.dataSource;
  }

  async next(): Promise<ParsedSnapshot[] | null> {
    if (this.ended) return null;
    const n = await this.chunks.next();
    if (n.done === true) {
      this.ended = true;
      this.parser.finish();
    } else {
      this.parser.feed(n.value);
      this.textBytes += n.value.length;
    }
    const out = this.parsed;
    this.parsed = [];
    return out;
  }

  async close(): Promise<void> {
    this.ended = true;
    await this.chunks.return(undefined);
  }
}

/** What the worker sends: runs of snapshots, then 'done' or the error that ended it. */
export type WorkerMessage =
  | SnapshotBatchMessage
  | { type: 'done' }
  | { type: 'error'; kind: 'shape'; message: string; offset: number }
  | { type: 'error'; kind: 'damo'; code: ErrorCode; message: string; hint: string | undefined }
  | { type: 'error'; kind: 'other'; message: string; code: string | undefined };

export interface WorkerInput {
  path: string;
  compressed: boolean;
  /** Int32 [0]: batches the reader has taken (the worker waits while it is too far ahead). */
  control: SharedArrayBuffer;
  maxBatchesAhead: number;
}

function rebuildError(m: Extract<WorkerMessage, { type: 'error' }>): Error {
  if (m.kind === 'shape') return new JsonShapeError(m.message, m.offset);
  if (m.kind === 'damo') return new DamoError(m.code, m.message, m.hint === undefined ? {} : { hint: m.hint });
  const e = new Error(m.message) as Error & { code?: string };
  if (m.code !== undefined) e.code = m.code;
  return e;
}

/** The parser on a worker thread; snapshots arrive as transferred column batches. */
class WorkerParseStream implements DamoJsonParseStream {
  readonly targets: TraceTarget[] = [];
  textBytes = 0;
  intervals: Intervals | null = null;
  intervalsGoal: IntervalsGoal | undefined;
  dataSource: string | undefined;
  private readonly worker: Worker;
  private readonly taken: Int32Array;
  private readonly queue: WorkerMessage[] = [];
  private wake: (() => void) | null = null;
  /** The worker said its last word ('done' or an error): it ends by itself. */
  private finished = false;
  private closed = false;

  constructor(path: string, opts: DamoJsonReadOptions) {
    const control = new SharedArrayBuffer(4);
    this.taken = new Int32Array(control);
    const input: WorkerInput = { path, compressed: opts.compressed, control, maxBatchesAhead: DAMO_JSON_WORKER_MAX_BATCHES_AHEAD };
    this.worker = new Worker(WORKER_URL, { workerData: input });
    this.worker.on('message', (m: WorkerMessage) => this.deliver(m));
    this.worker.on('error', (e: Error) => this.deliver({ type: 'error', kind: 'other', message: e.message, code: undefined }));
    this.worker.on('exit', (code) => {
      if (!this.finished) this.deliver({ type: 'error', kind: 'other', message: `the parsing thread ended early (exit code ${code})`, code: undefined });
    });
  }

  private deliver(m: WorkerMessage): void {
    if (this.finished) return;
    if (m.type !== 'batch') this.finished = true;
    this.queue.push(m);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async next(): Promise<ParsedSnapshot[] | null> {
    if (this.closed) return null;
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.wake = resolve));
    const m = this.queue.shift() as WorkerMessage;
    if (m.type === 'done') {
      this.closed = true;
      return null;
    }
    if (m.type === 'error') {
      this.closed = true;
      throw rebuildError(m);
    }
    Atomics.add(this.taken, 0, 1);
    Atomics.notify(this.taken, 0);
    this.textBytes = m.textBytes;
    this.intervals = m.fields.intervals;
    this.intervalsGoal = m.fields.intervalsGoal;
    this.dataSource = m.fields.dataSource;
    // Records keep their identity: a report may hold a target while later batches fill it in.
    m.records.forEach((t, k) => {
      const i = m.firstRecord + k;
      const known = this.targets[i];
      if (known === undefined) this.targets[i] = t;
      else Object.assign(known, t);
    });
    return decodeBatch(m);
  }

  async close(): Promise<void> {
    if (this.closed && this.finished) return;
    this.closed = true;
    if (!this.finished) {
      this.finished = true;
      await this.worker.terminate();
    }
  }
}
