// SPDX-License-Identifier: GPL-2.0-only
/**
 * Recordings held in memory (damo's formats) hand reports one target's snapshots without a
 * pass over the others, and keep doing so when opened the way the CLI opens them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterAll, describe, expect, it } from 'vitest';

import type { CliIO } from '../../src/core/io.js';
import { columnsOfSnapshots, emptyHeader, snapshotFromRegions, type Snapshot, type TraceSource } from '../../src/core/model.js';
import { forEachSnapshot, forEachSnapshotOfTarget, forEachSpan, perTargetValues, targetSnapshots } from '../../src/core/trace_walk.js';
import { openForReport } from '../../src/format/open_for_report.js';
import { syntheticHeader, syntheticSnapshots } from '../../src/format/synthetic.js';
import { TraceWriter } from '../../src/format/trace_writer.js';
import { NR_REGIONS_SKIP, nrRegionsDists } from '../../src/report/nr_regions.js';
import { WSS_DEFAULTS, wssDists } from '../../src/report/wss.js';

const dir = mkdtempSync(join(tmpdir(), 'damo-trace-walk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(): CliIO {
  return { stdout: new PassThrough(), stderr: new PassThrough(), env: {}, stdoutIsTTY: false, stderrIsTTY: false, columns: undefined, rows: undefined };
}

function region(start: number, end: number, samples: number): object {
  return { start, end, nr_accesses: { samples, percent: samples * 5 }, age: { usec: 0, aggr_intervals: 0 } };
}

/** Two targets, three snapshots each, in damo's json layout. */
function writeDamoJson(): string {
  const record = (id: number, base: number): object => ({
    kdamond_idx: 0,
    context_idx: 0,
    intervals: { sample_us: 5000, aggr_us: 100000, ops_update_us: 1000000 },
    scheme_idx: 0,
    target_id: id,
    snapshots: [0, 1, 2].map((k) => ({
      start_time: 1_000_000 + k * 100_000_000,
      end_time: 1_000_000 + (k + 1) * 100_000_000,
      regions: [region(base, base + 4096, k), region(base + 4096, base + 8192, 1)],
    })),
  });
  const path = join(dir, 'two.json');
  writeFileSync(path, JSON.stringify([record(7, 0), record(9, 1 << 20)], null, 4));
  return path;
}

/** A source whose streamed pass fails: only its per-target lists can be read. */
function heldOnly(perTarget: Snapshot[][]): TraceSource {
  const header = emptyHeader({ targets: perTarget.map((_, i) => ({ id: BigInt(i) })) });
  return {
    path: 'held',
    header,
    warnings: [],
    trailer: () => null,
    snapshots: () => {
      throw new Error('streamed pass taken');
    },
    snapshotsOfTarget: (t) => perTarget[t] ?? [],
  };
}

describe('per-target walks', () => {
  it('keeps the in-memory lists of a damo file opened for a report', async () => {
    const src = await openForReport(io(), writeDamoJson(), { strict: false });
    expect(src.snapshotsOfTarget).toBeTypeOf('function');
    expect(src.snapshotsOfTarget?.(1).map((s) => s.starts[0])).toEqual([1 << 20, 1 << 20, 1 << 20]);
    const streamed: number[] = [];
    for await (const s of src.snapshots()) streamed.push(s.targetIndex);
    expect(streamed).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('uses the lists instead of a streamed pass', async () => {
    const snaps = [0, 1].map((t) => [0, 1, 2].map((k) => snapshotFromRegions(t, k * 1e6, (k + 1) * 1e6, [{ start: 0, end: 4096 * (t + 1), nrAccesses: 1 }])));
    const src = heldOnly(snaps);
    expect(await perTargetValues(src, (s) => s.ends[0] as number)).toEqual([[4096, 4096, 4096], [8192, 8192, 8192]]);
    const seen: number[] = [];
    await forEachSnapshotOfTarget(src, 1, (s) => void seen.push(s.startNs));
    for await (const s of targetSnapshots(src, 0)) seen.push(s.targetIndex);
    expect(seen).toEqual([0, 1e6, 2e6, 0, 0, 0]);
    const dists = await wssDists(src, { ...WSS_DEFAULTS, excludeSamples: 0, perTarget: true });
    expect(dists.map((d) => Array.from(d.values))).toEqual([[4096, 4096, 4096], [8192, 8192, 8192]]);
  });
});

describe('counts alone', () => {
  it('a damo-ts trace opened for a report offers its snapshot counts, and report nr_regions reads those', async () => {
    const path = join(dir, 'counts.damo');
    const spec = { nrSnapshots: 100, nrRegionsPerSnapshot: 7, nrTargets: 2 };
    const w = TraceWriter.create(path, syntheticHeader(spec));
    for (const s of syntheticSnapshots(spec)) w.writeSnapshot(s);
    w.close('done');
    const src = await openForReport(io(), path, { strict: true });
    expect(src.snapshotCounts).toBeTypeOf('function');
    const opts = { percentiles: [0, 50, 100], sortBy: 'time' as const };
    // The snapshot objects' pass, the reference.
    const want = await nrRegionsDists({ path, header: src.header, warnings: [], trailer: () => null, snapshots: () => src.snapshots() }, opts);
    expect(want.map((d) => d.values.length)).toEqual([50 - NR_REGIONS_SKIP, 50 - NR_REGIONS_SKIP]);
    const fail = (): never => {
      throw new Error('not this pass');
    };
    const got = await nrRegionsDists({ ...src, snapshots: fail, snapshotColumns: fail }, opts);
    expect(got).toEqual(want);
  });
});

/** A source that offers column batches of two snapshots; its snapshot-object pass fails. */
function columnsOnly(all: Snapshot[]): TraceSource {
  const header = emptyHeader({ targets: [{ id: 0n }, { id: 1n }] });
  return {
    path: 'columns',
    header,
    warnings: [],
    trailer: () => null,
    snapshots: () => {
      throw new Error('object pass taken');
    },
    snapshotColumns: async function* () {
      for (let i = 0; i < all.length; i += 2) yield columnsOfSnapshots(all.slice(i, i + 2));
    },
  };
}

describe('forEachSnapshot', () => {
  const all = [0, 1, 2, 3, 4].map((k) => snapshotFromRegions(k % 2, k * 1e6, (k + 1) * 1e6, [{ start: 4096 * k, end: 4096 * (k + 1), nrAccesses: k }]));
  const seen = (s: Snapshot): string => `${s.targetIndex}@${s.startNs}:${s.starts[0]}-${s.ends[0]}/${s.nrAccesses[0]}`;

  it('walks column batches in file order, all targets or one', async () => {
    const src = columnsOnly(all);
    const every: string[] = [];
    await forEachSnapshot(src, (s) => void every.push(seen(s)));
    expect(every).toEqual(all.map(seen));
    const second: string[] = [];
    await forEachSnapshot(src, (s) => void second.push(seen(s)), 1);
    expect(second).toEqual(all.filter((s) => s.targetIndex === 1).map(seen));
  });

  it("uses a held recording's per-target lists and falls back to snapshot objects", async () => {
    const perTarget = [all.filter((s) => s.targetIndex === 0), all.filter((s) => s.targetIndex === 1)];
    const one: string[] = [];
    await forEachSnapshot(heldOnly(perTarget), (s) => void one.push(seen(s)), 0);
    expect(one).toEqual(perTarget[0]!.map(seen));
    const plain: TraceSource = {
      path: 'objects',
      header: emptyHeader({ targets: [{ id: 0n }, { id: 1n }] }),
      warnings: [],
      trailer: () => null,
      snapshots: async function* () {
        yield* all;
      },
    };
    const objects: string[] = [];
    await forEachSnapshot(plain, (s) => void objects.push(seen(s)), 1);
    expect(objects).toEqual(perTarget[1]!.map(seen));
  });

  it('walks a source that offers column batches through them, also when it holds its snapshots', async () => {
    // A damo json file kept by its first pass: its batches are views of what it keeps.
    const held: TraceSource = {
      ...columnsOnly(all),
      snapshots: () => {
        throw new Error('snapshot pass taken');
      },
      snapshotsOfTarget: (t) => all.filter((s) => s.targetIndex === t),
    };
    const every: string[] = [];
    await forEachSpan(held, (sp) => void every.push(`${sp.targetIndex}@${sp.startNs}:${sp.starts[sp.from]}-${sp.ends[sp.from]}/${sp.nrAccesses[sp.from]}`));
    expect(every).toEqual(all.map(seen));
  });
});
