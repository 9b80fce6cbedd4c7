// SPDX-License-Identifier: GPL-2.0-only
// `damo tune` with the multi-context flags on a fake DAMON sysfs: every kdamond that start
// started is rewritten and committed in one go, with the exact write sequence, and what the
// kernel refuses online is refused before anything is written.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { noDamonParamsFlags, resolveDamonParams, type DamonParamsFlags } from '../../src/record/kdamond/damon_params.js';
import type { HostFiles } from '../../src/record/pa_layout.js';
import { runStartKdamondsCommand } from '../../src/record/kdamond/start_command.js';
import { runTuneKdamondsCommand } from '../../src/record/kdamond/tune_kdamonds.js';
import { parseSchemesText } from '../../src/schemes/text.js';
import { captureIo, type CapturedIo } from '../fixtures/kdamond/capture_io.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';

let dir: string;
let kernel: FakeKernel | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'damo-tune-kdamonds-'));
});
afterEach(() => {
  kernel?.close();
  kernel = null;
  rmSync(dir, { recursive: true, force: true });
});

function makeIo(): CapturedIo {
  return captureIo(join(dir, 'run'));
}

/** Every test gives its regions: the host's memory layout is never read. */
const noHost: HostFiles = {
  readText: () => {
    throw new Error('the host layout must not be read');
  },
} as unknown as HostFiles;

const rel = (k: FakeKernel, ops: typeof k.log): string[] => ops.map((op) => `${op.op} ${op.path.slice(k.roots.sysfs.length + 1)}${op.op === 'write' ? ` ${op.value}` : ''}`);

const GB = 1 << 30;

/** Two kdamonds of one paddr context each, as `damo start --nr_ctxs 1 1` starts them. */
function startTwo(k: FakeKernel, io: CapturedIo): void {
  const plan = {
    kdamonds: [
      { contexts: [{ ops: 'paddr' as const, intervals: { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000 }, nrRegions: { min: 10, max: 1000 }, targets: [{ regions: [[4096, GB]] as Array<[number, number]> }], schemes: [] }] },
      { contexts: [{ ops: 'paddr' as const, intervals: { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000 }, nrRegions: { min: 10, max: 1000 }, targets: [{ regions: [[GB, 2 * GB]] as Array<[number, number]> }], schemes: parseSchemesText('min max 0 0 0s max stat', '<t>') }] },
    ],
  };
  expect(runStartKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, plan })).toBe(0);
}

function flags(f: Partial<DamonParamsFlags>): DamonParamsFlags {
  return { ...noDamonParamsFlags(), ...f };
}

/** Two paddr contexts, one per kdamond, with new intervals and regions and a scheme for the first. */
const TWO = flags({
  ops: ['paddr', 'paddr'],
  monitoringIntervals: [
    [10_000, 200_000, 2_000_000],
    [5000, 100_000, 1_000_000],
  ],
  nrRegionsRange: [[20, 500]],
  regions: [[[4096, GB / 2]], [[GB, 2 * GB], [3 * GB, 4 * GB]]],
  nrTargets: [1, 1],
  nrSchemes: [1, 0],
  nrCtxs: [1, 1],
  schemes: parseSchemesText('4K max 0 0 30s max pageout', '<t>'),
});

describe('damo tune with the multi-context flags, on fake sysfs', () => {
  it('writes every kdamond, then commits each in order', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const io = makeIo();
    startTwo(k, io);
    const before = k.log.length;
    expect(runTuneKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false, kdamonds: resolveDamonParams(TWO, noHost) })).toBe(0);
    const w = rel(k, k.log.slice(before)).filter((l) => l.startsWith('write '));
    const c0 = 'write kdamonds/0/contexts/0';
    const c1 = 'write kdamonds/1/contexts/0';
    const schemeWrites = w.filter((l) => l.startsWith(`${c0}/schemes/`));
    expect(w).toEqual([
      // First in each context, as damo writes it: DAMON's commit selects the operations set anew.
      `${c0}/operations paddr`,
      `${c0}/monitoring_attrs/intervals/sample_us 10000`,
      `${c0}/monitoring_attrs/intervals/aggr_us 200000`,
      `${c0}/monitoring_attrs/intervals/update_us 2000000`,
      `${c0}/monitoring_attrs/nr_regions/min 20`,
      `${c0}/monitoring_attrs/nr_regions/max 500`,
      // nr_targets and regions/nr_regions already read 1: not rewritten.
      `${c0}/targets/0/regions/0/start 4096`,
      `${c0}/targets/0/regions/0/end ${GB / 2}`,
      ...schemeWrites,
      `${c1}/operations paddr`,
      `${c1}/monitoring_attrs/intervals/sample_us 5000`,
      `${c1}/monitoring_attrs/intervals/aggr_us 100000`,
      `${c1}/monitoring_attrs/intervals/update_us 1000000`,
      `${c1}/monitoring_attrs/nr_regions/min 10`,
      `${c1}/monitoring_attrs/nr_regions/max 1000`,
      `${c1}/targets/0/regions/nr_regions 2`,
      `${c1}/targets/0/regions/0/start ${GB}`,
      `${c1}/targets/0/regions/0/end ${2 * GB}`,
      `${c1}/targets/0/regions/1/start ${3 * GB}`,
      `${c1}/targets/0/regions/1/end ${4 * GB}`,
      // The flags give kdamond 1 no scheme: its stat scheme goes.
      `${c1}/schemes/nr_schemes 0`,
      'write kdamonds/0/state commit',
      'write kdamonds/1/state commit',
    ]);
    expect(schemeWrites[0]).toBe(`${c0}/schemes/nr_schemes 1`);
    expect(schemeWrites).toContain(`${c0}/schemes/0/action pageout`);
    expect(io.out()).toContain('kdamond 0 tuned\nkdamond 1 tuned\n');
    expect(k.read(join(k.roots.sysfs, 'kdamonds/1/contexts/0/schemes/nr_schemes')).trim()).toBe('0');
  });

  it.each([
    ['one kdamond for two running', flags({ regions: [[[4096, GB]]] }), /the flags describe 1 kdamond, but 2 exist under .*; DAMON does not let nr_kdamonds change while a kdamond runs/, /--nr_ctxs with one 1 per kdamond \(1 1\)/],
    ['three kdamonds for two running', flags({ ...TWO, ops: ['paddr', 'paddr', 'paddr'], regions: [...TWO.regions, [[8 * GB, 9 * GB]]], monitoringIntervals: [], nrTargets: [1, 1, 1], nrSchemes: [1, 0, 0], nrCtxs: [1, 1, 1] }), /the flags describe 3 kdamonds, but 2 exist/, /damo stop/],
    ['two contexts in one kdamond', flags({ ...TWO, nrCtxs: [2] }), /kdamond 0 would have 2 contexts, but DAMON commits exactly one context per kdamond/, /--nr_ctxs 1 1/],
    ['a switch to fvaddr without a pid', flags({ ...TWO, ops: ['paddr', 'fvaddr'] }), /target 1 is monitored with fvaddr and needs a process/, null],
    ['values DAMON refuses', flags({ ...TWO, nrRegionsRange: [[2, 500]] }), /kdamond 0: monitoring_nr_regions_range: min 2, max 500; DAMON accepts 3 <= min <= max/, null],
  ] as Array<[string, DamonParamsFlags, RegExp, RegExp | null]>)('refuses %s, writing nothing', (_name, f, message, hint) => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const io = makeIo();
    startTwo(k, io);
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    const before = k.log.length;
    let err: unknown;
    try {
      runTuneKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false, kdamonds: resolveDamonParams(f, noHost) });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'E_USAGE' });
    expect((err as Error).message).toMatch(message);
    if (hint !== null) expect((err as { hint?: string }).hint).toMatch(hint);
    expect(k.log.slice(before)).toEqual([]);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
  });

  it('refuses kdamonds damo-ts did not start, unless --force', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false, foreign: [{ state: 'on', pid: 4242, ops: 'paddr' }] }));
    const io = makeIo();
    const one = flags({ regions: [[[4096, GB]]] });
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    expect(() => runTuneKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false, kdamonds: resolveDamonParams(one, noHost) })).toThrow(/refusing to tune kdamond 0 \(pid 4242\): damo-ts did not start it/);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
    expect(runTuneKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, force: true, kdamonds: resolveDamonParams(one, noHost) })).toBe(0);
    expect(rel(k, k.log).at(-1)).toBe('write kdamonds/0/state commit');
  });

  it('refuses when no kdamond runs', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    expect(() => runTuneKdamondsCommand(makeIo(), k, { sysfsRoot: k.roots.sysfs, force: false, kdamonds: resolveDamonParams(flags({ regions: [[[4096, GB]]] }), noHost) })).toThrow(/no kdamond exists under .*; 'damo start' first/);
  });
});

describe('damo tune switching the operations set, on fake sysfs', () => {
  const ONE_PADDR = { ops: 'paddr' as const, intervals: { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000 }, nrRegions: { min: 10, max: 1000 }, targets: [{ regions: [[4096, GB]] as Array<[number, number]> }], schemes: [] };

  it('writes operations first, then the targets the new set needs, and commits (paddr -> vaddr -> paddr)', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false }));
    const io = makeIo();
    expect(runStartKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, plan: { kdamonds: [{ contexts: [ONE_PADDR] }] } })).toBe(0);
    const c = 'write kdamonds/0/contexts/0';
    const attrs = [
      `${c}/monitoring_attrs/intervals/sample_us 5000`,
      `${c}/monitoring_attrs/intervals/aggr_us 100000`,
      `${c}/monitoring_attrs/intervals/update_us 1000000`,
      `${c}/monitoring_attrs/nr_regions/min 10`,
      `${c}/monitoring_attrs/nr_regions/max 1000`,
    ];
    let before = k.log.length;
    expect(runTuneKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false, kdamonds: resolveDamonParams(flags({ ops: ['vaddr'], targetPid: [process.pid] }), noHost) })).toBe(0);
    expect(rel(k, k.log.slice(before)).filter((l) => l.startsWith('write '))).toEqual([
      `${c}/operations vaddr`,
      ...attrs,
      `${c}/targets/0/pid_target ${process.pid}`,
      // A vaddr target has no fixed ranges: DAMON keeps the old regions until its next ops update
      // replaces them with the process's mappings.
      `${c}/targets/0/regions/nr_regions 0`,
      `${c}/schemes/nr_schemes 0`,
      'write kdamonds/0/state commit',
    ]);
    expect(k.read(join(k.roots.sysfs, 'kdamonds/0/contexts/0/operations')).trim()).toBe('vaddr');

    before = k.log.length;
    expect(runTuneKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false, kdamonds: resolveDamonParams(flags({ ops: ['paddr'], regions: [[[4096, GB]]] }), noHost) })).toBe(0);
    expect(rel(k, k.log.slice(before)).filter((l) => l.startsWith('write '))).toEqual([
      `${c}/operations paddr`,
      ...attrs,
      // No pid_target: DAMON takes none for paddr (and drops the vaddr target's pid on commit).
      `${c}/targets/0/regions/nr_regions 1`,
      `${c}/targets/0/regions/0/start 4096`,
      `${c}/targets/0/regions/0/end ${GB}`,
      `${c}/schemes/nr_schemes 0`,
      'write kdamonds/0/state commit',
    ]);
    expect(io.out()).toContain('kdamond 0 tuned\n');
  });

  it('refuses an operations set the kernel lacks (avail_operations), writing nothing', () => {
    const k = (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false, availOps: ['vaddr', 'paddr'] }));
    const io = makeIo();
    expect(runStartKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, plan: { kdamonds: [{ contexts: [ONE_PADDR] }] } })).toBe(0);
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    const before = k.log.length;
    let err: unknown;
    try {
      runTuneKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false, kdamonds: resolveDamonParams(flags({ ops: ['fvaddr'], targetPid: [process.pid], regions: [[[4096, GB]]] }), noHost) });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'E_UNSUPPORTED' });
    expect((err as Error).message).toMatch(/kdamond 0 monitors with 'paddr', and the flags switch it to 'fvaddr', which this kernel's DAMON does not have \(avail_operations: vaddr, paddr\); its commit would fail with EINVAL/);
    expect((err as { hint?: string }).hint).toMatch(/give kdamond 0 one of vaddr, paddr/);
    expect(k.log.slice(before).filter((op) => op.op === 'write')).toEqual([]);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
  });
});
