// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { Float64List } from '../../src/core/value_list.js';

describe('Float64List', () => {
  it('gives back what was pushed, across chunk boundaries, from any index', () => {
    for (const n of [0, 1, 8191, 8192, 8193, 20000]) {
      const list = new Float64List();
      const expected: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = i * 1.5 - 7;
        list.push(v);
        expected.push(v);
      }
      expect(list.length).toBe(n);
      for (const from of [0, 1, 20, 8191, 8192, 8193, n - 1, n, n + 5]) {
        if (from < 0) continue;
        expect(Array.from(list.toArray(from)), `n=${n} from=${from}`).toEqual(expected.slice(from));
      }
    }
  });

  it('gives an array of its own: changing it leaves the list alone', () => {
    const list = new Float64List();
    list.push(1);
    list.push(2);
    const a = list.toArray();
    a[0] = 99;
    expect(Array.from(list.toArray())).toEqual([1, 2]);
  });
});
