// SPDX-License-Identifier: GPL-2.0-only
/**
 * Bad input to the damo 3.3.0 commands: every option value is checked with a `damo:` usage
 * error (exit 2) that says what was expected; data a style needs but the recording lacks is
 * a runtime error (exit 1) that says what is missing.
 */
import { describe, expect, it } from 'vitest';

import { runMain } from './helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';

const snapshot = damoFixture('damo-3.3.0-tests-report/damon.data.snapshot.active');
const noIntervals = damoFixture('damo-3.3.0-tests-report/damon.data');

const usageErrors: Array<[string, string[], RegExp]> = [
  ['unknown style', ['report', 'access', '-i', snapshot, '--style', 'warm'], /--style|warm/],
  ['two temperature weights', ['report', 'access', '-i', snapshot, '--temperature_weights', '1', '2'], /--temperature_weights takes three values/],
  ['a weight that is not an integer', ['report', 'access', '-i', snapshot, '--temperature_weights', '1', 'x', '2'], /--temperature_weights: 'x' is not an integer/],
  ['a --format area that does not exist', ['report', 'access', '-i', snapshot, '--format', 'set', 'footer', 'x'], /--format: 'footer' is not one of/],
  ['--format with two values', ['report', 'access', '-i', snapshot, '--format', 'set', 'region'], /--format takes/],
  ['--exec', ['report', 'access', '-i', snapshot, '--exec', 'script.py'], /--exec .* use --json/],
  ['an unknown sort field', ['report', 'access', '-i', snapshot, '--sort_regions_by', 'heat'], /--sort_regions_by: 'heat' is not one of/],
  ['a size bound that is not a size', ['report', 'access', '-i', snapshot, '--sz_region', '1x', 'max'], /--sz_region: '1x' is not a size/],
  ['an address range with start after end', ['report', 'access', '-i', snapshot, '--address', '8192', '4096'], /--address: start 8192 is after end 4096/],
  ['odd --hist_ranges', ['report', 'access', '-i', snapshot, '--hist_ranges', '1'], /--hist_ranges takes pairs/],
  ['a percentiles step of 0', ['report', 'access', '-i', snapshot, '--percentiles_range', '0', '100', '0'], /step must not be 0/],
  ['a zero heatmap width', ['report', 'access', '-i', snapshot, '--snapshot_heatmap_width', '0'], /snapshot_heatmap_width/],
  ['a zero aggregation interval', ['adjust', '-i', snapshot, '--aggregate_interval', '0'], /aggregate_interval/],
  ['a negative skip', ['adjust', '-i', snapshot, '--skip', '-1'], /skip/],
  ['an unknown output type', ['adjust', '-i', snapshot, '--output_type', 'pickle'], /output_type/],
  ['a bad file mode', ['adjust', '-i', snapshot, '--output_permission', '999'], /output_permission/],
  ['validate ranges upside down', ['validate', '-i', snapshot, '--nr_regions', '10', '3'], /--nr_regions: min 10 is above max 3/],
  ['a malformed regions boundary', ['validate', '-i', snapshot, '--regions_boundary', '10:20'], /--regions_boundary: '10:20' is not <start>-<end>/],
  ['a heatmap resolution of 0', ['report', 'heatmap', '-i', snapshot, '--resol', '0', '4'], /--resol/],
  ['a heatmap time range of one value', ['report', 'heatmap', '-i', snapshot, '--time_range', '5'], /--time_range takes/],
  ['an unknown draw range', ['report', 'heatmap', '-i', snapshot, '--draw_range', 'coldest'], /draw_range/],
];

describe('damo 3.3.0 commands: bad option values are usage errors', () => {
  for (const [what, argv, message] of usageErrors) {
    it(what, async () => {
      const r = await runMain(argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    });
  }
});

describe('damo 3.3.0 commands: missing data is a runtime error that says what is missing', () => {
  it('a --style on a recording without intervals', async () => {
    const r = await runMain(['report', 'access', '-i', noIntervals, '--style', 'recency-percentiles']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^damo: .*has no monitoring intervals/m);
    expect(r.stderr).toMatch(/--raw_form or --json/);
  });

  it('--raw_form does not need intervals', async () => {
    const r = await runMain(['report', 'access', '-i', noIntervals, '--raw_form', '--snapshot_idx', '0', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^base_time_absolute: /);
  });

  it('validate reports each violation and exits 1', async () => {
    const r = await runMain(['validate', '-i', noIntervals, '--nr_accesses', '0', '5']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe('invalid: expect 0<=nr_accesses<=5 but 14');
  });
});
