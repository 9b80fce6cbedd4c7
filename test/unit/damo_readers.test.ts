// SPDX-License-Identifier: GPL-2.0-only
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import type { Snapshot, TraceSource } from '../../src/core/model.js';
import { DamoJsonParser } from '../../src/format/damo/json_reader.js';
import { openTrace } from '../../src/format/open.js';
import { sniff } from '../../src/format/sniff.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';


async function all(src: TraceSource): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for await (const s of src.snapshots()) out.push(s);
  return out;
}

const DIR = fileTempDir('damo-readers-');

function tmp(name: string, content: string | Uint8Array): string {
  const dir = mkdtempSync(join(DIR, 'f-'));
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('damo json_compressed (test damon.data)', () => {
  it('reads 543 snapshots of one exact 64-bit target id', async () => {
    const src = await openTrace(damoFixture('damo-3.3.0-tests-report/damon.data'));
    expect(src.header.source).toBe('damo-json_compressed');
    expect(src.header.targets).toEqual([{ id: 18446623438842320000n }]);
    const snaps = await all(src);
    expect(snaps).toHaveLength(543);
    expect(snaps.reduce((n, s) => n + s.starts.length, 0)).toBe(9773);
    const first = snaps[0] as Snapshot;
    expect(first.startNs).toBe(539809434100);
    expect(first.endNs).toBe(539914032967);
    expect(first.starts[0]).toBe(94827419009024);
    expect(first.ages[0]).toBe(-1);
    // Re-iterable: a second pass yields the same.
    expect((await all(src)).length).toBe(543);
  });

  it('equals the legacy binary of the same recording (after start-time deduction)', async () => {
    const json = await all(await openTrace(damoFixture('damo-3.3.0-tests-report/damon.data')));
    const legacySrc = await openTrace(damoFixture('damon.data.legacy-recfmt2'));
    expect(legacySrc.header.source).toBe('damo-legacy');
    expect(legacySrc.header.targets).toEqual([{ id: 18446623438842320000n }]);
    const legacy = await all(legacySrc);
    expect(legacy).toHaveLength(json.length);
    for (let i = 0; i < json.length; i++) {
      const a = json[i] as Snapshot;
      const b = legacy[i] as Snapshot;
      expect(Math.trunc(b.startNs)).toBe(a.startNs);
      expect(b.endNs).toBe(a.endNs);
      expect(Array.from(b.starts)).toEqual(Array.from(a.starts));
      expect(Array.from(b.ends)).toEqual(Array.from(a.ends));
      expect(Array.from(b.nrAccesses)).toEqual(Array.from(a.nrAccesses));
    }
  });
});

describe('perf script text', () => {
  it('reads the test perf.data.script', async () => {
    const src = await openTrace(damoFixture('damo-3.3.0-tests-report/perf.data.script'));
    expect(src.header.targets).toEqual([{ id: 18446623435582458880n }]);
    const snaps = await all(src);
    expect(snaps[0]?.starts.length).toBe(8);
    expect(snaps[0]?.endNs).toBe(Math.trunc(82820.952659 * 1e9));
    expect(snaps[1]?.startNs).toBe(snaps[0]?.endNs);
  });

  it('accepts trace-cmd lines with and without the age column', async () => {
    const text =
      'kdamond.0-4452 [000] ..... 100.000001: damon_aggregated: target_id=7 nr_regions=2 4096-8192: 3 5\n' +
      'kdamond.0-4452 [000] ..... 100.000002: damon_aggregated: target_id=7 nr_regions=2 8192-12288: 0 1\n' +
      'kdamond.0-4452 [000] 100.100001: damon_aggregated: target_id=7 nr_regions=1 4096-12288: 2\n' +
      'kdamond.0-4452 [000] 100.200001: damon_aggregated: target_id=7 nr_regions=1 4096-12288: 1 None\n';
    const snaps = await all(await openTrace(tmp('trace.txt', text)));
    expect(snaps).toHaveLength(3);
    expect(Array.from(snaps[0]?.ages ?? [])).toEqual([5, 1]);
    expect(Array.from(snaps[1]?.ages ?? [])).toEqual([-1]);
    expect(Array.from(snaps[2]?.nrAccesses ?? [])).toEqual([1]);
    // first start deduced: end0 - (end2 - end0) / 2
    const end0 = Math.trunc(100.000001 * 1e9);
    const end2 = Math.trunc(100.200001 * 1e9);
    expect(snaps[0]?.startNs).toBe(end0 - (end2 - end0) / 2);
  });

  it('drops the fake snapshot damo appends to one-snapshot records', async () => {
    const text =
      'kdamond.x xxxx xxxx 10.000000: damon:damon_aggregated: target_id=1 nr_regions=1 0-4096: 3 2\n' +
      'kdamond.x xxxx xxxx 10.100000: damon:damon_aggregated: target_id=1 nr_regions=1 0-0: -1 -1\n';
    const snaps = await all(await openTrace(tmp('fake.txt', text)));
    expect(snaps).toHaveLength(1);
    expect(snaps[0]?.startNs).toBe(Math.trunc(10 * 1e9) - (Math.trunc(10.1 * 1e9) - 10e9));
  });

  it('names the line of a DAMON event with a missing field', async () => {
    const text = 'kdamond.0 1 [000] 1.0: damon:damon_aggregated: target_id=1 nr_regions=1 0-4096:\n';
    const p = tmp('bad.txt', text);
    await expect(openTrace(p)).rejects.toThrow(`${p}:1: the region range or nr_accesses is missing`);
  });
});

describe('json parser', () => {
  const record = (extra: string) =>
    `[{"target_id": 18446744073709551615, "intervals": {"sample_us": "5 ms", "aggr_us": "100 ms", "ops_update_us": "1 s"},` +
    ` "snapshots": [{"regions": [{"start": "4 KiB", "end": 8192, "nr_accesses": {"samples": null, "percent": "50 %"},` +
    ` "age": {"usec": "1 s 500 ms", "aggr_intervals": null}, "sz_filter_passed": "1 KiB", "probe_hits": []}],` +
    ` "end_time": "2 s", "start_time": 1000000000${extra}}], "data_source": "damon_stat"}]`;

  it('reads human units, any key order, percent-only accesses and usec-only ages', async () => {
    const p = tmp('x.json', record(''));
    const src = await openTrace(p);
    expect(src.header.targets[0]?.id).toBe(18446744073709551615n);
    expect(src.header.intervals).toEqual({ sampleUs: 5000, aggrUs: 100000, opsUpdateUs: 1000000 });
    expect(src.header.dataSource).toBe('damon_stat');
    const [s] = await all(src);
    expect(s?.startNs).toBe(1e9);
    expect(s?.endNs).toBe(2e9);
    expect(s?.starts[0]).toBe(4096);
    expect(s?.nrAccesses[0]).toBe(10); // 50% of 20 samples per aggregation
    expect(s?.ages[0]).toBe(15); // 1.5 s / 100 ms
    expect(s?.szFilterPassed?.[0]).toBe(1024);
  });

  it('gives the same result whatever the chunking', () => {
    const text = new TextEncoder().encode(record(', "total_bytes": "4,096"'));
    const ref = new DamoJsonParser();
    ref.feed(text);
    ref.finish();
    for (let size = 1; size < 40; size++) {
      const p = new DamoJsonParser();
      for (let i = 0; i < text.length; i += size) p.feed(text.subarray(i, i + size));
      p.finish();
      expect(p.records).toEqual(ref.records);
    }
  });

  it('14.6 whitespace that runs across chunks is not carried from feed to feed (linear, not quadratic)', () => {
    // '[' + 16 MiB of spaces + ']' in 64 KiB chunks: each chunk must leave nothing unread, or
    // every later chunk re-copies all the whitespace so far (190 MB took 132 s before).
    const chunk = new Uint8Array(64 << 10).fill(0x20);
    const p = new DamoJsonParser();
    const unread = (): number => {
      const t = p as unknown as { end: number; pos: number };
      return t.end - t.pos;
    };
    p.feed(new TextEncoder().encode('['));
    let maxUnread = 0;
    for (let i = 0; i < 256; i++) {
      p.feed(chunk);
      maxUnread = Math.max(maxUnread, unread());
    }
    expect(maxUnread).toBe(0);
    p.feed(new TextEncoder().encode(']'));
    p.finish();
    expect(p.records).toEqual([]);
  });

  it('reads damo layouts the same with and without the region template', () => {
    const text = inflateSync(readFileSync(damoFixture('damo-3.3.0-tests-report/damon.data')));
    const snapshotFile = inflateSync(readFileSync(damoFixture('damo-3.3.0-tests-report/damon.data.snapshot.anon')));
    // Variants the template must refuse (and the general path handle): other values,
    // units, non-null percent/usec, different indentation, huge numbers.
    const oddDoc = [
      {
        target_id: 5,
        snapshots: [
          {
            start_time: '0',
            end_time: '100',
            regions: [
              { start: '4 KiB', end: '8,192', nr_accesses: { samples: 1, percent: null }, age: { usec: null, aggr_intervals: '7' } },
              { start: '8,192', end: '18,446,744,073,709,551,615', nr_accesses: { samples: 2, percent: 5 }, age: { usec: null, aggr_intervals: null } },
              { start: '0', end: '4,096', nr_accesses: { samples: 3, percent: null }, age: { usec: '1 s', aggr_intervals: null } },
              { start: '0', end: '4,096', nr_accesses: { samples: 4, percent: null }, age: { usec: null, aggr_intervals: '1,234' }, probe_hits: [], sz_filter_passed: '143.027 MiB' },
              { start: '0', end: '4,096', nr_accesses: { samples: 4, percent: null }, age: { usec: null, aggr_intervals: '1' }, probe_hits: [1], sz_filter_passed: '0 B' },
              { start: '0', end: '4,096', nr_accesses: { samples: -4, percent: null }, age: { usec: null, aggr_intervals: null } },
            ],
          },
        ],
      },
    ];
    // damo's indent=4 layout (the template starts and gives up midway) and another indent.
    const odd4 = new TextEncoder().encode(JSON.stringify(oddDoc, null, 4) + ' '.repeat(4096));
    const odd2 = new TextEncoder().encode(JSON.stringify(oddDoc, null, 2) + ' '.repeat(4096));
    for (const doc of [text, snapshotFile, odd4, odd2]) {
      const parse = (templates: boolean) => {
        const p = new DamoJsonParser({ templates });
        p.feed(doc);
        p.finish();
        return p.records;
      };
      expect(parse(true)).toEqual(parse(false));
    }
  });

  it('resumes from the region start when the template gives up after sz_filter_passed', () => {
    // damo 3.3's layout up to sz_filter_passed, then a value the in-place size reader
    // refuses ('max') or a key after it: the general path must start at the region's '{'.
    const region = (szFilterPassed: string, extra: Record<string, number> = {}) => ({
      start: '0',
      end: '4,096',
      nr_accesses: { samples: 4, percent: null },
      age: { usec: null, aggr_intervals: '1' },
      probe_hits: [],
      sz_filter_passed: szFilterPassed,
      ...extra,
    });
    const doc = [{ target_id: 5, snapshots: [{ start_time: '0', end_time: '100', regions: [region('max'), region('4,096', { extra: 1 }), region('1 KiB')] }] }];
    const bytes = new TextEncoder().encode(JSON.stringify(doc, null, 4) + ' '.repeat(4096));
    const parse = (templates: boolean) => {
      const p = new DamoJsonParser({ templates });
      p.feed(bytes);
      p.finish();
      return p.records;
    };
    const withTemplate = parse(true);
    expect(withTemplate).toEqual(parse(false));
    expect(withTemplate[0]?.snapshots[0]?.starts.length).toBe(3);
  });

  it('keeps realtime-clock times exact by moving the base time', async () => {
    const text =
      '[{"target_id": null, "snapshots": [{"start_time": "1748191726781395200", "end_time": "1748191729781395201", "regions": []}]}]';
    const src = await openTrace(tmp('rt.json', text));
    expect(src.header.baseTimeNs).toBe(1748191726781395200n);
    const [s] = await all(src);
    expect(s?.startNs).toBe(0);
    expect(s?.endNs).toBe(3000000001);
    expect(src.header.targets[0]?.id).toBeNull();
  });

  it('reports the byte offset of wrong shapes', async () => {
    await expect(openTrace(tmp('a.json', '[{"snapshots": {}}]'))).rejects.toThrow(
      /'snapshots' must be a list \(at byte 15\)/,
    );
    await expect(openTrace(tmp('b.json', '[{"target_id": 1}]'))).rejects.toThrow(/has no 'snapshots' list/);
    await expect(openTrace(tmp('c.json', '[{"snapshots": [{"end_time": 1, "regions": []}]}]'))).rejects.toThrow(
      /has no 'start_time'/,
    );
  });

  it('reports truncated zlib data', async () => {
    const z = deflateSync(Buffer.from(record('')));
    const p = tmp('t.json_compressed', z.subarray(0, z.length - 20));
    await expect(openTrace(p)).rejects.toThrow(/zlib-compressed data ends early/);
  });
});

describe('sniff', () => {
  it('recognises every format by its first bytes', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(sniff(Uint8Array.from([0x89, 0x44, 0x41, 0x4d, 0x4f, 0x54, 0x52, 0x0a, 1]))).toBe('protobuf');
    expect(sniff(Uint8Array.from([0x78, 0x9c, 0, 0]))).toBe('json_compressed');
    expect(sniff(enc('  \n[ {}'))).toBe('json');
    expect(sniff(enc('damon_recfmt_ver\x02\0\0\0'))).toBe('legacy');
    expect(sniff(enc('PERFILE2...'))).toBe('perf_data');
    expect(sniff(enc('x 1 [000] 1.0: damon:damon_aggregated: target_id=1'))).toBe('perf_script');
    expect(sniff(enc('hello world\n'))).toBe('unknown');
    expect(sniff(new Uint8Array(0))).toBe('empty');
  });
});

describe('legacy binary versions', () => {
  function block(sec: number, nsec: number, ids: Array<[number, Array<[number, number, number]>]>, idBytes: 4 | 8): Buffer {
    const parts: Buffer[] = [];
    const h = Buffer.alloc(20);
    h.writeBigInt64LE(BigInt(sec), 0);
    h.writeBigInt64LE(BigInt(nsec), 8);
    h.writeUInt32LE(ids.length, 16);
    parts.push(h);
    for (const [id, regions] of ids) {
      const t = Buffer.alloc(idBytes + 4);
      if (idBytes === 4) t.writeInt32LE(id, 0);
      else t.writeBigUInt64LE(BigInt(id), 0);
      t.writeUInt32LE(regions.length, idBytes);
      parts.push(t);
      for (const [s, e, n] of regions) {
        const r = Buffer.alloc(20);
        r.writeBigUInt64LE(BigInt(s), 0);
        r.writeBigUInt64LE(BigInt(e), 8);
        r.writeUInt32LE(n, 16);
        parts.push(r);
      }
    }
    return Buffer.concat(parts);
  }

  it('reads version 1 (int32 pids) with several targets per block', async () => {
    const head = Buffer.concat([Buffer.from('damon_recfmt_ver'), Buffer.from([1, 0, 0, 0])]);
    const data = Buffer.concat([
      head,
      block(10, 0, [[42, [[4096, 8192, 3]]], [43, [[0, 4096, 1]]]], 4),
      block(10, 100_000_000, [[42, [[4096, 8192, 5]]], [43, [[0, 4096, 2]]]], 4),
    ]);
    const src = await openTrace(tmp('v1.data', data));
    expect(src.header.targets.map((t) => t.id)).toEqual([42n, 43n]);
    const snaps = await all(src);
    expect(snaps.map((s) => [s.targetIndex, s.startNs, s.endNs, s.nrAccesses[0]])).toEqual([
      [0, 9.9e9, 10e9, 3],
      [0, 10e9, 10.1e9, 5],
      [1, 9.9e9, 10e9, 1],
      [1, 10e9, 10.1e9, 2],
    ]);
  });

  it('reads headerless version 0 files', async () => {
    const data = Buffer.concat([
      block(5, 0, [[7, [[4096, 8192, 1], [8192, 12288, 0]]]], 8),
      block(5, 200, [[7, [[4096, 12288, 4]]]], 8),
    ]);
    const src = await openTrace(tmp('v0.data', data));
    expect(src.header.source).toBe('damo-legacy');
    const snaps = await all(src);
    expect(snaps).toHaveLength(2);
    expect(snaps[1]?.startNs).toBe(5e9);
  });
});

describe('convert output names', async () => {
  const { formatForOutputName } = await import('../../src/format/convert.js');
  it('maps extensions to formats, protobuf by default', () => {
    expect(formatForOutputName('a.json')).toBe('json');
    expect(formatForOutputName('a.JSON_COMPRESSED')).toBe('json_compressed');
    expect(formatForOutputName('dir.x/a.json.z')).toBe('json_compressed');
    expect(formatForOutputName('perf.data.script')).toBe('perf_script');
    expect(formatForOutputName('old.recfmt')).toBe('legacy');
    expect(formatForOutputName('damon.data')).toBe('protobuf');
    expect(formatForOutputName('run.damo')).toBe('protobuf');
  });
});
