// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's report dialect on recordings unlike damo's test data: two targets, 15
 * snapshots each with moving hot blocks, written by `damo synth` and converted to
 * json_compressed; and four snapshots with DAMOS filter results and epoch-ns times beyond
 * 2^53 (where a double cannot hold a time exactly). Every command line of generated/v3.3.0-shapes/commands.txt was run with
 * the Python damo 3.3.0 to make expect-<line number>.txt; ours must print the same bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runMain } from '../cli/helpers.js';
import { DAMO_FIXTURES_DIR } from '../fixtures/damo_fixtures.js';
import { shellWords } from '../fixtures/shell_words.js';

const DIR = join(DAMO_FIXTURES_DIR, 'generated/v3.3.0-shapes');

const INPUTS = new Set(['synth-2targets.json_compressed', 'epoch-filters-4snaps.json_compressed']);
const lines = readFileSync(join(DIR, 'commands.txt'), 'utf8').split('\n').filter((l) => l !== '');

describe('damo 3.3.0 report dialect on a two-target synthetic recording and an epoch-time filtered one (byte-for-byte)', () => {
  lines.forEach((line, i) => {
    it(`damo ${line}`, async () => {
      const argv = shellWords(line).map((w) => (INPUTS.has(w) ? join(DIR, w) : w));
      const r = await runMain(argv);
      expect(r.code).toBe(0);
      const expected = readFileSync(join(DIR, `expect-${i + 1}.txt`), 'utf8');
      expect(r.stdout.length).toBe(expected.length);
      expect(r.stdout === expected).toBe(true);
    });
  });
});
