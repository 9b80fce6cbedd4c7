// SPDX-License-Identifier: GPL-2.0-only
/** damo 3.3.0's --damos_* flags made into schemes (src/schemes/damos_flags.ts). */
import { describe, expect, it } from 'vitest';

import { schemesFromDamosFlags, type DamosFlags } from '../../src/schemes/damos_flags.js';
import { runMain } from '../cli/helpers.js';

function flags(f: Partial<DamosFlags>): DamosFlags {
  return {
    action: [], szRegion: [], accessRate: [], age: [], applyInterval: [], quotas: [], quotaInterval: [], quotaTime: [],
    quotaSpace: [], quotaWeights: [], quotaGoal: [], nrQuotaGoals: undefined, filter: [], nrFilters: undefined, wmarks: [],
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
});
