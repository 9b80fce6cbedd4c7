// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import type { Snapshot } from '../../src/core/model.js';
import { DamonTraceAssembler } from '../../src/record/trace_parse.js';
import { checkEventHeader, decodePage, parseEventFormat, parsePageHeader, RawEventMerger, rawDamonLayout, type RawEvent } from '../../src/record/trace_raw.js';
import {
  aggregatedFormat,
  aggregatedRecord,
  encodePage,
  HEADER_EVENT,
  HEADER_PAGE,
  PAGE_BYTES,
  pagesOf,
  TUNE_FORMAT,
  tuneRecord,
  type RegionRecord,
} from '../fixtures/record/ring_buffer_pages.js';

const layout = rawDamonLayout({ headerPage: HEADER_PAGE, headerEvent: HEADER_EVENT, aggregatedFormat: aggregatedFormat(), tuneFormat: TUNE_FORMAT });

function region(i: number, over: Partial<RegionRecord> = {}): RegionRecord {
  return { pid: 700, targetId: 0, nrRegions: 3, start: 4096 * (10 + 2 * i), end: 4096 * (11 + 2 * i), nrAccesses: i, age: 5 + i, ...over };
}

function decode(page: Buffer, base = 0n, cpu = 0, n = page.length): RawEvent[] {
  const out: RawEvent[] = [];
  decodePage(page, n, cpu, layout, base, out);
  return out;
}

describe('the description files', () => {
  it('reads the page header, the event header and an event format of Linux 6.12', () => {
    expect(parsePageHeader(HEADER_PAGE)).toEqual({ commitOffset: 8, commitSize: 8, dataOffset: 16, pageBytes: 4096 });
    expect(() => checkEventHeader(HEADER_EVENT)).not.toThrow();
    const f = parseEventFormat(aggregatedFormat());
    expect(f.name).toBe('damon_aggregated');
    expect(f.fields.get('start')).toEqual({ offset: 24, size: 8, signed: false });
    expect(f.fields.get('common_pid')).toEqual({ offset: 4, size: 4, signed: true });
  });

  it('says what does not fit rather than guessing', () => {
    expect(() => checkEventHeader(HEADER_EVENT.replace('27 bits', '26 bits'))).toThrow(/time_delta of 27 bits/);
    expect(() => rawDamonLayout({ headerPage: HEADER_PAGE, headerEvent: HEADER_EVENT, aggregatedFormat: aggregatedFormat().replace('nr_accesses;', 'nr_access;') })).toThrow(
      "damon_aggregated has no field 'nr_accesses'",
    );
    expect(() => parsePageHeader(HEADER_PAGE.replace('commit;', 'kommit;'))).toThrow("no 'commit' field in header_page");
  });
});

describe('decodePage', () => {
  it('gives each record its fields and its time: deltas, a length word, a time extend', () => {
    const base = 1_000_000_000n;
    const page = encodePage(5_000_000_000n, [
      { kind: 'record', delta: 0, data: aggregatedRecord(region(0)) },
      { kind: 'record', delta: 300, data: aggregatedRecord(region(1)), lengthWord: true },
      { kind: 'extend', delta: 3 * 2 ** 27 + 17 },
      { kind: 'record', delta: 5, data: aggregatedRecord(region(2, { start: 2 ** 47 + 4096, end: 2 ** 47 + 8192 })) },
    ]);
    const events = decode(page, base);
    expect(events).toEqual([
      { kind: 'aggregated', ns: 4_000_000_000, cpu: 0, ...region(0) },
      { kind: 'aggregated', ns: 4_000_000_300, cpu: 0, ...region(1) },
      { kind: 'aggregated', ns: 4_000_000_300 + 3 * 2 ** 27 + 17 + 5, cpu: 0, ...region(2, { start: 2 ** 47 + 4096, end: 2 ** 47 + 8192 }) },
    ]);
  });

  it('keeps the delta of a discarded record, takes absolute stamps, skips other events', () => {
    const other = Buffer.alloc(24);
    other.writeUInt16LE(9, 0);
    const page = encodePage(100n, [
      { kind: 'discarded', delta: 40, bytes: 44 },
      { kind: 'record', delta: 2, data: other },
      { kind: 'record', delta: 1, data: tuneRecord(700, 2500) },
      { kind: 'stamp', abs: 7_000_000_123n },
      { kind: 'record', delta: 4, data: aggregatedRecord(region(0)) },
    ]);
    expect(decode(page)).toEqual([
      { kind: 'tune', ns: 143, cpu: 0, pid: 700, sampleUs: 2500 },
      { kind: 'aggregated', ns: 7_000_000_127, cpu: 0, ...region(0) },
    ]);
  });

  it('reports events the kernel overwrote before a page, counted or not', () => {
    const rec = [{ kind: 'record' as const, delta: 0, data: aggregatedRecord(region(0)) }];
    expect(decode(encodePage(10n, rec, 37), 0n, 2)[0]).toEqual({ kind: 'lost', ns: 10, cpu: 2, nrEvents: 37 });
    expect(decode(encodePage(10n, rec, 'unknown'), 0n, 1)[0]).toEqual({ kind: 'lost', ns: 10, cpu: 1, nrEvents: -1 });
    expect(decode(encodePage(10n, rec, 37))).toHaveLength(2);
  });

  it('ends a page that does not decode in a damaged event instead of reading past it', () => {
    const page = encodePage(10n, [{ kind: 'record', delta: 0, data: aggregatedRecord(region(0)) }]);
    // A record whose length word runs past the data the commit word counts.
    page.writeUInt32LE(0, 16 + 52);
    page.writeUInt32LE(4000, 16 + 52 + 4);
    page.writeUInt32LE(52 + 8, 8);
    const events = decode(page);
    expect(events[0]).toMatchObject({ kind: 'aggregated' });
    expect(events[1]).toMatchObject({ kind: 'damaged', why: 'an event of 4004 bytes at byte 52 of 60' });
    expect(decode(page, 0n, 0, 12)).toEqual([{ kind: 'damaged', ns: 0, cpu: 0, why: 'a read of 12 bytes, shorter than a page header' }]);
    const long = encodePage(10n, []);
    long.writeUInt32LE(PAGE_BYTES, 8);
    expect(decode(long)[0]).toMatchObject({ kind: 'damaged', why: `a page that says ${PAGE_BYTES} bytes of events in a read of ${PAGE_BYTES}` });
  });

  it('reads records without age (Linux before 5.16) with age -1', () => {
    const old = rawDamonLayout({ headerPage: HEADER_PAGE, headerEvent: HEADER_EVENT, aggregatedFormat: aggregatedFormat(false) });
    const out: RawEvent[] = [];
    decodePage(encodePage(0n, [{ kind: 'record', delta: 0, data: aggregatedRecord(region(1)).subarray(0, 44) }]), PAGE_BYTES, 0, old, 0n, out);
    expect(out).toEqual([{ kind: 'aggregated', ns: 0, cpu: 0, ...region(1), age: -1 }]);
  });
});

describe('RawEventMerger', () => {
  it('puts an aggregation split over two CPUs back in time order and holds back the newest', () => {
    const ts = (i: number): bigint => 1_000_000n + BigInt(i) * 1000n;
    const recs = [0, 1, 2].map((i) => ({ ts: ts(i), data: aggregatedRecord(region(i)) }));
    const cpu0: RawEvent[] = [];
    const cpu1: RawEvent[] = [];
    // Regions 0 and 1 on CPU 1, then the kdamond moved: region 2 on CPU 0.
    for (const p of pagesOf(recs.slice(0, 2))) decodePage(p, PAGE_BYTES, 1, layout, 0n, cpu1);
    for (const p of pagesOf(recs.slice(2))) decodePage(p, PAGE_BYTES, 0, layout, 0n, cpu0);
    const m = new RawEventMerger();
    m.add([...cpu0, ...cpu1]);
    const first = m.take(1_001_500);
    expect(first.map((e) => (e.kind === 'aggregated' ? e.start : -1))).toEqual([region(0).start, region(1).start]);
    expect(m.size).toBe(1);
    expect(m.take(Infinity).map((e) => e.cpu)).toEqual([0]);
  });
});

describe('pages through the assembler', () => {
  it('gives the same snapshots as the text of trace_pipe would, over many pages', () => {
    const snaps: Snapshot[] = [];
    const warnings: string[] = [];
    const a = new DamonTraceAssembler({
      baseTimeNs: 0n,
      aggrUs: 100_000,
      acceptPid: (p) => p === 700,
      targetIndexOf: (id) => (id === 0 ? 0 : undefined),
      onSnapshot: (s) => snaps.push(s),
      onWarning: (w) => warnings.push(w),
    });
    const nr = 200;
    const recs: Array<{ ts: bigint; data: Buffer }> = [];
    for (let agg = 0; agg < 3; agg++) {
      for (let i = 0; i < nr; i++) {
        recs.push({ ts: BigInt(agg + 1) * 100_000_000n + BigInt(i), data: aggregatedRecord(region(i, { nrRegions: nr, age: agg })) });
      }
    }
    const pages = pagesOf(recs);
    expect(pages.length).toBeGreaterThan(3);
    const events: RawEvent[] = [];
    for (const p of pages) decodePage(p, PAGE_BYTES, 0, layout, 0n, events);
    for (const ev of events) if (ev.kind === 'aggregated') a.region(ev, () => BigInt(ev.ns));
    a.finish();
    expect(warnings).toEqual([]);
    expect(snaps.map((s) => [s.startNs, s.endNs, s.starts.length, s.ages[0]])).toEqual([
      [0, 100_000_000, nr, 0],
      [100_000_000, 200_000_000, nr, 1],
      [200_000_000, 300_000_000, nr, 2],
    ]);
    expect(Array.from(snaps[1]?.nrAccesses ?? [])).toEqual(Array.from({ length: nr }, (_, i) => i));
  });

  it('drops the snapshot in progress when a page says events were lost', () => {
    const warnings: string[] = [];
    const snaps: Snapshot[] = [];
    const a = new DamonTraceAssembler({ baseTimeNs: 0n, aggrUs: 1000, acceptPid: () => true, targetIndexOf: () => 0, onSnapshot: (s) => snaps.push(s), onWarning: (w) => warnings.push(w) });
    const out: RawEvent[] = [];
    decodePage(pagesOf([{ ts: 5n, data: aggregatedRecord(region(0)) }])[0] as Buffer, PAGE_BYTES, 0, layout, 0n, out);
    decodePage(pagesOf([{ ts: 9n, data: aggregatedRecord(region(1)) }], 12)[0] as Buffer, PAGE_BYTES, 3, layout, 0n, out);
    for (const ev of out) {
      if (ev.kind === 'aggregated') a.region(ev, () => BigInt(ev.ns));
      else if (ev.kind === 'lost') a.lost(ev.cpu, ev.nrEvents);
    }
    expect(warnings).toEqual(['dropped an incomplete snapshot of target 0: the trace buffer of CPU 3 overflowed (12 events lost)']);
    expect(a.lostEvents).toBe(12);
    expect(snaps).toEqual([]);
  });
});
