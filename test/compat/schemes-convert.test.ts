// SPDX-License-Identifier: GPL-2.0-only
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { runMain } from '../cli/helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';

const INPUT = damoFixture('generated/schemes-input.damos');

describe("damo schemes convert matches the kernel tree's _convert_damos.py", () => {
  for (const [sample, aggr] of [
    [5000, 100000],
    [1000, 50000],
  ] as const) {
    it(`-s ${sample} -a ${aggr} is byte-identical`, async () => {
      const expected = readFileSync(damoFixture(`generated/kernel-tree-convert_damos-s${sample}-a${aggr}.txt`), 'utf8');
      const r = await runMain(['schemes', 'convert', INPUT, '-s', String(sample), '-a', String(aggr)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(expected);
    });
  }

  it('the defaults are -s 5000 -a 100000', async () => {
    const expected = readFileSync(damoFixture('generated/kernel-tree-convert_damos-s5000-a100000.txt'), 'utf8');
    const r = await runMain(['schemes', 'convert', INPUT]);
    expect(r.stdout).toBe(expected);
  });

  it('text -> JSON -> text round-trips the seed file', async () => {
    const text = await runMain(['schemes', 'convert', INPUT, '--to', 'text']);
    const json = await runMain(['schemes', 'convert', INPUT, '--to', 'json']);
    expect(json.code).toBe(0);
    const back = await runMain(['schemes', 'convert', json.stdout, '--to', 'text']);
    expect(back.code).toBe(0);
    expect(back.stdout).toBe(text.stdout);
    // and the JSON form converts to the same kernel numbers
    for (const [s, a] of [['5000', '100000'], ['1000', '50000']] as const) {
      const viaJson = await runMain(['schemes', 'convert', json.stdout, '-s', s, '-a', a]);
      expect(viaJson.stdout).toBe(readFileSync(damoFixture(`generated/kernel-tree-convert_damos-s${s}-a${a}.txt`), 'utf8'));
    }
  });
});
