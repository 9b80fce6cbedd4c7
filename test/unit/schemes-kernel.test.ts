// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { DamoError } from '../../src/core/errors.js';
import { debugfsLine, debugfsText, kernelPattern, sysfsFiles } from '../../src/schemes/kernel.js';
import { parseSchemeLine } from '../../src/schemes/text.js';

const IV = { sampleUs: 5000, aggrUs: 100000 };

describe('kernel units', () => {
  it('converts percent and time like the kernel-tree converter', () => {
    const k = kernelPattern(parseSchemeLine('min max 33.3 66.6 1.5s 2m stat').pattern, IV, 'aggr-ratio');
    expect(k).toEqual({ minSzBytes: 0n, maxSzBytes: 18446744073709551615n, minNrAccesses: 6n, maxNrAccesses: 13n, minAge: 15n, maxAge: 1200n });
    const m = kernelPattern(parseSchemeLine('min max 80 max 100ms max willneed').pattern, IV, 'aggr-ratio');
    expect(m.maxNrAccesses).toBe(20n);
    expect(m.maxAge).toBe(4294967295n);
    expect(kernelPattern(parseSchemeLine('min max 80 max 100ms max willneed').pattern, IV, 'uint-max').maxNrAccesses).toBe(4294967295n);
    const raw = kernelPattern(parseSchemeLine('min max 2samples 7samples 3aggrs 9aggrs stat').pattern, IV, 'aggr-ratio');
    expect([raw.minNrAccesses, raw.maxNrAccesses, raw.minAge, raw.maxAge]).toEqual([2n, 7n, 3n, 9n]);
  });

  it('writes the 18-field debugfs format when quotas or watermarks are set', () => {
    const s = parseSchemeLine('4K max 0 0 5s max pageout quota_ms=10ms quota_sz=1G quota_reset=1s weights=0,3,7 wmarks=free_mem_rate,5s,500,400,200');
    expect(debugfsText([s], IV)).toBe('4096\t18446744073709551615\t0\t0\t50\t4294967295\t2\t10\t1073741824\t1000\t0\t3\t7\t1\t5000000\t500\t400\t200\n');
    expect(() => debugfsLine(s, 0, IV, 'v0')).toThrow(DamoError);
  });

  it('refuses what debugfs cannot express, naming the scheme and pointing to sysfs', () => {
    const s = parseSchemeLine('min max min max min max lru_prio', 'x.damos', 4);
    try {
      debugfsLine(s, 2, IV, 'v0');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DamoError);
      expect((err as DamoError).message).toBe("scheme 2 (x.damos:4): action 'lru_prio' cannot be written for debugfs");
      expect((err as DamoError).hint).toContain('--to sysfs');
    }
  });

  it('lists sysfs files in a writable order', () => {
    const s = parseSchemeLine('4K max 0 10 5s max pageout quota_sz=1G quota_reset=1s filter=reject,memcg,/sys/fs/cgroup/a goal=user_input,100');
    const files = sysfsFiles([s], IV);
    const map = new Map(files.map((f) => [f.path, f.value]));
    expect(files[0]).toEqual({ path: 'schemes/nr_schemes', value: '1' });
    expect(map.get('schemes/0/action')).toBe('pageout');
    expect(map.get('schemes/0/access_pattern/nr_accesses/max')).toBe('2');
    expect(map.get('schemes/0/access_pattern/age/min')).toBe('50');
    expect(map.get('schemes/0/access_pattern/age/max')).toBe('4294967295');
    expect(map.get('schemes/0/quotas/bytes')).toBe('1073741824');
    expect(map.get('schemes/0/quotas/reset_interval_ms')).toBe('1000');
    expect(map.get('schemes/0/quotas/goals/0/target_metric')).toBe('user_input');
    expect(map.get('schemes/0/filters/0/memcg_path')).toBe('/sys/fs/cgroup/a');
    expect(map.get('schemes/0/filters/0/matching')).toBe('Y');
    expect(map.has('schemes/0/apply_interval_us')).toBe(false);
    const idx = (p: string): number => files.findIndex((f) => f.path === p);
    expect(idx('schemes/0/filters/nr_filters')).toBeLessThan(idx('schemes/0/filters/0/type'));
    expect(idx('schemes/0/quotas/goals/nr_goals')).toBeLessThan(idx('schemes/0/quotas/goals/0/target_value'));
  });
});

describe('native application mapping', () => {
  it('maps the four process_madvise actions and explains the rest', async () => {
    const { processMadviseAdvice } = await import('../../src/schemes/online_native.js');
    expect(processMadviseAdvice('pageout')).toEqual({ advice: 21, name: 'MADV_PAGEOUT' });
    expect(processMadviseAdvice('cold')).toEqual({ advice: 20, name: 'MADV_COLD' });
    expect(processMadviseAdvice('willneed')).toEqual({ advice: 3, name: 'MADV_WILLNEED' });
    expect(processMadviseAdvice('collapse')).toEqual({ advice: 25, name: 'MADV_COLLAPSE' });
    expect(processMadviseAdvice('hugepage')).toHaveProperty('reason');
    expect(processMadviseAdvice('lru_prio')).toHaveProperty('reason');
  });
});
