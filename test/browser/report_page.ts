// SPDX-License-Identifier: GPL-2.0-only
/**
 * Driving a `damo report html` page in headless Chromium for the browser tests: open it from
 * disk (failing on any network request or page error), wait until its heatmaps are drawn,
 * and read a heatmap's view, axes and pixels, or a time chart's time span.
 */
import type { Browser, Page } from 'puppeteer-core';

import { CHROMIUM_ARGS } from '../../scripts/chromium.mjs';

export interface ViewInfo {
  t0: number;
  t1: number;
  a0: number;
  a1: number;
}

export type Rgb = [number, number, number];

interface PageHeatmap {
  pending: Map<string, unknown>;
  drawnLevel: number;
  pickLevel(): number;
  reset(): void;
}

export interface ReportWindow {
  damoReport: {
    data: { heatmaps: Array<{ addrStart: number; addrEnd: number; targetIndex: number; title: string }>; colourMap: number[] };
    heatmaps: PageHeatmap[];
  };
}

export async function launch(chromium: string): Promise<Browser> {
  const puppeteer = (await import('puppeteer-core')).default;
  return puppeteer.launch({ executablePath: chromium, headless: true, args: CHROMIUM_ARGS });
}

export class ReportPage {
  private constructor(readonly page: Page) {}

  /** Opens the page; `errors` collects page errors and any request that is not the file. */
  static async open(browser: Browser, html: string, errors: string[]): Promise<ReportPage> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.url().startsWith('file://')) void req.continue();
      else {
        errors.push(`request to ${req.url()}`);
        void req.abort();
      }
    });
    await page.goto('file://' + html);
    await page.waitForFunction(() => document.body.dataset.ready === '1', { timeout: 30_000 });
    const r = new ReportPage(page);
    await r.settled();
    return r;
  }

  /** Waits until every heatmap has inflated the tiles its view needs and drawn them. */
  async settled(): Promise<void> {
    await this.page.waitForFunction(
      () => (window as unknown as ReportWindow).damoReport.heatmaps.every((h) => h.pending.size === 0 && h.drawnLevel === h.pickLevel()),
      { timeout: 30_000 },
    );
  }

  async heatmapsData(): Promise<ReportWindow['damoReport']['data']['heatmaps']> {
    return this.page.evaluate(() =>
      (window as unknown as ReportWindow).damoReport.data.heatmaps.map((m) => ({ addrStart: m.addrStart, addrEnd: m.addrEnd, targetIndex: m.targetIndex, title: m.title })),
    );
  }

  async view(k: number): Promise<ViewInfo> {
    const v = await this.page.$eval(`#heatmap-${k}`, (e) => (e as HTMLElement).dataset.view!);
    const [t0, t1, a0, a1] = v.split(',').map(Number) as [number, number, number, number];
    return { t0, t1, a0, a1 };
  }

  /** The time span [ns, ns] a line chart shows. */
  async chartTime(id: string): Promise<[number, number]> {
    const v = await this.page.$eval(`#${id}`, (e) => (e as HTMLElement).dataset.xview!);
    return v.split(',').map(Number) as [number, number];
  }

  async ticks(selector: string): Promise<string[]> {
    return this.page.$$eval(selector, (es) => es.map((e) => e.textContent ?? ''));
  }

  /** Page coordinates of a (time, address) point on heatmap k in its current view. */
  async pointOf(k: number, t: number, a: number): Promise<{ x: number; y: number }> {
    const box = (await (await this.page.$(`#heatmap-${k} canvas.heat`))!.boundingBox())!;
    const v = await this.view(k);
    return { x: box.x + ((t - v.t0) / (v.t1 - v.t0)) * box.width, y: box.y + box.height - ((a - v.a0) / (v.a1 - v.a0)) * box.height };
  }

  /** RGB drawn at a (time, address) point of heatmap k. */
  async pixelAt(k: number, t: number, a: number): Promise<Rgb> {
    const box = (await (await this.page.$(`#heatmap-${k} canvas.heat`))!.boundingBox())!;
    const p = await this.pointOf(k, t, a);
    return this.page.$eval(
      `#heatmap-${k} canvas.heat`,
      (c, x, y) => {
        const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(Math.floor(x), Math.floor(y), 1, 1).data;
        return [d[0]!, d[1]!, d[2]!] as Rgb;
      },
      p.x - box.x,
      p.y - box.y,
    );
  }

  /** Painted (non-transparent) pixels of a chart's first canvas. */
  async paintedPixels(id: string): Promise<number> {
    return this.page.$eval(`#${id} canvas`, (c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
  }

  async facts(): Promise<Map<string, string>> {
    const rows = await this.page.$$eval('table.facts tr', (rs) => rs.map((r) => [r.children[0]!.textContent ?? '', r.children[1]!.textContent ?? ''] as [string, string]));
    return new Map(rows);
  }
}

export const brightness = (rgb: Rgb): number => rgb[0] + rgb[1] + rgb[2];
