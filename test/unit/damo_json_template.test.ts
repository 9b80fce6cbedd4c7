// SPDX-License-Identifier: GPL-2.0-only
/**
 * The template path of the damo json reader (format/damo/json_region_template.ts), which
 * reads runs of regions in damo's own layout, separators included: whatever the chunking,
 * it gives what the general path gives, on damo's files and on damaged ones (same error,
 * same byte offset); and the compact store that keeps a streamed pass for the next ones
 * (format/damo/kept_snapshots.ts) gives back the snapshots it was given.
 */
import { inflateSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { snapshotOfColumns, type Snapshot, type SnapshotColumns } from '../../src/core/model.js';
import { DamoJsonParser } from '../../src/format/damo/json_reader.js';
import { KeptSnapshots } from '../../src/format/damo/kept_snapshots.js';
import { JsonShapeError } from '../../src/format/json_tokenizer.js';
import { readDamoFixture } from '../fixtures/damo_fixtures.js';

const SUITE = 'damo-3.3.0-tests-report';

/** damo 3.3's layout (sz_filter_passed, probe_hits), epoch-ns times beyond 2^53. */
const SNAPSHOT_FILES = ['damon.data.snapshot.active', 'damon.data.snapshot.anon', 'damon.data.snapshot.nofilter'];

function testRecording(): Uint8Array {
  return inflateSync(readDamoFixture(`${SUITE}/damon.data.json_compressed`));
}

type Outcome = { records: DamoJsonParser['records'] } | { error: string; offset: number };

/** Parses `text` fed in chunks of `chunk` bytes, with or without the template. */
function parse(text: Uint8Array, templates: boolean, chunk = text.length): Outcome {
  const p = new DamoJsonParser({ templates });
  try {
    for (let at = 0; at < text.length; at += chunk) p.feed(text.subarray(at, at + chunk));
    p.finish();
  } catch (e) {
    if (e instanceof JsonShapeError) return { error: e.message, offset: e.offset };
    throw e;
  }
  return { records: p.records };
}

describe('damo json region template', () => {
  it('reads damo files as the general path does, whatever the chunking', () => {
    const files = [testRecording(), ...SNAPSHOT_FILES.map((f) => new Uint8Array(inflateSync(readDamoFixture(`${SUITE}/${f}`))))];
    for (const text of files) {
      const expected = parse(text, false);
      expect('records' in expected).toBe(true);
      // Whole, and cut at sizes that leave the template a chunk end in many places.
      for (const chunk of [text.length, 65536, 8191, 4099]) expect(parse(text, true, chunk)).toEqual(expected);
    }
  });

  it('reads the boundaries between snapshots as the general path does, in each of damo’s layouts and damaged', () => {
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    // damo 2.x (the fixture) ends a snapshot at its regions; later versions add total_bytes,
    // and damo 3.3 null damos_stats and a sample_interval_us after it.
    const layoutNoTotal = decoder.decode(testRecording());
    const withTotal = layoutNoTotal.replace(/\n( *)\]\n( *)\}/g, '\n$1],\n$1"total_bytes": "4096"\n$2}');
    const withStats = (interval: string): string =>
      withTotal.replace(/("total_bytes": "\d+")\n( *)\}/g, `$1,\n$2    "damos_stats": null,\n$2    "sample_interval_us": ${interval}\n$2}`);
    const layouts = [layoutNoTotal, withTotal, withStats('null'), withStats('"5000"')];
    expect(new Set(layouts).size).toBe(4);
    const nth = (s: string, what: string, n: number): number => {
      let at = -1;
      for (let i = 0; i < n; i++) at = s.indexOf(what, at + 1);
      return at;
    };
    for (const whole of layouts) {
      const expected = parse(encoder.encode(whole), false);
      expect('records' in expected).toBe(true);
      for (const chunk of [whole.length, 4099, 1021]) expect(parse(encoder.encode(whole), true, chunk)).toEqual(expected);
      // Each damage at the 7th boundary: the general path must read (or refuse) it, byte for byte the same.
      const t = Math.max(0, nth(whole, '"total_bytes": "', 7));
      const st = nth(whole, '"start_time": "', 8);
      const damages: Array<(s: string) => string> = [
        (s) => s.slice(0, t) + '"total_bytez": "' + s.slice(t + 16),
        (s) => s.slice(0, t + 16) + '1,' + s.slice(t + 16),
        (s) => s.slice(0, st + 15) + '12345678901234567' + s.slice(st + 15),
        (s) => s.slice(0, st + 15) + '"5 s",' + s.slice(nth(s, '"end_time"', 8) - 17 + 1 + 16),
        (s) => s.slice(0, st - 1) + s.slice(st),
        (s) => s.replace('"damos_stats": null', '"damos_stats": {"nr_tried": "1", "sz_tried": "2", "nr_applied": "3", "sz_applied": "4", "sz_ops_filter_passed": "5", "qt_exceeds": "6"}'),
        (s) => s.slice(0, st) + '"end_time": "1", ' + s.slice(st),
      ];
      for (const damage of damages) {
        const damaged = encoder.encode(damage(whole));
        const general = parse(damaged, false);
        for (const chunk of [damaged.length, 4099]) expect(parse(damaged, true, chunk)).toEqual(general);
      }
    }
  });

  it('reads addresses written plainly or grouped oddly as the general path does', () => {
    const whole = new TextDecoder().decode(testRecording());
    let n = 0;
    // Every 3rd address without its commas, every 7th with a group of four, every 11th with one of two.
    const varied = whole.replace(/"(start|end)": "([\d,]+)"/g, (m, key: string, digits: string) => {
      n++;
      const plain = digits.replaceAll(',', '');
      if (n % 3 === 0) return `"${key}": "${plain}"`;
      if (n % 7 === 0 && plain.length > 4) return `"${key}": "${plain.slice(0, 4)},${plain.slice(4)}"`;
      if (n % 11 === 0 && digits.includes(',')) return `"${key}": "${digits.replace(/,(\d)(\d\d)/, ',$1,$2')}"`;
      return m;
    });
    expect(varied).not.toBe(whole);
    const text = new TextEncoder().encode(varied);
    const expected = parse(text, false);
    for (const chunk of [text.length, 4099]) expect(parse(text, true, chunk)).toEqual(expected);
  });

  it('gives the same error at the same byte as the general path for a region damaged inside a run', () => {
    const text = testRecording();
    const decoder = new TextDecoder();
    const whole = decoder.decode(text);
    // Damage the 40th region in several ways: a letter in its indentation, a key misspelt,
    // a separator missing, a digit group cut.
    let at = -1;
    for (let i = 0; i < 40; i++) at = whole.indexOf('"start": "', at + 1);
    const damages: Array<(s: string) => string> = [
      (s) => s.slice(0, at - 3) + 'x' + s.slice(at - 2),
      (s) => s.slice(0, at) + '"stort": "' + s.slice(at + 10),
      (s) => {
        const close = s.lastIndexOf('},', at);
        return s.slice(0, close + 1) + ' ' + s.slice(close + 2);
      },
      (s) => {
        const digits = s.indexOf(',', at + 11);
        return s.slice(0, digits) + '"' + s.slice(digits + 1);
      },
    ];
    for (const damage of damages) {
      const damaged = new TextEncoder().encode(damage(whole));
      const expected = parse(damaged, false);
      expect('error' in expected).toBe(true);
      for (const chunk of [damaged.length, 4099]) expect(parse(damaged, true, chunk)).toEqual(expected);
    }
  });

  it('fails a file cut inside a run of regions with the general path’s error and offset', () => {
    const text = testRecording();
    for (const cut of [5000, 5001, 123457, text.length - 100]) {
      const expected = parse(text.subarray(0, cut), false);
      expect('error' in expected).toBe(true);
      expect(parse(text.subarray(0, cut), true, 4099)).toEqual(expected);
    }
  });
});

describe('kept snapshots', () => {
  const snapshot = (targetIndex: number, n: number, seed: number, extras: Partial<Snapshot> = {}): Snapshot => ({
    targetIndex,
    startNs: seed * 100,
    endNs: seed * 100 + 100,
    starts: Float64Array.from({ length: n }, (_, i) => i * 4096 + seed),
    ends: Float64Array.from({ length: n }, (_, i) => i * 4096 + seed + 4096),
    nrAccesses: Float64Array.from({ length: n }, (_, i) => (i * seed) % 20),
    ages: Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : i)),
    ...extras,
  });

  it('gives back what it was given, extras and snapshots larger than a block included', () => {
    const given: Snapshot[] = [
      snapshot(0, 18, 1),
      snapshot(1, 0, 2),
      snapshot(0, 70000, 3, { totalBytes: 123, sampleIntervalUs: 5000 }),
      snapshot(2, 5, 4, { szFilterPassed: Float64Array.from([1, 2, 3, 4, 5]) }),
      snapshot(1, 30000, 5, {
        damosStats: { nrTried: 1, szTriedBytes: 2, nrApplied: 3, szAppliedBytes: 4, szOpsFilterPassedBytes: 5, qtExceeds: 6, nrSnapshots: 7, maxNrSnapshots: 8 },
      }),
      snapshot(0, 40000, 6),
    ];
    const kept = new KeptSnapshots();
    for (const s of given) kept.add(s);
    expect(kept.nrRegions).toBe(given.reduce((n, s) => n + s.starts.length, 0));
    // Typed arrays compared as bytes (a deep compare of 140,000 elements takes seconds).
    const flat = (list: Snapshot[]): unknown[] =>
      list.map((s) =>
        Object.fromEntries(
          Object.entries(s).map(([k, v]) => [k, v instanceof Float64Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : v]),
        ),
      );
    expect(flat([...kept.replay()])).toEqual(flat(given));
    // Passes are independent.
    expect(flat([...kept.replay()])).toEqual(flat(given));
    // In column batches (views of the blocks), whatever the batch size; and kept from
    // column batches (a column pass), the same again.
    const ofColumns = (batches: Iterable<SnapshotColumns>): Snapshot[] => [...batches].flatMap((c) => Array.from({ length: c.count }, (_, k) => snapshotOfColumns(c, k)));
    for (const batch of [1, 2, 4, 1024]) expect(flat(ofColumns(kept.replayColumns(batch)))).toEqual(flat(given));
    const fromColumns = new KeptSnapshots();
    for (const c of kept.replayColumns(3)) fromColumns.addColumns(c);
    expect(fromColumns.nrRegions).toBe(kept.nrRegions);
    expect(flat([...fromColumns.replay()])).toEqual(flat(given));
    expect(flat(ofColumns(fromColumns.replayColumns(1024)))).toEqual(flat(given));
  });
});
