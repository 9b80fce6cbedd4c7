// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo validate` and DAMON's warm-up (src/report/validate_command.ts): a paddr or fvaddr
 * recording starts with the regions DAMON was given and gains regions at each aggregation
 * (1, 2, 3, 5, 8, 10 in the VM, where damo 3.3.0's tests/record/test.sh failed on exactly
 * this with "expect 3<=nr_regions<=1200 but 2"). Those leading snapshots are not counted
 * against --nr_regions, in every format `damo record` writes; a count that never grows,
 * never reaches the bound or drops later still fails, and --count_warmup is damo's check.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { warmupLength } from '../../src/report/validate_command.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runMain } from './helpers.js';

const dir = fileTempDir('damo-validate-warmup-');

/** 4 GiB of physical address space from 4 GiB, as a paddr recording covers it. */
const SPAN_START = 4 * 2 ** 30;
const SPAN_BYTES = 4 * 2 ** 30;
const AGGR_S = 0.1;

/** perf script text of one paddr target whose i-th snapshot has counts[i] equal regions. */
function perfScript(counts: number[]): string {
  const lines: string[] = [];
  counts.forEach((n, i) => {
    const t = (1000 + i * AGGR_S).toFixed(6);
    const size = Math.floor(SPAN_BYTES / n / 4096) * 4096;
    for (let j = 0; j < n; j++) {
      const start = SPAN_START + j * size;
      const end = j === n - 1 ? SPAN_START + SPAN_BYTES : start + size;
      lines.push(`       kdamond.0  4452 [000] ${t}: damon:damon_aggregated: target_id=0 nr_regions=${n} ${start}-${end}: ${j % 3} ${i}`);
    }
  });
  return lines.join('\n') + '\n';
}

/** The counts written as perf script, then converted to each other format record writes. */
async function inEveryFormat(name: string, counts: number[]): Promise<string[]> {
  const script = join(dir, `${name}.perf_script`);
  writeFileSync(script, perfScript(counts));
  const files = [script];
  for (const format of ['protobuf', 'json', 'json_compressed', 'legacy']) {
    const out = join(dir, `${name}.${format}`);
    const r = await runMain(['convert', '-q', '-i', script, '-o', out, '--format', format]);
    expect(r.code, r.stderr).toBe(0);
    files.push(out);
  }
  return files;
}

/** 50 snapshots (damo's 2 % allows one miss) that start as DAMON started in the VM. */
const VM_WARMUP = [1, 2, 3, 5, 8, 10, ...Array<number>(44).fill(10)];

describe('warmupLength', () => {
  it.each([
    [[1, 2, 3, 5, 8, 10], 3, 2],
    [[1, 2, 3, 5, 8, 10], 10, 5],
    [[1, 2, 2, 3], 3, 2],
    [[1, 1, 1, 3], 3, 1],
    [[1, 2], 3, 0],
    [[5, 1, 2, 5], 3, 0],
    [[3, 4], 3, 0],
    [[], 3, 0],
  ])('%j with minimum %d: %d', (counts, min, expected) => {
    expect(warmupLength(counts, min)).toBe(expected);
  });
});

describe('damo validate on a recording that starts with DAMON splitting its initial region', () => {
  it('passes in every format record writes, and says which snapshots it did not count', async () => {
    for (const file of await inEveryFormat('vm', VM_WARMUP)) {
      const r = await runMain(['validate', '-i', file]);
      expect({ file, code: r.code, stdout: r.stdout }).toEqual({ file, code: 0, stdout: '' });
      expect(r.stderr).toContain('record 0: not counting its first 2 snapshots (nr_regions 1, 2) against --nr_regions');
    }
  });

  it('fails with --count_warmup, as damo 3.3.0 does', async () => {
    for (const file of await inEveryFormat('vm-count', VM_WARMUP)) {
      const r = await runMain(['validate', '-i', file, '--count_warmup']);
      expect({ file, code: r.code, stdout: r.stdout }).toEqual({ file, code: 1, stdout: 'invalid: expect 3<=nr_regions<=1200 but 2\n' });
    }
  });

  it('uses the --nr_regions minimum it is given', async () => {
    const [file] = await inEveryFormat('min10', VM_WARMUP);
    const r = await runMain(['validate', '-i', file as string, '--nr_regions', '10', '1200']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('first 5 snapshots (nr_regions 1, 2, 3, 5, 8)');
  });

  it.each([
    // Only the first snapshot is warm-up here: the second did not grow.
    ['stuck', 'a count that does not grow', [1, 1, 1, ...Array<number>(47).fill(10)], 'but 1', 'first 1 snapshot (nr_regions 1)'],
    ['short', 'a count that never reaches the minimum', [1, ...Array<number>(49).fill(2)], 'but 2', null],
    ['dip', 'too few regions later on', [...Array<number>(20).fill(10), 2, 2, ...Array<number>(28).fill(10)], 'but 2', null],
  ])('still fails on %s (%s)', async (name, _what, counts, but, excused) => {
    for (const file of await inEveryFormat(name, counts)) {
      const r = await runMain(['validate', '-i', file]);
      expect({ file, code: r.code, first: r.stdout.split('\n')[0] }).toEqual({ file, code: 1, first: `invalid: expect 3<=nr_regions<=1200 ${but}` });
      if (excused === null) expect(r.stderr).not.toContain('not counting');
      else expect(r.stderr).toContain(excused);
    }
  });
});
