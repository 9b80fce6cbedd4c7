// SPDX-License-Identifier: GPL-2.0-only
/**
 * `damo report html` benchmark (issue 20): the 1,000,000-region synthetic recording (1,000
 * snapshots of 1,000 regions, seed 7), the built CLI in a child process under GNU time
 * (target: a page under 5 MB in under 2 s), then the page in headless Chromium (Debian's,
 * through puppeteer-core; skipped without it): time from navigation start to the first
 * painted heatmaps (target < 1 s) and until every heatmap shows the level its view needs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { projectRoot } from '../src/core/version.js';
import { writeSyntheticTrace } from '../src/format/synthetic.js';
import type { BenchResult } from './run.js';

const RUNS = 3;

interface PageTimes {
  firstPaintMs: number;
  settledMs: number;
}

async function pageTimes(page: string): Promise<PageTimes | null> {
  const { chromiumPath, CHROMIUM_ARGS } = (await import(pathToFileURL(join(projectRoot(), 'scripts/chromium.mjs')).href)) as {
    chromiumPath(): string | null;
    CHROMIUM_ARGS: string[];
  };
  const executablePath = chromiumPath();
  if (executablePath === null) return null;
  const puppeteer = (await import('puppeteer-core')).default;
  const browser = await puppeteer.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  let best: PageTimes = { firstPaintMs: Infinity, settledMs: Infinity };
  try {
    for (let i = 0; i < RUNS; i++) {
      const tab = await browser.newPage();
      await tab.setViewport({ width: 1280, height: 900 });
      await tab.goto(pathToFileURL(page).href);
      await tab.waitForFunction('document.body.dataset.ready === "1"', { timeout: 60_000 });
      await tab.waitForFunction('window.damoReport.heatmaps.every((h) => h.pending.size === 0 && h.drawnLevel === h.pickLevel())', { timeout: 60_000 });
      const t = (await tab.evaluate(
        '({ firstPaintMs: performance.getEntriesByName("damo-first-paint")[0].startTime, settledMs: performance.now() })',
      )) as PageTimes;
      best = { firstPaintMs: Math.min(best.firstPaintMs, t.firstPaintMs), settledMs: Math.min(best.settledMs, t.settledMs) };
      await tab.close();
    }
  } finally {
    await browser.close();
  }
  return best;
}

export async function run(): Promise<BenchResult[]> {
  if (!existsSync('/usr/bin/time')) throw new Error('the report html benchmark needs GNU time at /usr/bin/time');
  const dir = mkdtempSync(join(tmpdir(), 'damo-bench-html-'));
  const trace = join(dir, 'bench.damo');
  const page = join(dir, 'report.html');
  try {
    await writeSyntheticTrace(trace, { nrSnapshots: 1000, nrRegionsPerSnapshot: 1000, seed: 7 });
    const bin = join(projectRoot(), 'dist/src/cli/bin.cjs');
    let wall = Infinity;
    let cpu = Infinity;
    let rss = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB %M CPU %U %S', process.execPath, bin, 'report', 'html', '-i', trace, '-o', page], {
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
      });
      const s = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`damo report html failed (${r.status}): ${r.stderr}`);
      const m = /MAXRSS_KB (\d+) CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
      if (m === null) throw new Error(`no figures from GNU time: ${r.stderr}`);
      wall = Math.min(wall, s);
      cpu = Math.min(cpu, Number(m[2]) + Number(m[3]));
      rss = Math.max(rss, Number(m[1]) / 1024);
    }
    const size = statSync(page).size;
    const results: BenchResult[] = [
      { name: 'report html, 1M regions: page size', value: size, unit: 'B', target: '< 5,000,000', ok: size < 5_000_000 },
      { name: 'report html, 1M regions: wall (best of 3)', value: wall, unit: 's', target: '< 2', ok: wall < 2 },
      { name: 'report html, 1M regions: CPU user+sys (best of 3)', value: cpu, unit: 's' },
      { name: 'report html, 1M regions: peak RSS', value: rss, unit: 'MB' },
    ];
    const t = await pageTimes(page);
    if (t === null) {
      console.log('report_html: no chromium (scripts/install-test-deps.sh installs it); page timings skipped');
    } else {
      results.push(
        { name: 'page in headless Chromium: first paint (best of 3)', value: t.firstPaintMs, unit: 'ms', target: '< 1000', ok: t.firstPaintMs < 1000 },
        { name: 'page in headless Chromium: all heatmaps at their level', value: t.settledMs, unit: 'ms' },
      );
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
