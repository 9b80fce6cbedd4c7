# SPDX-License-Identifier: GPL-2.0-only
# timeout: 180
# `damo features` on the real kernel lists what 6.12 has under damo's names and leaves DAMON
# sysfs as it found it (the probe kdamond is gone); `damo report sysinfo` infers the DAMON
# version; `damo module reclaim|lru_sort` read, write, enable (kdamond started, its pid
# shown) and disable; `damo module stat` says this kernel has no DAMON_STAT.
. /vm/lib.sh

before=$(damon_state_dump)
damo features supported > "$OUT/supported.txt" 2> "$OUT/features.err"; rc=$?
after=$(damon_state_dump)
missing=
for f in interface/damon_sysfs interface/damon_debugfs interface/damon_reclaim interface/damon_lru_sort \
    sysfs/vaddr sysfs/fvaddr sysfs/paddr sysfs/schemes_tried_regions sysfs/schemes_filters_young \
    sysfs/schemes_quota_goals sysfs/schemes_migrate trace/damon_aggregated trace/damos_before_apply reclaim/skip_anon; do
  grep -qx "$f" "$OUT/supported.txt" || missing="$missing,$f"
done
# 6.12 has none of 6.14+'s
extra=
for f in sysfs/allow_filter sysfs/intervals_goal interface/damon_stat sysfs/refresh_ms; do
  grep -qx "$f" "$OUT/supported.txt" && extra="$extra,$f"
done
same=0; [ "$before" = "$after" ] && same=1
result_as features-real-kernel "$(pass_if [ "$rc" = 0 -a -z "$missing" -a -z "$extra" -a "$same" = 1 ])" \
  "rc=$rc supported=$(wc -l < "$OUT/supported.txt") missing=${missing#,} unexpected=${extra#,} sysfs_unchanged=$same"

damo report sysinfo > "$OUT/sysinfo.txt" 2>&1; rc=$?
cat "$OUT/sysinfo.txt"
ver=$(sed -n 's/^DAMON version: //p' "$OUT/sysinfo.txt")
result_as sysinfo-real-kernel "$(pass_if [ "$rc" = 0 -a "$ver" = 6.11 ])" "rc=$rc damon_version=$ver"

for m in reclaim lru_sort; do
  P=/sys/module/damon_$m/parameters
  damo module $m > "$OUT/$m-status.txt" 2>&1; rc1=$?
  cat "$OUT/$m-status.txt"
  damo module $m write min_nr_regions 20 > "$OUT/$m-write.txt" 2>&1; rc2=$?
  w=$(cat $P/min_nr_regions)
  damo module $m enable > "$OUT/$m-enable.txt" 2>&1; rc3=$?
  pid=$(cat $P/kdamond_pid)
  comm=$(cat /proc/$pid/comm 2>/dev/null)
  damo module $m disable > "$OUT/$m-disable.txt" 2>&1; rc4=$?
  pid_after=$(cat $P/kdamond_pid)
  cat "$OUT/$m-enable.txt" "$OUT/$m-disable.txt"
  result_as "module-$m" "$(pass_if [ "$rc1" = 0 -a "$rc2" = 0 -a "$w" = 20 -a "$rc3" = 0 -a "${comm#kdamond}" != "$comm" -a "$rc4" = 0 -a "$pid_after" = -1 ] && grep -q '^stats:' "$OUT/$m-status.txt")" \
    "status_rc=$rc1 write_rc=$rc2 min_nr_regions=$w enable_rc=$rc3 kdamond=$comm disable_rc=$rc4 pid_after=$pid_after"
done

damo module stat > "$OUT/stat.txt" 2>&1; rc=$?
cat "$OUT/stat.txt"
result_as module-stat-absent "$(pass_if [ "$rc" = 1 ] && grep -q 'this kernel has no DAMON_STAT' "$OUT/stat.txt")" "rc=$rc"
