#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Real-kernel tests of damo-ts in a QEMU VM (see test/vm/README.md).
#
#   test/vm/run.sh                      run every scenario; writes .vm-results.json
#   test/vm/run.sh --only 'idle|dirty'  run the scenarios whose names match a regex
#   test/vm/run.sh --cmd 'damo --version; hotblock --duration-s 2'
#                                       run a command in the VM, print its output, exit with
#                                       its status (the project is in /damo, `damo` on PATH)
#   test/vm/run.sh --shell              interactive shell in the VM (console on this terminal)
#
# Options: --out DIR (where the VM's /out comes back; default .vm-out), --timeout S (whole
# VM, default 1500), --mem MIB (2048), --smp N (2), --kernel BZIMAGE (use another kernel),
# --append 'ARGS' (extra kernel command line), --tlb-churn-us N (how often each vCPU switches
# address spaces so accessed bits work under TCG; 0 = never; see workloads/tlbchurn.c),
# --numa-nodes N (emulated NUMA nodes, numa=fake=N; default: the largest "# numa-nodes: N"
# of the selected scenarios, else 1), --tsc-khz N (the guest's TSC rate; default: the
# host's under TCG, see "Guest clock" below; 0 = let the guest calibrate it), --no-install
# (do not apt-get), --build (run `npm run build` first), --verbose (show the whole console).
# Env: DAMO_VM_CACHE (/var/cache/damo-ts-vm), DAMO_VM_JOBS (kernel build jobs, nproc),
# DAMO_VM_ACCEL (tcg; kvm when you have it), DAMO_VM_SCENARIO_TIMEOUT (180 s per scenario).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

mode=suite only= cmd= out_dir=$REPO_DIR/.vm-out vm_timeout=1500 mem=2048 smp=2
kernel= append= install=1 build=0 verbose=0 tlb_churn_us=1000 numa_nodes= tsc_khz=
while [ $# -gt 0 ]; do
  case $1 in
    --only) only=$2; shift ;;
    --cmd) mode=cmd cmd=$2; shift ;;
    --shell) mode=shell ;;
    --out) out_dir=$2; shift ;;
    --timeout) vm_timeout=$2; shift ;;
    --mem) mem=$2; shift ;;
    --smp) smp=$2; shift ;;
    --kernel) kernel=$(readlink -f "$2"); shift ;;
    --append) append=$2; shift ;;
    --tlb-churn-us) tlb_churn_us=$2; shift ;;
    --numa-nodes) numa_nodes=$2; shift ;;
    --tsc-khz) tsc_khz=$2; shift ;;
    --no-install) install=0 ;;
    --build) build=1 ;;
    --verbose) verbose=1 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) vm_die "unknown option $1 (see --help)" ;;
  esac
  shift
done

results=$REPO_DIR/.vm-results.json
t_start=$SECONDS
DAMO_VM_TMP=$(mktemp -d /tmp/damo-vm.XXXXXX)
export DAMO_VM_TMP
trap 'rm -rf "$DAMO_VM_TMP"' EXIT

# Suite failures that happen before any scenario runs still go into the results file, so
# CI counts them instead of looking green.
fail_before_boot() {
  vm_log "error: $1"
  if [ "$mode" = suite ]; then
    printf '{ "passed": 0, "failed": 1, "scenarios": [ { "name": "vm-setup", "status": "fail", "reason": %s } ] }\n' \
      "$(node -e 'console.log(JSON.stringify(process.argv[1]))' "$1")" > "$results"
  fi
  exit 1
}

skip() {
  rm -f "$results"
  echo "vm: SKIPPED: $1" >&2
  echo "vm: no VM scenario ran; nothing was tested on a real kernel." >&2
  exit 0
}

[ "$(uname -m)" = x86_64 ] || skip "the VM suite needs an x86_64 host (this is $(uname -m))"
phase_args=()
if [ $install = 1 ]; then
  t0=$SECONDS
  if ! vm_install_packages; then
    command -v qemu-system-x86_64 >/dev/null || skip "QEMU is not installed and could not be installed (apt-get needs root or sudo; see any apt output above)"
    vm_log "warning: some packages could not be installed; trying with what is there"
  fi
  vm_log "host packages ready ($((SECONDS - t0)) s)"
  phase_args+=(--phase "packages=$((SECONDS - t0))")
fi
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"

if [ $build = 1 ]; then
  (cd "$REPO_DIR" && npm run build >"$DAMO_VM_TMP/build.log" 2>&1) \
    || { tail -20 "$DAMO_VM_TMP/build.log" >&2; fail_before_boot "npm run build failed"; }
fi

if [ -z "$kernel" ]; then
  t0=$SECONDS
  kernel=$(bash "$VM_DIR/build-kernel.sh") || fail_before_boot "kernel build failed"
  vm_log "kernel ready: $kernel ($((SECONDS - t0)) s)"
  phase_args+=(--phase "kernel=$((SECONDS - t0))")
fi

{
  echo "MODE=$mode"
  printf 'ONLY=%q\n' "$only"
  printf 'CMD=%q\n' "$cmd"
  echo "TLB_CHURN_US=$tlb_churn_us"
  echo "SCENARIO_TIMEOUT_S=${DAMO_VM_SCENARIO_TIMEOUT:-180}"
} > "$DAMO_VM_TMP/job.sh"
t0=$SECONDS
bash "$VM_DIR/build-initramfs.sh" "$DAMO_VM_TMP/job.sh" "$DAMO_VM_TMP/initrd.cpio" \
  || fail_before_boot "initramfs build failed"
vm_log "initramfs ready: $(du -m "$DAMO_VM_TMP/initrd.cpio" | cut -f1) MiB ($((SECONDS - t0)) s)"
phase_args+=(--phase "initramfs=$((SECONDS - t0))")

# NUMA nodes: the guest has no ACPI, so nodes are emulated (CONFIG_NUMA_EMU, numa=fake=N).
# A scenario that needs several (damo's args_damon/mem_tier.sh: --numa_node 1) says
# "# numa-nodes: N"; scenarios are selected as guest/init.sh does.
if [ -z "$numa_nodes" ]; then
  numa_nodes=1
  if [ "$mode" = suite ]; then
    for f in "$VM_DIR"/scenarios/*.sh; do
      name=$(basename "$f" .sh); name=${name#[0-9][0-9]-}
      if [ -n "$only" ]; then echo "$name" | grep -Eq "$only" || continue
      else grep -q '^# heavy' "$f" && continue; fi
      n=$(sed -n 's/^# numa-nodes: *\([0-9][0-9]*\).*/\1/p' "$f" | head -1)
      [ -n "$n" ] && [ "$n" -gt "$numa_nodes" ] && numa_nodes=$n
    done
  fi
fi
[ "$numa_nodes" -gt 1 ] && append="numa=fake=$numa_nodes $append"

# The results disk: raw, sparse; the guest writes /out to it as a tar stream.
truncate -s 1G "$DAMO_VM_TMP/out.img"
accel=${DAMO_VM_ACCEL:-tcg}

# Guest clock. Under TCG the guest's TSC counts at the host's TSC rate (QEMU reads the host's
# counter), but the guest kernel measures that rate against the emulated PIT, and on a loaded
# host that fails ("tsc: Fast TSC calibration failed", "Unable to calibrate against PIT"; the
# guest has no HPET or ACPI PM timer to fall back on). The guest then keeps time with
# refined-jiffies: timers round up to 4 ms ticks (HZ=250), so DAMON's 5 ms samples took 8 ms and
# every 100 ms aggregation 160 ms, and damo's `validate` rejected every recording. Giving the
# host's rate (tsc_early_khz) skips that measurement; tsc=reliable skips the watchdog that would
# compare the TSC with jiffies, which lose ticks under TCG, and mark it unstable.
host_tsc_khz() {
  local mhz
  mhz=$(dmesg 2>/dev/null | sed -n -e 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' \
    -e 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | tail -1)
  # Without the kernel log, "cpu MHz" is the TSC rate only in a virtual machine (the
  # hypervisor reports it); on bare metal it is the core's current clock.
  if [ -z "$mhz" ] && grep -qw hypervisor /proc/cpuinfo && grep -qw constant_tsc /proc/cpuinfo; then
    mhz=$(awk -F: '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
  fi
  [ -n "$mhz" ] && awk -v m="$mhz" 'BEGIN { printf "%d", m * 1000 }'
}
if [ "$accel" = tcg ] && [ -z "$tsc_khz" ]; then tsc_khz=$(host_tsc_khz); fi
if [ -n "$tsc_khz" ] && [ "$tsc_khz" != 0 ]; then append="tsc_early_khz=$tsc_khz tsc=reliable $append"; fi
qemu=(qemu-system-x86_64 -accel "$accel" -m "$mem" -smp "$smp" -nographic -no-reboot
  -nic none -kernel "$kernel" -initrd "$DAMO_VM_TMP/initrd.cpio"
  -drive "file=$DAMO_VM_TMP/out.img,format=raw,if=virtio"
  # no_timer_check: under TCG on a loaded host the IO-APIC timer check can miss its ticks and
  # panic the boot ("IO-APIC + timer doesn't work"); the check is for broken chipsets, not QEMU's.
  -append "console=ttyS0 quiet loglevel=3 panic=-1 no_timer_check $append")

if [ "$mode" = shell ]; then
  "${qemu[@]}"
  exit $?
fi

t0=$SECONDS
vm_log "booting ($accel, ${mem} MiB, $smp CPUs, $numa_nodes NUMA node(s)); console log: $out_dir/console.log"
console_args=(--mode "$mode" --log "$DAMO_VM_TMP/console.log" "${phase_args[@]}")
[ "$mode" = suite ] && console_args+=(--results "$results")
[ $verbose = 1 ] && console_args+=(--verbose)
[ "$mode" = suite ] && rm -f "$results"
timeout -k 10 "$vm_timeout" "${qemu[@]}" </dev/null 2>"$DAMO_VM_TMP/qemu.err" \
  | node "$VM_DIR/console.mjs" "${console_args[@]}"
statuses=("${PIPESTATUS[@]}")
rc=${statuses[1]}
vm_secs=$((SECONDS - t0))
[ "${statuses[0]}" = 124 ] && vm_log "the VM was stopped after the --timeout of $vm_timeout s"
[ -s "$DAMO_VM_TMP/qemu.err" ] && sed 's/^/qemu: /' "$DAMO_VM_TMP/qemu.err" >&2

rm -rf "$out_dir"; mkdir -p "$out_dir"
tar -xf "$DAMO_VM_TMP/out.img" -C "$out_dir" 2>/dev/null || vm_log "no results came back on the disk"
cp "$DAMO_VM_TMP/console.log" "$out_dir/console.log"
vm_log "VM run $vm_secs s, whole run $((SECONDS - t_start)) s; VM files in $out_dir"
exit "$rc"
