// SPDX-License-Identifier: GPL-2.0-only
// Opens a page written by `damo report html` in headless Chromium and prints how long it
// took to paint its heatmaps (the page's 'damo-first-paint' mark, measured from navigation
// start) and until every heatmap drew the level its view needs; optionally saves a
// screenshot. Used for the figures in docs/PERFORMANCE.md and the README's screenshot.
//
// Usage: node scripts/report-html-page.mjs PAGE.html [--screenshot OUT.png] [--runs N]
//        [--width PX] [--height PX] [--full-page] [--hover FT,FA]
/* global document, window, performance -- the functions given to page.evaluate run in the page */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import puppeteer from 'puppeteer-core';

import { CHROMIUM_ARGS, chromiumPath } from './chromium.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    screenshot: { type: 'string' },
    runs: { type: 'string', default: '1' },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '900' },
    'full-page': { type: 'boolean', default: false },
    // Before the screenshot, point at this fraction (time, address) of the first heatmap.
    hover: { type: 'string' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node scripts/report-html-page.mjs PAGE.html [--screenshot OUT.png] [--runs N] [--width PX] [--height PX] [--full-page] [--hover FT,FA]');
  process.exit(2);
}
const executablePath = chromiumPath();
if (executablePath === null) {
  console.error('report-html-page: no chromium found; run scripts/install-test-deps.sh or set CHROMIUM_PATH');
  process.exit(1);
}
const url = 'file://' + resolve(positionals[0]);
const browser = await puppeteer.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
try {
  for (let run = 1; run <= Number(values.runs); run++) {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', String(e)));
    await page.setViewport({ width: Number(values.width), height: Number(values.height), deviceScaleFactor: 1 });
    await page.goto(url);
    await page.waitForFunction(() => document.body.dataset.ready === '1', { timeout: 60_000 });
    await page.waitForFunction(
      () => window.damoReport.heatmaps.every((h) => h.pending.size === 0 && h.drawnLevel === h.pickLevel()),
      { timeout: 60_000 },
    );
    const t = await page.evaluate(() => ({
      firstPaintMs: performance.getEntriesByName('damo-first-paint')[0].startTime,
      settledMs: performance.now(),
      domContentLoadedMs: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
    }));
    console.log(
      `run ${run}: DOMContentLoaded ${t.domContentLoadedMs.toFixed(0)} ms, first paint ${t.firstPaintMs.toFixed(0)} ms, ` +
        `all heatmaps at their level ${t.settledMs.toFixed(0)} ms (from navigation start)`,
    );
    if (values.hover) {
      const [fx, fy] = values.hover.split(',').map(Number);
      const box = await (await page.$('#heatmap-0 canvas.overlay')).boundingBox();
      await page.mouse.move(box.x + fx * box.width, box.y + (1 - fy) * box.height);
      await page.waitForFunction(() => document.getElementById('tooltip').style.display === 'block');
    }
    if (values.screenshot && run === 1) {
      await page.screenshot({ path: values.screenshot, fullPage: values['full-page'] });
      console.log(`saved ${values.screenshot}`);
    }
    await page.close();
  }
} finally {
  await browser.close();
}
