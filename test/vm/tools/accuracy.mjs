// SPDX-License-Identifier: GPL-2.0-only
// Judges recordings and scheme simulations of real workloads inside the VM
// (scenarios 5x-accuracy-*, docs/ACCURACY.md). Prints one line of key=value.
//
//   node /vm/tools/accuracy.mjs wss TRUTH RECORDING [--skip-s 3] [--union] [--verbose]
//     TRUTH is wsstruth's output (page-exact accessed pages per window, idle page
//     tracking; a window runs from the middle of its mark sweep to the middle of its read
//     sweep). Snapshots of the first --skip-s seconds (DAMON adapting its regions) are
//     left out. Each remaining snapshot's working set (its regions with nr_accesses > 0) is
//     paired with the truth window it overlaps most; with --union (aggregation interval
//     shorter than the truth's window), each window is paired with the union of the
//     snapshots whose middle falls in it instead (damo's working set over a time window).
//     Prints samples (pairs), truth_p50_mib / rec_p50_mib, wss_err_p50/_p75/_p90_pct
//     (the recorded working set's percentile against the truth's, as the kernel selftest
//     and damo compare judge working sets), pair_err_p50_pct (median of the per-pair
//     |recorded - truth| / truth), recall_pct (part of the truth's accessed pages inside
//     the recorded working set) and precision_pct (part of the recorded working set the
//     truth saw accessed), both medians over the pairs, regions (median per snapshot),
//     truth_window_ms.
//
//   node /vm/tools/accuracy.mjs sim SIM_JSON KEY=MEASURED...
//     SIM_JSON is `damo simulate --json` (one scheme). Each KEY names a prediction:
//       sz_applied       stats.sz_applied                (kernel: the scheme's sz_applied)
//       out_bytes        effects.final_bytes             (measured: target's VmSwap at the end)
//       refault_bytes    effects.reaccessed_bytes        (measured: the target's majflt delta x 4 KiB)
//       out_avg_bytes    the timeline's effect_bytes averaged over time (measured: `rssavg`
//                        of the schemes run's rss_sampler file: VmSwap + RssShmem drop)
//     With refault_bytes it also prints refault_same_pages_pred_mib, not judged: the
//     refaults if every sampling interval accessed the same pages
//     (effects.reaccessed_bytes_same_pages, the simulation's other end), and
//     refault_image_whole_pred_mib, the refaults in program images over the whole
//     recording (effects.reaccessed_image_bytes; recordings with the program-images event),
//     and refault_sparse_whole_pred_mib, those taken on regions seen accessed in at most a
//     tenth of an aggregation's samples, over the whole recording (effects.reaccessed_sparse_bytes).
//     and prints KEY_pred_mib KEY_meas_mib KEY_err_pct (|pred - meas| / meas; when both
//     are under 1 MiB the error is 0: nothing predicted, nothing happened), and
//     max_err_pct over the keys given.
//     --until_ns N: predict only the first N ns of the recording (the kernel run's own
//     length, its elapsed_ns): sz_applied and refaults summed over the timeline up to
//     there, out_bytes the bytes out of memory there. The recorder's kdamond can run longer
//     than the schemes run (30 s against 21 s in one VM run), and sz_applied grows with it.
//     --bytes: also KEY_pred_b / KEY_meas_b, exact bytes, the input of `runs`.
//
//   node /vm/tools/accuracy.mjs rssavg RSS_FILE SHMEM0_KIB
//     The measured out_avg_bytes (see rssavg()).
//
//   node /vm/tools/accuracy.mjs runs FILE [--keep K1,K2]
//     FILE: one `sim --bytes` line per run of the same case; judges the medians (see runs()).
import { readFileSync } from 'node:fs';

const MiB = 2 ** 20;
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const quantile = (a, q) => {
  if (a.length === 0) return NaN;
  const b = [...a].sort((x, y) => x - y);
  return b[Math.min(b.length - 1, Math.floor(q * b.length))];
};
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'na');
const print = (o) =>
  console.log(
    Object.entries(o)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  );

// Sorted, merged [start, end) intervals.
function merge(iv) {
  iv.sort((a, b) => a[0] - b[0]);
  const out = [];
  for (const [s, e] of iv) {
    if (out.length && s <= out[out.length - 1][1]) {
      if (e > out[out.length - 1][1]) out[out.length - 1][1] = e;
    } else out.push([s, e]);
  }
  return out;
}
const total = (iv) => iv.reduce((n, [s, e]) => n + (e - s), 0);
function overlap(a, b) {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i][0], b[j][0]);
    const hi = Math.min(a[i][1], b[j][1]);
    if (hi > lo) n += hi - lo;
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return n;
}

function readTruth(path) {
  const windows = [];
  let cur = null;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const w = line.split(' ');
    if (w[0] === 'w') {
      cur = {
        markStart: Number(w[2]),
        markEnd: Number(w[3]),
        readStart: Number(w[4]),
        readEnd: Number(w[5]),
        present: Number(w[6]),
        accessed: Number(w[7]),
        runs: [],
      };
      windows.push(cur);
    } else if (w[0] === 'r' && cur) cur.runs.push([Number(w[1]), Number(w[2])]);
  }
  return windows;
}

async function wss() {
  const [, truthPath, recPath] = args;
  const skipNs = opt('--skip-s', 3) * 1e9;
  const union = args.includes('--union');
  const verbose = args.includes('--verbose');
  // Each page's window runs from its mark to its read; both sweeps take a while, so the
  // window of the truth as a whole is taken from the middle of one to the middle of the other.
  const windows = readTruth(truthPath).map((w) => ({
    ...w,
    t0: (w.markStart + w.markEnd) / 2,
    t1: (w.readStart + w.readEnd) / 2,
    iv: merge(w.runs.map((x) => [...x])),
  }));
  const dist = process.env.DAMO_DIST ?? '/damo/dist';
  const { openTrace } = await import(`${dist}/src/format/open.js`);
  const trace = await openTrace(recPath);
  const base = Number(trace.header.baseTimeNs ?? 0n);
  const snaps = [];
  for await (const s of trace.snapshots()) {
    if (s.targetIndex !== 0) continue;
    const iv = [];
    for (let i = 0; i < s.starts.length; i++) if (s.nrAccesses[i] > 0) iv.push([s.starts[i], s.ends[i]]);
    snaps.push({ t0: base + s.startNs, t1: base + s.endNs, acc: merge(iv), regions: s.starts.length });
  }
  if (snaps.length === 0) {
    print({ samples: 0, snapshots: 0, reason: 'empty_recording' });
    return;
  }
  const first = snaps[0].t0 + skipNs;
  const last = snaps[snaps.length - 1].t1;
  // Pairs (recorded working set, truth window) to score.
  const pairs = [];
  if (union) {
    // Windows longer than the aggregation interval: the union of the snapshots whose
    // middle falls in the window (damo's working set over a time window, --work_time).
    for (const w of windows) {
      if (w.t0 < first || w.t1 > last) continue;
      const inWin = snaps.filter((s) => (s.t0 + s.t1) / 2 >= w.t0 && (s.t0 + s.t1) / 2 <= w.t1);
      if (inWin.length) pairs.push({ rec: merge(inWin.flatMap((s) => s.acc.map((x) => [...x]))), w });
    }
  } else {
    // Each snapshot against the truth window it overlaps most (at least half of the shorter).
    for (const s of snaps) {
      if (s.t0 < first) continue;
      let best = null;
      let bestOv = 0;
      for (const w of windows) {
        const ov = Math.min(s.t1, w.t1) - Math.max(s.t0, w.t0);
        if (ov > bestOv) [best, bestOv] = [w, ov];
      }
      if (best && bestOv >= 0.5 * Math.min(s.t1 - s.t0, best.t1 - best.t0)) pairs.push({ rec: s.acc, w: best });
    }
  }
  const truthB = [];
  const recB = [];
  const pairErr = [];
  const recalls = [];
  const precisions = [];
  const spans = [];
  for (const { rec, w } of pairs) {
    const t = total(w.iv);
    if (t === 0) continue;
    const r = total(rec);
    const ov = overlap(w.iv, rec);
    truthB.push(t);
    recB.push(r);
    pairErr.push((Math.abs(r - t) / t) * 100);
    recalls.push((ov / t) * 100);
    precisions.push(r > 0 ? (ov / r) * 100 : 0);
    spans.push((w.t1 - w.t0) / 1e6);
    if (verbose)
      console.error(
        `at ${((w.t0 - snaps[0].t0) / 1e9).toFixed(1)}s truth=${fmt(t / MiB)} rec=${fmt(r / MiB)} recall=${fmt((ov / t) * 100, 0)}`,
      );
  }
  // Working-set error at a percentile: the recorded distribution's percentile against the
  // truth's (as damo compare and the kernel selftest compare working sets).
  const pctErr = (q) => {
    const t = quantile(truthB, q);
    return t > 0 ? (Math.abs(quantile(recB, q) - t) / t) * 100 : NaN;
  };
  print({
    samples: truthB.length,
    snapshots: snaps.length,
    truth_p50_mib: fmt(quantile(truthB, 0.5) / MiB),
    rec_p50_mib: fmt(quantile(recB, 0.5) / MiB),
    wss_err_p50_pct: fmt(pctErr(0.5), 0),
    wss_err_p75_pct: fmt(pctErr(0.75), 0),
    wss_err_p90_pct: fmt(pctErr(0.9), 0),
    pair_err_p50_pct: fmt(quantile(pairErr, 0.5), 0),
    recall_pct: fmt(quantile(recalls, 0.5), 0),
    precision_pct: fmt(quantile(precisions, 0.5), 0),
    regions: quantile(
      snaps.map((s) => s.regions),
      0.5,
    ),
    truth_window_ms: fmt(quantile(spans, 0.5), 0),
  });
}

function sim() {
  const untilNs = opt('--until_ns', Infinity);
  const bytes = args.includes('--bytes');
  const [, simPath, ...pairs] = args.filter((a, i) => a !== '--until_ns' && args[i - 1] !== '--until_ns' && a !== '--bytes');
  const j = JSON.parse(readFileSync(simPath, 'utf8'));
  const s = j.schemes[0];
  const pred = {
    sz_applied: s.stats.sz_applied,
    out_bytes: s.effects?.final_bytes ?? 0,
    refault_bytes: s.effects?.reaccessed_bytes ?? 0,
    out_avg_bytes: NaN,
  };
  // Not judged: the refaults if every sampling interval accessed the same pages (simulate's
  // other end, reaccessed_bytes_same_pages; absent from older builds' output).
  let refaultSame = s.effects?.reaccessed_bytes_same_pages;
  // Nor: of the refaults, those in program and library images (null or absent without the
  // recording's program-images event); over the whole recording, --until_ns or not.
  const refaultImage = s.effects?.reaccessed_image_bytes;
  // Nor: those taken on sightings of few samples (absent from older builds' output).
  const refaultSparse = s.effects?.reaccessed_sparse_bytes;
  {
    // Bytes out of memory averaged over time: each timeline point's figure holds until the
    // next point (0 before the first), over [start, start + until_ns] or the whole timeline.
    const tl = j.timeline;
    const ts = tl?.schemes?.[0];
    if (ts !== undefined) {
      const t = tl.times_ns;
      const end = Number.isFinite(untilNs) ? j.start_ns + untilNs : t[t.length - 1];
      let area = 0;
      for (let k = 0; k < t.length && t[k] < end; k++) area += ts.effect_bytes[k] * (Math.min(t[k + 1] ?? end, end) - t[k]);
      pred.out_avg_bytes = end > j.start_ns ? area / (end - j.start_ns) : 0;
    }
  }
  if (Number.isFinite(untilNs)) {
    const tl = j.timeline;
    const ts = tl.schemes[0];
    const last = tl.times_ns.findLastIndex((t) => t - j.start_ns <= untilNs);
    const sum = (a) => a.slice(0, last + 1).reduce((x, y) => x + y, 0);
    pred.sz_applied = sum(ts.sz_applied);
    pred.refault_bytes = sum(ts.reaccessed_bytes);
    if (ts.reaccessed_bytes_same_pages !== undefined) refaultSame = sum(ts.reaccessed_bytes_same_pages);
    pred.out_bytes = last >= 0 ? ts.effect_bytes[last] : 0;
  }
  const out = {};
  let maxErr = 0;
  for (const p of pairs) {
    const [k, v] = p.split('=');
    if (!(k in pred)) throw new Error(`accuracy sim: unknown metric ${k}`);
    const meas = Number(v);
    const pr = Number(pred[k]);
    const err = errPct(pr, meas);
    out[`${k}_pred_mib`] = fmt(pr / MiB);
    out[`${k}_meas_mib`] = fmt(meas / MiB);
    out[`${k}_err_pct`] = fmt(err, 0);
    if (bytes) {
      out[`${k}_pred_b`] = Math.round(pr);
      out[`${k}_meas_b`] = Math.round(meas);
    }
    maxErr = Math.max(maxErr, err);
  }
  if (refaultSame !== undefined && pairs.some((p) => p.startsWith('refault_bytes='))) {
    out.refault_same_pages_pred_mib = fmt(refaultSame / MiB);
    if (typeof refaultImage === 'number') out.refault_image_whole_pred_mib = fmt(refaultImage / MiB);
    if (typeof refaultSparse === 'number') out.refault_sparse_whole_pred_mib = fmt(refaultSparse / MiB);
  }
  out.max_err_pct = fmt(maxErr, 0);
  print(out);
}

// rssavg RSS_FILE SHMEM0_KIB [WINDOW_NS]: the bytes out of memory averaged over time from
// rss_sampler's lines ("ms VmRSS VmSwap RssShmem", KiB): VmSwap plus the RssShmem drop below
// SHMEM0_KIB, each sample holding until the next, over the last WINDOW_NS before the last
// sample (the schemes run's elapsed_ns: the sampler starts before `damo schemes` and its
// start-up, 3-4 s under TCG, would count as nothing out) or all of them. Prints the bytes.
function rssavg() {
  const shmem0 = Number(args[2] ?? 0);
  const rows = readFileSync(args[1], 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((r) => r.length >= 3 && r.every(Number.isFinite));
  if (rows.length < 2) return console.log(0);
  const last = rows[rows.length - 1][0];
  const from = args[3] !== undefined ? Math.max(rows[0][0], last - Number(args[3]) / 1e6) : rows[0][0];
  let area = 0;
  for (let k = 0; k + 1 < rows.length; k++) {
    const [ms, , swap, shmem] = rows[k];
    const a = Math.max(ms, from);
    const b = rows[k + 1][0];
    if (b <= a) continue;
    const out = swap + (shmem === undefined ? 0 : Math.max(0, shmem0 - shmem));
    area += out * 1024 * (b - a);
  }
  console.log(last > from ? Math.round(area / (last - from)) : 0);
}

// The prediction error of one metric: |pred - meas| / meas in %, 0 when both are under
// 1 MiB (nothing predicted, nothing happened).
function errPct(pr, meas) {
  return pr < MiB && meas < MiB ? 0 : meas > 0 ? (Math.abs(pr - meas) / meas) * 100 : 100;
}

const median = (a) => {
  const b = [...a].sort((x, y) => x - y);
  const m = b.length >> 1;
  return b.length % 2 ? b[m] : (b[m - 1] + b[m]) / 2;
};

// runs FILE [--keep K1,K2]: FILE holds one line per run, the key=value output of
// `sim --bytes` (plus any other keys). Judges the median prediction against the median
// measurement per metric, so that one unlucky recording or schemes run (the same case
// spreads 2-4x from run to run, docs/ACCURACY.md) does not decide; prints per metric
// KEY_pred_mib / KEY_meas_mib (the medians), KEY_err_pct (between the medians),
// KEY_pred_runs_mib / KEY_meas_runs_mib (every run's figures, in run order),
// KEY_run_err_pct (each run's own error), KEY_pred_spread_mib / KEY_meas_spread_mib
// (min-max), then max_err_pct (over the medians' errors), runs, and K_runs for each --keep key.
function runs() {
  const keepAt = args.indexOf('--keep');
  const keep = keepAt >= 0 ? args[keepAt + 1].split(',').filter(Boolean) : [];
  const lines = readFileSync(args[1], 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => Object.fromEntries(l.trim().split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])));
  const metrics = [];
  for (const l of lines) for (const k of Object.keys(l)) if (k.endsWith('_pred_b') && !metrics.includes(k.slice(0, -7))) metrics.push(k.slice(0, -7));
  const out = {};
  let maxErr = 0;
  const list = (a, d = 1) => a.map((x) => fmt(x, d)).join(',');
  for (const k of metrics) {
    // A run without the metric is left out; KEY_runs then says how many had it.
    const have = lines.filter((l) => `${k}_pred_b` in l && `${k}_meas_b` in l);
    const pr = have.map((l) => Number(l[`${k}_pred_b`]));
    const me = have.map((l) => Number(l[`${k}_meas_b`]));
    if (have.length === 0) continue;
    const pm = median(pr);
    const mm = median(me);
    const err = errPct(pm, mm);
    out[`${k}_pred_mib`] = fmt(pm / MiB);
    out[`${k}_meas_mib`] = fmt(mm / MiB);
    out[`${k}_err_pct`] = fmt(err, 0);
    out[`${k}_pred_runs_mib`] = list(pr.map((x) => x / MiB));
    out[`${k}_meas_runs_mib`] = list(me.map((x) => x / MiB));
    out[`${k}_run_err_pct`] = list(pr.map((x, i) => errPct(x, me[i])), 0);
    out[`${k}_pred_spread_mib`] = `${fmt(Math.min(...pr) / MiB)}-${fmt(Math.max(...pr) / MiB)}`;
    out[`${k}_meas_spread_mib`] = `${fmt(Math.min(...me) / MiB)}-${fmt(Math.max(...me) / MiB)}`;
    if (have.length !== lines.length) out[`${k}_runs`] = have.length;
    maxErr = Math.max(maxErr, err);
  }
  out.max_err_pct = metrics.length ? fmt(maxErr, 0) : 'na';
  out.runs = lines.length;
  for (const k of keep) out[`${k}_runs`] = lines.map((l) => l[k] ?? 'na').join(',');
  print(out);
}

if (args[0] === 'wss' && args.length >= 3) await wss();
else if (args[0] === 'sim' && args.length >= 3) sim();
else if (args[0] === 'runs' && args.length >= 2) runs();
else if (args[0] === 'rssavg' && args.length >= 2) rssavg();
else {
  console.error('usage: accuracy.mjs wss TRUTH RECORDING [--skip-s N] | sim SIM_JSON [--until_ns N] [--bytes] KEY=BYTES... | runs FILE [--keep K,...]');
  process.exit(2);
}
