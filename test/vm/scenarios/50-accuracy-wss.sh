# SPDX-License-Identifier: GPL-2.0-only
# heavy
# timeout: 1500
# Ground truth on real workloads (issue 19, item 2; docs/ACCURACY.md): each workload of
# /vm/apps.sh runs in its steady state while wsstruth measures its page-exact working set
# (idle page tracking over every present page, each aggregation interval), and damo record
# records it in turn with kernel DAMON (tracefs, vaddr), the native engine with page_idle
# and with soft_dirty. Per workload and source: working-set error at p50/p75/p90 (recorded
# percentile against the truth's) and hot-set recall (see /vm/tools/accuracy.mjs). Fails when p50 or p75
# exceeds 20 % (the kernel selftest's bound, sysfs_update_schemes_tried_regions_wss_
# estimation.py), except where the source cannot see the workload's accesses: soft-dirty
# sees writes only, so on a read-mostly workload (APP_WRITES=no) it must report at most a
# fifth of the truth rather than invent a working set.
#
# Intervals: TCG runs these workloads 10-50x slower than hardware while DAMON's intervals
# are wall-clock, so at the defaults (5ms 100ms 1s) a hot page of redis or sqlite is touched
# a few times a second and a 5 ms sample rarely catches it. This variant scales the
# intervals by 5 (25ms 500ms 5s: each sample covers about as many accesses as 5 ms would on
# hardware at a few-x slowdown); 54-accuracy-wss-default runs the defaults.
. /vm/lib.sh
. /vm/apps.sh
DUR=${ACC_DUR:-24}
TRUTH_MS=${ACC_TRUTH_MS:-500}
UNION=${ACC_UNION:+--union}
SKIP_S=${ACC_SKIP_S:-5}
INTERVALS=${ACC_INTERVALS:-25ms 500ms 5s}
PREFIX=${ACC_PREFIX:-accuracy-wss}
# The workload/source pairs judged by default: those within the bound on a quiet host
# (docs/ACCURACY.md has all pairs; redis, sqlite+page_idle and xz+soft_dirty are over it at
# p50 or p75). 56-accuracy-wss-all runs every pair (ACC_PAIRS=all). Heavy (not in CI): at
# host load 5-6 three of these seven went over the bound too (TCG slows the workloads
# further, and the sampling sees fewer accesses), so it cannot gate CI on a shared machine.
PAIRS=${ACC_PAIRS:-sqlite:kernel sqlite:soft_dirty xz:kernel xz:page_idle stress:kernel stress:page_idle stress:soft_dirty}
WORKLOADS=${ACC_WORKLOADS:-$APP_NAMES}
if [ "$PAIRS" != all ]; then
  w=; for x in $WORKLOADS; do case " $PAIRS " in *" $x:"*) w="$w $x" ;; esac; done; WORKLOADS=$w
fi
SOURCES='kernel|--source tracefs
page_idle|--source native --primitive page_idle
soft_dirty|--source native --primitive soft_dirty'

for wl in $WORKLOADS; do
  if ! app_start "$wl" > "$OUT/$wl.start.log" 2>&1; then
    cat "$OUT/$wl.start.log"
    result_as "$PREFIX-$wl" fail reason=workload_did_not_start
    app_stop; continue
  fi
  cat "$OUT/$wl.start.log"
  echo "$wl: $APP_CMD"
  echo "$wl: expected working set: $APP_EXPECT; intervals $INTERVALS; truth every $TRUTH_MS ms"
  wsstruth "$APP_PID" "$TRUTH_MS" "$OUT/$wl.truth" &
  truth_pid=$!
  sleep 2
  echo "$SOURCES" | while IFS='|' read -r label args; do
    [ "$PAIRS" = all ] || case " $PAIRS " in *" $wl:$label "*) ;; *) continue ;; esac
    damo record $args --monitoring_intervals $INTERVALS -o "$OUT/$wl-$label.data" --timeout "$DUR" "$APP_PID" > "$OUT/$wl-$label.log" 2>&1
    rc=$?
    cat "$OUT/$wl-$label.log"
    m=$(node /vm/tools/accuracy.mjs wss "$OUT/$wl.truth" "$OUT/$wl-$label.data" --skip-s "$SKIP_S" $UNION 2>&1)
    echo "$wl $label: rc=$rc $m"
    p50=$(kv wss_err_p50_pct "$m"); p75=$(kv wss_err_p75_pct "$m"); w=$(kv samples "$m")
    ok=fail
    if [ "$rc" = 0 ] && [ "${w:-0}" -ge 5 ]; then
      if [ "$label" = soft_dirty ] && [ "$APP_WRITES" = no ]; then
        # Reads dirty no page (sqlite reads through mmap; redis GETs write only the small
        # objects' LRU clocks). Blind by design, but it must not invent a working set.
        rec=$(kv rec_p50_mib "$m"); tr=$(kv truth_p50_mib "$m")
        [ "$(awk -v r="$rec" -v t="$tr" 'BEGIN { print (r <= 0.2 * t) ? 1 : 0 }')" = 1 ] && ok=pass
        m="$m judged=blind_to_reads"
      elif [ "${p50:-999}" -le 20 ] && [ "${p75:-999}" -le 20 ]; then
        ok=pass
      fi
    fi
    result_as "$PREFIX-$wl-$label" "$ok" "$m"
  done
  kill -TERM "$truth_pid" 2>/dev/null; wait "$truth_pid" 2>/dev/null
  app_stop
done
rm -f "$APP_DB"
