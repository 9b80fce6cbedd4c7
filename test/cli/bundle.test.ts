// SPDX-License-Identifier: GPL-2.0-only
/**
 * The damo executable runs the CLI from the bundle scripts/bundle-cli.mjs builds (src/cli/bin.cts);
 * DAMO_BUNDLE=0 runs the ES modules tsc wrote. Both must print the same bytes and exit alike.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/core/version.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { BIN, builtBinaryExists, runBin } from './helpers.js';

const pack = join(projectRoot(), 'dist/src/cli/damo.pack');

describe.skipIf(!builtBinaryExists())('the bundled CLI', () => {
  const dir = fileTempDir('damo-bundle-');

  it('is built: its chunks and their code caches in one pack', () => {
    expect(existsSync(pack)).toBe(true);
    const text = readFileSync(pack, 'latin1');
    expect(text.startsWith('damo-ts chunks 1\n')).toBe(true);
    // Each chunk has a cache (the build fills them all).
    const indexBytes = readFileSync(pack).readUInt32LE('damo-ts chunks 1\n'.length);
    const rows = JSON.parse(text.slice('damo-ts chunks 1\n'.length + 4, 'damo-ts chunks 1\n'.length + 4 + indexBytes)) as [string, number, number, number, number][];
    expect(rows.map((r) => r[0])).toContain('entry.cjs');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((r) => r[4] === 0)).toEqual([]);
  });

  it('is what bin.cjs runs, unless DAMO_BUNDLE=0 (the stack --debug prints says which)', () => {
    const argv = ['--debug', 'report', 'wss', '-i', join(dir, 'missing')];
    expect(runBin(argv).stderr).toContain('damo.pack/chunk-');
    expect(runBin(argv, { env: { DAMO_BUNDLE: '0' } }).stderr).not.toContain('damo.pack');
  });

  it('writes code caches that the next runs take (the collection before exit puts V8 flags back)', () => {
    // A copy of the launcher and of a pack whose caches were made under other V8 flags:
    // the first run writes the caches of the chunks it ran again.
    const root = join(dir, 'copy');
    const cli = join(root, 'dist/src/cli');
    mkdirSync(cli, { recursive: true });
    for (const f of ['bin.cjs', 'damo.pack']) copyFileSync(join(dirname(BIN), f), join(cli, f));
    copyFileSync(join(projectRoot(), 'package.json'), join(root, 'package.json'));
    symlinkSync(join(projectRoot(), 'node_modules'), join(root, 'node_modules'));
    const copied = join(cli, 'damo.pack');
    const json = damoFixture('damo-3.3.0-tests-report/damon.data');
    const run = (argv: string[], nodeFlags: string[] = []): number | null =>
      spawnSync(process.execPath, [...nodeFlags, join(cli, 'bin.cjs'), ...argv], { encoding: 'utf8' }).status;
    // The collection before exit is a full one, where --version alone would not collect the
    // old generation at all.
    const traced = spawnSync(process.execPath, ['--trace-gc', join(cli, 'bin.cjs'), '--version'], { encoding: 'utf8' });
    expect(traced.status).toBe(0);
    expect(traced.stdout).toContain('Mark-Compact');
    // Under other flags V8 rejects the caches, and the run writes the ones it used anew.
    const built = readFileSync(copied);
    expect(run(['report', 'wss', '-i', json], ['--max-lazy'])).toBe(0);
    expect(readFileSync(copied).equals(built)).toBe(false);
    expect(run(['report', 'wss', '-i', json])).toBe(0);
    const before = { bytes: readFileSync(copied), mtimeMs: statSync(copied).mtimeMs };
    // A cache made under other flags would be rejected and written again by every run.
    expect(run(['report', 'wss', '-i', json])).toBe(0);
    expect(run(['--version'])).toBe(0);
    expect(statSync(copied).mtimeMs).toBe(before.mtimeMs);
    expect(readFileSync(copied).equals(before.bytes)).toBe(true);
  });

  it('runs from bin.js too, the ES module entry of earlier builds', () => {
    const viaEsm = spawnSync(process.execPath, [join(dirname(BIN), 'bin.js'), '--version'], { encoding: 'utf8' });
    expect(viaEsm.status).toBe(0);
    expect(viaEsm.stdout).toBe(runBin(['--version']).stdout);
  });

  it('prints what the ES modules print', () => {
    const json = damoFixture('damo-3.3.0-tests-report/damon.data');
    const trace = join(dir, 'small.damo');
    expect(runBin(['convert', '-i', json, '-o', trace]).stderr).toContain('damo: wrote');
    const lines = [
      ['--version'],
      ['--help'],
      ['report', '--help'],
      ['report', 'wsss', '-i', json],
      ['report', 'wss', '-i', join(trace, 'missing')],
      ...[json, trace].flatMap((input) => ['wss', 'nr_regions', 'raw', 'access'].map((report) => ['report', report, '-i', input])),
      ['report', 'wss', '-i', trace, '--json'],
    ];
    for (const argv of lines) {
      const bundled = runBin(argv);
      const modules = runBin(argv, { env: { DAMO_BUNDLE: '0' } });
      expect({ argv, status: bundled.status, stdout: bundled.stdout, stderr: bundled.stderr }).toEqual({
        argv,
        status: modules.status,
        stdout: modules.stdout,
        stderr: modules.stderr,
      });
    }
  }, 120_000);
});
