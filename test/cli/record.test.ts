// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo record` through the CLI (in-process main): option handling and the errors users see.
 * Every run points the kernel roots at fake trees; nothing reaches the host's kernel files.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { FakeKernel } from '../fixtures/record/fake_kernel.js';
import { tempDir } from '../fixtures/record/helpers.js';
import { runMain } from './helpers.js';

const dirs: string[] = [];
const fakes: FakeKernel[] = [];
afterAll(() => {
  for (const f of fakes) f.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fakeTree(options: ConstructorParameters<typeof FakeKernel>[1] = {}): { fake: FakeKernel; rootArgs: string[]; dir: string } {
  const dir = tempDir('damo-record-cli-');
  dirs.push(dir);
  const fake = new FakeKernel(join(dir, 'kernel'), options);
  fakes.push(fake);
  return { fake, dir, rootArgs: ['--sysfs_root', fake.roots.sysfs, '--tracefs_root', fake.roots.tracefs, '--debugfs_root', fake.roots.debugfs] };
}

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('damo record (CLI)', () => {
  it('teaches in --help: targets, sources, endings, examples', async () => {
    const r = await runMain(['record', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--monitoring_intervals', '--source <source>', '--primitive', 'Sources (--source, default auto', 'never modify a kdamond', 'Examples:', 'damo record -o damon.data -- ./workload']) {
      expect(r.stdout).toContain(s);
    }
  });

  it('is listed in damo --help', async () => {
    expect((await runMain(['--help'])).stdout).toMatch(/record \[options\] \[target\.\.\.\]/);
  });

  it('usage errors exit 2 and say what is wrong', async () => {
    const { rootArgs } = fakeTree();
    const cases: Array<[string[], RegExp]> = [
      [['record', ...rootArgs], /nothing to record: give a command, pid\(s\) or paddr/],
      [['record', '--output_permission', '999', ...rootArgs, 'paddr'], /'999' is not an octal file mode/],
      [['record', '--monitoring_intervals', '5ms', '100ms', ...rootArgs, '--', 'paddr'], /takes three values/],
      [['record', '--timeout', '-3', ...rootArgs, 'paddr'], /not a positive number of seconds/],
      [['record', '--source', 'magic', 'paddr'], /argument 'magic' is invalid/],
      [['record', '-s', '200ms', '-a', '100ms', ...rootArgs, 'paddr'], /must not exceed the aggregation interval/],
      [['record', '-n', '2', ...rootArgs, 'paddr'], /at least 3/],
      [['record', '--source', 'tracefs', '--primitive', 'clear_refs', ...rootArgs, '--', 'sleep', '1'], /--primitive clear_refs applies to the native engine, not to --source tracefs/],
    ];
    for (const [argv, re] of cases) {
      const r = await runMain(argv, ENV);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr).toMatch(re);
    }
  });

  it('runtime errors exit 1 with what to do, before anything is written', async () => {
    const { fake, rootArgs, dir } = fakeTree();
    const before = FakeKernel.snapshotTree(fake.dir);
    const cases: Array<[string[], RegExp]> = [
      [['record', ...rootArgs, '999999999'], /damo: no process with pid 999999999\ndamo: check the pid/],
      [['record', ...rootArgs, '--', 'no-such-workload-7'], /command not found: 'no-such-workload-7'.*\ndamo: give its path/],
      [['record', '-o', join(dir, 'missing/x.data'), ...rootArgs, '--', 'sleep', '1'], /cannot write the recording to .*does not exist/],
    ];
    for (const [argv, re] of cases) {
      const r = await runMain(argv, ENV);
      expect({ argv, code: r.code }).toEqual({ argv, code: 1 });
      expect(r.stderr).toMatch(re);
    }
    expect(FakeKernel.snapshotTree(fake.dir)).toEqual(before);
  });

  it('--debug shows every kernel write, and a failed setup is undone', async () => {
    // A static tree: writing nr_kdamonds does not create kdamonds/0 here, so the setup
    // fails at the next write, as on a kernel whose DAMON lacks a file we need.
    const { fake, rootArgs, dir } = fakeTree();
    fake.close();
    const r = await runMain(['--debug', 'record', '--source', 'tracefs', '-o', join(dir, 'd.data'), '-r', '1G-2G', ...rootArgs, 'paddr'], ENV);
    expect(r.code).toBe(1);
    const nr = `${fake.roots.sysfs}/kdamonds/nr_kdamonds`;
    expect(r.stderr).toContain(`damo: debug: write ${nr} <- "1"\ndamo: debug: write ${fake.roots.sysfs}/kdamonds/0/contexts/nr_contexts <- "1"\ndamo: debug: write ${nr} <- "0"\n`);
    expect(r.stderr).toMatch(/a DAMON control file is missing .*this kernel's DAMON lacks a feature we need/);
    expect(fake.read(nr).trim()).toBe('0');
  });

  it('refuses next to a running kdamond that is not ours, suggests --source native, writes nothing', async () => {
    const { fake, rootArgs, dir } = fakeTree({ foreign: [{ state: 'on', pid: 77, ops: 'paddr' }], availOps: ['paddr'] });
    fake.close(); // stop the fake kdamond's timer: the CLI only reads this tree
    const before = FakeKernel.snapshotTree(fake.dir);
    const r = await runMain(['record', '-o', join(dir, 'out.data'), ...rootArgs, '--source', 'sysfs', 'paddr'], ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot record with --source sysfs: kdamond 0 \(pid 77\) is running and is not ours; the kernel cannot add another kdamond while one runs \(writing nr_kdamonds returns EBUSY\)/);
    const vaddr = await runMain(['record', '-o', join(dir, 'out.data'), ...rootArgs, '--source', 'tracefs', '--', 'sleep', '1'], ENV);
    expect(vaddr.code).toBe(1);
    expect(vaddr.stderr).toMatch(/cannot monitor 'vaddr' \(available operations: paddr.*\ndamo: use --source native/);
    expect(FakeKernel.snapshotTree(fake.dir)).toEqual(before);
  });
});
