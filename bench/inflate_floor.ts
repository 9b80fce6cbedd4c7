// SPDX-License-Identifier: GPL-2.0-only
/**
 * The floor for a json_compressed report: read the file and inflate it, nothing else (no
 * parsing). Run as a child like the CLI, so Node's start-up is in both figures.
 * Usage: node inflate_floor.js FILE
 */
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflate } from 'node:zlib';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: node inflate_floor.js FILE\n');
  process.exit(2);
}
let nrBytes = 0;
await pipeline(
  createReadStream(path, { highWaterMark: 1 << 20 }),
  createInflate({ chunkSize: 1 << 20 }),
  new Writable({
    write(chunk: Buffer, _enc, done): void {
      nrBytes += chunk.length;
      done();
    },
  }),
);
process.stdout.write(`${nrBytes}\n`);
