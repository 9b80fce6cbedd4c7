// SPDX-License-Identifier: GPL-2.0-only
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'src/format/gen/**', 'src/report/html/gen/**', 'coverage/**', '.vm-out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Loading commander as ESM costs every command start-up time (src/cli/commander.ts).
    files: ['src/**/*.ts'],
    ignores: ['src/cli/commander.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'commander', allowTypeImports: true, message: "import commander's classes from src/cli/commander.ts: its ESM entry costs start-up time" }],
      }],
    },
  },
  {
    // The launcher is CommonJS (src/cli/bin.cts says why): `import x = require()` is how a
    // CommonJS TypeScript module imports under verbatimModuleSyntax.
    files: ['src/cli/bin.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The HTML report's page script runs in the browser, not in Node.
    files: ['src/report/html/page.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly', document: 'readonly', atob: 'readonly', Blob: 'readonly', Response: 'readonly',
        DecompressionStream: 'readonly', performance: 'readonly',
      },
    },
    // Event handlers and tile callbacks close over the chart object as `self`.
    rules: { '@typescript-eslint/no-this-alias': 'off' },
  },
);
