// SPDX-License-Identifier: GPL-2.0-only
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { hoistDebug } from '../../src/cli/main.js';
import { FORBID_REAL_KERNEL_ENV } from '../../src/record/kfs.js';
import { nativeCapabilities } from '../../src/native/monitor.js';
import { runBin, runMain } from './helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';

process.env[FORBID_REAL_KERNEL_ENV] = '1';

const DATA = damoFixture('damo-3.3.0-tests-report/damon.data');

const DIR = fileTempDir('damo-schemes-');

function tmp(name: string, content: string): string {
  const dir = mkdtempSync(join(DIR, 'f-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('damo schemes convert', () => {
  it('reports a bad field with file:line:column and the accepted forms (exit 1)', async () => {
    const f = tmp('bad.damos', '# ok\nmin max 80 max 100ms max willneed\n4K max min min 5x max pageout\n');
    const r = await runMain(['schemes', 'convert', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${f}:3:16: min age: '5x' is not a duration`);
    expect(r.stderr).toContain('accepted:');
  });

  it('converts inline text to sysfs values', async () => {
    const r = await runMain(['schemes', 'convert', '4K max 0 0 5s max pageout quota_sz=1G quota_reset=1s', '--to', 'sysfs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('schemes/nr_schemes 1\n');
    expect(r.stdout).toContain('schemes/0/access_pattern/age/min 50\n');
    expect(r.stdout).toContain('schemes/0/quotas/bytes 1073741824\n');
  });

  it('uses the intervals for kernel units', async () => {
    const r = await runMain(['schemes', 'convert', 'min max 50 max 1s max stat', '-s', '1000', '-a', '50000']);
    expect(r.stdout).toBe('0\t18446744073709551615\t25\t50\t20\t4294967295\t5\n');
  });

  it('refuses actions debugfs does not know, pointing at sysfs', async () => {
    const r = await runMain(['schemes', 'convert', 'min max 0 0 1s max collapse']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("action 'collapse' cannot be written for debugfs");
    expect(r.stderr).toContain('--to sysfs');
  });

  it('rejects an unknown output form as a usage error (exit 2)', async () => {
    const r = await runMain(['schemes', 'convert', 'x', '--to', 'yaml']);
    expect(r.code).toBe(2);
  });

  it('names a missing file', async () => {
    const r = await runMain(['schemes', 'convert', '/nonexistent/my.damos']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("schemes file '/nonexistent/my.damos' does not exist");
  });

  it('has help with examples', async () => {
    const r = await runMain(['schemes', 'convert', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--to sysfs');
  });
});

describe('damo simulate / damo report schemes', () => {
  it('prints per-scheme statistics and the effect estimate', async () => {
    const r = await runMain(['report', 'schemes', '-i', DATA, '-c', '4K max 0 0 5s max pageout', '--rows', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('scheme 0 (<command line>:1): 4K max min 0 5s max pageout');
    expect(r.stdout).toMatch(/tried \d+ times/);
    expect(r.stdout).toContain('paged out, then accessed again (refaults)');
    // the other end of the refault estimate (simulate.ts noteReaccesses), when it differs
    expect(r.stdout).toMatch(/\n {6}[\d.]+ [KMG]?i?B if all sampling intervals of an aggregation accessed the same pages/);
    expect(r.stdout).toContain('over time:');
    expect(r.stderr).toContain('does not record its intervals');
  });

  it('the alias gives the same output, and -s/-a change the kernel units', async () => {
    const a = await runMain(['simulate', '-i', DATA, '-c', 'min max 50 max 1s max stat', '-s', '5ms', '-a', '100ms']);
    const b = await runMain(['report', 'schemes', '-i', DATA, '-c', 'min max 50 max 1s max stat', '-s', '5000', '-a', '100000']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain('nr_accesses [10, max] samples, age [10, max]');
    const c = await runMain(['simulate', '-i', DATA, '-c', 'min max 50 max 1s max stat', '-s', '1ms', '-a', '50ms']);
    expect(c.stdout).toContain('nr_accesses [25, max] samples, age [20, max]');
  });

  it('writes a plot and JSON', async () => {
    const png = join(mkdtempSync(join(DIR, 'plot-')), 'sim.svg');
    const r = await runMain(['simulate', '-i', DATA, '-c', '4K max 0 0 5s max pageout', '--json', '--plot', png]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { schemes: Array<{ effects: { kind: string } }>; timeline: { times_ns: number[] } };
    expect(doc.schemes[0]?.effects.kind).toBe('paged-out');
    expect(doc.timeline.times_ns).toHaveLength(543);
    expect(readFileSync(png, 'utf8')).toContain('<svg');
  });

  it('rejects a bad plot file name before simulating', async () => {
    const r = await runMain(['simulate', '-i', DATA, '-c', 'min max min max min max stat', '--plot', 'x.gif']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('FILE.png');
  });

  it('requires -c', async () => {
    const r = await runMain(['simulate', '-i', DATA]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--schemes');
  });

  it('runs as a process', () => {
    const r = runBin(['simulate', '-i', DATA, '-c', 'min max min max min max stat', '--rows', '0']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('tried 9,773 times');
  });
});

describe('damo schemes tune', () => {
  it('prints the best candidate and a ranking', async () => {
    // 4s refaults 23.9 % of what it moves out (the pages its regions' nr_accesses imply were
    // touched in some sampling interval), 16s 0.08 %.
    const r = await runMain(['schemes', 'tune', '-i', DATA, '-t', '4K max 0 0 4s|16s max pageout', '--max-refault', '5%']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('best: 4K max min 0 16s max pageout');
    expect(r.stdout).toContain('ranking (1 of 2 within the budget)');
  });

  it('gives JSON', async () => {
    const r = await runMain(['schemes', 'tune', '-i', DATA, '-t', '4K max 0 0 4s|16s max pageout', '--json']);
    const doc = JSON.parse(r.stdout) as { nr_candidates: number; best: { scheme: string } };
    expect(doc.nr_candidates).toBe(2);
    // 4s saves more but refaults 23.9 % of it, over the default 10 % budget.
    expect(doc.best.scheme).toBe('4K max min 0 16s max pageout');
  });

  it('reports template errors before reading the recording', async () => {
    const r = await runMain(['schemes', 'tune', '-i', '/nonexistent', '-t', '4K max 0 0 1s..4s max pageout']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('needs a step');
  });
});

describe('damo schemes -c (online)', () => {
  const roots = (): string[] => {
    const d = mkdtempSync(join(DIR, 'roots-'));
    return ['--sysfs_root', join(d, 'sysfs'), '--tracefs_root', join(d, 'tracefs'), '--debugfs_root', join(d, 'debugfs')];
  };
  const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

  it('teaches in --help: backends, what process_madvise can do, examples', async () => {
    const r = await runMain(['schemes', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['-c, --schemes <file>', '--backend <backend>', '--stats_interval', 'Applying schemes online (-c)', 'process_madvise(2): cold, pageout (Linux 5.10+), willneed (5.15+), collapse', 'never modify a kdamond', 'Examples:', "damo schemes -c '4K max 0 0 5s max pageout' -- ./workload"]) {
      expect(r.stdout).toContain(s);
    }
    expect((await runMain(['schemes'])).stdout).toContain('Applying schemes online');
  });

  it('usage errors exit 2 and say what is wrong', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['schemes', '1234'], /'1234': give the schemes to apply with -c, or a subcommand/],
      [['schemes', '-c', 'min max 0 0 1s max pageout', ...roots()], /nothing to apply the schemes to: give a command, pid\(s\) or paddr/],
      [['schemes', '-c', 'min max 0 0 1s max pageout', '--backend', 'magic', '1'], /argument 'magic' is invalid/],
      [['schemes', '-c', 'min max 0 0 1s max pageout', '--stats_interval', '5x', ...roots(), String(process.pid)], /--stats_interval/],
      [['schemes', '-c', 'min max 0 0 1s max pageout', '--backend', 'sysfs', '--primitive', 'clear_refs', ...roots(), String(process.pid)], /--primitive clear_refs applies to the native engine, not to --backend sysfs/],
    ];
    for (const [argv, re] of cases) {
      const r = await runMain(argv, ENV);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr).toMatch(re);
    }
    const bad = await runMain(['schemes', '-c', 'min max 0 0 1s', '1'], ENV);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/<command line>:1:.*expected 7 fields/);
  });

  it('--debug may come anywhere before --, as before', () => {
    expect(hoistDebug(['schemes', 'convert', 'f', '--debug'])).toEqual(['--debug', 'schemes', 'convert', 'f']);
    expect(hoistDebug(['record', '--', 'app', '--debug'])).toEqual(['record', '--', 'app', '--debug']);
    expect(hoistDebug(['record', '--debug', '--', 'app', '--debug'])).toEqual(['--debug', 'record', '--', 'app', '--debug']);
  });

  const clearRefs = nativeCapabilities({ ops: 'vaddr' }).clear_refs;
  it.skipIf(!clearRefs.available)('applies a stat scheme with the native engine to a child and prints the table; refuses hugepage with the reason', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const pid = String(child.pid);
      const r = await runMain(['schemes', '-c', 'min max min max min max stat', '--backend', 'native', '--primitive', 'clear_refs', '--timeout', '1', '--json', ...roots(), pid], ENV);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as { backend: string; target: string; schemes: Array<{ action: string; stats: { nr_tried: number; sz_tried: number; nr_applied: number }; process_madvise: { nr_calls: number } }> };
      expect(doc.backend).toBe('native');
      expect(doc.target).toBe(`pid ${pid}`);
      expect(doc.schemes[0]?.action).toBe('stat');
      expect(doc.schemes[0]?.stats.nr_tried).toBeGreaterThan(0);
      expect(doc.schemes[0]?.stats.nr_applied).toBe(0);
      expect(doc.schemes[0]?.process_madvise.nr_calls).toBe(0);
      const text = await runMain(['schemes', '-c', 'min max min max min max stat', '--backend', 'native', '--primitive', 'clear_refs', '--timeout', '0.5', ...roots(), pid], ENV);
      expect(text.stdout).toMatch(/^# 1 scheme from <command line> applied to pid \d+ by the native engine \(clear_refs, per-mapping access information\) for [\d.]+ ms; stopped because the 0.5 s timeout passed\n/);
      expect(text.stdout).toMatch(/\n# {2}action {2}nr_tried +sz_tried {2}nr_applied {2}sz_applied {2}qt_exceeds\n0 {2}stat +\d+/);
      const refused = await runMain(['schemes', '-c', 'min max 0 0 1s max hugepage', '--backend', 'native', ...roots(), pid], ENV);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/cannot apply the schemes with --backend native: scheme 0 \(<command line>:1\) \(hugepage\): process_madvise\(\) refuses MADV_HUGEPAGE for another process/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});
