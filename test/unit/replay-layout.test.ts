// SPDX-License-Identifier: GPL-2.0-only
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { areaIndexOf, IntervalSet, makeLayout, MAX_AREAS, replayOffsetOf } from '../../src/replay/layout.js';

const PAGE = 4096;

/** Reference model: a set of integer points. */
function pointsOf(ops: Array<{ add: boolean; s: number; e: number }>): Set<number> {
  const set = new Set<number>();
  for (const op of ops) {
    for (let x = op.s; x < op.e; x++) {
      if (op.add) set.add(x);
      else set.delete(x);
    }
  }
  return set;
}

describe('IntervalSet', () => {
  it('matches a point-set model under random adds and subtracts', () => {
    const op = fc.record({ add: fc.boolean(), s: fc.integer({ min: 0, max: 60 }), len: fc.integer({ min: 0, max: 20 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (raw) => {
        const ops = raw.map((o) => ({ add: o.add, s: o.s, e: o.s + o.len }));
        const set = new IntervalSet();
        for (const o of ops) {
          if (o.add) set.add(o.s, o.e);
          else set.subtract(o.s, o.e);
        }
        const model = pointsOf(ops);
        expect(set.total()).toBe(model.size);
        const iv = set.intervals();
        for (let i = 0; i < iv.length; i++) {
          const [s, e] = iv[i] as [number, number];
          expect(e).toBeGreaterThan(s);
          // Disjoint and not touching: touching intervals are merged.
          if (i > 0) expect(s).toBeGreaterThan((iv[i - 1] as [number, number])[1]);
          for (let x = s; x < e; x++) expect(model.has(x)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('merges touching intervals on add', () => {
    const set = new IntervalSet();
    set.add(10, 20);
    set.add(30, 40);
    set.add(20, 30);
    expect(set.intervals()).toEqual([[10, 40]]);
    set.subtract(15, 25);
    expect(set.intervals()).toEqual([
      [10, 15],
      [25, 40],
    ]);
    expect(set.total()).toBe(20);
  });
});

describe('makeLayout', () => {
  const covered: Array<[number, number]> = [
    [0x5555_0000_0000, 0x5555_0000_0000 + 64 * PAGE],
    [0x7f00_0000_0000, 0x7f00_0000_0000 + 192 * PAGE],
    [0x7ffc_0000_0000, 0x7ffc_0000_0000 + 8 * PAGE],
  ];

  it('keeps sizes when the trace fits and drops the gaps', () => {
    const l = makeLayout(covered, { maxMemoryBytes: 1 << 30, pageSizeBytes: PAGE });
    expect(l.scale).toBe(1);
    expect(l.areas.map((a) => a.replayBytes)).toEqual([64 * PAGE, 192 * PAGE, 8 * PAGE]);
    expect(l.areas.map((a) => a.replayOffset)).toEqual([0, 64 * PAGE, 256 * PAGE]);
    expect(l.replayBytes).toBe(264 * PAGE);
    expect(l.traceBytes).toBe(264 * PAGE);
  });

  it('scales every area by the same factor to fit --max_memory, page-rounded, within the budget', () => {
    const l = makeLayout(covered, { maxMemoryBytes: 100 * PAGE, pageSizeBytes: PAGE });
    expect(l.scale).toBeLessThan(1);
    expect(l.replayBytes).toBeLessThanOrEqual(100 * PAGE);
    for (const a of l.areas) {
      expect(a.replayBytes % PAGE).toBe(0);
      const ideal = (a.traceEnd - a.traceStart) * l.scale;
      expect(Math.abs(a.replayBytes - ideal)).toBeLessThanOrEqual(PAGE);
    }
    // Relative sizes are kept: the middle area stays about three times the first.
    const [a0, a1] = l.areas;
    expect((a1?.replayBytes ?? 0) / (a0?.replayBytes ?? 1)).toBeCloseTo(3, 0);
  });

  it('refuses a budget smaller than two pages per area', () => {
    expect(() => makeLayout(covered, { maxMemoryBytes: 4 * PAGE, pageSizeBytes: PAGE })).toThrow(/too small/);
  });

  it('joins gaps up to mergeGapBytes, and the smallest gaps beyond MAX_AREAS areas', () => {
    const joined = makeLayout(
      [
        [0, PAGE],
        [2 * PAGE, 3 * PAGE],
        [100 * PAGE, 101 * PAGE],
      ],
      { maxMemoryBytes: 1 << 30, pageSizeBytes: PAGE, mergeGapBytes: PAGE },
    );
    expect(joined.areas.map((a) => [a.traceStart, a.traceEnd])).toEqual([
      [0, 3 * PAGE],
      [100 * PAGE, 101 * PAGE],
    ]);
    const many: Array<[number, number]> = [];
    for (let i = 0; i < MAX_AREAS + 50; i++) many.push([i * 10 * PAGE, i * 10 * PAGE + PAGE]);
    const l = makeLayout(many, { maxMemoryBytes: 2 ** 40, pageSizeBytes: PAGE });
    expect(l.areas.length).toBeLessThanOrEqual(MAX_AREAS);
    expect(l.areas[0]?.traceStart).toBe(0);
    expect(l.areas[l.areas.length - 1]?.traceEnd).toBe((MAX_AREAS + 49) * 10 * PAGE + PAGE);
  });

  it('maps addresses monotonically, page-aligned, and finds their area', () => {
    const l = makeLayout(covered, { maxMemoryBytes: 50 * PAGE, pageSizeBytes: PAGE });
    const area = l.areas[1];
    if (area === undefined) throw new Error('no area');
    let prev = -1;
    for (let addr = area.traceStart; addr <= area.traceEnd; addr += 7 * PAGE) {
      const off = replayOffsetOf(l, area, addr);
      expect(off % PAGE).toBe(0);
      expect(off).toBeGreaterThanOrEqual(prev);
      expect(off).toBeLessThanOrEqual(area.replayBytes);
      prev = off;
    }
    expect(replayOffsetOf(l, area, area.traceEnd)).toBe(area.replayBytes);
    expect(areaIndexOf(l, area.traceStart)).toBe(1);
    expect(areaIndexOf(l, area.traceEnd)).toBe(-1);
    expect(areaIndexOf(l, 0x7ffc_0000_0000 + PAGE)).toBe(2);
  });
});
