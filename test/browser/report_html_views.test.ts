// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report html` in headless Chromium, beyond one target: a two-target recording with
 * `-c` (a heatmap per target and range, a line per target, the scheme's charts), the linked
 * time zoom between heatmaps and time charts (and the switch that unlinks them), and a page
 * limited by --tid, --time_range and --address_range. Skipped, saying why, only when
 * chromium is not installed (scripts/install-test-deps.sh installs it).
 */
import { join } from 'node:path';

import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { chromiumPath } from '../../scripts/chromium.mjs';
import { writeSyntheticTrace } from '../../src/format/synthetic.js';
import { runMain } from '../cli/helpers.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { brightness, launch, ReportPage, type ViewInfo } from './report_page.js';

const chromium = chromiumPath();
const dir = fileTempDir('damo-html-views-');
const title = chromium
  ? `report html views in headless Chromium (${chromium})`
  : 'report html views in headless Chromium: SKIPPED, no chromium found (run scripts/install-test-deps.sh, or set CHROMIUM_PATH)';
if (!chromium) console.warn(`damo-ts: ${title}`);

// Two targets (ids 4242 and 4243) take turns: target 0 has the even snapshots (0-19.9 s),
// target 1 the odd ones (0.1-20 s), 100 ms each, the same three areas each. For snapshots
// 0-49 (0-5 s) the hot block is the lowest fifth or so of the heap-like area of both;
// for 50-99 it is in the stack-like area.
const HEAP_BASE = 0x5555_0000_0000;
const STACK_BASE = 0x7ffc_0000_0000;
const SCHEME = '4K max 0 0 1s max pageout';

describe.skipIf(!chromium)(title, () => {
  let browser: Browser;
  const trace = (): string => join(dir, 'two-targets.data');

  beforeAll(async () => {
    await writeSyntheticTrace(trace(), { nrSnapshots: 200, nrRegionsPerSnapshot: 90, seed: 5, nrTargets: 2 });
    browser = await launch(chromium!);
  });

  afterAll(async () => {
    await browser?.close();
  });

  describe('two targets and -c', () => {
    let p: ReportPage;
    let heap0 = -1;
    let heap1 = -1;
    const errors: string[] = [];

    beforeAll(async () => {
      const html = join(dir, 'two.html');
      const r = await runMain(['report', 'html', '-i', trace(), '-o', html, '-c', SCHEME]);
      expect(r.code, r.stderr).toBe(0);
      p = await ReportPage.open(browser, html, errors);
      const maps = await p.heatmapsData();
      heap0 = maps.findIndex((m) => m.targetIndex === 0 && m.addrStart === HEAP_BASE);
      heap1 = maps.findIndex((m) => m.targetIndex === 1 && m.addrStart === HEAP_BASE);
    });

    afterAll(async () => {
      await p?.page.close();
    });

    it('draws a heatmap per target and range, a line per target, and the scheme', async () => {
      expect(errors).toEqual([]);
      const maps = await p.heatmapsData();
      // Three contiguous areas per target, each target's hottest first.
      expect(maps.map((m) => m.targetIndex)).toEqual([0, 0, 0, 1, 1, 1]);
      expect(maps.filter((m) => m.addrStart === STACK_BASE)).toHaveLength(2);
      const titles = await p.ticks('#heatmaps h3');
      expect(titles.filter((t) => t.startsWith('pid 4242 (synthetic-0)'))).toHaveLength(3);
      expect(titles.filter((t) => t.startsWith('pid 4243 (synthetic-1)'))).toHaveLength(3);
      // Both targets' heaps are bright where the hot block is in the first 5 s, dark above it.
      for (const k of [heap0, heap1]) {
        const v = await p.view(k);
        const span = v.a1 - v.a0;
        expect(brightness(await p.pixelAt(k, 2e9, v.a0 + 0.05 * span))).toBeGreaterThan(450);
        expect(brightness(await p.pixelAt(k, 2e9, v.a0 + 0.6 * span))).toBeLessThan(120);
        expect(brightness(await p.pixelAt(k, 7.5e9, v.a0 + 0.05 * span))).toBeLessThan(120);
      }
      // One line and one legend entry per target on the time charts and the distribution.
      for (const id of ['wss-time', 'nr-regions-time', 'wss-dist-chart']) {
        expect(await p.ticks(`#${id} .legend span`)).toEqual(['pid 4242 (synthetic-0)', 'pid 4243 (synthetic-1)']);
        expect(await p.paintedPixels(id)).toBeGreaterThan(1000);
      }
      // The scheme's section: its line, and a chart with something drawn in it.
      // (the line as damo prints it back: the nr_accesses 0 0 of the input reads "min 0")
      expect(await p.ticks('#schemes h3')).toEqual(['scheme 0: 4K max min 0 1s max pageout']);
      expect(await p.paintedPixels('scheme-0')).toBeGreaterThan(1000);
      expect(await p.ticks('#scheme-0 .legend span')).toEqual(['applied per interval', expect.stringMatching(/\(in the effect's state\)$/)]);
    });

    it('zooms every heatmap and time chart to the time zoomed on one, and resets them all', async () => {
      const full0 = await p.view(heap0);
      const full1 = await p.view(heap1);
      const chartFull = await p.chartTime('wss-time');
      const schemeFull = await p.chartTime('scheme-0');
      const centre = await p.pointOf(heap0, (full0.t0 + full0.t1) / 2, (full0.a0 + full0.a1) / 2);
      await p.page.mouse.move(centre.x, centre.y);
      await p.page.mouse.wheel({ deltaY: -500 });
      await p.settled();
      const v0 = await p.view(heap0);
      expect(v0.t1 - v0.t0).toBeLessThan((full0.t1 - full0.t0) * 0.6);
      // The other target's heatmap shows the same time, its addresses as they were.
      const v1 = await p.view(heap1);
      expect(v1.t0).toBeCloseTo(Math.max(full1.t0, v0.t0), -3);
      expect(v1.t1).toBeCloseTo(Math.min(full1.t1, v0.t1), -3);
      expect([v1.a0, v1.a1]).toEqual([full1.a0, full1.a1]);
      // The time charts (working set, nr_regions, the scheme) show it too, with new ticks.
      for (const id of ['wss-time', 'nr-regions-time', 'scheme-0']) {
        const [c0, c1] = await p.chartTime(id);
        expect(c0).toBeCloseTo(v0.t0, -3);
        expect(c1).toBeCloseTo(v0.t1, -3);
      }
      expect(await p.ticks('#wss-time .x-tick')).not.toEqual([]);
      // Panning in time moves them all along.
      await p.page.mouse.down();
      await p.page.mouse.move(centre.x + 120, centre.y, { steps: 4 });
      await p.page.mouse.up();
      await p.settled();
      const panned = await p.view(heap0);
      expect(panned.t0).toBeLessThan(v0.t0);
      expect((await p.chartTime('wss-time'))[0]).toBeCloseTo(panned.t0, -3);
      expect((await p.view(heap1)).t0).toBeCloseTo(Math.max(full1.t0, panned.t0), -3);
      // Double-click resets every chart to its whole span.
      await p.page.mouse.click(centre.x, centre.y, { clickCount: 2 });
      await p.settled();
      expect(await p.view(heap0)).toEqual(full0);
      expect(await p.view(heap1)).toEqual(full1);
      expect(await p.chartTime('wss-time')).toEqual(chartFull);
      expect(await p.chartTime('scheme-0')).toEqual(schemeFull);
    });

    it('zooms one heatmap alone when the time axes are unlinked', async () => {
      const full1: ViewInfo = await p.view(heap1);
      const chartFull = await p.chartTime('wss-time');
      await p.page.click('#link-time');
      const full0 = await p.view(heap0);
      const centre = await p.pointOf(heap0, (full0.t0 + full0.t1) / 2, (full0.a0 + full0.a1) / 2);
      await p.page.mouse.move(centre.x, centre.y);
      await p.page.mouse.wheel({ deltaY: -500 });
      await p.settled();
      expect((await p.view(heap0)).t1 - (await p.view(heap0)).t0).toBeLessThan((full0.t1 - full0.t0) * 0.6);
      expect(await p.view(heap1)).toEqual(full1);
      expect(await p.chartTime('wss-time')).toEqual(chartFull);
      await p.page.mouse.click(centre.x, centre.y, { clickCount: 2 });
      await p.page.click('#link-time');
      await p.settled();
    });
  });

  describe('--tid, --time_range and --address_range', () => {
    let p: ReportPage;
    const errors: string[] = [];
    const A0 = HEAP_BASE;
    const A1 = HEAP_BASE + 0x1000_0000;

    beforeAll(async () => {
      const html = join(dir, 'selected.html');
      const r = await runMain(['report', 'html', '-i', trace(), '-o', html, '--tid', '4243', '--time_range', '2s', '8s', '--address_range', `0x${A0.toString(16)}`, `0x${A1.toString(16)}`]);
      expect(r.code, r.stderr).toBe(0);
      p = await ReportPage.open(browser, html, errors);
    });

    afterAll(async () => {
      await p?.page.close();
    });

    it('shows only that target, time and address range, at full resolution', async () => {
      expect(errors).toEqual([]);
      const maps = await p.heatmapsData();
      expect(maps).toHaveLength(1);
      expect(maps[0]!.targetIndex).toBe(1);
      // Target 1's first snapshot ends at 200 ms, where its time axis starts: 2s-8s is
      // 2.2-8.2 s, and its snapshots there end at 2.4 ... 8.2 s.
      const v = await p.view(0);
      expect(v).toEqual({ t0: 2.4e9, t1: 8.2e9, a0: A0, a1: A1 });
      expect(await p.page.$eval('#heatmap-0 .y-title:not(.r-title)', (e) => e.textContent)).toBe(`offset from 0x${A0.toString(16)} (MiB)`);
      const yTicks = (await p.ticks('#heatmap-0 .y-tick:not(.r-tick)')).map(Number);
      expect(Math.max(...yTicks)).toBeLessThanOrEqual(256);
      expect(Math.max(...yTicks)).toBeGreaterThanOrEqual(200);
      // The hot block fills the lowest ~64 MiB of the heap until 5 s, then leaves it.
      expect(brightness(await p.pixelAt(0, 3e9, A0 + 32 * 2 ** 20))).toBeGreaterThan(450);
      expect(brightness(await p.pixelAt(0, 3e9, A0 + 200 * 2 ** 20))).toBeLessThan(120);
      expect(brightness(await p.pixelAt(0, 6.5e9, A0 + 32 * 2 ** 20))).toBeLessThan(120);
      // One series, over the selected time only.
      expect(await p.ticks('#wss-time .legend span')).toEqual([]);
      const [c0, c1] = await p.chartTime('wss-time');
      expect(c0).toBeGreaterThanOrEqual(2.2e9);
      expect(c1).toBeLessThanOrEqual(8.2e9);
      expect((await p.facts()).get('shown')).toMatch(/^only target id 4243 \(--tid\); time 2 s from the start to 8 s from the start/);
    });
  });
});
