// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's multi-context flags of `args damon` and `start` (issue 18): `--numa_node`,
 * `--nr_targets`, `--nr_schemes`, `--nr_ctxs`, repeated context and target flags. The
 * `--numa_node` cases run on a fake host with two nodes (test/fixtures/numa_tree.ts, through
 * $DAMO_HOST_ROOT); their expected outputs are damo 3.3.0's on that same tree
 * (test/fixtures/damo/args_damon/README.md).
 */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { readDamoFixtureText } from '../fixtures/damo_fixtures.js';
import { writeNumaTree } from '../fixtures/numa_tree.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runMain } from './helpers.js';

const tmp = fileTempDir('damo-args-multictx-');
const env = (): NodeJS.ProcessEnv => ({ [FORBID_REAL_KERNEL_ENV]: '1', DAMO_HOST_ROOT: writeNumaTree(join(tmp, 'host')), DAMO_STATE_DIR: join(tmp, 'run') });

/** damo 3.3.0's tests/args_damon/mem_tier.sh, as it calls `damo args damon`. */
const MEM_TIER = [
  ...['--numa_node', '0', '--monitoring_intervals_goal', '4%', '3', '5ms', '10s'],
  ...['--damos_action', 'migrate_cold', '1', '--damos_access_rate', '0%', '0%', '--damos_apply_interval', '1s'],
  ...['--damos_quota_interval', '1s', '--damos_quota_space', '200MB', '--damos_quota_goal', 'node_mem_free_bp', '0.5%', '0', '--damos_filter', 'reject', 'young'],
  ...['--numa_node', '1', '--monitoring_intervals_goal', '4%', '3', '5ms', '10s'],
  ...['--damos_action', 'migrate_hot', '0', '--damos_access_rate', '5%', 'max', '--damos_apply_interval', '1s'],
  ...['--damos_quota_interval', '1s', '--damos_quota_space', '200MB', '--damos_quota_goal', 'node_mem_used_bp', '99.7%', '0', '--damos_filter', 'allow', 'young'],
  ...['--damos_nr_quota_goals', '1', '1', '--damos_nr_filters', '1', '1', '--nr_targets', '1', '1', '--nr_schemes', '1', '1', '--nr_ctxs', '1', '1'],
];

async function usageError(args: string[], message: RegExp): Promise<void> {
  const r = await runMain(['args', 'damon', ...args], env());
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^damo: /);
  expect(r.stderr).toMatch(message);
}

describe('args damon: several contexts and kdamonds from flags, as damo 3.3.0', () => {
  it.each([
    ['numa2_mem_tier.json', []],
    ['numa2_mem_tier.yaml', ['--format', 'yaml']],
    ['numa2_mem_tier.report', ['--format', 'report']],
    ['numa2_mem_tier.raw.json', ['--raw']],
  ])("prints mem_tier.sh's two kdamonds, one per NUMA node, as damo does (%s)", async (expected, extra) => {
    const r = await runMain(['args', 'damon', ...MEM_TIER, ...extra], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readDamoFixtureText(`args_damon/${expected}`));
  });

  it('limits a paddr target to the System RAM of its nodes, merged across them', async () => {
    const r = await runMain(['args', 'damon', '--numa_node', '1', '0', '--format', 'report'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(readDamoFixtureText('args_damon/numa2_nodes_1_0.report'));
    const one = await runMain(['args', 'damon', '--numa_node', '1', '--format', 'json', '--raw'], env());
    const regions = (JSON.parse(one.stdout) as { kdamonds: Array<{ contexts: Array<{ targets: Array<{ regions: unknown }> }> }> }).kdamonds[0]?.contexts[0]?.targets[0]?.regions;
    expect(regions).toEqual([{ start: String(0x240000000), end: String(0x440000000) }]);
  });

  it('refuses counts that do not add up, saying what was expected', async () => {
    await usageError(['--numa_node', '0', '--numa_node', '1', '--nr_targets', '1', '1', '--nr_ctxs', '1'], /--nr_ctxs 1 adds up to 1, but 2 contexts are given/);
    await usageError(['--numa_node', '0', '--numa_node', '1', '--nr_targets', '1', '1', '--nr_ctxs', '1', '2'], /--nr_ctxs 1 2 adds up to 3, but 2 contexts are given/);
    await usageError(['--ops', 'paddr', '--ops', 'paddr'], /2 contexts need --nr_targets: how many targets each context takes/);
    await usageError(['--numa_node', '0', '--numa_node', '1', '--nr_targets', '1'], /--nr_targets 1 adds up to 1, but 2 targets are given/);
    await usageError(['--ops', 'paddr', '--ops', 'paddr', '--nr_targets', '2'], /--nr_targets 2 gives 1 contexts, but 2 are given/);
    await usageError(['--ops', 'paddr', '--ops', 'paddr', '--nr_targets', '1', '1', '--damos_action', 'stat'], /1 schemes for 2 contexts need --nr_schemes/);
    await usageError(['--ops', 'paddr', '--ops', 'paddr', '--nr_targets', '1', '1', '--damos_action', 'stat', '--nr_schemes', '1', '1'], /--nr_schemes 1 1 adds up to 2, but 1 schemes are given/);
    await usageError(['--ops', 'paddr', '--ops', 'paddr', '--nr_targets', '1', '1', '--damos_action', 'stat', '--nr_schemes', '1'], /--nr_schemes 1 gives 1 contexts, but 2 are given/);
  });

  it('refuses a count that is not a non-negative integer', async () => {
    for (const flag of ['--nr_targets', '--nr_schemes', '--nr_ctxs']) {
      const r = await runMain(['args', 'damon', flag, 'two'], env());
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^damo: .*${flag}`));
    }
  });

  it('refuses a node id that is not one, a node without memory, and --numa_node where it does not apply', async () => {
    await usageError(['--numa_node', '0', 'one'], /--numa_node 0 one: 'one' is not a node id \(a non-negative integer/);
    await usageError(['--numa_node', '5'], /--numa_node 5: node 5 has no System RAM \(nodes with memory: 0, 1\)/);
    await usageError(['--numa_node', '0', '--regions', '4096-8192'], /--numa_node 0 and --regions both give the regions of target 0; give one of them/);
    await usageError(['--target_pid', '1', '--numa_node', '0'], /--numa_node 0 \(target 0\): only a paddr target is limited to NUMA nodes, and this target is monitored with vaddr/);
    await usageError(['--monitoring_intervals', '5ms', '100ms', '--numa_node', '0'], /--monitoring_intervals takes 3 values each time, <sample> <aggr> <update> \(got 2: 5ms 100ms\)/);
  });

  it('says where the node layout was looked for when the host has no memory blocks', async () => {
    const r = await runMain(['args', 'damon', '--numa_node', '0'], { ...env(), DAMO_HOST_ROOT: join(tmp, 'empty') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--numa_node: .*empty\/sys\/devices\/system\/memory not found/);
  });

  it('start takes the same flags: usage errors before the kernel, and several kdamonds go to the sysfs', async () => {
    const bad = await runMain(['start', '--numa_node', '0', '--numa_node', '1', '--nr_targets', '1', '1', '--nr_ctxs', '3', '--sysfs_root', join(tmp, 'no-sysfs')], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--nr_ctxs 3 adds up to 3, but 2 contexts are given/);
    const two = await runMain(['start', '--numa_node', '0', '--numa_node', '1', '--damos_action', 'migrate_cold', '1', '--damos_action', 'migrate_hot', '0', '--nr_targets', '1', '1', '--nr_schemes', '1', '1', '--nr_ctxs', '1', '1', '--sysfs_root', join(tmp, 'no-sysfs')], env());
    expect(two.stderr).toMatch(/DAMON sysfs is not there/);
    const conflict = await runMain(['start', '--kdamonds', '{}', '--numa_node', '0'], env());
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toMatch(/cannot be combined with --numa_node/);
  });
});
