# SPDX-License-Identifier: GPL-2.0-only
# timeout: 300
# (issue 18) What host tests check only on fake trees, on the real kernel:
# - tune-ops-switch: `damo start paddr`, then `damo tune --ops vaddr --target_pid <hotblock>`
#   switches the running kdamond to vaddr online (same kdamond pid, still on; DAMON's commit
#   selects the operations set anew), `damo record ongoing` then finds hotblock's hot block in
#   its virtual address space; `damo tune paddr` switches it back (physical addresses only
#   below 8 GiB in this 2 GiB VM); `damo stop` leaves no kdamond.
# - record-damos-quota-goal: `damo record paddr` with damo 3.3.0's --damos_* flags and a
#   quota goal: our kdamond applies the scheme while recording (it tries regions), and is
#   gone afterwards.
# - record-intervals-goal: `damo record --monitoring_intervals_autotune`: refused before any
#   parameter is written on kernels before 6.15 (this VM's 6.12), recorded with the goal in
#   the trace header on 6.15+.
. /vm/lib.sh

ADMIN=$DAMON_ADMIN/kdamonds

# trace_span FILE -> "snapshots=N hot_start=A hot_end=B min=A max=B ops=O": target 0's
# snapshots, the accessed span of its last snapshot, the lowest and highest address of that
# snapshot, and the operations set the trace header names.
trace_span() {
  node --input-type=module -e '
    import { openProtobufTrace } from "/damo/dist/src/format/trace_reader.js";
    const t = await openProtobufTrace(process.argv[1], { strict: true });
    let n = 0, last = null;
    for await (const s of t.snapshots()) if (s.targetIndex === 0) { n++; last = s; }
    let hs = Infinity, he = 0, lo = Infinity, hi = 0;
    if (last !== null) for (let k = 0; k < last.starts.length; k++) {
      lo = Math.min(lo, last.starts[k]); hi = Math.max(hi, last.ends[k]);
      if (last.nrAccesses[k] > 0) { hs = Math.min(hs, last.starts[k]); he = Math.max(he, last.ends[k]); }
    }
    const goal = t.header.intervalsGoal;
    console.log(`snapshots=${n} hot_start=${hs === Infinity ? 0 : hs} hot_end=${he} min=${lo === Infinity ? 0 : lo} max=${hi} ops=${t.header.ops} goal_aggrs=${goal === undefined ? 0 : goal.aggrs}`);
  ' "$1"
}

# overlap_pct HS HE S E: percent of [HS, HE) covered by [S, E)
overlap_pct() {
  awk -v hs="$1" -v he="$2" -v s="$3" -v e="$4" 'BEGIN { lo = hs > s ? hs : s; hi = he < e ? he : e;
    printf "%d\n", (hi > lo ? (hi - lo) * 100 / (he - hs) : 0) }'
}

# ---- tune switches the operations set of the running kdamond ----------------------------
start_hotblock --total-mib 128 --hot-mib 16 --period-s 0 || { result_as tune-ops-switch fail reason=workload; exit 0; }
damo start paddr > "$OUT/start.log" 2>&1; rc_start=$?
pid0=$(cat $ADMIN/0/pid 2>/dev/null)
damo tune --ops vaddr --target_pid "$HB_PID" > "$OUT/tune-vaddr.log" 2>&1; rc_v=$?
ops_v=$(cat $ADMIN/0/contexts/0/operations 2>/dev/null); state_v=$(cat $ADMIN/0/state 2>/dev/null); pid_v=$(cat $ADMIN/0/pid 2>/dev/null)
sleep 2   # an ops update (every 1 s) replaces the physical regions with the process's mappings
damo record ongoing --timeout 3 -o "$OUT/vaddr.data" > "$OUT/rec-vaddr.log" 2>&1; rc_rv=$?
sv=$(trace_span "$OUT/vaddr.data" 2>&1); echo "vaddr: $sv"
recall=$(overlap_pct "$HB_HOT_START" "$HB_HOT_END" "$(kv hot_start "$sv")" "$(kv hot_end "$sv")")
damo tune paddr > "$OUT/tune-paddr.log" 2>&1; rc_p=$?
ops_p=$(cat $ADMIN/0/contexts/0/operations 2>/dev/null); state_p=$(cat $ADMIN/0/state 2>/dev/null); pid_p=$(cat $ADMIN/0/pid 2>/dev/null)
damo record ongoing --timeout 2 -o "$OUT/paddr.data" > "$OUT/rec-paddr.log" 2>&1; rc_rp=$?
sp=$(trace_span "$OUT/paddr.data" 2>&1); echo "paddr: $sp"
damo stop > "$OUT/stop.log" 2>&1; rc_stop=$?
nr_after=$(cat $ADMIN/nr_kdamonds 2>/dev/null)
stop_hotblock
cat "$OUT/start.log" "$OUT/tune-vaddr.log" "$OUT/rec-vaddr.log" "$OUT/tune-paddr.log" "$OUT/rec-paddr.log" "$OUT/stop.log"
max_p=$(kv max "$sp")
ok=pass
for c in "$rc_start" "$rc_v" "$rc_rv" "$rc_p" "$rc_rp" "$rc_stop" "$nr_after"; do [ "$c" = 0 ] || ok=fail; done
[ "$ops_v" = vaddr ] && [ "$state_v" = on ] && [ "$pid_v" = "$pid0" ] || ok=fail
[ "$ops_p" = paddr ] && [ "$state_p" = on ] && [ "$pid_p" = "$pid0" ] || ok=fail
[ "$(kv ops "$sv")" = vaddr ] && [ "$(kv ops "$sp")" = paddr ] || ok=fail
[ "${recall:-0}" -ge 50 ] || ok=fail
[ -n "$max_p" ] && [ "$max_p" -gt 0 ] && [ "$max_p" -le 8589934592 ] || ok=fail
result_as tune-ops-switch "$ok" kdamond_pid="$pid0" ops_after_vaddr="$ops_v" hot_recall_pct="${recall:-0}" \
  vaddr_snapshots="$(kv snapshots "$sv")" ops_after_paddr="$ops_p" paddr_max="${max_p:-0}" same_kdamond=$([ "$pid_v" = "$pid0" ] && [ "$pid_p" = "$pid0" ] && echo 1 || echo 0) \
  rc="$rc_start/$rc_v/$rc_rv/$rc_p/$rc_rp/$rc_stop" nr_kdamonds_after="$nr_after"

# ---- record with --damos_* flags and a quota goal -----------------------------------------
damo record paddr --timeout 3 --damos_action stat --damos_quotas 10ms 100M 1s \
  --damos_quota_goal some_mem_psi_us 1ms -o "$OUT/schemes.data" > "$OUT/rec-schemes.log" 2>&1; rc=$?
cat "$OUT/rec-schemes.log"
nr_tried=$(awk '$1 == "0" && $2 == "stat" { print $3 }' "$OUT/rec-schemes.log" | tail -1)
ss=$(trace_span "$OUT/schemes.data" 2>&1); echo "schemes: $ss"
nr_after=$(cat $ADMIN/nr_kdamonds 2>/dev/null)
ok=pass
[ "$rc" = 0 ] && [ "${nr_tried:-0}" -gt 0 ] && [ "$(kv snapshots "$ss")" -gt 0 ] && [ "$nr_after" = 0 ] || ok=fail
grep -q 'goal=some_mem_psi_us,1ms' "$OUT/rec-schemes.log" || ok=fail
result_as record-damos-quota-goal "$ok" rc="$rc" nr_tried="${nr_tried:-0}" snapshots="$(kv snapshots "$ss")" nr_kdamonds_after="$nr_after"

# ---- record with an intervals goal --------------------------------------------------------
damo record paddr --timeout 2 --monitoring_intervals_autotune -o "$OUT/goal.data" > "$OUT/rec-goal.log" 2>&1; rc=$?
cat "$OUT/rec-goal.log"
nr_after=$(cat $ADMIN/nr_kdamonds 2>/dev/null)
ok=pass
if uname -r | awk -F. '{ exit !($1 > 6 || ($1 == 6 && $2 >= 15)) }'; then
  sg=$(trace_span "$OUT/goal.data" 2>&1); echo "goal: $sg"
  [ "$rc" = 0 ] && [ "$(kv goal_aggrs "$sg")" = 3 ] && [ "$nr_after" = 0 ] || ok=fail
  result_as record-intervals-goal "$ok" kernel="$(uname -r)" rc="$rc" goal_aggrs="$(kv goal_aggrs "$sg")" nr_kdamonds_after="$nr_after"
else
  # Linux < 6.15: no intervals_goal directory; refused (exit 1), the kdamond undone.
  refused=$(grep -c 'but this kernel lacks it' "$OUT/rec-goal.log")
  [ "$rc" = 1 ] && [ "$refused" -ge 1 ] && [ "$nr_after" = 0 ] || ok=fail
  result_as record-intervals-goal "$ok" kernel="$(uname -r)" rc="$rc" refused="$refused" nr_kdamonds_after="$nr_after"
fi
