#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-only
# PID 1 of the VM (installed as /init in the initramfs). Mounts the kernel filesystems,
# sets up a zram swap device, then runs the job the host put in /vm/job.sh:
#   MODE=suite  run /vm/scenarios/*.sh (filtered by ONLY), one after another
#   MODE=cmd    run CMD with sh -c, output on the console
#   MODE=shell  an interactive shell on the console
# Everything under /out is written to the raw results disk (/dev/vda) as a tar stream at the
# end. Console protocol (lines the host's run.sh parses; \r may follow):
#   @@VM-READY <key=value...>
#   @@SCENARIO-BEGIN <name>
#   RESULT <name> pass|fail <key=value...>          (echoed from the scenario's log)
#   @@SCENARIO-END <name> rc=<n> ms=<n>
#   @@CMD-BEGIN / @@CMD-END rc=<n>
#   @@VM-DONE rc=<n>
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /run /out
/bin/busybox --install -s
export PATH=/vm/bin:/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o size=512m tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mkdir -p /root /dev/pts /dev/shm
mount -t tmpfs tmpfs /dev/shm

# Swap on compressed RAM: MADV_PAGEOUT and DAMOS pageout need somewhere to put anon pages.
if [ -e /sys/block/zram0/disksize ]; then
  echo 768M > /sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
fi

. /vm/job.sh
. /vm/lib.sh

# Loopback only (-nic none): redis and its benchmark talk over 127.0.0.1.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null

# Without this, DAMON and the other accessed-bit users see no access to pages that stay in
# QEMU's (huge) soft-TLB: see test/vm/workloads/tlbchurn.c.
if [ "${TLB_CHURN_US:-1000}" != 0 ]; then
  tlbchurn "${TLB_CHURN_US:-1000}" &
fi

finish() {
  echo "@@VM-DONE rc=$1"
  dmesg > /out/dmesg.txt 2>/dev/null
  if [ -b /dev/vda ]; then
    tar -cf /dev/vda -C /out . 2>/dev/null
  fi
  sync
  reboot -f
  sleep 10
}

cmdline_uptime=$(cut -d' ' -f1 /proc/uptime)
# The clocksource says whether timers are precise: refined-jiffies (a failed TSC calibration)
# rounds every timer up to 4 ms ticks (run.sh, "Guest clock").
clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)
echo "@@VM-READY uptime_s=$cmdline_uptime tlb_churn_us=${TLB_CHURN_US:-1000} kernel=$(uname -r) clocksource=$clocksource mem_kb=$(awk '/MemTotal/{print $2}' /proc/meminfo) swap_kb=$(awk '/SwapTotal/{print $2}' /proc/meminfo)"

case "$MODE" in
  shell)
    echo "VM shell: the project is in /damo, workloads in /vm/bin; exit to power off."
    setsid cttyhack sh
    finish 0
    ;;
  cmd)
    echo "@@CMD-BEGIN"
    mkdir -p /out/cmd
    cd /out/cmd
    OUT=/out/cmd sh -c ". /vm/lib.sh; $CMD"
    rc=$?
    cd /
    echo "@@CMD-END rc=$rc"
    finish $rc
    ;;
esac

# MODE=suite
suite_rc=0
for f in /vm/scenarios/*.sh; do
  [ -f "$f" ] || continue
  base=$(basename "$f" .sh)
  name=${base#[0-9][0-9]-}
  if [ -n "$ONLY" ] && ! echo "$name" | grep -Eq "$ONLY"; then continue; fi
  # "# heavy" scenarios (the long accuracy runs) only run when --only selects them.
  if [ -z "$ONLY" ] && grep -q '^# heavy' "$f"; then continue; fi
  limit=$(sed -n 's/^# timeout: *\([0-9][0-9]*\).*/\1/p' "$f" | head -1)
  [ -n "$limit" ] || limit=$SCENARIO_TIMEOUT_S
  echo "@@SCENARIO-BEGIN $name"
  mkdir -p "/out/$name"
  t0=$(now_ms)
  # Own session, so everything the scenario started can be killed as one process group.
  ( cd "/out/$name" && SCENARIO=$name OUT="/out/$name" exec setsid sh "$f" ) \
    > "/out/$name/log" 2>&1 < /dev/null &
  pid=$!
  ( sleep "$limit"; echo "TIMEOUT after ${limit}s" >> "/out/$name/log";
    kill -TERM -- -"$pid" 2>/dev/null; sleep 5; kill -KILL -- -"$pid" 2>/dev/null ) &
  watchdog=$!
  wait "$pid"
  rc=$?
  kill "$watchdog" 2>/dev/null
  kill -KILL -- -"$pid" 2>/dev/null
  t1=$(now_ms)
  grep '^RESULT ' "/out/$name/log"
  if [ "$rc" != 0 ] || grep -q '^RESULT [^ ]* fail' "/out/$name/log" \
      || ! grep -q '^RESULT ' "/out/$name/log"; then
    suite_rc=1
    echo "@@LOG-BEGIN $name"
    tail -n 40 "/out/$name/log"
    echo "@@LOG-END $name"
  fi
  echo "@@SCENARIO-END $name rc=$rc ms=$((t1 - t0))"
  damon_reset
done
finish $suite_rc
