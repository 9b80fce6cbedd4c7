// SPDX-License-Identifier: GPL-2.0-only
// `damo args damon` through the built binary.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { readDamoFixtureText } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runBin } from './helpers.js';

const tmp = fileTempDir('damo-args-damon-cli-');
const ENV = { [FORBID_REAL_KERNEL_ENV]: '1', DAMO_STATE_DIR: join(tmp, 'run') };

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

  it('start --kdamonds reads what args damon wrote (JSON file, YAML file, inline JSON) and stops only at the missing sysfs', () => {
    const yaml = join(tmp, 'k.yaml');
    writeFileSync(yaml, runBin(['args', 'damon', ...PARAMS, '--format', 'yaml']).stdout);
    const json = join(tmp, 'k.json');
    writeFileSync(json, runBin(['args', 'damon', ...PARAMS, '--raw']).stdout);
    const inline = readDamoFixtureText('args_damon/pid1_fvaddr.json');
    for (const arg of [yaml, json, inline]) {
      const r = runBin(['start', '--kdamonds', arg, '--sysfs_root', join(tmp, 'no-sysfs')], { env: ENV });
      expect(r.stderr).toMatch(/DAMON sysfs is not there/);
      expect(r.status).toBe(1);
    }
  });

  it('start --kdamonds refuses other target flags, bad documents and missing files, with the key path', () => {
    const doc = readDamoFixtureText('args_damon/paddr_params.json');
    const mixed = runBin(['start', '--kdamonds', doc, 'paddr', '--ops', 'paddr'], { env: ENV });
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/cannot be combined with a target, --ops/);
    const bad = runBin(['start', '--kdamonds', doc.replace('"min": "20"', '"min": "twenty"'), '--sysfs_root', join(tmp, 'no-sysfs')], { env: ENV });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/kdamonds\[0\]\.contexts\[0\]\.nr_regions\.min: expected a non-negative integer/);
    const missing = runBin(['start', '--kdamonds', join(tmp, 'nope.json')], { env: ENV });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no file '.*nope\.json'/);
  });
});
