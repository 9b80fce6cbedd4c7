// SPDX-License-Identifier: GPL-2.0-only
// `damo report damon` through the built binary on a fake DAMON sysfs tree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { buildReportDamonTree } from '../fixtures/kdamond/report_damon_tree.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runBin } from './helpers.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';
const tmp = fileTempDir('damo-report-damon-cli-');
const ENV = { [FORBID_REAL_KERNEL_ENV]: '1' };
const closers: Array<() => void> = [];
afterAll(() => closers.forEach((c) => c()));

describe('damo report damon (binary)', () => {
  it('prints the kdamonds of a sysfs tree as damo 3.3.0 does, text and --json', () => {
    const k = buildReportDamonTree(join(tmp, 'a'));
    closers.push(() => k.close());
    const root = ['--sysfs_root', k.roots.sysfs, '--module_root', join(tmp, 'no-modules')];
    const text = runBin(['report', 'damon', ...root], { env: ENV });
    expect(text.stderr).toBe('');
    expect(text.status).toBe(0);
    expect(text.stdout).toBe(readFileSync(join(__dirname, '../fixtures/kdamond/report_damon.txt'), 'utf8'));
    const json = runBin(['report', 'damon', '--json', ...root], { env: ENV });
    expect(json.status).toBe(0);
    expect(json.stdout).toBe(readFileSync(join(__dirname, '../fixtures/kdamond/report_damon.json'), 'utf8'));
    const yaml = runBin(['report', 'damon', '--format', 'yaml', ...root], { env: ENV });
    expect(yaml.stderr).toBe('');
    expect(yaml.status).toBe(0);
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
    expect(yaml.stdout).toMatch(/^- state: /);
    // damo 3.3.0's schemes suite passes its interface to every command
    const sysfs = runBin(['report', 'damon', '--damon_interface_DEPRECATED', 'sysfs', ...root], { env: ENV });
    expect(sysfs.status, sysfs.stderr).toBe(0);
    expect(sysfs.stdout).toBe(text.stdout);
    // debugfs reads DAMON debugfs (report-damon-debugfs.test.ts); here there is none
    const debugfs = runBin(['report', 'damon', '--damon_interface_DEPRECATED', 'debugfs', '--debugfs_root', join(tmp, 'no-debugfs'), ...root], { env: ENV });
    expect(debugfs.status).not.toBe(0);
    expect(debugfs.stderr).toMatch(/DAMON debugfs is not there/);
  });

  it('fails clearly without DAMON sysfs', () => {
    const missing = runBin(['report', 'damon', '--sysfs_root', join(tmp, 'nothing-here')], { env: ENV });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/DAMON sysfs is not there/);
  });
});
