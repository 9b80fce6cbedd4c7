// SPDX-License-Identifier: GPL-2.0-only
/**
 * Streamed reading of damo json files (format/damo/json_source.ts): every pass gives what
 * the in-memory reader gives, whatever the chunking, over several records, several passes
 * and passes cut short; damaged and truncated files fail with a clear error.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';

import { describe, expect, it, vi } from 'vitest';

import { snapshotCopyOfColumns, type Snapshot, type TraceSource } from '../../src/core/model.js';
import { damoJsonChunks, DamoJsonParser } from '../../src/format/damo/json_reader.js';
import { openDamoJson, readDamoJson, StreamedDamoJsonSource } from '../../src/format/damo/json_source.js';
import { KeptSnapshots } from '../../src/format/damo/kept_snapshots.js';
import type { PendingSnapshot } from '../../src/format/damo/records.js';
import { runMain } from '../cli/helpers.js';
import { readDamoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const SUITE = 'damo-3.3.0-tests-report';

interface RegionJson {
  start: number;
  end: number;
  nr_accesses: { samples: number; percent: null };
  age: { usec: null; aggr_intervals: number };
}

/** A damo-layout record file with several records (one without snapshots, one id twice). */
function multiRecordText(
  times: (i: number) => [number | string, number | string] = (i) => [1000 + i * 100, 1100 + i * 100],
  counts: readonly [number, number, number, number] = [40, 0, 25, 10],
): string {
  const record = (id: number, nrSnapshots: number, seed: number): unknown => ({
    kdamond_idx: 0,
    context_idx: 0,
    intervals: { sample_us: '5000', aggr_us: '100000', ops_update_us: '1000000' },
    scheme_idx: null,
    target_id: id,
    snapshots: Array.from({ length: nrSnapshots }, (_, i) => {
      const [start, end] = times(i);
      const regions: RegionJson[] = Array.from({ length: 1 + ((i * 7 + seed) % 23) }, (_, r) => ({
        start: 4096 * (r * 10 + seed),
        end: 4096 * (r * 10 + seed + 1 + (r % 3)),
        nr_accesses: { samples: (r * 13 + i + seed) % 21, percent: null },
        age: { usec: null, aggr_intervals: (r + i) % 5 },
      }));
      return { start_time: start, end_time: end, regions, total_bytes: 1 << 20 };
    }),
  });
  return JSON.stringify([record(11, counts[0], 1), record(22, counts[1], 2), record(33, counts[2], 3), record(11, counts[3], 4)], null, 4);
}

function testRecordingText(): Buffer {
  return inflateSync(readDamoFixture(`${SUITE}/damon.data.json_compressed`));
}

type Flat = [number, number, number, number[], number[], number[], number[], number | undefined];

function flat(s: Snapshot): Flat {
  return [s.targetIndex, s.startNs, s.endNs, [...s.starts], [...s.ends], [...s.nrAccesses], [...s.ages], s.totalBytes];
}

async function allSnapshots(src: TraceSource): Promise<Flat[]> {
  const out: Flat[] = [];
  for await (const s of src.snapshots()) out.push(flat(s));
  return out;
}

function targetsOf(src: TraceSource): Array<string | null> {
  return src.header.targets.map((t) => (t.id === null ? null : t.id.toString()));
}

describe('streamed damo json', () => {
  const dir = fileTempDir('damo-ts-json-stream-');
  const write = (name: string, data: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };

  it('gives, pass after pass, what the in-memory reader gives (several records, json and json_compressed)', async () => {
    // The first record is longer than a chunk (1 MiB), so opening sees only that one.
    const text = multiRecordText(undefined, [800, 0, 25, 10]);
    expect(text.length).toBeGreaterThan(2 << 20);
    for (const [name, data, compressed] of [
      ['multi.json', text, false],
      ['multi.json_compressed', deflateSync(text), true],
      ['test.json_compressed', deflateSync(testRecordingText()), true],
    ] as const) {
      const path = write(name, data);
      const memory = await readDamoJson(path, { compressed });
      const expected = await allSnapshots(memory);
      const grow = await openDamoJson(path, { compressed, inMemoryMaxBytes: 0, keptMaxRegions: 0 });
      expect(grow).toBeInstanceOf(StreamedDamoJsonSource);
      // Only the first record is known before the first pass; the pass adds the others.
      if (name.startsWith('multi')) expect(grow.header.targets.length).toBe(1);
      expect(await allSnapshots(grow)).toEqual(expected);
      expect(targetsOf(grow)).toEqual(targetsOf(memory));
      expect(await allSnapshots(grow)).toEqual(expected);
      expect(targetsOf(grow)).toEqual(targetsOf(memory));
      expect(grow.header.baseTimeNs).toBe(memory.header.baseTimeNs);
      expect(grow.header.intervals).toEqual(memory.header.intervals);

      for (const keptMaxRegions of [0, 1 << 20]) {
        const complete = await openDamoJson(path, { compressed, inMemoryMaxBytes: 0, completeTargets: true, keptMaxRegions });
        expect(targetsOf(complete)).toEqual(targetsOf(memory));
        expect(await allSnapshots(complete)).toEqual(expected);
        expect(await allSnapshots(complete)).toEqual(expected);
      }
      // A file small enough is kept by its first complete pass; the next ones read no file.
      const kept = await openDamoJson(path, { compressed, inMemoryMaxBytes: 0 });
      expect(await allSnapshots(kept)).toEqual(expected);
      rmSync(path);
      expect(await allSnapshots(kept)).toEqual(expected);
    }
  });

  it('fills its region memory again batch after batch of a column pass without changing what a batch holds', async () => {
    // 240,000 regions: several of the parser's 65,536-region arenas, so later batches reuse
    // the memory of earlier ones; some snapshots carry filter results, most do not.
    const snapshots = Array.from({ length: 6000 }, (_, i) => ({
      start_time: 1000 + i * 100,
      end_time: 1100 + i * 100,
      regions: Array.from({ length: 40 }, (_, r) => ({
        start: 4096 * (r * 10 + i),
        end: 4096 * (r * 10 + i + 1 + (r % 3)),
        nr_accesses: { samples: (r * 13 + i) % 21, percent: null },
        age: { usec: null, aggr_intervals: (r + i) % 5 },
        ...(i % 7 === 0 ? { sz_filter_passed: 4096 * ((r + i) % 5) } : {}),
      })),
    }));
    const path = write('arenas.json_compressed', deflateSync(JSON.stringify([{ target_id: 1, intervals: null, snapshots }])));
    const memory = await readDamoJson(path, { compressed: true });
    const expected: Snapshot[] = [];
    for await (const snap of memory.snapshots()) expected.push(snap);
    // Kept snapshots (keptMaxRegions) outlive their batch: their memory must not be reused.
    // Arenas of 81 regions switch every 2 snapshots, many times within a batch.
    for (const [keptMaxRegions, arenaRegions] of [[0, undefined], [1 << 20, undefined], [0, 81], [1 << 20, 81]] as const) {
      const src = await openDamoJson(path, { compressed: true, inMemoryMaxBytes: 0, keptMaxRegions, arenaRegions });
      for (let pass = 0; pass < 2; pass++) {
        const got: Snapshot[] = [];
        for await (const c of src.snapshotColumns!()) for (let k = 0; k < c.count; k++) got.push(snapshotCopyOfColumns(c, k));
        expect(got.length).toBe(6000);
        expect(got.map(flat)).toEqual(expected.map(flat));
        expect(got.map((g) => g.szFilterPassed && [...g.szFilterPassed])).toEqual(expected.map((e) => e.szFilterPassed && [...e.szFilterPassed]));
      }
    }
  });

  it('gives in column batches what its snapshot pass gives, extras and all, kept or not', async () => {
    // damo 3.3's sz_filter_passed and damos_stats ride as extras; total_bytes alone as a column.
    const withExtras = JSON.stringify(
      (JSON.parse(multiRecordText(undefined, [300, 0, 25, 10])) as Array<{ snapshots: Array<Record<string, unknown> & { regions: Array<Record<string, unknown>> }> }>).map((rec, r) => ({
        ...rec,
        snapshots: rec.snapshots.map((snap, i) =>
          r === 2 && i % 3 === 0
            ? { ...snap, regions: snap.regions.map((reg, k) => ({ ...reg, sz_filter_passed: 4096 * k })), damos_stats: null, sample_interval_us: '5000' }
            : snap,
        ),
      })),
      null,
      4,
    );
    for (const [name, text] of [
      ['cols.json_compressed', multiRecordText(undefined, [800, 0, 25, 10])],
      ['cols-extras.json_compressed', withExtras],
      ['cols-test.json_compressed', testRecordingText().toString()],
    ] as const) {
      const path = write(name, deflateSync(text));
      const memory = await readDamoJson(path, { compressed: true });
      const expected: Snapshot[] = [];
      for await (const snap of memory.snapshots()) expected.push(snap);
      for (const keptMaxRegions of [0, 1 << 20]) {
        const src = await openDamoJson(path, { compressed: true, inMemoryMaxBytes: 0, keptMaxRegions });
        for (let pass = 0; pass < 2; pass++) {
          const got: Snapshot[] = [];
          let batches = 0;
          for await (const c of src.snapshotColumns!()) {
            batches++;
            for (let k = 0; k < c.count; k++) got.push(snapshotCopyOfColumns(c, k));
          }
          expect(batches).toBeGreaterThan(0);
          expect(got.map(flat)).toEqual(expected.map(flat));
          expect(got.map((g) => [g.sampleIntervalUs, g.szFilterPassed && [...g.szFilterPassed], g.damosStats])).toEqual(
            expected.map((e) => [e.sampleIntervalUs, e.szFilterPassed && [...e.szFilterPassed], e.damosStats]),
          );
          expect(targetsOf(src)).toEqual(targetsOf(memory));
        }
      }
    }
  });

  it('offers per-target lists once a pass kept the file, none when it keeps nothing', async () => {
    const path = write('lists.json_compressed', deflateSync(multiRecordText()));
    const memory = await readDamoJson(path, { compressed: true });
    const kept = await openDamoJson(path, { compressed: true, inMemoryMaxBytes: 0, completeTargets: true });
    expect(kept.snapshotsOfTarget).toBeDefined();
    for (let t = 0; t < memory.header.targets.length; t++) {
      expect(kept.snapshotsOfTarget!(t).map(flat)).toEqual(memory.snapshotsOfTarget(t).map(flat));
    }
    const onePass = await openDamoJson(path, { compressed: true, inMemoryMaxBytes: 0, keptMaxRegions: 0 });
    expect(await allSnapshots(onePass)).toEqual(await allSnapshots(memory));
    expect(onePass.snapshotsOfTarget).toBeUndefined();
    // Over the limit: nothing kept, every pass reads the file again.
    const tooBig = await openDamoJson(path, { compressed: true, inMemoryMaxBytes: 0, completeTargets: true, keptMaxRegions: 100 });
    expect(tooBig.snapshotsOfTarget).toBeUndefined();
    expect(await allSnapshots(tooBig)).toEqual(await allSnapshots(memory));
  });

  it('keeps the file in a column pass too, and stops trying once a pass found it too big', async () => {
    const path = write('column-keep.json_compressed', deflateSync(multiRecordText()));
    const memory = await readDamoJson(path, { compressed: true });
    const expected = await allSnapshots(memory);
    const columnsOf = async (src: TraceSource): Promise<Flat[]> => {
      const out: Flat[] = [];
      for await (const c of src.snapshotColumns!()) for (let k = 0; k < c.count; k++) out.push(flat(snapshotCopyOfColumns(c, k)));
      return out;
    };
    // Targets appear as the first pass meets them; the pass keeps every snapshot.
    const src = await openDamoJson(path, { compressed: true, inMemoryMaxBytes: 0 });
    expect(src.snapshotsOfTarget).toBeUndefined();
    expect(await columnsOf(src)).toEqual(expected);
    expect(targetsOf(src)).toEqual(['11', '22', '33', '11']);
    expect(src.snapshotsOfTarget).toBeDefined();
    for (let t = 0; t < memory.header.targets.length; t++) {
      expect(src.snapshotsOfTarget!(t).map(flat)).toEqual(memory.snapshotsOfTarget(t).map(flat));
    }
    // The next passes read no file.
    rmSync(path);
    expect(await allSnapshots(src)).toEqual(expected);
    expect(await columnsOf(src)).toEqual(expected);

    const path2 = write('column-too-big.json_compressed', deflateSync(multiRecordText()));
    // Made directly: openDamoJson() would not even try to keep a file its size says is too big.
    const opened = await openDamoJson(path2, { compressed: true, inMemoryMaxBytes: 0, keptMaxRegions: 0 });
    const tooBig = new StreamedDamoJsonSource(path2, opened.header, { compressed: true }, 100);
    expect(await columnsOf(tooBig)).toEqual(expected);
    expect(tooBig.snapshotsOfTarget).toBeUndefined();
    // A later pass does not keep either, even with the limit gone.
    (tooBig as unknown as { keptMaxRegions: number }).keptMaxRegions = 1 << 20;
    expect(await allSnapshots(tooBig)).toEqual(expected);
    expect(tooBig.snapshotsOfTarget).toBeUndefined();
  });

  it('keeps a file too big for a plain keep coded, for reports that take several passes', async () => {
    const columnsOf = async (src: TraceSource): Promise<Flat[]> => {
      const out: Flat[] = [];
      for await (const c of src.snapshotColumns!()) for (let k = 0; k < c.count; k++) out.push(flat(snapshotCopyOfColumns(c, k)));
      return out;
    };
    for (const [name, text] of [
      ['coded-multi.json_compressed', multiRecordText(undefined, [800, 0, 25, 10])],
      ['coded-test.json_compressed', testRecordingText().toString()],
    ] as const) {
      const path = write(name, deflateSync(text));
      const memory = await readDamoJson(path, { compressed: true });
      const expected = await allSnapshots(memory);
      // keptMaxRegions 100: far too few regions for a plain keep.
      for (const firstPass of ['snapshots', 'columns'] as const) {
        const src = await openDamoJson(path, { compressed: true, inMemoryMaxBytes: 0, keptMaxRegions: 100 });
        expect(src.holdsRecording).toBe(false);
        expect(firstPass === 'snapshots' ? await allSnapshots(src) : await columnsOf(src)).toEqual(expected);
        expect(src.holdsRecording).toBe(true);
        expect(src.snapshotsOfTarget).toBeUndefined();
        const copy = `${path}.moved`;
        renameSync(path, copy);
        expect(await allSnapshots(src)).toEqual(expected);
        expect(await columnsOf(src)).toEqual(expected);
        expect(targetsOf(src)).toEqual(targetsOf(memory));
        renameSync(copy, path);
      }
      // One-pass reports keep nothing, coded or not.
      const onePass = await openDamoJson(path, { compressed: true, inMemoryMaxBytes: 0, keptMaxRegions: 0 });
      expect(await allSnapshots(onePass)).toEqual(expected);
      expect(onePass.holdsRecording).toBe(false);
    }
    // sz_filter_passed cannot be coded: every pass reads the file again.
    const withPassed = JSON.stringify(
      (JSON.parse(multiRecordText()) as Array<{ snapshots: Array<{ regions: Array<Record<string, unknown>> }> }>).map((rec) => ({
        ...rec,
        snapshots: rec.snapshots.map((snap) => ({ ...snap, regions: snap.regions.map((reg, k) => ({ ...reg, sz_filter_passed: 4096 * k })) })),
      })),
      null,
      4,
    );
    const path = write('coded-refused.json_compressed', deflateSync(withPassed));
    const memory = await readDamoJson(path, { compressed: true });
    const src = await openDamoJson(path, { compressed: true, inMemoryMaxBytes: 0, keptMaxRegions: 100 });
    expect(await allSnapshots(src)).toEqual(await allSnapshots(memory));
    expect(src.holdsRecording).toBe(false);
    expect(await allSnapshots(src)).toEqual(await allSnapshots(memory));
  });

  it('does not try to keep a file whose size says it holds more regions than a pass may keep', async () => {
    const text = multiRecordText();
    const nrRegions = (text.match(/"start"/g) ?? []).length;
    const path = write('sized.json', text);
    const tried = vi.spyOn(KeptSnapshots.prototype, 'addColumns');
    try {
      const big = await openDamoJson(path, { compressed: false, inMemoryMaxBytes: 0, keptMaxRegions: Math.floor(nrRegions / 2) });
      let nrSnapshots = 0;
      for await (const c of big.snapshotColumns!()) nrSnapshots += c.count;
      expect(nrSnapshots).toBe(75);
      expect(tried).not.toHaveBeenCalled();
      expect(big.snapshotsOfTarget).toBeUndefined();
      // Room for all of it: kept.
      const small = await openDamoJson(path, { compressed: false, inMemoryMaxBytes: 0, keptMaxRegions: nrRegions * 2 });
      for await (const c of small.snapshotColumns!()) void c;
      expect(tried).toHaveBeenCalled();
      expect(small.snapshotsOfTarget).toBeDefined();
    } finally {
      tried.mockRestore();
    }
  });

  it('reads small files whole unless told otherwise', async () => {
    const path = write('small.json', multiRecordText());
    const src = await openDamoJson(path, { compressed: false });
    expect(src.snapshotsOfTarget).toBeDefined();
    expect(targetsOf(src)).toEqual(['11', '22', '33', '11']);
  });

  it('starts every pass afresh, also after a pass cut short', async () => {
    const path = write('cut.json_compressed', deflateSync(multiRecordText()));
    const src = await openDamoJson(path, { compressed: true, inMemoryMaxBytes: 0, keptMaxRegions: 0 });
    let n = 0;
    for await (const s of src.snapshots()) {
      void s;
      if (++n === 3) break;
    }
    const full = await allSnapshots(src);
    expect(full.length).toBe(75);
    expect(await allSnapshots(src)).toEqual(full);
  });

  it('parses snapshots cut anywhere by chunk boundaries', () => {
    const text = Buffer.from(multiRecordText(undefined, [6, 0, 3, 2]));
    const parse = (chunkBytes: number): Array<[number, PendingSnapshot]> => {
      const got: Array<[number, PendingSnapshot]> = [];
      const parser = new DamoJsonParser({ onSnapshot: (s, recordIndex) => got.push([recordIndex, s]) });
      for (let i = 0; i < text.length; i += chunkBytes) parser.feed(text.subarray(i, i + chunkBytes));
      parser.finish();
      return got;
    };
    const whole = parse(text.length);
    expect(whole.length).toBe(11);
    expect(whole.map(([r]) => r)).toEqual([...Array(6).fill(0), ...Array(3).fill(2), ...Array(2).fill(3)]);
    for (const size of [1, 2, 7, 61, 4099, 65537]) expect(parse(size)).toEqual(whole);
  });

  it('fails a pass over a truncated or damaged json_compressed file with a clear error', async () => {
    const packed = deflateSync(testRecordingText());
    const truncated = write('truncated.json_compressed', packed.subarray(0, Math.floor(packed.length * 0.6)));
    const src = await openDamoJson(truncated, { compressed: true, inMemoryMaxBytes: 0 });
    let n = 0;
    await expect(
      (async () => {
        for await (const s of src.snapshots()) if (s) n++;
      })(),
    ).rejects.toThrow(/zlib-compressed data ends early: the file is truncated/);
    // A streamed pass hands out the snapshots before the damage.
    expect(n).toBeGreaterThan(0);

    const damaged = Buffer.from(packed);
    for (let i = Math.floor(damaged.length / 2); i < damaged.length / 2 + 64; i++) damaged[i] = (damaged[i] as number) ^ 0x5a;
    const bad = await openDamoJson(write('damaged.json_compressed', damaged), { compressed: true, inMemoryMaxBytes: 0 });
    await expect(allSnapshots(bad)).rejects.toMatchObject({ code: 'E_FORMAT' });
  });

  it('inflates into four buffers in turn, reading what the uncompressed file gives; bytes after the zlib stream are ignored', async () => {
    const text = testRecordingText();
    expect(text.length).toBeGreaterThan(3 << 20);
    const plain = write('plain.json', text);
    const packed = write('trailing.json_compressed', Buffer.concat([deflateSync(text), Buffer.from('not zlib')]));
    const chunkBuffers = new Set<ArrayBufferLike>();
    const copies: Buffer[] = [];
    for await (const chunk of damoJsonChunks(packed, { compressed: true })) {
      chunkBuffers.add(chunk.buffer);
      copies.push(Buffer.from(chunk));
    }
    // A fresh buffer per chunk is what made the kernel clear a page per 4 KiB inflated.
    expect(copies.length).toBeGreaterThan(3);
    expect(chunkBuffers.size).toBe(4);
    expect(Buffer.concat(copies).equals(text)).toBe(true);
    // Stopping early ends the inflation (a hang here fails on the test's timeout).
    let nrTaken = 0;
    for await (const chunk of damoJsonChunks(packed, { compressed: true })) if (chunk.length > 0 && ++nrTaken === 2) break;
    expect(nrTaken).toBe(2);
    // The parser is done with a chunk before the one four later overwrites it.
    const expected = await allSnapshots(await openDamoJson(plain, { compressed: false, inMemoryMaxBytes: 0 }));
    expect(await allSnapshots(await openDamoJson(packed, { compressed: true, inMemoryMaxBytes: 0 }))).toEqual(expected);
    expect(await allSnapshots(await readDamoJson(packed, { compressed: true }))).toEqual(expected);
  });

  it('fails a pass over a truncated json file with a clear error', async () => {
    const text = multiRecordText();
    const path = write('truncated.json', text.slice(0, Math.floor(text.length * 0.7)));
    const src = await openDamoJson(path, { compressed: false, inMemoryMaxBytes: 0 });
    await expect(allSnapshots(src)).rejects.toThrow(/truncated\.json: not a valid damo json record file: .*truncated file\?/);
  });

  it('keeps wall-clock times beyond 2^53 exact, and refuses them only when they appear after exact ones', async () => {
    const wall = 1733350000000000000n;
    const path = write('wall.json', multiRecordText((i) => [String(wall + BigInt(i) * 100n), String(wall + BigInt(i) * 100n + 100n)]));
    const memory = await readDamoJson(path, { compressed: false });
    const streamed = await openDamoJson(path, { compressed: false, inMemoryMaxBytes: 0 });
    expect(streamed.header.baseTimeNs).toBe(wall);
    expect(await allSnapshots(streamed)).toEqual(await allSnapshots(memory));

    const jump = write('jump.json', multiRecordText((i) => (i < 5 ? [i * 100, i * 100 + 100] : [String(wall + BigInt(i)), String(wall + BigInt(i) + 1n)])));
    const jumped = await openDamoJson(jump, { compressed: false, inMemoryMaxBytes: 0 });
    await expect(allSnapshots(jumped)).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
  });

  it('gives the same reports streamed as read whole, over several records', async () => {
    // Longer than a chunk: the records after the first appear during the reports' passes.
    const path = write('reports.json_compressed', deflateSync(multiRecordText(undefined, [800, 0, 25, 10])));
    for (const argv of [
      ['report', 'wss', '--raw_number'],
      ['report', 'wss', '--sortby', 'time', '--per_target'],
      ['report', 'nr_regions'],
      ['report', 'raw'],
      ['report', 'heats', '--guide'],
      ['report', 'heats', '--resol', '10', '20'],
      ['report', 'heats', '--tid', '33', '--resol', '10', '20'],
      ['report', 'heatmap', '--guide'],
      ['report', 'heatmap', '--output', 'raw', '--tid', '33', '--resol', '10', '20'],
      ['report', 'heatmap', '--output', 'raw', '--resol', '10', '20'],
    ]) {
      const whole = await runMain([...argv, '-i', path]);
      const streamed = await runMain([...argv, '-i', path], { DAMO_JSON_IN_MEMORY_MAX_BYTES: '0' });
      expect(whole.code, `${argv.join(' ')}: ${whole.stderr}`).toBe(0);
      expect(streamed).toEqual(whole);
    }
  });
});
