// SPDX-License-Identifier: GPL-2.0-only
/**
 * Fuzzing of every damo-format reader: thousands of mutated inputs (bit flips, byte
 * overwrites with structural characters, insertions, deletions, truncations, duplicated
 * spans) derived from real files. Each input must either read (and then report without
 * crashing) or fail with a DamoError; any other exception or a hang fails the test.
 *
 * FUZZ_N sets the number of inputs per reader (default 5000).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { DamoError } from '../../src/core/errors.js';
import { emptyHeader, type TraceSource } from '../../src/core/model.js';
import { DamoJsonParser } from '../../src/format/damo/json_reader.js';
import { parseLegacy } from '../../src/format/damo/legacy_reader.js';
import { PerfScriptParser } from '../../src/format/damo/perf_script_reader.js';
import { deduceFirstStartTimes, finishRecords, MemoryTraceSource, type PendingRecord } from '../../src/format/damo/records.js';
import { openTrace } from '../../src/format/open.js';
import { mulberry32 } from '../../src/format/synthetic.js';
import { formatNrRegions, nrRegionsDists } from '../../src/report/nr_regions.js';
import { reportRaw } from '../../src/report/raw.js';
import { formatWss, WSS_DEFAULTS, wssDists } from '../../src/report/wss.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const N = Number(process.env['FUZZ_N'] ?? 5000);

const STRUCTURAL = Array.from('[]{},:"-0123456789 \n.enul', (c) => c.charCodeAt(0));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function mutate(seed: Uint8Array, rnd: () => number): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed);
  const nrMutations = 1 + Math.floor(rnd() * 4);
  for (let m = 0; m < nrMutations; m++) {
    const at = Math.floor(rnd() * Math.max(1, b.length));
    const kind = Math.floor(rnd() * 7);
    if (kind === 0 && b.length > 0) b[at] = (b[at] as number) ^ (1 << Math.floor(rnd() * 8));
    else if (kind === 1 && b.length > 0) b[at] = STRUCTURAL[Math.floor(rnd() * STRUCTURAL.length)] as number;
    else if (kind === 2) {
      const ins = STRUCTURAL[Math.floor(rnd() * STRUCTURAL.length)] as number;
      b = concat(b.subarray(0, at), Uint8Array.of(ins), b.subarray(at));
    } else if (kind === 3) {
      const len = 1 + Math.floor(rnd() * 16);
      b = concat(b.subarray(0, at), b.subarray(at + len));
    } else if (kind === 4) b = b.subarray(0, at);
    else if (kind === 5) {
      const len = 1 + Math.floor(rnd() * 64);
      b = concat(b.subarray(0, at), b.subarray(at, at + len), b.subarray(at));
    } else if (b.length > 0) b[at] = Math.floor(rnd() * 256);
  }
  return b;
}

/** Runs the reports on a successfully read recording; they must not throw either. */
async function exercise(src: TraceSource): Promise<void> {
  let text = '';
  await reportRaw(src, { rawNumber: false, pagerLines: 50 }, { writeBytes: async (b) => void (text += Buffer.from(b).toString('utf8')) });
  const opts = { ...WSS_DEFAULTS, excludeSamples: 0 };
  formatWss(await wssDists(src, opts), opts);
  const nrOpts = { percentiles: [0, 50, 100], sortBy: 'size' as const };
  formatNrRegions(await nrRegionsDists(src, nrOpts), nrOpts);
  expect(typeof text).toBe('string');
}

function sourceOf(records: PendingRecord[], deduce: boolean): MemoryTraceSource {
  const header = emptyHeader();
  if (deduce) deduceFirstStartTimes(records, null);
  return new MemoryTraceSource('fuzz', header, finishRecords(records, header));
}

interface Tally {
  ok: number;
  rejected: number;
}

async function fuzz(seed: Uint8Array, seedNo: number, read: (b: Uint8Array) => Promise<TraceSource>): Promise<Tally> {
  const rnd = mulberry32(seedNo);
  const tally: Tally = { ok: 0, rejected: 0 };
  const started = Date.now();
  for (let i = 0; i < N; i++) {
    const input = mutate(seed, rnd);
    const t0 = Date.now();
    let src: TraceSource | undefined;
    try {
      src = await read(input);
    } catch (e) {
      if (!(e instanceof DamoError)) {
        throw new Error(`input ${i} threw ${String(e)} instead of a DamoError; input: ${Buffer.from(input).toString('base64')}`, { cause: e });
      }
      expect(e.message).not.toBe('');
      tally.rejected++;
    }
    if (src !== undefined) {
      try {
        await exercise(src);
      } catch (e) {
        // Reports may refuse a recording (e.g. one without records), but only with a DamoError.
        if (!(e instanceof DamoError)) throw e;
      }
      tally.ok++;
    }
    // A hang shows up as one input taking far longer than the small seeds ever need (a few
    // ms); 10 s leaves room for GC pauses and CPU starvation (2,093 ms seen at load 21).
    expect(Date.now() - t0).toBeLessThan(10_000);
  }
  expect(tally.ok + tally.rejected).toBe(N);
  if (process.env['FUZZ_REPORT'] !== undefined) console.log(`fuzz seed ${seedNo}: ${tally.ok} read, ${tally.rejected} rejected with DamoError`);
  expect(Date.now() - started).toBeLessThan(120_000);
  return tally;
}

function smallJsonSeed(): Uint8Array {
  const text = inflateSync(readFileSync(damoFixture('damo-3.3.0-tests-report/damon.data'))).toString('utf8');
  const doc = JSON.parse(text.replace(/"target_id": (\d+)/, '"target_id": "$1"')) as Array<{ snapshots: unknown[] }>;
  const rec = doc[0] as { snapshots: unknown[]; target_id: string };
  rec.snapshots = rec.snapshots.slice(0, 3);
  const out = JSON.stringify(doc, null, 4).replace(/"target_id": "(\d+)"/, '"target_id": $1');
  // A second record with damo 3.x fields, so those paths are mutated too.
  const extra =
    ',\n{"kdamond_idx": 0, "context_idx": 0, "intervals": {"sample_us": "5000", "aggr_us": "100000", "ops_update_us": "1000000"},' +
    ' "scheme_idx": null, "target_id": null, "scheme_filters": [], "snapshots": [{"start_time": "1 s", "end_time": "1 s 100 ms",' +
    ' "regions": [{"start": "4 KiB", "end": "8,192", "nr_accesses": {"samples": 3, "percent": null}, "age": {"usec": null,' +
    ' "aggr_intervals": "1,234"}, "probe_hits": [], "sz_filter_passed": "1.5 KiB"}], "total_bytes": "4096", "damos_stats": null,' +
    ' "sample_interval_us": null}], "data_source": "unknown"}';
  return new TextEncoder().encode(out.replace(/\n\]$/, extra + '\n]'));
}

const DIR = fileTempDir('damo-fuzz-');

describe(`fuzzing the damo readers (${N} inputs each)`, () => {
  it('json', async () => {
    const seed = smallJsonSeed();
    let n = 0;
    const t = await fuzz(seed, 1, async (b) => {
      const p = new DamoJsonParser();
      // Small chunks exercise the boundaries, whole inputs the region template path.
      const step = n++ % 2 === 0 ? 97 : b.length;
      try {
        for (let i = 0; i < b.length; i += step) p.feed(b.subarray(i, i + step));
        p.finish();
      } catch (e) {
        // The file reader wraps the parser's shape errors the same way.
        if (e instanceof Error && 'offset' in e) throw new DamoError('E_FORMAT', e.message);
        throw e;
      }
      return sourceOf(p.records, false);
    });
    expect(t.ok).toBeGreaterThan(0);
    expect(t.rejected).toBeGreaterThan(0);
  }, 180_000);

  it('json_compressed (through the file reader and streaming zlib)', async () => {
    const dir = mkdtempSync(join(DIR, 'jc-'));
    const seed = deflateSync(smallJsonSeed());
    let n = 0;
    const t = await fuzz(seed, 2, async (b) => {
      const p = join(dir, `in${n++ % 8}.json_compressed`);
      writeFileSync(p, b);
      return openTrace(p);
    });
    expect(t.rejected).toBeGreaterThan(0);
  }, 180_000);

  it('perf script text', async () => {
    const lines = readFileSync(damoFixture('damo-3.3.0-tests-report/perf.data.script'), 'utf8').split('\n').slice(0, 60);
    lines.push('kdamond.0-4452 [000] ..... 82821.999999: damon_aggregated: target_id=5 nr_regions=1 4096-8192: 2 7');
    lines.push('kdamond.0  4452 [000] 82822.0: damon:damon_monitor_intervals_tune: sample_us=5000');
    lines.push('kdamond.0  4452 [000] 82822.1: damon:damos_before_apply: ctx_idx=0 scheme_idx=0 target_idx=0 nr_regions=1 0-4096: 1 3');
    const seed = new TextEncoder().encode(lines.join('\n') + '\n');
    const t = await fuzz(seed, 3, async (b) => {
      const p = new PerfScriptParser('fuzz');
      p.feed(new TextDecoder().decode(b));
      return sourceOf(p.finish(false).records, true);
    });
    expect(t.ok).toBeGreaterThan(0);
  }, 180_000);

  it('legacy binary', async () => {
    const seed = readFileSync(damoFixture('damon.data.legacy-recfmt2')).subarray(0, 20 + 4 * (20 + 8 + 4 + 12 * 20));
    const t = await fuzz(seed, 4, async (b) => sourceOf(parseLegacy('fuzz', b).records, true));
    expect(t.ok).toBeGreaterThan(0);
    expect(t.rejected).toBeGreaterThan(0);
  }, 180_000);
});
