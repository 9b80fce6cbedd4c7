// SPDX-License-Identifier: GPL-2.0-only
// `damo record ongoing` and `--damon_interface_DEPRECATED` through the CLI: the errors users see.
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { FakeKernel } from '../fixtures/record/fake_kernel.js';
import { tempDir } from '../fixtures/record/helpers.js';
import { runMain } from './helpers.js';

const dir = tempDir('damo-record-ongoing-cli-');
const fake = new FakeKernel(join(dir, 'kernel'));
afterAll(() => {
  fake.close();
  rmSync(dir, { recursive: true, force: true });
});
const roots = ['--sysfs_root', fake.roots.sysfs, '--tracefs_root', fake.roots.tracefs, '--debugfs_root', fake.roots.debugfs];
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('damo record ongoing / --damon_interface_DEPRECATED (CLI)', () => {
  it('explains that nothing runs, and refuses options that do not apply', async () => {
    const none = await runMain(['record', 'ongoing', '-o', join(dir, 'a.data'), ...roots], ENV);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no kdamond is running under .*nothing ongoing to record/);
    const regions = await runMain(['record', 'ongoing', '-r', '4096-81920', '-o', join(dir, 'b.data'), ...roots], ENV);
    expect(regions.code).toBe(2);
    expect(regions.stderr).toMatch(/'ongoing' records the running kdamond as it is configured/);
    const schemes = await runMain(['schemes', '-c', '0 max 0 max 0s max stat', 'ongoing'], ENV);
    expect(schemes.code).toBe(2);
  });

  it('maps --damon_interface_DEPRECATED onto --source and refuses a contradiction', async () => {
    const bad = await runMain(['record', '--damon_interface_DEPRECATED', 'debugfs', '--source', 'tracefs', '-o', join(dir, 'c.data'), ...roots, 'paddr'], ENV);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--damon_interface_DEPRECATED debugfs contradicts --source tracefs/);
    // debugfs is asked for, and this fake kernel has none: the debugfs source's own error.
    const debugfs = await runMain(['record', '--damon_interface_DEPRECATED', 'debugfs', '-o', join(dir, 'd.data'), ...roots, 'paddr'], ENV);
    expect(debugfs.stderr).toMatch(/cannot record with --source debugfs: the DAMON debugfs interface is absent/);
    const wrong = await runMain(['record', '--damon_interface_DEPRECATED', 'procfs', ...roots, 'paddr'], ENV);
    expect(wrong.code).toBe(2);
  });
});
