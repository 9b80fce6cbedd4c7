// SPDX-License-Identifier: GPL-2.0-only
/**
 * 14.4 fuzz of the trace reader: 5,000 damaged copies of a small trace (single bit flips,
 * runs of random bytes, truncations, CRLF rewriting). Every copy either reads, with a warning
 * whenever data was lost, or fails with a DamoError; every snapshot whose frame and whose
 * segment's earlier frames the damage did not touch is recovered, and no snapshot is ever returned that the writer did not write.
 * The built binary is spawned for a handful of the cases (exit 1 and `damo:` or exit 0).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { DamoError } from '../../src/core/errors.js';
import type { Snapshot } from '../../src/core/model.js';
import { SEGMENT_MIN_REGIONS, SEGMENT_MIN_SNAPSHOTS } from '../../src/format/snapshot_block.js';
import { mulberry32, syntheticHeader, syntheticSnapshots } from '../../src/format/synthetic.js';
import { openProtobufTrace } from '../../src/format/trace_reader.js';
import { TraceWriter } from '../../src/format/trace_writer.js';
import { builtBinaryExists, runBin } from '../cli/helpers.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const NR_CASES = 5000;
const CONCURRENCY = 16;

const dir = fileTempDir('damo-trace-fuzz-');

// More than one segment, so that damage in one is seen not to reach into the next; snapshots
// large enough that a segment closes at its fewest snapshots.
const spec = { nrSnapshots: SEGMENT_MIN_SNAPSHOTS + 4, nrRegionsPerSnapshot: SEGMENT_MIN_REGIONS / SEGMENT_MIN_SNAPSHOTS, seed: 11 };
const snaps = [...syntheticSnapshots(spec)];
let bytes = Buffer.alloc(0);
/** [start, end) of each frame after the magic: the header frame, the snapshots, the trailer. */
const frames: [number, number][] = [];
let headerEnd = 0;
beforeAll(() => {
  const goodPath = join(dir, 'good.damo');
  const writer = TraceWriter.create(goodPath, syntheticHeader(spec));
  for (const s of snaps) writer.writeSnapshot(s);
  writer.close('done');
  bytes = readFileSync(goodPath);
  for (let offset = 8; offset < bytes.length; ) {
    const end = offset + 16 + bytes.readUInt32LE(offset);
    frames.push([offset, end]);
    offset = end;
  }
  headerEnd = (frames[0] as [number, number])[1];
});

const key = (s: Snapshot): string => JSON.stringify([s.targetIndex, s.startNs, s.endNs, [...s.starts], [...s.ends], [...s.nrAccesses], [...s.ages]]);
const snapshotKeys = snaps.map(key);

interface Case {
  bytes: Buffer;
  /** Bytes [start, end) of the original that were changed; null for a cut or CRLF rewriting. */
  damaged: [number, number] | null;
  kind: string;
  atBoundary?: boolean;
}

function makeCase(n: number): Case {
  const random = mulberry32(n + 1);
  const pick = (limit: number): number => Math.floor(random() * limit);
  const roll = random();
  if (roll < 0.45) {
    const copy = Buffer.from(bytes);
    const at = pick(copy.length);
    copy[at] = (copy[at] as number) ^ (1 << pick(8));
    return { bytes: copy, damaged: [at, at + 1], kind: `flip at ${at}` };
  }
  if (roll < 0.75) {
    const copy = Buffer.from(bytes);
    const at = pick(copy.length);
    const end = Math.min(copy.length, at + 1 + pick(48));
    for (let i = at; i < end; i++) copy[i] = pick(256);
    return { bytes: copy, damaged: [at, end], kind: `run ${at}-${end}` };
  }
  if (roll < 0.92) {
    const cut = pick(bytes.length);
    // A cut at a frame boundary is what a killed recorder leaves: valid, with no warning.
    const atBoundary = frames.some(([, end]) => end === cut);
    return { bytes: bytes.subarray(0, cut), damaged: null, kind: `cut at ${cut}`, atBoundary };
  }
  const parts: number[] = [];
  for (const b of bytes) {
    if (b === 0x0a) parts.push(0x0d);
    parts.push(b);
  }
  return { bytes: Buffer.from(parts), damaged: null, kind: 'crlf' };
}

async function check(n: number, path: string): Promise<void> {
  const c = makeCase(n);
  writeFileSync(path, c.bytes);
  const label = `case ${n}: ${c.kind}`;
  const got: Snapshot[] = [];
  let warnings: readonly string[];
  try {
    const trace = await openProtobufTrace(path);
    for await (const s of trace.snapshots()) got.push(s);
    warnings = trace.warnings;
  } catch (err) {
    expect(err, label).toBeInstanceOf(DamoError);
    expect(['E_CORRUPT', 'E_TRUNCATED', 'E_FORMAT'], label).toContain((err as DamoError).code);
    // Only damage to the magic or the header frame may make the whole file unreadable.
    if (c.damaged !== null) expect(c.damaged[0], label).toBeLessThan(headerEnd);
    return;
  }
  const gotKeys = got.map(key);
  for (const k of gotKeys) expect(snapshotKeys, `${label}: a snapshot the writer never wrote`).toContain(k);
  if (gotKeys.length < snaps.length && c.atBoundary !== true) expect(warnings.length, `${label}: data lost without a warning`).toBeGreaterThan(0);
  if (c.damaged !== null) {
    const [a, b] = c.damaged;
    // A snapshot's block needs every earlier block of its segment (one block per snapshot).
    const untouched = snapshotKeys.filter((_, i) => {
      for (let j = i - (i % SEGMENT_MIN_SNAPSHOTS); j <= i; j++) {
        const [s, e] = frames[j + 1] as [number, number];
        if (!(e <= a || s >= b)) return false;
      }
      return true;
    });
    expect(gotKeys, `${label}: lost a snapshot outside the damage`).toEqual(expect.arrayContaining(untouched));
  }
}

describe('14.4 trace reader fuzz', () => {
  it(`${NR_CASES} damaged copies read with a warning or fail cleanly`, async () => {
    let next = 0;
    const worker = async (w: number): Promise<void> => {
      const path = join(dir, `case${w}.damo`);
      for (let n = next++; n < NR_CASES; n = next++) await check(n, path);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  }, 180_000);

  it.skipIf(!builtBinaryExists())('the binary exits 0 with a warning or 1 with damo: on a handful of cases', () => {
    const path = join(dir, 'spawned.damo');
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7]) {
      writeFileSync(path, makeCase(n).bytes);
      const r = runBin(['report', 'wss', '-i', path]);
      expect([0, 1], `case ${n}: ${r.stderr}`).toContain(r.status);
      if (r.status === 1) expect(r.stderr, `case ${n}`).toMatch(/^damo: /m);
      expect(r.stderr, `case ${n}`).not.toMatch(/internal error| {4}at /);
    }
  }, 60_000);
});
