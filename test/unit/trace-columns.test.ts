// SPDX-License-Identifier: GPL-2.0-only
// The batched (column) pass over a damo-ts trace gives what the per-snapshot pass gives, on
// every layout a trace can have, and the reports that use it print the same.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { snapshotOfColumns, type Snapshot, type TraceSource } from '../../src/core/model.js';
import { BlockCodec, encodeBlockPayload, inflateBlocks, nextDictionary, parseBlockPayload, SegmentDeflater } from '../../src/format/snapshot_block.js';
import { syntheticHeader, syntheticSnapshots } from '../../src/format/synthetic.js';
import { openProtobufTrace, type ProtobufTrace } from '../../src/format/trace_reader.js';
import { TraceWriter } from '../../src/format/trace_writer.js';
import { nrRegionsDists } from '../../src/report/nr_regions.js';
import { formatWss, WSS_DEFAULTS, wssDists } from '../../src/report/wss.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const dir = fileTempDir('damo-trace-columns-');
let counter = 0;

const plain = (s: Snapshot): unknown => ({
  ...s,
  starts: Array.from(s.starts),
  ends: Array.from(s.ends),
  nrAccesses: Array.from(s.nrAccesses),
  ages: Array.from(s.ages),
  ...(s.szFilterPassed === undefined ? {} : { szFilterPassed: Array.from(s.szFilterPassed) }),
});

interface Shape {
  name: string;
  nrSnapshots: number;
  nrRegionsPerSnapshot: number;
  nrTargets: number;
  snapshotsPerBlock: number;
  extras?: boolean;
}

const SHAPES: Shape[] = [
  { name: '18-region snapshots, converted layout (32 per block)', nrSnapshots: 200, nrRegionsPerSnapshot: 18, nrTargets: 1, snapshotsPerBlock: 32 },
  { name: '18-region snapshots, recorder layout (one per block)', nrSnapshots: 200, nrRegionsPerSnapshot: 18, nrTargets: 1, snapshotsPerBlock: 1 },
  { name: '1000-region snapshots', nrSnapshots: 45, nrRegionsPerSnapshot: 1000, nrTargets: 1, snapshotsPerBlock: 32 },
  { name: 'three targets, blocks of 5, optional fields', nrSnapshots: 90, nrRegionsPerSnapshot: 30, nrTargets: 3, snapshotsPerBlock: 5, extras: true },
  // A segment's 32 blocks are one run of the column pass, whose copies outgrow the reader's
  // first 64 KiB copy buffer: the copies made before it grows must stay intact.
  { name: '5000-region snapshots, one per block', nrSnapshots: 40, nrRegionsPerSnapshot: 5000, nrTargets: 1, snapshotsPerBlock: 1 },
];

function write(shape: Shape): { path: string; snaps: Snapshot[] } {
  const spec = { nrSnapshots: shape.nrSnapshots, nrRegionsPerSnapshot: shape.nrRegionsPerSnapshot, nrTargets: shape.nrTargets, seed: 11 };
  const snaps = [...syntheticSnapshots(spec)];
  if (shape.extras === true) {
    snaps.forEach((s, i) => {
      if (i % 3 === 0) s.sampleIntervalUs = 5000;
      if (i % 4 === 1) s.totalBytes = 1 << 30;
      if (i % 7 === 2) s.szFilterPassed = Float64Array.from([4096, 8192]);
    });
  }
  const path = join(dir, `t${counter++}.damo`);
  const w = TraceWriter.create(path, syntheticHeader(spec), { snapshotsPerBlock: shape.snapshotsPerBlock });
  for (const s of snaps) w.writeSnapshot(s);
  w.close('done');
  return { path, snaps };
}

async function perSnapshot(trace: ProtobufTrace): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for await (const s of trace.snapshots()) out.push(s);
  return out;
}

async function fromRecords(trace: ProtobufTrace): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for await (const r of trace.records()) if (r.kind === 'snapshot') out.push(r.snapshot);
  return out;
}

async function fromColumns(trace: ProtobufTrace): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  let nrBatches = 0;
  for await (const c of (trace.snapshotColumns as NonNullable<TraceSource['snapshotColumns']>)()) {
    nrBatches++;
    expect(c.offsets.length).toBe(c.count + 1);
    expect(c.offsets[0]).toBe(0);
    expect(c.starts.length).toBe(c.offsets[c.count]);
    // Copies: a batch is valid only until the next one is asked for.
    for (let k = 0; k < c.count; k++) out.push(structuredClone(snapshotOfColumns(c, k)));
  }
  expect(nrBatches).toBeLessThanOrEqual(out.length);
  return out;
}

/** The same source without its column pass: reports take their per-snapshot path. */
function withoutColumns(trace: ProtobufTrace): TraceSource {
  return { path: trace.path, header: trace.header, warnings: trace.warnings, trailer: () => trace.trailer(), snapshots: () => trace.snapshots() };
}

describe('the column pass over a damo-ts trace', () => {
  for (const shape of SHAPES) {
    it(`equals the per-snapshot pass: ${shape.name}`, async () => {
      const { path, snaps } = write(shape);
      const trace = await openProtobufTrace(path);
      const columns = await fromColumns(trace);
      expect(columns.map(plain)).toEqual(snaps.map(plain));
      expect((await perSnapshot(trace)).map(plain)).toEqual(snaps.map(plain));
      expect((await fromRecords(trace)).map(plain)).toEqual(snaps.map(plain));
      expect(trace.warnings).toEqual([]);
    });

    it(`gives the same wss and nr_regions reports: ${shape.name}`, async () => {
      const { path } = write(shape);
      const trace = await openProtobufTrace(path);
      for (const opts of [
        { ...WSS_DEFAULTS, perTarget: true, rawNumber: true },
        { ...WSS_DEFAULTS, excludeSamples: 0, sortBy: 'time' as const, rawNumber: true, allWss: true },
        // Groups of several snapshots go through damo's aggregation.
        { ...WSS_DEFAULTS, excludeSamples: 3, workTimeUs: 250_000, rawNumber: true, allWss: true },
      ]) {
        expect(formatWss(await wssDists(trace, opts), opts)).toBe(formatWss(await wssDists(withoutColumns(trace), opts), opts));
      }
      const nrOpts = { percentiles: [0, 50, 100], sortBy: 'size' as const };
      expect(await nrRegionsDists(trace, nrOpts)).toEqual(await nrRegionsDists(withoutColumns(trace), nrOpts));
    });
  }

  it('gives each of two passes at once its own data (the reader keeps a read buffer for the next pass)', async () => {
    // Segments of 32 snapshots: several batches each, so the two scans go on side by side.
    const a = write({ name: 'a', nrSnapshots: 200, nrRegionsPerSnapshot: 1000, nrTargets: 1, snapshotsPerBlock: 8 });
    const b = write({ name: 'b', nrSnapshots: 150, nrRegionsPerSnapshot: 700, nrTargets: 2, snapshotsPerBlock: 4 });
    const ta = await openProtobufTrace(a.path);
    const tb = await openProtobufTrace(b.path);
    // A pass that ends leaves its buffer for the next one.
    expect((await fromColumns(ta)).map(plain)).toEqual(a.snaps.map(plain));
    // Passes interleaved batch by batch, each started while the other runs, then sequential
    // passes that take the buffer the earlier ones gave back.
    const ia = (ta.snapshotColumns as NonNullable<TraceSource['snapshotColumns']>)()[Symbol.asyncIterator]();
    const ib = (tb.snapshotColumns as NonNullable<TraceSource['snapshotColumns']>)()[Symbol.asyncIterator]();
    const gotA: Snapshot[] = [];
    const gotB: Snapshot[] = [];
    for (let doneA = false, doneB = false; !doneA || !doneB; ) {
      if (!doneA) {
        const r = await ia.next();
        if (r.done === true) doneA = true;
        else for (let k = 0; k < r.value.count; k++) gotA.push(structuredClone(snapshotOfColumns(r.value, k)));
      }
      if (!doneB) {
        const r = await ib.next();
        if (r.done === true) doneB = true;
        else for (let k = 0; k < r.value.count; k++) gotB.push(structuredClone(snapshotOfColumns(r.value, k)));
      }
    }
    expect(gotA.map(plain)).toEqual(a.snaps.map(plain));
    expect(gotB.map(plain)).toEqual(b.snaps.map(plain));
    expect((await fromColumns(tb)).map(plain)).toEqual(b.snaps.map(plain));
    expect((await fromColumns(ta)).map(plain)).toEqual(a.snaps.map(plain));
    expect([...ta.warnings, ...tb.warnings]).toEqual([]);
  });

  it('reads around a damaged frame exactly as the per-snapshot pass does, with the same warning', async () => {
    for (const snapshotsPerBlock of [1, 4]) {
      const { path } = write({ name: 'damaged', nrSnapshots: 120, nrRegionsPerSnapshot: 18, nrTargets: 2, snapshotsPerBlock });
      const bytes = readFileSync(path);
      for (const at of [0.3, 0.55, 0.8]) {
        const copy = Buffer.from(bytes);
        const offset = Math.floor(bytes.length * at);
        copy[offset] = (copy[offset] as number) ^ 0x5a;
        const damaged = join(dir, `d${counter++}.damo`);
        writeFileSync(damaged, copy);
        const a = await openProtobufTrace(damaged);
        const columns = await fromColumns(a);
        const b = await openProtobufTrace(damaged);
        const snaps = await perSnapshot(b);
        expect(columns.map(plain), `flip at ${offset}`).toEqual(snaps.map(plain));
        expect(columns.length, `flip at ${offset}`).toBeLessThan(120);
        expect(a.warnings, `flip at ${offset}`).toEqual(b.warnings);
        expect(a.warnings.length, `flip at ${offset}`).toBe(1);
      }
    }
  });
});

describe('inflateBlocks', () => {
  it('inflates a run that mixes stored and deflate blocks, stored ones longer than one deflate stored block included', () => {
    let seed = 5;
    const noise = (n: number): Uint8Array =>
      Uint8Array.from({ length: n }, () => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 8) & 0xff;
      });
    const text = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => 97 + (i % 7));
    const raws = [noise(300), text(5000), noise(70_000), text(100), noise(10), text(40_000)];
    let dictionary: Uint8Array = new Uint8Array(0);
    let position = 0;
    const headers = raws.map((raw) => {
      const h = parseBlockPayload(encodeBlockPayload({ segment: 0, position, count: 1, nrRegions: 0, rawBytes: raw.length }, raw, dictionary));
      dictionary = nextDictionary(dictionary, raw);
      position += 1;
      return h;
    });
    expect(headers.map((h) => h.codec)).toEqual([BlockCodec.Stored, BlockCodec.Deflate, BlockCodec.Stored, BlockCodec.Deflate, BlockCodec.Stored, BlockCodec.Deflate]);
    const expected = Buffer.concat(raws);
    expect(Buffer.compare(inflateBlocks(headers, new Uint8Array(0)), expected)).toBe(0);
    // From the middle of the segment, with the dictionary the blocks before it leave.
    expect(Buffer.compare(inflateBlocks(headers.slice(3), nextDictionary(nextDictionary(nextDictionary(new Uint8Array(0), raws[0] as Uint8Array), raws[1] as Uint8Array), raws[2] as Uint8Array)), Buffer.concat(raws.slice(3)))).toBe(0);
  });
});

describe('SegmentDeflater', () => {
  // Text that repeats across blocks, so that blocks refer back into the ones before them.
  const text = (n: number, phase: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => 97 + ((i * 7 + phase) % 23) + (i % 4096 === 0 ? 1 : 0));
  const raws = [text(5000, 0), text(100, 3), text(40_000, 5), text(20, 1), text(70_000, 2), text(3000, 0)];
  const encode = (raw: Uint8Array, position: number, dictionary: Uint8Array, deflated: Uint8Array | null): ReturnType<typeof parseBlockPayload> =>
    parseBlockPayload(encodeBlockPayload({ segment: 0, position, count: 1, nrRegions: 0, rawBytes: raw.length }, raw, dictionary, deflated ?? undefined));

  it('writes blocks that inflate together, and each alone from the dictionary of the blocks before it', () => {
    const deflater = new SegmentDeflater();
    let dictionary: Uint8Array = new Uint8Array(0);
    const dictionaries: Uint8Array[] = [];
    const headers = raws.map((raw, position) => {
      const deflated = deflater.deflate(raw, dictionary);
      expect(deflated).not.toBeNull();
      const h = encode(raw, position, dictionary, deflated);
      dictionaries.push(dictionary);
      dictionary = nextDictionary(dictionary, raw);
      return h;
    });
    deflater.drop();
    expect(headers.every((h) => h.codec === BlockCodec.Deflate)).toBe(true);
    expect(Buffer.compare(inflateBlocks(headers, new Uint8Array(0)), Buffer.concat(raws))).toBe(0);
    headers.forEach((h, k) => {
      expect(Buffer.compare(inflateBlocks([h], dictionaries[k] as Uint8Array), Buffer.from(raws[k] as Uint8Array)), `block ${k} alone`).toBe(0);
    });
  });

  it("deflates a segment's first block as deflating it alone does", () => {
    const deflater = new SegmentDeflater();
    const raw = raws[0] as Uint8Array;
    const streamed = Buffer.from(deflater.deflate(raw, new Uint8Array(0)) as Uint8Array);
    deflater.drop();
    expect(Buffer.compare(streamed, Buffer.from(encode(raw, 0, new Uint8Array(0), null).data))).toBe(0);
  });

  it('after drop() (a block whose frame was not written), the next block starts from the dictionary', () => {
    const deflater = new SegmentDeflater();
    let dictionary: Uint8Array = new Uint8Array(0);
    const headers = [];
    for (const [k, raw] of raws.entries()) {
      if (k === 2) {
        // Deflated, but its write fails: the stream has taken bytes the file will not have.
        deflater.deflate(raw, dictionary);
        deflater.drop();
      }
      headers.push(encode(raw, k, dictionary, deflater.deflate(raw, dictionary)));
      dictionary = nextDictionary(dictionary, raw);
    }
    deflater.drop();
    expect(Buffer.compare(inflateBlocks(headers, new Uint8Array(0)), Buffer.concat(raws))).toBe(0);
  });
});
