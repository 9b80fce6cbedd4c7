// SPDX-License-Identifier: GPL-2.0-only
/**
 * The damo executable runs the CLI from the bundle scripts/bundle-cli.mjs builds (src/cli/bin.cts);
 * DAMO_BUNDLE=0 runs the ES modules tsc wrote. Both must print the same bytes and exit alike.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/core/version.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { BIN, builtBinaryExists, runBin } from './helpers.js';

const pack = join(projectRoot(), 'dist/src/cli/damo.pack');
const PACK_MAGIC = 'damo-ts chunks 1\n';

/** damo.pack's index (src/cli/bin.cts, Pack): name, source offset and bytes, cache offset and bytes. */
function packIndex(bytes: Buffer): { rows: [string, number, number, number, number][]; dataStart: number } {
  expect(bytes.toString('latin1', 0, PACK_MAGIC.length)).toBe(PACK_MAGIC);
  const indexBytes = bytes.readUInt32LE(PACK_MAGIC.length);
  const at = PACK_MAGIC.length + 4;
  return { rows: JSON.parse(bytes.toString('latin1', at, at + indexBytes)) as [string, number, number, number, number][], dataStart: at + indexBytes };
}

/** A copy of the launcher and the pack in `root`, as an installed package has them. */
function copyCli(root: string): string {
  const cli = join(root, 'dist/src/cli');
  mkdirSync(cli, { recursive: true });
  for (const f of ['bin.cjs', 'damo.pack']) copyFileSync(join(dirname(BIN), f), join(cli, f));
  copyFileSync(join(projectRoot(), 'package.json'), join(root, 'package.json'));
  symlinkSync(join(projectRoot(), 'node_modules'), join(root, 'node_modules'));
  return cli;
}

describe.skipIf(!builtBinaryExists())('the bundled CLI', () => {
  const dir = fileTempDir('damo-bundle-');

  it('is built: its chunks and their code caches in one pack', () => {
    const { rows } = packIndex(readFileSync(pack));
    expect(rows.map((r) => r[0])).toContain('entry.cjs');
    expect(rows.length).toBeGreaterThan(10);
    // Each chunk has a cache (the build fills them all).
    expect(rows.filter((r) => r[4] === 0)).toEqual([]);
  });

  it('reads only the chunks a command runs: report wss on our trace never runs the damo json reader', () => {
    // A copy whose chunk holding the json reader throws when run (its cache spoiled, so V8
    // compiles the new text): our trace's report does not touch it, damo's file does.
    const cli = copyCli(join(dir, 'lazy'));
    const copied = join(cli, 'damo.pack');
    const bytes = readFileSync(copied);
    const { rows, dataStart } = packIndex(bytes);
    const reader = rows.filter((r) => bytes.toString('latin1', dataStart + r[1], dataStart + r[1] + r[2]).includes('function*damoJsonChunks('));
    expect(reader.length).toBe(1);
    const [name, sourceOffset, sourceBytes, cacheOffset, cacheBytes] = reader[0]!;
    const thrower = `(function () { throw new Error('chunk ${name} was run'); })`;
    bytes.write(thrower.padEnd(sourceBytes, ' '), dataStart + sourceOffset, 'latin1');
    bytes.fill(0, dataStart + cacheOffset, dataStart + cacheOffset + cacheBytes);
    writeFileSync(copied, bytes);
    const json = damoFixture('damo-3.3.0-tests-report/damon.data');
    const trace = join(dir, 'lazy.damo');
    expect(runBin(['convert', '-i', json, '-o', trace]).status).toBe(0);
    const run = (argv: string[]) => spawnSync(process.execPath, [join(cli, 'bin.cjs'), ...argv], { encoding: 'utf8' });
    const onTrace = run(['report', 'wss', '-i', trace]);
    expect(onTrace.stderr).toBe('');
    expect(onTrace.stdout).toBe(runBin(['report', 'wss', '-i', trace]).stdout);
    expect(run(['--version']).status).toBe(0);
    const onJson = run(['--debug', 'report', 'wss', '-i', json]);
    expect(onJson.status).not.toBe(0);
    expect(onJson.stderr).toContain(`chunk ${name} was run`);
  });

  it('is what bin.cjs runs, unless DAMO_BUNDLE=0 (the stack --debug prints says which)', () => {
    const argv = ['--debug', 'report', 'wss', '-i', join(dir, 'missing')];
    expect(runBin(argv).stderr).toContain('damo.pack/chunk-');
    expect(runBin(argv, { env: { DAMO_BUNDLE: '0' } }).stderr).not.toContain('damo.pack');
  });

  it('writes code caches that the next runs take (the collection before exit puts V8 flags back)', () => {
    // A copy of the launcher and of a pack whose caches were made under other V8 flags:
    // the first run writes the caches of the chunks it ran again.
    const cli = copyCli(join(dir, 'copy'));
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
