// SPDX-License-Identifier: GPL-2.0-only
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { RangeMap } from '../../src/schemes/rangemap.js';
import { TimeSeries } from '../../src/schemes/timeseries.js';

describe('RangeMap', () => {
  it('agrees with a per-address model under random set/remove', () => {
    const op = fc.record({
      set: fc.boolean(),
      start: fc.integer({ min: 0, max: 60 }),
      len: fc.integer({ min: 0, max: 20 }),
      value: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const m = new RangeMap();
        const model: Array<number | undefined> = new Array(80).fill(undefined);
        let removed = 0;
        let expectRemoved = 0;
        for (const o of ops) {
          const end = o.start + o.len;
          for (let a = o.start; a < end; a++) if (model[a] !== undefined) expectRemoved++;
          const cb = (s: number, e: number): void => {
            removed += e - s;
          };
          if (o.set) m.set(o.start, end, o.value, cb);
          else m.remove(o.start, end, cb);
          for (let a = o.start; a < end; a++) model[a] = o.set ? o.value : undefined;
        }
        const got: Array<number | undefined> = new Array(80).fill(undefined);
        let prevEnd = -1;
        let prevValue = -1;
        for (const [s, e, v] of m.entries()) {
          expect(s).toBeLessThan(e);
          expect(s).toBeGreaterThanOrEqual(prevEnd);
          // touching neighbours with the same value are merged
          if (s === prevEnd) expect(v).not.toBe(prevValue);
          for (let a = s; a < e; a++) got[a] = v;
          prevEnd = e;
          prevValue = v;
        }
        expect(got).toEqual(model);
        expect(m.sizeBytes).toBe(model.filter((x) => x !== undefined).length);
        expect(removed).toBe(expectRemoved);
      }),
    );
  });
});

describe('TimeSeries', () => {
  it('keeps at most maxPoints points and preserves sums, last values and peaks', () => {
    const ts = new TimeSeries(['sum', 'last', 'max'], 8);
    let sum = 0;
    let peak = 0;
    for (let i = 1; i <= 101; i++) {
      const v = (i * 37) % 11;
      sum += v;
      peak = Math.max(peak, v);
      ts.push(i, [v, i, v]);
    }
    ts.finish();
    expect(ts.times.length).toBeLessThanOrEqual(9);
    expect(ts.columns[0]?.reduce((a, b) => a + b, 0)).toBe(sum);
    expect(ts.columns[1]?.[ts.columns[1].length - 1]).toBe(101);
    expect(Math.max(...(ts.columns[2] ?? []))).toBe(peak);
    expect(ts.times[ts.times.length - 1]).toBe(101);
    // times increase
    for (let i = 1; i < ts.times.length; i++) expect(ts.times[i]).toBeGreaterThan(ts.times[i - 1] ?? 0);
  });
});
