// SPDX-License-Identifier: GPL-2.0-only
// The System RAM ranges of NUMA nodes (`--numa_node`) and the split of flags into kdamonds.
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { noDamonParamsFlags, resolveDamonParams } from '../../src/record/kdamond/damon_params.js';
import { hostFiles, mergeRanges, numaNodeRegions } from '../../src/record/pa_layout.js';
import { writeNumaTree } from '../fixtures/numa_tree.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

const tmp = fileTempDir('damo-pa-layout-');
const files = () => hostFiles(writeNumaTree(join(tmp, 'host')));

describe('NUMA node regions', () => {
  it('places System RAM on the nodes of its memory blocks, cutting a resource at the node boundary', () => {
    expect(numaNodeRegions(files(), [0])).toEqual([
      [0x1000, 0x9fc00],
      [0x100000, 0xc0000000],
      [0x100000000, 0x240000000],
    ]);
    // block 12 is offline: still the node's memory, as damo counts it
    expect(numaNodeRegions(files(), [1])).toEqual([[0x240000000, 0x440000000]]);
    expect(numaNodeRegions(files(), [1, 0])).toEqual([
      [0x1000, 0x9fc00],
      [0x100000, 0xc0000000],
      [0x100000000, 0x440000000],
    ]);
  });

  it('refuses a node without memory, naming the nodes that have some', () => {
    expect(() => numaNodeRegions(files(), [2])).toThrow(/node 2 has no System RAM \(nodes with memory: 0, 1\)/);
  });

  it('merges ranges that overlap or touch', () => {
    expect(
      mergeRanges([
        [10, 20],
        [0, 5],
        [5, 8],
        [15, 30],
        [40, 50],
      ]),
    ).toEqual([
      [0, 8],
      [10, 30],
      [40, 50],
    ]);
  });
});

describe('flags split into kdamonds, contexts and targets', () => {
  it('gives each context its targets and schemes by --nr_targets and --nr_schemes, and each kdamond its contexts by --nr_ctxs', () => {
    const kds = resolveDamonParams(
      {
        ...noDamonParamsFlags(),
        ops: ['vaddr', 'paddr'],
        // a paddr target has no pid: damo drops the third one
        targetPid: [10, 11, 12],
        nrTargets: [2, 1],
        nrCtxs: [1, 1],
        sample: [1000, 2000],
      },
      files(),
    );
    expect(kds.map((k) => k.contexts.map((c) => [c.ops, c.intervals.sampleUs, c.targets]))).toEqual([
      [['vaddr', 1000, [{ pid: 10 }, { pid: 11 }]]],
      [['paddr', 2000, [{ regions: [[0x1000, 0x440000000]] }]]],
    ]);
  });

  it('defaults a context to vaddr when the target of its index has a pid, else paddr', () => {
    const [kd] = resolveDamonParams({ ...noDamonParamsFlags(), targetPid: [7] }, files());
    expect(kd?.contexts[0]?.ops).toBe('vaddr');
  });
});
