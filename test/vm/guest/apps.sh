# SPDX-License-Identifier: GPL-2.0-only
# Real workloads from Debian packages for the accuracy scenarios (5x-accuracy-*.sh), and
# helpers to run them (busybox sh; source after /vm/lib.sh). docs/ACCURACY.md has the table.
#
#   app_start NAME       start workload NAME in its steady state; sets
#                        APP_PID      the process to monitor
#                        APP_CMD      its command line (for result lines and the docs)
#                        APP_EXPECT   what its working set should be, in words
#                        APP_WRITES   yes|no: whether it writes its working set (soft-dirty
#                                     sees writes only)
#   app_stop             stop it and its drivers
#   app_run_fixed NAME   run a fixed amount of NAME's work in the foreground (item 5:
#                        runtime with and without recording / a scheme); APP_PID is set
#                        while it runs (start it with &, then app_wait_pid)
#
# Workloads (names):
#   redis   redis-server; 80 000 keys of 1000 bytes written in key order through
#           redis-cli --pipe, then redis-benchmark GETs random keys of the first 10 %
#           (-r 8000) over TCP loopback: a hot, contiguous tenth of a ~100 MiB heap plus
#           the whole 1 MiB dict table (random buckets)
#   sqlite  sqlite3 on a 120 000-row table (900-byte blobs, ~120 MiB file on tmpfs, read
#           through mmap): random point lookups by rowid in the first 10 % of the rows;
#           read-only: a hot, contiguous ~12 MiB of a 120 MiB file mapping
#   xz      xz -6 -T1 compressing node's binary (~100 MiB): xz(1) documents 94 MiB of
#           compressor memory for -6; its match finder touches most of it every second
#   stress  stress-ng --vm 1 --vm-bytes 64M --vm-keep --vm-method zero-one: every bogo op
#           writes and reads all 64 MiB: working set 64 MiB
APP_NAMES='redis sqlite xz stress'
APP_DB=/tmp/accuracy.db
APP_PID= APP_DRIVER= APP_MAIN=

# wait_for CMD...: retries CMD every 0.2 s for up to 60 s.
wait_for() {
  i=0
  while ! "$@" >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 300 ] && return 1
    sleep 0.2
  done
}

# The process of a stress-ng run that holds the memory: the largest RSS among its
# descendants (stress-ng forks a worker per instance, and the vm stressor another child).
stress_worker() {
  best= best_rss=0
  for d in /proc/[0-9]*; do
    case $(cat "$d/comm" 2>/dev/null) in stress-ng*) ;; *) continue ;; esac
    r=$(awk '/^VmRSS:/ { print $2 }' "$d/status" 2>/dev/null)
    [ -n "$r" ] && [ "$r" -gt "$best_rss" ] && { best=${d#/proc/}; best_rss=$r; }
  done
  echo "$best"
}

redis_populate() {
  # Key order = allocation order: a GET of the first keys touches the start of the heap.
  awk 'BEGIN { v = sprintf("%1000s", ""); gsub(/ /, "v", v)
    for (i = 0; i < 80000; i++) printf("SET key:%012d %s\r\n", i, v) }' \
    | redis-cli --pipe > "$OUT/redis-populate.log" 2>&1
}

app_start() {
  APP_DRIVER= APP_MAIN=
  case $1 in
    redis)
      APP_CMD='redis-server --save "" --appendonly no --bind 127.0.0.1; 80000 SETs of 1000 B in key order; redis-benchmark -r 8000 -P 4 -c 2 GET key:__rand_int__'
      APP_EXPECT='hot 10% of keys: ~10 MiB of values (contiguous) + 1 MiB dict table, in a ~100 MiB heap'
      APP_WRITES=no
      redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        > "$OUT/redis.log" 2>&1 &
      APP_PID=$! APP_MAIN=$!
      wait_for redis-cli ping || { echo "redis did not start"; cat "$OUT/redis.log"; return 1; }
      redis_populate || return 1
      redis-benchmark -q -r 8000 -n 2000000000 -P 4 -c 2 GET key:__rand_int__ > /dev/null 2>&1 &
      APP_DRIVER=$!
      ;;
    sqlite)
      APP_CMD="sqlite3 $APP_DB 'PRAGMA mmap_size=1G; PRAGMA cache_size=-2000; SELECT sum((SELECT length(v) FROM t WHERE id = 1 + (abs(random()) + c.i * 0) % 12000)) FROM (recursive counter) c'"
      APP_EXPECT='rows 1-12000 of 120000 (900-byte blobs, 4 per page): ~12 MiB contiguous of a ~120 MiB mmapped file, read only'
      APP_WRITES=no
      if [ ! -f "$APP_DB" ]; then
        sqlite3 "$APP_DB" "PRAGMA page_size=4096; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
          WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 120000)
          INSERT INTO t SELECT i, randomblob(900) FROM c;" || return 1
      fi
      cat "$APP_DB" > /dev/null   # resident again after a pageout run
      sqlite3 "$APP_DB" "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-2000;
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000000000)
        SELECT sum((SELECT length(v) FROM t WHERE id = 1 + (abs(random()) + c.i * 0) % 12000)) FROM c;" \
        > /dev/null 2> "$OUT/sqlite.err" &
      APP_PID=$! APP_MAIN=$!
      sleep 2
      ;;
    xz)
      APP_CMD='xz -6 -T1 -c /usr/bin/node > /dev/null'
      APP_EXPECT='xz -6 compressor memory: 94 MiB (xz(1)), most of it touched every second'
      APP_WRITES=yes
      /usr/bin/xz -6 -T1 -c /usr/bin/node > /dev/null &
      APP_PID=$! APP_MAIN=$!
      sleep 2
      ;;
    stress)
      APP_CMD='stress-ng --vm 1 --vm-bytes 64M --vm-keep --vm-method zero-one'
      APP_EXPECT='64 MiB, all of it every bogo op'
      APP_WRITES=yes
      stress-ng --vm 1 --vm-bytes 64M --vm-keep --vm-method zero-one --timeout 3600 \
        > "$OUT/stress.log" 2>&1 &
      APP_MAIN=$!
      sleep 3
      APP_PID=$(stress_worker)
      [ -n "$APP_PID" ] || { echo "no stress-ng worker"; return 1; }
      ;;
    *) echo "unknown workload $1"; return 1 ;;
  esac
  kill -0 "$APP_PID" 2>/dev/null || { echo "$1 is not running"; return 1; }
  echo "workload $1: pid=$APP_PID $(vmprobe rss "$APP_PID")"
}

app_stop() {
  [ -n "$APP_DRIVER" ] && { kill -TERM "$APP_DRIVER" 2>/dev/null; wait "$APP_DRIVER" 2>/dev/null; }
  [ -n "$APP_MAIN" ] && { kill -TERM "$APP_MAIN" 2>/dev/null; wait "$APP_MAIN" 2>/dev/null; }
  [ -n "$APP_PID" ] && kill -KILL "$APP_PID" 2>/dev/null
  APP_PID= APP_DRIVER= APP_MAIN=
  sleep 0.5
}

# rss_sampler PID FILE: appends "<uptime_ms> <VmRSS KiB> <VmSwap KiB> <RssShmem KiB>" every second until
# PID exits (run it in the background). VmRSS counts the file and shmem pages mapped too
# (sqlite's mmapped database); VmSwap only anonymous pages swapped out.
rss_sampler() {
  while kill -0 "$1" 2>/dev/null; do
    l=$(awk '/^VmRSS:/ { r = $2 } /^VmSwap:/ { s = $2 } /^RssShmem:/ { h = $2 } END { print r + 0, s + 0, h + 0 }' "/proc/$1/status" 2>/dev/null) || break
    echo "$(now_ms) $l" >> "$2"
    sleep 1
  done
}

# shmem_kib PID: RssShmem of PID in KiB.
shmem_kib() { awk '/^RssShmem:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# rss_kib PID: VmRSS of PID in KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# swap_counters: the /proc/vmstat counters of swapping in and out that exist, as k=v. The
# VM's kernel has no CONFIG_VM_EVENT_COUNTERS, so only workingset_refault_anon (a node
# statistic) shows there; pswpin, pgmajfault and the rest are events.
swap_counters() {
  awk '$1 ~ /^(pswpin|pswpout|swpin_zero|swpout_zero|pgmajfault|workingset_refault_anon|swap_ra|swap_ra_hit)$/ { printf "%s=%s ", $1, $2 }' /proc/vmstat
}

# zram_stat: what the swap device (zram0) holds, as k=v: the bytes stored before and after
# compression and the pages stored as one repeated value (same_pages, kept without
# compressing: the cheapest to page out). Fields 1, 2 and 6 of mm_stat
# (Documentation/admin-guide/blockdev/zram.rst).
zram_stat() { awk '{ printf "zram_orig=%s zram_compr=%s zram_same_pages=%s", $1, $2, $6 }' /sys/block/zram0/mm_stat 2>/dev/null; }

# proc_faults PID: minflt= majflt= of PID (fields 10 and 12 of /proc/PID/stat, counted after
# the ")" that ends comm).
proc_faults() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print "minflt=" $8, "majflt=" $10 }'; }

# swap_kib PID: VmSwap of PID in KiB.
swap_kib() { awk '/^VmSwap:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ---- fixed amounts of work (53-accuracy-seeds: runtimes with and without recording/schemes)
#   app_fixed_setup NAME          what the runs share (redis: the populated server; sqlite:
#                                 the database; xz: a 12 MiB input)
#   app_fixed_start NAME WALLFILE start one run in the background under `vmprobe run
#                                 WALLFILE` (its wall_ms is the runtime); sets APP_PID (the
#                                 process whose memory is monitored) and FIXED_RUNNER
#   app_fixed_wait                wait for the run to end
#   app_fixed_teardown            stop what app_fixed_setup started, remove its files
# Amounts (10 to 50 s each under TCG on the 2-core host): FIXED_REDIS_GETS, FIXED_SQLITE_LOOKUPS,
# FIXED_XZ_MIB, FIXED_STRESS_OPS. stress-ng's bogo ops are short: 200 of them took 0.7 s with
# start-up, 6000 1.4 s, 150 000 16.5 s (VM runs of 2026-12-06, docs/ACCURACY.md); under
# ~1 s the worker is gone before app_fixed_start looks for it.
FIXED_REDIS_GETS=${FIXED_REDIS_GETS:-150000}
FIXED_SQLITE_LOOKUPS=${FIXED_SQLITE_LOOKUPS:-1600000}
FIXED_XZ_MIB=${FIXED_XZ_MIB:-12}
FIXED_STRESS_OPS=${FIXED_STRESS_OPS:-150000}
FIXED_RUNNER=

app_fixed_setup() {
  case $1 in
    redis)
      redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        > "$OUT/redis.log" 2>&1 &
      APP_MAIN=$!
      wait_for redis-cli ping || return 1
      redis_populate ;;
    sqlite)
      [ -f "$APP_DB" ] || sqlite3 "$APP_DB" "PRAGMA page_size=4096; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 120000)
        INSERT INTO t SELECT i, randomblob(900) FROM c;" ;;
    xz) head -c $((FIXED_XZ_MIB << 20)) /usr/bin/node > /tmp/xz-input ;;
    stress) ;;
  esac
}

# The process vmprobe run started (its only child), once it exists.
runner_child() {
  i=0
  while [ $i -lt 100 ]; do
    c=$(child_pids "$1" | head -1)
    [ -n "$c" ] && { echo "$c"; return 0; }
    sleep 0.05; i=$((i + 1))
  done
  return 1
}

app_fixed_start() {
  case $1 in
    redis)
      vmprobe run "$2" redis-benchmark -q -r 8000 -n "$FIXED_REDIS_GETS" -P 4 -c 2 GET key:__rand_int__ > /dev/null 2>&1 &
      FIXED_RUNNER=$! APP_PID=$APP_MAIN ;;
    sqlite)
      cat "$APP_DB" > /dev/null
      vmprobe run "$2" sqlite3 "$APP_DB" "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-2000;
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $FIXED_SQLITE_LOOKUPS)
        SELECT sum((SELECT length(v) FROM t WHERE id = 1 + (abs(random()) + c.i * 0) % 12000)) FROM c;" > /dev/null 2>&1 &
      FIXED_RUNNER=$!; APP_PID=$(runner_child "$FIXED_RUNNER") ;;
    xz)
      vmprobe run "$2" /usr/bin/xz -6 -T1 -c /tmp/xz-input > /dev/null &
      FIXED_RUNNER=$!; APP_PID=$(runner_child "$FIXED_RUNNER") ;;
    stress)
      vmprobe run "$2" stress-ng --vm 1 --vm-bytes 64M --vm-keep --vm-method zero-one --vm-ops "$FIXED_STRESS_OPS" > /dev/null 2>&1 &
      FIXED_RUNNER=$!
      sleep 1
      APP_PID=$(stress_worker) ;;
  esac
  [ -n "$APP_PID" ]
}

app_fixed_wait() { wait "$FIXED_RUNNER" 2>/dev/null; FIXED_RUNNER=; }

app_fixed_teardown() {
  [ -n "$APP_MAIN" ] && { kill -TERM "$APP_MAIN" 2>/dev/null; wait "$APP_MAIN" 2>/dev/null; }
  APP_MAIN= APP_PID=
  rm -f /tmp/xz-input
}
