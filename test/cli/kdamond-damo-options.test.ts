// SPDX-License-Identifier: GPL-2.0-only
// damo 3.3.0's start_stop options on start/tune/stop: -s/-a/-u/-n/-m, tune --ops, and
// --damon_interface_DEPRECATED, through the CLI against a fake DAMON sysfs tree.
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { buildReportDamonTree } from '../fixtures/kdamond/report_damon_tree.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runMain } from './helpers.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';
const tmp = fileTempDir('damo-kdamond-opts-');
const closers: Array<() => void> = [];
afterAll(() => closers.forEach((c) => c()));

describe('damo start/tune/stop with damo 3.3.0 options', () => {
  it('tune --aggr sets the intervals as damo does (the others at their defaults) and checks --ops', async () => {
    const k = buildReportDamonTree(join(tmp, 'a'), { keepRunning: true });
    closers.push(() => k.close());
    const env = { DAMO_STATE_DIR: join(tmp, 'a/run') };
    const attrs = `${k.roots.sysfs}/kdamonds/0/contexts/0/monitoring_attrs/intervals`;
    const wrongOps = await runMain(['tune', '--aggr', '200000', '--ops', 'vaddr', '--sysfs_root', k.roots.sysfs], env);
    expect(wrongOps.code).toBe(2);
    expect(wrongOps.stderr).toMatch(/--ops vaddr: kdamond 0 monitors with 'paddr', and damo tune does not change the operations set/);
    // The plain-file tree keeps whatever is written to 'state': the refusal above comes first.
    // --debug prints every write (the tree is plain files, which a kernel write does not truncate).
    const r = await runMain(['--debug', 'tune', '--aggr', '200000', '--ops', 'paddr', '--damon_interface_DEPRECATED', 'sysfs', '--sysfs_root', k.roots.sysfs], env);
    expect(r.code).toBe(0);
    const writes = r.stderr.split('\n').filter((l) => l.startsWith('damo: debug: write ')).map((l) => l.slice('damo: debug: write '.length));
    expect(writes).toEqual([`${attrs}/sample_us <- "5000"`, `${attrs}/aggr_us <- "200000"`, `${attrs}/update_us <- "1000000"`, `${k.roots.sysfs}/kdamonds/0/state <- "commit"`]);
  });

  it('refuses --damon_interface_DEPRECATED debugfs on start, tune and stop', async () => {
    for (const argv of [['start', 'paddr'], ['tune', '--aggr', '100ms'], ['stop']]) {
      const r = await runMain([...argv, '--damon_interface_DEPRECATED', 'debugfs', '--sysfs_root', join(tmp, 'none')], { DAMO_STATE_DIR: join(tmp, 'none-run') });
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr).toMatch(/report damon use DAMON sysfs only/);
    }
  });
});
