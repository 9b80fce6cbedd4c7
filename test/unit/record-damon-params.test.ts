// SPDX-License-Identifier: GPL-2.0-only
/**
 * damo 3.3.0's DAMON parameter flags that `damo record` takes beyond the monitoring ones,
 * against the fake kernel:
 * - `--monitoring_intervals_goal` / `--monitoring_intervals_autotune`: our sysfs kdamond gets
 *   the goal as `damo start` writes it (after the intervals, in damo's file order), the trace
 *   header keeps it for the reports, and what cannot tune (the native engine, DAMON debugfs,
 *   a kernel without intervals_goal, an ongoing kdamond) is refused with the reason, leaving
 *   the kernel as it was;
 * - `-c` / `--damos_*` (quota goals included): our sysfs kdamond applies the schemes while it
 *   records, written by the same code as start's; the native engine, DAMON debugfs and a
 *   kernel without quota goals are refused.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { AUTOTUNE_INTERVALS_GOAL } from '../../src/core/damon_constants.js';
import { sysfsFiles } from '../../src/schemes/kernel.js';
import { schemesFromDamosFlags, type DamosFlags } from '../../src/schemes/damos_flags.js';
import type { SchemesRequest } from '../../src/record/request.js';
import type { IntervalsGoal } from '../../src/core/model.js';
import { openProtobufTrace } from '../../src/format/trace_reader.js';
import { chooseSource, detect } from '../../src/record/detect.js';
import { pidAlive } from '../../src/record/target.js';
import { record } from '../../src/record/session.js';
import { FakeKernel } from '../fixtures/record/fake_kernel.js';
import { baseRequest, Cleanup, fakeDeps, makeFake, tempDir } from '../fixtures/record/helpers.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function outDir(): string {
  const d = tempDir('damo-record-goal-');
  cleanup.add(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Within FAST_INTERVALS' 1 ms sampling interval, as DAMON requires of a goal that tunes. */
const GOAL: IntervalsGoal = { accessBp: 400, aggrs: 3, minSampleUs: 1000, maxSampleUs: 10_000_000 };
const C = '/kdamonds/0/contexts/0';
const IV = `${C}/monitoring_attrs/intervals`;

function sysfsWrites(fake: FakeKernel): string[] {
  return fake.log.filter((o) => o.op === 'write' && o.path.startsWith(fake.roots.sysfs)).map((o) => `${o.path.slice(fake.roots.sysfs.length)}=${o.op === 'write' ? o.value : ''}`);
}

describe('damo record with an intervals goal, on fake sysfs', () => {
  it.each([['tracefs'], ['sysfs']] as const)('--source %s writes the goal as damo start does and keeps it in the trace header', async (source) => {
    const fake = makeFake(cleanup, { intervalsGoal: true });
    const out = join(outDir(), 'goal.data');
    const h = fakeDeps(fake);
    const r = await record(baseRequest(fake, out, { source, timeoutSec: 0.2, intervalsGoal: GOAL }), h.deps);
    expect(r.exitCode).toBe(0);
    const w = sysfsWrites(fake);
    const at = w.indexOf(`${IV}/update_us=1000000`);
    expect(at).toBeGreaterThan(0);
    expect(w.slice(at - 2, at + 7)).toEqual([
      `${IV}/sample_us=1000`,
      `${IV}/aggr_us=20000`,
      `${IV}/update_us=1000000`,
      `${IV}/intervals_goal/access_bp=400`,
      `${IV}/intervals_goal/aggrs=3`,
      `${IV}/intervals_goal/min_sample_us=1000`,
      `${IV}/intervals_goal/max_sample_us=10000000`,
      `${C}/monitoring_attrs/nr_regions/min=10`,
      `${C}/monitoring_attrs/nr_regions/max=1000`,
    ]);
    const trace = await openProtobufTrace(out, { strict: true });
    expect(trace.header.intervalsGoal).toEqual(GOAL);
    expect(fake.read(`${fake.roots.sysfs}/kdamonds/nr_kdamonds`).trim()).toBe('0');
  });

  it('without a goal writes none and keeps none (the kernel has the files: nothing changes)', async () => {
    const fake = makeFake(cleanup, { intervalsGoal: true });
    const out = join(outDir(), 'nogoal.data');
    const r = await record(baseRequest(fake, out, { timeoutSec: 0.1 }), fakeDeps(fake).deps);
    expect(r.exitCode).toBe(0);
    expect(sysfsWrites(fake).filter((l) => l.includes('intervals_goal'))).toEqual([]);
    expect((await openProtobufTrace(out, { strict: true })).header.intervalsGoal).toBeUndefined();
  });

  it('refuses a goal on a kernel without intervals_goal (before 6.15), writing no parameter and restoring', async () => {
    const fake = makeFake(cleanup);
    const out = join(outDir(), 'old.data');
    await expect(record(baseRequest(fake, out, { timeoutSec: 0.1, intervalsGoal: { ...AUTOTUNE_INTERVALS_GOAL, minSampleUs: 1000 } }), fakeDeps(fake).deps)).rejects.toMatchObject({
      code: 'E_UNSUPPORTED',
      message: expect.stringMatching(/asks for monitoring intervals auto-tuning .* but this kernel lacks it \(.*intervals_goal does not exist\); no parameter was written/),
      hint: expect.stringMatching(/Linux 6\.15 or later, or drop --monitoring_intervals_autotune and --monitoring_intervals_goal/),
    });
    expect(sysfsWrites(fake)).toEqual(['/kdamonds/nr_kdamonds=1', '/kdamonds/0/contexts/nr_contexts=1', '/kdamonds/nr_kdamonds=0']);
  });

  it('refuses the native engine, DAMON debugfs, an ongoing kdamond and values DAMON refuses, touching nothing', async () => {
    const fake = makeFake(cleanup, { intervalsGoal: true });
    const h = fakeDeps(fake);
    const out = join(outDir(), 'no.data');
    const before = FakeKernel.snapshotTree(fake.dir);
    await expect(record(baseRequest(fake, out, { source: 'native', intervalsGoal: GOAL }), h.deps)).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/--monitoring_intervals_goal and --monitoring_intervals_autotune ask DAMON to tune the intervals, but --source native records with the native engine: the native engine keeps the intervals it is given/),
      hint: expect.stringMatching(/--source tracefs or sysfs \(root, Linux 6\.15\+\), or drop the goal/),
    });
    await expect(record(baseRequest(fake, out, { primitive: 'clear_refs', target: { kind: 'pids', pids: [process.pid] }, intervalsGoal: GOAL }), h.deps)).rejects.toThrow(/but --primitive clear_refs records with the native engine/);
    await expect(record(baseRequest(fake, out, { source: 'debugfs', intervalsGoal: GOAL }), h.deps)).rejects.toThrow(/--source debugfs records with DAMON debugfs: DAMON debugfs has no intervals auto-tuning/);
    await expect(record(baseRequest(fake, out, { target: { kind: 'ongoing' }, intervalsGoal: GOAL }), h.deps)).rejects.toThrow(/'ongoing' records the running kdamond as it is configured: --monitoring_intervals_goal and --monitoring_intervals_autotune do not apply/);
    await expect(record(baseRequest(fake, out, { intervalsGoal: { ...GOAL, minSampleUs: 5000 } }), h.deps)).rejects.toThrow(/the sampling interval \(1000 us\) must lie within the goal's \[min_sample_us, max_sample_us\]/);
    // A goal of aggrs 0 tunes nothing: any source takes it.
    await expect(record(baseRequest(fake, out, { source: 'native', intervalsGoal: { accessBp: 0, aggrs: 0, minSampleUs: 0, maxSampleUs: 0 } }), h.deps)).rejects.toThrow(/cannot record with --source native: not in this test/);
    expect(fake.log).toEqual([]);
    expect(FakeKernel.snapshotTree(fake.dir)).toEqual(before);
  });

  it('auto skips the sources that cannot tune, saying why', () => {
    const fake = makeFake(cleanup, { sysfs: false, debugfs: 'monitor_on' });
    const det = detect({ kfs: fake, roots: fake.roots, euid: 0, kernelRelease: '5.15.0', kallsymsHas: () => null, pidAlive });
    expect(chooseSource({ source: 'auto', ops: 'vaddr', nrTargets: 1 }, det, { usable: true, primitive: 'clear_refs' }).kind).toBe('debugfs');
    let err: unknown;
    try {
      chooseSource({ source: 'auto', ops: 'vaddr', nrTargets: 1, autotune: true }, det, { usable: true, primitive: 'clear_refs' });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/no usable source to record 'vaddr':\n {2}tracefs stream: .*\n {2}sysfs snapshots: .*\n {2}debugfs: DAMON debugfs has no intervals auto-tuning .*\n {2}native engine: the native engine keeps the intervals it is given/);
  });
});

/** `--damos_action pageout --damos_access_rate 0% 0% --damos_age 1s max --damos_quotas 10ms 100M 1s --damos_quota_goal some_mem_psi_us 1ms`. */
const FLAGS: DamosFlags = {
  action: [['pageout']],
  szRegion: [],
  accessRate: [['0%', '0%']],
  age: [['1s', 'max']],
  applyInterval: [],
  quotas: [['10ms', '100M', '1s']],
  quotaInterval: [],
  quotaTime: [],
  quotaSpace: [],
  quotaWeights: [],
  quotaGoal: [['some_mem_psi_us', '1ms']],
  nrQuotaGoals: undefined,
  filter: [],
  nrFilters: undefined,
  quotaGoalTuner: [],
  quotaFailChargeRatio: [],
  maxNrSnapshots: [],
  wmarks: [],
};

function recordSchemes(): SchemesRequest {
  return { schemes: schemesFromDamosFlags(FLAGS), name: 'the --damos_* flags', backend: 'sysfs', statsIntervalMs: 50, command: 'record' };
}

describe('damo record with schemes (-c, --damos_*), on fake sysfs', () => {
  it.each([['auto'], ['sysfs']] as const)('--source %s: the kdamond applies them as start writes them, quota goal included, while it records', async (source) => {
    const fake = makeFake(cleanup, { quotaGoals: true });
    const out = join(outDir(), 'schemes.data');
    const sch = recordSchemes();
    const r = await record(baseRequest(fake, out, { source, timeoutSec: 0.3, schemes: sch }), fakeDeps(fake).deps);
    expect(r.exitCode).toBe(0);
    const w = sysfsWrites(fake).filter((l) => l.startsWith(`${C}/schemes/`));
    // The user's scheme first, file by file as start writes it (schemes/kernel.ts).
    const user = sysfsFiles(sch.schemes, { sampleUs: 1000, aggrUs: 20_000 }).filter((f) => f.path !== 'schemes/nr_schemes').map((f) => `${C}/${f.path}=${f.value}`);
    expect(w[0]).toBe(`${C}/schemes/nr_schemes=${source === 'sysfs' ? 2 : 1}`);
    expect(w.slice(1, 1 + user.length)).toEqual(user);
    expect(user).toEqual(expect.arrayContaining([`${C}/schemes/0/action=pageout`, `${C}/schemes/0/quotas/goals/nr_goals=1`, `${C}/schemes/0/quotas/goals/0/target_metric=some_mem_psi_us`, `${C}/schemes/0/quotas/goals/0/target_value=1000`]));
    const trace = await openProtobufTrace(out, { strict: true });
    // tracefs when it can (auto), or the stat scheme's snapshots after the user's (sysfs).
    expect(trace.header.source).toBe(source === 'sysfs' ? 'kernel-sysfs' : 'kernel-tracefs');
    expect(fake.read(`${fake.roots.sysfs}/kdamonds/nr_kdamonds`).trim()).toBe('0');
  });

  it('refuses the native engine, DAMON debugfs, ongoing and a kernel without quota goals, saying what to use', async () => {
    const fake = makeFake(cleanup, { quotaGoals: true });
    const h = fakeDeps(fake);
    const out = join(outDir(), 'no.data');
    await expect(record(baseRequest(fake, out, { source: 'native', schemes: recordSchemes() }), h.deps)).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/damo record applies schemes \(-c\/--schemes, --damos_\*\) with kernel DAMON through a sysfs kdamond of its own, as damo's record does, but --source native records with the native engine/),
      hint: expect.stringMatching(/--source tracefs or sysfs \(or auto\) as root, or 'damo schemes -c <schemes> --backend native -o <file> <target>'/),
    });
    await expect(record(baseRequest(fake, out, { source: 'debugfs', schemes: recordSchemes() }), h.deps)).rejects.toThrow(/but --source debugfs records with DAMON debugfs/);
    await expect(record(baseRequest(fake, out, { primitive: 'page_idle', schemes: recordSchemes() }), h.deps)).rejects.toThrow(/but --primitive page_idle records with the native engine/);
    await expect(record(baseRequest(fake, join(outDir(), 'x.json'), { outputType: 'json', schemes: recordSchemes() }), h.deps)).rejects.toThrow(/applying schemes records into damo-ts traces only/);
    await expect(record(baseRequest(fake, out, { target: { kind: 'ongoing' }, schemes: recordSchemes() }), h.deps)).rejects.toThrow(/'ongoing' records the running kdamond as it is configured: -c\/--schemes and the --damos_\* flags do not apply/);
    expect(fake.log).toEqual([]);

    const old = makeFake(cleanup, { quotaGoals: false });
    await expect(record(baseRequest(old, out, { timeoutSec: 0.1, schemes: recordSchemes() }), fakeDeps(old).deps)).rejects.toMatchObject({
      code: 'E_UNSUPPORTED',
      message: expect.stringMatching(/uses quota goals \(Linux 6\.8\+\), which this kernel lacks \(.*quotas\/goals\/nr_goals does not exist\)/),
    });
    expect(old.read(`${old.roots.sysfs}/kdamonds/nr_kdamonds`).trim()).toBe('0');
  });
});
