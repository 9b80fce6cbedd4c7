// SPDX-License-Identifier: GPL-2.0-only
/**
 * Issue 16: a damo 3.3.0 snapshot whose `damos_stats` are set (the retrieval scheme's
 * counters) keeps them: `report access --json` writes them and the `<damos stats>` format
 * keyword prints them, byte for byte as damo 3.3.0; `--snapshot_damos_filter` is checked and,
 * on a recording, changes nothing, as in damo 3.3.0. The expected files were made by running
 * the Python damo 3.3.0 in generated/v3.3.0-damos-stats (see test/fixtures/README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runMain } from '../cli/helpers.js';
import { DAMO_FIXTURES_DIR } from '../fixtures/damo_fixtures.js';

const DIR = join(DAMO_FIXTURES_DIR, 'generated/v3.3.0-damos-stats');
const INPUT = join(DIR, 'damon.data.damos_stats');

const cases: Array<[expect: string, argv: string[]]> = [
  ['expect-json.txt', ['--json']],
  ['expect-json-raw_number.txt', ['--json', '--raw_number']],
  ['expect-format-damos_stats.txt', ['--format', 'set', 'snapshot_head', '<damos stats>']],
  ['expect-format-damos_stats-raw_number.txt', ['--raw_number', '--format', 'set', 'snapshot_head', '<damos stats>']],
  ['expect-default.txt', []],
  ['expect-snapshot_damos_filter.txt', ['--snapshot_damos_filter', 'reject', 'anon', '--snapshot_damos_filter', 'allow', 'none', 'addr', '4096', '8192']],
];

describe('damo 3.3.0 damos_stats and --snapshot_damos_filter (byte-for-byte)', () => {
  for (const [file, args] of cases) {
    it(`damo report access ${args.join(' ')}`, async () => {
      const r = await runMain(['report', 'access', '-i', INPUT, ...args]);
      expect(r.code, r.stderr).toBe(0);
      const expected = readFileSync(join(DIR, file), 'utf8');
      expect(r.stdout.length).toBe(expected.length);
      expect(r.stdout === expected).toBe(true);
    });
  }

  it('--snapshot_damos_filter says on stderr that it changes nothing on a recording', async () => {
    const r = await runMain(['report', 'access', '-i', INPUT, '--snapshot_damos_filter', 'anon', 'matching']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "damo: --snapshot_damos_filter reject anon changes nothing on a recording: the filters apply when a snapshot is taken live through DAMOS, and a recording's df-passed bytes are the ones its own scheme filters gave\n",
    );
  });

  it('the stats survive a record filter (--json with --sz_region)', async () => {
    const r = await runMain(['report', 'access', '-i', INPUT, '--json', '--sz_region', '1G', 'max']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"nr_tried": "1,234"');
  });
});
