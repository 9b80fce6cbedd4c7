# SPDX-License-Identifier: GPL-2.0-only
# damon_state_dump (the helper restoration checks compare before/after) is complete and
# stable: with a running kdamond + scheme staged through sysfs and a debugfs context, two
# dumps 3 s apart are identical, and the dump does show the running kdamond.
. /vm/lib.sh
start_hotblock --period-s 0 || { result fail reason=workload; exit 1; }
kd=$(damon_sysfs_vaddr "$HB_PID" 5000 100000 1000000) || { result fail reason=sysfs-setup; exit 1; }
put 1 "$kd/contexts/0/schemes/nr_schemes"
put stat "$kd/contexts/0/schemes/0/action"
put on "$kd/state"
put "$HB_PID" "$DAMON_DBGFS/target_ids"
damon_state_dump > "$OUT/before.txt"
sleep 3
damon_state_dump > "$OUT/after.txt"
put off "$kd/state"
stop_hotblock
files=$(wc -l < "$OUT/before.txt")
changed=$(diff "$OUT/before.txt" "$OUT/after.txt" | grep -c '^[-+][^-+]')
diff "$OUT/before.txt" "$OUT/after.txt"
shows_on=$(grep -c "kdamonds/0/state: on" "$OUT/before.txt")
shows_pid=$(grep -c "target_ids: $HB_PID" "$OUT/before.txt")
shows_scheme=$(grep -c "schemes/0/action: stat" "$OUT/before.txt")
result "$(pass_if [ "$changed" = 0 -a "$shows_on" = 1 -a "$shows_pid" = 1 -a "$shows_scheme" = 1 ])" \
  "files=$files changed_lines=$changed"
