// SPDX-License-Identifier: GPL-2.0-only
/**
 * What simulate counts when the recording says what was mapped and what was resident
 * (issue 19: the kernel's DAMOS frees only resident pages, and counts sz_applied only for
 * regions mapped end to end), and the recorder's reading of resident pages.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { snapshotFromRegions } from '../../src/core/model.js';
import { bytesInRanges, MappingHistory, rangeHistoriesFromEvents, subtractRanges, type Ranges } from '../../src/format/mappings.js';
import { RESIDENT_EVENT_KIND } from '../../src/format/resident.js';
import { appendPresentRuns, pageHoldingMappings, readResidentPages, ResidentBudget } from '../../src/record/resident_pages.js';
import { SchemesSimulator, type SimulationOptions } from '../../src/schemes/simulate.js';
import { parseSchemeLine } from '../../src/schemes/text.js';

const K = 4096;
const MS = 1_000_000;
const OPTS: SimulationOptions = { intervals: { sampleUs: 5000, aggrUs: 100000 }, ops: 'vaddr', minRegionSz: K };

function history(...readings: Array<[number, Ranges]>): Map<number, MappingHistory> {
  const h = new MappingHistory();
  for (const [t, r] of readings) h.add(t, r);
  return new Map([[0, h]]);
}

// Mapped: [0, 16K) and [32K, 48K), a gap between. Resident: [0, 4K) and [32K, 40K).
const MAPPED: Ranges = [
  [0, 16 * K],
  [32 * K, 48 * K],
];
const RESIDENT: Ranges = [
  [0, 4 * K],
  [32 * K, 40 * K],
];
// Two cold regions, the second spanning the gap.
const COLD = snapshotFromRegions(0, 0, 100 * MS, [
  { start: 0, end: 16 * K, nrAccesses: 0, age: 5 },
  { start: 16 * K, end: 48 * K, nrAccesses: 0, age: 5 },
]);
// Then every page of the second region is accessed.
const HOT_AGAIN = snapshotFromRegions(0, 100 * MS, 200 * MS, [
  { start: 0, end: 16 * K, nrAccesses: 0, age: 6 },
  { start: 16 * K, end: 48 * K, nrAccesses: 20, age: 0 },
]);

function simulate(extra: Partial<SimulationOptions>) {
  const sim = new SchemesSimulator([parseSchemeLine('4K max 0 0 0us max pageout')], { ...OPTS, ...extra });
  sim.step([COLD]);
  const afterFirst = sim.result().schemes[0];
  sim.step([HOT_AGAIN]);
  return { afterFirst, end: sim.result().schemes[0] };
}

describe('simulate with recorded mappings and resident pages', () => {
  it('without either, every region byte is applied and paged out', () => {
    const { afterFirst } = simulate({});
    expect(afterFirst?.stats.szTried).toBe(48 * K);
    expect(afterFirst?.stats.szApplied).toBe(48 * K);
    expect(afterFirst?.effects.finalBytes).toBe(48 * K);
  });

  it('with mappings only, a region over a gap applies 0 (ENOMEM) but its mapped part is paged out', () => {
    const { afterFirst } = simulate({ mappings: history([0, MAPPED]) });
    expect(afterFirst?.stats.szTried).toBe(48 * K);
    expect(afterFirst?.stats.szApplied).toBe(16 * K);
    expect(afterFirst?.effects.finalBytes).toBe(32 * K);
  });

  it('with resident pages, only they leave memory, and only they can refault', () => {
    const { afterFirst, end } = simulate({ mappings: history([0, MAPPED]), resident: history([0, RESIDENT]) });
    // sz_applied is the kernel's statistic: whole regions mapped end to end, resident or not.
    expect(afterFirst?.stats.szApplied).toBe(16 * K);
    expect(afterFirst?.effects.finalBytes).toBe(4 * K + 8 * K);
    // The second region's access brings back its 8 KiB that were paged out.
    expect(end?.effects.reaccessedBytes).toBe(8 * K);
    expect(end?.effects.finalBytes).toBe(4 * K);
  });

  it('takes the latest reading before each aggregation', () => {
    // Nothing resident at first; [0, 12K) from 150 ms on (the second step ends at 200 ms).
    const resident = history([0, []], [150 * MS, [[0, 12 * K]]]);
    const sim = new SchemesSimulator([parseSchemeLine('4K max 0 0 0us max pageout')], { ...OPTS, mappings: history([0, MAPPED]), resident });
    sim.step([COLD]);
    expect(sim.result().schemes[0]?.effects.finalBytes).toBe(0);
    sim.step([snapshotFromRegions(0, 100 * MS, 200 * MS, [{ start: 0, end: 16 * K, nrAccesses: 0, age: 6 }])]);
    expect(sim.result().schemes[0]?.effects.finalBytes).toBe(12 * K);
  });

  it('reads resident events per target in the mappings message format', () => {
    const h = rangeHistoriesFromEvents(
      [
        { timeNs: 5, kind: RESIDENT_EVENT_KIND, message: '1000-3000', targetIndex: 1 },
        { timeNs: 5, kind: 'mappings', message: '0-9000', targetIndex: 1 },
        { timeNs: 9, kind: RESIDENT_EVENT_KIND, message: '', targetIndex: 1 },
      ],
      RESIDENT_EVENT_KIND,
    );
    expect([...h.keys()]).toEqual([1]);
    expect(h.get(1)?.at(5)).toEqual([[0x1000, 0x3000]]);
    expect(h.get(1)?.at(9)).toEqual([]);
  });
});

describe('reading resident pages', () => {
  it('skips PROT_NONE mappings and [vsyscall]', () => {
    const maps = [
      '1000-3000 r--p 00000000 08:01 1 /bin/x',
      '3000-5000 ---p 00000000 00:00 0',
      '5000-6000 rw-p 00000000 00:00 0',
      'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]',
    ].join('\n');
    expect(pageHoldingMappings(maps)).toEqual([
      [0x1000, 0x3000],
      [0x5000, 0x6000],
    ]);
  });

  it('turns pagemap entries into runs of present pages (bit 63)', () => {
    const present = [1, 1, 0, 1, 0, 0, 1];
    const words = new Uint32Array(present.length * 2);
    present.forEach((p, i) => {
      words[2 * i] = 0x1234; // frame number bits: ignored
      words[2 * i + 1] = p === 1 ? 0x80000000 : 0x40000000; // bit 62 (swapped) is not resident
    });
    const out: Ranges = [];
    appendPresentRuns(out, words, present.length, 0x10000, K);
    expect(out).toEqual([
      [0x10000, 0x10000 + 2 * K],
      [0x10000 + 3 * K, 0x10000 + 4 * K],
      [0x10000 + 6 * K, 0x10000 + 7 * K],
    ]);
  });

  it('reads this process: some pages resident, all of them inside its mappings', () => {
    const mapped = pageHoldingMappings(readFileSync('/proc/self/maps', 'utf8'));
    const resident = readResidentPages(process.pid, mapped, K) as Ranges;
    expect(resident).not.toBeNull();
    const total = resident.reduce((n, [s, e]) => n + (e - s), 0);
    expect(total).toBeGreaterThan(1 << 20);
    expect(resident.reduce((n, [s, e]) => n + bytesInRanges(mapped, s, e), 0)).toBe(total);
    expect(readResidentPages(2 ** 22 + 12345, mapped, K)).toBeNull();
  });

  it('keeps readings to a share of the time: at least a second apart, and 50 times their cost', () => {
    const b = new ResidentBudget();
    expect(b.due(0)).toBe(true);
    b.spent(0, 10);
    expect(b.due(999)).toBe(false);
    expect(b.due(1000)).toBe(true);
    b.spent(1000, 1100);
    expect(b.due(5999)).toBe(false);
    expect(b.due(6000)).toBe(true);
  });
});

// madvise_cold_or_pageout_pte_range() (mm/madvise.c, 6.12) skips a folio when
// folio_likely_mapped_shared(): pages another process maps too (stress-ng's worker shares its
// libraries and binary with its parent) are neither paged out nor deactivated. In the VM the
// native engine's pageout applied 233.6 MiB of stress-ng's library regions and its RSS fell by
// 16 KiB; the simulation had counted 1.9 MiB of resident library pages paged out.
describe('pages mapped by other processes too (resident-shared)', () => {
  // Resident [0, 4K) and [32K, 40K); of those, [32K, 36K) is shared.
  const SHARED: Ranges = [[32 * K, 36 * K]];

  it('pageout and cold leave shared resident pages alone; sz_applied does not change', () => {
    for (const action of ['pageout', 'cold']) {
      const sim = new SchemesSimulator([parseSchemeLine(`4K max 0 0 0us max ${action}`)], {
        ...OPTS,
        mappings: history([0, MAPPED]),
        resident: history([0, RESIDENT]),
        residentShared: history([0, SHARED]),
      });
      sim.step([COLD]);
      const r = sim.result().schemes[0];
      expect(r?.stats.szApplied).toBe(16 * K);
      expect(r?.effects.finalBytes).toBe(4 * K + 4 * K);
    }
  });

  it('other actions still count them (willneed, hugepage: no such rule)', () => {
    const sim = new SchemesSimulator([parseSchemeLine('4K max 0 0 0us max hugepage')], {
      ...OPTS,
      mappings: history([0, MAPPED]),
      resident: history([0, RESIDENT]),
      residentShared: history([0, SHARED]),
    });
    sim.step([COLD]);
    expect(sim.result().schemes[0]?.effects.finalBytes).toBe(12 * K);
  });

  it('subtracts ranges', () => {
    expect(subtractRanges([[0, 10], [20, 30]], [[2, 4], [8, 22], [25, 26]])).toEqual([[0, 2], [4, 8], [22, 25], [26, 30]]);
    expect(subtractRanges([[0, 10]], [])).toEqual([[0, 10]]);
    expect(subtractRanges([[0, 10]], [[0, 10]])).toEqual([]);
  });

  it('reads bit 56 (PM_MMAP_EXCLUSIVE): present pages without it are shared', () => {
    // present+exclusive, present+shared, present+shared, absent, present+exclusive
    const hi = [0x81000000, 0x80000000, 0x80000000, 0x00000000, 0x81000000];
    const words = new Uint32Array(hi.length * 2);
    hi.forEach((h, i) => (words[2 * i + 1] = h));
    const out: Ranges = [];
    const shared: Ranges = [];
    appendPresentRuns(out, words, hi.length, 0x10000, K, shared);
    expect(out).toEqual([
      [0x10000, 0x10000 + 3 * K],
      [0x10000 + 4 * K, 0x10000 + 5 * K],
    ]);
    expect(shared).toEqual([[0x10000 + K, 0x10000 + 3 * K]]);
  });

  it('reads this process\'s shared pages: inside its resident pages', () => {
    const mapped = pageHoldingMappings(readFileSync('/proc/self/maps', 'utf8'));
    const shared: Ranges = [];
    const resident = readResidentPages(process.pid, mapped, K, shared) as Ranges;
    const total = shared.reduce((n, [s, e]) => n + (e - s), 0);
    expect(shared.reduce((n, [s, e]) => n + bytesInRanges(resident, s, e), 0)).toBe(total);
  });
});
