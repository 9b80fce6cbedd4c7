// SPDX-License-Identifier: GPL-2.0-only
/**
 * test/vm/tools/refault_truth.mjs (docs/ACCURACY.md, "Which pages come back: the page-exact
 * truth") on wsstruth files written here, whose answers are known: the VM scenario prints
 * its figures unjudged, so this is where they are checked.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const TOOL = join(__dirname, '../vm/tools/refault_truth.mjs');
const dir = mkdtempSync(join(tmpdir(), 'refault-truth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PAGE = 4096;
const BASE = 0x7f0000000000;
const WINDOW_NS = 100e6;

/** A wsstruth file: window k accesses the pages pagesOf(k) (page numbers from BASE), `present` present. */
function truthFile(name: string, nWindows: number, present: number, pagesOf: (k: number) => number[]): string {
  const lines = [`# wsstruth pid=1 interval_ms=100 page_bytes=${PAGE}`];
  for (let k = 0; k < nWindows; k++) {
    const t = 1e9 + k * WINDOW_NS;
    const pages = [...new Set(pagesOf(k))].sort((a, b) => a - b);
    // mark [t, t+1ms], read [t+99ms, t+100ms]: a window of ~99 ms
    lines.push(`w ${k} ${t} ${t + 1e6} ${t + 99e6} ${t + 100e6} ${present} ${pages.length} 0 0`);
    for (const p of pages) lines.push(`r ${BASE + p * PAGE} ${BASE + (p + 1) * PAGE}`);
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function run(path: string, ...extra: string[]): Record<string, string> {
  const r = spawnSync(process.execPath, [TOOL, path, ...extra], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  return Object.fromEntries(last.split(' ').map((kv) => kv.split('=') as [string, string]));
}

/** A small deterministic generator (the test must not depend on Math.random's seed). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('refault_truth.mjs', () => {
  it('counts an access after an idle time of min_age as one oracle refault, a shorter gap as none', () => {
    // page 0: windows 0 and 30 (2.9 s idle) -> 1; page 1: windows 0 and 15 (1.4 s) -> 0;
    // page 2: every window -> 0; page 3: windows 0, 25, 50 (2.4 s each) -> 2
    const path = truthFile('gaps', 60, 4, (k) => [
      ...(k === 0 || k === 30 ? [0] : []),
      ...(k === 0 || k === 15 ? [1] : []),
      2,
      ...(k % 25 === 0 ? [3] : []),
    ]);
    const o = run(path, '--min-age-s', '2');
    expect(o.oracle_refault_pages).toBe('2');
    expect(Number(o.oracle_refault_mib)).toBeCloseTo((3 * PAGE) / 2 ** 20, 1);
    expect(o.oracle_refault_repeat).toBe('1.50');
    expect(o.pages).toBe('4');
  });

  it('tells new pages in every window (spread index near 1) from the same pages (near 0)', () => {
    const nPages = 2048;
    const rand = lcg(7);
    // new pages: each page accessed in a window with chance 4 %, independently
    const fresh = truthFile('fresh', 90, nPages, () => {
      const out: number[] = [];
      for (let p = 0; p < nPages; p++) if (rand() < 0.04) out.push(p);
      return out;
    });
    // same pages: the same 4 % of every band in every window (and the rest once, at the
    // start, so that the pages exist in the file)
    const same = truthFile('same', 90, nPages, (k) => {
      const out: number[] = [];
      for (let p = 0; p < nPages; p++) if (k === 0 || p % 256 < 10) out.push(p);
      return out;
    });
    const f = run(fresh, '--span-s', '3');
    const s = run(same, '--span-s', '3');
    expect(Number(f.spread_index)).toBeGreaterThan(0.8);
    expect(Number(s.spread_index)).toBeLessThan(0.2);
    expect(Number(f.sparse_rate_pct)).toBeCloseTo(4, 0);
    // Seen in a 20-sample aggregation of 25 ms samples: 1 - (1 - q)^20 with q from 4 % per ~99 ms.
    const q = 1 - 0.96 ** (25 / 99);
    expect(Number(f.sighting_pct)).toBeCloseTo(100 * (1 - (1 - q) ** 20), -1);
    // one sighting of 20 takes 64 % of a region's paged-out pages where (nearly) all of
    // them were touched: the simulation's share of these refaults is about two thirds
    expect(Number(f.sim_share_pct)).toBeGreaterThan(60);
    expect(Number(f.sim_share_pct)).toBeLessThan(72);
    // every page had 90 chances of 4 %: all but about 1 - 0.96^90 = 97.5 % of them seen
    expect(Number(f.accessed_share_pct)).toBeGreaterThanOrEqual(95);
  });

  it('says how much of what was present the accesses reached', () => {
    const path = truthFile('subset', 30, 1000, () => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const o = run(path);
    expect(o.present_pages).toBe('1000');
    expect(o.accessed_share_pct).toBe('1');
  });

  it('prints a band table with --table', () => {
    const path = truthFile('table', 30, 512, (k) => (k < 15 ? [0, 1] : [300]));
    const r = spawnSync(process.execPath, [TOOL, path, '--table', '1', '--span-s', '1.5'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| 7f'));
    expect(rows).toEqual([
      // band 0 (pages 0 and 1): both every window in the first span, none in the second
      '| 7f0000000000 | 2 | 100 / 100 | 0 / 0 |',
      // band 1 (page 300)
      '| 7f0000100000 | 1 | 0 / 0 | 100 / 100 |',
    ]);
  });

  it('refuses a file with too few windows', () => {
    const path = truthFile('short', 2, 1, () => [0]);
    const r = spawnSync(process.execPath, [TOOL, path], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/2 windows, need 3 or more/);
  });
});
