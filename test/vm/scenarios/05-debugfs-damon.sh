# SPDX-License-Identifier: GPL-2.0-only
# The deprecated debugfs interface (CONFIG_DAMON_DBGFS_DEPRECATED) starts a kdamond on
# hotblock, reports its pid, emits damon_aggregated events that find the hot block, and stops.
. /vm/lib.sh
CAPTURE_S=${CAPTURE_S:-5}
start_hotblock --period-s 0 || { result fail reason=workload; exit 1; }
D=$DAMON_DBGFS
put "5000 100000 1000000 10 1000" "$D/attrs"
put "$HB_PID" "$D/target_ids"
echo "attrs: $(cat "$D/attrs"); target_ids: $(cat "$D/target_ids")"
echo > "$TRACEFS/trace"
put 1 "$TRACEFS/events/damon/damon_aggregated/enable"
put on "$D/monitor_on_DEPRECATED"
sleep "$CAPTURE_S"
state_on=$(cat "$D/monitor_on_DEPRECATED")
kpid=$(cat "$D/kdamond_pid")
cpu_us=$(kv cpu_us "$(vmprobe cputime "$kpid")")
put 0 "$TRACEFS/events/damon/damon_aggregated/enable"
put off "$D/monitor_on_DEPRECATED"
sleep 0.5
state_off=$(cat "$D/monitor_on_DEPRECATED")
kpid_after=$(cat "$D/kdamond_pid")
cp "$TRACEFS/trace" "$OUT/trace.txt"
stop_hotblock
s=$(trace_hot_summary "$OUT/trace.txt" "$HB_HOT_START" "$HB_HOT_END")
echo "monitor_on: $state_on -> $state_off; kdamond_pid: $kpid -> $kpid_after; $s"
recall=$(kv recall_pct "$s"); precision=$(kv precision_pct "$s")
result "$(pass_if [ "$state_on" = on -a "$state_off" = off -a "$kpid_after" = none \
  -a "$recall" -ge 80 -a "$precision" -ge 50 ])" \
  "kdamond_pid=$kpid $s kdamond_cpu_ms=$((cpu_us / 1000))"
