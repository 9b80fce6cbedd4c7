// SPDX-License-Identifier: GPL-2.0-only
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import { DamoError } from '../../src/core/errors.js';
import { type DamosFilterInfo, type Snapshot, snapshotCopyOfColumns, type TraceHeader, type TraceTarget } from '../../src/core/model.js';
import {
  ByteSink,
  codeSnapshot,
  ColumnBuffers,
  decodeColumns,
  newTimeContext,
  SEGMENT_MAX_SNAPSHOTS,
  SEGMENT_MIN_REGIONS,
  SEGMENT_MIN_SNAPSHOTS,
} from '../../src/format/snapshot_block.js';
import { syntheticHeader, syntheticSnapshots } from '../../src/format/synthetic.js';
import { openProtobufTrace, type ProtobufTrace } from '../../src/format/trace_reader.js';
import { TraceWriter } from '../../src/format/trace_writer.js';

const dir = mkdtempSync(join(tmpdir(), 'damo-trace-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const tmpPath = (): string => join(dir, `t${counter++}.damo`);

function writeTrace(path: string, header: TraceHeader, snapshots: Iterable<Snapshot>, endReason: string | null = 'done'): TraceWriter {
  const w = TraceWriter.create(path, header);
  for (const s of snapshots) w.writeSnapshot(s);
  if (endReason === null) w.abandon();
  else w.close(endReason);
  return w;
}

async function collect(trace: ProtobufTrace): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for await (const s of trace.snapshots()) out.push(s);
  return out;
}

/** A header or records as the expected JSON fixtures hold them (bigints as text, arrays plain). */
const json = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Float64Array ? Array.from(x) : x)));

const plain = (s: Snapshot): unknown => ({
  ...s,
  starts: Array.from(s.starts),
  ends: Array.from(s.ends),
  nrAccesses: Array.from(s.nrAccesses),
  ages: Array.from(s.ages),
});

describe('trace writer and reader', () => {
  it('round-trips header, snapshots, events and trailer', async () => {
    const path = tmpPath();
    const spec = { nrSnapshots: 30, nrRegionsPerSnapshot: 40, nrTargets: 2, seed: 7 };
    const header = syntheticHeader(spec);
    header.targets[0] = { id: 18446623438842320000n, pid: 1, cmdline: 'x' };
    const snaps = [...syntheticSnapshots(spec)];
    const w = TraceWriter.create(path, header);
    w.writeEvent({ timeNs: 5, kind: 'layout-update', message: 'new mapping', targetIndex: 1 });
    for (const s of snaps) w.writeSnapshot(s);
    w.writeSchemeStats({
      timeNs: 9,
      schemeIndex: 0,
      targetIndex: 0,
      nrTried: 1,
      szTriedBytes: 4096,
      nrApplied: 1,
      szAppliedBytes: 4096,
      qtExceeds: 0,
      szOpsFilterPassedBytes: 0,
    });
    w.close('target-exit');
    expect(w.bytesWritten).toBe(statSync(path).size);

    const trace = await openProtobufTrace(path);
    expect(trace.header.targets[0]?.id).toBe(18446623438842320000n);
    expect(trace.header.intervals).toEqual(header.intervals);
    const got = await collect(trace);
    expect(got.map(plain)).toEqual(snaps.map(plain));
    expect(trace.trailer()).toEqual({
      nrSnapshots: 30,
      nrRegions: 30 * 40,
      endNs: snaps[snaps.length - 1]?.endNs,
      endReason: 'target-exit',
    });
    const kinds: string[] = [];
    for await (const r of trace.records()) kinds.push(r.kind);
    expect(kinds[0]).toBe('event');
    expect(kinds.slice(-2)).toEqual(['scheme-stats', 'trailer']);
    expect(trace.warnings).toEqual([]);
    // A second pass reads the same data again.
    expect((await collect(trace)).length).toBe(30);
  });

  it('round-trips random traces (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer(),
        async (nrSnapshots, nrRegions, nrTargets, seed) => {
          const path = tmpPath();
          const spec = { nrSnapshots, nrRegionsPerSnapshot: nrRegions, nrTargets, seed };
          const snaps = [...syntheticSnapshots(spec)];
          writeTrace(path, syntheticHeader(spec), snaps);
          const trace = await openProtobufTrace(path, { strict: true });
          expect((await collect(trace)).map(plain)).toEqual(snaps.map(plain));
          expect(trace.trailer()?.nrSnapshots).toBe(nrSnapshots);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('round-trips the DAMOS filters, the intervals goal and per-snapshot DAMOS stats (format version 4)', async () => {
    const path = tmpPath();
    const spec = { nrSnapshots: 40, nrRegionsPerSnapshot: 3, nrTargets: 2, seed: 5 };
    const header = syntheticHeader(spec);
    const filters: DamosFilterInfo[] = [
      { filterType: 'anon', matching: true, allow: true, memcgPath: '', addressRange: null, damonTargetIdx: null, hugepageSize: [0, 0] },
      // damo writes ULONG_MAX for an unbounded hugepage size; the model holds it as 2^64.
      { filterType: 'hugepage_size', matching: false, allow: false, memcgPath: '', addressRange: null, damonTargetIdx: null, hugepageSize: [2097152, 2 ** 64] },
      { filterType: 'addr', matching: true, allow: false, memcgPath: '', addressRange: [4096, 2 ** 53 + 2], damonTargetIdx: null, hugepageSize: null },
      { filterType: 'target', matching: true, allow: true, memcgPath: '', addressRange: null, damonTargetIdx: 3, hugepageSize: null },
      { filterType: 'memcg', matching: true, allow: true, memcgPath: '/sys/fs/cgroup/a b', addressRange: null, damonTargetIdx: null, hugepageSize: null },
    ];
    header.targets[1] = { ...(header.targets[1] as TraceTarget), schemeFilters: filters };
    header.intervalsGoal = { accessBp: 412.5, aggrs: 3, minSampleUs: 5000, maxSampleUs: 10000000 };
    const snaps = [...syntheticSnapshots(spec)].map((s, k) => {
      if (k % 3 === 0) s.damosStats = { nrTried: k, szTriedBytes: 4096 * k, nrApplied: 1, szAppliedBytes: 2 ** 40, szOpsFilterPassedBytes: 8192, qtExceeds: 2, nrSnapshots: k + 1, maxNrSnapshots: 0 };
      if (k % 4 === 0) s.szFilterPassed = Float64Array.from(s.starts, () => 4096);
      return s;
    });
    for (const perBlock of [1, SEGMENT_MAX_SNAPSHOTS]) {
      const w = TraceWriter.create(path, header, { snapshotsPerBlock: perBlock });
      for (const s of snaps) w.writeSnapshot(s);
      w.close('done');
      const trace = await openProtobufTrace(path, { strict: true });
      expect(trace.header.formatVersion).toBe(4);
      expect(trace.header.targets[0]?.schemeFilters).toBeUndefined();
      expect(trace.header.targets[1]?.schemeFilters).toEqual(filters);
      expect(trace.header.intervalsGoal).toEqual(header.intervalsGoal);
      expect((await collect(trace)).map(plain)).toEqual(snaps.map(plain));
      const fromColumns: Snapshot[] = [];
      for await (const c of (trace.snapshotColumns as NonNullable<typeof trace.snapshotColumns>)()) {
        for (let k = 0; k < c.count; k++) fromColumns.push(snapshotCopyOfColumns(c, k));
      }
      expect(fromColumns.map(plain)).toEqual(snaps.map(plain));
      expect(trace.warnings).toEqual([]);
    }
  });

  it("a snapshot's SnapshotMore that runs past its block, or does not decode, is damage", () => {
    const [snap] = [...syntheticSnapshots({ nrSnapshots: 1, nrRegionsPerSnapshot: 2 })] as [Snapshot];
    const code = (s: Snapshot): Uint8Array => {
      const sink = new ByteSink();
      codeSnapshot(s, newTimeContext(), sink);
      return Uint8Array.from(sink.view());
    };
    const without = code(snap);
    snap.damosStats = { nrTried: 1, szTriedBytes: 2, nrApplied: 3, szAppliedBytes: 4, szOpsFilterPassedBytes: 5, qtExceeds: 6, nrSnapshots: 7, maxNrSnapshots: 8 };
    const raw = code(snap);
    expect(decodeColumns(raw, 1, 2, newTimeContext()).extras?.[0]?.damosStats).toEqual(snap.damosStats);
    // The message comes last: its length (one byte here), then its bytes.
    expect(raw[without.length]).toBe(raw.length - without.length - 1);
    expect(() => decodeColumns(raw.subarray(0, raw.length - 1), 1, 2, newTimeContext())).toThrow(DamoError);
    const garbled = raw.slice();
    garbled[without.length + 1] = 0x0f; // a field tag of wire type 7, which protobuf has not
    expect(() => decodeColumns(garbled, 1, 2, newTimeContext())).toThrow(DamoError);
  });

  it("decodes snapshots' shapes alone (countsOnly) as the full decode gives them, and finds the same damage", () => {
    const page = 4096;
    const big = 2 ** 46;
    const snap = (targetIndex: number, startNs: number, endNs: number, bounds: Array<[number, number]>, more: Partial<Snapshot> = {}, withAges = true): Snapshot => ({
      targetIndex,
      startNs,
      endNs,
      starts: Float64Array.from(bounds, (b) => b[0]),
      ends: Float64Array.from(bounds, (b) => b[1]),
      nrAccesses: Float64Array.from(bounds, (_, i) => (i * 37) % 300),
      ages: Float64Array.from(bounds, (_, i) => (withAges ? i * 1000 : -1)),
      ...more,
    });
    const snaps: Snapshot[] = [
      // Contiguous, then gaps back and forth; sizes of one to three varint bytes; large addresses.
      snap(0, 1e9, 1.1e9, [[big, big + page], [big + page, big + 300 * page], [big + 2 ** 30, big + 2 ** 30 + page], [page, 2 * page]]),
      snap(1, 1.1e9, 1.2e9, [], { totalBytes: 0 }),
      // No ages; a total_bytes; filter results; a non-integral time.
      snap(0, 1.2e9 + 0.5, 1.3e9, [[0, page], [page, 70000 * page]], { totalBytes: 70000 * page, szFilterPassed: Float64Array.of(page, 0) }, false),
      snap(1, 1.3e9, 1.31e9, [[page, 2 * page], [2 * page, 9 * page], [20 * page, 21 * page]], {}, false),
      snap(2, 1.31e9, 1.4e9, [[page * 3, page * 5]], { sampleIntervalUs: 5000, damosStats: { nrTried: 1, szTriedBytes: 2, nrApplied: 3, szAppliedBytes: 4, szOpsFilterPassedBytes: 5, qtExceeds: 6, nrSnapshots: 7, maxNrSnapshots: 8 } }),
    ];
    const sink = new ByteSink();
    const ctx = newTimeContext();
    for (const s of snaps) codeSnapshot(s, ctx, sink);
    const raw = Uint8Array.from(sink.view());
    const nrRegions = snaps.reduce((n, s) => n + s.starts.length, 0);
    const full = decodeColumns(raw, snaps.length, nrRegions, newTimeContext());
    const counts = decodeColumns(raw, snaps.length, nrRegions, newTimeContext(), new ColumnBuffers(true));
    for (const key of ['count', 'targetIndex', 'startNs', 'endNs', 'offsets'] as const) expect(counts[key]).toEqual(full[key]);
    expect([...counts.offsets]).toEqual([0, 4, 4, 6, 9, 10]);
    expect(counts.starts.length).toBe(0);
    // Cut short anywhere, or told of more regions than there are: the same errors as the full decode.
    for (const cut of [1, 5, raw.length - 1]) {
      expect(() => decodeColumns(raw.subarray(0, cut), snaps.length, nrRegions, newTimeContext())).toThrow(DamoError);
      expect(() => decodeColumns(raw.subarray(0, cut), snaps.length, nrRegions, newTimeContext(), new ColumnBuffers(true))).toThrow(DamoError);
    }
    expect(() => decodeColumns(raw, snaps.length, nrRegions + 1, newTimeContext(), new ColumnBuffers(true))).toThrow(DamoError);
  });

  it('a trace offers the counts of its snapshots alone, block runs and damaged blocks alike', async () => {
    const path = tmpPath();
    const spec = { nrSnapshots: 700, nrRegionsPerSnapshot: 18, nrTargets: 2 };
    writeTrace(path, syntheticHeader(spec), syntheticSnapshots(spec));
    const shapes = async (trace: ProtobufTrace, counts: boolean): Promise<number[][]> => {
      const out: number[][] = [];
      const batches = counts ? trace.snapshotCounts?.() : trace.snapshotColumns?.();
      for await (const c of batches ?? []) for (let k = 0; k < c.count; k++) out.push([c.targetIndex[k] as number, c.startNs[k] as number, (c.offsets[k + 1] as number) - (c.offsets[k] as number)]);
      return out;
    };
    const trace = await openProtobufTrace(path, { strict: true });
    const want = await shapes(trace, false);
    expect(want.length).toBe(700);
    expect(await shapes(trace, true)).toEqual(want);
    // A flipped byte inside a block: both passes lose the same snapshots.
    const bytes = readFileSync(path);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(path, bytes);
    const damaged = await openProtobufTrace(path, { strict: false });
    const left = await shapes(damaged, false);
    expect(left.length).toBeLessThan(700);
    expect(await shapes(damaged, true)).toEqual(left);
  });

  it('a header without the version 4 fields reads without them', async () => {
    const path = tmpPath();
    const spec = { nrSnapshots: 2, nrRegionsPerSnapshot: 3 };
    writeTrace(path, syntheticHeader(spec), syntheticSnapshots(spec));
    const trace = await openProtobufTrace(path, { strict: true });
    expect(trace.header.intervalsGoal).toBeUndefined();
    expect(trace.header.targets.every((t) => t.schemeFilters === undefined)).toBe(true);
    for (const s of await collect(trace)) expect(s.damosStats).toBeUndefined();
  });

  it('creates files with mode 600 by default', () => {
    const path = tmpPath();
    writeTrace(path, syntheticHeader({ nrSnapshots: 0, nrRegionsPerSnapshot: 0 }), []);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('reads a file without trailer (recorder killed) with no warning', async () => {
    const path = tmpPath();
    const spec = { nrSnapshots: 5, nrRegionsPerSnapshot: 10 };
    writeTrace(path, syntheticHeader(spec), syntheticSnapshots(spec), null);
    const trace = await openProtobufTrace(path, { strict: true });
    expect((await collect(trace)).length).toBe(5);
    expect(trace.trailer()).toBeNull();
    expect(trace.warnings).toEqual([]);
  });
});

describe('format version 1', () => {
  it('reads a trace written by format version 1 (one protobuf message per snapshot)', async () => {
    const fixture = join(import.meta.dirname, '../fixtures/trace/v1.damo');
    const expected = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/trace/v1.expected.json'), 'utf8')) as {
      header: Record<string, unknown>;
      records: unknown[];
    };
    const trace = await openProtobufTrace(fixture, { strict: true });
    expect(json(trace.header)).toEqual(expected.header);
    const records: unknown[] = [];
    for await (const r of trace.records()) records.push(r);
    expect(json(records)).toEqual(expected.records);
    const snapshots = await collect(trace);
    expect(snapshots.length).toBe(6);
    expect(trace.warnings).toEqual([]);
  });
});

describe('format versions 2 and 3', () => {
  for (const [name, what] of [
    ['v2.recorded.damo', 'format version 2 (segments of 32 snapshots)'],
    ['v2.converted.damo', 'format version 2 (segments of 32 snapshots)'],
    ['v3.recorded.damo', 'format version 3 (one segment of 70 snapshots)'],
    ['v3.converted.damo', 'format version 3 (one segment of 70 snapshots)'],
  ] as const) {
    it(`reads a trace written by ${what}: ${name}`, async () => {
      const version = name.slice(0, 2);
      const expected = JSON.parse(readFileSync(join(import.meta.dirname, `../fixtures/trace/${version}.expected.json`), 'utf8')) as {
        header: Record<string, unknown>;
        records: { kind: string; snapshot?: unknown }[];
      };
      const trace = await openProtobufTrace(join(import.meta.dirname, '../fixtures/trace', name), { strict: true });
      expect(json(trace.header)).toEqual(expected.header);
      const records: unknown[] = [];
      for await (const r of trace.records()) records.push(r);
      expect(json(records)).toEqual(expected.records);
      // The column pass (the reports' path) reads the same snapshots.
      const fromColumns: unknown[] = [];
      for await (const c of (trace.snapshotColumns as NonNullable<typeof trace.snapshotColumns>)()) {
        for (let k = 0; k < c.count; k++) fromColumns.push({ kind: 'snapshot', snapshot: snapshotCopyOfColumns(c, k) });
      }
      expect(json(fromColumns)).toEqual(expected.records.filter((r) => r.kind === 'snapshot'));
      expect(trace.warnings).toEqual([]);
    });
  }
});

describe('damaged files', () => {
  const spec = { nrSnapshots: 6, nrRegionsPerSnapshot: 5, seed: 3 };
  const snaps = [...syntheticSnapshots(spec)];
  const good = tmpPath();
  writeTrace(good, syntheticHeader(spec), snaps);
  const bytes = readFileSync(good);

  /** Byte offsets where each snapshot frame ends (header frame first). */
  async function frameEnds(): Promise<number[]> {
    const ends: number[] = [];
    let offset = 8;
    while (offset < bytes.length) {
      const len = bytes.readUInt32LE(offset);
      offset += 12 + len + 4;
      ends.push(offset);
    }
    return ends;
  }

  it('yields exactly the complete snapshots before a cut, at every byte offset', async () => {
    const ends = await frameEnds();
    const headerEnd = ends[0] as number;
    const snapshotEnds = ends.slice(1, 1 + snaps.length);
    const cutPath = tmpPath();
    for (let cut = 0; cut < bytes.length; cut++) {
      writeFileSync(cutPath, bytes.subarray(0, cut));
      if (cut < headerEnd) {
        await expect(openProtobufTrace(cutPath)).rejects.toBeInstanceOf(DamoError);
        continue;
      }
      const trace = await openProtobufTrace(cutPath);
      const got = await collect(trace);
      const expected = snapshotEnds.filter((e) => e <= cut).length;
      expect(got.map(plain)).toEqual(snaps.slice(0, expected).map(plain));
      const atBoundary = ends.includes(cut);
      expect(trace.warnings.length).toBe(atBoundary ? 0 : 1);
      if (!atBoundary) {
        expect(trace.warnings[0]).toMatch(/ends inside a frame at byte offset \d+/);
        // --strict turns the warning into an error.
        const strict = await openProtobufTrace(cutPath, { strict: true });
        await expect(collect(strict)).rejects.toMatchObject({ code: 'E_TRUNCATED' });
      }
    }
  });

  it('14.4 a flipped byte costs its frame and the rest of its segment: the others are read, with one warning naming the damage', async () => {
    const ends = await frameEnds();
    const headerEnd = ends[0] as number;
    const snapshotEnds = ends.slice(1, 1 + snaps.length);
    const flipPath = tmpPath();
    for (let offset = 0; offset < bytes.length; offset++) {
      const copy = Buffer.from(bytes);
      copy[offset] = (copy[offset] as number) ^ 0x5a;
      writeFileSync(flipPath, copy);
      if (offset >= 8 && offset < headerEnd) {
        // The header frame holds what every report needs: no recovery without it.
        await expect(openProtobufTrace(flipPath), `flip at ${offset}`).rejects.toMatchObject({
          code: 'E_CORRUPT',
          message: expect.stringMatching(/header is damaged/),
        });
        continue;
      }
      const trace = await openProtobufTrace(flipPath);
      const got = await collect(trace);
      const damagedIndex = snapshotEnds.findIndex((end) => offset < end);
      // A block continues its segment's deflate stream: the blocks after a lost one in the
      // same segment are lost with it (all six snapshots here are in one segment).
      const expected = snaps.filter((_, i) => offset < 8 || damagedIndex === -1 || i < damagedIndex);
      expect(got.map(plain), `flip at ${offset}`).toEqual(expected.map(plain));
      expect(trace.warnings.length, `flip at ${offset}`).toBe(1);
      if (offset >= 8) {
        const frameStart = damagedIndex === -1 ? (snapshotEnds.at(-1) as number) : damagedIndex === 0 ? headerEnd : (snapshotEnds[damagedIndex - 1] as number);
        expect(trace.warnings[0], `flip at ${offset}`).toContain(`byte ranges ${frameStart}-`);
        expect(trace.warnings[0]).toMatch(
          damagedIndex === -1 ? /at least 0 snapshot\(s\) skipped/ : new RegExp(`${snaps.length - damagedIndex} snapshot\\(s\\) skipped`),
        );
      } else {
        expect(trace.warnings[0]).toMatch(/header is damaged/);
      }
      // --strict turns the damage into an error naming the offset.
      const strictRead = async (): Promise<unknown> => collect(await openProtobufTrace(flipPath, { strict: true }));
      await expect(strictRead(), `flip at ${offset}`).rejects.toMatchObject({ code: 'E_CORRUPT' });
    }
  });

  it('14.4 resyncs after damage that destroys a frame header', async () => {
    const ends = await frameEnds();
    const copy = Buffer.from(bytes);
    // Wipe the second snapshot's frame header and the start of its payload.
    const start = ends[1] as number;
    copy.fill(0xff, start, start + 16);
    const path = tmpPath();
    writeFileSync(path, copy);
    const trace = await openProtobufTrace(path);
    const got = await collect(trace);
    // The rest of the segment after the lost block goes with it.
    expect(got.map(plain)).toEqual(snaps.slice(0, 1).map(plain));
    expect(trace.warnings).toEqual([expect.stringContaining(`byte ranges ${start}-${ends[2]} (frame header checksum mismatch)`)]);
    expect(trace.warnings[0]).toContain(`${ends[2]}-${ends[3]} (an earlier block of its segment was lost)`);
    expect(trace.warnings[0]).toContain('5 snapshot(s) skipped (the trailer counts 6, 1 were read)');
    await expect(collect(await openProtobufTrace(path, { strict: true }))).rejects.toThrow(`corrupt frame at byte offset ${start}`);
  });

  // A segment closes at SEGMENT_MIN_SNAPSHOTS snapshots once it holds SEGMENT_MIN_REGIONS
  // regions, and at SEGMENT_MAX_SNAPSHOTS whatever their size.
  for (const [nrRegionsPerSnapshot, segmentLength] of [
    [3, SEGMENT_MAX_SNAPSHOTS],
    [SEGMENT_MIN_REGIONS / SEGMENT_MIN_SNAPSHOTS, SEGMENT_MIN_SNAPSHOTS],
  ] as const) {
  it(`14.4 damage costs at most the rest of one segment (${segmentLength} snapshots of ${nrRegionsPerSnapshot} regions): later segments are read`, async () => {
    const long = { nrSnapshots: 2 * segmentLength + 5, nrRegionsPerSnapshot, seed: 5 };
    const all = [...syntheticSnapshots(long)];
    const path = tmpPath();
    writeTrace(path, syntheticHeader(long), all);
    const copy = readFileSync(path);
    let offset = 8;
    const frameStarts: number[] = [];
    while (offset < copy.length) {
      frameStarts.push(offset);
      offset += 16 + copy.readUInt32LE(offset);
    }
    // Flip a payload byte of the block holding snapshot 3 (frame 0 is the header).
    const hit = frameStarts[1 + 3] as number;
    copy[hit + 14] = (copy[hit + 14] as number) ^ 0x01;
    writeFileSync(path, copy);
    const trace = await openProtobufTrace(path);
    const got = await collect(trace);
    const expected = all.filter((_, i) => i < 3 || i >= segmentLength);
    expect(got.map(plain)).toEqual(expected.map(plain));
    expect(trace.warnings[0]).toContain(`${segmentLength - 3} snapshot(s) skipped`);
  });
  }

  it('14.4 a damaged trailer leaves every snapshot readable', async () => {
    const ends = await frameEnds();
    const copy = Buffer.from(bytes);
    const trailerStart = ends[snaps.length] as number;
    copy[trailerStart + 13] = (copy[trailerStart + 13] as number) ^ 0x10;
    const path = tmpPath();
    writeFileSync(path, copy);
    const trace = await openProtobufTrace(path);
    expect((await collect(trace)).map(plain)).toEqual(snaps.map(plain));
    expect(trace.trailer()).toBeNull();
    expect(trace.warnings).toEqual([expect.stringContaining(`byte ranges ${trailerStart}-${bytes.length}`)]);
  });

  it('14.4 damaged magic (one byte, CRLF rewriting) is reported as a damaged trace', async () => {
    const path = tmpPath();
    const crlf = Buffer.concat([bytes.subarray(0, 7), Buffer.from([0x0d]), bytes.subarray(7)]);
    writeFileSync(path, crlf);
    await expect(openProtobufTrace(path)).rejects.toMatchObject({
      code: 'E_CORRUPT',
      message: expect.stringMatching(/this looks like a damo-ts trace whose header is damaged/),
    });
    const oneByte = Buffer.from(bytes);
    oneByte[2] = 0x61;
    writeFileSync(path, oneByte);
    await expect(openProtobufTrace(path, { strict: true })).rejects.toMatchObject({ code: 'E_CORRUPT' });
    const trace = await openProtobufTrace(path);
    expect((await collect(trace)).length).toBe(snaps.length);
    expect(trace.warnings).toEqual([expect.stringMatching(/magic bytes at offset 0 are damaged/)]);
  });

  it('says clearly when a file is not a trace', async () => {
    const path = tmpPath();
    writeFileSync(path, 'hello, this is text\n');
    await expect(openProtobufTrace(path)).rejects.toMatchObject({ code: 'E_FORMAT', message: expect.stringMatching(/not a damo-ts trace/) });
    const empty = tmpPath();
    writeFileSync(empty, '');
    await expect(openProtobufTrace(empty)).rejects.toMatchObject({ code: 'E_FORMAT', message: expect.stringMatching(/is empty/) });
    await expect(openProtobufTrace(join(dir, 'missing'))).rejects.toMatchObject({ code: 'E_NOENT' });
  });
});
