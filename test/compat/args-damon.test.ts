// SPDX-License-Identifier: GPL-2.0-only
// `damo args damon` byte-exact against damo 3.3.0's outputs for the same flags
// (test/fixtures/damo/args_damon/README.md says where they came from).
import { describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { readDamoFixtureText } from '../fixtures/damo_fixtures.js';
import { runMain } from '../cli/helpers.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';

interface ArgsDamonCase {
  expected: string;
  args: string[];
}

const CASES = JSON.parse(readDamoFixtureText('args_damon/cases.json')) as ArgsDamonCase[];

describe('damo args damon matches damo 3.3.0', () => {
  it('has cases in every format', () => {
    expect(new Set(CASES.map((c) => c.expected.split('.').pop()))).toEqual(new Set(['json', 'yaml', 'report']));
  });

  it.each(CASES)('$expected', async (c) => {
    const r = await runMain(['args', 'damon', ...c.args], { [FORBID_REAL_KERNEL_ENV]: '1' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readDamoFixtureText(`args_damon/${c.expected}`));
  });
});
