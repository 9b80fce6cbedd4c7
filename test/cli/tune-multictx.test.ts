// SPDX-License-Identifier: GPL-2.0-only
// `damo tune` with damo 3.3.0's multi-context flags, through the CLI against a fake DAMON
// sysfs tree with two kdamonds that `damo start` started: which form the flags select, the
// writes (--debug prints each), and the usage errors.
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { runStartKdamondsCommand } from '../../src/record/kdamond/start_command.js';
import { parseSchemesText } from '../../src/schemes/text.js';
import { captureIo } from '../fixtures/kdamond/capture_io.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runMain } from './helpers.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';
const tmp = fileTempDir('damo-tune-multictx-');
const closers: Array<() => void> = [];
afterAll(() => closers.forEach((c) => c()));

const GB = 1 << 30;

/**
 * Two running paddr kdamonds, started as `damo start --nr_ctxs 1 1` would; returns the sysfs
 * root and env. The CLI writes the tree as plain files (no kernel creates directories on a
 * count write), so a test that writes schemes starts the kdamonds with one each.
 */
function twoKdamonds(name: string, schemeText = ''): { sysfs: string; env: Record<string, string> } {
  const k = new FakeKernel(join(tmp, name, 'kernel'), { autoTrace: false });
  closers.push(() => k.close());
  const ctx = (start: number, end: number) => ({ ops: 'paddr' as const, intervals: { sampleUs: 5000, aggrUs: 100_000_000, opsUpdateUs: 100_000_000 }, nrRegions: { min: 10, max: 1000 }, targets: [{ regions: [[start, end]] as Array<[number, number]> }], schemes: schemeText === '' ? [] : parseSchemesText(schemeText, '<t>') });
  const stateDir = join(tmp, name, 'run');
  expect(runStartKdamondsCommand(captureIo(stateDir), k, { sysfsRoot: k.roots.sysfs, plan: { kdamonds: [{ contexts: [ctx(4096, GB)] }, { contexts: [ctx(GB, 2 * GB)] }] } })).toBe(0);
  return { sysfs: k.roots.sysfs, env: { DAMO_STATE_DIR: stateDir } };
}

function writesOf(stderr: string, sysfs: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('damo: debug: write '))
    .map((l) => l.slice('damo: debug: write '.length).replace(`${sysfs}/`, ''));
}

const TWO_PADDR = ['--ops', 'paddr', '--ops', 'paddr', '--regions', `4096-${GB}`, '--regions', `${GB}-${2 * GB}`, '--nr_targets', '1', '1', '--nr_ctxs', '1', '1'];

describe('damo tune with the multi-context flags', () => {
  it('commits every kdamond the flags describe', async () => {
    const { sysfs, env } = twoKdamonds('a');
    const r = await runMain(['--debug', 'tune', ...TWO_PADDR, '-a', '200ms', '-a', '300ms', '-s', '10ms', '-s', '10ms', '--sysfs_root', sysfs], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('kdamond 0 tuned\nkdamond 1 tuned\n');
    const iv = (i: number) => `kdamonds/${i}/contexts/0/monitoring_attrs`;
    expect(writesOf(r.stderr, sysfs)).toEqual([
      'kdamonds/0/contexts/0/operations <- "paddr"',
      `${iv(0)}/intervals/sample_us <- "10000"`,
      `${iv(0)}/intervals/aggr_us <- "200000"`,
      `${iv(0)}/intervals/update_us <- "1000000"`,
      `${iv(0)}/nr_regions/min <- "10"`,
      `${iv(0)}/nr_regions/max <- "1000"`,
      `kdamonds/0/contexts/0/targets/0/regions/0/start <- "4096"`,
      `kdamonds/0/contexts/0/targets/0/regions/0/end <- "${GB}"`,
      'kdamonds/0/contexts/0/schemes/nr_schemes <- "0"',
      'kdamonds/1/contexts/0/operations <- "paddr"',
      `${iv(1)}/intervals/sample_us <- "10000"`,
      `${iv(1)}/intervals/aggr_us <- "300000"`,
      `${iv(1)}/intervals/update_us <- "1000000"`,
      `${iv(1)}/nr_regions/min <- "10"`,
      `${iv(1)}/nr_regions/max <- "1000"`,
      `kdamonds/1/contexts/0/targets/0/regions/0/start <- "${GB}"`,
      `kdamonds/1/contexts/0/targets/0/regions/0/end <- "${2 * GB}"`,
      'kdamonds/1/contexts/0/schemes/nr_schemes <- "0"',
      'kdamonds/0/state <- "commit"',
      'kdamonds/1/state <- "commit"',
    ]);
  });

  it('gives each kdamond its schemes by --nr_schemes', async () => {
    const { sysfs, env } = twoKdamonds('b', 'min max 0 0 0s max stat');
    const r = await runMain(['--debug', 'tune', ...TWO_PADDR, '--damos_action', 'stat', '--damos_action', 'pageout', '--damos_age', '5s', 'max', '--nr_schemes', '1', '1', '--sysfs_root', sysfs], env);
    expect(r.code).toBe(0);
    const w = writesOf(r.stderr, sysfs);
    expect(w).toContain('kdamonds/0/contexts/0/schemes/0/action <- "stat"');
    expect(w).toContain('kdamonds/1/contexts/0/schemes/0/action <- "pageout"');
  });

  it('without them, still tunes one kdamond (--kdamond_index) and nothing else', async () => {
    const { sysfs, env } = twoKdamonds('c');
    const r = await runMain(['--debug', 'tune', '--aggr', '200ms', '--kdamond_index', '1', '--sysfs_root', sysfs], env);
    expect(r.code).toBe(0);
    const w = writesOf(r.stderr, sysfs);
    expect(w.every((l) => l.startsWith('kdamonds/1/'))).toBe(true);
    expect(w.at(-1)).toBe('kdamonds/1/state <- "commit"');
  });

  it.each([
    [['--kdamond_index', '1'], /--kdamond_index picks one kdamond, but the multi-context flags describe every running kdamond/],
    [['--nr_ctxs', '2'], /--nr_ctxs 2 adds up to 2, but 2 contexts|kdamond 0 would have 2 contexts, but DAMON commits exactly one context per kdamond/],
    [['--nr_ctxs', '1'], /--nr_ctxs 1 adds up to 1, but 2 contexts are given/],
  ])('refuses %j with exit code 2, writing nothing', async (extra, message) => {
    const { sysfs, env } = twoKdamonds(`d${extra.join('')}`);
    const base = TWO_PADDR.slice(0, TWO_PADDR.indexOf('--nr_ctxs'));
    const r = await runMain(['--debug', 'tune', ...base, ...(extra[0] === '--kdamond_index' ? ['--nr_ctxs', '1', '1'] : []), ...extra, '--sysfs_root', sysfs], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(writesOf(r.stderr, sysfs)).toEqual([]);
  });

  it('takes a target as start does, which describes every kdamond', async () => {
    const { sysfs, env } = twoKdamonds('f');
    const r = await runMain(['tune', 'paddr', '--regions', `4096-${GB}`, '--sysfs_root', sysfs], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the flags describe 1 kdamond, but 2 exist/);
  });

  it('refuses flags for fewer kdamonds than run', async () => {
    const { sysfs, env } = twoKdamonds('e');
    const r = await runMain(['tune', '--regions', `4096-${GB}`, '--sysfs_root', sysfs], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the flags describe 1 kdamond, but 2 exist under .*; DAMON does not let nr_kdamonds change while a kdamond runs/);
    expect(r.stderr).toMatch(/--nr_ctxs with one 1 per kdamond \(1 1\)/);
  });
});
