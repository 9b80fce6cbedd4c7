// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report html` without a browser: the page is one self-contained file, its data says
 * what the recording holds (heat cells equal report heats' grid, quantised as the PNG is),
 * too-large recordings are downsampled with a note, and bad input fails clearly. The page
 * itself is tested in a real browser in test/browser/report_html.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

import { beforeAll, describe, expect, it } from 'vitest';

import { syntheticHeader, writeSyntheticTrace } from '../../src/format/synthetic.js';
import { TraceWriter } from '../../src/format/trace_writer.js';
import { computeHeats } from '../../src/report/heats.js';
import type { PageData } from '../../src/report/html_data.js';
import { HTML_LIMITS } from '../../src/report/html_data.js';
import { runHtmlCommand } from '../../src/report/html_command.js';
import { halveLevel, quantise, TILE_CELLS } from '../../src/report/html_tiles.js';
import { openTrace } from '../../src/format/open.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { runMain } from './helpers.js';
import { PassThrough } from 'node:stream';

const dir = fileTempDir('damo-html-');
const trace = (): string => join(dir, 'synthetic.data');

beforeAll(async () => {
  await writeSyntheticTrace(trace(), { nrSnapshots: 200, nrRegionsPerSnapshot: 90, seed: 5 });
});

function pageData(html: string): PageData {
  const m = /<script type="application\/json" id="damo-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!) as PageData;
}

/** The finest level of a heatmap, inflated from its tiles, time-major. */
function finestLevels(data: PageData, k: number): { timeResol: number; addrResol: number; cells: Uint8Array } {
  const levels = data.heatmaps[k]!.levels;
  const l = levels[levels.length - 1]!;
  const cells = new Uint8Array(l.timeResol * l.addrResol);
  const tilesA = Math.ceil(l.addrResol / TILE_CELLS);
  l.tiles.forEach((b64, idx) => {
    const tile = inflateRawSync(Buffer.from(b64, 'base64'));
    const ti = Math.floor(idx / tilesA);
    const ai = idx % tilesA;
    const cols = Math.min(TILE_CELLS, l.addrResol - ai * TILE_CELLS);
    const rows = tile.length / cols;
    for (let i = 0; i < rows; i++) cells.set(tile.subarray(i * cols, (i + 1) * cols), (ti * TILE_CELLS + i) * l.addrResol + ai * TILE_CELLS);
  });
  return { timeResol: l.timeResol, addrResol: l.addrResol, cells };
}

function quietIO() {
  const stderr = new PassThrough();
  const err: Buffer[] = [];
  stderr.on('data', (b: Buffer) => err.push(b));
  return {
    io: { stdout: new PassThrough(), stderr, env: {}, stdoutIsTTY: false, stderrIsTTY: false, columns: undefined, rows: undefined },
    stderr: () => Buffer.concat(err).toString('utf8'),
  };
}

describe('damo report html', () => {
  it('writes one self-contained page with a heatmap per contiguous range', async () => {
    const out = join(dir, 'page.html');
    const r = await runMain(['report', 'html', '-i', trace(), '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote .*page\.html \(\d+ bytes, 3 heatmaps\) in \d+\.\d\d s/);
    const html = readFileSync(out, 'utf8');
    // Nothing is fetched: no external script, style, image or font.
    expect(html).not.toMatch(/<link\b|\bsrc=|url\(|@import|https?:\/\//i);
    const data = pageData(html);
    expect(data.heatmaps.map((m) => m.rangeIndex).sort()).toEqual([1, 2, 3]);
    // The hottest range first, as report heats draws it by default.
    const heats = data.heatmaps.map((m) => m.heatPerByte);
    expect(heats).toEqual([...heats].sort((a, b) => b - a));
    expect(data.series).toHaveLength(1);
    expect(data.series[0]!.timesNs).toHaveLength(200);
    expect(data.wssDists[0]!.nrSnapshots).toBe(180);
    expect(data.facts.map(([k]) => k)).toEqual(expect.arrayContaining(['source', 'intervals asked', 'intervals real', 'targets', 'duration']));
    expect(data.downsampling).toEqual([]);
    expect(data.schemes).toBeNull();
  });

  it('draws the cells of report heats, quantised as the PNG heatmap is', async () => {
    const out = join(dir, 'cells.html');
    expect((await runMain(['report', 'html', '-i', trace(), '-o', out])).code).toBe(0);
    const data = pageData(readFileSync(out, 'utf8'));
    const k = data.heatmaps.findIndex((x) => x.rangeIndex === 1);
    const m = data.heatmaps[k]!;
    const finest = finestLevels(data, k);
    // The same grid through report heats' own entry point, at the page's resolution and ranges.
    const src = await openTrace(trace(), { strict: false, env: {} });
    const heats = await computeHeats(src, { resol: [finest.timeResol, finest.addrResol], addressRange: [m.addrStart, m.addrEnd] });
    const grid = heats.grids[0]!.grid;
    expect(grid.geometry.timeStartNs).toBe(m.timeStartNs);
    expect(grid.geometry.addrEnd).toBe(m.addrEnd);
    expect(m.highestHeat).toBe(grid.highest());
    expect(Array.from(finest.cells)).toEqual(Array.from(quantise(grid.heats, grid.highest())));
    // Coarser levels average 2x2 blocks: the coarsest is the finest halved until <= 128.
    const coarsest = m.levels[0]!;
    expect(coarsest.timeResol).toBeLessThanOrEqual(128);
    expect(coarsest.addrResol).toBeLessThanOrEqual(128);
  });

  it('halves a level by averaging blocks', () => {
    const l = { timeResol: 2, addrResol: 5, timeCellNs: 10, addrCellBytes: 4096, cells: Float64Array.from([1, 3, 0, 0, 9, 5, 7, 8, 0, 1]) };
    const both = halveLevel(l, 2, 2);
    expect(Array.from(both.cells)).toEqual([4, 2, 5]);
    expect([both.timeResol, both.addrResol, both.timeCellNs, both.addrCellBytes]).toEqual([1, 3, 20, 8192]);
    // An odd count: the last cell averages the one cell it has.
    expect(Array.from(halveLevel(l, 1, 2).cells)).toEqual([2, 0, 9, 6, 4, 1]);
  });

  it('charts the simulation of -c schemes', async () => {
    const out = join(dir, 'schemes.html');
    const r = await runMain(['report', 'html', '-i', trace(), '-o', out, '-c', '4K max 0 0 1s max pageout']);
    expect(r.code).toBe(0);
    const data = pageData(readFileSync(out, 'utf8'));
    expect(data.schemes!.schemes).toHaveLength(1);
    expect(data.schemes!.schemes[0]!.action).toBe('pageout');
    expect(data.schemes!.timesNs.length).toBeGreaterThan(10);
    expect(Math.max(...data.schemes!.schemes[0]!.effectBytes)).toBeGreaterThan(0);
  });

  it('reads damo\'s recordings too', async () => {
    const out = join(dir, 'damo.html');
    const r = await runMain(['report', 'html', '-i', damoFixture('damo-3.3.0-tests-report/damon.data'), '-o', out]);
    expect(r.code).toBe(0);
    const data = pageData(readFileSync(out, 'utf8'));
    expect(data.heatmaps.length).toBeGreaterThan(0);
    expect(data.heatmaps.some((m) => m.highestHeat > 0)).toBe(true);
  });

  it('downsamples a recording too large for the page and says so', async () => {
    const out = join(dir, 'small-budget.html');
    const { io, stderr } = quietIO();
    const limits = { ...HTML_LIMITS, maxFinestCells: 64 * 64 * 3, maxSeriesPoints: 50, maxMaps: 2 };
    const code = await runHtmlCommand(io, { input: trace(), output: out, schemes: undefined, strict: false, limits });
    expect(code).toBe(0);
    expect(stderr()).toMatch(/downsampled: see the page/);
    const data = pageData(readFileSync(out, 'utf8'));
    expect(data.heatmaps).toHaveLength(2);
    expect(data.series[0]!.timesNs).toHaveLength(50);
    expect(data.series[0]!.snapshotsPerPoint).toBe(4);
    expect(data.downsampling.join('\n')).toMatch(/3 heatmaps .* exceed the page's 2/);
    expect(data.downsampling.join('\n')).toMatch(/average 4 snapshots per point/);
    expect(data.downsampling.join('\n')).toMatch(/finest cells were made up to \d+ times coarser/);
    const total = data.heatmaps.reduce((s, m) => s + m.levels[m.levels.length - 1]!.timeResol * m.levels[m.levels.length - 1]!.addrResol, 0);
    expect(total).toBeLessThanOrEqual(limits.maxFinestCells);
  });

  it('leaves out the finest levels of the pyramids that do not fit the byte budget', async () => {
    const out = join(dir, 'byte-budget.html');
    const { io } = quietIO();
    const full = pageData(readFileSync(join(dir, 'page.html'), 'utf8'));
    const limits = { ...HTML_LIMITS, maxHeatBytes: 30_000 };
    expect(await runHtmlCommand(io, { input: trace(), output: out, schemes: undefined, strict: false, limits })).toBe(0);
    const data = pageData(readFileSync(out, 'utf8'));
    const levels = (d: PageData): number => d.heatmaps.reduce((n, m) => n + m.levels.length, 0);
    expect(levels(data)).toBeLessThan(levels(full));
    expect(data.downsampling.join('\n')).toMatch(/shown at most at \d+ x \d+ cells \(\d+ finer levels? left out to keep the page under about 5 MB\)/);
  });

  it('fails clearly on an empty recording', async () => {
    const empty = join(dir, 'empty.data');
    TraceWriter.create(empty, syntheticHeader({ nrSnapshots: 0, nrRegionsPerSnapshot: 10 })).close('timeout');
    const out = join(dir, 'empty.html');
    const r = await runMain(['report', 'html', '-i', empty, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/damo: .*empty\.data has no snapshots: there is nothing to draw/);
    expect(() => readFileSync(out)).toThrow();
  });

  it('shows only --tid, --time_range and --address_range, everywhere on the page', async () => {
    const two = join(dir, 'two-targets.data');
    await writeSyntheticTrace(two, { nrSnapshots: 200, nrRegionsPerSnapshot: 90, seed: 5, nrTargets: 2 });
    const out = join(dir, 'selected.html');
    const r = await runMain(['report', 'html', '-i', two, '-o', out, '--tid', '4243', '--time_range', '2s', '8s', '--address_range', '0x555500000000', '0x555510000000']);
    expect(r.code, r.stderr).toBe(0);
    const data = pageData(readFileSync(out, 'utf8'));
    // Target 1 (id 4243) only: its first snapshot ends at 200 ms (where report heats's time
    // axis starts), so 2s-8s is 2.2-8.2 s; its snapshots there end at 2.4, 2.6 ... 8.2 s.
    expect(data.heatmaps).toHaveLength(1);
    const m = data.heatmaps[0]!;
    expect(m.targetIndex).toBe(1);
    expect([m.addrStart, m.addrEnd]).toEqual([0x5555_0000_0000, 0x5555_1000_0000]);
    expect(m.timeStartNs).toBe(2.4e9);
    expect(m.timeEndNs).toBe(8.2e9);
    expect(data.series.map((s) => s.targetIndex)).toEqual([1]);
    const times = data.series[0]!.timesNs;
    expect([times[0], times[times.length - 1]]).toEqual([2.4e9, 8.2e9]);
    expect(times).toHaveLength(30);
    // Regions are cut at the range: no snapshot holds more than the 256 MiB asked for.
    expect(Math.max(...data.series[0]!.wssBytes)).toBeLessThanOrEqual(0x1000_0000);
    expect(data.wssDists.map((d) => d.targetIndex)).toEqual([1]);
    expect(new Map(data.facts).get('shown')).toMatch(/^only target id 4243 \(--tid\); time 2 s from the start to 8 s from the start \(--time_range; start 200000000 ns\); addresses 0x555500000000-0x555510000000/);
    // A -c simulation runs over the whole recording; its charts keep the selected time only.
    const sim = await runMain(['report', 'html', '-i', two, '-o', out, '--tid', '4243', '--time_range', '2s', '8s', '-c', '4K max 0 0 1s max pageout']);
    expect(sim.code, sim.stderr).toBe(0);
    const simData = pageData(readFileSync(out, 'utf8')).schemes!;
    expect(simData.timesNs.length).toBeGreaterThan(10);
    expect(simData.timesNs.every((t) => t > 2.2e9 && t <= 8.2e9)).toBe(true);
    expect(simData.schemes[0]!.szAppliedBytes).toHaveLength(simData.timesNs.length);
    expect(simData.notes.join('\n')).toMatch(/the simulation ran over the whole recording/);
    // Errors say what was asked and what there is.
    const noTid = await runMain(['report', 'html', '-i', two, '-o', out, '--tid', '9999']);
    expect(noTid.code).toBe(2);
    expect(noTid.stderr).toMatch(/has no target with id 9999[\s\S]*its target ids are: 4242, 4243/);
    const late = await runMain(['report', 'html', '-i', two, '-o', out, '--time_range', '60s', '70s']);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/no snapshot is left within time 1 m from the start to 1 m 10 s from the start \(--time_range\)/);
  });

  it('fails on a missing schemes file before reading the recording', async () => {
    const r = await runMain(['report', 'html', '-i', join(dir, 'nope.data'), '-o', join(dir, 'x.html'), '-c', join(dir, 'missing.damos')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/schemes file .*missing\.damos' does not exist/);
  });
});
