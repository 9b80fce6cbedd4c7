// SPDX-License-Identifier: GPL-2.0-only
/**
 * Ranges madvise refuses for pageout and cold (issue 19: `[vvar]`, VM_PFNMAP, sits among
 * the libraries; can_madv_lru_vma() makes madvise fail with EINVAL on it and
 * damos_madvise() then counts 0 for the whole region): how the recorder finds them in
 * /proc/PID/smaps, how the trace carries them, and how simulate counts them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { snapshotFromRegions } from '../../src/core/model.js';
import { actionRefusedOnLruVmas, MADVISE_REFUSED_EVENT_KIND, parseSmapsRefused } from '../../src/format/madvise_refused.js';
import { MappingHistory, type Ranges } from '../../src/format/mappings.js';
import { readRecordedMemory } from '../../src/format/resident.js';
import { syntheticHeader } from '../../src/format/synthetic.js';
import { TraceWriter } from '../../src/format/trace_writer.js';
import { mappedBytesFor } from '../../src/schemes/mapped_bytes.js';
import { formatSimulationText, simulationJson } from '../../src/schemes/report.js';
import { SchemesSimulator, type SimulationOptions } from '../../src/schemes/simulate.js';
import { parseSchemeLine } from '../../src/schemes/text.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const K = 4096;
const MS = 1_000_000;
const OPTS: SimulationOptions = { intervals: { sampleUs: 5000, aggrUs: 100000 }, ops: 'vaddr', minRegionSz: K };
const dir = fileTempDir('damo-madv-refused-');

function smapsEntry(range: string, tail: string, flags: string): string {
  return [`${range} r--p 00000000 00:00 0 ${tail}`, 'Size:                 16 kB', 'Rss:                   0 kB', `VmFlags: ${flags}`].join('\n');
}

function history(...readings: Array<[number, Ranges]>): Map<number, MappingHistory> {
  const h = new MappingHistory();
  for (const [t, r] of readings) h.add(t, r);
  return new Map([[0, h]]);
}

// Mapped: [0, 64K) end to end. Refused: [vvar]-like [16K, 20K).
const MAPPED: Ranges = [[0, 64 * K]];
const REFUSED: Ranges = [[16 * K, 20 * K]];
// Three cold regions: [0, 8K), [8K, 32K) over the refused range, [32K, 64K).
const COLD = snapshotFromRegions(0, 0, 100 * MS, [
  { start: 0, end: 8 * K, nrAccesses: 0, age: 5 },
  { start: 8 * K, end: 32 * K, nrAccesses: 0, age: 5 },
  { start: 32 * K, end: 64 * K, nrAccesses: 0, age: 5 },
]);

function simulateOnce(action: string, extra: Partial<SimulationOptions>) {
  const sim = new SchemesSimulator([parseSchemeLine(`4K max 0 0 0us max ${action}`)], { ...OPTS, mappings: history([0, MAPPED]), ...extra });
  sim.step([COLD]);
  return sim.result();
}

describe('the ranges madvise refuses, from /proc/PID/smaps', () => {
  it('takes the mappings whose VmFlags hold lo, pf or ht (can_madv_lru_vma), merged, [vsyscall] left out', () => {
    const smaps = [
      smapsEntry('1000-2000', '/bin/x', 'rd mr mw me sd'),
      smapsEntry('7000-9000', '[vvar]', 'rd mr pf io de dd sd'),
      smapsEntry('9000-a000', '', 'rd wr mr mw me lo ac sd'),
      smapsEntry('c000-e000', '/dev/hugepages/x', 'rd wr sh mr mw me ms ht sd'),
      smapsEntry('e000-f000', '[vdso]', 'rd ex mr mw me de sd'),
      // VM_IO alone is not refused (the kernel checks VM_PFNMAP, not VM_IO).
      smapsEntry('20000-21000', '', 'rd io sd'),
      smapsEntry('ffffffffff600000-ffffffffff601000', '[vsyscall]', 'ex pf'),
    ].join('\n');
    expect(parseSmapsRefused(smaps)).toEqual([
      [0x7000, 0xa000],
      [0xc000, 0xe000],
    ]);
    expect(parseSmapsRefused('')).toEqual([]);
  });

  it('finds [vvar] in this process when the kernel maps it VM_PFNMAP', () => {
    const smaps = readFileSync('/proc/self/smaps', 'utf8');
    const vvar = /^([0-9a-f]+)-([0-9a-f]+) .*\[vvar\]\n(?:.*\n)*?VmFlags:(.*)$/m.exec(smaps);
    if (vvar === null || !/\bpf\b/.test(vvar[3] as string)) return; // no [vvar], or not PFN-mapped here
    const start = parseInt(vvar[1] as string, 16);
    expect(parseSmapsRefused(smaps).some(([s, e]) => s <= start && e > start)).toBe(true);
  });

  it('applies to pageout and cold only', () => {
    expect(['pageout', 'cold'].every(actionRefusedOnLruVmas)).toBe(true);
    expect(['willneed', 'hugepage', 'nohugepage', 'stat', 'lru_deprio'].some(actionRefusedOnLruVmas)).toBe(false);
  });
});

describe('simulate with recorded refused ranges', () => {
  it('counts 0 applied for a pageout region over a refused range and pages out only what precedes it', () => {
    const r = simulateOnce('pageout', { madviseRefused: history([0, REFUSED]) });
    const s = r.schemes[0];
    expect(s?.stats.nrTried).toBe(3);
    expect(s?.stats.szTried).toBe(64 * K);
    expect(s?.stats.szApplied).toBe(8 * K + 32 * K);
    expect(s?.madviseRefused).toEqual({ nrRegions: 1, szBytes: 24 * K });
    // madvise_walk_vmas() stops at the refused VMA: [8K, 16K) is paged out, [16K, 32K) not.
    expect(s?.effects.finalBytes).toBe(8 * K + 8 * K + 32 * K);
  });

  it('does the same for cold, and nothing for an action madvise does not refuse there', () => {
    const cold = simulateOnce('cold', { madviseRefused: history([0, REFUSED]) }).schemes[0];
    expect(cold?.stats.szApplied).toBe(40 * K);
    expect(cold?.madviseRefused?.nrRegions).toBe(1);
    const huge = simulateOnce('hugepage', { madviseRefused: history([0, REFUSED]) }).schemes[0];
    expect(huge?.stats.szApplied).toBe(64 * K);
    expect(huge?.madviseRefused).toBeNull();
  });

  it('refuses nothing when the range starts the region: nothing before it is advised', () => {
    const r = simulateOnce('pageout', { madviseRefused: history([0, [[8 * K, 9 * K]]]) }).schemes[0];
    expect(r?.stats.szApplied).toBe(40 * K);
    expect(r?.effects.finalBytes).toBe(8 * K + 32 * K);
  });

  it('uses the ranges in force at each aggregation', () => {
    // No refused range at first; [vvar] appears at 150 ms (the second step ends at 200 ms).
    const sim = new SchemesSimulator([parseSchemeLine('4K max 0 0 0us max pageout')], {
      ...OPTS,
      mappings: history([0, MAPPED]),
      madviseRefused: history([0, []], [150 * MS, REFUSED]),
    });
    sim.step([COLD]);
    expect(sim.result().schemes[0]?.stats.szApplied).toBe(64 * K);
    sim.step([snapshotFromRegions(0, 100 * MS, 200 * MS, [{ start: 8 * K, end: 32 * K, nrAccesses: 0, age: 6 }])]);
    expect(sim.result().schemes[0]?.stats.szApplied).toBe(64 * K);
    expect(sim.result().schemes[0]?.madviseRefused).toEqual({ nrRegions: 1, szBytes: 24 * K });
  });

  it('without the event (older recordings, damo formats), applies whole regions as before and does not claim a count', () => {
    const s = simulateOnce('pageout', {}).schemes[0];
    expect(s?.stats.szApplied).toBe(64 * K);
    expect(s?.madviseRefused).toBeNull();
  });
});

describe('the madvise-refused event in a trace', () => {
  function writeTrace(name: string, events: Array<{ kind: string; message: string }>): string {
    const path = join(dir, name);
    const w = TraceWriter.create(path, syntheticHeader({ nrSnapshots: 1, nrRegionsPerSnapshot: 3 }));
    for (const e of events) w.writeEvent({ timeNs: 0, targetIndex: 0, ...e });
    w.writeSnapshot(COLD);
    w.close('done');
    return path;
  }

  it('is read back per target, an empty message meaning none refused', async () => {
    const path = writeTrace('with.damo', [
      { kind: 'mappings', message: '0-10000' },
      { kind: MADVISE_REFUSED_EVENT_KIND, message: '4000-5000' },
    ]);
    const mem = await readRecordedMemory(path);
    expect(mem.madviseRefused.get(0)?.at(0)).toEqual([[0x4000, 0x5000]]);
    const empty = await readRecordedMemory(writeTrace('empty.damo', [{ kind: MADVISE_REFUSED_EVENT_KIND, message: '' }]));
    expect(empty.madviseRefused.get(0)?.at(0)).toEqual([]);
  });

  it('drives simulate through mappedBytesFor, and its absence is said in the notes', async () => {
    // REFUSED, [16K, 20K) in pages of 4 KiB.
    const withPath = writeTrace('with2.damo', [
      { kind: 'mappings', message: '0-40000' },
      { kind: MADVISE_REFUSED_EVENT_KIND, message: '10000-14000' },
    ]);
    const header = syntheticHeader({ nrSnapshots: 1, nrRegionsPerSnapshot: 3 });
    const withMem = await mappedBytesFor(withPath, header, 'vaddr', false);
    expect(withMem.madviseRefused?.get(0)?.at(0)).toEqual(REFUSED);
    expect(withMem.note).toMatch(/count 0 for a region over a mapping madvise refuses/);

    const withoutPath = writeTrace('without.damo', [{ kind: 'mappings', message: '0-10000' }]);
    const without = await mappedBytesFor(withoutPath, header, 'vaddr', false);
    expect(without.madviseRefused).toBeUndefined();
    expect(without.note).toMatch(/has no record of the mappings madvise refuses/);

    const r = simulateOnce('pageout', withMem.madviseRefused === undefined ? {} : { madviseRefused: withMem.madviseRefused });
    const ctx = { input: withPath, schemesName: 'x', intervalsSource: 'recording', opsSource: 'recording' } as const;
    expect(formatSimulationText(r, ctx, { raw: true, rows: 0 })).toMatch(/refused by madvise 1 times \(98304 /);
    const json = simulationJson(r, ctx) as { schemes: Array<{ madvise_refused: unknown }> };
    expect(json.schemes[0]?.madvise_refused).toEqual({ nr_regions: 1, sz_bytes: 24 * K });
  });
});
