// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { FORBID_REAL_KERNEL_ENV, RealKernelFs } from '../../src/record/kfs.js';

describe('host safety net', () => {
  it('is armed for every host test', () => {
    expect(process.env[FORBID_REAL_KERNEL_ENV]).toBe('1');
  });

  it('refuses writes under the real kernel control roots', () => {
    const kfs = new RealKernelFs();
    for (const path of [
      '/sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds',
      '/sys/kernel/tracing/instances/x/trace_clock',
      '/sys/kernel/debug/damon/monitor_on',
    ]) {
      expect(() => kfs.write(path, '0')).toThrow(/refusing to modify/);
    }
    expect(kfs.log).toEqual([]);
  });
});
