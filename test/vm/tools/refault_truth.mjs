// SPDX-License-Identifier: GPL-2.0-only
// What a page-exact truth (wsstruth's file, test/vm/workloads/wsstruth.c) says about the
// refaults a pageout scheme must cause, and why a recording of regions can or cannot predict
// them (docs/ACCURACY.md, "Which pages come back: the page-exact truth").
//
//   node /vm/tools/refault_truth.mjs TRUTH [--min-age-s 2] [--span-s 3] [--sample-ms 25] [--aggr-samples 20]
//
// Prints one k=v line:
//   windows, window_ms          the truth's windows and their median length (mark to read)
//   pages                       distinct pages accessed in some window
//   present_pages               the most pages present at one window's read
//   accessed_share_pct          pages / present_pages: near 100 when the accesses reach
//                               (nearly) every page within the run, low when they keep to a
//                               subset (a hot set in a larger heap)
//   oracle_refault_mib          accesses that end an idle time of at least min_age: what a
//                               pageout scheme that knew every page (page out what was idle
//                               for min_age, nothing else) would see come back, each gap once
//   oracle_refault_pages        distinct pages among them; oracle_refault_repeat = mib / pages
//   sparse_band_share_pct       of 1 MiB bands x spans of span_s, those whose pages were each
//                               accessed in at most 10 % of the windows on average (the
//                               accesses DAMON's one sampled page per region rarely sees),
//                               weighted by pages
//   sparse_rate_pct             their mean share of pages accessed per window (median)
//   sparse_distinct_pct         their share of pages accessed at least once in the span (median)
//   spread_index                where the distinct share lies between the two ends a
//                               recording of regions cannot tell apart (median over sparse
//                               bands): 0 = the same pages in every window (distinct = rate),
//                               1 = new pages each window, independently
//                               (distinct = 1 - (1 - rate)^windows_per_span)
//   sighting_pct                the chance that a region of such pages shows nr_accesses > 0
//                               in one aggregation: per sampling interval q = 1 - (1 -
//                               rate)^(sample_ms / window_ms), then 1 - (1 - q)^aggr_samples
//                               (an estimate: accesses taken as spread evenly in time)
//   sim_share_pct               for such pages, what `damo simulate` counts per aggregation
//                               (1 - (1 - nr/max)^max of a region's paged-out pages when it
//                               shows nr accesses, src/schemes/simulate.ts noteReaccesses) as a
//                               share of what is touched (1 - (1 - q)^aggr_samples), both
//                               averaged over nr ~ Binomial(aggr_samples, q): under 100 means
//                               the simulation undercounts these pages' refaults
// Only windows and pages the truth saw: a page never accessed is not in the file.
//
// --table MIB: also a table, one row per MIB-sized band of address space (aligned; bands
// with no page seen left out), one column per span (the last one however short): the mean share of the
// band's pages accessed per window / the share accessed at least once in the span, in %
// (shares of the band's pages seen at any time).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const path = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
if (path === undefined) {
  console.error('usage: refault_truth.mjs TRUTH [--min-age-s S] [--span-s S] [--sample-ms MS] [--aggr-samples N] [--table MIB]');
  process.exit(2);
}
const minAgeNs = opt('--min-age-s', 2) * 1e9;
const spanNs = opt('--span-s', 3) * 1e9;
const sampleMs = opt('--sample-ms', 25);
const aggrSamples = opt('--aggr-samples', 20);
const SPARSE_RATE = 0.1;
const BAND_PAGES = 256;
const MIN_BAND_PAGES = 64;
const tableMiB = opt('--table', 0);

let pageShift = 12;
const windows = [];
let cur = null;
for (const line of readFileSync(path, 'utf8').split('\n')) {
  const w = line.split(' ');
  if (w[0] === '#') {
    const pb = /page_bytes=(\d+)/.exec(line);
    if (pb) pageShift = Math.log2(Number(pb[1]));
  } else if (w[0] === 'w') {
    // Each page's window runs from its mark to its read; the window as a whole from the
    // middle of one sweep to the middle of the other (as accuracy.mjs wss takes it).
    const t0 = (Number(w[2]) + Number(w[3])) / 2;
    const t1 = (Number(w[4]) + Number(w[5])) / 2;
    cur = { t0, t1, present: Number(w[6]), pages: [] };
    windows.push(cur);
  } else if (w[0] === 'r' && cur) {
    const a = Math.floor(Number(w[1]) / 2 ** pageShift);
    const b = Math.floor(Number(w[2]) / 2 ** pageShift);
    for (let p = a; p < b; p++) cur.pages.push(p);
  }
}
if (windows.length < 3) {
  console.error(`refault_truth: ${path}: ${windows.length} windows, need 3 or more`);
  process.exit(1);
}
const median = (a) => {
  if (a.length === 0) return NaN;
  const b = [...a].sort((x, y) => x - y);
  return b[Math.floor(b.length / 2)];
};
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'na');
const windowNs = median(windows.map((w) => w.t1 - w.t0));
const presentMax = Math.max(...windows.map((w) => w.present));

// The oracle's refaults: an access whose previous access of the same page ended an idle time
// of min_age or more (the page was idle from the end of the earlier window to the start of
// this one).
const lastEnd = new Map();
const refaulted = new Map();
let oracle = 0;
for (const w of windows) {
  for (const p of w.pages) {
    const prev = lastEnd.get(p);
    if (prev !== undefined && w.t0 - prev >= minAgeNs) {
      oracle += 1;
      refaulted.set(p, (refaulted.get(p) ?? 0) + 1);
    }
    lastEnd.set(p, w.t1);
  }
}

// Bands x spans: per-window rate against distinct share.
const bandPages = new Map();
for (const p of lastEnd.keys()) {
  const b = Math.floor(p / BAND_PAGES);
  bandPages.set(b, (bandPages.get(b) ?? 0) + 1);
}
const perSpan = Math.max(2, Math.round(spanNs / ((windows[windows.length - 1].t0 - windows[0].t0) / (windows.length - 1))));
const sparse = [];
let weightedAll = 0;
let weightedSparse = 0;
for (let s = 0; s + perSpan <= windows.length; s += perSpan) {
  const hits = new Map();
  const distinct = new Set();
  for (let k = s; k < s + perSpan; k++) {
    for (const p of windows[k].pages) {
      const b = Math.floor(p / BAND_PAGES);
      hits.set(b, (hits.get(b) ?? 0) + 1);
      distinct.add(p);
    }
  }
  const distinctPerBand = new Map();
  for (const p of distinct) {
    const b = Math.floor(p / BAND_PAGES);
    distinctPerBand.set(b, (distinctPerBand.get(b) ?? 0) + 1);
  }
  for (const [b, n] of bandPages) {
    if (n < MIN_BAND_PAGES) continue;
    weightedAll += n;
    const rate = (hits.get(b) ?? 0) / perSpan / n;
    if (rate <= 0 || rate > SPARSE_RATE) continue;
    weightedSparse += n;
    const d = (distinctPerBand.get(b) ?? 0) / n;
    const indep = 1 - (1 - rate) ** perSpan;
    sparse.push({ rate, d, spread: indep > rate ? Math.max(0, Math.min(1.5, (d - rate) / (indep - rate))) : NaN });
  }
}
if (tableMiB > 0) printTable(tableMiB);
const rate = median(sparse.map((x) => x.rate));
const q = 1 - (1 - rate) ** (sampleMs / (windowNs / 1e6));
console.log(
  [
    `windows=${windows.length}`,
    `window_ms=${fmt(windowNs / 1e6, 0)}`,
    `pages=${lastEnd.size}`,
    `present_pages=${presentMax}`,
    `accessed_share_pct=${fmt(presentMax > 0 ? (100 * lastEnd.size) / presentMax : NaN, 0)}`,
    `oracle_refault_mib=${fmt((oracle * 2 ** pageShift) / 2 ** 20)}`,
    `oracle_refault_pages=${refaulted.size}`,
    `oracle_refault_repeat=${fmt(refaulted.size > 0 ? oracle / refaulted.size : NaN, 2)}`,
    `sparse_band_share_pct=${fmt(weightedAll > 0 ? (100 * weightedSparse) / weightedAll : NaN, 0)}`,
    `sparse_rate_pct=${fmt(100 * rate, 1)}`,
    `sparse_distinct_pct=${fmt(100 * median(sparse.map((x) => x.d)), 0)}`,
    `spread_index=${fmt(median(sparse.map((x) => x.spread).filter(Number.isFinite)), 2)}`,
    `sighting_pct=${fmt(100 * (1 - (1 - q) ** aggrSamples), 0)}`,
    `sim_share_pct=${fmt(100 * simShare(q, aggrSamples), 0)}`,
    `min_age_s=${minAgeNs / 1e9} span_windows=${perSpan}`,
  ].join(' '),
);

function printTable(mib) {
  const per = Math.max(1, Math.round((mib * 2 ** 20) / 2 ** pageShift));
  const lo = 0;
  const seen = new Map();
  for (const p of lastEnd.keys()) {
    const b = Math.floor((p - lo) / per);
    seen.set(b, (seen.get(b) ?? 0) + 1);
  }
  const t0 = windows[0].t0;
  const head = [];
  // Every span, the last one however short (down to 2 windows): a late burst shows.
  const spans = [];
  for (let s = 0; windows.length - s >= 2; s += perSpan) spans.push([s, Math.min(s + perSpan, windows.length)]);
  for (const [a, b] of spans) head.push(`${fmt((windows[a].t0 - t0) / 1e9, 0)}-${fmt((windows[b - 1].t1 - t0) / 1e9, 0)} s`);
  console.log(`| band | pages seen | ${head.join(' | ')} |`);
  console.log(`|---|---|${head.map(() => '---|').join('')}`);
  for (const b of [...seen.keys()].sort((x, y) => x - y)) {
    const n = seen.get(b);
    const cells = [];
    for (const [a, e] of spans) {
      let hits = 0;
      const distinct = new Set();
      for (let k = a; k < e; k++) {
        for (const p of windows[k].pages) {
          if (Math.floor((p - lo) / per) !== b) continue;
          hits += 1;
          distinct.add(p);
        }
      }
      cells.push(`${fmt((100 * hits) / (e - a) / n, 0)} / ${fmt((100 * distinct.size) / n, 0)}`);
    }
    console.log(`| ${(b * per * 2 ** pageShift).toString(16)} | ${n} | ${cells.join(' | ')} |`);
  }
}

/** E[1 - (1 - nr/m)^m] / (1 - (1 - q)^m) for nr ~ Binomial(m, q). */
function simShare(q, m) {
  if (!(q > 0)) return NaN;
  let expected = 0;
  let choose = 1;
  for (let n = 0; n <= m; n++) {
    if (n > 0) choose = (choose * (m - n + 1)) / n;
    expected += choose * q ** n * (1 - q) ** (m - n) * (1 - (1 - n / m) ** m);
  }
  return expected / (1 - (1 - q) ** m);
}
