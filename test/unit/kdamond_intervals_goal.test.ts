// SPDX-License-Identifier: GPL-2.0-only
// The intervals auto-tuning goal (--monitoring_intervals_goal, --monitoring_intervals_autotune,
// a kdamonds document's intervals_goal) written by damo start and damo tune on fake DAMON
// sysfs trees: the exact files on a 6.15+ tree (which has intervals_goal), the refusal on an
// older tree (left byte-identical), and the values DAMON would refuse, caught before writing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AUTOTUNE_INTERVALS_GOAL } from '../../src/core/damon_constants.js';
import type { IntervalsGoal } from '../../src/core/model.js';
import { probeDamonFeatures } from '../../src/record/damon_feature_probe.js';
import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { readDamonStatus } from '../../src/record/kdamond/damon_status.js';
import { noDamonParamsFlags, resolveDamonParams, type DamonParamsFlags } from '../../src/record/kdamond/damon_params.js';
import { parseKdamondsText } from '../../src/record/kdamond/kdamonds_input.js';
import { runStartCommand, runStartKdamondsCommand, type StartRequest } from '../../src/record/kdamond/start_command.js';
import { runTuneCommand } from '../../src/record/kdamond/tune_command.js';
import { runTuneKdamondsCommand } from '../../src/record/kdamond/tune_kdamonds.js';
import type { HostFiles } from '../../src/record/pa_layout.js';
import { captureIo, type CapturedIo } from '../fixtures/kdamond/capture_io.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';
import { runMain } from '../cli/helpers.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';

let dir: string;
let kernel: FakeKernel | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'damo-ivgoal-'));
});
afterEach(() => {
  kernel?.close();
  kernel = null;
  rmSync(dir, { recursive: true, force: true });
});

function makeIo(): CapturedIo {
  return captureIo(join(dir, 'run'));
}

/** A 6.15+ tree (`intervalsGoal: true`) or an older one. */
function fake(intervalsGoal: boolean): FakeKernel {
  return (kernel = new FakeKernel(join(dir, 'k'), { autoTrace: false, intervalsGoal }));
}

const writes = (k: FakeKernel, from = 0): string[] =>
  k.log
    .slice(from)
    .filter((op) => op.op === 'write')
    .map((op) => `${op.path.slice(k.roots.sysfs.length + 1)} ${op.value}`);

const noHost: HostFiles = {
  readText: () => {
    throw new Error('the host layout must not be read');
  },
} as unknown as HostFiles;

const GB = 1 << 30;
const C0 = 'kdamonds/0/contexts/0';
const IV = `${C0}/monitoring_attrs/intervals`;
const GOAL = { accessBp: 1000, aggrs: 5, minSampleUs: 1000, maxSampleUs: 1_000_000 };

function paddrReq(k: FakeKernel, goal?: IntervalsGoal): StartRequest {
  return {
    sysfsRoot: k.roots.sysfs,
    ops: 'paddr',
    intervals: { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000 },
    ...(goal === undefined ? {} : { intervalsGoal: goal }),
    nrRegions: { min: 10, max: 1000 },
    targets: [{ regions: [[4096, GB]] }],
    schemes: [],
  };
}

function goalFiles(k: FakeKernel, ctx = C0): string[] {
  return ['access_bp', 'aggrs', 'min_sample_us', 'max_sample_us'].map((f) => readFileSync(join(k.roots.sysfs, ctx, 'monitoring_attrs/intervals/intervals_goal', f), 'utf8').trim());
}

function flags(f: Partial<DamonParamsFlags>): DamonParamsFlags {
  return { ...noDamonParamsFlags(), ...f };
}

function thrown(f: () => unknown): { code?: string; message: string; hint?: string } {
  try {
    f();
  } catch (err) {
    return err as { code?: string; message: string; hint?: string };
  }
  throw new Error('expected a refusal');
}

describe('damo start with an intervals goal', () => {
  it('writes the goal after the intervals, in damo order, on a 6.15+ tree', () => {
    const k = fake(true);
    expect(runStartCommand(makeIo(), k, paddrReq(k, GOAL))).toBe(0);
    expect(writes(k).slice(0, 12)).toEqual([
      'kdamonds/nr_kdamonds 1',
      'kdamonds/0/contexts/nr_contexts 1',
      // the staged look at the kernel's context, then the real setup
      'kdamonds/nr_kdamonds 0',
      'kdamonds/nr_kdamonds 1',
      'kdamonds/0/contexts/nr_contexts 1',
      `${C0}/operations paddr`,
      `${IV}/sample_us 5000`,
      `${IV}/aggr_us 100000`,
      `${IV}/update_us 1000000`,
      `${IV}/intervals_goal/access_bp 1000`,
      `${IV}/intervals_goal/aggrs 5`,
      `${IV}/intervals_goal/min_sample_us 1000`,
    ]);
    expect(writes(k)[12]).toBe(`${IV}/intervals_goal/max_sample_us 1000000`);
    expect(writes(k)[13]).toBe(`${C0}/monitoring_attrs/nr_regions/min 10`);
    expect(goalFiles(k)).toEqual(['1000', '5', '1000', '1000000']);
    expect(k.isRunning('sysfs:0')).toBe(true);
    // report damon reads back what start wrote.
    expect(readDamonStatus(k, k.roots.sysfs)[0]?.contexts[0]?.intervalsGoal).toEqual(GOAL);
  });

  it('looks for the directory damo features names sysfs/intervals_goal', () => {
    for (const has of [true, false]) {
      const k = fake(has);
      expect(probeDamonFeatures(k, k.roots, join(dir, 'no-modules')).available.has('sysfs/intervals_goal')).toBe(has);
      const err = has ? undefined : thrown(() => runStartCommand(makeIo(), k, paddrReq(k, GOAL)));
      if (!has) expect(err?.code).toBe('E_UNSUPPORTED');
      k.close();
      rmSync(join(dir, 'k'), { recursive: true, force: true });
    }
    kernel = null;
  });

  it("--monitoring_intervals_autotune gives damo's default goal, 4% 3 5ms 10s, in place of --monitoring_intervals_goal", () => {
    const [kd] = resolveDamonParams(flags({ regions: [[[4096, GB]]], intervalsAutotune: true, intervalsGoal: [GOAL] }), noHost);
    const c = kd?.contexts[0];
    expect(c?.intervalsGoal).toEqual({ accessBp: 400, aggrs: 3, minSampleUs: 5000, maxSampleUs: 10_000_000 });
    const k = fake(true);
    expect(runStartCommand(makeIo(), k, { ...paddrReq(k), intervalsGoal: c?.intervalsGoal })).toBe(0);
    expect(goalFiles(k)).toEqual(['400', '3', '5000', '10000000']);
  });

  it('writes the zero goal (no tuning) where the kernel has the files and none is asked for, as damo does', () => {
    const k = fake(true);
    expect(runStartCommand(makeIo(), k, paddrReq(k))).toBe(0);
    expect(writes(k).filter((w) => w.includes('intervals_goal'))).toEqual(['access_bp', 'aggrs', 'min_sample_us', 'max_sample_us'].map((f) => `${IV}/intervals_goal/${f} 0`));
    // No goal asked for: no staged look either.
    expect(writes(k).slice(0, 3)).toEqual(['kdamonds/nr_kdamonds 1', 'kdamonds/0/contexts/nr_contexts 1', `${C0}/operations paddr`]);
  });

  it('refuses a goal on a kernel without intervals_goal, naming Linux 6.15, and leaves the tree byte-identical', () => {
    const k = fake(false);
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    const err = thrown(() => runStartCommand(makeIo(), k, paddrReq(k, GOAL)));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.message).toMatch(/^kdamond 0 asks for monitoring intervals auto-tuning \(the intervals_goal directory of DAMON sysfs, Linux 6\.15\+\), with the goal 10 % 5 1 ms 1 s, but this kernel lacks it \(.*kdamonds\/0\/contexts\/0\/monitoring_attrs\/intervals\/intervals_goal does not exist\); no parameter was written$/);
    expect(err.hint).toMatch(/Linux 6\.15 or later, or drop --monitoring_intervals_autotune and --monitoring_intervals_goal/);
    // Only the staged look (the way damo features looks), undone.
    expect(writes(k)).toEqual(['kdamonds/nr_kdamonds 1', 'kdamonds/0/contexts/nr_contexts 1', 'kdamonds/nr_kdamonds 0']);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
  });

  it('writes nothing of a zero goal on a kernel without intervals_goal', () => {
    const k = fake(false);
    expect(runStartCommand(makeIo(), k, paddrReq(k, { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 }))).toBe(0);
    expect(writes(k).some((w) => w.includes('intervals_goal'))).toBe(false);
    expect(writes(k)[0]).toBe('kdamonds/nr_kdamonds 1');
    expect(writes(k)[2]).toBe(`${C0}/operations paddr`);
  });

  it.each([
    ['min_sample_us above max_sample_us', { ...GOAL, minSampleUs: 2_000_000 }, /monitoring_intervals_goal: min_sample_us \(2000000 us\) must not exceed max_sample_us \(1000000 us\)/],
    ['a sampling interval outside the bounds', { ...GOAL, minSampleUs: 10_000 }, /the sampling interval \(5000 us\) must lie within the goal's \[min_sample_us, max_sample_us\] \(10000 us, 1000000 us\)/],
    ['a fraction of a basis point', { ...GOAL, accessBp: 412.5 }, /access_bp 412.5 is not a whole number of basis points/],
  ])('refuses %s before writing anything', (_name, goal, message) => {
    const k = fake(true);
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    const err = thrown(() => runStartCommand(makeIo(), k, paddrReq(k, goal)));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toMatch(message);
    expect(writes(k)).toEqual([]);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
  });
});

describe('damo start --kdamonds with an intervals goal', () => {
  const doc = (goal: Record<string, unknown>): string =>
    JSON.stringify({ kdamonds: [{ contexts: [{ ops: 'paddr', targets: [{ regions: [{ start: '4,096', end: '8,192' }] }], intervals: { sample_us: '5 ms', aggr_us: '100 ms', ops_update_us: '1 s', intervals_goal: goal } }] }] });

  it.each([
    ['damo text', { access_bp: '4 %', aggrs: '3', min_sample_us: '5 ms', max_sample_us: '10 s' }],
    ['damo --raw', { access_bp: '400.000000', aggrs: '3', min_sample_us: '5000', max_sample_us: '10000000' }],
  ])('writes a goal given as %s', (_name, goal) => {
    const k = fake(true);
    expect(runStartKdamondsCommand(makeIo(), k, { sysfsRoot: k.roots.sysfs, plan: parseKdamondsText(doc(goal), 'test') })).toBe(0);
    expect(goalFiles(k)).toEqual(['400', '3', '5000', '10000000']);
  });

  it('takes the YAML that args damon prints with --monitoring_intervals_autotune', async () => {
    const printed = await runMain(['args', 'damon', 'paddr', '--regions', '4096-8192', '--monitoring_intervals_autotune', '--format', 'yaml'], { [FORBID_REAL_KERNEL_ENV]: '1' });
    expect(printed.code).toBe(0);
    const k = fake(true);
    expect(runStartKdamondsCommand(makeIo(), k, { sysfsRoot: k.roots.sysfs, plan: parseKdamondsText(printed.stdout, 'test') })).toBe(0);
    expect(goalFiles(k)).toEqual(['400', '3', '5000', '10000000']);
  });

  it('refuses a non-zero goal on a kernel without intervals_goal, leaving the tree byte-identical', () => {
    const k = fake(false);
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    const err = thrown(() => runStartKdamondsCommand(makeIo(), k, { sysfsRoot: k.roots.sysfs, plan: parseKdamondsText(doc({ access_bp: '4 %', aggrs: '3', min_sample_us: '5 ms', max_sample_us: '10 s' }), 'test') }));
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.message).toMatch(/^kdamonds\[0\]\.contexts\[0\] asks for monitoring intervals auto-tuning .*Linux 6\.15\+.*; no parameter was written$/);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
  });

  it('starts a zero goal on a kernel without intervals_goal, writing none of it', () => {
    const k = fake(false);
    expect(runStartKdamondsCommand(makeIo(), k, { sysfsRoot: k.roots.sysfs, plan: parseKdamondsText(doc({ access_bp: '0 %', aggrs: '0', min_sample_us: '0 ns', max_sample_us: '0 ns' }), 'test') })).toBe(0);
    expect(writes(k).some((w) => w.includes('intervals_goal'))).toBe(false);
  });

  it.each([
    [{ access_bp: 'lots', aggrs: '3', min_sample_us: '5 ms', max_sample_us: '10 s' }, /intervals\.intervals_goal\.access_bp: expected basis points or a percent \(e\.g\. 400 or "4 %"\), found "lots"/],
    [{ access_bp: '4 %', aggrs: '-3', min_sample_us: '5 ms', max_sample_us: '10 s' }, /intervals\.intervals_goal\.aggrs: expected a non-negative integer/],
    [{ access_bp: '4 %', aggrs: '3', min_sample_us: 'soon', max_sample_us: '10 s' }, /intervals\.intervals_goal\.min_sample_us: expected a time/],
    [{ access_bp: '4 %', aggrs: '3', min_sample_us: '5 ms', max_sample_us: '10 s', pace: 1 }, /intervals\.intervals_goal: unknown key 'pace'/],
  ])('refuses a bad goal value with its key path: %j', (goal, message) => {
    expect(() => parseKdamondsText(doc(goal), 'test')).toThrow(message);
  });
});

/** Starts one paddr kdamond (no goal) and returns the log position after it. */
function startOne(k: FakeKernel, io: CapturedIo): number {
  expect(runStartCommand(io, k, paddrReq(k))).toBe(0);
  return k.log.length;
}

describe('damo tune with an intervals goal', () => {
  it('the multi-context form writes each goal after the intervals, then commits', () => {
    const k = fake(true);
    const io = makeIo();
    const before = startOne(k, io);
    const kd = resolveDamonParams(flags({ ops: ['paddr'], regions: [[[4096, GB]]], nrTargets: [1], nrCtxs: [1], intervalsGoal: [GOAL] }), noHost);
    expect(runTuneKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false, kdamonds: kd })).toBe(0);
    expect(writes(k, before)).toEqual([
      `${C0}/operations paddr`,
      `${IV}/sample_us 5000`,
      `${IV}/aggr_us 100000`,
      `${IV}/update_us 1000000`,
      `${IV}/intervals_goal/access_bp 1000`,
      `${IV}/intervals_goal/aggrs 5`,
      `${IV}/intervals_goal/min_sample_us 1000`,
      `${IV}/intervals_goal/max_sample_us 1000000`,
      `${C0}/monitoring_attrs/nr_regions/min 10`,
      `${C0}/monitoring_attrs/nr_regions/max 1000`,
      `${C0}/targets/0/regions/0/start 4096`,
      `${C0}/targets/0/regions/0/end ${GB}`,
      `${C0}/schemes/nr_schemes 0`,
      'kdamonds/0/state commit',
    ]);
    expect(goalFiles(k)).toEqual(['1000', '5', '1000', '1000000']);
  });

  it('the single form writes only the goal (autotune) and commits', () => {
    const k = fake(true);
    const io = makeIo();
    const before = startOne(k, io);
    expect(runTuneCommand(io, k, { sysfsRoot: k.roots.sysfs, index: 0, force: false, intervals: null, intervalsGoal: { ...AUTOTUNE_INTERVALS_GOAL }, nrRegions: null, schemes: null })).toBe(0);
    expect(writes(k, before)).toEqual([`${IV}/intervals_goal/access_bp 400`, `${IV}/intervals_goal/aggrs 3`, `${IV}/intervals_goal/min_sample_us 5000`, `${IV}/intervals_goal/max_sample_us 10000000`, 'kdamonds/0/state commit']);
  });

  it('refuses a goal DAMON would refuse against the running sampling interval, before writing', () => {
    const k = fake(true);
    const io = makeIo();
    const before = startOne(k, io);
    const err = thrown(() => runTuneCommand(io, k, { sysfsRoot: k.roots.sysfs, index: 0, force: false, intervals: null, intervalsGoal: { ...GOAL, minSampleUs: 6000 }, nrRegions: null, schemes: null }));
    expect(err.message).toMatch(/the sampling interval \(5000 us\) must lie within/);
    expect(writes(k, before)).toEqual([]);
  });

  it('the single form refuses new intervals that leave the running goal\'s bounds, before writing', () => {
    const k = fake(true);
    const io = makeIo();
    startOne(k, io);
    expect(runTuneCommand(io, k, { sysfsRoot: k.roots.sysfs, index: 0, force: false, intervals: null, intervalsGoal: GOAL, nrRegions: null, schemes: null })).toBe(0);
    const before = k.log.length;
    const err = thrown(() => runTuneCommand(io, k, { sysfsRoot: k.roots.sysfs, index: 0, force: false, intervals: { sampleUs: 2_000_000, aggrUs: 4_000_000, opsUpdateUs: 4_000_000 }, nrRegions: null, schemes: null }));
    expect(err.message).toMatch(/the sampling interval \(2000000 us\) must lie within the goal's \[min_sample_us, max_sample_us\] \(1000 us, 1000000 us\)/);
    expect(writes(k, before)).toEqual([]);
  });

  it.each(['single', 'multi-context'])('the %s form refuses a goal on a kernel without intervals_goal, writing nothing', (form) => {
    const k = fake(false);
    const io = makeIo();
    startOne(k, io);
    const snap = FakeKernel.snapshotTree(k.roots.sysfs);
    const before = k.log.length;
    const err = thrown(() =>
      form === 'single'
        ? runTuneCommand(io, k, { sysfsRoot: k.roots.sysfs, index: 0, force: false, intervals: { sampleUs: 5000, aggrUs: 200_000, opsUpdateUs: 1_000_000 }, intervalsGoal: GOAL, nrRegions: null, schemes: null })
        : runTuneKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false, kdamonds: resolveDamonParams(flags({ ops: ['paddr'], regions: [[[4096, GB]]], nrTargets: [1], nrCtxs: [1], intervalsGoal: [GOAL] }), noHost) }),
    );
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.message).toMatch(/^kdamond 0 asks for monitoring intervals auto-tuning .*Linux 6\.15\+.* but this kernel lacks it/);
    expect(k.log.slice(before).filter((op) => op.op === 'write')).toEqual([]);
    expect(FakeKernel.snapshotTree(k.roots.sysfs)).toEqual(snap);
  });

  it('the multi-context form leaves a kernel without intervals_goal alone when no goal asks for tuning', () => {
    const k = fake(false);
    const io = makeIo();
    const before = startOne(k, io);
    const kd = resolveDamonParams(flags({ ops: ['paddr'], regions: [[[4096, GB]]], nrTargets: [1], nrCtxs: [1] }), noHost);
    expect(runTuneKdamondsCommand(io, k, { sysfsRoot: k.roots.sysfs, force: false, kdamonds: kd })).toBe(0);
    expect(writes(k, before).some((w) => w.includes('intervals_goal'))).toBe(false);
    expect(writes(k, before).at(-1)).toBe('kdamonds/0/state commit');
  });
});
