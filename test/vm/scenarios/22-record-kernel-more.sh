# SPDX-License-Identifier: GPL-2.0-only
# timeout: 300
# What host tests check only on fake trees, on the real kernel: fvaddr recording of fixed
# --regions (the kdamond's operations is fvaddr and every recorded region stays inside the
# range), sysfs snapshots of two targets at once (each target's snapshots find its own hot
# block), and recording while tracefs is not mounted (damo falls back to sysfs snapshots and
# says why; tracefs is mounted again afterwards).
. /vm/lib.sh

ADMIN=$DAMON_ADMIN/kdamonds

# trace_targets FILE -> per target index: "t<i>_snapshots=N t<i>_hot_start=A t<i>_hot_end=B
# t<i>_min=A t<i>_max=B": snapshots, the accessed span of its last snapshot, and the lowest
# and highest address it ever recorded.
trace_targets() {
  node --input-type=module -e '
    import { openProtobufTrace } from "/damo/dist/src/format/trace_reader.js";
    const t = await openProtobufTrace(process.argv[1], { strict: true });
    const per = new Map();
    for await (const s of t.snapshots()) {
      const p = per.get(s.targetIndex) ?? { n: 0, last: null, min: Infinity, max: 0 };
      p.n++; p.last = s;
      for (let i = 0; i < s.starts.length; i++) { p.min = Math.min(p.min, s.starts[i]); p.max = Math.max(p.max, s.ends[i]); }
      per.set(s.targetIndex, p);
    }
    const out = [`targets=${per.size}`, `source=${t.header.source}`];
    for (const [i, p] of [...per.entries()].sort((a, b) => a[0] - b[0])) {
      let hs = Infinity, he = 0;
      const l = p.last;
      for (let k = 0; k < l.starts.length; k++) if (l.nrAccesses[k] > 0) { hs = Math.min(hs, l.starts[k]); he = Math.max(he, l.ends[k]); }
      out.push(`t${i}_snapshots=${p.n} t${i}_hot_start=${hs === Infinity ? 0 : hs} t${i}_hot_end=${he} t${i}_min=${p.min} t${i}_max=${p.max}`);
    }
    console.log(out.join(" "));
  ' "$1"
}

# overlap_pct HS HE S E: percent of [HS, HE) covered by [S, E)
overlap_pct() {
  awk -v hs="$1" -v he="$2" -v s="$3" -v e="$4" 'BEGIN { lo = hs > s ? hs : s; hi = he < e ? he : e;
    printf "%d\n", (hi > lo ? (hi - lo) * 100 / (he - hs) : 0) }'
}

# ---- fvaddr: a fixed range of hotblock's mapping ---------------------------------------
HB_TIMELINE=$OUT/timeline-fvaddr.txt
start_hotblock --total-mib 128 --hot-mib 16 --period-s 0 || { result_as record-fvaddr fail reason=workload; exit 0; }
# a range that holds the hot block and some cold memory on each side, inside the mapping
lo=$((HB_HOT_START - 16 * 1048576)); [ "$lo" -lt "$HB_MAP_START" ] && lo=$HB_MAP_START
hi=$((HB_HOT_END + 16 * 1048576)); [ "$hi" -gt "$HB_MAP_END" ] && hi=$HB_MAP_END
damo record -o "$OUT/fvaddr.data" --timeout 5 -r "$lo-$hi" "$HB_PID" > "$OUT/fvaddr.log" 2>&1 &
rec=$!
ops=
for i in $(seq 1 100); do
  [ "$(cat $ADMIN/0/state 2>/dev/null)" = on ] && { ops=$(cat $ADMIN/0/contexts/0/operations); break; }
  sleep 0.1
done
wait $rec; rc=$?
stop_hotblock
cat "$OUT/fvaddr.log"
s=$(trace_targets "$OUT/fvaddr.data" 2>&1); echo "fvaddr: $s"
recall=$(overlap_pct "$HB_HOT_START" "$HB_HOT_END" "$(kv t0_hot_start "$s")" "$(kv t0_hot_end "$s")")
inside=0; [ "$(kv t0_min "$s")" -ge "$lo" ] 2>/dev/null && [ "$(kv t0_max "$s")" -le "$hi" ] 2>/dev/null && inside=1
result_as record-fvaddr "$(pass_if [ "$rc" = 0 -a "$ops" = fvaddr -a "$inside" = 1 -a "$(kv t0_snapshots "$s")" -ge 5 -a "$recall" -ge 80 ])" \
  "rc=$rc ops=$ops inside_range=$inside snapshots=$(kv t0_snapshots "$s") recall_pct=$recall range_mib=$(((hi - lo) / 1048576))"

# ---- sysfs snapshots of two targets ----------------------------------------------------
HB_TIMELINE=$OUT/timeline-a.txt
start_hotblock --total-mib 128 --hot-mib 16 --period-s 0 --first-slot 1 || { result_as record-sysfs-two-targets fail reason=workload; exit 0; }
A_PID=$HB_PID A_HS=$HB_HOT_START A_HE=$HB_HOT_END
HB_TIMELINE=$OUT/timeline-b.txt HB_PID=
start_hotblock --total-mib 128 --hot-mib 16 --period-s 0 --first-slot 5 || { kill $A_PID; result_as record-sysfs-two-targets fail reason=workload; exit 0; }
B_PID=$HB_PID B_HS=$HB_HOT_START B_HE=$HB_HOT_END
damo record --source sysfs -o "$OUT/two.data" --timeout 6 "$A_PID" "$B_PID" > "$OUT/two.log" 2>&1; rc=$?
kill -TERM "$A_PID" "$B_PID" 2>/dev/null; wait "$A_PID" "$B_PID" 2>/dev/null; HB_PID=
cat "$OUT/two.log"
s=$(trace_targets "$OUT/two.data" 2>&1); echo "two targets: $s"
ra=$(overlap_pct "$A_HS" "$A_HE" "$(kv t0_hot_start "$s")" "$(kv t0_hot_end "$s")")
rb=$(overlap_pct "$B_HS" "$B_HE" "$(kv t1_hot_start "$s")" "$(kv t1_hot_end "$s")")
result_as record-sysfs-two-targets "$(pass_if [ "$rc" = 0 -a "$(kv targets "$s")" = 2 -a "$(kv t0_snapshots "$s")" -ge 3 -a "$(kv t1_snapshots "$s")" -ge 3 -a "$ra" -ge 80 -a "$rb" -ge 80 -a "$(cat $ADMIN/nr_kdamonds)" = 0 ])" \
  "rc=$rc source=$(kv source "$s") t0_snapshots=$(kv t0_snapshots "$s") t1_snapshots=$(kv t1_snapshots "$s") t0_recall_pct=$ra t1_recall_pct=$rb"

# ---- tracefs not mounted ----------------------------------------------------------------
umount "$TRACEFS" || { result_as record-tracefs-unmounted fail reason=umount_failed; exit 0; }
HB_TIMELINE=$OUT/timeline-unmounted.txt
start_hotblock --total-mib 128 --hot-mib 16 --period-s 0 || { mount -t tracefs nodev "$TRACEFS"; result_as record-tracefs-unmounted fail reason=workload; exit 0; }
damo record -o "$OUT/unmounted.data" --timeout 5 "$HB_PID" > "$OUT/unmounted.log" 2>&1; rc=$?
stop_hotblock
mounted_after=0; grep -q " $TRACEFS tracefs " /proc/mounts && mounted_after=1
mount -t tracefs nodev "$TRACEFS"
cat "$OUT/unmounted.log"
s=$(trace_targets "$OUT/unmounted.data" 2>&1); echo "unmounted: $s"
said=0; grep -q 'tracefs is not mounted' "$OUT/unmounted.log" && said=1
result_as record-tracefs-unmounted "$(pass_if [ "$rc" = 0 -a "$said" = 1 -a "$(kv source "$s")" = kernel-sysfs -a "$(kv t0_snapshots "$s")" -ge 3 -a "$mounted_after" = 0 ])" \
  "rc=$rc said_why=$said source=$(kv source "$s") snapshots=$(kv t0_snapshots "$s") left_mounted=$mounted_after"
