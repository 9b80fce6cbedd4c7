# SPDX-License-Identifier: GPL-2.0-only
# heavy
# timeout: 1500
# Simulation against the kernel (issue 19, item 4; docs/ACCURACY.md): for each workload of
# /vm/apps.sh, a fresh run is recorded (damo record) and `damo simulate` predicts what a
# scheme would do to it; then another fresh run of the same workload gets the same scheme
# online (`damo schemes -c`), and what happened is compared with the prediction:
#   sz_applied     the scheme's sz_applied statistic (kernel DAMOS, or the native engine's)
#   out_bytes      pageout: bytes out of memory at the end (predicted final_bytes) against
#                  the target's VmSwap at the end plus its RssShmem drop (shared memory
#                  swapped out is not in VmSwap)
#   refault_bytes  pageout: bytes accessed again after being paged out (predicted
#                  reaccessed_bytes) against the target's major faults in the schemes run
#                  (majflt of /proc/PID/stat x 4 KiB). Not /proc/vmstat's pswpin: the VM's
#                  kernel has no CONFIG_VM_EVENT_COUNTERS (tinyconfig), so /proc/vmstat has
#                  no event counters at all and pswpin read as +0 in every earlier run; and
#                  even with them, pswpin misses zero-filled pages (swap_read_folio_zeromap
#                  counts swpin_zero) and counts other processes' swap-ins. do_swap_page
#                  returns VM_FAULT_MAJOR for every swap-in it reads (zram, zeromap), and
#                  mm_account_fault counts that in the task's maj_flt whatever the config.
#                  ACC_SWAPINS_MS=N also runs /vm/tools/swapins.mjs every N ms, a
#                  page-exact cross-check from /proc/PID/pagemap (swapped -> present).
# Cases (ACC_SIM_CASES): pageout-kernel; 55-accuracy-simulate-more adds cold-kernel,
# pageout-native and cold-native. A case fails when any metric's prediction error exceeds
# 50 % (the issue's bound; the aim is 25 %). Heavy (--only accuracy): the predictions are
# far off today (docs/ACCURACY.md says why), so this cannot gate CI yet. Intervals are scaled
# for TCG as in 50-accuracy-wss (25ms 500ms 5s).
. /vm/lib.sh
. /vm/apps.sh
DUR=${ACC_DUR:-20}
INTERVALS=${ACC_INTERVALS:-25ms 500ms 5s}
CASES=${ACC_SIM_CASES:-pageout-kernel}
WORKLOADS=${ACC_WORKLOADS:-$APP_NAMES}
MIN_AGE=${ACC_MIN_AGE:-2s}
SWAPINS_MS=${ACC_SWAPINS_MS:-0}
# How fast the VM's kdamond pages out (TCG, swap on zram): ~10-20 MiB/s in the kernel's own
# tracepoints (docs/ACCURACY.md); it samples nothing meanwhile, so the simulation must know.
# Kernel cases only: the native engine keeps sampling while process_madvise runs on a worker
# thread (src/schemes/online_native.ts), so it loses no aggregation to paging out.
PAGEOUT_THROUGHPUT=${ACC_PAGEOUT_THROUGHPUT:-10M}
# The guest's kernel.randomize_va_space while the workloads run (ACC_RANDOMIZE_VA_SPACE,
# default 1; restored afterwards). With the kernel's 2, each run's heap starts a random 0-1
# GiB above the program (arch_randomize_brk), and DAMON's first region spans that gap, so the
# region size limit (damon_region_sz_limit: monitored span / min_nr_regions) and thus which
# regions cover [vvar] or a gap differ between the recorded run and the schemes run: on
# stress-ng 188 MiB predicted against 1.0 MiB applied (docs/ACCURACY.md, "stress with the
# native engine"), a difference between two runs, not an error of the simulation. 1 keeps
# the mmap and stack randomisation but puts the heap right after the program, so both runs
# have the same layout relative to the mmap base; ACC_RANDOMIZE_VA_SPACE=2 measures with the
# kernel's default (the result lines give both runs' heap offsets).
VA_SPACE0=$(cat /proc/sys/kernel/randomize_va_space)
VA_SPACE=${ACC_RANDOMIZE_VA_SPACE:-1}
echo "$VA_SPACE" > /proc/sys/kernel/randomize_va_space

# brk_gap_mib MAPS: MiB between the mapping below [heap] and [heap] in a copy of
# /proc/PID/maps (the gap arch_randomize_brk leaves); empty when there is no [heap].
brk_gap_mib() {
  prev= gap=
  while read -r range _ _ _ _ name; do
    case $name in '[heap]') [ -n "$prev" ] && gap=$(( (0x${range%-*} - 0x$prev) >> 20 )); break ;; esac
    prev=${range#*-}
  done < "$1"
  echo "$gap"
}

jnum() { sed -n "s/.*\"$1\": \([0-9][0-9]*\).*/\1/p" "$2" | head -1; }

for wl in $WORKLOADS; do
  for src in kernel native; do
    case " $CASES " in *"-$src "*) ;; *) continue ;; esac
    # One recording per workload and engine: the simulator's input.
    app_start "$wl" > "$OUT/$wl-rec-$src.start.log" 2>&1 || { cat "$OUT/$wl-rec-$src.start.log"; result_as "accuracy-sim-$wl-$src" fail reason=workload; app_stop; continue; }
    case $src in kernel) rargs='--source tracefs' ;; native) rargs='--source native --primitive page_idle' ;; esac
    cat "/proc/$APP_PID/maps" > "$OUT/$wl-rec-$src.maps" 2>/dev/null
    damo record $rargs --monitoring_intervals $INTERVALS -o "$OUT/$wl-$src.data" --timeout "$DUR" "$APP_PID" > "$OUT/$wl-rec-$src.log" 2>&1
    app_stop
    for case_ in $CASES; do
      action=${case_%-*}
      [ "${case_#*-}" = "$src" ] || continue
      name="accuracy-sim-$wl-$action-$src"
      scheme="4K max 0 0 $MIN_AGE max $action"
      case $src in kernel) targs="--pageout_throughput $PAGEOUT_THROUGHPUT" ;; native) targs= ;; esac
      damo simulate -i "$OUT/$wl-$src.data" -c "$scheme" $targs --json > "$OUT/$wl-$action-$src.sim.json" 2> "$OUT/$wl-$action-$src.sim.err"
      src_rc=$?
      app_start "$wl" > "$OUT/$wl-$action-$src.start.log" 2>&1 || { result_as "$name" fail reason=workload; app_stop; continue; }
      case $src in kernel) bargs='--backend sysfs' ;; native) bargs="--backend native --primitive page_idle -o $OUT/$wl-$action-$src.run.data" ;; esac
      cat "/proc/$APP_PID/maps" > "$OUT/$wl-$action-$src.maps" 2>/dev/null
      r0=$(rss_kib "$APP_PID"); sh0=$(shmem_kib "$APP_PID")
      v0=$(swap_counters); f0=$(proc_faults "$APP_PID")
      rss_sampler "$APP_PID" "$OUT/$wl-$action-$src.rss" &
      sampler=$!
      tracker=
      if [ "$SWAPINS_MS" -gt 0 ]; then
        node /vm/tools/swapins.mjs "$APP_PID" "$SWAPINS_MS" "$OUT/$wl-$action-$src.swapins" &
        tracker=$!
      fi
      damo schemes -c "$scheme" $bargs --monitoring_intervals $INTERVALS --timeout "$DUR" --json "$APP_PID" \
        > "$OUT/$wl-$action-$src.json" 2> "$OUT/$wl-$action-$src.log"
      rc=$?
      r1=$(rss_kib "$APP_PID"); sh1=$(shmem_kib "$APP_PID"); sw1=$(swap_kib "$APP_PID")
      v1=$(swap_counters); f1=$(proc_faults "$APP_PID")
      kill "$sampler" 2>/dev/null
      swapins=
      if [ -n "$tracker" ]; then
        kill -TERM "$tracker" 2>/dev/null; wait "$tracker" 2>/dev/null
        swapins=$(head -1 "$OUT/$wl-$action-$src.swapins" 2>/dev/null)
        echo "$name: pagemap swap-ins $(sed -n 2p "$OUT/$wl-$action-$src.swapins" 2>/dev/null)"
      fi
      echo "$name: /proc/vmstat before: ${v0:-(no swap counters)}; after: ${v1:-(no swap counters)}"
      echo "$name: target faults before: $f0; after: $f1${swapins:+; pagemap: $swapins}"
      app_stop
      cat "$OUT/$wl-$action-$src.log" "$OUT/$wl-$action-$src.json"
      sz=$(jnum sz_applied "$OUT/$wl-$action-$src.json")
      # The prediction covers as long a part of the recording as the schemes run lasted.
      el=$(jnum elapsed_ns "$OUT/$wl-$action-$src.json")
      # Out of memory at the end: anonymous pages in swap (VmSwap), plus shared-memory pages
      # that left (sqlite's mmapped database on tmpfs is swapped as shmem, not in VmSwap).
      shdrop=$(( sh0 - sh1 )); [ "$shdrop" -lt 0 ] && shdrop=0
      drop=$(( (${sw1:-0} + shdrop) * 1024 ))
      # A missing reading (the target gone) must not read as 0 refaults, as pswpin did.
      mf0=$(kv majflt "$f0"); mf1=$(kv majflt "$f1")
      if [ -n "$mf0" ] && [ -n "$mf1" ]; then majflt=$(( mf1 - mf0 )); refault=$(( majflt * 4096 )); else majflt=unknown refault=0; fi
      if [ "$action" = pageout ]; then
        m=$(node /vm/tools/accuracy.mjs sim "$OUT/$wl-$action-$src.sim.json" ${el:+--until_ns "$el"} "sz_applied=${sz:-0}" "out_bytes=$drop" "refault_bytes=$refault" 2>&1)
      else
        m=$(node /vm/tools/accuracy.mjs sim "$OUT/$wl-$action-$src.sim.json" ${el:+--until_ns "$el"} "sz_applied=${sz:-0}" 2>&1)
      fi
      self=
      if [ "$src" = native ]; then
        damo simulate -i "$OUT/$wl-$action-$src.run.data" -c "$scheme" --json > "$OUT/$wl-$action-$src.self.json" 2> "$OUT/$wl-$action-$src.self.err"
        self=$(node /vm/tools/accuracy.mjs sim "$OUT/$wl-$action-$src.self.json" "sz_applied=${sz:-0}" 2>&1 | sed -n 's/.*\(sz_applied_pred_mib=[^ ]*\).*\(sz_applied_err_pct=[^ ]*\).*/self_\1 self_\2/p')
        m="$m $self"
      fi
      echo "$name: rc=$rc sim_rc=$src_rc rss_kib $r0 -> $r1 shmem_kib $sh0 -> $sh1 swap_kib $sw1 majflt +$majflt: $m"
      # The heap's randomised offset in the recorded run and in this one (see VA_SPACE above).
      m="$m randomize_va_space=$VA_SPACE brk_gap_rec_mib=$(brk_gap_mib "$OUT/$wl-rec-$src.maps") brk_gap_run_mib=$(brk_gap_mib "$OUT/$wl-$action-$src.maps") majflt=$majflt"
      [ -n "$swapins" ] && m="$m pagemap_swapins_pages=$(kv swapins_pages "$swapins")"
      e=$(kv max_err_pct "$m")
      [ "$majflt" = unknown ] && e=999
      result_as "$name" "$(pass_if [ "$rc" = 0 -a "$src_rc" = 0 -a "${e:-999}" -le 50 ])" "$m rss_start_mib=$((r0 >> 10)) rss_end_mib=$((r1 >> 10))"
    done
  done
done
rm -f "$APP_DB"
echo "$VA_SPACE0" > /proc/sys/kernel/randomize_va_space
