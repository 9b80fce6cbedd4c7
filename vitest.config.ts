import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/vm/**', 'node_modules/**'],
    // Native addons and child processes: keep each test file in its own process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
