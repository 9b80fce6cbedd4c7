# SPDX-License-Identifier: GPL-2.0-only
# timeout: 300
# The two ways `damo record` reads damon_aggregated from its tracefs instance, on the real
# kernel: the binary pages of per_cpu/cpuN/trace_pipe_raw (the default) and the text of
# trace_pipe (DAMO_TRACE_READER=text). Two `damo record ongoing` run at once on the same
# kdamond, one each way; each has its own instance, so both see every aggregation.
# - record-trace-readers: the raw one says it reads trace_pipe_raw, the text one trace_pipe;
#   their snapshots of the same aggregations (matched by end time within 5 ms: each
#   instance's event is written in turn, tens of microseconds apart under TCG) have the same
#   regions, every one of them, and neither lost an aggregation the other has.
. /vm/lib.sh

ADMIN=$DAMON_ADMIN/kdamonds

# pair_traces RAW TEXT -> "raw=N text=N matched=N differing=N raw_only=N text_only=N
# max_offset_us=N": snapshots matched by absolute end time (base + end) within 5 ms, over
# the span both recorded.
pair_traces() {
  node --input-type=module -e '
    import { openProtobufTrace } from "/damo/dist/src/format/trace_reader.js";
    async function load(path) {
      const t = await openProtobufTrace(path, { strict: true });
      const out = [];
      for await (const s of t.snapshots()) {
        const regions = [];
        for (let i = 0; i < s.starts.length; i++) regions.push(`${s.starts[i]}-${s.ends[i]}:${s.nrAccesses[i]}:${s.ages[i]}`);
        out.push({ endNs: t.header.baseTimeNs + BigInt(Math.round(s.endNs)), key: regions.join(",") });
      }
      return out;
    }
    const raw = await load(process.argv[1]), text = await load(process.argv[2]);
    const TOL = 5000000n;
    const abs = (d) => (d < 0n ? -d : d);
    const from = raw.length && text.length ? (raw[0].endNs > text[0].endNs ? raw[0].endNs : text[0].endNs) : 0n;
    const lastOf = (xs) => xs[xs.length - 1].endNs;
    const to = raw.length && text.length ? (lastOf(raw) < lastOf(text) ? lastOf(raw) : lastOf(text)) : -1n;
    const within = (xs) => xs.filter((x) => x.endNs >= from - TOL && x.endNs <= to + TOL);
    const r = within(raw), t = within(text);
    let matched = 0, differing = 0, maxOff = 0n;
    const used = new Set();
    for (const x of t) {
      let best = -1;
      for (let j = 0; j < r.length; j++) if (!used.has(j) && abs(r[j].endNs - x.endNs) <= TOL && (best < 0 || abs(r[j].endNs - x.endNs) < abs(r[best].endNs - x.endNs))) best = j;
      if (best < 0) continue;
      used.add(best);
      const off = abs(r[best].endNs - x.endNs);
      if (off > maxOff) maxOff = off;
      if (r[best].key === x.key) matched++; else differing++;
    }
    console.log(`raw=${raw.length} text=${text.length} matched=${matched} differing=${differing} raw_only=${r.length - used.size} text_only=${t.length - used.size} max_offset_us=${maxOff / 1000n}`);
  ' "$1" "$2"
}

start_hotblock --total-mib 64 --hot-mib 8 --period-s 0 || { result_as record-trace-readers fail reason=workload; exit 0; }
damo start "$HB_PID" > "$OUT/start.log" 2>&1; rc_start=$?
sleep 1
damo record ongoing --timeout 6 -o "$OUT/raw.data" > "$OUT/raw.log" 2>&1 &
raw_pid=$!
DAMO_TRACE_READER=text damo record ongoing --timeout 6 -o "$OUT/text.data" > "$OUT/text.log" 2>&1 &
text_pid=$!
wait "$raw_pid"; rc_raw=$?
wait "$text_pid"; rc_text=$?
damo stop > "$OUT/stop.log" 2>&1; rc_stop=$?
stop_hotblock
cat "$OUT/start.log" "$OUT/raw.log" "$OUT/text.log" "$OUT/stop.log"
s=$(pair_traces "$OUT/raw.data" "$OUT/text.data" 2>&1); echo "$s"
raw_reader=$(grep -c 'trace_pipe_raw)' "$OUT/raw.log")
text_reader=$(grep -c ', trace_pipe)' "$OUT/text.log")
ok=pass
for c in "$rc_start" "$rc_raw" "$rc_text" "$rc_stop"; do [ "$c" = 0 ] || ok=fail; done
[ "$raw_reader" -ge 1 ] && [ "$text_reader" -ge 1 ] || ok=fail
[ "$(kv matched "$s")" -ge 5 ] 2>/dev/null || ok=fail
[ "$(kv differing "$s")" = 0 ] && [ "$(kv raw_only "$s")" = 0 ] && [ "$(kv text_only "$s")" = 0 ] || ok=fail
[ -z "$(ls $TRACEFS/instances)" ] && [ "$(cat $ADMIN/nr_kdamonds)" = 0 ] || ok=fail
result_as record-trace-readers "$ok" "$s" rc_raw="$rc_raw" rc_text="$rc_text" raw_reader="$raw_reader" text_reader="$text_reader"

# ---- record-trace-readers-1k: the same with paddr at 1,000 regions, with each recorder's CPU
# and no snapshot dropped by either (one read of trace_pipe returns at most 8 KiB: a reader
# that stopped at a short read fell behind here and lost 71 of 87 aggregations).
# (not judged: one run each, side by side; the kernel's formatting of the text is counted
# in the text recorder's system time, as it happens in its read() calls)
# cpu_of OUTFILE CMD...: runs CMD, then writes its CPU (user + system, clock ticks of 10 ms,
# of the children this shell waited for) to OUTFILE.
cpu_of() {
  f=$1; shift
  sh -c '"$@"; rc=$?; awk "{ print (\$14 + \$15 + \$16 + \$17) * 10 }" /proc/$$/stat > "$0"; exit $rc' "$f" "$@"
}
damo start paddr --monitoring_nr_regions_range 1000 1000 --monitoring_intervals 5ms 100ms 1s > "$OUT/start1k.log" 2>&1; rc_start=$?
sleep 2
cpu_of "$OUT/raw1k.cpu" damo record ongoing --timeout 20 -o "$OUT/raw1k.data" > "$OUT/raw1k.log" 2>&1 &
raw_pid=$!
cpu_of "$OUT/text1k.cpu" env DAMO_TRACE_READER=text damo record ongoing --timeout 20 -o "$OUT/text1k.data" > "$OUT/text1k.log" 2>&1 &
text_pid=$!
wait "$raw_pid"; rc_raw=$?
wait "$text_pid"; rc_text=$?
damo stop > "$OUT/stop1k.log" 2>&1; rc_stop=$?
cat "$OUT/start1k.log" "$OUT/raw1k.log" "$OUT/text1k.log" "$OUT/stop1k.log"
s=$(pair_traces "$OUT/raw1k.data" "$OUT/text1k.data" 2>&1); echo "$s"
ok=pass
for c in "$rc_start" "$rc_raw" "$rc_text" "$rc_stop"; do [ "$c" = 0 ] || ok=fail; done
[ "$(kv matched "$s")" -ge 20 ] 2>/dev/null || ok=fail
dropped=$(cat "$OUT/raw1k.log" "$OUT/text1k.log" | grep -c 'dropped an incomplete snapshot')
[ "$dropped" = 0 ] || ok=fail
[ "$(kv differing "$s")" = 0 ] && [ "$(kv raw_only "$s")" = 0 ] && [ "$(kv text_only "$s")" = 0 ] || ok=fail
result_as record-trace-readers-1k "$ok" "$s" dropped="$dropped" raw_cpu_ms="$(cat "$OUT/raw1k.cpu" 2>/dev/null)" text_cpu_ms="$(cat "$OUT/text1k.cpu" 2>/dev/null)"
