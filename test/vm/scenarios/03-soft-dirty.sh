# SPDX-License-Identifier: GPL-2.0-only
# Soft-dirty tracking works on a real workload: every page starts soft-dirty (written at
# start-up); `echo 4 > clear_refs` clears bit 55 of every pagemap entry; within a second the
# (static, written) hot block is soft-dirty again while the cold rest stays clean.
. /vm/lib.sh
start_hotblock --period-s 0 || { result fail reason=workload; exit 1; }
cold_start=$HB_HOT_END
before=$(vmprobe pagemap "$HB_PID" "$cold_start" "$HB_MAP_END")
echo 4 > "/proc/$HB_PID/clear_refs"
sleep 1
hot=$(vmprobe pagemap "$HB_PID" "$HB_HOT_START" "$HB_HOT_END")
cold=$(vmprobe pagemap "$HB_PID" "$cold_start" "$HB_MAP_END")
echo "cold before clear: $before"; echo "hot after: $hot"; echo "cold after: $cold"
stop_hotblock
pct() { echo $(( $(kv softdirty "$1") * 100 / $(kv pages "$1") )); }
b=$(pct "$before") h=$(pct "$hot") c=$(pct "$cold")
result "$(pass_if [ "$b" -ge 99 -a "$h" -ge 95 -a "$c" -le 1 ])" \
  "cold_dirty_before_pct=$b hot_dirty_after_pct=$h cold_dirty_after_pct=$c"
