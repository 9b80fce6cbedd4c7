# SPDX-License-Identifier: GPL-2.0-only
# Idle page tracking works on a real workload: after marking every page of hotblock's
# mapping idle, the pages of the (static) hot block are accessed again and lose the idle
# bit, while the cold rest stays idle.
. /vm/lib.sh
start_hotblock --period-s 0 || { result fail reason=workload; exit 1; }
cold_start=$HB_HOT_END
vmprobe idle-mark "$HB_PID" "$HB_MAP_START" "$HB_MAP_END"
sleep 1
hot=$(vmprobe idle-count "$HB_PID" "$HB_HOT_START" "$HB_HOT_END")
cold=$(vmprobe idle-count "$HB_PID" "$cold_start" "$HB_MAP_END")
echo "hot: $hot"; echo "cold: $cold"
stop_hotblock
readable() { echo $(( $(kv present "$1") - $(kv unreadable "$1") )); }
hot_idle_pct=$(( $(kv idle "$hot") * 100 / $(readable "$hot") ))
cold_idle_pct=$(( $(kv idle "$cold") * 100 / $(readable "$cold") ))
result "$(pass_if [ "$hot_idle_pct" -le 5 -a "$cold_idle_pct" -ge 95 ])" \
  "hot_idle_pct=$hot_idle_pct cold_idle_pct=$cold_idle_pct hot_pages=$(readable "$hot") cold_pages=$(readable "$cold")"
