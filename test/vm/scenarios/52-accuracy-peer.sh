# SPDX-License-Identifier: GPL-2.0-only
# heavy
# timeout: 2400
# The peer on the same kernel (issue 19, item 3; docs/ACCURACY.md): the Python damo 3.3.0
# (/vm/pydamo, from ../shared/peers; python3.11, trace-cmd, file(1) and procps's ps, which
# it calls as `ps --pid`, from Debian) and
# damo-ts record the same running workload in turn, ACC_RUNS times each (py, ours, py, ...),
# with the same attributes (intervals as 50-accuracy-wss, 10-1000 regions, kernel DAMON
# vaddr through the damon_aggregated tracepoint: trace-cmd for damo, our tracefs instance
# for damo-ts). Each tool's own `report wss` gives the working set at p25/p50/p75 of its
# recording; `damo compare` gives the heatmap correlation between recordings (same address
# space, aligned at their first snapshots). Reports the run-to-run spread of each tool, so
# a difference between the tools means something only beyond it. Fails when the two tools'
# median p50 differ by more than max(20 %, the sum of their spreads), or a tool fails.
# Runs only with --only (e.g. accuracy).
. /vm/lib.sh
. /vm/apps.sh
DUR=${ACC_DUR:-12}
RUNS=${ACC_RUNS:-3}
INTERVALS=${ACC_INTERVALS:-25ms 500ms 5s}
WORKLOADS=${ACC_WORKLOADS:-$APP_NAMES}
PYDAMO=/vm/pydamo/damo.py
# Snapshots left out of both tools' report wss (the first 2 s at 500 ms: DAMON adapting).
EXCL=${ACC_EXCLUDE_SAMPLES:-4}

# pct_line FILE P: the bytes on the "P <bytes>" line of a `report wss --raw_number` output.
pct_line() { awk -v p="$2" '$1 == p && $2 ~ /^[0-9]+$/ { print $2; exit }' "$1"; }
# stats V...: "median spread_pct" of the values (spread = (max - min) / median).
stats() { echo "$@" | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { m = v[int((NR + 1) / 2)];
  printf "%.0f %.0f\n", m, (m > 0 ? (v[NR] - v[1]) * 100 / m : 0) }'; }
corr() { damo compare "$1" "$2" --json 2>/dev/null | sed -n 's/.*"correlation": \([-0-9.e]*\).*/\1/p' | head -1; }

[ -f "$PYDAMO" ] || { result_as accuracy-peer fail reason=no_pydamo_in_initramfs; exit 1; }
for wl in $WORKLOADS; do
  app_start "$wl" > "$OUT/$wl.start.log" 2>&1 || { cat "$OUT/$wl.start.log"; result_as "accuracy-peer-$wl" fail reason=workload; app_stop; continue; }
  py_p50= our_p50= py_ms= our_ms= fails=0
  i=1
  while [ $i -le "$RUNS" ]; do
    t0=$(now_ms)
    (cd "$OUT" && PATH=/opt/procps/bin:$PATH vmprobe run "$OUT/$wl-py$i.cpu" python3 "$PYDAMO" record --damon_tracer trace-cmd --do_record access \
      --monitoring_intervals $INTERVALS --monitoring_nr_regions_range 10 1000 \
      --timeout "$DUR" -o "$OUT/$wl-py$i.data" "$APP_PID") > "$OUT/$wl-py$i.log" 2>&1 || fails=$((fails + 1))
    t1=$(now_ms)
    PATH=/opt/procps/bin:$PATH python3 "$PYDAMO" report wss -i "$OUT/$wl-py$i.data" --exclude_samples "$EXCL" --raw_number > "$OUT/$wl-py$i.wss" 2>&1 || fails=$((fails + 1))
    t2=$(now_ms)
    vmprobe run "$OUT/$wl-ours$i.cpu" damo record --source tracefs --monitoring_intervals $INTERVALS \
      --monitoring_nr_regions_range 10 1000 --timeout "$DUR" -o "$OUT/$wl-ours$i.data" "$APP_PID" \
      > "$OUT/$wl-ours$i.log" 2>&1 || fails=$((fails + 1))
    t3=$(now_ms)
    damo report wss -i "$OUT/$wl-ours$i.data" --exclude_samples "$EXCL" --raw_number > "$OUT/$wl-ours$i.wss" 2>&1 || fails=$((fails + 1))
    t4=$(now_ms)
    cat "$OUT/$wl-py$i.log" "$OUT/$wl-py$i.wss" "$OUT/$wl-ours$i.log" "$OUT/$wl-ours$i.wss"
    echo "$wl run $i: py record ${DUR}s took $((t1 - t0)) ms, report $((t2 - t1)) ms; ours record $((t3 - t2)) ms, report $((t4 - t3)) ms"
    v=$(pct_line "$OUT/$wl-py$i.wss" 50); [ -n "$v" ] || { fails=$((fails + 1)); v=0; }; py_p50="$py_p50 $v"
    v=$(pct_line "$OUT/$wl-ours$i.wss" 50); [ -n "$v" ] || { fails=$((fails + 1)); v=0; }; our_p50="$our_p50 $v"
    py_ms="$py_ms $((t2 - t0))"; our_ms="$our_ms $((t4 - t2))"
    i=$((i + 1))
  done
  app_stop
  set -- $(stats $py_p50); py_med=$1 py_spread=$2
  set -- $(stats $our_p50); our_med=$1 our_spread=$2
  diff=$(awk -v a="$our_med" -v b="$py_med" 'BEGIN { printf "%.0f", (b > 0 ? (a > b ? a - b : b - a) * 100 / b : 999) }')
  # Heatmap correlations: the tools against each other run by run, and each tool's runs
  # against its first.
  cx= co= cp=
  i=1
  while [ $i -le "$RUNS" ]; do
    cx="$cx $(corr "$OUT/$wl-py$i.data" "$OUT/$wl-ours$i.data")"
    [ $i -gt 1 ] && { co="$co $(corr "$OUT/$wl-ours1.data" "$OUT/$wl-ours$i.data")"; cp="$cp $(corr "$OUT/$wl-py1.data" "$OUT/$wl-py$i.data")"; }
    i=$((i + 1))
  done
  med() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR + 1) / 2)]; else print "na" }'; }
  set -- $(stats $py_ms); py_wall=$1
  set -- $(stats $our_ms); our_wall=$1
  bound=$((py_spread + our_spread)); [ $bound -lt 20 ] && bound=20
  result_as "accuracy-peer-$wl" "$(pass_if [ "$fails" = 0 -a "$diff" -le "$bound" ])" \
    "runs=$RUNS ours_p50_mib=$((our_med >> 20)) py_p50_mib=$((py_med >> 20)) p50_diff_pct=$diff ours_spread_pct=$our_spread py_spread_pct=$py_spread corr_cross=$(med $cx) corr_ours_runs=$(med $co) corr_py_runs=$(med $cp) ours_record_report_ms=$our_wall py_record_report_ms=$py_wall failures=$fails"
done
rm -f "$APP_DB"
