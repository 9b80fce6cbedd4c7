// SPDX-License-Identifier: GPL-2.0-only
/**
 * Worker thread entry of json_parse_stream.ts: inflates and parses one damo json file,
 * posting each chunk's snapshots as a column batch (json_parse_batch.ts), then 'done' or
 * the error that stopped it. It waits while the reader is DAMO_JSON_WORKER_MAX_BATCHES_AHEAD
 * batches behind, so memory stays bounded whatever the report's speed.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { DamoError, errorMessage } from '../../core/errors.js';
import type { TraceTarget } from '../../core/model.js';
import { JsonShapeError } from '../json_tokenizer.js';
import { encodeBatch, type ParsedSnapshot } from './json_parse_batch.js';
import type { WorkerInput, WorkerMessage } from './json_parse_stream.js';
import { damoJsonChunks, DamoJsonParser } from './json_reader.js';

const port = parentPort;
if (port === null) throw new Error('json_parse_worker.js runs as a worker thread');
const input = workerData as WorkerInput;
const taken = new Int32Array(input.control);

const records: TraceTarget[] = [];
let parsed: ParsedSnapshot[] = [];
const parser = new DamoJsonParser({
  onSnapshot: (snapshot, recordIndex) => parsed.push({ snapshot, recordIndex }),
  onRecord: (target) => records.push(target),
});
let textBytes = 0;
let nrPosted = 0;
/** Records before this one were complete when last posted. */
let firstOpenRecord = 0;

function post(): void {
  for (;;) {
    const nrTaken = Atomics.load(taken, 0);
    if (nrPosted - nrTaken < input.maxBatchesAhead) break;
    Atomics.wait(taken, 0, nrTaken, 1000);
  }
  const { message, transfer } = encodeBatch(parsed, {
    textBytes,
    fields: { intervals: parser.intervals, intervalsGoal: parser.intervalsGoal, dataSource: parser.dataSource },
    firstRecord: firstOpenRecord,
    records: records.slice(firstOpenRecord),
  });
  parsed = [];
  firstOpenRecord = parser.records.length;
  nrPosted++;
  (port as NonNullable<typeof port>).postMessage(message, transfer);
}

function errorReply(e: unknown): WorkerMessage {
  if (e instanceof JsonShapeError) return { type: 'error', kind: 'shape', message: e.message, offset: e.offset };
  if (e instanceof DamoError) return { type: 'error', kind: 'damo', code: e.code, message: e.message, hint: e.hint };
  const code = (e as { code?: unknown }).code;
  return { type: 'error', kind: 'other', message: errorMessage(e), code: typeof code === 'string' ? code : undefined };
}

try {
  for await (const chunk of damoJsonChunks(input.path, { compressed: input.compressed })) {
    parser.feed(chunk);
    textBytes += chunk.length;
    post();
  }
  parser.finish();
  post();
  port.postMessage({ type: 'done' } satisfies WorkerMessage);
} catch (e) {
  port.postMessage(errorReply(e));
}
