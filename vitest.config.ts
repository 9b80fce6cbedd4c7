// SPDX-License-Identifier: GPL-2.0-only
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/vm/**', 'node_modules/**'],
    // Native addons and child processes: keep each test file in its own process.
    pool: 'forks',
    // A temp dir per run, checked empty at the end (test/fixtures/global_temp_dir.ts).
    globalSetup: ['test/fixtures/global_temp_dir.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The host runs an infrastructure kdamond: with this set, src/record/kfs.ts refuses any
    // write under the real DAMON/debugfs/tracefs roots, in every test process and in every
    // damo process a test spawns (they inherit the environment).
    // DAMO_RECORD_SOURCE (record's default source) is emptied: a caller's
    // DAMO_RECORD_SOURCE=native would turn the fake-kernel recordings of the tests into
    // native ones. Tests that force the native engine set it themselves.
    env: { DAMO_FORBID_REAL_KERNEL_WRITES: '1', DAMO_RECORD_SOURCE: '' },
  },
});
