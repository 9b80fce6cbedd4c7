/**
 * Opens a recording for a report: openTrace() (src/format/open.ts) for damo's formats, and
 * the streaming protobuf reader for our own traces, which open.ts does not route yet.
 * When it does, callers can use openTrace() directly and this file can go.
 */
import type { TraceSource } from '../core/model.js';
import { openTrace, sniffFile } from '../format/open.js';
import { openProtobufTrace } from '../format/trace_reader.js';

export async function openInput(path: string, strict: boolean): Promise<TraceSource> {
  if ((await sniffFile(path)) === 'protobuf') return openProtobufTrace(path, { strict });
  return openTrace(path, { strict });
}
