// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { toolVersion } from '../../src/core/version.js';
import { runBin, runMain } from './helpers.js';

describe('damo (in-process main)', () => {
  it('prints the version and exits 0', async () => {
    const r = await runMain(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(toolVersion());
  });

  it('prints help to stdout on --help and exits 0', async () => {
    const r = await runMain(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: damo');
    expect(r.stdout).toContain('report');
  });

  it('exits 2 with the message on stderr for an unknown command', async () => {
    const r = await runMain(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 for an unknown option', async () => {
    const r = await runMain(['--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option');
  });
});

describe('damo (built binary)', () => {
  it('runs as a process and reports its version', () => {
    const r = runBin(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(toolVersion());
  });
});
