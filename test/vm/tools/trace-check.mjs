// SPDX-License-Identifier: GPL-2.0-only
// Compares a recording (any format damo-ts reads) with hotblock's timeline, inside the VM:
//   node /vm/tools/trace-check.mjs TRACE TIMELINE [--settle-ms 1000] [--skip-pct 20]
// Prints one line of key=value:
//   source snapshots regions_last rate_per_s evaluated
//   wss_mib (median over evaluated snapshots of the bytes with nr_accesses > 0)
//   hot_mib wss_err_pct (|wss - hot| / hot)
//   recall_pct precision_pct (mean per evaluated snapshot: part of the true hot block
//   covered by accessed regions / part of the accessed regions inside it)
//   located_pct (evaluated snapshots whose recall is >= 50 %)
// Evaluated snapshots: not in the first --skip-pct % (DAMON is adapting its regions), and
// starting at least --settle-ms after the block last moved (a snapshot that straddles a
// move, or follows it too closely, sees two blocks). The truth for a snapshot is the block
// in place at its start. Times: the trace's monotonic clock (baseTimeNs + endNs) against
// the timeline's CLOCK_MONOTONIC column. For a paddr recording (no virtual addresses to
// compare) only the wss figures mean anything.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const [tracePath, timelinePath] = args;
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const settleNs = opt('--settle-ms', 1000) * 1e6;
const skipPct = opt('--skip-pct', 20);
if (!tracePath || !timelinePath) {
  console.error('usage: trace-check.mjs TRACE TIMELINE [--settle-ms N] [--skip-pct N]');
  process.exit(2);
}

const moves = [];
let hotBytes = 0;
for (const line of readFileSync(timelinePath, 'utf8').split('\n')) {
  const w = line.split(' ');
  if (w[0] === 'hot') {
    moves.push({ t: Number(w[1]), start: Number(w[3]), end: Number(w[4]) });
    hotBytes = Number(w[4]) - Number(w[3]);
  }
}

const { openTrace } = await import('/damo/dist/src/format/open.js');
const trace = await openTrace(tracePath);
const header = trace.header;
const base = Number(header.baseTimeNs ?? 0n);
const snaps = [];
for await (const s of trace.snapshots()) snaps.push(s);

const median = (a) => {
  if (a.length === 0) return 0;
  const b = [...a].sort((x, y) => x - y);
  return b[Math.floor(b.length / 2)];
};

const firstEval = Math.ceil((snaps.length * skipPct) / 100);
const wss = [];
let recallSum = 0;
let precisionSum = 0;
let located = 0;
let evaluated = 0;
for (let k = firstEval; k < snaps.length; k++) {
  const s = snaps[k];
  const t0 = base + s.startNs;
  let m = -1;
  for (let i = 0; i < moves.length; i++) if (moves[i].t <= t0) m = i;
  if (m < 0 || t0 - moves[m].t < settleNs) continue;
  if (m + 1 < moves.length && moves[m + 1].t < base + s.endNs) continue;
  const hot = moves[m];
  let accessed = 0;
  let overlap = 0;
  for (let i = 0; i < s.starts.length; i++) {
    if (s.nrAccesses[i] <= 0) continue;
    accessed += s.ends[i] - s.starts[i];
    const lo = Math.max(s.starts[i], hot.start);
    const hi = Math.min(s.ends[i], hot.end);
    if (hi > lo) overlap += hi - lo;
  }
  evaluated++;
  wss.push(accessed);
  const recall = overlap / (hot.end - hot.start);
  recallSum += recall;
  precisionSum += accessed > 0 ? overlap / accessed : 0;
  if (recall >= 0.5) located++;
}

const last = snaps[snaps.length - 1];
const spanNs = snaps.length > 1 ? last.endNs - snaps[0].endNs : 0;
const wssMedian = median(wss);
const pct = (x) => Math.round(x * 100);
const out = {
  source: header.source,
  snapshots: snaps.length,
  regions_last: last ? last.starts.length : 0,
  rate_per_s: spanNs > 0 ? ((snaps.length - 1) / (spanNs / 1e9)).toFixed(2) : 0,
  evaluated,
  wss_mib: (wssMedian / 2 ** 20).toFixed(1),
  hot_mib: hotBytes / 2 ** 20,
  wss_err_pct: hotBytes ? pct(Math.abs(wssMedian - hotBytes) / hotBytes) : -1,
  recall_pct: evaluated ? pct(recallSum / evaluated) : 0,
  precision_pct: evaluated ? pct(precisionSum / evaluated) : 0,
  located_pct: evaluated ? pct(located / evaluated) : 0,
};
console.log(
  Object.entries(out)
    .map(([k, v]) => `${k}=${v}`)
    .join(' '),
);
