// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import type { Snapshot } from '../../src/core/model.js';
import { DamonTraceAssembler, parseTraceLine } from '../../src/record/trace_parse.js';

function line(pid: number, ts: string, tid: number, nr: number, start: number, end: number, acc: number, age?: number, comm = 'kdamond.0'): string {
  return `       ${comm}-${pid}    [001] d..1.  ${ts}: damon_aggregated: target_id=${tid} nr_regions=${nr} ${start}-${end}: ${acc}${age === undefined ? '' : ` ${age}`}\n`;
}

function assembler(pid = 100, base = 0n) {
  const snaps: Snapshot[] = [];
  const warnings: string[] = [];
  const a = new DamonTraceAssembler({
    baseTimeNs: base,
    aggrUs: 100_000,
    acceptPid: (p) => p === pid,
    targetIndexOf: (id) => (id < 2 ? id : undefined),
    onSnapshot: (s) => snaps.push(s),
    onWarning: (w) => warnings.push(w),
  });
  return { a, snaps, warnings };
}

describe('parseTraceLine', () => {
  it('parses a trace_pipe damon_aggregated line (flags column, mono clock)', () => {
    expect(parseTraceLine(line(46568, '79357.842179', 0, 11, 122509119488, 135708762112, 0, 864))).toEqual({
      kind: 'aggregated',
      pid: 46568,
      timeNs: 79357842179000n,
      targetId: 0,
      nrRegions: 11,
      start: 122509119488,
      end: 135708762112,
      nrAccesses: 0,
      age: 864,
    });
  });

  it('accepts perf script lines (damon: prefix, no flags) and lines without age (5.15)', () => {
    const l = parseTraceLine('kdamond.0  4452 [000] 82877.315633: damon:damon_aggregated: target_id=18446623435582458880 nr_regions=17 140731667070976-140731668037632: 0');
    // perf script separates comm and pid by spaces; only trace_pipe's comm-pid form is ours.
    expect(l.kind).toBe('other');
    const t = parseTraceLine(line(7, '1.5', 1, 2, 0, 4096, 3));
    expect(t).toMatchObject({ kind: 'aggregated', timeNs: 1_500_000_000n, age: -1, nrAccesses: 3 });
  });

  it('keeps comms containing dashes and spaces', () => {
    const l = parseTraceLine(line(9, '2.000001', 0, 1, 0, 4096, 1, 0, 'my-odd comm'));
    expect(l).toMatchObject({ kind: 'aggregated', pid: 9 });
  });

  it('recognises lost-event markers and interval tuning', () => {
    expect(parseTraceLine('CPU:3 [LOST 120 EVENTS]')).toEqual({ kind: 'lost', cpu: 3, nrEvents: 120 });
    expect(parseTraceLine('  kdamond.0-5  [000] .....  10.000000: damon_monitor_intervals_tune: sample_us=7000')).toEqual({ kind: 'tune', pid: 5, timeNs: 10_000_000_000n, sampleUs: 7000 });
    expect(parseTraceLine('garbage')).toEqual({ kind: 'other' });
  });
});

describe('DamonTraceAssembler', () => {
  it('builds one snapshot per target per aggregation, split across arbitrary chunk boundaries', () => {
    const { a, snaps } = assembler(100, 1_000_000_000n);
    const text =
      line(100, '1.100000', 0, 2, 4096, 8192, 3, 1) +
      line(100, '1.100001', 0, 2, 8192, 16384, 0, 5) +
      line(100, '1.100002', 1, 1, 0, 4096, 7, 2) +
      line(100, '1.200000', 0, 2, 4096, 12288, 1, 0) +
      line(100, '1.200001', 0, 2, 12288, 16384, 2, 0);
    for (let i = 0; i < text.length; i += 7) a.push(text.slice(i, i + 7));
    a.finish();
    expect(snaps.map((s) => [s.targetIndex, s.startNs, s.endNs, [...s.starts], [...s.ends], [...s.nrAccesses], [...s.ages]])).toEqual([
      [0, 0, 100_000_000, [4096, 8192], [8192, 16384], [3, 0], [1, 5]],
      [1, 2000, 100_002_000, [0], [4096], [7], [2]],
      [0, 100_000_000, 200_000_000, [4096, 12288], [12288, 16384], [1, 2], [0, 0]],
    ]);
  });

  it("drops other kdamonds' events by pid", () => {
    const { a, snaps, warnings } = assembler(100);
    a.push(line(77, '1.0', 0, 1, 0, 4096, 9, 9) + line(100, '1.0', 0, 1, 4096, 8192, 1, 1));
    expect(snaps).toHaveLength(1);
    expect(snaps[0]?.starts[0]).toBe(4096);
    expect(a.foreignLines).toBe(1);
    expect(warnings).toEqual([]);
  });

  it('drops a partial snapshot when events were lost, and reports it', () => {
    const { a, snaps, warnings } = assembler();
    a.push(line(100, '1.0', 0, 3, 0, 4096, 1, 1) + 'CPU:1 [LOST 5 EVENTS]\n' + line(100, '1.1', 0, 2, 0, 4096, 1, 1) + line(100, '1.1', 0, 2, 4096, 8192, 1, 1));
    expect(snaps).toHaveLength(1);
    expect(snaps[0]?.starts.length).toBe(2);
    expect(a.droppedSnapshots).toBe(1);
    expect(warnings[0]).toMatch(/overflowed \(5 events lost\)/);
  });

  it('drops a partial snapshot when the next aggregation starts early', () => {
    const { a, snaps, warnings } = assembler();
    a.push(line(100, '1.0', 0, 3, 0, 4096, 1) + line(100, '1.0', 0, 3, 4096, 8192, 1) + line(100, '1.1', 0, 3, 0, 4096, 2));
    expect(snaps).toHaveLength(0);
    expect(warnings).toHaveLength(1);
    a.push(line(100, '1.1', 0, 3, 4096, 8192, 2) + line(100, '1.1', 0, 3, 8192, 12288, 2));
    expect(snaps).toHaveLength(1);
  });

  it('sets the sample interval after a tuning event and drops an unfinished snapshot at the end', () => {
    const { a, snaps } = assembler();
    a.push('  kdamond.0-100  [000] .....  1.000000: damon_monitor_intervals_tune: sample_us=7000\n');
    a.push(line(100, '1.1', 0, 1, 0, 4096, 1) + line(100, '1.2', 0, 2, 0, 4096, 1));
    a.finish();
    expect(snaps).toHaveLength(1);
    expect(snaps[0]?.sampleIntervalUs).toBe(7000);
    expect(a.droppedSnapshots).toBe(1);
  });
});

describe('DamonTraceAssembler fast path', () => {
  // The assembler reads the common trace_pipe line without parseTraceLine; every shape,
  // common or not, must give what parseTraceLine gives.
  const shapes = [
    line(46568, '79357.842179', 0, 1, 122509119488, 135708762112, 0, 864),
    line(7, '1.5', 1, 1, 0, 4096, 3),
    line(9, '2.000001', 0, 1, 0, 4096, 1, 0, 'my-odd comm'),
    line(9, '2.000001', 0, 1, 0, 4096, 1, 0, 'a-1 [2] b'),
    line(12, '3.25', 0, 1, 140731667070976, 140731668037632, 20, 4294967295),
    '  kdamond.0-31 ( 31) [000] d..1.  4.100000: damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3\n',
    '  kdamond.0-31 [000] 4.100000: damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3\n',
    '  kdamond.0-31 [000] .....  4.100000: damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3\r\n',
    '  kdamond.0-31 [000] .....  4.100000: damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3  \n',
    '  kdamond.0-31 [000] .....  4.100000: damon_aggregated: target_id=0  nr_regions=1 0-4096: 2 3\n',
    '  kdamond.0-31 [000] .....  4.100000: damon_aggregated: target_id=18446623435582458880 nr_regions=1 0-4096: 2\n',
    '  kdamond.0-31 [000] .....  4.100000: damon:damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3\n',
    '  kdamond.0-31 [000] ..... x 4.100000: damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3\n',
    '  kdamond.0-31 [0a0] .....  4.100000: damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3\n',
    '  kdamond.0-31 [000] .....  4.: damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3\n',
    '-31 [000] .....  4.1: damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3\n',
    '  kdamond.0-31 [000] .....  4.100000: damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3 4\n',
    '  kdamond.0-31 [000] .....  4.100000: damon_aggregated: target_id=0 nr_regions=1 0-4096:  2\n',
    '  kdamond.0-31 [000] .....  4.100000: damon_aggregated: target_id=0 nr_regions=1 123456789012345678-123456789012345679: 2 3\n',
  ];
  it.each(shapes.map((s, i) => [i, s]))('shape %i gives what parseTraceLine gives', (_i, text) => {
    const snaps: Snapshot[] = [];
    const a = new DamonTraceAssembler({
      baseTimeNs: 0n,
      aggrUs: 100_000,
      acceptPid: () => true,
      targetIndexOf: () => 0,
      onSnapshot: (s) => snaps.push(s),
      onWarning: () => undefined,
    });
    a.push(String(text));
    const l = parseTraceLine(String(text));
    if (l.kind !== 'aggregated') {
      expect(snaps).toEqual([]);
      return;
    }
    expect(snaps).toHaveLength(1);
    const s = snaps[0]!;
    expect([s.endNs, s.starts[0], s.ends[0], s.nrAccesses[0], s.ages[0]]).toEqual([Number(l.timeNs), l.start, l.end, l.nrAccesses, l.age]);
  });

  it('reads the pid and the target of the common line', () => {
    const { a, snaps } = assembler(31);
    a.push('  kdamond.0-31 [000] .....  4.100000: damon_aggregated: target_id=1 nr_regions=1 0-4096: 2 3\n');
    a.push('  kdamond.0-32 [000] .....  4.100000: damon_aggregated: target_id=0 nr_regions=1 0-4096: 2 3\n');
    expect(snaps.map((s) => s.targetIndex)).toEqual([1]);
    expect(a.foreignLines).toBe(1);
  });
});
