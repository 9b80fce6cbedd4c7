// SPDX-License-Identifier: GPL-2.0-only
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { pngSize } from '../../src/plot/png.js';
import { runMain } from './helpers.js';
import { damoFixture } from '../fixtures/damo_fixtures.js';

const DAMON_DATA = damoFixture('damo-3.3.0-tests-report/damon.data');
const dir = mkdtempSync(join(tmpdir(), 'damo-plot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--plot of report wss and nr_regions', () => {
  it('draws the wss distribution as a PNG instead of printing it', async () => {
    const out = join(dir, 'wss.png');
    const r = await runMain(['report', 'wss', '-i', DAMON_DATA, '--plot', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`wrote ${out}`);
    expect(pngSize(readFileSync(out))).toEqual({ width: 760, height: 500 });
  });

  it('draws wss over time as SVG with axes in real units', async () => {
    const out = join(dir, 'wss.svg');
    const r = await runMain(['report', 'wss', '-i', DAMON_DATA, '--sortby', 'time', '--plot', out]);
    expect(r.code).toBe(0);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain('Working set size, over time');
    expect(svg).toContain('>runtime (%)</text>');
    expect(svg).toContain('>working set size (MiB)</text>');
    // 543 snapshots minus the 20 damo skips.
    expect(svg).toContain('523 snapshots');
    expect(svg.match(/<polyline class="series"/g)).toHaveLength(1);
  });

  it('draws the nr_regions distribution', async () => {
    const out = join(dir, 'nr.svg');
    const r = await runMain(['report', 'nr_regions', '-i', DAMON_DATA, '--plot', out]);
    expect(r.code).toBe(0);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain('Number of DAMON regions, distribution over snapshots');
    expect(svg).toContain('>percentile of snapshots</text>');
    expect(svg).toContain('>regions</text>');
  });

  it('rejects an unsupported image type before reading the input', async () => {
    const r = await runMain(['report', 'nr_regions', '-i', join(dir, 'missing'), '--plot', join(dir, 'x.bmp')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'.bmp' images are not supported");
  });
});
