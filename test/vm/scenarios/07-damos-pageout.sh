# SPDX-License-Identifier: GPL-2.0-only
# A DAMOS `pageout` scheme installed through DAMON sysfs (regions not accessed for 1 s)
# evicts hotblock's cold part to swap and leaves the hot block resident; the scheme's stats
# (update_schemes_stats) account for what it applied.
. /vm/lib.sh
start_hotblock --period-s 0 || { result fail reason=workload; exit 1; }
cold_start=$HB_HOT_END
cold_bytes=$((HB_MAP_END - cold_start))
kd=$(damon_sysfs_vaddr "$HB_PID" 5000 100000 1000000) || { result fail reason=sysfs-setup; exit 1; }
c=$kd/contexts/0
put 1 "$c/schemes/nr_schemes"
sc=$c/schemes/0
put pageout "$sc/action"
put 4096 "$sc/access_pattern/sz/min"
put 18446744073709551615 "$sc/access_pattern/sz/max"
put 0 "$sc/access_pattern/nr_accesses/min"
put 0 "$sc/access_pattern/nr_accesses/max"
put 10 "$sc/access_pattern/age/min"
put 4294967295 "$sc/access_pattern/age/max"
r0=$(vmprobe rss "$HB_PID")
t0=$(now_ms)
put on "$kd/state"
# Wait until the cold part is (nearly) all swapped out, at most 30 s.
i=0
while [ $i -lt 60 ]; do
  sleep 0.5
  i=$((i + 1))
  swapped=$(kv swapped "$(vmprobe pagemap "$HB_PID" "$cold_start" "$HB_MAP_END")")
  [ "$swapped" -ge $((cold_bytes / 4096 * 9 / 10)) ] && break
done
t1=$(now_ms)
put update_schemes_stats "$kd/state"
for f in nr_tried sz_tried nr_applied sz_applied qt_exceeds; do
  echo "stats/$f: $(cat "$sc/stats/$f")"
done
sz_applied=$(cat "$sc/stats/sz_applied")
put off "$kd/state"
r1=$(vmprobe rss "$HB_PID")
cold=$(vmprobe pagemap "$HB_PID" "$cold_start" "$HB_MAP_END")
hot=$(vmprobe pagemap "$HB_PID" "$HB_HOT_START" "$HB_HOT_END")
echo "before: $r0"; echo "after: $r1"; echo "cold: $cold"; echo "hot: $hot"
stop_hotblock
swapped_pct=$(( $(kv swapped "$cold") * 100 / $(kv pages "$cold") ))
hot_present_pct=$(( $(kv present "$hot") * 100 / $(kv pages "$hot") ))
applied_pct=$((sz_applied * 100 / cold_bytes))
drop=$(( $(kv rss_anon_bytes "$r0") - $(kv rss_anon_bytes "$r1") ))
# sz_applied counts whole regions each time pageout applies to them, so its share of the cold
# part depends on how DAMON happened to split it (measured 79% to 128%); the effect on the
# workload is what the thresholds above judge, and the stats only need to account for it.
result "$(pass_if [ "$swapped_pct" -ge 80 -a "$hot_present_pct" -ge 90 -a "$applied_pct" -ge 50 ])" \
  "cold_swapped_pct=$swapped_pct hot_present_pct=$hot_present_pct sz_applied_pct_of_cold=$applied_pct rss_drop_mib=$((drop >> 20)) time_to_evict_ms=$((t1 - t0))"
