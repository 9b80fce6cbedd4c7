// SPDX-License-Identifier: GPL-2.0-only
// `damo report damon --damon_interface_DEPRECATED debugfs` through the binary on a fake DAMON
// debugfs root (plain files: report damon only reads debugfs), against damo 3.3.0's output for
// the same tree (test/fixtures/kdamond/README.md), and the suite's `--damos_stats` form.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runBin } from './helpers.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';
const tmp = fileTempDir('damo-report-dbgfs-');
const ENV = { [FORBID_REAL_KERNEL_ENV]: '1' };

/** Linux 6.12's debugfs files as they read back while a vaddr kdamond with two schemes runs. */
function buildTree(dir: string, schemeLines: string[]): string {
  const d = join(dir, 'damon');
  mkdirSync(d, { recursive: true });
  const files: Record<string, string> = {
    attrs: '5000 100000 1000000 10 1000\n',
    target_ids: '1234\n',
    init_regions: '',
    schemes: schemeLines.map((l) => `${l}\n`).join(''),
    monitor_on_DEPRECATED: 'on\n',
    kdamond_pid: '4321\n',
    mk_contexts: '',
    rm_contexts: '',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const STAT = '4096 18446744073709551615 0 0 10 4294967295 5 0 0 18446744073709551615 1000 1000 1000 0 0 0 0 0 17 73728000 0 0 0';
const PAGEOUT = '2097152 18446744073709551615 0 4 50 4294967295 2 10 104857600 1000 0 300 700 1 1000000 800 500 200 5 20971520 3 12582912 7';

/** damo 3.3.0's output with its qt_exceeds-as-sz_ops_filter_passed slip (README) put right. */
function damoExpected(name: string): string {
  return readFileSync(join(__dirname, '../fixtures/kdamond', name), 'utf8')
    .replace('7 B passed filters\n                quota exceeded 0 times\n                7 B\n', '0 B passed filters\n                quota exceeded 7 times\n                0 B\n')
    .replace('"sz_ops_filter_passed": "7 B",\n                            "qt_exceeds": "0",', '"sz_ops_filter_passed": "0 B",\n                            "qt_exceeds": "7",');
}

describe('damo report damon over DAMON debugfs (binary)', () => {
  const args = (): string[] => ['report', 'damon', '--damon_interface_DEPRECATED', 'debugfs', '--debugfs_root', buildTree(join(tmp, 'two'), [STAT, PAGEOUT]), '--module_root', join(tmp, 'no-modules')];

  for (const [name, extra] of [
    ['report_damon_debugfs.txt', []],
    ['report_damon_debugfs.json', ['--json']],
    ['report_damon_debugfs_params.txt', ['--damon_params']],
    ['report_damon_debugfs_sz_tried_raw.txt', ['--damos_stats', '--damos_stat_fields', 'sz_tried', '--raw']],
  ] as const) {
    it(`prints what damo 3.3.0 prints: ${name}`, () => {
      const r = runBin([...args(), ...extra], { env: ENV });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(damoExpected(name));
    });
  }

  it("the schemes suite's form with its one scheme prints the bare number", () => {
    const one = buildTree(join(tmp, 'one'), [STAT]);
    const r = runBin(['report', 'damon', '--damon_interface_DEPRECATED', 'debugfs', '--debugfs_root', one, '--damos_stats', '--damos_stat_fields', 'sz_tried', '--raw'], { env: ENV });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: '73728000\n', stderr: '' });
  });
});
