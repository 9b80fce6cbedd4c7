// SPDX-License-Identifier: GPL-2.0-only
/** damo 3.3.0 deduces a paddr target from `--ops paddr` with no target (its start_stop test starts DAMON that way). */
import { describe, expect, it } from 'vitest';

import { runMain } from './helpers.js';

describe('--ops paddr without a target', () => {
  it('monitors physical memory, as the paddr target does', async () => {
    const named = await runMain(['args', 'damon', 'paddr']);
    const deduced = await runMain(['args', 'damon', '--ops', 'paddr']);
    expect(named.code, named.stderr).toBe(0);
    expect(deduced.code, deduced.stderr).toBe(0);
    expect(deduced.stdout).toBe(named.stdout);
    expect(deduced.stdout).toContain('"ops": "paddr"');
    // no target and no --ops at all: damo 3.3.0's start and args damon monitor physical memory too
    const bare = await runMain(['args', 'damon']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stdout).toBe(named.stdout);
  });

  it('other operations sets still need a target; record still asks for one', async () => {
    const r = await runMain(['args', 'damon', '--ops', 'vaddr']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/target 0 is monitored with vaddr and needs a process: give its pid/);
    const record = await runMain(['record', '-o', '/nonexistent-dir/x.data']);
    expect(record.code).toBe(2);
    expect(record.stderr).toMatch(/nothing to record/);
  });
});
