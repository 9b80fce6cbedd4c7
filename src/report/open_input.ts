/**
 * Opens a recording for a report. Until the damo format readers land (issue 3's
 * src/format/open.ts), only our own protobuf traces are read here.
 */
import { open } from 'node:fs/promises';

import { DamoError, errnoCode, errorMessage } from '../core/errors.js';
import type { TraceSource } from '../core/model.js';
import { isProtobufTrace, openProtobufTrace } from '../format/trace_reader.js';

export async function openInput(path: string, strict: boolean): Promise<TraceSource> {
  let head: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      head = Buffer.alloc(64);
      const { bytesRead } = await fh.read(head, 0, 64, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') {
      throw new DamoError('E_NOENT', `${path} does not exist`, { hint: 'give the recording with -i FILE' });
    }
    throw new DamoError('E_IO', `cannot read ${path}: ${errorMessage(err)}`);
  }
  if (isProtobufTrace(head)) return openProtobufTrace(path, { strict });
  throw new DamoError('E_FORMAT', `${path} is not a recording this build can read`);
}
