// SPDX-License-Identifier: GPL-2.0-only
/**
 * The floor for a json_compressed report: read the file and inflate it, nothing else (no
 * parsing). Run as a child like the CLI, so Node's start-up is in both figures. It inflates
 * as the reader does, on the thread pool into reused buffers: the fastest way measured
 * (node:zlib's stream, which allocates a buffer per chunk, took 2-5x the time:
 * docs/PERFORMANCE.md, "Inflating into reused buffers").
 * Usage: node inflate_floor.js FILE
 */
import { damoJsonChunks } from '../src/format/damo/json_reader.js';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: node inflate_floor.js FILE\n');
  process.exit(2);
}
let nrBytes = 0;
for await (const chunk of damoJsonChunks(path, { compressed: true })) nrBytes += chunk.length;
process.stdout.write(`${nrBytes}\n`);
