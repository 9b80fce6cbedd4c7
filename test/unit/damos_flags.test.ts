// SPDX-License-Identifier: GPL-2.0-only
/** damo 3.3.0's --damos_* flags made into schemes (src/schemes/damos_flags.ts). */
import { describe, expect, it } from 'vitest';

import { schemesFromDamosFlags, type DamosFlags } from '../../src/schemes/damos_flags.js';
import { sysfsFiles } from '../../src/schemes/kernel.js';
import type { Scheme } from '../../src/schemes/model.js';
import { runMain } from '../cli/helpers.js';

function flags(f: Partial<DamosFlags>): DamosFlags {
  return {
    action: [], szRegion: [], accessRate: [], age: [], applyInterval: [], quotas: [], quotaInterval: [], quotaTime: [],
    quotaSpace: [], quotaWeights: [], quotaGoal: [], nrQuotaGoals: undefined, filter: [], nrFilters: undefined, wmarks: [],
    quotaGoalTuner: [], quotaFailChargeRatio: [], maxNrSnapshots: [],
    ...f,
  };
}

describe('--damos_* flags', () => {
  it('each --damos_action starts a scheme; the other flags go to the schemes in order, defaults after', () => {
    const [a, b] = schemesFromDamosFlags(
      flags({
        action: [['pageout'], ['migrate_cold', '1']],
        szRegion: [['4K', 'max']],
        accessRate: [['0%', '5%']],
        age: [['10s', 'max']],
        quotas: [['10ms', '100M', '1s']],
        filter: [['reject', 'none', 'anon'], ['allow', 'young']],
        nrFilters: [1, 1],
        wmarks: [['free_mem_rate', '5s', '800', '500', '50']],
      }),
    );
    expect(a?.action).toBe('pageout');
    expect(a?.pattern.sz).toEqual({ min: 4096, max: 'max' });
    expect(a?.pattern.nrAccesses).toEqual({ unit: 'percent', min: 0, max: 5 });
    expect(a?.pattern.age).toEqual({ unit: 'us', min: 10_000_000, max: 'max' });
    expect(a?.quotas.timeMs).toBe(10);
    expect(a?.quotas.szBytes).toBe(100 * 1024 * 1024);
    expect(a?.quotas.resetIntervalMs).toBe(1000);
    expect(a?.watermarks).toEqual({ metric: 'free_mem_rate', intervalUs: 5_000_000, highPermil: 800, midPermil: 500, lowPermil: 50 });
    expect(a?.filters.map((f) => [f.type, f.matching, f.allow])).toEqual([['anon', false, false]]);
    expect(b?.action).toBe('migrate_cold');
    expect(b?.targetNid).toBe(1);
    expect(b?.pattern.sz).toEqual({ min: 0, max: 'max' });
    expect(b?.filters.map((f) => [f.type, f.allow])).toEqual([['young', true]]);
    expect(b?.watermarks.metric).toBe('none');
  });

  it('the long quota form gives weights 1 1 1 unless --damos_quota_weights', () => {
    const [s] = schemesFromDamosFlags(flags({ action: [['stat']], quotaInterval: ['1s'], quotaSpace: ['200MB'] }));
    expect(s?.quotas.szBytes).toBe(200 * 1024 * 1024);
    expect(s?.quotas.resetIntervalMs).toBe(1000);
    expect(s?.quotas.weights).toEqual({ szPermil: 1, nrAccessesPermil: 1, agePermil: 1 });
  });

  it('refuses what damo refuses, naming the flag', () => {
    expect(() => schemesFromDamosFlags(flags({ szRegion: [['4K', 'max']] }))).toThrow(/need a --damos_action/);
    expect(() => schemesFromDamosFlags(flags({ action: [['stat']], age: [['1s', 'max'], ['2s', 'max']] }))).toThrow(/2 --damos_age for 1 --damos_action/);
    expect(() => schemesFromDamosFlags(flags({ action: [['stat'], ['pageout']], filter: [['reject', 'anon']] }))).toThrow(/needs --damos_nr_filters/);
    expect(() => schemesFromDamosFlags(flags({ action: [['stat']], filter: [['reject', 'anon']], nrFilters: [2] }))).toThrow(/adds up to 2, but 1 --damos_filter/);
    expect(() => schemesFromDamosFlags(flags({ action: [['stat', '1']] }))).toThrow(/only migrate_hot and migrate_cold take arguments/);
    expect(() => schemesFromDamosFlags(flags({ action: [['stat']], filter: [['reject', 'bogus']] }))).toThrow(/'bogus' is not a filter type/);
    expect(() => schemesFromDamosFlags(flags({ action: [['bogus']] }))).toThrow(/'bogus' is not a DAMOS action/);
  });

  it('the CLI groups each occurrence apart and refuses -c with the flags (exit 2)', async () => {
    const two = await runMain(['args', 'damon', '--regions', '4G-8G', '--ops', 'paddr', '--damos_action', 'stat', '--damos_action', 'pageout']);
    expect(two.code, two.stderr).toBe(0);
    expect((JSON.parse(two.stdout) as { kdamonds: Array<{ contexts: Array<{ schemes: Array<{ action: string }> }> }> }).kdamonds[0]?.contexts[0]?.schemes.map((s) => s.action)).toEqual(['stat', 'pageout']);
    const both = await runMain(['args', 'damon', 'paddr', '-c', '4K max 0 0 1s max stat', '--damos_action', 'stat']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/-c\/--schemes and the --damos_\* flags both describe schemes/);
    const bad = await runMain(['args', 'damon', 'paddr', '--damos_action', 'stat', '--damos_access_rate', 'x', 'y']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^damo: --damos_access_rate of scheme 0: 'x' is not a percent/);
    // an occurrence cut short by the next option is refused, not shifted onto the next scheme
    const short = await runMain(['args', 'damon', 'paddr', '--damos_action', 'stat', '--damos_sz_region', '4K', '--damos_age', '1s', 'max']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/--damos_sz_region takes 2 values each time/);
  });

  it('--damos_quota_goal_tuner, --damos_quota_fail_charge_ratio, --damos_max_nr_snapshots go to the schemes in order, and to their sysfs files', () => {
    const [a, b] = schemesFromDamosFlags(
      flags({
        action: [['pageout'], ['stat']],
        quotas: [['10ms', '100M', '1s'], ['0', '0', '1s']],
        quotaGoalTuner: ['temporal'],
        quotaFailChargeRatio: [['1', '4']],
        maxNrSnapshots: ['3', '5'],
      }),
    );
    expect([a?.quotas.goalTuner, a?.quotas.failChargeNum, a?.quotas.failChargeDenom, a?.maxNrSnapshots]).toEqual(['temporal', 1, 4, 3]);
    expect([b?.quotas.goalTuner, b?.quotas.failChargeDenom, b?.maxNrSnapshots]).toEqual([undefined, undefined, 5]);
    const files = new Map(sysfsFiles([a, b] as Scheme[], { sampleUs: 5000, aggrUs: 100_000 }).map((f) => [f.path, f.value]));
    expect([files.get('schemes/0/quotas/goal_tuner'), files.get('schemes/0/quotas/fail_charge_num'), files.get('schemes/0/quotas/fail_charge_denom'), files.get('schemes/0/stats/max_nr_snapshots')]).toEqual(['temporal', '1', '4', '3']);
    // DAMON's defaults are not written, so that kernels without the files still take the schemes
    expect([files.has('schemes/1/quotas/goal_tuner'), files.has('schemes/1/quotas/fail_charge_num'), files.get('schemes/1/stats/max_nr_snapshots')]).toEqual([false, false, '5']);
  });

  it('refuses a bad tuner, ratio or snapshot count, or one for a scheme without a quota, saying what was expected', () => {
    const one = (f: Partial<DamosFlags>): DamosFlags => flags({ action: [['pageout']], quotas: [['10ms']], ...f });
    expect(() => schemesFromDamosFlags(one({ quotaGoalTuner: ['fast'] }))).toThrow(/--damos_quota_goal_tuner fast \(scheme 0\): expected consist or temporal/);
    expect(() => schemesFromDamosFlags(one({ quotaGoalTuner: ['temporal', 'consist'] }))).toThrow(/2 --damos_quota_goal_tuner for 1 --damos_action/);
    expect(() => schemesFromDamosFlags(flags({ action: [['pageout']], quotaGoalTuner: ['temporal'] }))).toThrow(/the scheme has no quota to tune/);
    expect(() => schemesFromDamosFlags(one({ quotaFailChargeRatio: [['1', 'half']] }))).toThrow(/--damos_quota_fail_charge_ratio 1 half \(scheme 0\): 'half' is not a non-negative integer/);
    expect(() => schemesFromDamosFlags(flags({ action: [['pageout']], quotaFailChargeRatio: [['1', '2']] }))).toThrow(/the scheme has no quota to charge/);
    expect(() => schemesFromDamosFlags(one({ maxNrSnapshots: ['-1'] }))).toThrow(/--damos_max_nr_snapshots -1 \(scheme 0\): '-1' is not a non-negative integer/);
    expect(() => schemesFromDamosFlags(flags({ maxNrSnapshots: ['1'] }))).toThrow(/need a --damos_action/);
  });

  it('the CLI takes the ratio as two values each time (exit 2 otherwise)', async () => {
    const r = await runMain(['args', 'damon', 'paddr', '--damos_action', 'stat', '--damos_quotas', '10ms', '--damos_quota_fail_charge_ratio', '1', '--damos_age', '1s', 'max']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^damo: --damos_quota_fail_charge_ratio 1 \(scheme 0\): expected two values, <numerator> <denominator>/);
  });
});
