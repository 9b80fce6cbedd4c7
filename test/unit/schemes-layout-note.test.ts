// SPDX-License-Identifier: GPL-2.0-only
/**
 * Why the prediction from a native recording of stress-ng said 155 MiB applied where the
 * native engine's pageout applied 0.7 MiB (issue 19, docs/ACCURACY.md "stress with the native
 * engine"): not the simulator's madvise rules (it replays the run's own trace exactly) but
 * the two runs' layouts. The heap's random offset above the program (arch_randomize_brk,
 * 0-1 GiB on x86-64) stays inside DAMON's first region, so it sets damon_region_sz_limit:
 * 15 MiB in the recording (25 MiB gap), 115 MiB in the schemes run (1,020 MiB gap). With 15
 * MiB the 42 MiB of cold libraries stayed cut into pieces, some clear of [vvar] and of the
 * gap below the libraries; with 115 MiB they were one region over [vvar] (EINVAL) every time.
 * `damo simulate` now says so in a note.
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runMain } from '../cli/helpers.js';

import type { Snapshot } from '../../src/core/model.js';
import { regionLimitFacts, regionLimitNote } from '../../src/schemes/layout_note.js';

const DIR = join(import.meta.dirname, '../fixtures/schemes');
const REC = join(DIR, 'stress-native-rec.damo');
const RUN = join(DIR, 'stress-native-pageout-run.damo');
const SCHEME = '4K max 0 0 2s max pageout';
const MIB = 1 << 20;

function snap(regions: Array<[number, number]>, targetIndex = 0): Snapshot {
  const n = regions.length;
  return {
    targetIndex,
    startNs: 0,
    endNs: 1,
    starts: Float64Array.from(regions.map((r) => r[0])),
    ends: Float64Array.from(regions.map((r) => r[1])),
    nrAccesses: new Float64Array(n),
    ages: new Float64Array(n),
  };
}

interface SimJson {
  schemes: Array<{ stats: Record<string, number>; madvise_refused: { nr_regions: number } | null }>;
  notes: string[];
}

async function simulate(file: string): Promise<SimJson> {
  const r = await runMain(['simulate', '-i', file, '-c', SCHEME, '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as SimJson;
}

describe('the regions\' size limit and the layout (damo simulate note)', () => {
  it('measures the span, the limit and the largest hole, across region boundaries', () => {
    // Two blocks of regions: [0, 40) MiB with mappings [0, 10) and [30, 40), so a 20 MiB
    // hole that crosses the region boundary at 20 MiB; and [100, 110) fully mapped.
    const s = snap([[0, 20 * MIB], [20 * MIB, 40 * MIB], [100 * MIB, 110 * MIB]]);
    const mapped: Array<[number, number]> = [[0, 10 * MIB], [30 * MIB, 40 * MIB], [100 * MIB, 110 * MIB]];
    const f = regionLimitFacts([s], () => mapped, 10);
    expect(f).toEqual({ spanBytes: 50 * MIB, limitBytes: 5 * MIB, unmappedBytes: 20 * MIB, largestHoleBytes: 20 * MIB });
    expect(regionLimitNote(f, 10)).toContain('the regions could grow to 5.000 MiB');
    expect(regionLimitNote(f, 10)).toContain('the largest hole 20.000 MiB');
  });

  it('says nothing without a hole, without mappings, or when a 1 GiB gap cannot change the limit by half', () => {
    const s = snap([[0, 20 * MIB]]);
    expect(regionLimitNote(regionLimitFacts([s], () => [[0, 20 * MIB]], 10), 10)).toBeNull();
    expect(regionLimitFacts([s], () => undefined, 10)).toBeNull();
    const big = snap([[0, 3 * 1024 * MIB]]);
    expect(regionLimitNote(regionLimitFacts([big], () => [[0, 1024 * MIB]], 10), 10)).toBeNull();
  });

  it('stress-ng, native recording: 15 MiB regions over a 25 MiB heap gap, 19 regions applied (155 MiB)', async () => {
    const j = await simulate(REC);
    expect(j.schemes[0]?.stats).toMatchObject({ nr_tried: 64, nr_applied: 19, sz_applied: 162557952 });
    const n = j.notes.find((x) => x.startsWith('the regions could grow to'));
    expect(n).toContain('15.049 MiB');
    expect(n).toContain('the largest hole 25.422 MiB');
  });

  it('stress-ng, the native pageout run: 115 MiB regions over a 1,020 MiB heap gap, 0.7 MiB applied, as measured', async () => {
    // That run's --json: nr_tried 112, nr_applied 12, sz_applied 778,240; process_madvise
    // failed with ENOMEM on 93 ranges and EINVAL on 7 (the libraries' region over [vvar]).
    const j = await simulate(RUN);
    expect(j.schemes[0]?.stats).toMatchObject({ nr_tried: 112, nr_applied: 12, sz_applied: 778240 });
    expect(j.schemes[0]?.madvise_refused?.nr_regions).toBe(7);
    const n = j.notes.find((x) => x.startsWith('the regions could grow to'));
    expect(n).toContain('114.562 MiB');
    expect(n).toContain('the largest hole 1020.285 MiB');
  });
});
