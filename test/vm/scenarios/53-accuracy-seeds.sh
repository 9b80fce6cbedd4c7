# SPDX-License-Identifier: GPL-2.0-only
# heavy
# timeout: 2400
# The seeds' table (issue 19, item 5; docs/ACCURACY.md): for each workload of /vm/apps.sh a
# fixed amount of work (app_fixed_start) runs five times (ACC_SEEDS_MODES, below): alone,
# while damo record records it (kernel DAMON through tracefs), while kernel DAMON only
# monitors it (damo start/stop, nothing recorded), alone again (the noise between two plain
# runs), and under a prcl-like proactive reclaim scheme ('4K max 0 0 5s max pageout',
# kernel DAMOS). Reported as ratios within the run, because TCG inflates every time: the
# slowdown while recording and while monitoring only, the recorder's and kdamond's CPU as a
# share of one CPU, the prcl run's runtime overhead and its resident-set reduction (mean
# VmRSS against the plain run). The seeds (DAMON's evaluation): under 1 % CPU and 0.63 %
# slowdown while monitoring; prcl cut the resident set by 89.30 % at 1.98 % runtime
# overhead in the best case. Passes when every run completed; the figures are reported, not
# judged. Runs only with --only.
. /vm/lib.sh
. /vm/apps.sh
INTERVALS=${ACC_INTERVALS:-25ms 500ms 5s}
WORKLOADS=${ACC_WORKLOADS:-$APP_NAMES}
PRCL='4K max 0 0 5s max pageout'

# The modes, in run order (ACC_SEEDS_MODES; each a run of the same fixed work):
#   base, base2  alone (slowdowns are against their mean)
#   rec          damo record --source tracefs, attached by pid (kernel DAMON, every aggregation
#                streamed from tracefs, the target's /proc/PID/maps, smaps and pagemap read)
#   mon          monitored only: damo start with the same intervals on the same pid (kernel
#                DAMON, no schemes, nothing reads its results), damo stop after the work
#   prcl         damo schemes -c PRCL --backend sysfs (kernel DAMON and DAMOS)
#   rec-sysfs    damo record --source sysfs (tried-regions snapshots instead of tracefs)
#   rec-noproc   rec with the recorder's reads of /proc/PID/maps, smaps and pagemap failing
#                (a node --require preload, $NOPROC_JS; the recording lacks those events)
#   rec-nosmaps, rec-nopagemap  the same for smaps only, for pagemap only
#   rec-count    rec with a preload ($COUNT_JS) that counts the recorder's reads of the
#                target's maps, smaps and pagemap and sums their CPU time (the read system
#                calls only, not the parsing), printed when it exits
#   rec-prof     rec with V8's CPU profiler on the recorder (a preload, $PROF_JS: one sample
#                per ms, written to $OUT/WL-rec-prof.cpuprofile at exit; node refuses
#                --cpu-prof in NODE_OPTIONS)
#   probe        plain, while $PROBE_JS reads the target's maps, smaps and pagemap as the
#                recorder does, every 0.5 s, 20 times, and prints each one's CPU time
#   hog          plain, beside a node process ($HOG_JS) that only spins, taking the share of
#                one CPU that the recorder took in this VM run's rec run of the same workload
#                (ACC_HOG_PCT when there is none; default 15 %): whether any process taking
#                the recorder's CPU slows the work as much as recording does.
#   MODE-scan    MODE while kdamond_scan (below) looks for the kdamonds every 0.3 s the way
#                this scenario did up to Run 9 of docs/ACCURACY.md (base-scan: that alone)
# prcl pages cold memory out, and the runs after it start with less of it resident (redis:
# 19 of 100 MiB): keep it last. Every run, plain ones too, has kd_watch (a few shell builtins every 0.3 s) keep the
# kdamonds' CPU time.
MODES=${ACC_SEEDS_MODES:-base rec mon base2 prcl}
DAMON_ADMIN=/sys/kernel/mm/damon/admin
NOPROC_JS=/tmp/seeds-noproc.cjs
cat > "$NOPROC_JS" <<'EOF'
// Makes this node process's reads of /proc/PID/FILE fail with ENOENT for the FILEs of
// $SEEDS_BLOCK (default maps|smaps|pagemap).
const fs = require('fs');
const blocked = new RegExp(`^/proc/[0-9]+/(${process.env.SEEDS_BLOCK || 'maps|smaps|pagemap'})$`);
for (const name of ['readFileSync', 'openSync']) {
  const orig = fs[name];
  fs[name] = function (p, ...rest) {
    if (typeof p === 'string' && blocked.test(p)) {
      const e = new Error(`ENOENT: ${p} (blocked by the seeds scenario)`);
      e.code = 'ENOENT';
      throw e;
    }
    return orig.call(this, p, ...rest);
  };
}
EOF
PROF_JS=/tmp/seeds-prof.cjs
cat > "$PROF_JS" <<'EOF'
// Runs V8's CPU profiler (1 ms samples) in this node process from the start and writes the
// profile to $SEEDS_PROF_OUT when it exits (the in-thread session answers synchronously).
const inspector = require('inspector');
const fs = require('fs');
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, r) => {
    if (err === null && process.env.SEEDS_PROF_OUT) fs.writeFileSync(process.env.SEEDS_PROF_OUT, JSON.stringify(r.profile));
  });
});
EOF
COUNT_JS=/tmp/seeds-count.cjs
cat > "$COUNT_JS" <<'EOF'
// Counts this node process's reads of /proc/PID/{maps,smaps,pagemap} and sums the CPU time
// (process.cpuUsage, user + system) of those calls; prints both to stderr at exit.
const fs = require('fs');
const kinds = /^\/proc\/[0-9]+\/(maps|smaps|pagemap)$/;
const n = {}, ms = {};
const pagemapFds = new Set();
const add = (k, c) => { const d = process.cpuUsage(c); n[k] = (n[k] || 0) + 1; ms[k] = (ms[k] || 0) + (d.user + d.system) / 1000; };
const origRead = fs.readFileSync, origOpen = fs.openSync, origClose = fs.closeSync, origReadSync = fs.readSync;
fs.readFileSync = function (p, ...rest) {
  const m = typeof p === 'string' ? kinds.exec(p) : null;
  if (m === null) return origRead.call(this, p, ...rest);
  const c = process.cpuUsage();
  try { return origRead.call(this, p, ...rest); } finally { add(m[1], c); }
};
fs.openSync = function (p, ...rest) {
  const fd = origOpen.call(this, p, ...rest);
  if (typeof p === 'string' && /^\/proc\/[0-9]+\/pagemap$/.test(p)) { pagemapFds.add(fd); n.pagemap_opens = (n.pagemap_opens || 0) + 1; }
  return fd;
};
fs.closeSync = function (fd, ...rest) { pagemapFds.delete(fd); return origClose.call(this, fd, ...rest); };
fs.readSync = function (fd, ...rest) {
  if (!pagemapFds.has(fd)) return origReadSync.call(this, fd, ...rest);
  const c = process.cpuUsage();
  try { return origReadSync.call(this, fd, ...rest); } finally { add('pagemap', c); }
};
process.on('exit', () => {
  const f = (k) => `${k}_reads=${n[k] || 0} ${k}_cpu_ms=${(ms[k] || 0).toFixed(0)}`;
  process.stderr.write(`count: ${f('maps')} ${f('smaps')} ${f('pagemap')} pagemap_opens=${n.pagemap_opens || 0} process_cpu_ms=${((process.cpuUsage().user + process.cpuUsage().system) / 1000).toFixed(0)}\n`);
});
EOF
HOG_JS=/tmp/seeds-hog.cjs
cat > "$HOG_JS" <<'EOF'
// node HOG_JS PCT: takes PCT % of one CPU until SIGINT or SIGTERM. Every 100 ms (a schedule
// fixed from the start) it spins until its own CPU time since its start reaches PCT % of the
// time since then, never past the end of the 100 ms: a share of CPU time, not of wall time,
// which under TCG gives the process less than its share when the vCPU is taken from it.
const share = Math.min(100, Math.max(0, Number(process.argv[2]))) / 100;
const periodMs = 100;
const t0 = performance.now();
const c0 = process.cpuUsage();
const cpuMs = () => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1000; };
let k = 0, stop = false;
process.on('SIGINT', () => { stop = true; });
process.on('SIGTERM', () => { stop = true; });
(function slice() {
  if (stop) return;
  const until = t0 + (k + 1) * periodMs;
  const wantMs = share * (k + 1) * periodMs;
  while (!stop && cpuMs() < wantMs && performance.now() < until);
  k = Math.max(k + 1, Math.floor((performance.now() - t0) / periodMs));
  setTimeout(slice, Math.max(0, t0 + k * periodMs - performance.now()));
})();
EOF
PROBE_JS=/tmp/seeds-probe.mjs
cat > "$PROBE_JS" <<'EOF'
// node PROBE_JS PID N: N times, 0.5 s apart, what recordMappings (src/record/session.ts)
// reads, each timed by its CPU (process.cpuUsage, user + system): maps read and parsed,
// smaps read and parsed, pagemap of the page-holding mappings read.
import { readFileSync } from 'node:fs';
const [pid, n] = [process.argv[2], Number(process.argv[3])];
const { readResidentPages, pageHoldingMappings } = await import('/damo/dist/src/record/resident_pages.js');
const { parseSmapsRefused } = await import('/damo/dist/src/format/madvise_refused.js');
const { parseProcMaps, parseProcMapsProgramImages, formatMappings } = await import('/damo/dist/src/format/mappings.js').then(async (m) => ({ ...m, ...(await import('/damo/dist/src/format/program_images.js')) }));
const t = { maps: [], smaps: [], pagemap: [] };
let prev = null, changes = 0, lines = 0, mapped = 0, resident = 0;
const cpuMs = (f) => { const c = process.cpuUsage(); const r = f(); const d = process.cpuUsage(c); return [r, (d.user + d.system) / 1000]; };
for (let i = 0; i < n; i++) {
  let m, ms;
  try { [m, ms] = cpuMs(() => { const x = readFileSync(`/proc/${pid}/maps`, 'utf8'); formatMappings(parseProcMaps(x)); formatMappings(parseProcMapsProgramImages(x)); return x; }); } catch { break; }
  t.maps.push(ms);
  if (prev !== null && m !== prev) changes++;
  prev = m; lines = m.split('\n').length - 1;
  try { [, ms] = cpuMs(() => parseSmapsRefused(readFileSync(`/proc/${pid}/smaps`, 'utf8'))); t.smaps.push(ms); } catch { break; }
  const ranges = pageHoldingMappings(m);
  let r;
  [r, ms] = cpuMs(() => readResidentPages(Number(pid), ranges, 4096, []));
  if (r === null) break;
  t.pagemap.push(ms);
  mapped = ranges.reduce((s, [a, b]) => s + b - a, 0);
  resident = r.reduce((s, [a, b]) => s + b - a, 0);
  await new Promise((res) => setTimeout(res, 500));
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[s.length >> 1] : 0; };
const mib = (b) => (b / 1048576).toFixed(1);
console.log(`probe: readings=${t.pagemap.length} maps_lines=${lines} maps_changed=${changes} mapped_mib=${mib(mapped)} resident_mib=${mib(resident)} ` +
  `cpu_ms_median: maps=${med(t.maps).toFixed(1)} smaps=${med(t.smaps).toFixed(1)} pagemap=${med(t.pagemap).toFixed(1)}`);
EOF

# kd_watch FILE: keeps the kdamonds' summed CPU time (us) in FILE while any runs (a
# kdamond's thread, and its CPU time, is gone once its target exits), and their intervals
# and nr_regions in FILE.attrs. Only shell builtins per poll but sleep: finds the kdamonds'
# pids in DAMON sysfs, then reads their schedstat.
kd_watch() {
  pids=
  while :; do
    if [ -z "$pids" ]; then
      for f in "$DAMON_ADMIN"/kdamonds/*/pid; do
        [ -r "$f" ] || continue
        read -r p < "$f" || continue
        [ "${p:--1}" = -1 ] && continue
        pids="$pids $p"
        d=${f%/pid}/contexts/0/monitoring_attrs
        { read -r sa < "$d/intervals/sample_us"; read -r ag < "$d/intervals/aggr_us"; read -r up < "$d/intervals/update_us"
          read -r mi < "$d/nr_regions/min"; read -r ma < "$d/nr_regions/max"
          echo "kdamond_pid=$p sample_us=$sa aggr_us=$ag update_us=$up nr_regions=$mi-$ma"; } >> "$1.attrs" 2>/dev/null
      done
    else
      sum=0
      for p in $pids; do
        { read -r ns _ < "/proc/$p/schedstat"; } 2>/dev/null && sum=$((sum + ns / 1000))
      done
      [ "$sum" -gt 0 ] && echo "$sum" > "$1"
    fi
    sleep 0.3
  done
}

# kdamond_scan: Run 9's kdamond watcher, kept to measure what it cost the workload: every
# 0.3 s, a cat for each process's comm and vmprobe, tr, sed and head for each kdamond.
cpu_of_kdamonds() {
  sum=0
  for d in /proc/[0-9]*; do
    case $(cat "$d/comm" 2>/dev/null) in
      kdamond*) sum=$((sum + $(kv cpu_us "$(vmprobe cputime "${d#/proc/}")"))) ;;
    esac
  done
  echo $sum
}
kdamond_scan() {
  while :; do
    c=$(cpu_of_kdamonds)
    sleep 0.3
  done
}
mean_rss_mib() { awk '{ s += $2; n++ } END { printf "%.1f", (n ? s / n / 1024 : 0) }' "$1"; }

# one_run WL MODE: runs the fixed work once; appends "MODE WALL_MS REC_CPU_US KD_CPU_US
# RSS_MIB" to $OUT/WL.runs (REC_CPU_US: the CPU time of the run's damo process, from
# wait4: the recorder, damo start, or damo schemes).
one_run() {
  wl=$1 mode=$2 tag=$1-$2
  REC_CPU_US=0 KD_CPU_US=0
  rm -f "$OUT/$tag.hog" "$OUT/$tag.kd" "$OUT/$tag.kd.attrs" "$OUT/$tag.rss" "$OUT/$tag.log" "$OUT/$tag.cpu"
  app_fixed_start "$wl" "$OUT/$tag.wall" || return 1
  rss_sampler "$APP_PID" "$OUT/$tag.rss" &
  sampler=$!
  kd_watch "$OUT/$tag.kd" & kw=$!
  ks=
  case $mode in *-scan) kdamond_scan & ks=$! ;; esac
  dr= st= pw= stopped=1
  case ${mode%-scan} in
    rec|rec-*)
      src=tracefs pre= block=
      case ${mode%-scan} in
        rec-sysfs) src=sysfs ;;
        rec-noproc) pre="--require $NOPROC_JS" block='maps|smaps|pagemap' ;;
        rec-nosmaps) pre="--require $NOPROC_JS" block=smaps ;;
        rec-nopagemap) pre="--require $NOPROC_JS" block=pagemap ;;
        rec-count) pre="--require $COUNT_JS" ;;
        rec-prof) pre="--require $PROF_JS" ;;
      esac
      SEEDS_BLOCK=$block SEEDS_PROF_OUT=$OUT/$tag.cpuprofile NODE_OPTIONS="$pre" vmprobe run "$OUT/$tag.cpu" damo record --source $src --monitoring_intervals $INTERVALS \
        -o "$OUT/$tag.data" "$APP_PID" > "$OUT/$tag.log" 2>&1 & dr=$! ;;
    mon)
      # In the background like the recorder: its node start-up shares the vCPUs with the
      # work the same way.
      stopped=0
      vmprobe run "$OUT/$tag.cpu" damo start --monitoring_intervals $INTERVALS "$APP_PID" > "$OUT/$tag.log" 2>&1 & st=$! ;;
    hog)
      # The recorder's share of one CPU in this workload's rec run (REC_CPU_US / 10 / WALL_MS), if any.
      hog_pct=$(awk '$1 == "rec" && $2 > 0 { printf "%.1f\n", $3 / 10 / $2 }' "$OUT/$wl.runs" 2>/dev/null | tail -n 1)
      hog_pct=${hog_pct:-${ACC_HOG_PCT:-15}}
      echo "hog_pct=$hog_pct" > "$OUT/$tag.hog"
      vmprobe run "$OUT/$tag.cpu" node "$HOG_JS" "$hog_pct" > "$OUT/$tag.log" 2>&1 & dr=$! ;;
    probe)
      vmprobe run "$OUT/$tag.cpu" node "$PROBE_JS" "$APP_PID" 20 > "$OUT/$tag.log" 2>&1 & pw=$! ;;
    prcl)
      vmprobe run "$OUT/$tag.cpu" damo schemes -c "$PRCL" --backend sysfs --monitoring_intervals $INTERVALS --json "$APP_PID" \
        > "$OUT/$tag.json" 2> "$OUT/$tag.log" & dr=$! ;;
  esac
  app_fixed_wait
  [ -n "$dr" ] && { kill -INT "$dr" 2>/dev/null; wait "$dr" 2>/dev/null; }
  [ -n "$pw" ] && wait "$pw"
  if [ -n "$st" ]; then
    wait "$st" && stopped=1
    damo stop >> "$OUT/$tag.log" 2>&1 || stopped=0
  fi
  kill "$kw" ${ks:+"$ks"} 2>/dev/null
  wait "$kw" ${ks:+"$ks"} 2>/dev/null
  kill "$sampler" 2>/dev/null
  [ -f "$OUT/$tag.cpu" ] && REC_CPU_US=$(kv cpu_us "$(cat "$OUT/$tag.cpu")")
  KD_CPU_US=$(cat "$OUT/$tag.kd" 2>/dev/null || echo 0)
  WALL_MS=$(kv wall_ms "$(cat "$OUT/$tag.wall")")
  RSS_MIB=$(mean_rss_mib "$OUT/$tag.rss")
  echo "$tag: wall_ms=$WALL_MS rec_cpu_us=$REC_CPU_US kdamond_cpu_us=$KD_CPU_US mean_rss_mib=$RSS_MIB"
  [ -f "$OUT/$tag.kd.attrs" ] && cat "$OUT/$tag.kd.attrs"
  [ -f "$OUT/$tag.hog" ] && cat "$OUT/$tag.hog"
  [ -f "$OUT/$tag.log" ] && cat "$OUT/$tag.log"
  echo "$mode ${WALL_MS:-0} ${REC_CPU_US:-0} ${KD_CPU_US:-0} ${RSS_MIB:-0}" >> "$OUT/$wl.runs"
  # A run without its figures fails (a workload gone before the run started gave an empty
  # recorder CPU and no resident-set samples, which read as a 100 % reduction); so does a
  # monitored run in which no kdamond ran.
  [ -n "$WALL_MS" ] && [ "$(kv rc "$(cat "$OUT/$tag.wall")")" = 0 ] && [ -n "$RSS_MIB" ] && [ "$RSS_MIB" != 0.0 ] && [ "$stopped" = 1 ] &&
    case ${mode%-scan} in
      rec|rec-*) [ -n "$REC_CPU_US" ] && [ "$REC_CPU_US" != 0 ] && [ "$KD_CPU_US" != 0 ] ;;
      mon|prcl) [ "$KD_CPU_US" != 0 ] ;;
      *) true ;;
    esac
}

for wl in $WORKLOADS; do
  app_fixed_setup "$wl" > "$OUT/$wl.setup.log" 2>&1 || { cat "$OUT/$wl.setup.log"; result_as "accuracy-seeds-$wl" fail reason=workload; app_fixed_teardown; continue; }
  ok=1
  rm -f "$OUT/$wl.runs"
  for m in $MODES; do one_run "$wl" "$m" || ok=0; done
  app_fixed_teardown
  # Slowdowns are against the mean of base and base2; CPU shares are of one CPU over the
  # run's own wall time; the resident set compares prcl's mean VmRSS with base's. Keys:
  # MODE_ms, MODE_slowdown_pct (prcl: prcl_overhead_pct), MODE_kdamond_cpu_pct and, for
  # runs with a damo process, MODE_damo_cpu_pct ('-' in a mode's name becomes '_'); rec's
  # also as recorder_cpu_pct and kdamond_cpu_pct.
  r=$(awk '
    { m[NR] = $1; w[$1] = $2; rc[$1] = $3; kc[$1] = $4; rss[$1] = $5; n = NR }
    END {
      b = w["base"]; b2 = w["base2"]; bm = (b + b2) / 2
      printf "base_ms=%d base2_ms=%d noise_pct=%.1f", b, b2, (b > 0 ? (b2 - b) * 100 / b : 0)
      for (i = 1; i <= n; i++) {
        x = m[i]; if (x == "base" || x == "base2") continue
        k = x; gsub("-", "_", k)
        printf " %s_ms=%d %s=%.1f %s_kdamond_cpu_pct=%.2f", k, w[x], (x == "prcl" ? "prcl_overhead_pct" : k "_slowdown_pct"),
          (bm > 0 ? (w[x] - bm) * 100 / bm : 0), k, (w[x] > 0 ? kc[x] / 10 / w[x] : 0)
        if (rc[x] > 0) printf " %s_%s_cpu_pct=%.2f", k, (x == "hog" ? "process" : "damo"), rc[x] / 10 / w[x]
      }
      if ("rec" in w) printf " recorder_cpu_pct=%.2f kdamond_cpu_pct=%.2f", rc["rec"] / 10 / w["rec"], kc["rec"] / 10 / w["rec"]
      if ("prcl" in w) printf " base_rss_mib=%.1f prcl_rss_mib=%.1f prcl_rss_reduction_pct=%.1f", rss["base"], rss["prcl"],
        (rss["base"] > 0 ? (rss["base"] - rss["prcl"]) * 100 / rss["base"] : 0)
    }' "$OUT/$wl.runs")
  result_as "accuracy-seeds-$wl" "$(pass_if [ "$ok" = 1 ])" "$r"
done
rm -f "$APP_DB"
