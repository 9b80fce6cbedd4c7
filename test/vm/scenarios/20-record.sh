# SPDX-License-Identifier: GPL-2.0-only
# timeout: 900
# `damo record` on a real kernel: each source (tracefs stream, sysfs snapshots, debugfs,
# native page_idle) records hotblock and finds its hot block; every kernel change is undone
# after a normal end, SIGINT, SIGTERM and SIGKILL (the crash guardian); a kdamond that is not
# ours is left running and byte-identical; paddr records physical memory.
. /vm/lib.sh

ADMIN=$DAMON_ADMIN/kdamonds

# check_trace FILE HOT_START HOT_END -> "snapshots=N regions=N recall_pct=N precision_pct=N
# trailer=REASON" from the last snapshot of a damo-ts trace (read with the project's reader).
check_trace() {
  node --input-type=module -e '
    import { openProtobufTrace } from "/damo/dist/src/format/trace_reader.js";
    const [path, hs, he] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
    const t = await openProtobufTrace(path, { strict: true });
    let n = 0, last = null;
    for await (const s of t.snapshots()) { n++; last = s; }
    let hot = 0, ov = 0;
    for (let i = 0; last && i < last.starts.length; i++) {
      if (last.nrAccesses[i] === 0) continue;
      hot += last.ends[i] - last.starts[i];
      const lo = Math.max(last.starts[i], hs), hi = Math.min(last.ends[i], he);
      if (hi > lo) ov += hi - lo;
    }
    const tr = t.trailer();
    console.log(`snapshots=${n} regions=${last ? last.starts.length : 0} recall_pct=${Math.round(ov * 100 / (he - hs))} precision_pct=${hot ? Math.round(ov * 100 / hot) : 0} trailer=${tr ? tr.endReason.replace(/ /g, "_") : "none"} source=${t.header.source}`);
  ' "$@"
}

# wait_recording LOG: until damo says it is recording (node starts slowly under TCG).
wait_recording() {
  i=0
  while ! grep -q '^damo: recording ' "$1" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 300 ] && return 1
    sleep 0.1
  done
}

# Nothing of ours left: no kdamond, no trace instance, debugfs monitoring off.
restored() {
  [ "$(cat $ADMIN/nr_kdamonds)" = 0 ] || { echo "nr_kdamonds=$(cat $ADMIN/nr_kdamonds)"; return 1; }
  [ -z "$(ls $TRACEFS/instances)" ] || { echo "instances: $(ls $TRACEFS/instances)"; return 1; }
  [ "$(cat $DAMON_DBGFS/monitor_on_DEPRECATED)" = off ] || { echo "debugfs monitor on"; return 1; }
}

# ---- each source records hotblock -----------------------------------------------------
dbg_attrs_before=$(cat $DAMON_DBGFS/attrs)
for src in tracefs sysfs debugfs native; do
  HB_TIMELINE=$OUT/timeline-$src.txt
  start_hotblock --period-s 0 || { result_as "record-$src" fail reason=workload; continue; }
  t0=$(now_ms)
  damo record --source "$src" -o "$OUT/$src.data" --timeout 5 "$HB_PID" > "$OUT/$src.log" 2>&1
  rc=$?
  t1=$(now_ms)
  stop_hotblock
  cat "$OUT/$src.log"
  s=$(check_trace "$OUT/$src.data" "$HB_HOT_START" "$HB_HOT_END" 2>&1)
  r=$(restored 2>&1); rs=$?
  echo "$src: rc=$rc $s restored=$rs $r"
  snaps=$(kv snapshots "$s"); recall=$(kv recall_pct "$s"); precision=$(kv precision_pct "$s")
  result_as "record-$src" "$(pass_if [ "$rc" = 0 -a "$rs" = 0 -a "${snaps:-0}" -ge 5 -a "${recall:-0}" -ge 80 -a "${precision:-0}" -ge 50 -a "$(kv trailer "$s")" = timeout ])" \
    "rc=$rc $s wall_ms=$((t1 - t0))"
done
result_as record-debugfs-attrs-restored "$(pass_if [ "$(cat $DAMON_DBGFS/attrs)" = "$dbg_attrs_before" ])" "attrs=$(cat $DAMON_DBGFS/attrs | tr ' ' ,)"

# ---- a command target ends the recording; paddr --------------------------------------
damo record -o "$OUT/cmd.data" -- sleep 2 > "$OUT/cmd.log" 2>&1; rc=$?
s=$(check_trace "$OUT/cmd.data" 0 1)
result_as record-command-exit "$(pass_if [ "$rc" = 0 -a "$(kv trailer "$s")" = target-exit -a "$(kv snapshots "$s")" -ge 5 ] && restored)" "rc=$rc $s"

damo record -o "$OUT/paddr.data" --timeout 3 paddr > "$OUT/paddr.log" 2>&1; rc=$?
s=$(check_trace "$OUT/paddr.data" 0 1)
result_as record-paddr "$(pass_if [ "$rc" = 0 -a "$(kv snapshots "$s")" -ge 5 -a "$(kv source "$s")" = kernel-tracefs ] && restored)" "rc=$rc $s"

# ---- signals ---------------------------------------------------------------------------
for sig in INT TERM; do
  damo record -o "$OUT/sig$sig.data" -- sleep 60 > "$OUT/sig$sig.log" 2>&1 &
  dp=$!
  wait_recording "$OUT/sig$sig.log"
  sleep 1
  kill -$sig $dp
  wait $dp; rc=$?
  s=$(check_trace "$OUT/sig$sig.data" 0 1)
  want=$([ $sig = INT ] && echo 130 || echo 143)
  r=$(restored 2>&1); rs=$?
  result_as "record-sig$sig" "$(pass_if [ "$rc" = "$want" -a "$rs" = 0 -a "$(kv trailer "$s")" = "signal:SIG$sig" ])" "rc=$rc $s $r"
  pkill -f 'sleep 60' 2>/dev/null
done

# SIGKILL: the guardian turns our kdamond off and removes it and the trace instance.
HB_TIMELINE=$OUT/timeline-kill.txt
start_hotblock --period-s 0
damo record -o "$OUT/kill.data" "$HB_PID" > "$OUT/kill.log" 2>&1 &
dp=$!
wait_recording "$OUT/kill.log"
sleep 1
on_before=$(cat $ADMIN/0/state 2>/dev/null)
kill -KILL $dp
wait $dp 2>/dev/null
i=0
while ! restored >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
r=$(restored 2>&1); rs=$?
n=$(node --input-type=module -e '
  import { openProtobufTrace } from "/damo/dist/src/format/trace_reader.js";
  const t = await openProtobufTrace(process.argv[1]); let n = 0;
  for await (const _ of t.snapshots()) n++;
  console.log(n);' "$OUT/kill.data" 2>&1)
stop_hotblock
result_as record-sigkill-guardian "$(pass_if [ "$on_before" = on -a "$rs" = 0 -a "$n" -gt 0 ])" "state_before=$on_before restored_after_ms=$((i * 100)) snapshots=$n $r"

# ---- a kdamond that is not ours --------------------------------------------------------
HB_TIMELINE=$OUT/timeline-foreign.txt
start_hotblock --period-s 0
kd=$(damon_sysfs_vaddr "$HB_PID" 5000 100000 1000000)
echo on > "$kd/state"
dump() { find "$ADMIN" -type f | sort | while read -r f; do printf '%s=' "$f"; cat "$f" 2>/dev/null | tr '\n' ' '; echo; done; }
dump > "$OUT/foreign-before.txt"
damo record --source tracefs -o "$OUT/foreign.data" -- sleep 1 > "$OUT/foreign.log" 2>&1; rc=$?
cat "$OUT/foreign.log"
damo record -o "$OUT/foreign-auto.data" -- sleep 1 > "$OUT/foreign-auto.log" 2>&1; rc2=$?
cat "$OUT/foreign-auto.log"
dump > "$OUT/foreign-after.txt"
same=$(cmp -s "$OUT/foreign-before.txt" "$OUT/foreign-after.txt" && echo 1 || echo 0)
s=$(check_trace "$OUT/foreign-auto.data" 0 1 2>&1)
result_as record-foreign-kdamond "$(pass_if [ "$rc" = 1 -a "$same" = 1 -a "$(cat $kd/state)" = on ] && grep -q 'is running and is not ours' "$OUT/foreign.log")" "rc=$rc identical=$same"
result_as record-foreign-auto-native "$(pass_if [ "$rc2" = 0 -a "$(kv source "$s")" = native-page_idle ])" "rc=$rc2 $s"
echo off > "$kd/state"
stop_hotblock
