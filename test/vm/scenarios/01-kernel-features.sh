# SPDX-License-Identifier: GPL-2.0-only
# Kernel interfaces damo-ts relies on exist in the VM kernel (static checks; no workload).
. /vm/lib.sh

ops=$(cat "$DAMON_ADMIN/kdamonds/nr_kdamonds" >/dev/null 2>&1 && {
  echo 1 > "$DAMON_ADMIN/kdamonds/nr_kdamonds"
  echo 1 > "$DAMON_ADMIN/kdamonds/0/contexts/nr_contexts"
  cat "$DAMON_ADMIN/kdamonds/0/contexts/0/avail_operations"
  echo 0 > "$DAMON_ADMIN/kdamonds/nr_kdamonds"
} | tr '\n' ',' | sed 's/,$//')
echo "avail_operations: $ops"
has_op() { echo ",$ops," | grep -q ",$1,"; }
result_as sysfs-avail-operations "$(pass_if sh -c "echo ',$ops,' | grep -q ',vaddr,' && echo ',$ops,' | grep -q ',fvaddr,' && echo ',$ops,' | grep -q ',paddr,'")" "ops=$ops"

dbg=$(ls "$DAMON_DBGFS" 2>/dev/null | tr '\n' ',' | sed 's/,$//')
echo "debugfs damon: $dbg"
ok=pass
for f in attrs target_ids init_regions schemes kdamond_pid monitor_on_DEPRECATED mk_contexts rm_contexts; do
  [ -e "$DAMON_DBGFS/$f" ] || { echo "missing $DAMON_DBGFS/$f"; ok=fail; }
done
result_as debugfs-damon-files $ok "files=$dbg"

ev=
for e in damon_aggregated damos_before_apply; do
  [ -d "$TRACEFS/events/damon/$e" ] && ev="$ev${ev:+,}$e"
done
result_as tracefs-damon-events "$(pass_if [ "$ev" = damon_aggregated,damos_before_apply ])" "events=$ev"

swap_kb=$(awk '/SwapTotal/{print $2}' /proc/meminfo)
idle=$([ -e /sys/kernel/mm/page_idle/bitmap ] && echo 1 || echo 0)
sd=$(zcat /proc/config.gz | grep -c '^CONFIG_MEM_SOFT_DIRTY=y')
result_as mm-interfaces "$(pass_if [ "$idle" = 1 -a "$sd" = 1 -a "$swap_kb" -gt 0 ])" \
  "page_idle=$idle soft_dirty_config=$sd swap_kb=$swap_kb"
