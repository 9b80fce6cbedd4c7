// SPDX-License-Identifier: GPL-2.0-only
/**
 * format/mappings.ts and the replay layout that follows recorded mappings (issue 14 items
 * 10 and 17): /proc/PID/maps parsing, the history by time, and a region spanning a gap.
 */
import { describe, expect, it } from 'vitest';

import { snapshotFromRegions } from '../../src/core/model.js';
import type { MappingHistory} from '../../src/format/mappings.js';
import { bytesInRanges, formatMappings, mappingsFromEvents, parseMappings, parseProcMaps } from '../../src/format/mappings.js';
import { makeLayout } from '../../src/replay/layout.js';
import { buildPeriod, mappedPartOf } from '../../src/replay/plan.js';

const MAPS = [
  '55d0c0000000-55d0c0002000 r--p 00000000 08:01 1 /bin/x',
  '55d0c0002000-55d0c0005000 r-xp 00002000 08:01 1 /bin/x',
  '55d0d0000000-55d0d0021000 rw-p 00000000 00:00 0 [heap]',
  '7f0000000000-7f0008000000 rw-p 00000000 00:00 0',
  'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]',
].join('\n');

describe('recorded mappings', () => {
  it('parses /proc/PID/maps, merging adjacent mappings and leaving out [vsyscall]', () => {
    const r = parseProcMaps(MAPS);
    expect(r).toEqual([
      [0x55d0c0000000, 0x55d0c0005000],
      [0x55d0d0000000, 0x55d0d0021000],
      [0x7f0000000000, 0x7f0008000000],
    ]);
    expect(parseMappings(formatMappings(r))).toEqual(r);
    expect(parseMappings('not a range')).toBeNull();
  });

  it('counts only mapped bytes of a region that spans a gap', () => {
    const r = parseProcMaps(MAPS);
    // From the binary to the end of the heap: 256 MiB of address space, 0x26000 bytes mapped.
    expect(bytesInRanges(r, 0x55d0c0000000, 0x55d0d0021000)).toBe(0x5000 + 0x21000);
  });

  it('keeps a history by time, per target', () => {
    const h = mappingsFromEvents([
      { timeNs: 100, kind: 'mappings', message: '1000-2000', targetIndex: 0 },
      { timeNs: 300, kind: 'mappings', message: '1000-3000', targetIndex: 0 },
      { timeNs: 100, kind: 'warning', message: '1000-9000', targetIndex: 0 },
    ]).get(0) as MappingHistory;
    expect(h.at(0)).toEqual([[0x1000, 0x2000]]);
    expect(h.at(200)).toEqual([[0x1000, 0x2000]]);
    expect(h.at(300)).toEqual([[0x1000, 0x3000]]);
    expect(h.union()).toEqual([[0x1000, 0x3000]]);
  });

  it('lays a replay out over the mapped parts only; a region over a gap feeds both areas', () => {
    const page = 4096;
    const covered: Array<[number, number]> = [[0, 100 * page]];
    const mapped: Array<[number, number]> = [
      [0, 10 * page],
      [90 * page, 100 * page],
    ];
    const layout = makeLayout(mappedPartOf(covered, mapped), { maxMemoryBytes: 1 << 30, pageSizeBytes: page });
    expect(layout.areas.map((a) => [a.traceStart, a.traceEnd])).toEqual(mapped);
    expect(layout.replayBytes).toBe(20 * page);
    const s = snapshotFromRegions(0, 0, 100, [{ start: 0, end: 100 * page, nrAccesses: 5 }]);
    const p = buildPeriod(s, layout, 20, 20);
    expect(p.traceWssBytes).toBe(20 * page);
    expect(p.replayWssBytes).toBe(20 * page);
    expect(p.ranges).toEqual([
      { area: 0, nrAccesses: 5, start: 0, end: 10 * page },
      { area: 1, nrAccesses: 5, start: 0, end: 10 * page },
    ]);
    // Without mappings the gap is replay memory.
    expect(mappedPartOf(covered, undefined)).toEqual(covered);
  });
});
