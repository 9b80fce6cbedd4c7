// SPDX-License-Identifier: GPL-2.0-only
/**
 * Program images (issue 19, docs/ACCURACY.md "Refaults: the two ends"): how the recorder
 * finds them in /proc/PID/maps, how the trace carries them, and how simulate counts refaults
 * in code and constants, which a program uses from the same pages again and again.
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { snapshotFromRegions } from '../../src/core/model.js';
import { PROGRAM_IMAGES_EVENT_KIND, parseProcMapsProgramImages } from '../../src/format/program_images.js';
import { MappingHistory, type Ranges } from '../../src/format/mappings.js';
import { readRecordedMemory } from '../../src/format/resident.js';
import { syntheticHeader } from '../../src/format/synthetic.js';
import { TraceWriter } from '../../src/format/trace_writer.js';
import { mappedBytesFor } from '../../src/schemes/mapped_bytes.js';
import { simulationJson } from '../../src/schemes/report.js';
import { SchemesSimulator, type SimulationOptions } from '../../src/schemes/simulate.js';
import { parseSchemeLine } from '../../src/schemes/text.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const K = 4096;
const MS = 1_000_000;
const OPTS: SimulationOptions = { intervals: { sampleUs: 5000, aggrUs: 100000 }, ops: 'vaddr', minRegionSz: K };
const dir = fileTempDir('damo-program-images-');

function history(ranges: Ranges): Map<number, MappingHistory> {
  const h = new MappingHistory();
  h.add(0, ranges);
  return new Map([[0, h]]);
}

describe('program images, from /proc/PID/maps', () => {
  it('takes every mapping of a file mapped executable somewhere, and anonymous executable mappings', () => {
    const maps = [
      '1000-2000 r--p 00000000 00:02 100 /usr/bin/sqlite3',
      '2000-5000 r-xp 00001000 00:02 100 /usr/bin/sqlite3',
      '5000-6000 rw-p 00004000 00:02 100 /usr/bin/sqlite3',
      '6000-7000 rw-p 00000000 00:00 0 [heap]',
      '8000-9000 r--s 00000000 00:10 2 /tmp/accuracy.db',
      'a000-b000 rwxp 00000000 00:00 0 ',
      'c000-d000 r--p 00000000 00:02 73 /lib/libtinfo.so.6',
      'd000-e000 r-xp 0000f000 00:02 73 /lib/libtinfo.so.6',
      'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
    ].join('\n');
    // sqlite3's three mappings merged, not the heap nor the data file; the JIT-like one; libtinfo's two.
    expect(parseProcMapsProgramImages(maps)).toEqual([
      [0x1000, 0x6000],
      [0xa000, 0xb000],
      [0xc000, 0xe000],
    ]);
    expect(parseProcMapsProgramImages('1000-2000 rw-p 00000000 00:00 0 \n2000-3000 r--s 00000000 00:10 2 /tmp/x\n')).toEqual([]);
  });
});

describe('the program-images event in a trace', () => {
  it('is read back per target and reaches simulate through mappedBytesFor', async () => {
    const path = join(dir, 'images.damo');
    const w = TraceWriter.create(path, syntheticHeader({ nrSnapshots: 1, nrRegionsPerSnapshot: 1 }));
    w.writeEvent({ timeNs: 0, targetIndex: 0, kind: 'mappings', message: '0-10000' });
    w.writeEvent({ timeNs: 0, targetIndex: 0, kind: PROGRAM_IMAGES_EVENT_KIND, message: '2000-6000' });
    w.writeSnapshot(snapshotFromRegions(0, 0, 100 * MS, [{ start: 0, end: 0x10000, nrAccesses: 0, age: 0 }]));
    w.close('done');
    expect((await readRecordedMemory(path)).programImages.get(0)?.at(0)).toEqual([[0x2000, 0x6000]]);
    const mem = await mappedBytesFor(path, syntheticHeader({ nrSnapshots: 1, nrRegionsPerSnapshot: 1 }), 'vaddr', false);
    expect(mem.programImages?.get(0)?.at(0)).toEqual([[0x2000, 0x6000]]);
  });
});

describe('refaults in program images', () => {
  // [0, 20 pages) paged out at step 1, then accessed in 1 sample of 20 at step 2. New pages
  // in every interval touch 1 - 0.95^20 = 64 % of a region's pages, the same pages 5 %.
  // Refaults are taken from the start of each paged-out range.
  const steps = [
    [snapshotFromRegions(0, 0, 100 * MS, [{ start: 0, end: 20 * K, nrAccesses: 0, age: 2 }])],
    [snapshotFromRegions(0, 100 * MS, 200 * MS, [{ start: 0, end: 20 * K, nrAccesses: 1, age: 0 }])],
  ];
  const simulate = (extra: Partial<SimulationOptions>) => {
    const sim = new SchemesSimulator([parseSchemeLine('min max 0 0 200ms max pageout')], { ...OPTS, mappings: history([[0, 20 * K]]), ...extra });
    for (const s of steps) sim.step(s);
    return sim.result();
  };

  it('counts the same pages in every interval in program images, new pages elsewhere', () => {
    // Images [0, 10 pages): 5 % of 10 pages rounds to 1; the other 10 pages: 64 % -> 6.
    const r = simulate({ programImages: history([[0, 10 * K]]) });
    const s = r.schemes[0];
    expect(s?.effects.reaccessedBytes).toBe(7 * K);
    expect(s?.effects.reaccessedImageBytes).toBe(K);
    expect(s?.effects.reaccessedBytesSamePages).toBe(K);
    // The refaulted bytes came back: 20 pages out, 7 of them in again.
    expect(s?.effects.finalBytes).toBe(13 * K);
    const json = simulationJson(r, { input: 'x', schemesName: 'x', intervalsSource: 'recording', opsSource: 'recording' }) as {
      schemes: Array<{ effects: Record<string, unknown> }>;
    };
    expect(json.schemes[0]?.effects.reaccessed_image_bytes).toBe(K);
  });

  it('with images in the region\'s last pages, takes each part from its own start', () => {
    // Images [12, 20 pages): 5 % of 8 pages rounds to 0; [0, 12 pages): 64 % -> 8.
    const s = simulate({ programImages: history([[12 * K, 20 * K]]) }).schemes[0];
    expect(s?.effects.reaccessedBytes).toBe(8 * K);
    expect(s?.effects.reaccessedImageBytes).toBe(0);
  });

  it('without the event (older recordings), counts new pages everywhere and claims no image figure', () => {
    const s = simulate({}).schemes[0];
    expect(s?.effects.reaccessedBytes).toBe(13 * K);
    expect(s?.effects.reaccessedImageBytes).toBeNull();
  });
});
