// SPDX-License-Identifier: GPL-2.0-only
/**
 * `npm run demo`'s script (issue 13 item 2), run as `npm run demo` runs it after its set-up
 * step, with the native engine forced through DAMO_RECORD_SOURCE: nothing a test runs may
 * write this machine's kernel DAMON (vitest.config.ts also arms DAMO_FORBID_REAL_KERNEL_WRITES).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { projectRoot } from '../../src/core/version.js';
import { pngSize } from '../../src/plot/png.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { builtBinaryExists } from './helpers.js';

const dir = fileTempDir('damo-demo-');
const root = projectRoot();

describe('npm run demo', () => {
  it('records the bundled workload with the native engine, writes a heatmap PNG and prints the wss report', () => {
    expect(builtBinaryExists() && existsSync(join(root, 'dist/examples/touch'))).toBe(true);
    const out = join(dir, 'out');
    const r = spawnSync(process.execPath, [join(root, 'scripts/demo.mjs'), '--out', out, '--seconds', '4'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', DAMO_RECORD_SOURCE: 'native' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('with the native engine');
    expect(r.stderr).toMatch(/stopped because the target exited with status 0/);
    // The wss report is the demo's stdout.
    expect(r.stdout).toMatch(/^# target_id\t\d+\n# <percentile> <wss>\n/);
    expect(pngSize(readFileSync(join(out, 'heatmap.png')))).toEqual({ width: expect.any(Number), height: expect.any(Number) });
    // It says where the files are (relative to where it ran).
    expect(r.stderr).toContain('the recording is out/damon.data, its heatmap out/heatmap.png');
    const raw = spawnSync(process.execPath, [join(root, 'dist/src/cli/bin.cjs'), 'report', 'raw', '-i', join(out, 'damon.data')], { encoding: 'utf8' });
    expect(raw.status).toBe(0);
    expect(raw.stdout).toContain('nr_regions:');
  }, 120_000);

  it('refuses a DAMO_RECORD_SOURCE that is not a source', () => {
    const r = spawnSync(process.execPath, [join(root, 'dist/src/cli/bin.cjs'), 'record', '-o', join(dir, 'x.data'), '--', 'true'], {
      encoding: 'utf8',
      env: { ...process.env, DAMO_RECORD_SOURCE: 'nativ' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('DAMO_RECORD_SOURCE=nativ is not a source');
  });
});
