# SPDX-License-Identifier: GPL-2.0-only
# A kdamond started through DAMON sysfs on hotblock emits damon:damon_aggregated events in
# tracefs, and the regions DAMON reports as hot are where the hot block really is.
# Also reports the kdamond's CPU time per aggregation (snapshot) for later comparisons.
. /vm/lib.sh
CAPTURE_S=${CAPTURE_S:-6}
start_hotblock --period-s 0 || { result fail reason=workload; exit 1; }
kd=$(damon_sysfs_vaddr "$HB_PID" 5000 100000 1000000) || { result fail reason=sysfs-setup; exit 1; }
ev=$TRACEFS/events/damon/damon_aggregated
echo > "$TRACEFS/trace"
put 1 "$ev/enable"
put on "$kd/state"
t0=$(now_ms)
sleep "$CAPTURE_S"
cpu_us=$(kdamond_cpu_us "$kd")
put 0 "$ev/enable"
t1=$(now_ms)
put off "$kd/state"
cp "$TRACEFS/trace" "$OUT/trace.txt"
stop_hotblock

trace_hot_summary "$OUT/trace.txt" "$HB_HOT_START" "$HB_HOT_END" > "$OUT/summary.txt"
lines=$(grep -c ' damon_aggregated: ' "$OUT/trace.txt")
s=$(cat "$OUT/summary.txt")
echo "trace lines: $lines; $s"
snaps=$(kv snapshots "$s")
recall=$(kv recall_pct "$s"); precision=$(kv precision_pct "$s")
per_snap=$([ "$snaps" -gt 0 ] && echo $((cpu_us / snaps)) || echo 0)
result "$(pass_if [ "$lines" -gt 0 -a "$recall" -ge 80 -a "$precision" -ge 50 ])" \
  "lines=$lines $s kdamond_cpu_ms=$((cpu_us / 1000)) kdamond_cpu_us_per_snapshot=$per_snap capture_ms=$((t1 - t0))"
