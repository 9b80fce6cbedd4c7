# SPDX-License-Identifier: GPL-2.0-only
# Helpers for VM scenarios (busybox sh). Sourced by /init and by every scenario:
#   . /vm/lib.sh
# A scenario runs in its own directory $OUT (copied back to the host) with $SCENARIO set
# to its name, and reports with `result pass|fail key=value...` (one or more lines).

DAMON_ADMIN=/sys/kernel/mm/damon/admin
DAMON_DBGFS=/sys/kernel/debug/damon
TRACEFS=/sys/kernel/tracing

now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# result pass|fail [key=value...]      -> "RESULT <scenario> pass|fail key=value..."
# result_as NAME pass|fail [key=value...] for scenarios that report several results.
result() { echo "RESULT $SCENARIO $*"; }
result_as() { n=$1; shift; echo "RESULT $n $*"; }

# pass_if CONDITION-COMMAND... : "pass" when the command succeeds, else "fail".
pass_if() { if "$@"; then echo pass; else echo fail; fi; }

# Integer comparisons usable with pass_if, e.g. pass_if ge "$n" 10
ge() { [ "$1" -ge "$2" ]; }
le() { [ "$1" -le "$2" ]; }
gt() { [ "$1" -gt "$2" ]; }
lt() { [ "$1" -lt "$2" ]; }

# kv KEY "<key=value ...>" : the value of KEY in a vmprobe-style line.
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

# Writes VALUE to FILE, logging the write (scenario logs show every kernel knob touched).
put() {
  echo "+ echo $1 > $2"
  echo "$1" > "$2"
}

# start_hotblock [hotblock args...]: starts the hot-block workload with its timeline in
# $OUT/timeline.txt, waits until it is resident and hot, and sets
#   HB_PID, HB_MAP_START, HB_MAP_END, HB_HOT_START, HB_HOT_END (decimal addresses).
start_hotblock() {
  HB_TIMELINE=${HB_TIMELINE:-$OUT/timeline.txt}
  hotblock --timeline "$HB_TIMELINE" "$@" &
  HB_PID=$!
  i=0
  while ! grep -q '^hot ' "$HB_TIMELINE" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 600 ] || ! kill -0 "$HB_PID" 2>/dev/null; then
      echo "hotblock did not start" >&2
      return 1
    fi
    sleep 0.1
  done
  set -- $(grep '^mapping ' "$HB_TIMELINE")
  HB_MAP_START=$2 HB_MAP_END=$3
  hotblock_current
}

# Refreshes HB_HOT_START/HB_HOT_END from the last "hot" line of the timeline.
hotblock_current() {
  set -- $(grep '^hot ' "$HB_TIMELINE" | tail -1)
  HB_HOT_START=$4 HB_HOT_END=$5
}

stop_hotblock() {
  [ -n "$HB_PID" ] || return 0
  kill -TERM "$HB_PID" 2>/dev/null
  wait "$HB_PID" 2>/dev/null
  HB_PID=
}

# pids_of NAME: pids whose comm is NAME (busybox-static has no pgrep/pkill; killall exists).
pids_of() {
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"
  done
}

# child_pids PID: pids whose parent is PID (field 4 of /proc/N/stat, after "(comm) state").
child_pids() {
  for d in /proc/[0-9]*; do
    pp=$(sed 's/.*) [A-Za-z] \([0-9]*\).*/\1/' "$d/stat" 2>/dev/null)
    [ "$pp" = "$1" ] && echo "${d#/proc/}"
  done
}

# Decimal arithmetic on 64-bit addresses (busybox sh arithmetic is 64-bit signed).
add() { echo $(($1 + $2)); }

# Every kdamond of the sysfs interface off and removed; debugfs monitoring off; tracing off.
# Run by /init after each scenario so the next one starts from a clean kernel.
damon_reset() {
  # The kernel's own DAMON users (DAMON_RECLAIM, DAMON_LRU_SORT, DAMON_STAT) hold DAMON
  # exclusively while enabled: no other kdamond could start after a scenario left one on.
  for m in /sys/module/damon_reclaim /sys/module/damon_lru_sort /sys/module/damon_stat; do
    [ -f "$m/parameters/enabled" ] && [ "$(cat "$m/parameters/enabled")" = Y ] \
      && echo N > "$m/parameters/enabled"
  done
  if [ -d "$DAMON_ADMIN/kdamonds" ]; then
    for s in "$DAMON_ADMIN"/kdamonds/[0-9]*/state; do
      [ -f "$s" ] || continue
      [ "$(cat "$s")" = on ] && echo off > "$s"
    done
    echo 0 > "$DAMON_ADMIN/kdamonds/nr_kdamonds" 2>/dev/null
  fi
  if [ -f "$DAMON_DBGFS/monitor_on_DEPRECATED" ] \
      && [ "$(cat "$DAMON_DBGFS/monitor_on_DEPRECATED")" = on ]; then
    echo off > "$DAMON_DBGFS/monitor_on_DEPRECATED"
  fi
  if [ -d "$TRACEFS/events" ]; then
    echo 0 > "$TRACEFS/tracing_on" 2>/dev/null
    echo 0 > "$TRACEFS/events/enable" 2>/dev/null
    echo > "$TRACEFS/trace" 2>/dev/null
    echo 1 > "$TRACEFS/tracing_on" 2>/dev/null
  fi
}

# damon_sysfs_vaddr PID [SAMPLE_US AGGR_US UPDATE_US]: sets up kdamond 0 with one vaddr
# context monitoring PID (does not start it). Prints the kdamond directory.
damon_sysfs_vaddr() {
  k=$DAMON_ADMIN/kdamonds
  echo 1 > "$k/nr_kdamonds" || return 1
  echo 1 > "$k/0/contexts/nr_contexts" || return 1
  c=$k/0/contexts/0
  echo vaddr > "$c/operations" || return 1
  echo "${2:-5000}" > "$c/monitoring_attrs/intervals/sample_us"
  echo "${3:-100000}" > "$c/monitoring_attrs/intervals/aggr_us"
  echo "${4:-1000000}" > "$c/monitoring_attrs/intervals/update_us"
  echo 1 > "$c/targets/nr_targets" || return 1
  echo "$1" > "$c/targets/0/pid_target" || return 1
  echo "$k/0"
}

# damon_state_dump: every readable file of DAMON sysfs (admin tree), DAMON debugfs and the
# damon trace event switches and trace instances, one "path: value" line each, sorted.
# Two dumps taken around an operation that must leave DAMON alone must be identical
# (reading does not change anything: stats and tried_regions only move on a state command).
damon_state_dump() {
  for root in "$DAMON_ADMIN" "$DAMON_DBGFS"; do
    [ -d "$root" ] || continue
    find "$root" -type f | sort | while read -r f; do
      case $f in */DEPRECATED|*/mk_contexts|*/rm_contexts) continue ;; esac
      v=$(cat "$f" 2>/dev/null | tr '\n' ' ') || v='<unreadable>'
      echo "$f: $v"
    done
  done
  for f in "$TRACEFS"/events/damon/*/enable; do
    [ -f "$f" ] && echo "$f: $(cat "$f")"
  done
  echo "$TRACEFS/instances: $(ls "$TRACEFS/instances" 2>/dev/null | tr '\n' ' ')"
}

# Reads a kdamond's CPU time in microseconds (0 when the thread is gone).
kdamond_cpu_us() {
  p=$(cat "$1/pid" 2>/dev/null)
  if [ -n "$p" ] && [ "$p" != -1 ]; then kv cpu_us "$(vmprobe cputime "$p")"; else echo 0; fi
}

# trace_hot_summary TRACE_FILE HOT_START HOT_END: reads damon:damon_aggregated lines (tracefs
# text; a new snapshot starts when region addresses restart) and prints
#   snapshots=N last_regions=N recall_pct=N precision_pct=N
# recall = the part of [HOT_START, HOT_END) covered by regions with nr_accesses > 0;
# precision = the part of those regions inside it; both averaged over the second half of
# the snapshots (DAMON needs a few aggregations to split its regions around the block, and
# one lucky snapshot must not pass). (busybox awk: printf %d is 32-bit, hence %.0f; and ?:
# inside printf's arguments must be parenthesized or '>' is a redirection.)
trace_hot_summary() {
  awk -v hs="$2" -v he="$3" '
    / damon_aggregated: / {
      for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+-[0-9]+:$/) { split($i, r, /[-:]/); acc = $(i + 1); break }
      s = r[1] + 0; e = r[2] + 0
      if (n == 0 || s <= prev) { n++; hot[n] = 0; ov[n] = 0; regs[n] = 0 }
      prev = s; regs[n]++
      if (acc > 0) {
        hot[n] += e - s
        lo = (s > hs) ? s : hs; hi = (e < he) ? e : he
        if (hi > lo) ov[n] += hi - lo
      }
    }
    END {
      if (n == 0) { print "snapshots=0 last_regions=0 recall_pct=0 precision_pct=0"; exit }
      first = int(n / 2) + 1; m = 0; rec = 0; prec = 0
      for (k = first; k <= n; k++) {
        m++
        rec += ov[k] / (he - hs)
        prec += (hot[k] > 0) ? ov[k] / hot[k] : 0
      }
      printf("snapshots=%d last_regions=%d recall_pct=%.0f precision_pct=%.0f\n", n, regs[n], rec * 100 / m, prec * 100 / m)
    }' "$1"
}

# run_damo_suite SUITE [TIMEOUT_S [LABEL]]: runs damo 3.3.0's tests/SUITE/test.sh (test/vm/damo-suites)
# as damo's developers do, with damo-ts as ../../damo, and turns each of its PASS/FAIL/SKIP
# lines into one result named damo-LABEL:<case> (LABEL defaults to SUITE; the case text before
# any "(...)", which goes into note=). The script's whole output is in $OUT/SUITE.out. A script
# that fails or times out without printing FAIL is one more failed result, damo-LABEL:exit.
run_damo_suite() {
  suite=$1
  limit=${2:-600}
  label=${3:-$suite}
  dir=/vm/damo-suites/tests/$suite
  [ -f "$dir/test.sh" ] || { result_as "damo-$label:exit" fail reason=no_test_script; return 1; }
  t0=$(now_ms)
  PATH=/vm/damo-suites/bin:/opt/suite-tools/bin:$PATH timeout "$limit" \
    /opt/suite-tools/bin/bash "$dir/test.sh" > "$OUT/$suite.out" 2>&1 < /dev/null
  rc=$?
  t1=$(now_ms)
  grep -E '^(PASS|FAIL|SKIP) ' "$OUT/$suite.out" | while read -r status text; do
    head=${text%% (*}
    note=
    [ "$head" != "$text" ] && note=$(echo "${text#* (}" | sed 's/)$//; s/[[:space:]]\{1,\}/_/g')
    case_name=$(echo "$head" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9._-]\{1,\}/-/g; s/^-//; s/-$//')
    st=$(echo "$status" | tr 'A-Z' 'a-z')
    result_as "damo-$label:$case_name" "$st" ${note:+note=$note}
  done
  echo "damo suite $suite: rc=$rc time_ms=$((t1 - t0))"
  if [ "$rc" != 0 ] && ! grep -q '^FAIL ' "$OUT/$suite.out"; then
    result_as "damo-$label:exit" fail "rc=$rc" "time_ms=$((t1 - t0))"
  fi
  if [ "$rc" != 0 ] || grep -q '^FAIL ' "$OUT/$suite.out"; then
    echo "--- last lines of $suite.out ---"
    tail -n 30 "$OUT/$suite.out"
    # A failing case leaves its recording behind (the scripts clean up only after a pass):
    # bring it back for a post-mortem (e.g. damo validate or report raw on the host).
    [ -f "$dir/damon.data" ] && cp "$dir/damon.data" "$OUT/$suite.damon.data"
  fi
  return 0
}
