// SPDX-License-Identifier: GPL-2.0-only
/**
 * `--heatmap` and `--plot` with no value draw in the terminal (issue 13 item 1), spawning
 * the built binary: a user types `damo report heats --heatmap` and `damo report wss --plot`
 * exactly like this. The file forms are tested in heats.test.ts, plot.test.ts and compat/.
 */
import { describe, expect, it } from 'vitest';

import { damoFixture } from '../fixtures/damo_fixtures.js';
import { runBin, runMain } from './helpers.js';

const DAMON_DATA = damoFixture('damo-3.3.0-tests-report/damon.data');

/** Lines on stderr that are not warnings about the recording itself. */
function notes(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !l.startsWith('damo: warning:'));
}

describe('--heatmap without a value', () => {
  it('draws the same terminal heatmap as --heatmap stdout, then says how to save an image', () => {
    const bare = runBin(['report', 'heats', '--heatmap', '-i', DAMON_DATA]);
    expect(bare.status).toBe(0);
    const stdout = runBin(['report', 'heats', '-i', DAMON_DATA, '--heatmap', 'stdout']);
    expect(stdout.status).toBe(0);
    expect(bare.stdout).toBe(stdout.stdout);
    expect(bare.stdout).toContain('# resolution: 80x40');
    expect(notes(bare.stderr)).toEqual(['damo: to save this heatmap as an image: --heatmap FILE.png|svg|pdf']);
    expect(notes(stdout.stderr)).toEqual([]);
  });

  it('reads an option after it as the next option, not as its value', () => {
    // -i must not become the file name "-i" (and x its input); it is the input option.
    const r = runBin(['report', 'heats', '--heatmap', '-i', '/nonexistent/x.data']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('/nonexistent/x.data: no such file');
    const last = runBin(['report', 'heats', '-i', DAMON_DATA, '--heatmap']);
    expect(last.status).toBe(0);
    expect(last.stdout).toContain('# access_frequency:');
  });

  it('refuses --json with it: both want stdout', () => {
    const r = runBin(['report', 'heats', '-i', DAMON_DATA, '--heatmap', '--json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('both want stdout');
  });
});

describe('--plot without a value', () => {
  it('draws the wss distribution in 80 columns with labelled axes when stdout is not a terminal', () => {
    const r = runBin(['report', 'wss', '--plot', '-i', DAMON_DATA]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Working set size, distribution over snapshots');
    expect(lines[1]).toBe('damon.data · 523 snapshots');
    expect(lines[2]).toBe('working set size (MiB)');
    expect(lines.at(-1)!.trim()).toBe('percentile of snapshots');
    expect(lines.at(-2)!.trim()).toMatch(/^0\s+20\s+40\s+60\s+80\s+100$/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(70);
    // damo's test recording: the wss is about 98 MiB up to the 82nd percentile, then about
    // 197 MiB. The curve's first column sits on the 100 tick's row, its last on the 200's.
    const plot = lines.slice(3, -3);
    expect(plot.find((l) => /^\s*100 \+/.test(l))).toMatch(/^\s*100 \+\*{40}/);
    expect(plot.find((l) => /^\s*200 \+/.test(l))).toMatch(/\*$/);
    expect(notes(r.stderr)).toEqual(['damo: to save this plot as an image: --plot FILE.png|svg|pdf']);
  });

  it('draws nr_regions over time, the series the image shows', () => {
    const r = runBin(['report', 'nr_regions', '-i', DAMON_DATA, '--sortby', 'time', '--plot']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Number of DAMON regions, over time\ndamon\.data · 523 snapshots\nregions\n/);
    expect(r.stdout.trimEnd().split('\n').at(-1)!.trim()).toBe('runtime (%)');
    expect(notes(r.stderr)).toEqual(['damo: to save this plot as an image: --plot FILE.png|svg|pdf']);
  });

  it('reads an option after it as the next option', () => {
    const r = runBin(['report', 'wss', '--plot', '-i', '/nonexistent/x.data']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('/nonexistent/x.data: no such file');
  });

  it('fits the width of a terminal', async () => {
    for (const columns of [50, 120]) {
      const r = await runMain(['report', 'wss', '-i', DAMON_DATA, '--plot'], {}, { stdoutIsTTY: true, columns, rows: 30 });
      expect(r.code).toBe(0);
      const widths = r.stdout.trimEnd().split('\n').map((l) => l.length);
      expect(Math.max(...widths)).toBeLessThanOrEqual(columns);
      expect(Math.max(...widths)).toBeGreaterThan(columns - 10);
    }
  });
});
