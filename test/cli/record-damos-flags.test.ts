// SPDX-License-Identifier: GPL-2.0-only
// damo 3.3.0's schemes flags on `damo record` (-c and --damos_*, quota goals included),
// through the CLI: parsed by start's parsers, listed in --help, and refused before anything
// runs where only a sysfs kdamond of ours could apply them.
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runMain } from './helpers.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';
const tmp = fileTempDir('damo-record-damos-');

describe('damo record with -c and the --damos_* flags', () => {
  it('lists them in --help, with the quota goal flags', async () => {
    const help = (await runMain(['record', '--help'])).stdout.replace(/\s+/g, ' ');
    for (const flag of ['-c, --schemes <file>', '--damos_action <action...>', '--damos_quotas <quota...>', '--damos_quota_goal <metric_value...>', '--damos_nr_quota_goals <nr...>', '--damos_quota_goal_tuner <tuner>', '--damos_filter <filter...>']) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/Schemes \(-c or the --damos_\* flags, as damo's record takes them\): our sysfs kdamond applies them while it records/);
  });

  it.each([
    [['--source', 'native'], /but --source native records with the native engine/, /--backend native/],
    [['--source', 'debugfs'], /but --source debugfs records with DAMON debugfs/, /--backend debugfs/],
    [['--primitive', 'clear_refs'], /but --primitive clear_refs records with the native engine/, /--backend native/],
  ])('refuses %j with exit code 2, naming damo schemes', async (source, message, hint) => {
    const r = await runMain(['record', ...source, '--damos_action', 'pageout', '--damos_quotas', '10ms', '100M', '1s', '--damos_quota_goal', 'some_mem_psi_us', '1ms', '-o', join(tmp, 'never.data'), '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/damo record applies schemes \(-c\/--schemes, --damos_\*\) with kernel DAMON through a sysfs kdamond of its own/);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(hint);
  });

  it("refuses bad flags with start's messages, and -c with --damos_* together", async () => {
    const out = join(tmp, 'never.data');
    const bad = ['--damos_action', 'pageout', '--damos_quotas', '10ms', '100M', '1s', '--damos_quota_goal', 'some_mem_psi_us'];
    const rec = await runMain(['record', 'paddr', ...bad, '-o', out, '--sysfs_root', join(tmp, 'none')]);
    expect(rec.code).toBe(2);
    const start = await runMain(['start', 'paddr', ...bad, '--sysfs_root', join(tmp, 'none')]);
    expect(start.code).toBe(2);
    expect(rec.stderr).toMatch(/--damos_quota_goal/);
    expect(rec.stderr.split('\n')[0]).toBe(start.stderr.split('\n')[0]);
    const both = await runMain(['record', 'paddr', '-c', '4K max 0 0 1s max stat', '--damos_action', 'stat', '-o', out]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/-c\/--schemes and the --damos_\* flags both describe schemes; give one of them/);
  });
});
