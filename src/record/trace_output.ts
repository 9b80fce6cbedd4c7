// SPDX-License-Identifier: GPL-2.0-only
/**
 * A session's trace file, from creation to the end: snapshots and statistics that arrive
 * before it exists (the source starts first) wait in memory; once open, every frame goes out
 * in one write() as it arrives, so a crash loses at most the frame being written; at the end
 * it is closed with the reason, and converted when a damo format was asked for.
 *
 * Writes happen in source callbacks (timers, the addon's thread-safe function), where a
 * throw would crash the process without restoring the kernel: a failed write (disk full, ...)
 * is kept, reported through onFailure, and ends the session instead.
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { checkOutputPath } from '../core/output_file.js';

import { DamoError, errorMessage, isDamoError } from '../core/errors.js';
import type { SchemeStatsRecord, Snapshot, TraceEvent, TraceHeader } from '../core/model.js';
import type { OutputFormat } from '../format/output_formats.js';
import type { TraceSinkLike } from './deps.js';

export class TraceOutput {
  private sink: TraceSinkLike | null = null;
  private readonly early: Snapshot[] = [];
  private readonly earlyStats: SchemeStatsRecord[] = [];
  private failed: unknown = null;
  /** Called once when a write fails. */
  onFailure: (() => void) | null = null;

  constructor(
    private readonly out: string,
    private readonly format: OutputFormat,
    private readonly mode: number,
    private readonly wrap: ((sink: TraceSinkLike) => TraceSinkLike) | undefined,
    /** Hears what happened to an existing output (always told: it is the user's data). */
    private readonly notify: (message: string) => void = () => undefined,
  ) {}

  /**
   * Where frames stream to while recording: the output itself for protobuf; for damo's
   * formats, which cannot be appended frame by frame, a protobuf file next to it that is
   * converted at the end (and kept if we are killed: `damo convert` turns it into the
   * requested format).
   */
  get streamPath(): string {
    return this.format === 'protobuf' ? this.out : `${this.out}.recording`;
  }

  /** The first write error, or null. */
  get failure(): unknown {
    return this.failed;
  }

  get nrSnapshots(): number {
    return this.sink?.nrSnapshots ?? 0;
  }

  get nrRegions(): number {
    return this.sink?.nrRegions ?? 0;
  }

  get bytesWritten(): number {
    return this.sink?.bytesWritten ?? 0;
  }

  /**
   * Creates the file (an existing one is renamed to <out>.old, an existing <out>.old to
   * <out>.old.N with the first free N, both said on stderr) with the header, then the
   * given events, then what arrived before. Throws DamoError E_IO when it cannot.
   */
  async open(header: TraceHeader, events: ReadonlyArray<Omit<TraceEvent, 'targetIndex'>>): Promise<void> {
    try {
      if (existsSync(this.out)) {
        checkOutputPath(this.out, '-o');
        const old = `${this.out}.old`;
        if (existsSync(old)) {
          const kept = freeBackupName(old);
          renameSync(old, kept);
          this.notify(`moved the previous ${old} to ${kept}`);
        }
        renameSync(this.out, old);
        this.notify(`moved the existing ${this.out} to ${old}`);
      } else {
        checkOutputPath(this.out, '-o');
      }
      const { TraceWriter } = await import('../format/trace_writer.js');
      const w = TraceWriter.create(this.streamPath, header, { mode: this.mode });
      this.sink = this.wrap !== undefined ? this.wrap(w) : w;
    } catch (err) {
      throw isDamoError(err) ? err : new DamoError('E_IO', `cannot create ${this.out}: ${errorMessage(err)}`, { hint: 'choose a writable location with -o' });
    }
    const sink = this.sink;
    for (const e of events) this.write(() => sink.writeEvent(e));
    for (const s of this.early.splice(0)) this.write(() => sink.writeSnapshot(s));
    for (const r of this.earlyStats.splice(0)) this.write(() => sink.writeSchemeStats?.(r));
  }

  /** Whether the file exists (events written before are dropped). */
  get isOpen(): boolean {
    return this.sink !== null;
  }

  writeSnapshot(s: Snapshot): void {
    const sink = this.sink;
    if (sink === null) this.early.push(s);
    else this.write(() => sink.writeSnapshot(s));
  }

  writeSchemeStats(r: SchemeStatsRecord): void {
    const sink = this.sink;
    if (sink === null) this.earlyStats.push(r);
    else this.write(() => sink.writeSchemeStats?.(r));
  }

  /** Events before the file exists are dropped (the summary and stderr still tell them). */
  writeEvent(e: TraceEvent): void {
    const sink = this.sink;
    if (sink !== null) this.write(() => sink.writeEvent(e));
  }

  private write(fn: () => void): void {
    if (this.failed !== null) return;
    try {
      fn();
    } catch (err) {
      this.failed = err;
      this.onFailure?.();
    }
  }

  /**
   * Ends the file with the trailer (and converts it to a damo format when asked for);
   * returns its size. Throws DamoError E_IO when a write failed, saying what was kept.
   * `warn` gets the conversion's warnings.
   */
  async close(endReason: string, warn: (m: string) => void): Promise<number> {
    const sink = this.sink;
    if (sink === null) return 0;
    if (this.failed === null) this.write(() => sink.close(endReason));
    if (this.failed !== null) {
      sink.abandon();
      const e = this.failed;
      throw new DamoError('E_IO', `writing the recording failed: ${errorMessage(e)}`, {
        cause: e,
        hint: `${this.streamPath} holds every snapshot up to the failure; kernel state was restored`,
      });
    }
    if (this.format === 'protobuf') return sink.bytesWritten;
    return this.convert(warn);
  }

  private async convert(warn: (m: string) => void): Promise<number> {
    const { convertTrace } = await import('../format/convert.js');
    try {
      const r = await convertTrace(this.streamPath, this.out, { format: this.format, mode: this.mode });
      for (const w of r.warnings) warn(w);
    } catch (err) {
      throw new DamoError('E_IO', `converting the recording to ${this.format} failed: ${errorMessage(err)}`, {
        cause: err,
        hint: `the recording is kept in ${this.streamPath}; retry with 'damo convert -i ${this.streamPath} -o ${this.out} --format ${this.format}'`,
      });
    }
    rmSync(this.streamPath, { force: true });
    return statSync(this.out).size;
  }
}

/** `<old>.N` with the smallest N not taken, so no earlier backup is ever replaced. */
function freeBackupName(old: string): string {
  for (let n = 1; ; n++) {
    const name = `${old}.${n}`;
    if (!existsSync(name)) return name;
  }
}
