# SPDX-License-Identifier: GPL-2.0-only
# timeout: 600
# `damo schemes -c FILE <pid>` applies schemes online on a real kernel (issue 8, item 4):
# - through kernel DAMON sysfs and debugfs: a pageout scheme for memory idle >= 1 s swaps
#   hotblock's cold part out to zram while the hot block stays resident, the DAMOS
#   statistics read back are nonzero, and every kernel change is undone (normal end, SIGINT,
#   and SIGKILL through the crash guardian); -o also records a trace holding SchemeStats;
# - through the native engine (page_idle) with process_madvise: pageout swaps the cold
#   part out, and cold clears the accessed bits of the cold part (smaps Referenced drops
#   to about the hot block, far below a stat-only control run of the same length);
# - a kdamond that is not ours is left running and byte-identical, and the native backend
#   still works next to it.
# One RESULT line per check, named schemes-<check>.
. /vm/lib.sh

ADMIN=$DAMON_ADMIN/kdamonds
SCHEME='4K max 0 0 1s max pageout'

# jnum KEY FILE: first numeric value of "KEY": in damo's pretty-printed JSON.
jnum() { sed -n "s/.*\"$1\": \([0-9][0-9]*\).*/\1/p" "$2" | head -1; }

# Nothing of ours left: no kdamond, no trace instance, debugfs off with its files as before.
dbg_before="$(cat $DAMON_DBGFS/attrs)|$(cat $DAMON_DBGFS/target_ids)|$(cat $DAMON_DBGFS/schemes)"
restored() {
  [ "$(cat $ADMIN/nr_kdamonds)" = 0 ] || { echo "nr_kdamonds=$(cat $ADMIN/nr_kdamonds)"; return 1; }
  [ -z "$(ls $TRACEFS/instances)" ] || { echo "instances: $(ls $TRACEFS/instances)"; return 1; }
  [ "$(cat $DAMON_DBGFS/monitor_on_DEPRECATED)" = off ] || { echo "debugfs monitor on"; return 1; }
  now="$(cat $DAMON_DBGFS/attrs)|$(cat $DAMON_DBGFS/target_ids)|$(cat $DAMON_DBGFS/schemes)"
  [ "$now" = "$dbg_before" ] || { echo "debugfs files changed: $now (were $dbg_before)"; return 1; }
}

# Referenced bytes of hotblock's mapping (smaps), in KiB.
referenced_kib() {
  awk -v s="$(printf '%x' "$HB_MAP_START")" '
    $1 ~ /^[0-9a-f]+-[0-9a-f]+$/ { split($1, a, "-"); inmap = (a[1] == s) }
    inmap && $1 == "Referenced:" { print $2; exit }' "/proc/$HB_PID/smaps"
}

# pageout_check NAME BACKEND [damo args...]: hotblock, damo schemes with a pageout scheme for
# 8 s, then the cold part must be mostly swapped out, the hot block resident, sz_applied > 0.
pageout_check() {
  name=$1; backend=$2; shift 2
  HB_TIMELINE=$OUT/timeline-$name.txt
  start_hotblock --total-mib 256 --hot-mib 32 --period-s 0 || { result_as "schemes-$name" fail reason=workload; return; }
  cold_start=$HB_HOT_END
  cold_bytes=$((HB_MAP_END - cold_start))
  r0=$(vmprobe rss "$HB_PID")
  t0=$(now_ms)
  damo --debug schemes -c "$SCHEME" --backend "$backend" --timeout 8 --json "$@" "$HB_PID" > "$OUT/$name.json" 2> "$OUT/$name.log"
  rc=$?
  t1=$(now_ms)
  r1=$(vmprobe rss "$HB_PID")
  cold=$(vmprobe pagemap "$HB_PID" "$cold_start" "$HB_MAP_END")
  hot=$(vmprobe pagemap "$HB_PID" "$HB_HOT_START" "$HB_HOT_END")
  stop_hotblock
  cat "$OUT/$name.log"; cat "$OUT/$name.json"
  echo "before: $r0"; echo "after: $r1"; echo "cold: $cold"; echo "hot: $hot"
  r=$(restored 2>&1); rs=$?
  swapped_pct=$(( $(kv swapped "$cold") * 100 / $(kv pages "$cold") ))
  hot_present_pct=$(( $(kv present "$hot") * 100 / $(kv pages "$hot") ))
  drop=$(( $(kv rss_anon_bytes "$r0") - $(kv rss_anon_bytes "$r1") ))
  nr_tried=$(jnum nr_tried "$OUT/$name.json"); sz_tried=$(jnum sz_tried "$OUT/$name.json")
  nr_applied=$(jnum nr_applied "$OUT/$name.json"); sz_applied=$(jnum sz_applied "$OUT/$name.json")
  result_as "schemes-$name" "$(pass_if [ "$rc" = 0 -a "$rs" = 0 -a "$swapped_pct" -ge 80 -a "$hot_present_pct" -ge 90 -a "${nr_applied:-0}" -gt 0 -a "${sz_applied:-0}" -gt 0 ])" \
    "rc=$rc cold_swapped_pct=$swapped_pct hot_present_pct=$hot_present_pct rss_drop_mib=$((drop >> 20)) cold_mib=$((cold_bytes >> 20)) nr_tried=$nr_tried sz_tried_mib=$((${sz_tried:-0} >> 20)) nr_applied=$nr_applied sz_applied_mib=$((${sz_applied:-0} >> 20)) wall_ms=$((t1 - t0)) $r"
}

# ---- kernel DAMON -----------------------------------------------------------------------
pageout_check sysfs sysfs
# The scheme went in as `damo schemes convert --to sysfs` lists it (--debug logs each write).
grep -q 'schemes/0/action <- "pageout"' "$OUT/sysfs.log" && grep -q 'schemes/0/access_pattern/age/min <- "10"' "$OUT/sysfs.log" && grep -q 'state <- "update_schemes_stats"' "$OUT/sysfs.log"
result_as schemes-sysfs-writes "$(pass_if [ $? = 0 ])" "writes=$(grep -c 'debug: write' "$OUT/sysfs.log") stats_updates=$(grep -c 'update_schemes_stats' "$OUT/sysfs.log")"

pageout_check debugfs debugfs
grep -q 'schemes <- "4096' "$OUT/debugfs.log"
result_as schemes-debugfs-writes "$(pass_if [ $? = 0 ])" "line=$(grep 'damon/schemes <- "4096' "$OUT/debugfs.log" | head -1 | sed 's/.*<- //; s/\\t/,/g')"

# -o: the trace holds snapshots and the statistics over time, next to the scheme text.
HB_TIMELINE=$OUT/timeline-trace.txt
start_hotblock --total-mib 256 --hot-mib 32 --period-s 0
damo schemes -c "$SCHEME" --backend sysfs --timeout 5 -o "$OUT/schemes.data" "$HB_PID" > "$OUT/trace.txt" 2> "$OUT/trace.log"
rc=$?
stop_hotblock
cat "$OUT/trace.log" "$OUT/trace.txt"
s=$(node --input-type=module -e '
  import { openProtobufTrace } from "/damo/dist/src/format/trace_reader.js";
  const t = await openProtobufTrace(process.argv[1], { strict: true });
  let snaps = 0, stats = 0, last = null, schemes = "";
  for await (const r of t.records()) {
    if (r.kind === "snapshot") snaps++;
    if (r.kind === "scheme-stats") { stats++; last = r.stats; }
    if (r.kind === "event" && r.event.kind === "schemes") schemes = r.event.message;
  }
  console.log(`snapshots=${snaps} stats_frames=${stats} last_sz_applied=${last ? last.szAppliedBytes : 0} source=${t.header.source} scheme_event=${schemes === "4K max min 0 1s max pageout" ? 1 : 0}`);
' "$OUT/schemes.data" 2>&1)
r=$(restored 2>&1); rs=$?
result_as schemes-sysfs-trace "$(pass_if [ "$rc" = 0 -a "$rs" = 0 -a "$(kv snapshots "$s")" -ge 10 -a "$(kv stats_frames "$s")" -ge 3 -a "$(kv last_sz_applied "$s")" -gt 0 -a "$(kv scheme_event "$s")" = 1 ])" "rc=$rc $s $r"

# SIGINT: exit 130, the statistics table still printed, everything undone.
HB_TIMELINE=$OUT/timeline-int.txt
start_hotblock --total-mib 128 --hot-mib 16 --period-s 0
vmprobe run "$OUT/int.rc" damo schemes -c "$SCHEME" --backend sysfs "$HB_PID" > "$OUT/int.txt" 2> "$OUT/int.log" &
dp=$!
i=0
while ! grep -q '^damo: applying ' "$OUT/int.log" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 3
on_before=$(cat $ADMIN/0/state 2>/dev/null)
kill -INT $dp
wait $dp; rc=$?
stop_hotblock
cat "$OUT/int.log" "$OUT/int.txt"
r=$(restored 2>&1); rs=$?
result_as schemes-sysfs-sigint "$(pass_if [ "$rc" = 130 -a "$rs" = 0 -a "$on_before" = on ] && grep -q '^0  pageout' "$OUT/int.txt")" "rc=$rc state_before=$on_before $r"

# SIGKILL: nothing can run in damo-ts; the crash guardian turns our kdamond off and removes it.
HB_TIMELINE=$OUT/timeline-kill.txt
start_hotblock --total-mib 128 --hot-mib 16 --period-s 0
damo schemes -c "$SCHEME" --backend sysfs "$HB_PID" > "$OUT/kill.txt" 2> "$OUT/kill.log" &
dp=$!
i=0
while ! grep -q '^damo: applying ' "$OUT/kill.log" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1
on_before=$(cat $ADMIN/0/state 2>/dev/null)
kill -KILL $dp
wait $dp 2>/dev/null
i=0
while ! restored >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
r=$(restored 2>&1); rs=$?
stop_hotblock
result_as schemes-sysfs-sigkill-guardian "$(pass_if [ "$on_before" = on -a "$rs" = 0 ])" "state_before=$on_before restored_after_ms=$((i * 100)) $r"

# ---- native engine (page_idle + process_madvise) ------------------------------------------
pageout_check native-pageout native --primitive page_idle

# cold: MADV_COLD clears the accessed bits of the pages it deactivates, so the mapping's
# Referenced drops to about the hot block. The engine's own sampling clears some too
# (page_idle): a stat-only run of the same length is the control.
cold_check() {
  name=$1; text=$2
  HB_TIMELINE=$OUT/timeline-$name.txt
  start_hotblock --total-mib 256 --hot-mib 32 --period-s 0 || return 1
  ref0=$(referenced_kib)
  damo schemes -c "$text" --backend native --primitive page_idle --timeout 8 --json "$HB_PID" > "$OUT/$name.json" 2> "$OUT/$name.log"
  rc=$?
  ref1=$(referenced_kib)
  stop_hotblock
  cat "$OUT/$name.log" "$OUT/$name.json"
  echo "$name: referenced ${ref0} -> ${ref1} KiB rc=$rc"
}
cold_check native-stat 'min max min max min max stat'
ref_stat=$ref1; rc_stat=$rc
cold_check native-cold '4K max 0 0 1s max cold'
ref_cold=$ref1; rc_cold=$rc
sz_applied=$(jnum sz_applied "$OUT/native-cold.json")
result_as schemes-native-cold "$(pass_if [ "$rc_stat" = 0 -a "$rc_cold" = 0 -a "${ref_cold:-999999}" -le $((32 * 1024 * 3 / 2)) -a "${ref_cold:-999999}" -lt $((${ref_stat:-0} / 2)) -a "${sz_applied:-0}" -gt 0 ])" \
  "referenced_before_kib=$ref0 referenced_after_cold_kib=$ref_cold referenced_after_stat_only_kib=$ref_stat hot_kib=$((32 * 1024)) sz_applied_mib=$((${sz_applied:-0} >> 20))"

# ---- a kdamond that is not ours -------------------------------------------------------------
HB_TIMELINE=$OUT/timeline-foreign.txt
start_hotblock --total-mib 128 --hot-mib 16 --period-s 0
kd=$(damon_sysfs_vaddr "$HB_PID" 5000 100000 1000000)
echo on > "$kd/state"
dump() { find "$ADMIN" -type f | sort | while read -r f; do printf '%s=' "$f"; cat "$f" 2>/dev/null | tr '\n' ' '; echo; done; }
dump > "$OUT/foreign-before.txt"
damo schemes -c "$SCHEME" --backend sysfs --timeout 2 "$HB_PID" > "$OUT/foreign.txt" 2> "$OUT/foreign.log"; rc=$?
damo schemes -c "$SCHEME" --timeout 3 --json "$HB_PID" > "$OUT/foreign-auto.json" 2> "$OUT/foreign-auto.log"; rc2=$?
dump > "$OUT/foreign-after.txt"
cat "$OUT/foreign.log" "$OUT/foreign-auto.log"
same=$(cmp -s "$OUT/foreign-before.txt" "$OUT/foreign-after.txt" && echo 1 || echo 0)
backend=$(sed -n 's/.*"backend": "\([a-z]*\)".*/\1/p' "$OUT/foreign-auto.json")
state=$(cat "$kd/state")
echo off > "$kd/state"
stop_hotblock
result_as schemes-foreign-kdamond "$(pass_if [ "$rc" = 1 -a "$same" = 1 -a "$state" = on -a "$rc2" = 0 -a "$backend" = native ] && grep -q 'is running and is not ours' "$OUT/foreign.log")" \
  "rc_sysfs=$rc identical=$same state=$state rc_auto=$rc2 auto_backend=$backend"
