// SPDX-License-Identifier: GPL-2.0-only
/**
 * Streaming writer of damo-ts trace files. Every frame goes out in one write() as soon as it
 * is produced, so a recorder killed at any moment leaves a file whose complete frames are
 * all readable. close() appends the trailer, fsyncs and closes.
 *
 * The writer is synchronous on purpose: frames are small (a 1,000-region snapshot is about
 * 7 KiB), and synchronous writes mean a signal handler that calls close() never races with
 * a half-finished asynchronous write.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

import { DamoError, errnoCode, errorMessage } from '../core/errors.js';
import type { SchemeStatsRecord, Snapshot, TraceEvent, TraceHeader } from '../core/model.js';
import { encodeEvent, encodeHeader, encodeSchemeStats, encodeSnapshot, encodeTrailer, FORMAT_VERSION } from './codec.js';
import { encodeFrame, FrameType, TRACE_MAGIC } from './frame.js';

export interface TraceWriterOptions {
  /** File mode for a newly created file (default 0o600: recordings reveal memory layouts). */
  mode?: number;
}

export class TraceWriter {
  readonly path: string;
  private fd: number | null;
  private snapshotsWritten = 0;
  private regionsWritten = 0;
  private bytes = 0;
  private lastEndNs = 0;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /** Creates (or truncates) `path` and writes the magic and the header frame. */
  static create(path: string, header: TraceHeader, options: TraceWriterOptions = {}): TraceWriter {
    let fd: number;
    try {
      fd = openSync(path, 'w', options.mode ?? 0o600);
    } catch (err) {
      throw ioError(`cannot create ${path}`, err);
    }
    const writer = new TraceWriter(path, fd);
    try {
      writer.writeRaw(Buffer.from(TRACE_MAGIC));
      writer.writeFrame(FrameType.Header, encodeHeader({ ...header, formatVersion: FORMAT_VERSION }));
    } catch (err) {
      writer.abandon();
      throw err;
    }
    return writer;
  }

  get nrSnapshots(): number {
    return this.snapshotsWritten;
  }

  get nrRegions(): number {
    return this.regionsWritten;
  }

  get bytesWritten(): number {
    return this.bytes;
  }

  get isOpen(): boolean {
    return this.fd !== null;
  }

  writeSnapshot(snapshot: Snapshot): void {
    this.writeFrame(FrameType.Snapshot, encodeSnapshot(snapshot));
    this.snapshotsWritten += 1;
    this.regionsWritten += snapshot.starts.length;
    this.lastEndNs = Math.max(this.lastEndNs, snapshot.endNs);
  }

  writeEvent(event: TraceEvent): void {
    this.writeFrame(FrameType.Event, encodeEvent(event));
  }

  writeSchemeStats(stats: SchemeStatsRecord): void {
    this.writeFrame(FrameType.SchemeStats, encodeSchemeStats(stats));
  }

  /** Writes the trailer, flushes to disk and closes. Safe to call once; later calls no-op. */
  close(endReason: string): void {
    if (this.fd === null) return;
    this.writeFrame(
      FrameType.Trailer,
      encodeTrailer({ nrSnapshots: this.snapshotsWritten, nrRegions: this.regionsWritten, endNs: this.lastEndNs, endReason }),
    );
    const fd = this.fd;
    this.fd = null;
    try {
      fsyncSync(fd);
    } catch (err) {
      // Some filesystems (pipes, /dev/stdout) cannot fsync; the data is written regardless.
      if (errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'ENOTSUP') throw ioError(`cannot flush ${this.path}`, err);
    } finally {
      closeSync(fd);
    }
  }

  /** Closes without a trailer (the file stays readable up to its last frame). */
  abandon(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch {
      // Nothing more can be done for a descriptor that fails to close.
    }
  }

  private writeFrame(type: FrameType, payload: Uint8Array): void {
    this.writeRaw(encodeFrame(type, payload));
  }

  private writeRaw(bytes: Buffer): void {
    if (this.fd === null) throw new DamoError('E_INTERNAL', `trace ${this.path} is already closed`);
    let offset = 0;
    // A regular file takes the whole frame in one write(); the loop only matters for pipes.
    while (offset < bytes.length) {
      let n: number;
      try {
        n = writeSync(this.fd, bytes, offset, bytes.length - offset);
      } catch (err) {
        throw ioError(`cannot write ${this.path}`, err);
      }
      offset += n;
    }
    this.bytes += bytes.length;
  }
}

function ioError(what: string, err: unknown): DamoError {
  const code = errnoCode(err);
  const hint =
    code === 'ENOSPC'
      ? 'the disk is full; free space or write elsewhere with -o'
      : code === 'EACCES' || code === 'EPERM'
        ? 'choose a writable location with -o'
        : undefined;
  return new DamoError('E_IO', `${what}: ${errorMessage(err)}`, hint === undefined ? { cause: err } : { cause: err, hint });
}
