// SPDX-License-Identifier: GPL-2.0-only
/**
 * Issue 14 item 17: the documented record/replay loop on a real recording of this host.
 * A process with a sparse address space (a 128 MiB buffer, its binary and a heap hundreds
 * of MiB apart) is recorded with the native engine, replayed from a plan into 64 MiB with
 * 2 MiB mappings, the generator is recorded as a command, and `damo compare` scores the
 * recording of the replay against the original.
 *
 * What the loop proves, and what is asserted (not speed: the machine may be loaded): the
 * replay gets memory for what was mapped, not for the gaps; the recording of the replay sees
 * accesses inside the replay's areas (a working set above zero, a defined correlation);
 * compare exits 0 without calling B a recording of something else. Before the fix the replay spent 92% of its memory on unmapped gaps and compare
 * printed 0 B at every percentile, recall 0.000, exit 0.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/core/version.js';
import { readRecordedMappings } from '../../src/format/mappings.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { builtBinaryExists, runBin } from './helpers.js';

const dir = fileTempDir('damo-issue14-17-');
const replayExe = join(projectRoot(), 'build/Release/damo_replay');

describe.skipIf(!builtBinaryExists())('issue 14 item 17: record, replay, record the replay, compare (real process)', () => {
  it('replays only mapped memory and the recording of the replay matches the original', async () => {
    const exe = join(dir, 'toucher');
    execFileSync('cc', ['-O2', '-o', exe, join(projectRoot(), 'test/fixtures/record/toucher.c')]);
    const original = join(dir, 'damon.data');
    const plan = join(dir, 'demo.plan');
    const mapping = join(dir, 'map.json');
    const replayed = join(dir, 'replayed.data');

    const rec = runBin(['record', '-o', original, '--source', 'native', '--primitive', 'clear_refs', '--', exe, '128', '4']);
    expect(rec.status, rec.stderr).toBe(0);
    // The recording says what the process had mapped, and that is far less than its regions span.
    const mapped = (await readRecordedMappings(original)).get(0)?.union() ?? [];
    const mappedBytes = mapped.reduce((n, [s, e]) => n + (e - s), 0);
    expect(mappedBytes).toBeGreaterThanOrEqual(128 << 20);
    expect(mappedBytes).toBeLessThan(512 << 20);

    const rep = runBin(['replay', '-i', original, '--max_memory', '64M', '--plan_out', plan, '--mapping', mapping, '--start_delay', '2', '--vma_bytes', '2M']);
    expect(rep.status, rep.stderr).toBe(0);
    expect(rep.stderr).toMatch(/replaying only the mapped parts of the regions/);
    // 64 MiB for about 130 MiB mapped: scaled by about a half, not by a tenth.
    const scale = Number(/scaled by ([0-9.]+)/.exec(rep.stderr)?.[1] ?? '1');
    expect(scale).toBeGreaterThan(0.3);

    const rec2 = runBin(['record', '-o', replayed, '--source', 'native', '--primitive', 'clear_refs', '--', replayExe, '--plan', plan, '--mapping', mapping, '--quiet']);
    expect(rec2.status, rec2.stderr).toBe(0);

    const cmp = runBin(['compare', original, replayed, '--mapping', mapping, '--json']);
    expect(cmp.status, cmp.stderr).toBe(0);
    expect(cmp.stderr).not.toMatch(/lie outside the mapping/);
    // --json keys are snake_case with units in the names (item 12).
    const c = JSON.parse(cmp.stdout) as {
      nothing_to_compare: string | null;
      time_alignment: string;
      wss: { mean_b_bytes: number; percentiles: Array<{ percentile: number; b_bytes: number }> };
      heatmap: { correlation: number | null; address_bytes: number };
      hot: { recall: number | null; nr_both: number };
    };
    expect(c.nothing_to_compare).toBeNull();
    expect(c.time_alignment).toBe('mapping');
    // The compared address space is the mapped memory the replay reproduced, not the gaps.
    expect(c.heatmap.address_bytes).toBeLessThanOrEqual(mappedBytes);
    expect(c.wss.mean_b_bytes).toBeGreaterThan(0);
    expect(Math.max(...c.wss.percentiles.map((p) => p.b_bytes))).toBeGreaterThan(0);
    // How well B matches A depends on how much CPU the replay and both recorders got (r 0.58-0.88
    // on a load of 6-12, -0.06 once under the whole test suite), so only its being defined is
    // asserted; docs/REPLAY.md gives measured figures.
    expect(c.heatmap.correlation).not.toBeNull();
  }, 180_000);

  it('a compare that finds nothing to compare exits 1 and says why', () => {
    // The original against itself shifted out of the replay's areas: the mapping's pid and
    // areas do not describe it, so none of its regions lie inside them.
    const original = join(dir, 'damon.data');
    const mapping = join(dir, 'map.json');
    const cmp = runBin(['compare', original, original, '--mapping', mapping]);
    expect(cmp.status).toBe(1);
    expect(cmp.stderr).toMatch(/nothing to compare: /);
  }, 60_000);
});
