// SPDX-License-Identifier: GPL-2.0-only
/**
 * Issue 14 item 5: every size the user controls is bounded with a usage error (exit 2)
 * that says what was wrong and what is allowed, checked before the recording is read.
 * Each case runs the built binary twice: on a recording that does not exist (the bound
 * must fail first, so the message is the bound's and not "no such file"), and on a real
 * damo recording (the same message, nothing on stdout).
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runBin } from './helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const dir = fileTempDir('damo-bounds-');
const recording = damoFixture('damo-3.3.0-tests-report/damon.data');

const cases: Array<[what: string, argv: string[], message: RegExp]> = [
  [
    'report heatmap --resol too many cells',
    ['report', 'heatmap', '--resol', '100000', '100000'],
    /^damo: a resolution of 100000 x 100000 is 10,000,000,000 cells, which would need 74\.506 GiB of memory; the most is 16,777,216 cells$/m,
  ],
  [
    'report heatmap --output raw --resol 1000000000 2',
    ['report', 'heatmap', '--output', 'raw', '--resol', '1000000000', '2'],
    /^damo: a resolution of 1000000000 x 2 is 2,000,000,000 cells, .* the most is 16,777,216 cells$/m,
  ],
  ['report heatmap --resol 0 4', ['report', 'heatmap', '--resol', '0', '4'], /^damo: --resol: '0' must be greater than zero$/m],
  [
    'report heats --resol too many cells',
    ['report', 'heats', '--resol', '1000000000', '2'],
    /^damo: a resolution of 1000000000 x 2 is 2,000,000,000 cells, .* the most is 16,777,216 cells$/m,
  ],
  [
    'report wss -r with a billion percentiles',
    ['report', 'wss', '-r', '0', '1000000000', '1'],
    /^damo: --range: percentile 101 is out of range: percentiles must be within 0\.\.100$/m,
  ],
  ['report wss -r that gives no percentile', ['report', 'wss', '-r', '50', '10', '1'], /^damo: --range 50 10 1 gives no percentile: range\(50, 10, 1\) is empty$/m],
  ['report nr_regions -r above 100', ['report', 'nr_regions', '-r', '0', '201', '50'], /^damo: --range: percentile 150 is out of range: percentiles must be within 0\.\.100$/m],
  [
    'report access --percentiles_range with a billion percentiles',
    ['report', 'access', '--percentiles_range', '0', '1000000000', '1'],
    /^damo: --percentiles_range: percentile 101 is out of range: percentiles must be within 0\.\.100$/m,
  ],
  ['report access --percentiles_range listing 200', ['report', 'access', '--percentiles_range', '5', '200', '30', '1'], /^damo: --percentiles_range: percentile 200 is out of range/m],
  ['report access --percentiles_range that is empty', ['report', 'access', '--percentiles_range', '90', '10'], /^damo: --percentiles_range 90 10 1 gives no percentile/m],
  [
    'report access --snapshot_heatmap_width of 100 million',
    ['report', 'access', '--snapshot_heatmap_width', '100000000'],
    /^damo: --snapshot_heatmap_width: 100000000 columns is too many; the most is 10,000$/m,
  ],
  ['report access --region_box_min_max_length reversed', ['report', 'access', '--region_box_min_max_length', '5', '1'], /^damo: --region_box_min_max_length: min 5 is above max 1$/m],
  ['report access --region_box_min_max_height too tall', ['report', 'access', '--region_box_min_max_height', '1', '100000'], /^damo: --region_box_min_max_height: max 100000 is too large; the most is 100$/m],
  ['report access --min_chars_for a billion', ['report', 'access', '--min_chars_for', '<size>', '1000000000'], /^damo: --min_chars_for: 1000000000 characters is too many; the most is 10,000$/m],
  ['report wss --nr_cols_bar of 100 billion', ['report', 'wss', '--nr_cols_bar', '100000000000'], /^damo: --nr_cols_bar: 100000000000 columns is too wide; the most is 10,000 \(0 for no bar\)$/m],
  ['validate --nr_regions negative', ['validate', '--nr_regions', '-1', '10'], /^damo: --nr_regions: min -1 is negative/m],
  ['validate --nr_regions reversed', ['validate', '--nr_regions', '10', '3'], /^damo: --nr_regions: min 10 is above max 3$/m],
];

describe('14.5 sizes the user controls are bounded before the recording is read', () => {
  for (const [what, argv, message] of cases) {
    it(what, () => {
      for (const input of [join(dir, 'no-such-recording.data'), recording]) {
        const r = runBin([...argv, '-i', input]);
        expect(r.status, r.stderr).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/no such file|internal error|\n\s+at /);
      }
    });
  }

  it('the largest resolution allowed still draws', () => {
    const r = runBin(['report', 'heatmap', '-i', recording, '--output', 'raw', '--resol', '4096', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l !== '').length).toBe(4096 * 2);
  });
});
