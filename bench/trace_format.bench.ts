// SPDX-License-Identifier: GPL-2.0-only
/**
 * Trace format benchmark (issues 2 and 17): size and read throughput of our trace on the two
 * snapshot shapes that matter, against damo's json_compressed of the same snapshots:
 *
 * - damo's test recording (tests/report/damon.data: 543 snapshots of 10-21 regions, 20 times), as a
 *   recorder writes it (one block per snapshot) and as `damo convert` writes it (a segment
 *   per block);
 * - 1,000 snapshots of 1,000 regions (DAMON's default max_nr_regions), synthetic.
 *
 * Read throughput is one streamed pass over the snapshots (decode included), best of five
 * passes, wall and CPU time; and format version 1 (one protobuf message per snapshot) with
 * the generated decoder, in memory, for comparison.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Snapshot, TraceHeader } from '../src/core/model.js';
import { decodeSnapshotReference, encodeSnapshot } from '../src/format/codec.js';
import { FRAME_OVERHEAD_BYTES } from '../src/format/frame.js';
import { writeDamoJson } from '../src/format/damo/json_writer.js';
import { openTrace } from '../src/format/open.js';
import { SEGMENT_MAX_SNAPSHOTS } from '../src/format/snapshot_block.js';
import { syntheticHeader, syntheticSnapshots } from '../src/format/synthetic.js';
import { openProtobufTrace } from '../src/format/trace_reader.js';
import { TraceWriter } from '../src/format/trace_writer.js';
import { damoFixture } from '../test/fixtures/damo_fixtures.js';
import type { BenchResult } from './run.js';

interface Shape {
  name: string;
  header: TraceHeader;
  snapshots: Snapshot[];
}

async function damoTestRecording(): Promise<Shape> {
  const src = await openTrace(damoFixture('damo-3.3.0-tests-report/damon.data'));
  const once: Snapshot[] = [];
  for await (const s of src.snapshots()) once.push(s);
  // Twenty copies one after the other (as bench/damo_json_gen.ts makes big100), so that a
  // pass takes long enough to time.
  const spanNs = (once.at(-1)?.endNs ?? 0) - (once[0]?.startNs ?? 0);
  const snapshots: Snapshot[] = [];
  for (let c = 0; c < 20; c++) for (const s of once) snapshots.push({ ...s, startNs: s.startNs + c * spanNs, endNs: s.endNs + c * spanNs });
  return { name: "damo's test recording x20", header: src.header, snapshots };
}

function synthetic1000(): Shape {
  const spec = { nrSnapshots: 1000, nrRegionsPerSnapshot: 1000, seed: 11 };
  return { name: '1,000-region snapshots', header: syntheticHeader(spec), snapshots: [...syntheticSnapshots(spec)] };
}

function writeTrace(path: string, shape: Shape, snapshotsPerBlock: number): number {
  const w = TraceWriter.create(path, shape.header, { snapshotsPerBlock });
  for (const s of shape.snapshots) w.writeSnapshot(s);
  w.close('bench');
  return statSync(path).size;
}

async function readBest(path: string, nrRegions: number): Promise<{ wallS: number; cpuS: number }> {
  let wallS = Infinity;
  let cpuS = Infinity;
  // Best of five passes: the first warms the page cache and the JIT. CPU time too, because
  // wall time on a shared machine mostly measures the neighbours.
  for (let pass = 0; pass < 5; pass++) {
    const trace = await openProtobufTrace(path);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let seen = 0;
    for await (const s of trace.snapshots()) seen += s.starts.length;
    const cpu = process.cpuUsage(cpu0);
    wallS = Math.min(wallS, (performance.now() - t0) / 1000);
    cpuS = Math.min(cpuS, (cpu.user + cpu.system) / 1e6);
    if (seen !== nrRegions) throw new Error(`read ${seen} regions, wrote ${nrRegions}`);
  }
  return { wallS, cpuS };
}

async function measure(dir: string, shape: Shape): Promise<BenchResult[]> {
  const nrRegions = shape.snapshots.reduce((n, s) => n + s.starts.length, 0);
  const perRegion = (bytes: number): number => bytes / nrRegions;

  const jsonPath = join(dir, 'shape.json_compressed');
  const snapshots = shape.snapshots;
  await writeDamoJson(
    {
      path: jsonPath,
      header: shape.header,
      warnings: [],
      snapshots: () => ({
        [Symbol.asyncIterator]: async function* (): AsyncGenerator<Snapshot> {
          yield* snapshots;
        },
      }),
      trailer: () => null,
    },
    jsonPath,
    { compressed: true },
  );
  const jsonBytes = statSync(jsonPath).size;

  const recorded = join(dir, 'recorded.damo');
  const t0 = performance.now();
  const recordedBytes = writeTrace(recorded, shape, 1);
  const writeRecordedS = (performance.now() - t0) / 1000;
  const converted = join(dir, 'converted.damo');
  const t1 = performance.now();
  const convertedBytes = writeTrace(converted, shape, SEGMENT_MAX_SNAPSHOTS);
  const writeConvertedS = (performance.now() - t1) / 1000;

  const readConverted = await readBest(converted, nrRegions);
  const readRecorded = await readBest(recorded, nrRegions);

  const v1Payloads = shape.snapshots.map((s) => encodeSnapshot(s));
  const v1Bytes = v1Payloads.reduce((sum, p) => sum + p.length + FRAME_OVERHEAD_BYTES, 0);
  let v1ReadS = Infinity;
  for (let pass = 0; pass < 5; pass++) {
    const t2 = performance.now();
    let seen = 0;
    for (const p of v1Payloads) seen += decodeSnapshotReference(p).starts.length;
    if (seen !== nrRegions) throw new Error('version 1 decoder lost regions');
    v1ReadS = Math.min(v1ReadS, (performance.now() - t2) / 1000);
  }

  const n = shape.name;
  const ratioRecorded = recordedBytes / jsonBytes;
  const ratioConverted = convertedBytes / jsonBytes;
  const rate = nrRegions / readConverted.wallS;
  return [
    { name: `${n}: regions (snapshots)`, value: nrRegions, unit: `(${shape.snapshots.length})` },
    { name: `${n}: damo json_compressed, bytes per region`, value: perRegion(jsonBytes), unit: 'B' },
    { name: `${n}: trace as recorded (a block per snapshot), bytes per region`, value: perRegion(recordedBytes), unit: 'B' },
    { name: `${n}: trace as recorded / json_compressed`, value: ratioRecorded, unit: 'x', target: '<= 0.5', ok: ratioRecorded <= 0.5 },
    { name: `${n}: trace as converted (a segment per block), bytes per region`, value: perRegion(convertedBytes), unit: 'B' },
    { name: `${n}: trace as converted / json_compressed`, value: ratioConverted, unit: 'x', target: '<= 0.5', ok: ratioConverted <= 0.5 },
    { name: `${n}: format version 1, bytes per region`, value: perRegion(v1Bytes), unit: 'B' },
    { name: `${n}: write, a block per snapshot`, value: Math.round(nrRegions / writeRecordedS), unit: 'regions/s' },
    { name: `${n}: write, a segment per block`, value: Math.round(nrRegions / writeConvertedS), unit: 'regions/s' },
    { name: `${n}: read, as converted (wall)`, value: Math.round(rate), unit: 'regions/s', target: '>= 20,000,000', ok: rate >= 20e6 },
    { name: `${n}: read, as converted, per CPU-second`, value: Math.round(nrRegions / readConverted.cpuS), unit: 'regions/s' },
    { name: `${n}: read, as recorded (wall)`, value: Math.round(nrRegions / readRecorded.wallS), unit: 'regions/s' },
    { name: `${n}: read, format version 1 with the generated decoder (in memory)`, value: Math.round(nrRegions / v1ReadS), unit: 'regions/s' },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'damo-bench-format-'));
  try {
    return [...(await measure(dir, await damoTestRecording())), ...(await measure(dir, synthetic1000()))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
