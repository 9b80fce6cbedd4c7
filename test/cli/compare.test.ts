// SPDX-License-Identifier: GPL-2.0-only
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeSyntheticTrace } from '../../src/format/synthetic.js';
import { runBin, runMain } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'damo-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const a = join(dir, 'a.data');
const same = join(dir, 'same.data');
const other = join(dir, 'other.data');

beforeAll(async () => {
  const spec = { nrSnapshots: 40, nrRegionsPerSnapshot: 50, seed: 2, spaceBytes: 64 << 20, hotMoveEvery: 10 };
  await writeSyntheticTrace(a, spec);
  await writeSyntheticTrace(same, spec);
  await writeSyntheticTrace(other, { ...spec, seed: 8, hotMoveEvery: 4 });
});

describe('damo compare', () => {
  it('prints the three figures for two recordings', () => {
    const r = runBin(['compare', a, same]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('# working set size (regions with nr_accesses >= 1; mean span 100.0 ms in A, 100.0 ms in B)');
    expect(r.stdout).toMatch(/^ {2}90 +\S+ MiB +\S+ MiB +0\.00%$/m);
    expect(r.stdout).toContain('# heatmap: 40 x 200 (time x address over 3 area(s), 63.996 MiB)');
    expect(r.stdout).toContain('correlation (Pearson): 1.000');
    expect(r.stdout).toMatch(/recall 1\.000, precision 1\.000$/m);
  });

  it('prints JSON with units in the field names', async () => {
    const r = await runMain(['compare', a, other, '--json', '--resol', '20', '50', '--percentiles', '50', '90']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as {
      wss: { percentiles: Array<{ percentile: number; a_bytes: number; b_bytes: number }> };
      heatmap: { time_bins: number; addr_bins: number; correlation: number };
      hot: { recall: number };
      mapping_file: null;
    };
    expect(j.wss.percentiles.map((p) => p.percentile)).toEqual([50, 90]);
    expect(j.heatmap.time_bins).toBe(20);
    expect(j.heatmap.addr_bins).toBe(50);
    expect(j.heatmap.correlation).toBeLessThan(0.8);
    expect(j.mapping_file).toBeNull();
  });

  it('exits 1 naming each figure below its limit', async () => {
    const r = await runMain(['compare', a, other, '--min_correlation', '0.9', '--min_recall', '0.9']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('correlation (Pearson)');
    expect(r.stderr).toMatch(/^damo: fidelity check failed: heatmap correlation -?\d\.\d{3} is below 0\.9$/m);
    expect(r.stderr).toMatch(/^damo: fidelity check failed: hot-region recall \d\.\d{3} is below 0\.9$/m);
    const ok = await runMain(['compare', a, same, '--max_wss_error', '1', '--min_correlation', '0.99', '--min_recall', '0.99']);
    expect(ok.code).toBe(0);
  });

  it('rejects a damaged mapping and bad options', async () => {
    const bad = join(dir, 'bad-map.json');
    writeFileSync(bad, '{"format":"damo-replay-mapping","version":1}');
    const r = await runMain(['compare', a, same, '--mapping', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^damo: .*bad-map\.json: startMonotonicNs is not a decimal string$/m);
    expect((await runMain(['compare', a, same, '--resol', '10'])).code).toBe(2);
    expect((await runMain(['compare', a, same, '--hot_threshold', '2'])).code).toBe(2);
    expect((await runMain(['compare', a])).code).toBe(2);
  });
});
