// SPDX-License-Identifier: GPL-2.0-only
/**
 * Recorder cost per aggregation interval with the tracefs source: parse the
 * damon:damon_aggregated text of 1,000 aggregations of 1,000 regions (DAMON's default
 * max_nr_regions) from trace_pipe-sized chunks, decode the same events from the binary
 * pages of trace_pipe_raw, and stream every snapshot to a trace file.
 * The figure that matters is CPU time per aggregation: at the default 100 ms aggregation
 * interval, 5 ms is 5% of one CPU.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Snapshot } from '../src/core/model.js';
import { syntheticHeader } from '../src/format/synthetic.js';
import { TraceWriter } from '../src/format/trace_writer.js';
import { DamonTraceAssembler } from '../src/record/trace_parse.js';
import { decodePage, rawDamonLayout, type RawEvent } from '../src/record/trace_raw.js';
import { aggregatedFormat, aggregatedRecord, HEADER_EVENT, HEADER_PAGE, PAGE_BYTES, pagesOf } from '../test/fixtures/record/ring_buffer_pages.js';
import type { BenchResult } from './run.js';

const NR_AGGREGATIONS = 1000;
const NR_REGIONS = 1000;
const CHUNK = 1 << 20;

function traceText(): string[] {
  const chunks: string[] = [];
  let cur = '';
  for (let a = 0; a < NR_AGGREGATIONS; a++) {
    const t = 1000 + a * 0.1;
    const ts = `${Math.floor(t)}.${String(Math.round((t % 1) * 1e6)).padStart(6, '0')}`;
    let addr = 0x7f00_0000_0000;
    for (let r = 0; r < NR_REGIONS; r++) {
      const end = addr + 4096 * (1 + ((r * 7 + a) % 50));
      cur += `       kdamond.0-4242    [001] .....  ${ts}: damon_aggregated: target_id=0 nr_regions=${NR_REGIONS} ${addr}-${end}: ${(r + a) % 21} ${r % 100}\n`;
      addr = end;
      if (cur.length >= CHUNK) {
        chunks.push(cur);
        cur = '';
      }
    }
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

/** The same events as traceText(), as the pages trace_pipe_raw hands out. */
function tracePages(): Buffer[] {
  const records: Array<{ ts: bigint; data: Buffer }> = [];
  for (let a = 0; a < NR_AGGREGATIONS; a++) {
    const ts = 1000n * 1_000_000_000n + BigInt(a) * 100_000_000n;
    let addr = 0x7f00_0000_0000;
    for (let r = 0; r < NR_REGIONS; r++) {
      const end = addr + 4096 * (1 + ((r * 7 + a) % 50));
      records.push({ ts: ts + BigInt(r * 150), data: aggregatedRecord({ pid: 4242, targetId: 0, nrRegions: NR_REGIONS, start: addr, end, nrAccesses: (r + a) % 21, age: r % 100 }) });
      addr = end;
    }
  }
  return pagesOf(records);
}

/** CPU ms to decode the pages and assemble their snapshots, best of three. */
function bestRawDecodeCpuMs(): number {
  const pages = tracePages();
  const layout = rawDamonLayout({ headerPage: HEADER_PAGE, headerEvent: HEADER_EVENT, aggregatedFormat: aggregatedFormat() });
  const base = 1000n * 1_000_000_000n;
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    let n = 0;
    const cpu0 = process.cpuUsage();
    const a = new DamonTraceAssembler({ baseTimeNs: base, aggrUs: 100_000, acceptPid: (p) => p === 4242, targetIndexOf: (id) => id, onSnapshot: () => n++, onWarning: () => undefined });
    const events: RawEvent[] = [];
    for (const page of pages) {
      events.length = 0;
      decodePage(page, PAGE_BYTES, 0, layout, base, events);
      for (const ev of events) if (ev.kind === 'aggregated') a.region(ev, () => base + BigInt(ev.ns));
    }
    a.finish();
    const cpu = process.cpuUsage(cpu0);
    if (n !== NR_AGGREGATIONS) throw new Error(`decoded ${n} snapshots, expected ${NR_AGGREGATIONS}`);
    best = Math.min(best, (cpu.user + cpu.system) / 1000);
  }
  return best;
}

export async function run(): Promise<BenchResult[]> {
  const chunks = traceText();
  const dir = mkdtempSync(join(tmpdir(), 'damo-bench-record-'));
  try {
    let bestParseCpuMs = Infinity;
    let bestAllCpuMs = Infinity;
    for (let pass = 0; pass < 3; pass++) {
      // Parsing alone.
      let n = 0;
      let cpu0 = process.cpuUsage();
      const a = new DamonTraceAssembler({
        baseTimeNs: 1000n * 1_000_000_000n,
        aggrUs: 100_000,
        acceptPid: (p) => p === 4242,
        targetIndexOf: (id) => id,
        onSnapshot: () => n++,
        onWarning: () => undefined,
      });
      for (const c of chunks) a.push(c);
      a.finish();
      let cpu = process.cpuUsage(cpu0);
      if (n !== NR_AGGREGATIONS) throw new Error(`parsed ${n} snapshots, expected ${NR_AGGREGATIONS}`);
      bestParseCpuMs = Math.min(bestParseCpuMs, (cpu.user + cpu.system) / 1000);

      // Parsing and streaming to a trace file, as the recorder does.
      const path = join(dir, `rec${pass}.damo`);
      const w = TraceWriter.create(path, syntheticHeader({ nrSnapshots: NR_AGGREGATIONS, nrRegionsPerSnapshot: NR_REGIONS, seed: 1 }));
      cpu0 = process.cpuUsage();
      const b = new DamonTraceAssembler({
        baseTimeNs: 1000n * 1_000_000_000n,
        aggrUs: 100_000,
        acceptPid: (p) => p === 4242,
        targetIndexOf: (id) => id,
        onSnapshot: (s: Snapshot) => w.writeSnapshot(s),
        onWarning: () => undefined,
      });
      for (const c of chunks) b.push(c);
      b.finish();
      w.close('bench');
      cpu = process.cpuUsage(cpu0);
      bestAllCpuMs = Math.min(bestAllCpuMs, (cpu.user + cpu.system) / 1000);
    }
    const perAggr = bestAllCpuMs / NR_AGGREGATIONS;
    const smallWriteUs = bestSmallWriteUs(dir);
    const rawCpuMs = bestRawDecodeCpuMs();
    return [
      { name: 'tracefs text parse, 1M regions (CPU)', value: Math.round(bestParseCpuMs), unit: 'ms' },
      { name: 'tracefs parse throughput', value: Math.round((NR_AGGREGATIONS * NR_REGIONS) / (bestParseCpuMs / 1000)), unit: 'lines/s' },
      { name: 'trace_pipe_raw pages decoded, 1M regions (CPU)', value: Math.round(rawCpuMs), unit: 'ms' },
      { name: 'parse + stream to trace, per 1,000-region aggregation', value: perAggr, unit: 'ms CPU', target: '<= 5', ok: perAggr <= 5 },
      { name: `stream to trace, per ${SMALL_NR_REGIONS}-region snapshot (writer alone)`, value: smallWriteUs, unit: 'us CPU' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Regions of the recordings the VM's workloads give (tens to a few hundred a snapshot). */
const SMALL_NR_REGIONS = 50;
const SMALL_NR_SNAPSHOTS = 4000;

/**
 * The writer alone on small snapshots, one a block as the recorder writes them: what a
 * block costs apart from its regions (the deflater, the frame, the write). Best of three.
 */
function bestSmallWriteUs(dir: string): number {
  const variants: Snapshot[] = [];
  for (let k = 0; k < 64; k++) {
    const starts = new Float64Array(SMALL_NR_REGIONS);
    const ends = new Float64Array(SMALL_NR_REGIONS);
    const nrAccesses = new Float64Array(SMALL_NR_REGIONS);
    const ages = new Float64Array(SMALL_NR_REGIONS);
    let addr = 0x7f00_0000_0000;
    for (let r = 0; r < SMALL_NR_REGIONS; r++) {
      starts[r] = addr;
      addr += 4096 * (1 + ((r * 7 + k) % 50));
      ends[r] = addr;
      nrAccesses[r] = (r + k) % 21;
      ages[r] = r % 100;
    }
    variants.push({ targetIndex: 0, startNs: 0, endNs: 0, starts, ends, nrAccesses, ages });
  }
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const w = TraceWriter.create(join(dir, `small${pass}.damo`), syntheticHeader({ nrSnapshots: SMALL_NR_SNAPSHOTS, nrRegionsPerSnapshot: SMALL_NR_REGIONS, seed: 1 }));
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < SMALL_NR_SNAPSHOTS; i++) {
      const s = variants[i % variants.length] as Snapshot;
      w.writeSnapshot({ ...s, startNs: i * 1e8, endNs: (i + 1) * 1e8 });
    }
    w.close('bench');
    const cpu = process.cpuUsage(cpu0);
    best = Math.min(best, (cpu.user + cpu.system) / SMALL_NR_SNAPSHOTS);
  }
  return Math.round(best * 10) / 10;
}
