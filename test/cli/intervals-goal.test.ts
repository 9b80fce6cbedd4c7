// SPDX-License-Identifier: GPL-2.0-only
// --monitoring_intervals_goal and --monitoring_intervals_autotune through the CLI: the
// usage errors for bad goal values on start, tune and args damon, tune's writes on a fake
// DAMON sysfs tree with and without intervals_goal (Linux 6.15+), and the --help texts.
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { runStartKdamondsCommand } from '../../src/record/kdamond/start_command.js';
import { captureIo } from '../fixtures/kdamond/capture_io.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runMain } from './helpers.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';
const tmp = fileTempDir('damo-ivgoal-cli-');
const closers: Array<() => void> = [];
afterAll(() => closers.forEach((c) => c()));

/** One running paddr kdamond that `damo start` started, on a tree with or without intervals_goal. */
function oneKdamond(name: string, intervalsGoal: boolean): { k: FakeKernel; env: Record<string, string> } {
  const k = new FakeKernel(join(tmp, name, 'kernel'), { autoTrace: false, intervalsGoal });
  closers.push(() => k.close());
  const stateDir = join(tmp, name, 'run');
  const ctx = { ops: 'paddr' as const, intervals: { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000 }, nrRegions: { min: 10, max: 1000 }, targets: [{ regions: [[4096, 1 << 30]] as Array<[number, number]> }], schemes: [] };
  expect(runStartKdamondsCommand(captureIo(stateDir), k, { sysfsRoot: k.roots.sysfs, plan: { kdamonds: [{ contexts: [ctx] }] } })).toBe(0);
  return { k, env: { DAMO_STATE_DIR: stateDir } };
}

function writesOf(stderr: string, sysfs: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('damo: debug: write '))
    .map((l) => l.slice('damo: debug: write '.length).replace(`${sysfs}/`, ''));
}

const IV = 'kdamonds/0/contexts/0/monitoring_attrs/intervals';

describe('--monitoring_intervals_goal and --monitoring_intervals_autotune on the command line', () => {
  it.each([
    [['4%', 'x', '5ms', '10s'], /--monitoring_intervals_goal <aggrs>: 'x' is not an integer/],
    [['4%', '-3', '5ms', '10s'], /--monitoring_intervals_goal <aggrs>: '-3'/],
    [['lots', '3', '5ms', '10s'], /--monitoring_intervals_goal <access_bp>: 'lots' is not a ratio \(examples: 400 for basis points, 4%\)/],
    [['4%', '3', 'soon', '10s'], /--monitoring_intervals_goal <min_sample_us>: 'soon' is not a time/],
    [['4%', '3', '5ms', '-1s'], /--monitoring_intervals_goal <max_sample_us>: '-1s' is not a time/],
  ])('refuses the goal %j on start, tune, args damon and record with exit code 2', async (goal, message) => {
    const { k, env } = oneKdamond(`bad-${goal.join('_')}`, true);
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    for (const argv of [['start', 'paddr', '--sysfs_root', k.roots.sysfs], ['tune', '--sysfs_root', k.roots.sysfs], ['args', 'damon', 'paddr', '--regions', '4096-8192'], ['record', 'paddr', '--sysfs_root', k.roots.sysfs, '-o', join(tmp, 'bad.data')]]) {
      const r = await runMain([...argv, '--monitoring_intervals_goal', ...goal], env);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr).toMatch(message);
    }
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
  });

  it('refuses a goal of three values, saying what the four are', async () => {
    const r = await runMain(['tune', '--monitoring_intervals_goal', '4%', '3', '5ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--monitoring_intervals_goal takes 4 values each time, <access_bp> <aggrs> <min_sample_us> <max_sample_us> \(got 3: 4% 3 5ms\)/);
  });

  it("tune --monitoring_intervals_autotune writes damo's default goal and commits", async () => {
    const { k, env } = oneKdamond('autotune', true);
    const r = await runMain(['--debug', 'tune', '--monitoring_intervals_autotune', '--sysfs_root', k.roots.sysfs], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('kdamond 0 tuned\n');
    expect(writesOf(r.stderr, k.roots.sysfs)).toEqual([
      `${IV}/intervals_goal/access_bp <- "400"`,
      `${IV}/intervals_goal/aggrs <- "3"`,
      `${IV}/intervals_goal/min_sample_us <- "5000"`,
      `${IV}/intervals_goal/max_sample_us <- "10000000"`,
      'kdamonds/0/state <- "commit"',
    ]);
  });

  it('tune --monitoring_intervals_goal with new intervals writes both, the goal after the intervals', async () => {
    const { k, env } = oneKdamond('goal', true);
    const r = await runMain(['--debug', 'tune', '--monitoring_intervals', '2ms', '100ms', '1s', '--monitoring_intervals_goal', '10%', '5', '1ms', '1s', '--sysfs_root', k.roots.sysfs], env);
    expect(r.code).toBe(0);
    expect(writesOf(r.stderr, k.roots.sysfs)).toEqual([
      `${IV}/sample_us <- "2000"`,
      `${IV}/aggr_us <- "100000"`,
      `${IV}/update_us <- "1000000"`,
      `${IV}/intervals_goal/access_bp <- "1000"`,
      `${IV}/intervals_goal/aggrs <- "5"`,
      `${IV}/intervals_goal/min_sample_us <- "1000"`,
      `${IV}/intervals_goal/max_sample_us <- "1000000"`,
      'kdamonds/0/state <- "commit"',
    ]);
  });

  it('tune refuses a goal on a kernel without intervals_goal, naming Linux 6.15+, writing nothing', async () => {
    const { k, env } = oneKdamond('old', false);
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    const r = await runMain(['--debug', 'tune', '--monitoring_intervals_autotune', '--sysfs_root', k.roots.sysfs], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/damo: kdamond 0 asks for monitoring intervals auto-tuning \(the intervals_goal directory of DAMON sysfs, Linux 6\.15\+\), with the goal 4 % 3 5 ms 10 s, but this kernel lacks it/);
    expect(r.stderr).toMatch(/use Linux 6\.15 or later, or drop --monitoring_intervals_autotune/);
    expect(writesOf(r.stderr, k.roots.sysfs)).toEqual([]);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
  });

  it('lists both options, with the default goal, in the --help of start, tune and args damon', async () => {
    for (const argv of [['start'], ['tune'], ['args', 'damon']]) {
      const help = (await runMain([...argv, '--help'])).stdout.replace(/\s+/g, ' ');
      expect(help).toMatch(/--monitoring_intervals_autotune give every context the intervals auto-tuning goal 4% 3 5ms 10s \(Linux 6\.15\+\)/);
      expect(help).toMatch(/--monitoring_intervals_goal <goal\.\.\.> <access_bp> <aggrs> <min_sample_us> <max_sample_us>: let DAMON tune/);
    }
  });

  it('record takes both, and refuses them where nothing can tune the intervals, before recording', async () => {
    const help = (await runMain(['record', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--monitoring_intervals_autotune give the recording kdamond the intervals auto-tuning goal 4% 3 5ms 10s \(Linux 6\.15\+\)/);
    expect(help).toMatch(/--monitoring_intervals_goal <goal\.\.\.> <access_bp> <aggrs> <min_sample_us> <max_sample_us>: let DAMON tune the recording kdamond's sampling/);
    const out = join(tmp, 'never.data');
    const native = await runMain(['record', '--source', 'native', '--monitoring_intervals_autotune', '-o', out, '--', 'true']);
    expect(native.code).toBe(2);
    expect(native.stderr).toMatch(/--monitoring_intervals_goal and --monitoring_intervals_autotune ask DAMON to tune the intervals, but --source native records with the native engine: the native engine keeps the intervals it is given: auto-tuning them is kernel DAMON's/);
    expect(native.stderr).toMatch(/record with --source tracefs or sysfs \(root, Linux 6\.15\+\), or drop the goal/);
    const twice = await runMain(['record', 'paddr', '--monitoring_intervals_goal', '4%', '3', '5ms', '10s', '--monitoring_intervals_goal', '4%', '3', '5ms', '10s', '-o', out]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/damo record monitors one context, but --monitoring_intervals_goal was given 2 times/);
  });
});
