// SPDX-License-Identifier: GPL-2.0-only
/**
 * Streaming reader of damo-ts trace files. Memory is bounded by the read buffer plus the
 * largest single frame, whatever the file size. Each pass re-reads the file, so reports that
 * need two passes (a guide, then the heatmap) never hold the whole recording.
 *
 * Damage handling (docs/FORMAT.md): a file that ends inside a frame yields every complete
 * frame and a warning (an error with `strict`); a checksum or decode failure is an error that
 * names the byte offset of the bad frame. Data is never returned from a frame that failed
 * its checksum.
 */
import { open, type FileHandle } from 'node:fs/promises';

import { DamoError, errnoCode, errorMessage } from '../core/errors.js';
import type {
  SchemeStatsRecord,
  Snapshot,
  TraceEvent,
  TraceHeader,
  TraceSource,
  TraceTrailer,
} from '../core/model.js';
import { decodeEvent, decodeHeader, decodeSchemeStats, decodeSnapshotFast, decodeTrailer, FORMAT_VERSION } from './codec.js';
import {
  checkFrameHeader,
  FRAME_HEADER_BYTES,
  FRAME_TRAILER_BYTES,
  FrameType,
  magicDistance,
  payloadChecksumOk,
  TRACE_MAGIC,
} from './frame.js';


export interface ReadOptions {
  /** Treat a truncated last frame as an error instead of a warning. */
  strict?: boolean;
}

const CHUNK_BYTES = 4 << 20;

interface RawFrame {
  type: number;
  /** Valid only until the scanner advances. */
  payload: Uint8Array;
  offset: number;
}

/** A protobuf trace opened for reading; also exposes the non-snapshot frames. */
export interface ProtobufTrace extends TraceSource {
  /** A fresh pass over every frame after the header, decoded. */
  records(): AsyncIterable<TraceRecord>;
}

export type TraceRecord =
  | { kind: 'snapshot'; snapshot: Snapshot }
  | { kind: 'event'; event: TraceEvent }
  | { kind: 'scheme-stats'; stats: SchemeStatsRecord }
  | { kind: 'trailer'; trailer: TraceTrailer };

export async function openProtobufTrace(path: string, options: ReadOptions = {}): Promise<ProtobufTrace> {
  const strict = options.strict === true;
  const warnings: string[] = [];
  const warned = new Set<string>();
  const warnOnce = (message: string): void => {
    if (!warned.has(message)) {
      warned.add(message);
      warnings.push(message);
    }
  };

  let header: TraceHeader | null = null;
  let firstFrameOffset = 0;
  for await (const frame of scanFrames(path, strict, warnOnce, true)) {
    if (frame.type !== FrameType.Header) {
      throw new DamoError('E_CORRUPT', `${path}: the first frame (byte offset ${frame.offset}) is not a header (type ${frame.type})`);
    }
    header = decodeOrCorrupt(path, frame.offset, 'header', () => decodeHeader(frame.payload));
    firstFrameOffset = frame.offset + FRAME_HEADER_BYTES + frame.payload.length + FRAME_TRAILER_BYTES;
    break;
  }
  if (header === null) {
    throw new DamoError('E_TRUNCATED', `${path}: the file ends before its header frame is complete`, {
      hint: 'the recorder was stopped before it wrote anything; record again',
    });
  }
  if (header.formatVersion > FORMAT_VERSION) {
    warnOnce(`${path} was written by format version ${header.formatVersion} (this damo reads up to ${FORMAT_VERSION}); fields it does not know are ignored`);
  }

  let lastTrailer: TraceTrailer | null = null;

  async function* records(): AsyncGenerator<TraceRecord> {
    let trailerSeen = false;
    for await (const frame of scanFrames(path, strict, warnOnce, false, firstFrameOffset)) {
      if (trailerSeen) warnAfterTrailer(frame.offset);
      if (frame.type === FrameType.Snapshot) {
        yield { kind: 'snapshot', snapshot: decodeOrCorrupt(path, frame.offset, 'snapshot', () => decodeSnapshotFast(frame.payload)) };
        continue;
      }
      for (const r of decodeOther(frame)) {
        if (r.kind === 'trailer') {
          lastTrailer = r.trailer;
          trailerSeen = true;
        }
        yield r;
      }
    }
  }

  function warnAfterTrailer(offset: number): void {
    warnOnce(`${path}: frames follow the trailer (byte offset ${offset}); were two recordings concatenated?`);
  }

  /** Decodes a non-snapshot frame (zero records for unknown types). */
  function decodeOther(frame: RawFrame): TraceRecord[] {
    switch (frame.type) {
      case FrameType.Event:
        return [{ kind: 'event', event: decodeOrCorrupt(path, frame.offset, 'event', () => decodeEvent(frame.payload)) }];
      case FrameType.SchemeStats:
        return [
          { kind: 'scheme-stats', stats: decodeOrCorrupt(path, frame.offset, 'scheme stats', () => decodeSchemeStats(frame.payload)) },
        ];
      case FrameType.Trailer:
        return [{ kind: 'trailer', trailer: decodeOrCorrupt(path, frame.offset, 'trailer', () => decodeTrailer(frame.payload)) }];
      case FrameType.Header:
        throw new DamoError('E_CORRUPT', `${path}: a second header frame at byte offset ${frame.offset}`);
      default:
        // A frame type from a newer writer: its checksum was fine, so skipping it is safe.
        warnOnce(`${path}: skipped frames of unknown type ${frame.type} (written by a newer damo?)`);
        return [];
    }
  }

  const finalHeader = header;
  return {
    path,
    header: finalHeader,
    warnings,
    records,
    async *snapshots(): AsyncGenerator<Snapshot> {
      // The hot path of every report: decode snapshot frames directly, and let records()
      // handle (and validate) everything else.
      let trailerSeen = false;
      for await (const frame of scanFrames(path, strict, warnOnce, false, firstFrameOffset)) {
        if (trailerSeen) warnAfterTrailer(frame.offset);
        if (frame.type === FrameType.Snapshot) {
          yield decodeOrCorrupt(path, frame.offset, 'snapshot', () => decodeSnapshotFast(frame.payload));
          continue;
        }
        for (const r of decodeOther(frame)) {
          if (r.kind === 'trailer') {
            lastTrailer = r.trailer;
            trailerSeen = true;
          }
        }
      }
    },
    trailer: () => lastTrailer,
  };
}

function decodeOrCorrupt<T>(path: string, offset: number, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof DamoError && err.code !== 'E_CORRUPT') throw err;
    throw new DamoError('E_CORRUPT', `${path}: cannot decode the ${what} frame at byte offset ${offset}: ${errorMessage(err)}`);
  }
}

/**
 * Yields the frames of the file in order, starting at `startOffset` (0 means: check the
 * magic, then start after it). Stops after the first frame when `headerOnly`.
 */
async function* scanFrames(
  path: string,
  strict: boolean,
  warn: (message: string) => void,
  headerOnly: boolean,
  startOffset = 0,
): AsyncGenerator<RawFrame> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = errnoCode(err);
    throw new DamoError(code === 'ENOENT' ? 'E_NOENT' : 'E_IO', `cannot open ${path}: ${errorMessage(err)}`);
  }
  try {
    let buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let filePos = startOffset; // file offset of buf[bufEnd]
    let bufStart = 0;
    let bufEnd = 0;
    let eof = false;
    let nrFrames = 0;

    /** Ensures `need` bytes are buffered from bufStart; returns false at end of file. */
    const fill = async (need: number): Promise<boolean> => {
      while (bufEnd - bufStart < need) {
        if (eof) return false;
        if (bufStart > 0) {
          buf.copy(buf, 0, bufStart, bufEnd);
          bufEnd -= bufStart;
          bufStart = 0;
        }
        if (need > buf.length) {
          const bigger = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
          buf.copy(bigger, 0, 0, bufEnd);
          buf = bigger;
        }
        const { bytesRead } = await fh.read(buf, bufEnd, buf.length - bufEnd, filePos);
        if (bytesRead === 0) eof = true;
        bufEnd += bytesRead;
        filePos += bytesRead;
      }
      return true;
    };
    const offsetOf = (bufIndex: number): number => filePos - (bufEnd - bufIndex);

    if (startOffset === 0) {
      const haveMagic = await fill(TRACE_MAGIC.length);
      const prefix = buf.subarray(bufStart, Math.min(bufEnd, bufStart + TRACE_MAGIC.length));
      if (!haveMagic || magicDistance(prefix) > 0) {
        if (bufEnd === 0) throw new DamoError('E_FORMAT', `${path} is empty`);
        if (haveMagic && magicDistance(prefix) === 1) {
          throw new DamoError('E_CORRUPT', `${path}: the trace magic bytes at offset 0 are damaged`);
        }
        throw new DamoError('E_FORMAT', `${path} is not a damo-ts trace (it does not start with the trace magic bytes)`);
      }
      bufStart += TRACE_MAGIC.length;
    }

    for (;;) {
      const frameOffset = offsetOf(bufStart);
      if (!(await fill(FRAME_HEADER_BYTES))) {
        if (bufEnd > bufStart) truncated(path, strict, warn, frameOffset, bufEnd - bufStart);
        return;
      }
      const check = checkFrameHeader(buf, bufStart);
      if (!check.ok) {
        throw new DamoError('E_CORRUPT', `${path}: corrupt frame at byte offset ${frameOffset}: ${check.reason}`, {
          hint: `the ${nrFrames} frames before it passed their checksums`,
        });
      }
      const total = FRAME_HEADER_BYTES + check.payloadBytes + FRAME_TRAILER_BYTES;
      if (!(await fill(total))) {
        truncated(path, strict, warn, frameOffset, bufEnd - bufStart);
        return;
      }
      const payloadStart = bufStart + FRAME_HEADER_BYTES;
      const payload = buf.subarray(payloadStart, payloadStart + check.payloadBytes);
      const storedCrc = buf.readUInt32LE(payloadStart + check.payloadBytes);
      if (!payloadChecksumOk(payload, storedCrc)) {
        throw new DamoError('E_CORRUPT', `${path}: corrupt frame at byte offset ${frameOffset}: payload checksum mismatch`, {
          hint: `the ${nrFrames} frames before it passed their checksums`,
        });
      }
      bufStart += total;
      nrFrames += 1;
      yield { type: check.type, payload, offset: frameOffset };
      if (headerOnly) return;
    }
  } finally {
    await fh.close();
  }
}

function truncated(
  path: string,
  strict: boolean,
  warn: (message: string) => void,
  offset: number,
  haveBytes: number,
): void {
  const message = `${path} ends inside a frame at byte offset ${offset} (${haveBytes} bytes of it present); the recording was cut short, so everything before that point was read`;
  if (strict) throw new DamoError('E_TRUNCATED', message, { hint: 'drop --strict to read the complete frames' });
  warn(message);
}
