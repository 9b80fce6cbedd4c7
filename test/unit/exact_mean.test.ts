// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { exactMean } from '../../src/report/records.js';

/** Python's int / int, the way exactMean's doc says: the BigInt sum scaled by 2^64, divided. */
function referenceMean(values: number[]): number {
  let sum = 0n;
  for (const v of values) sum += BigInt(v);
  return Number((sum << 64n) / BigInt(values.length)) / 2 ** 64;
}

describe('exactMean', () => {
  it('is the plain mean while the sum is a safe integer, or a value is not an integer', () => {
    expect(exactMean([1, 2, 3, 4])).toBe(2.5);
    expect(exactMean([0.5, 2 ** 53, 2 ** 53])).toBe((0.5 + 2 ** 53 + 2 ** 53) / 3);
  });

  it('rounds the exact sum once when it passes 2^53, as Python does', () => {
    // Deterministic values near 2^50-2^53: sums well past 2^53, and remainders below 2^32
    // that pile up past the carry point.
    let x = 12345;
    const next = (): number => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x;
    };
    for (const n of [3, 17, 1000, 54_300]) {
      const values: number[] = [];
      for (let i = 0; i < n; i++) values.push(Number.MAX_SAFE_INTEGER - next() * 4096 - next());
      expect(exactMean(values), `n=${n}`).toBe(referenceMean(values));
    }
    const odd = [2 ** 53 - 1, 2 ** 53 - 1, 1];
    expect(exactMean(odd)).toBe(referenceMean(odd));
  });
});
