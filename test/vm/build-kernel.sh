#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the VM kernel from Debian's linux-source-6.12 once and caches it under
# $DAMO_VM_CACHE/kernel-<key>/bzImage (key: hash of kernel.config + source version + recipe).
# Prints the bzImage path on stdout. Safe to run concurrently (flock).
# Env: DAMO_VM_JOBS (default: nproc), DAMO_VM_CACHE.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${DAMO_VM_TMP:=$(mktemp -d)}"

key=$(vm_kernel_key) || vm_die "$KERNEL_SRC_PKG is not installed (run test/vm/run.sh, which installs it)"
out="$DAMO_VM_CACHE/kernel-$key"
if [ -f "$out/bzImage" ]; then echo "$out/bzImage"; exit 0; fi

mkdir -p "$DAMO_VM_CACHE"
exec 9>"$DAMO_VM_CACHE/kernel-$key.lock"
if ! flock -n 9; then
  vm_log "another run is building kernel $key; waiting"
  flock 9
fi
if [ -f "$out/bzImage" ]; then echo "$out/bzImage"; exit 0; fi

tarball=$(dpkg -L "$KERNEL_SRC_PKG" | grep -E '/linux-source-[0-9.]+\.tar\.xz$' | head -1)
[ -n "$tarball" ] && [ -f "$tarball" ] || vm_die "no source tarball in package $KERNEL_SRC_PKG"
build="$DAMO_VM_CACHE/build-$key"
rm -rf "$build"; mkdir -p "$build"
t0=$SECONDS
vm_log "building kernel $key from $tarball (log: $build.log)"
{
  tar -xJf "$tarball" -C "$build" --strip-components=1
  cd "$build"
  make -s tinyconfig
  ./scripts/kconfig/merge_config.sh -m .config "$VM_DIR/kernel.config"
  make -s olddefconfig
  # Every option the fragment sets to y must have survived olddefconfig (a missing
  # dependency drops it silently).
  missing=$(grep -E '^CONFIG_[A-Z0-9_]+=y' "$VM_DIR/kernel.config" | while read -r line; do
    grep -qx "$line" .config || echo "${line%%=*}"; done)
  if [ -n "$missing" ]; then echo "options dropped by olddefconfig: $missing" >&2; exit 3; fi
  make -j"${DAMO_VM_JOBS:-$(nproc)}" bzImage
} >"$build.log" 2>&1 || { tail -30 "$build.log" >&2; vm_die "kernel build failed (full log: $build.log)"; }
mkdir -p "$out.tmp"
cp "$build/arch/x86/boot/bzImage" "$build/.config" "$out.tmp/"
rm -rf "$out"; mv "$out.tmp" "$out"
rm -rf "$build"
vm_log "kernel built in $((SECONDS - t0)) s: $out/bzImage"
echo "$out/bzImage"
