# SPDX-License-Identifier: GPL-2.0-only
# heavy
# timeout: 2400
# The seeds' table (issue 19, item 5; docs/ACCURACY.md): for each workload of /vm/apps.sh a
# fixed amount of work (app_fixed_start) runs four times: alone, while damo record records
# it (kernel DAMON through tracefs), alone again (the noise between two plain runs), and
# under a prcl-like proactive reclaim scheme ('4K max 0 0 5s max pageout', kernel DAMOS).
# Reported as ratios within the run, because TCG inflates every time: the slowdown while
# recording, the recorder's and kdamond's CPU as a share of one CPU, the prcl run's
# runtime overhead and its resident-set reduction (mean VmRSS against the plain run). The
# seeds (DAMON's evaluation): under 1 % CPU and 0.63 % slowdown while recording; prcl cut
# the resident set by 89.30 % at 1.98 % runtime overhead in the best case. Passes when every
# run completed; the figures are reported, not judged. Runs only with --only.
. /vm/lib.sh
. /vm/apps.sh
INTERVALS=${ACC_INTERVALS:-25ms 500ms 5s}
WORKLOADS=${ACC_WORKLOADS:-$APP_NAMES}
PRCL='4K max 0 0 5s max pageout'

cpu_of_kdamonds() {
  sum=0
  for d in /proc/[0-9]*; do
    case $(cat "$d/comm" 2>/dev/null) in
      kdamond*) sum=$((sum + $(kv cpu_us "$(vmprobe cputime "${d#/proc/}")"))) ;;
    esac
  done
  echo $sum
}
# kdamond_watch FILE: keeps the kdamonds' summed CPU time (us) in FILE while any runs (a
# kdamond's thread, and its CPU time, is gone once its target exits).
kdamond_watch() {
  while :; do
    c=$(cpu_of_kdamonds); [ "$c" -gt 0 ] && echo "$c" > "$1"
    sleep 0.3
  done
}
mean_rss_mib() { awk '{ s += $2; n++ } END { printf "%.1f", (n ? s / n / 1024 : 0) }' "$1"; }

# one_run WL MODE: runs the fixed work once; sets WALL_MS, REC_CPU_US, KD_CPU_US, RSS_MIB.
one_run() {
  wl=$1 mode=$2 tag=$1-$2
  REC_CPU_US=0 KD_CPU_US=0
  rm -f "$OUT/$tag.kd" "$OUT/$tag.rss"
  app_fixed_start "$wl" "$OUT/$tag.wall" || return 1
  rss_sampler "$APP_PID" "$OUT/$tag.rss" &
  sampler=$!
  case $mode in
    rec)
      kdamond_watch "$OUT/$tag.kd" & kw=$!
      vmprobe run "$OUT/$tag.cpu" damo record --source tracefs --monitoring_intervals $INTERVALS \
        -o "$OUT/$tag.data" "$APP_PID" > "$OUT/$tag.log" 2>&1 & dr=$! ;;
    prcl)
      damo schemes -c "$PRCL" --backend sysfs --monitoring_intervals $INTERVALS --json "$APP_PID" \
        > "$OUT/$tag.json" 2> "$OUT/$tag.log" & dr=$! ;;
    *) dr= ;;
  esac
  app_fixed_wait
  [ -n "$dr" ] && { kill -INT "$dr" 2>/dev/null; wait "$dr" 2>/dev/null; }
  [ "$mode" = rec ] && { kill "$kw" 2>/dev/null; REC_CPU_US=$(kv cpu_us "$(cat "$OUT/$tag.cpu")"); KD_CPU_US=$(cat "$OUT/$tag.kd" 2>/dev/null || echo 0); }
  kill "$sampler" 2>/dev/null
  WALL_MS=$(kv wall_ms "$(cat "$OUT/$tag.wall")")
  RSS_MIB=$(mean_rss_mib "$OUT/$tag.rss")
  echo "$tag: wall_ms=$WALL_MS rec_cpu_us=$REC_CPU_US kdamond_cpu_us=$KD_CPU_US mean_rss_mib=$RSS_MIB"
  [ -f "$OUT/$tag.log" ] && cat "$OUT/$tag.log"
  # A run without its figures fails (a workload gone before the run started gave an empty
  # recorder CPU and no resident-set samples, which read as a 100 % reduction).
  [ -n "$WALL_MS" ] && [ "$(kv rc "$(cat "$OUT/$tag.wall")")" = 0 ] && [ -n "$RSS_MIB" ] && [ "$RSS_MIB" != 0.0 ] &&
    { [ "$mode" != rec ] || [ -n "$REC_CPU_US" ]; }
}

for wl in $WORKLOADS; do
  app_fixed_setup "$wl" > "$OUT/$wl.setup.log" 2>&1 || { cat "$OUT/$wl.setup.log"; result_as "accuracy-seeds-$wl" fail reason=workload; app_fixed_teardown; continue; }
  ok=1
  one_run "$wl" base || ok=0; base_ms=$WALL_MS base_rss=$RSS_MIB
  one_run "$wl" rec || ok=0; rec_ms=$WALL_MS rec_cpu=$REC_CPU_US kd_cpu=$KD_CPU_US
  one_run "$wl" base2 || ok=0; base2_ms=$WALL_MS
  one_run "$wl" prcl || ok=0; prcl_ms=$WALL_MS prcl_rss=$RSS_MIB
  app_fixed_teardown
  r=$(awk -v b="$base_ms" -v b2="$base2_ms" -v r="$rec_ms" -v p="$prcl_ms" -v rc="$rec_cpu" -v kc="$kd_cpu" \
      -v br="$base_rss" -v pr="$prcl_rss" 'BEGIN {
    bm = (b + b2) / 2
    printf "base_ms=%d base2_ms=%d noise_pct=%.1f rec_ms=%d rec_slowdown_pct=%.1f recorder_cpu_pct=%.2f kdamond_cpu_pct=%.2f prcl_ms=%d prcl_overhead_pct=%.1f base_rss_mib=%.1f prcl_rss_mib=%.1f prcl_rss_reduction_pct=%.1f",
      b, b2, (b2 - b) * 100 / b, r, (r - bm) * 100 / bm, rc / 10 / r, kc / 10 / r, p, (p - bm) * 100 / bm,
      br, pr, (br > 0 ? (br - pr) * 100 / br : 0) }')
  result_as "accuracy-seeds-$wl" "$(pass_if [ "$ok" = 1 ])" "$r"
done
rm -f "$APP_DB"
