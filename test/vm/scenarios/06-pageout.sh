# SPDX-License-Identifier: GPL-2.0-only
# process_madvise(MADV_PAGEOUT) from another process evicts the workload's cold pages to
# swap (zram): its RSS drops by about the cold size and pagemap shows them swapped, while
# the hot block stays resident.
. /vm/lib.sh
start_hotblock --period-s 0 || { result fail reason=workload; exit 1; }
cold_start=$HB_HOT_END
cold_bytes=$((HB_MAP_END - cold_start))
r0=$(vmprobe rss "$HB_PID")
t0=$(now_ms)
adv=$(vmprobe madvise "$HB_PID" "$cold_start" "$HB_MAP_END" pageout)
t1=$(now_ms)
sleep 0.5
r1=$(vmprobe rss "$HB_PID")
cold=$(vmprobe pagemap "$HB_PID" "$cold_start" "$HB_MAP_END")
hot=$(vmprobe pagemap "$HB_PID" "$HB_HOT_START" "$HB_HOT_END")
echo "before: $r0"; echo "$adv"; echo "after: $r1"; echo "cold: $cold"; echo "hot: $hot"
stop_hotblock
drop=$(( $(kv rss_anon_bytes "$r0") - $(kv rss_anon_bytes "$r1") ))
drop_pct=$((drop * 100 / cold_bytes))
swapped_pct=$(( $(kv swapped "$cold") * 100 / $(kv pages "$cold") ))
hot_present_pct=$(( $(kv present "$hot") * 100 / $(kv pages "$hot") ))
result "$(pass_if [ "$drop_pct" -ge 80 -a "$swapped_pct" -ge 80 -a "$hot_present_pct" -ge 95 ])" \
  "rss_drop_mib=$((drop >> 20)) rss_drop_pct_of_cold=$drop_pct cold_swapped_pct=$swapped_pct hot_present_pct=$hot_present_pct pageout_ms=$((t1 - t0))"
