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
    expect(wrongOps.stderr).toMatch(/--ops vaddr: kdamond 0 monitors with 'paddr'; a new operations set needs targets of its own .* and this form of damo tune \(each flag once, no target\) keeps the running targets/);
    expect(wrongOps.stderr).toMatch(/damo tune --ops vaddr --target_pid <pid>/);
    expect(wrongOps.stderr).toMatch(/'damo stop' and 'damo start'/);
    // The plain-file tree keeps whatever is written to 'state': the refusal above comes first.
    // --debug prints every write (the tree is plain files, which a kernel write does not truncate).
    const r = await runMain(['--debug', 'tune', '--aggr', '200000', '--ops', 'paddr', '--damon_interface_DEPRECATED', 'sysfs', '--sysfs_root', k.roots.sysfs], env);
    expect(r.code).toBe(0);
    const writes = r.stderr.split('\n').filter((l) => l.startsWith('damo: debug: write ')).map((l) => l.slice('damo: debug: write '.length));
    expect(writes).toEqual([`${attrs}/sample_us <- "5000"`, `${attrs}/aggr_us <- "200000"`, `${attrs}/update_us <- "1000000"`, `${k.roots.sysfs}/kdamonds/0/state <- "commit"`]);
  });

  it('tune --ops vaddr --target_pid switches the operations set as damo writes it: operations first, then commit', async () => {
    const k = buildReportDamonTree(join(tmp, 'b'), { keepRunning: true });
    closers.push(() => k.close());
    const env = { DAMO_STATE_DIR: join(tmp, 'b/run') };
    const ctx = `${k.roots.sysfs}/kdamonds/0/contexts/0`;
    const r = await runMain(['--debug', 'tune', '--ops', 'vaddr', '--target_pid', String(process.pid), '--sysfs_root', k.roots.sysfs], env);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const writes = r.stderr.split('\n').filter((l) => l.startsWith('damo: debug: write ')).map((l) => l.slice('damo: debug: write '.length));
    expect(writes[0]).toBe(`${ctx}/operations <- "vaddr"`);
    expect(writes).toContain(`${ctx}/targets/0/pid_target <- "${process.pid}"`);
    expect(writes.at(-1)).toBe(`${k.roots.sysfs}/kdamonds/0/state <- "commit"`);
    expect(r.stdout).toBe('kdamond 0 tuned\n');
  });

  it('--damon_interface_DEPRECATED debugfs: tune refuses it; start and stop go to DAMON debugfs (here absent)', async () => {
    const env = { DAMO_STATE_DIR: join(tmp, 'none-run') };
    const common = ['--damon_interface_DEPRECATED', 'debugfs', '--sysfs_root', join(tmp, 'none'), '--debugfs_root', join(tmp, 'no-debugfs')];
    const tune = await runMain(['tune', '--aggr', '100ms', ...common.slice(0, 4)], env);
    expect(tune.code).not.toBe(0);
    expect(tune.stderr).toMatch(/damo tune cannot change a kdamond over DAMON debugfs, which refuses \(EBUSY\) writes/);
    const start = await runMain(['start', 'paddr', ...common], env);
    expect(start.code).not.toBe(0);
    expect(start.stderr).toMatch(/DAMON debugfs is not there \(.*no-debugfs has no attrs, target_ids and monitor_on files\)/);
    const stop = await runMain(['stop', ...common], env);
    expect({ code: stop.code, out: stop.stdout }).toEqual({ code: 0, out: 'no DAMON debugfs monitoring to stop\n' });
  });
});
