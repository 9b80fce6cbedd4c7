// SPDX-License-Identifier: GPL-2.0-only
/**
 * The damo json parser's region arenas (format/damo/records.ts RegionAccumulator): arenas
 * refilled after recycle() hand out exactly the regions pushed since, filter results included;
 * without recycle() nothing handed out is overwritten.
 */
import { describe, expect, it } from 'vitest';

import { RegionAccumulator } from '../../src/format/damo/records.js';

function pushAll(acc: RegionAccumulator, regions: ReadonlyArray<[number, number]>, withPassed: boolean): void {
  for (const [start, passed] of regions) {
    acc.push(start, start + 4096, 1, 2, passed);
    if (withPassed) acc.hasSzFilterPassed = true;
  }
}

describe('RegionAccumulator arenas', () => {
  it('refills recycled arenas with exactly the regions pushed since, filter results included', async () => {
    const acc = new RegionAccumulator(4);
    acc.keepRetired = true;
    const got: number[][] = [];
    for (let k = 0; k < 12; k++) {
      // Every third snapshot has filter results (some 0), the others none.
      const withPassed = k % 3 === 0;
      pushAll(acc, [[k * 10, withPassed ? k : 0], [k * 10 + 1, 0], [k * 10 + 2, withPassed ? 7 : 0]], withPassed);
      const s = acc.take();
      got.push([...s.starts], [...(s.szFilterPassed ?? [-1])]);
      acc.recycle();
    }
    expect(got).toEqual(Array.from({ length: 12 }, (_, k) => [[k * 10, k * 10 + 1, k * 10 + 2], k % 3 === 0 ? [k, 0, 7] : [-1]]).flat());
  });

  it('keeps what it handed out while no recycle() says it is dead', async () => {
    const acc = new RegionAccumulator(4);
    acc.keepRetired = true;
    const taken = [];
    for (let k = 0; k < 6; k++) {
      pushAll(acc, [[k * 10, k], [k * 10 + 1, k], [k * 10 + 2, k]], true);
      taken.push(acc.take());
    }
    expect(taken.map((s) => [...s.starts])).toEqual(Array.from({ length: 6 }, (_, k) => [k * 10, k * 10 + 1, k * 10 + 2]));
    expect(taken.map((s) => [...(s.szFilterPassed ?? [])])).toEqual(Array.from({ length: 6 }, (_, k) => [k, k, k]));
  });
});
