// SPDX-License-Identifier: GPL-2.0-only
/**
 * Generators of large damo json_compressed files for benchmarks.
 *
 * - `writeRepeatedTestData`: damo's own test recording (tests/report/damon.data: 543
 *   snapshots, 9,773 regions) repeated with shifted times, in the same JSON layout, which is
 *   how the Python damo figures in docs/DESIGN-DECISIONS.md section 3 were measured ("big100" =
 *   100 copies = 54,300 snapshots, 977,300 regions, 462 MB of JSON).
 * - `writeSyntheticDamo33`: exactly N regions of synthetic snapshots written by our damo
 *   3.3.0-layout writer (regions carry probe_hits and sz_filter_passed, so the text per
 *   region is longer).
 */
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { inflateSync, createDeflate } from 'node:zlib';

import { emptyHeader, type Snapshot, type TraceSource, type TraceTrailer } from '../src/core/model.js';
import { writeDamoJson } from '../src/format/damo/json_writer.js';
import { syntheticSnapshots } from '../src/format/synthetic.js';

interface TestRecord {
  target_id: number;
  snapshots: Array<{ start_time: string; end_time: string; regions: unknown[]; total_bytes?: string }>;
}

export async function writeRepeatedTestData(testDataPath: string, copies: number, outPath: string): Promise<number> {
  const text = inflateSync(readFileSync(testDataPath)).toString('utf8');
  // Keep the 64-bit target id exact by splicing its digits back in textually.
  const idText = /"target_id": (\d+)/.exec(text)?.[1] ?? '0';
  const doc = JSON.parse(text) as TestRecord[];
  const rec = doc[0] as TestRecord;
  const first = BigInt(rec.snapshots[0]?.start_time ?? '0');
  const last = BigInt(rec.snapshots[rec.snapshots.length - 1]?.end_time ?? '0');
  const span = last - first;
  const deflate = createDeflate({ level: 6 });
  const file = createWriteStream(outPath);
  deflate.pipe(file);
  const write = async (s: string): Promise<void> => {
    if (!deflate.write(s)) await once(deflate, 'drain');
  };
  const pad = (s: string, n: number): string => s.split('\n').map((l, i) => (i === 0 ? l : ' '.repeat(n) + l)).join('\n');
  await write(`[\n    {\n        "kdamond_idx": null,\n        "context_idx": null,\n        "intervals": null,\n        "scheme_idx": null,\n        "target_id": ${idText},\n        "snapshots": [\n`);
  let nrRegions = 0;
  for (let c = 0; c < copies; c++) {
    const shift = span * BigInt(c);
    for (let i = 0; i < rec.snapshots.length; i++) {
      const s = rec.snapshots[i] as TestRecord['snapshots'][number];
      const copy = { ...s, start_time: String(BigInt(s.start_time) + shift), end_time: String(BigInt(s.end_time) + shift) };
      nrRegions += s.regions.length;
      const sep = c === copies - 1 && i === rec.snapshots.length - 1 ? '\n' : ',\n';
      await write('            ' + pad(JSON.stringify(copy, null, 4), 12) + sep);
    }
  }
  await write('        ]\n    }\n]');
  deflate.end();
  await once(file, 'finish');
  return nrRegions;
}

/** Exactly nrSnapshots x regionsPerSnapshot regions in damo 3.3.0's layout. */
export async function writeSyntheticDamo33(outPath: string, nrSnapshots: number, regionsPerSnapshot: number): Promise<number> {
  const spec = { nrSnapshots, nrRegionsPerSnapshot: regionsPerSnapshot, seed: 5 };
  const header = emptyHeader({
    source: 'synthetic',
    targets: [{ id: 18446623438842320000n }],
    intervals: { sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 1000000 },
  });
  const src: TraceSource = {
    path: outPath,
    header,
    warnings: [],
    snapshots: () => ({
      [Symbol.asyncIterator]: async function* (): AsyncGenerator<Snapshot> {
        yield* syntheticSnapshots(spec);
      },
    }),
    trailer: (): TraceTrailer | null => null,
  };
  await writeDamoJson(src, outPath, { compressed: true });
  return nrSnapshots * regionsPerSnapshot;
}
