# SPDX-License-Identifier: GPL-2.0-only
# heavy
# timeout: 4200
# Simulation against the kernel (issue 19, item 4; docs/ACCURACY.md): for each workload of
# /vm/apps.sh, a fresh run is recorded (damo record) and `damo simulate` predicts what a
# scheme would do to it; then another fresh run of the same workload gets the same scheme
# online (`damo schemes -c`), and what happened is compared with the prediction:
#   sz_applied     the scheme's sz_applied statistic (kernel DAMOS, or the native engine's)
#   out_bytes      pageout: bytes out of memory at the end (predicted final_bytes) against
#                  the target's VmSwap at the end plus its RssShmem drop (shared memory
#                  swapped out is not in VmSwap)
#   out_avg_bytes  pageout: the same averaged over the run (the simulation's timeline against
#                  the rss sampler's once-a-second VmSwap + RssShmem drop over the last
#                  elapsed_ns of its samples; accuracy.mjs rssavg)
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
# pageout-native and cold-native. Runs (ACC_RUNS, default 3): the same case spreads 2-4x
# from one run to the next on both sides (redis kernel refaults measured 14-32 MiB and
# predicted 14-39 over four VM runs, docs/ACCURACY.md), so one recording against one
# schemes run says little. Each workload and engine is recorded RUNS times, each
# recording followed by its cases' schemes runs (recordings and schemes runs alternate),
# and per metric the median of the RUNS predictions is judged against the median of the
# RUNS measurements (test/vm/tools/accuracy.mjs runs). The result line gives the medians,
# every run's figures (KEY_pred_runs_mib, KEY_meas_runs_mib, KEY_run_err_pct) and the
# spread (KEY_pred_spread_mib, KEY_meas_spread_mib: min-max). A case fails when any
# metric's median error exceeds 50 % (the issue's bound; the aim is 25 %) or any run
# failed (failed=...). 3 is the fewest runs with a median that one outlier cannot move;
# ACC_RUNS=1 is the old single-pair judgement. Heavy (--only accuracy): the predictions are
# far off in places (docs/ACCURACY.md says why), so this cannot gate CI yet. Intervals are
# scaled for TCG as in 50-accuracy-wss (25ms 500ms 5s).
. /vm/lib.sh
. /vm/apps.sh
DUR=${ACC_DUR:-20}
INTERVALS=${ACC_INTERVALS:-25ms 500ms 5s}
CASES=${ACC_SIM_CASES:-pageout-kernel}
WORKLOADS=${ACC_WORKLOADS:-$APP_NAMES}
MIN_AGE=${ACC_MIN_AGE:-2s}
# Runs per case (ACC_RUNS): recordings and schemes runs alternate, RUNS of each, and the
# median prediction is judged against the median measurement (see the header).
RUNS=${ACC_RUNS:-3}
SWAPINS_MS=${ACC_SWAPINS_MS:-0}
# ACC_TRUTH_MS=N (default 100; 0: off): before the runs, one more fresh run of the workload
# under wsstruth alone (no DAMON beside it) for DUR seconds, windows of N ms, and
# /vm/tools/refault_truth.mjs on it: the refaults a scheme that knew every page would see
# (truth_oracle_refault_mib) and whether the sparse accesses fall on new pages each window
# or the same ones (truth_spread_index, 1 or 0), the difference a recording of regions cannot
# see (docs/ACCURACY.md, "Which pages come back: the page-exact truth"). Not judged; the
# result lines of the workload's cases carry it.
TRUTH_MS=${ACC_TRUTH_MS:-100}
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
  truth=
  if [ "$TRUTH_MS" -gt 0 ]; then
    if app_start "$wl" > "$OUT/$wl.truth.start.log" 2>&1; then
      wsstruth "$APP_PID" "$TRUTH_MS" "$OUT/$wl.truth" "$DUR" > "$OUT/$wl.truth.log" 2>&1
      case $MIN_AGE in *ms) age_s=$(awk "BEGIN { print ${MIN_AGE%ms} / 1000 }") ;; *s) age_s=${MIN_AGE%s} ;; *) age_s=$MIN_AGE ;; esac
      truth=$(node /vm/tools/refault_truth.mjs "$OUT/$wl.truth" --min-age-s "$age_s" 2>&1)
      echo "accuracy-sim-$wl truth: $truth"
      truth=$(echo "$truth" | tr ' ' '\n' | grep -E '^(oracle_refault_mib|oracle_refault_repeat|accessed_share_pct|sparse_rate_pct|sparse_distinct_pct|spread_index|sighting_pct|sim_share_pct)=' | sed 's/^/truth_/' | tr '\n' ' ')
      truth=${truth% }
    else
      cat "$OUT/$wl.truth.start.log"
    fi
    app_stop
  fi
  for src in kernel native; do
    case " $CASES " in *"-$src "*) ;; *) continue ;; esac
    for case_ in $CASES; do
      [ "${case_#*-}" = "$src" ] && rm -f "$OUT/$wl-${case_%-*}-$src.runs" "$OUT/$wl-${case_%-*}-$src.bad"
    done
    run=1
    while [ "$run" -le "$RUNS" ]; do
      # One recording per workload, engine and run: the simulator's input.
      rec="$OUT/$wl-$src-r$run"
      if ! app_start "$wl" > "$rec.rec.start.log" 2>&1; then
        cat "$rec.rec.start.log"
        for case_ in $CASES; do
          [ "${case_#*-}" = "$src" ] && echo "run$run:workload" >> "$OUT/$wl-${case_%-*}-$src.bad"
        done
        app_stop; run=$((run + 1)); continue
      fi
      case $src in kernel) rargs='--source tracefs' ;; native) rargs='--source native --primitive page_idle' ;; esac
      cat "/proc/$APP_PID/maps" > "$rec.rec.maps" 2>/dev/null
      damo record $rargs --monitoring_intervals $INTERVALS -o "$rec.data" --timeout "$DUR" "$APP_PID" > "$rec.rec.log" 2>&1
      app_stop
      for case_ in $CASES; do
        action=${case_%-*}
        [ "${case_#*-}" = "$src" ] || continue
        name="accuracy-sim-$wl-$action-$src"
        p="$OUT/$wl-$action-$src-r$run"
        scheme="4K max 0 0 $MIN_AGE max $action"
        case $src in kernel) targs="--pageout_throughput $PAGEOUT_THROUGHPUT" ;; native) targs= ;; esac
        damo simulate -i "$rec.data" -c "$scheme" $targs --json > "$p.sim.json" 2> "$p.sim.err"
        src_rc=$?
        app_start "$wl" > "$p.start.log" 2>&1 || { echo "run$run:workload" >> "$OUT/$wl-$action-$src.bad"; app_stop; continue; }
        case $src in kernel) bargs='--backend sysfs' ;; native) bargs="--backend native --primitive page_idle -o $p.run.data" ;; esac
        cat "/proc/$APP_PID/maps" > "$p.maps" 2>/dev/null
        r0=$(rss_kib "$APP_PID"); sh0=$(shmem_kib "$APP_PID")
        v0=$(swap_counters); f0=$(proc_faults "$APP_PID"); z0=$(zram_stat)
        rss_sampler "$APP_PID" "$p.rss" &
        sampler=$!
        tracker=
        if [ "$SWAPINS_MS" -gt 0 ]; then
          node /vm/tools/swapins.mjs "$APP_PID" "$SWAPINS_MS" "$p.swapins" &
          tracker=$!
        fi
        damo schemes -c "$scheme" $bargs --monitoring_intervals $INTERVALS --timeout "$DUR" --json "$APP_PID" \
          > "$p.json" 2> "$p.log"
        rc=$?
        r1=$(rss_kib "$APP_PID"); sh1=$(shmem_kib "$APP_PID"); sw1=$(swap_kib "$APP_PID")
        v1=$(swap_counters); f1=$(proc_faults "$APP_PID"); z1=$(zram_stat)
        kill "$sampler" 2>/dev/null
        swapins=
        if [ -n "$tracker" ]; then
          kill -TERM "$tracker" 2>/dev/null; wait "$tracker" 2>/dev/null
          swapins=$(head -1 "$p.swapins" 2>/dev/null)
          echo "$name run $run: pagemap swap-ins $(sed -n 2p "$p.swapins" 2>/dev/null)"
        fi
        echo "$name run $run: /proc/vmstat before: ${v0:-(no swap counters)}; after: ${v1:-(no swap counters)}"
        echo "$name run $run: target faults before: $f0; after: $f1${swapins:+; pagemap: $swapins}"
        app_stop
        cat "$p.log" "$p.json"
        sz=$(jnum sz_applied "$p.json")
        # The prediction covers as long a part of the recording as the schemes run lasted.
        el=$(jnum elapsed_ns "$p.json")
        # Out of memory at the end: anonymous pages in swap (VmSwap), plus shared-memory pages
        # that left (sqlite's mmapped database on tmpfs is swapped as shmem, not in VmSwap).
        shdrop=$(( sh0 - sh1 )); [ "$shdrop" -lt 0 ] && shdrop=0
        drop=$(( (${sw1:-0} + shdrop) * 1024 ))
        # A missing reading (the target gone) must not read as 0 refaults, as pswpin did.
        mf0=$(kv majflt "$f0"); mf1=$(kv majflt "$f1")
        if [ -n "$mf0" ] && [ -n "$mf1" ]; then majflt=$(( mf1 - mf0 )); refault=$(( majflt * 4096 )); else majflt=unknown refault=0; fi
        if [ "$action" = pageout ]; then
          # Out of memory on average over the run, as the sampler saw it (out_bytes is one
          # instant: xz's swings between ~0 and ~18 MiB every few seconds on both sides).
          oavg=$(node /vm/tools/accuracy.mjs rssavg "$p.rss" "${sh0:-0}" $el 2>/dev/null)
          m=$(node /vm/tools/accuracy.mjs sim "$p.sim.json" --bytes ${el:+--until_ns "$el"} "sz_applied=${sz:-0}" "out_bytes=$drop" "out_avg_bytes=${oavg:-0}" "refault_bytes=$refault" 2>&1)
        else
          m=$(node /vm/tools/accuracy.mjs sim "$p.sim.json" --bytes ${el:+--until_ns "$el"} "sz_applied=${sz:-0}" 2>&1)
        fi
        if [ "$src" = native ]; then
          damo simulate -i "$p.run.data" -c "$scheme" --json > "$p.self.json" 2> "$p.self.err"
          self=$(node /vm/tools/accuracy.mjs sim "$p.self.json" "sz_applied=${sz:-0}" 2>&1 | sed -n 's/.*sz_applied_pred_mib=\([^ ]*\).*sz_applied_err_pct=\([^ ]*\).*/self_sz_applied_pred_mib=\1 self_sz_applied_err_pct=\2/p')
          # The refaults the run's own recording implies (same run, same accesses: what is
          # left of the miss is the counting from sampled pages, not a difference between runs).
          [ "$action" = pageout ] && self="$self $(node /vm/tools/accuracy.mjs sim "$p.self.json" "refault_bytes=$refault" 2>&1 | sed -n 's/.*refault_bytes_pred_mib=\([^ ]*\).*/self_refault_pred_mib=\1/p')"
          m="$m $self"
        fi
        # The heap's randomised offset in the recorded run and in this one (see VA_SPACE above).
        m="$m brk_gap_rec_mib=$(brk_gap_mib "$rec.rec.maps") brk_gap_run_mib=$(brk_gap_mib "$p.maps") majflt=$majflt"
        [ -n "$swapins" ] && m="$m pagemap_swapins_pages=$(kv swapins_pages "$swapins") pagemap_ever_swapped_pages=$(kv ever_swapped_pages "$swapins") pagemap_distinct_swapins_pages=$(kv distinct_swapins_pages "$swapins") pagemap_top_tenth_share_pct=$(kv top_tenth_share_pct "$swapins")"
        m="$m rss_start_mib=$((r0 >> 10)) rss_end_mib=$((r1 >> 10))"
        # What the run left in zram (not judged): how well its paged-out pages compress, and
        # how many are one repeated value, which zram stores without compressing (the
        # kdamond's paging-out speed depends on it: docs/ACCURACY.md "Run 10 of the simulation").
        if [ -n "$z0" ] && [ -n "$z1" ]; then
          zo=$(( $(kv zram_orig "$z1") - $(kv zram_orig "$z0") )); zc=$(( $(kv zram_compr "$z1") - $(kv zram_compr "$z0") ))
          zs=$(( ($(kv zram_same_pages "$z1") - $(kv zram_same_pages "$z0")) * 4096 ))
          m="$m zram_stored_mib=$((zo >> 20)) zram_compressed_mib=$((zc >> 20)) zram_same_filled_mib=$((zs >> 20))"
        fi
        echo "$name run $run: rc=$rc sim_rc=$src_rc rss_kib $r0 -> $r1 shmem_kib $sh0 -> $sh1 swap_kib $sw1 majflt +$majflt: $m"
        [ "$rc" = 0 ] || echo "run$run:rc=$rc" >> "$OUT/$wl-$action-$src.bad"
        [ "$src_rc" = 0 ] || echo "run$run:sim_rc=$src_rc" >> "$OUT/$wl-$action-$src.bad"
        [ "$majflt" = unknown ] && echo "run$run:majflt" >> "$OUT/$wl-$action-$src.bad"
        case $m in *sz_applied_pred_b=*) echo "$m" >> "$OUT/$wl-$action-$src.runs" ;; *) echo "run$run:accuracy" >> "$OUT/$wl-$action-$src.bad" ;; esac
      done
      run=$((run + 1))
    done
    # The judgement: the median prediction against the median measurement, per metric.
    for case_ in $CASES; do
      action=${case_%-*}
      [ "${case_#*-}" = "$src" ] || continue
      name="accuracy-sim-$wl-$action-$src"
      keep=majflt,brk_gap_rec_mib,brk_gap_run_mib,rss_start_mib,rss_end_mib
      [ "$src" = native ] && keep="$keep,self_sz_applied_pred_mib"
      [ "$src" = native ] && [ "$action" = pageout ] && keep="$keep,self_refault_pred_mib"
      [ "$action" = pageout ] && keep="$keep,refault_same_pages_pred_mib,refault_image_whole_pred_mib,refault_sparse_whole_pred_mib,zram_stored_mib,zram_compressed_mib,zram_same_filled_mib"
      [ "$SWAPINS_MS" -gt 0 ] && keep="$keep,pagemap_swapins_pages,pagemap_ever_swapped_pages,pagemap_distinct_swapins_pages,pagemap_top_tenth_share_pct"
      if [ -s "$OUT/$wl-$action-$src.runs" ]; then
        m=$(node /vm/tools/accuracy.mjs runs "$OUT/$wl-$action-$src.runs" --keep "$keep" 2>&1)
      else
        m="runs=0"
      fi
      # No file is no failure (the shell would report the missing input before a 2>/dev/null after it applies).
      bad=
      [ -s "$OUT/$wl-$action-$src.bad" ] && bad=$(tr '\n' ',' < "$OUT/$wl-$action-$src.bad")
      bad=${bad%,}
      e=$(kv max_err_pct "$m")
      [ -n "$bad" ] && e=999
      case $e in ''|na) e=999 ;; esac
      result_as "$name" "$(pass_if [ "${e%%.*}" -le 50 ])" "$m randomize_va_space=$VA_SPACE${truth:+ $truth}${bad:+ failed=$bad}"
    done
  done
done
rm -f "$APP_DB"
echo "$VA_SPACE0" > /proc/sys/kernel/randomize_va_space
