// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report html` in a real browser: headless Chromium (Debian's package, through
 * puppeteer-core) loads the page from disk, and the tests check the drawn pixels against
 * the synthetic recording's known hot block, zoom with the wheel and see the axes change,
 * box-zoom, pan, reset, hover and read the tooltip, follow the linked hover, and save a
 * screenshot. Skipped, saying why, only when chromium is not installed
 * (scripts/install-test-deps.sh installs it).
 */
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeSyntheticTrace } from '../../src/format/synthetic.js';
import { runMain } from '../cli/helpers.js';
import { fileTempDir } from '../fixtures/temp_dir.js';
import { chromiumPath } from '../../scripts/chromium.mjs';
import { brightness, launch, ReportPage, type Rgb, type ViewInfo } from './report_page.js';

const chromium = chromiumPath();
const dir = fileTempDir('damo-html-browser-');
const title = chromium
  ? `report html in headless Chromium (${chromium})`
  : 'report html in headless Chromium: SKIPPED, no chromium found (run scripts/install-test-deps.sh, or set CHROMIUM_PATH)';
if (!chromium) console.warn(`damo-ts: ${title}`);

// CI (.ci/run) installs chromium and sets this: there the tests must run, not skip.
describe.runIf(!chromium && process.env.DAMO_REQUIRE_CHROMIUM === '1')('report html in headless Chromium (required)', () => {
  it('finds chromium', () => {
    expect.fail('DAMO_REQUIRE_CHROMIUM=1 but no chromium was found: run scripts/install-test-deps.sh or set CHROMIUM_PATH');
  });
});

// The synthetic recording (src/format/synthetic.ts): 90 regions in three areas of 30, the
// first at the heap-like base; for snapshots 0-49 the hot block is region positions
// [0, 1/16) of all 90, i.e. the first ~6 of the heap area's 30 regions (about its lowest
// fifth), accessed at the highest frequency; then it moves to the stack-like area.
const NR_SNAPSHOTS = 200;
const AGGR_NS = 100e6;

describe.skipIf(!chromium)(title, () => {
  let browser: Browser;
  let page: Page;
  const html = (): string => join(dir, 'report.html');
  // Heatmaps are ordered hottest first; find the heap-like and stack-like ranges by address.
  let HEAP = -1;
  let STACK = -1;

  let rp: ReportPage;
  const errors: string[] = [];

  beforeAll(async () => {
    const trace = join(dir, 'synthetic.data');
    await writeSyntheticTrace(trace, { nrSnapshots: NR_SNAPSHOTS, nrRegionsPerSnapshot: 90, seed: 5 });
    const r = await runMain(['report', 'html', '-i', trace, '-o', html()]);
    expect(r.code, r.stderr).toBe(0);
    browser = await launch(chromium!);
    // Fails any request that is not the file itself: the page must not touch the network.
    rp = await ReportPage.open(browser, html(), errors);
    page = rp.page;
    expect(errors).toEqual([]);
    const starts = (await rp.heatmapsData()).map((m) => m.addrStart);
    HEAP = starts.indexOf(0x5555_0000_0000);
    STACK = starts.indexOf(0x7ffc_0000_0000);
    expect(HEAP).toBeGreaterThanOrEqual(0);
    expect(STACK).toBeGreaterThanOrEqual(0);
  });

  afterAll(async () => {
    await browser?.close();
  });

  const settled = (): Promise<void> => rp.settled();
  const view = (k: number): Promise<ViewInfo> => rp.view(k);
  const xTicks = (k: number): Promise<string[]> => rp.ticks(`#heatmap-${k} .x-tick`);
  const yTicks = (k: number): Promise<string[]> => rp.ticks(`#heatmap-${k} .y-tick:not(.r-tick)`);
  const pointOf = (k: number, t: number, a: number): Promise<{ x: number; y: number }> => rp.pointOf(k, t, a);
  const pixelAt = (k: number, t: number, a: number): Promise<Rgb> => rp.pixelAt(k, t, a);

  it('draws the known hot block bright and the rest dark, in the PNG colour map', async () => {
    const full = await view(HEAP);
    const span = full.a1 - full.a0;
    const t = full.t0 + 2 * 1e9; // 2 s into the first phase (snapshots 0-49 last 5 s)
    const hot = await pixelAt(HEAP, t, full.a0 + 0.05 * span);
    const coldHigher = await pixelAt(HEAP, t, full.a0 + 0.6 * span);
    const coldLater = await pixelAt(HEAP, full.t0 + 7.5e9, full.a0 + 0.05 * span);
    // inferno: level 255 is (252, 255, 164); no access is (0, 0, 4).
    expect(brightness(hot)).toBeGreaterThan(450);
    expect(brightness(coldHigher)).toBeLessThan(120);
    expect(brightness(coldLater)).toBeLessThan(120);
    const lut = await page.evaluate(() => (window as unknown as { damoReport: { data: { colourMap: number[] } } }).damoReport.data.colourMap);
    const inLut = (rgb: number[]): boolean => {
      for (let l = 0; l < 256; l++) if (lut[l * 3] === rgb[0] && lut[l * 3 + 1] === rgb[1] && lut[l * 3 + 2] === rgb[2]) return true;
      return false;
    };
    expect(inLut(hot) && inLut(coldHigher) && inLut(coldLater)).toBe(true);
    // After 5 s the block is in the stack-like area (third heatmap), not in the heap.
    const stack = await view(STACK);
    let brightest = 0;
    for (let f = 0.02; f < 1; f += 0.04) brightest = Math.max(brightest, brightness(await pixelAt(STACK, stack.t0 + 7.5e9, stack.a0 + f * (stack.a1 - stack.a0))));
    expect(brightest).toBeGreaterThan(450);
  });

  it('labels the axes as the PNG does', async () => {
    const x = await xTicks(HEAP);
    expect(x[0]).toBe('0');
    expect(x.map(Number).every(Number.isFinite)).toBe(true);
    expect(await page.$eval(`#heatmap-${HEAP} .x-title`, (e) => e.textContent)).toBe('time (s)');
    expect(await page.$eval(`#heatmap-${HEAP} .y-title:not(.r-title)`, (e) => e.textContent)).toMatch(/^offset from 0x555500000000 \(MiB\)$/);
    // Colour bar: 0 to the highest cell (nr_accesses of 20 samples per aggregation).
    const r = await page.$$eval(`#heatmap-${HEAP} .r-tick`, (es) => es.map((e) => Number(e.textContent)));
    expect(r[0]).toBe(0);
    expect(Math.max(...r)).toBeLessThanOrEqual(20);
  });

  it('zooms with the wheel around the pointer, and the axes change', async () => {
    const before = await view(HEAP);
    const ticksBefore = await xTicks(HEAP);
    const yBefore = await yTicks(HEAP);
    const centre = await pointOf(HEAP, (before.t0 + before.t1) / 2, (before.a0 + before.a1) / 2);
    await page.mouse.move(centre.x, centre.y);
    await page.mouse.wheel({ deltaY: -400 });
    await settled();
    const after = await view(HEAP);
    expect(after.t1 - after.t0).toBeLessThan((before.t1 - before.t0) * 0.7);
    expect(after.a1 - after.a0).toBeLessThan((before.a1 - before.a0) * 0.7);
    // The point under the pointer stays put.
    expect(Math.abs((after.t0 + after.t1) / 2 - (before.t0 + before.t1) / 2)).toBeLessThan((before.t1 - before.t0) * 0.01);
    expect(await xTicks(HEAP)).not.toEqual(ticksBefore);
    expect(await yTicks(HEAP)).not.toEqual(yBefore);
    // Drag pans: right by 100 px moves the view earlier in time.
    await page.mouse.down();
    await page.mouse.move(centre.x + 100, centre.y, { steps: 4 });
    await page.mouse.up();
    await settled();
    const panned = await view(HEAP);
    expect(panned.t0).toBeLessThan(after.t0);
    expect(panned.t1 - panned.t0).toBeCloseTo(after.t1 - after.t0, -3);
    // Double-click resets.
    await page.mouse.click(centre.x, centre.y, { clickCount: 2 });
    await settled();
    expect(await view(HEAP)).toEqual(before);
    expect(await xTicks(HEAP)).toEqual(ticksBefore);
  });

  it('zooms to a Shift-dragged box', async () => {
    const full = await view(HEAP);
    const tA = full.t0 + 1e9;
    const tB = full.t0 + 4e9;
    const aA = full.a0 + 0.1 * (full.a1 - full.a0);
    const aB = full.a0 + 0.3 * (full.a1 - full.a0);
    const p0 = await pointOf(HEAP, tA, aB);
    const p1 = await pointOf(HEAP, tB, aA);
    await page.keyboard.down('Shift');
    await page.mouse.move(p0.x, p0.y);
    await page.mouse.down();
    await page.mouse.move(p1.x, p1.y, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await settled();
    const v = await view(HEAP);
    const pxT = (full.t1 - full.t0) / 800;
    const pxA = (full.a1 - full.a0) / 380;
    expect(Math.abs(v.t0 - tA)).toBeLessThan(3 * pxT);
    expect(Math.abs(v.t1 - tB)).toBeLessThan(3 * pxT);
    expect(Math.abs(v.a0 - aA)).toBeLessThan(3 * pxA);
    expect(Math.abs(v.a1 - aB)).toBeLessThan(3 * pxA);
    // Zoomed in this far, a finer level of the pyramid is drawn.
    const level = await page.$eval(`#heatmap-${HEAP}`, (e) => Number((e as HTMLElement).dataset.level));
    expect(level).toBeGreaterThan(0);
    // Still bright: the box is inside the hot block.
    expect(brightness(await pixelAt(HEAP, full.t0 + 2e9, full.a0 + 0.15 * (full.a1 - full.a0)))).toBeGreaterThan(450);
    await page.evaluate((k) => (window as unknown as { damoReport: { heatmaps: Array<{ reset(): void }> } }).damoReport.heatmaps[k]!.reset(), HEAP);
    await settled();
  });

  it('reads out the hovered cell and shows the time on the other charts', async () => {
    const full = await view(HEAP);
    // The pointer must be inside the viewport: bring the heatmap there first.
    await page.$eval(`#heatmap-${HEAP}`, (e) => e.scrollIntoView({ block: 'center' }));
    const p = await pointOf(HEAP, full.t0 + 2e9, full.a0 + 0.05 * (full.a1 - full.a0));
    await page.mouse.move(p.x, p.y);
    await page.waitForFunction(() => document.getElementById('tooltip')!.style.display === 'block' && !/loading/.test(document.getElementById('tooltip')!.textContent ?? ''));
    const text = await page.$eval('#tooltip', (e) => e.textContent ?? '');
    expect(text).toMatch(/^time {6}\d+(\.\d+)? (s|ms) – \d+(\.\d+)? (s|ms) \(from the heatmap's start\)$/m);
    expect(text).toMatch(/^address {3}0x5555[0-9a-f]+ – 0x5555[0-9a-f]+ \([\d.]+ (KiB|MiB)\)$/m);
    const freq = /^frequency (\d+(?:\.\d+)?) \(±[\d.]+, colour level (\d+)\/255\) nr_accesses, cell average$/m.exec(text);
    expect(freq, text).not.toBeNull();
    expect(Number(freq![1])).toBeGreaterThan(15); // hot regions have 19 or 20 of 20 samples
    expect(text).toMatch(/^age {7}\d+ aggregation intervals \([\d.]+ m?s\), cell average$/m);
    // Linked hover: the WSS-over-time chart marks the same time.
    const marked = await page.$eval('#wss-time canvas:last-of-type', (c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    expect(marked).toBeGreaterThan(100);
    await page.mouse.move(1, 1);
  });

  it('shows the facts and saves a screenshot', async () => {
    const byKey = await rp.facts();
    expect(byKey.get('source')).toBe('synthetic');
    expect(byKey.get('intervals asked')).toBe('sampling 5 ms, aggregation 100 ms, ops update 1 s');
    expect(byKey.get('duration')).toBe(`${((NR_SNAPSHOTS * AGGR_NS) / 1e9).toFixed(3)} s (first snapshot start to last snapshot end)`);
    const shot = join(dir, 'report-html.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    if (process.env.DAMO_SCREENSHOT_DIR) copyFileSync(shot, join(process.env.DAMO_SCREENSHOT_DIR, 'report-html-synthetic.png'));
  });
});
