// SPDX-License-Identifier: GPL-2.0-only
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeSyntheticTrace } from '../../src/format/synthetic.js';
import { pngSize } from '../../src/plot/png.js';
import { BIN, builtBinaryExists, runBin, runMain, type RunResult } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'damo-heats-'));
const trace = join(dir, 'synthetic.data');
beforeAll(async () => {
  await writeSyntheticTrace(trace, { nrSnapshots: 120, nrRegionsPerSnapshot: 60, seed: 3 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** main() with a terminal-like stdout of the given size. */
function runOnTerminal(argv: string[], columns: number, rows: number, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runMain(argv, env, { stdoutIsTTY: true, stderrIsTTY: true, columns, rows });
}

const ESC = '\u001b[';

describe('damo report heats', () => {
  it('prints 500x500 raw cells by default', async () => {
    const r = await runMain(['report', 'heats', '-i', trace]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(250_000);
    expect(lines[0]).toMatch(/^0\t0\t\d+\.\d+(e-\d+)?$/);
    expect(lines[1]!.split('\t')[0]).toBe('0');
    expect(lines[500]!.split('\t')[1]).toBe('0');
  });

  it('prints the guide', async () => {
    const r = await runMain(['report', 'heats', '-i', trace, '--guide']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^target_id:4242\ntime: \d+-\d+ \([\d.]+ s\)\nregion\t 0: \d{20}-\d{20} \(/);
    expect(r.stdout.match(/^region\t/gm)).toHaveLength(3);
  });

  it('gives the guide and the cells as JSON with units in field names', async () => {
    const g = await runMain(['report', 'heats', '-i', trace, '--guide', '--json']);
    const guide = JSON.parse(g.stdout) as { guides: Array<{ target_id: string; regions: unknown[]; hottest_region_index: number }> };
    expect(guide.guides[0]!.target_id).toBe('4242');
    expect(guide.guides[0]!.regions).toHaveLength(3);
    const r = await runMain(['report', 'heats', '-i', trace, '--json', '--resol', '10', '20']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      version: number;
      time_unit_ns: number;
      address_unit_bytes: number;
      maps: Array<{ heats: number[][] }>;
    };
    expect(doc.version).toBe(1);
    expect(doc.time_unit_ns).toBeGreaterThan(0);
    expect(doc.address_unit_bytes).toBeGreaterThan(0);
    expect(doc.maps[0]!.heats).toHaveLength(10);
    expect(doc.maps[0]!.heats[0]).toHaveLength(20);
    // The same cells as the raw text.
    const raw = await runMain(['report', 'heats', '-i', trace, '--resol', '10', '20']);
    const rawHeats = raw.stdout.trim().split('\n').map((l) => Number(l.split('\t')[2]));
    expect(doc.maps[0]!.heats.flat()).toEqual(rawHeats);
  });

  it('draws the terminal heatmap without colour codes when piped, 40x80', async () => {
    const r = await runMain(['report', 'heats', '-i', trace, '--heatmap', 'stdout']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(ESC);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 40).every((l) => /^[0-9]{80}$/.test(l))).toBe(true);
    expect(lines[40]).toBe('# access_frequency: 0123456789');
    expect(lines[43]).toMatch(/^# resolution: 80x40 \(/);
  });

  it('colours the terminal heatmap on a terminal, fitted to its size', async () => {
    const r = await runOnTerminal(['report', 'heats', '-i', trace, '--plot_ascii'], 100, 30);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    // 30 rows - 4 footer lines - 1 for the prompt.
    expect(lines).toHaveLength(25 + 4);
    expect(lines[0]).toContain(`${ESC}48;5;232m${ESC}38;5;`);
    expect(lines[0]!.split(ESC).map((part) => part.replace(/^[0-9;]*m/, '')).join('')).toMatch(/^[0-9]{100}$/);
    expect(lines.at(-1)).toMatch(/^# resolution: 100x25 /);
  });

  it('honours NO_COLOR on a terminal, and --color always / never', async () => {
    const noColor = await runOnTerminal(['report', 'heats', '-i', trace, '--heatmap', 'stdout'], 80, 24, { NO_COLOR: '1' });
    expect(noColor.stdout).not.toContain(ESC);
    const never = await runOnTerminal(['report', 'heats', '-i', trace, '--heatmap', 'stdout', '--color', 'never'], 80, 24);
    expect(never.stdout).not.toContain(ESC);
    const always = await runMain(['report', 'heats', '-i', trace, '--heatmap', 'stdout', '--color', 'always', '--stdout_heatmap_color', 'flame']);
    expect(always.stdout).toContain(`${ESC}48;5;232m${ESC}38;5;239m0`);
    expect(always.stdout).toContain(`${ESC}0m`);
  });

  it('writes a PNG image with the expected size and an SVG with axes and a colour bar', async () => {
    const png = join(dir, 'heat.png');
    const r = await runMain(['report', 'heats', '-i', trace, '--heatmap', png]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`wrote ${png} (png, 500x500 cells`);
    const size = pngSize(readFileSync(png))!;
    expect(size.width).toBeGreaterThan(500 + 100);
    expect(size.width).toBeLessThan(900);
    expect(size.height).toBeGreaterThan(500 + 80);
    expect(size.height).toBeLessThan(800);

    const svgPath = join(dir, 'heat.svg');
    expect((await runMain(['report', 'heats', '-i', trace, '--heatmap', svgPath, '--abs_addr'])).code).toBe(0);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg).toContain('class="heat-cells"');
    expect(svg).toContain('class="x-axis time"');
    expect(svg).toContain('class="y-axis address"');
    expect(svg).toContain('class="colour-bar"');
    expect(svg).toContain('Memory access heatmap: pid 4242 (synthetic-0)');
    expect(svg).toMatch(/>0x7f[0-9a-f]+<\/text>/);
  });

  it('zooms with relative --time_range units and hex --address_range', async () => {
    const guide = JSON.parse((await runMain(['report', 'heats', '-i', trace, '--guide', '--json'])).stdout) as {
      guides: Array<{ start_ns: number; regions: Array<{ start: number; end: number }> }>;
    };
    const g = guide.guides[0]!;
    const region = g.regions[1]!;
    const r = await runMain([
      'report', 'heats', '-i', trace, '--json', '--resol', '5', '4',
      '--time_range', '1s', '3s',
      '--address_range', '0x' + region.start.toString(16), String(region.end),
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { time_start_ns: number; time_end_ns: number; address_start: number; address_range_source: string };
    expect(doc.time_start_ns).toBe(g.start_ns + 1e9);
    expect(doc.time_end_ns).toBe(g.start_ns + 3e9);
    expect(doc.address_start).toBe(region.start);
    expect(doc.address_range_source).toBe('user');
  });

  it('explains bad input', async () => {
    const ext = await runMain(['report', 'heats', '-i', trace, '--heatmap', join(dir, 'x.gif')]);
    expect(ext.code).toBe(2);
    expect(ext.stderr).toContain("'.gif' images are not supported");
    const resol = await runMain(['report', 'heats', '-i', trace, '--resol', '10']);
    expect(resol.code).toBe(2);
    expect(resol.stderr).toContain('--resol takes two values');
    const fine = await runMain(['report', 'heats', '-i', trace, '--resol', '10', '100000000000']);
    expect(fine.code).toBe(2);
    // 1,000,000,000,000 cells: refused for its size before the recording is read (14.5).
    expect(fine.stderr).toContain('the most is 16,777,216 cells');
    const narrow = await runMain(['report', 'heats', '-i', trace, '--resol', '10', '10000', '--address_range', '93823560581120', '93823560585216']);
    expect(narrow.code).toBe(2);
    expect(narrow.stderr).toContain('smaller than the address resolution');
    const tid = await runMain(['report', 'heats', '-i', trace, '--tid', '7']);
    expect(tid.code).toBe(2);
    expect(tid.stderr).toContain('has no target with id 7');
    expect(tid.stderr).toContain('4242');
    const missing = await runMain(['report', 'heats', '-i', join(dir, 'nope.data')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.data: no such file/);
    const both = await runMain(['report', 'heats', '-i', trace, '--heatmap', 'stdout', '--json']);
    expect(both.code).toBe(2);
  });
});

describe('report heats: sizes and ranges the user gives are checked against what exists', () => {
  it('14.5 refuses a resolution too large to hold, before allocating, with the memory it would need', async () => {
    for (const resol of [['100000', '100000'], ['1000000000', '2']]) {
      const r = await runMain(['report', 'heats', '-i', trace, '--resol', ...resol]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^damo: a resolution of \d+ x \d+ is [\d,]+ cells, which would need [\d.]+ GiB of memory; the most is 16,777,216 cells$/m);
    }
    const ok = await runMain(['report', 'heats', '-i', trace, '--resol', '4096', '2']);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('14.7 a --time_range outside the recording is a usage error that says what the recording spans', async () => {
    const r = await runMain(['report', 'heats', '-i', trace, '--time_range', '1000s', '2000s']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^damo: --time_range 16 m 40 s 33 m 20 s \(from the recording's start\) is outside .*synthetic\.data, which spans 0 ns to [\d.]+ s /m);
    const inside = await runMain(['report', 'heats', '-i', trace, '--time_range', '1s', '2s', '--resol', '4', '4']);
    expect(inside.code, inside.stderr).toBe(0);
  });
});

describe('report raw: a reversed range', () => {
  it('14.7 a reversed --duration is a usage error echoed in the units the user typed', async () => {
    const r = await runMain(['report', 'raw', '-i', trace, '--duration', '5s', '1500ms']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^damo: --duration 5s 1500ms is reversed: the end comes before the start$/m);
    expect(r.stderr).toMatch(/^damo: give the start first: --duration 1500ms 5s$/m);
  });
});

describe('report heats: an address range that matches nothing', () => {
  it('14.7 is a usage error that says where the regions are', async () => {
    const r = await runMain(['report', 'heats', '-i', trace, '--address_range', '0', '4096']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^damo: --address_range 0 4096 matches nothing in .*synthetic\.data: target \S+'s regions span \d+ to \d+$/m);
  });
});

describe.skipIf(!builtBinaryExists())('heat maps under a virtual memory limit', () => {
  it('print the same cells when WebAssembly memory cannot be had (ulimit -v), from the JavaScript form', () => {
    // V8 reserves GiBs of address space for each WebAssembly memory (report/heat_rows.ts);
    // under this limit that fails and the grids must fall back, not end in an internal error.
    for (const argv of [
      ['report', 'heats', '--resol', '40', '30', '-i', trace],
      ['report', 'heatmap', '--output', 'raw', '--resol', '40', '30', '-i', trace],
    ]) {
      const plain = runBin(argv);
      expect(plain.status, plain.stderr).toBe(0);
      const limited = spawnSync('sh', ['-c', 'ulimit -v 3000000 && exec "$0" "$@"', process.execPath, BIN, ...argv], { encoding: 'utf8', maxBuffer: 64 << 20 });
      expect(limited.stderr).toBe('');
      expect(limited.status).toBe(0);
      expect(limited.stdout).toBe(plain.stdout);
    }
  });
});
