// SPDX-License-Identifier: GPL-2.0-only
// `damo args damon` through the built binary.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { readDamoFixtureText } from '../fixtures/damo_fixtures.js';
import { runBin } from './helpers.js';

const PARAMS = ['paddr', '--regions', '4096-1048576 2097152-4194304', '--monitoring_intervals', '10ms', '200ms', '2s', '--monitoring_nr_regions_range', '20', '500'];

describe('damo args damon (binary)', () => {
  it("prints damo 3.3.0's kdamonds JSON, and the same document as YAML", () => {
    const json = runBin(['args', 'damon', ...PARAMS]);
    expect(json.stderr).toBe('');
    expect(json.status).toBe(0);
    expect(json.stdout).toBe(readDamoFixtureText('args_damon/paddr_params.json'));
    const yaml = runBin(['args', 'damon', ...PARAMS, '--format', 'yaml']);
    expect(yaml.status).toBe(0);
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
  });

  it('refuses a bad flag value with a usage error naming the option', () => {
    const r = runBin(['args', 'damon', 'paddr', '--monitoring_nr_regions_range', '10', 'many']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--monitoring_nr_regions_range/);
    expect(r.stdout).toBe('');
  });

  it('refuses an unknown format', () => {
    const r = runBin(['args', 'damon', 'paddr', '--format', 'xml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/json, yaml, report|'json', 'yaml', 'report'/);
  });
});
