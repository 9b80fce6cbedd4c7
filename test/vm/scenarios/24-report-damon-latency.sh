# SPDX-License-Identifier: GPL-2.0-only
# timeout: 300
# heavy: fails on this 6.12 kernel under TCG by construction (see below); run with --only.
# Latency of `damo report damon` with a kdamond running 3 schemes (issue 18's acceptance:
# "median under 100 ms in the VM with 3 schemes"): `damo start` on hotblock with 3 schemes,
# then `damo report damon` and `damo report damon --damos_stats` REPORT_N times each
# (interleaved with the commands below, round by round); the result line has their median
# and p90 (nearest rank) and FAILS when the median of `damo report damon` is >= 100 ms. Then `damo stop`, which must leave no kdamond.
# Beside it, to say where the time goes (same run, same N):
#   bare_*     `node -e 0`: node's own start-up
#   node_*     `damo --version`: node start-up with damo-ts's bundle, no sysfs access
#   params_*   `damo report damon --damon_params`: every read and the formatting, but no
#              refresh command written to the kernel
#   kcmd_*     one write of update_schemes_stats to the kdamond's state file, from an
#              already running node (timeit.mjs's write mode): the kernel's own cost
#   kcmd_eq_*  the same for update_schemes_effective_quotas
# On Linux 6.12 each of those state commands sleeps >= 100 ms in the writer
# (damon_sysfs_handle_cmd: schedule_timeout_idle(100 ms) before it looks whether kdamond
# handled it; 6.14+ waits on a completion instead), and `report damon` writes two
# (update_schemes_stats and update_schemes_effective_quotas, as damo 3.3.0 does), so it
# cannot go under 200 ms on this kernel whatever damo does.
. /vm/lib.sh

N=${REPORT_N:-20}
ADMIN=$DAMON_ADMIN/kdamonds
DAMO_BIN=/damo/dist/src/cli/bin.cjs

# A light workload: 16 MiB hot in 256 MiB, one pass over it every 100 ms. The default
# (back-to-back passes over 64 MiB) keeps one of the 2 vCPUs busy: in the one run made with
# it, node -e 0 took 587 ms and report damon 2493 ms (medians), against 324 and 1084 ms in
# the next run with this one (host load moves such figures too).
start_hotblock --total-mib 256 --hot-mib 16 --period-s 3 --pass-sleep-us 100000 \
  || { result fail reason=workload; exit 1; }
damo start "$HB_PID" \
  --damos_action cold --damos_access_rate 0% 0% --damos_age 3s max \
  --damos_quota_space 10MB --damos_quota_interval 1s \
  --damos_action stat --damos_access_rate 5% max --damos_age 0 max \
  --damos_action stat --damos_access_rate 0% 0% --damos_age 1s max \
  > "$OUT/start.log" 2>&1
rc=$?
cat "$OUT/start.log"
kd=$ADMIN/0
nr_schemes=$(cat $kd/contexts/0/schemes/nr_schemes 2>/dev/null)
state=$(cat $kd/state 2>/dev/null)
if [ "$rc" != 0 ] || [ "$state" != on ] || [ "$nr_schemes" != 3 ]; then
  result fail reason=start "start_rc=$rc state=$state nr_schemes=$nr_schemes"
  exit 1
fi
sleep 2   # a few aggregations, so the statistics are not all zero

# interleaved: each round runs every one of them once (timeit.mjs), so host load changes
# under TCG move them all alike
node /vm/tools/timeit.mjs "$N" "$OUT/timeit" \
  "bare:run:node -e 0" \
  "node:run:node $DAMO_BIN --version" \
  "params:run:node $DAMO_BIN report damon --damon_params" \
  "report:run:node $DAMO_BIN report damon" \
  "stats:run:node $DAMO_BIN report damon --damos_stats" \
  "kcmd:write:$kd/state update_schemes_stats" \
  "kcmd_eq:write:$kd/state update_schemes_effective_quotas" > "$OUT/timeit.txt"
cat "$OUT/timeit.txt"
for v in bare node params report stats kcmd kcmd_eq; do eval "${v}_l=\$(grep '^$v ' \"\$OUT/timeit.txt\")"; done
cp "$OUT/timeit/report.out" "$OUT/report.out"

# the report must show the 3 schemes with their statistics (the last run's output)
schemes_shown=$(grep -c 'action: ' "$OUT/report.out")
applied_shown=$(grep -c 'sz_applied\|applied' "$OUT/report.out")
state_after=$(cat $kd/state)

damo stop > "$OUT/stop.log" 2>&1; stop_rc=$?
cat "$OUT/stop.log"
stop_hotblock
nr_after=$(cat $ADMIN/nr_kdamonds)
left=0
for k in $(seq 0 $((nr_after - 1))); do [ "$(cat $ADMIN/$k/state)" = on ] && left=$((left + 1)); done

med=$(kv median_ms "$report_l"); p90=$(kv p90_ms "$report_l")
ok=$(kv ok "$report_l")
result "$(pass_if awk -v m="$med" -v ok="$ok" -v n="$N" -v s="$stop_rc" -v l="$left" -v sh="$schemes_shown" \
  'BEGIN { exit !(m < 100 && ok == n && s == 0 && l == 0 && sh >= 3) }')" \
  "median_ms=$med p90_ms=$p90 n=$N ok=$ok" \
  "stats_median_ms=$(kv median_ms "$stats_l") stats_p90_ms=$(kv p90_ms "$stats_l")" \
  "params_median_ms=$(kv median_ms "$params_l") bare_node_median_ms=$(kv median_ms "$bare_l") node_median_ms=$(kv median_ms "$node_l")" \
  "kcmd_median_ms=$(kv median_ms "$kcmd_l") kcmd_eq_median_ms=$(kv median_ms "$kcmd_eq_l")" \
  "schemes_shown=$schemes_shown applied_lines=$applied_shown state_during=$state_after stop_rc=$stop_rc kdamonds_left_on=$left"
