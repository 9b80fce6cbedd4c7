// SPDX-License-Identifier: GPL-2.0-only
/**
 * A recording whose passes over its snapshots show progress on a terminal (core/progress.ts):
 * the fraction is the last snapshot's end time over the recording's end, which damo's
 * formats know once read, and our traces keep in their trailer frame at the end of the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

import { heldListsOf, type Snapshot, type TraceSource } from '../core/model.js';
import { Progress } from '../core/progress.js';
import { checkFrameHeader, FRAME_HEADER_BYTES, FRAME_TRAILER_BYTES, FrameType, payloadChecksumOk } from './frame.js';

const TAIL_BYTES = 4096;

/** The trailer frame that ends a complete damo-ts trace, read from the file's tail; null if none. */
export async function readTailTrailerEndNs(path: string): Promise<number | null> {
  // Synchronous: one small read, which the thread pool would only delay.
  let fd;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    for (let at = n - FRAME_HEADER_BYTES - FRAME_TRAILER_BYTES; at >= 0; at--) {
      const check = checkFrameHeader(buf, at);
      if (!check.ok || check.type !== FrameType.Trailer) continue;
      if (at + FRAME_HEADER_BYTES + check.payloadBytes + FRAME_TRAILER_BYTES !== n) continue;
      const payload = buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + check.payloadBytes);
      if (!payloadChecksumOk(payload, buf.readUInt32LE(at + FRAME_HEADER_BYTES + check.payloadBytes))) continue;
      // The protobuf codec only when there is a trailer to decode: damo's formats never need it.
      const { decodeTrailer } = await import('./codec.js');
      return decodeTrailer(payload).endNs;
    }
    return null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

async function recordingEndNs(source: TraceSource): Promise<number | null> {
  if (source.snapshotsOfTarget !== undefined) {
    let end: number | null = null;
    for (let t = 0; t < source.header.targets.length; t++) {
      const list = source.snapshotsOfTarget(t);
      const last = list[list.length - 1];
      if (last !== undefined) end = Math.max(end ?? 0, last.endNs);
    }
    return end;
  }
  return source.trailer()?.endNs ?? (await readTailTrailerEndNs(source.path));
}

/** `source` with progress on `stream` for each pass over its snapshots, when `enabled`. */
export function withProgress(source: TraceSource, stream: NodeJS.WritableStream, label: string, enabled: boolean): TraceSource {
  if (!enabled) return source;
  let pass = 0;
  const wrapped: TraceSource = {
    path: source.path,
    header: source.header,
    warnings: source.warnings,
    trailer: () => source.trailer(),
    async *snapshots(): AsyncGenerator<Snapshot> {
      pass++;
      const endNs = await recordingEndNs(source);
      const progress = new Progress(stream, pass === 1 ? label : `${label} (pass ${pass})`, endNs !== null && endNs > 0);
      let n = 0;
      let startNs: number | undefined;
      try {
        for await (const s of source.snapshots()) {
          startNs ??= s.startNs;
          n++;
          if (endNs !== null) progress.update((s.endNs - startNs) / Math.max(1, endNs - startNs), `${n} snapshots`);
          yield s;
        }
      } finally {
        progress.done();
      }
    },
  };
  heldListsOf(source, wrapped);
  return wrapped;
}
