// SPDX-License-Identifier: GPL-2.0-only
/**
 * Builds and runs the C++ unit tests of the native engine (native/tests/engine_tests.cc):
 * the kernel's KUnit merge/split/set_regions/three-regions cases as tables, layout parsers,
 * the synthetic primitive and the monitor loop in virtual time. They are plain C++ (no
 * N-API), compiled with g++ by scripts/build-native-tests.mjs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'build/native-tests/engine_tests');

describe('native engine C++ unit tests', () => {
  it('build with g++ and pass every case', () => {
    execFileSync(process.execPath, [join(root, 'scripts/build-native-tests.mjs')], { cwd: root, stdio: 'pipe' });
    const run = spawnSync(bin, [], { encoding: 'utf8' });
    const out = run.stdout + run.stderr;
    const failed = out.split('\n').filter((l) => l.startsWith('FAIL'));
    expect(failed, out).toEqual([]);
    expect(run.status, out).toBe(0);
    const summary = /# cases (\d+) checks (\d+) failures (\d+)/.exec(out);
    expect(summary, out).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(25);
    expect(Number(summary![3])).toBe(0);
    // KUnit cases by name, so a renamed or dropped case is noticed.
    for (const name of ['core: merge_two', 'core: merge_regions_of', 'core: split_regions_of', 'core: set_regions', 'vaddr: three_regions_in_vmas', 'vaddr: split_evenly']) {
      expect(out).toContain(`ok   ${name}\n`);
    }
  }, 180_000);
});
