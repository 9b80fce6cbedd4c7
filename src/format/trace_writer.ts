// SPDX-License-Identifier: GPL-2.0-only
/**
 * Streaming writer of damo-ts trace files. Every frame goes out in one write() as soon as it
 * is produced, so a recorder killed at any moment leaves a file whose complete frames are
 * all readable. close() appends the trailer, fsyncs and closes.
 *
 * Snapshots go out in snapshot blocks (src/format/snapshot_block.ts). By default each
 * snapshot is its own block, written before writeSnapshot() returns, so every snapshot a
 * recorder has handed over survives a kill. Writers that copy a recording that already
 * exists (convert, synthetic traces) set `snapshotsPerBlock` to group snapshots: fewer
 * frames, smaller files and faster reading, and a kill only loses a copy that can be redone.
 *
 * The writer is synchronous on purpose: frames are small (a 1,000-region snapshot is about
 * 7 KiB), and synchronous writes mean a signal handler that calls close() never races with
 * a half-finished asynchronous write.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

import { DamoError, errnoCode, errorMessage } from '../core/errors.js';
import type { SchemeStatsRecord, Snapshot, TraceEvent, TraceHeader } from '../core/model.js';
import { encodeEvent, encodeHeader, encodeSchemeStats, encodeTrailer, FORMAT_VERSION } from './codec.js';
import { encodeFrame, FrameType, TRACE_MAGIC } from './frame.js';
import {
  BLOCK_MAX_RAW_BYTES,
  ByteSink,
  codeSnapshot,
  encodeBlockPayload,
  SegmentDeflater,
  newTimeContext,
  nextDictionary,
  SEGMENT_MAX_SNAPSHOTS,
  segmentIsFull,
  type TimeContext,
} from './snapshot_block.js';

export interface TraceWriterOptions {
  /** File mode for a newly created file (default 0o600: recordings reveal memory layouts). */
  mode?: number;
  /**
   * Snapshots grouped into one block frame (default 1: each snapshot is on disk when
   * writeSnapshot returns). Larger values buffer up to that many snapshots in memory.
   */
  snapshotsPerBlock?: number;
}

export class TraceWriter {
  readonly path: string;
  private fd: number | null;
  private snapshotsWritten = 0;
  private regionsWritten = 0;
  private bytes = 0;
  private lastEndNs = 0;
  private readonly snapshotsPerBlock: number;
  /** The segment being written: its number, snapshots already in blocks, deflate dictionary. */
  private segment = 0;
  private position = 0;
  /** Regions of the segment in blocks already written. */
  private segmentRegions = 0;
  private dictionary: Uint8Array = new Uint8Array(0);
  /** The segment's deflate stream (the dictionary above primes a new one). */
  private readonly deflater = new SegmentDeflater();
  private times: TimeContext = newTimeContext();
  /** Coded snapshots waiting for their block. */
  private readonly pending = new ByteSink();
  private pendingCount = 0;
  private pendingRegions = 0;

  private constructor(path: string, fd: number, snapshotsPerBlock: number) {
    this.path = path;
    this.fd = fd;
    this.snapshotsPerBlock = Math.max(1, Math.min(SEGMENT_MAX_SNAPSHOTS, Math.floor(snapshotsPerBlock)));
  }

  /** Creates (or truncates) `path` and writes the magic and the header frame. */
  static create(path: string, header: TraceHeader, options: TraceWriterOptions = {}): TraceWriter {
    let fd: number;
    try {
      fd = openSync(path, 'w', options.mode ?? 0o600);
    } catch (err) {
      throw ioError(`cannot create ${path}`, err);
    }
    const writer = new TraceWriter(path, fd, options.snapshotsPerBlock ?? 1);
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
    if (this.fd === null) throw new DamoError('E_INTERNAL', `trace ${this.path} is already closed`);
    const mark = this.pending.len;
    const times = { ...this.times };
    try {
      codeSnapshot(snapshot, this.times, this.pending);
    } catch (err) {
      this.pending.len = mark;
      this.times = times;
      throw err;
    }
    this.pendingCount += 1;
    this.pendingRegions += snapshot.starts.length;
    this.snapshotsWritten += 1;
    this.regionsWritten += snapshot.starts.length;
    this.lastEndNs = Math.max(this.lastEndNs, snapshot.endNs);
    if (
      this.pendingCount >= this.snapshotsPerBlock ||
      segmentIsFull(this.position + this.pendingCount, this.segmentRegions + this.pendingRegions) ||
      this.pending.len >= BLOCK_MAX_RAW_BYTES
    ) {
      this.flushBlock();
    }
  }

  writeEvent(event: TraceEvent): void {
    this.flushBlock();
    this.writeFrame(FrameType.Event, encodeEvent(event));
  }

  writeSchemeStats(stats: SchemeStatsRecord): void {
    this.flushBlock();
    this.writeFrame(FrameType.SchemeStats, encodeSchemeStats(stats));
  }

  /** Writes the snapshots waiting for their block (none unless snapshotsPerBlock > 1). */
  flush(): void {
    this.flushBlock();
  }

  private flushBlock(): void {
    if (this.pendingCount === 0) return;
    const raw = this.pending.view();
    try {
      const deflated = this.deflater.deflate(raw, this.dictionary) ?? undefined;
      const payload = encodeBlockPayload(
        { segment: this.segment, position: this.position, count: this.pendingCount, nrRegions: this.pendingRegions, rawBytes: raw.length },
        raw,
        this.dictionary,
        deflated,
      );
      this.writeFrame(FrameType.SnapshotBlock, payload);
    } catch (err) {
      // The deflate stream took a block the file lacks; a retry must not refer to it.
      this.deflater.drop();
      throw err;
    }
    this.position += this.pendingCount;
    this.segmentRegions += this.pendingRegions;
    if (segmentIsFull(this.position, this.segmentRegions)) {
      this.segment += 1;
      this.position = 0;
      this.segmentRegions = 0;
      this.dictionary = new Uint8Array(0);
      this.deflater.drop();
      this.times = newTimeContext();
    } else {
      this.dictionary = nextDictionary(this.dictionary, raw);
    }
    this.pending.reset();
    this.pendingCount = 0;
    this.pendingRegions = 0;
  }

  /** Writes the trailer, flushes to disk and closes. Safe to call once; later calls no-op. */
  close(endReason: string): void {
    if (this.fd === null) return;
    this.flushBlock();
    this.writeFrame(
      FrameType.Trailer,
      encodeTrailer({ nrSnapshots: this.snapshotsWritten, nrRegions: this.regionsWritten, endNs: this.lastEndNs, endReason }),
    );
    const fd = this.fd;
    this.fd = null;
    this.deflater.drop();
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
    try {
      this.flushBlock();
    } catch {
      // Abandoning after a failed write: what could be written is on disk.
    }
    const fd = this.fd;
    this.fd = null;
    this.deflater.drop();
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
