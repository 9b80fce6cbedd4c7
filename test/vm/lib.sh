# SPDX-License-Identifier: GPL-2.0-only
# Shared settings and helpers for the host side of the VM suite (sourced, not run).
# Everything cached lives outside the repository, under $DAMO_VM_CACHE.

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$VM_DIR/../.." && pwd)
if [ -z "${DAMO_VM_CACHE:-}" ]; then
  DAMO_VM_CACHE=/var/cache/damo-ts-vm
  # Not root: fall back to the user's cache directory.
  if ! mkdir -p "$DAMO_VM_CACHE" 2>/dev/null || [ ! -w "$DAMO_VM_CACHE" ]; then
    DAMO_VM_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/damo-ts-vm
  fi
fi
KERNEL_SRC_PKG=${KERNEL_SRC_PKG:-linux-source-6.12}
# Bump when the way the kernel is built changes (not the fragment: that is hashed itself).
KERNEL_RECIPE=1

# Debian packages the suite needs on the host.
VM_HOST_PACKAGES=(qemu-system-x86 busybox-static cpio gzip xz-utils gcc libc6-dev make
  flex bison bc libelf-dev libssl-dev "$KERNEL_SRC_PKG"
  # real workloads and the Python damo's runtime for the accuracy scenarios (5x-*.sh);
  # build-initramfs.sh copies VM_APP_BINARIES and their libraries into the VM
  redis-tools sqlite3 xz-utils zstd stress-ng trace-cmd file python3.11 procps
  # damo's own test scripts (damo-suites/): bash, GNU grep, coreutils are Essential already
  bash grep coreutils)
VM_APP_BINARIES=(/usr/bin/redis-check-rdb /usr/bin/redis-benchmark /usr/bin/redis-cli
  /usr/bin/sqlite3 /usr/bin/xz /usr/bin/zstd /usr/bin/stress-ng /usr/bin/trace-cmd /usr/bin/file
  /usr/bin/python3.11)
# Copied to /opt/procps/bin, off the PATH (busybox's ps stays the default): the Python damo
# runs `ps --pid` and `ps --ppid`, which only procps's ps knows.
VM_APP_ASIDE=(/bin/ps)
# Copied to /opt/suite-tools/bin, on the PATH of the damo test-suite scenarios only
# (60-damo-suite-*, damo-suites/README.md): what damo's test scripts use that busybox lacks
# or does differently.
VM_SUITE_TOOLS=(/bin/bash /bin/grep /usr/bin/mktemp /usr/bin/pgrep /bin/ps)

vm_log() { printf 'vm: %s\n' "$*" >&2; }
vm_die() { printf 'vm: error: %s\n' "$*" >&2; exit 1; }

vm_sudo() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

# Installs whatever of VM_HOST_PACKAGES is missing. Returns 1 when that is impossible.
vm_install_packages() {
  local missing=() p
  for p in "${VM_HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || { vm_log "apt-get not found; cannot install: ${missing[*]}"; return 1; }
  vm_log "installing: ${missing[*]}"
  local t0=$SECONDS
  # The package lists may be missing or old on a fresh machine.
  if ! vm_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "${missing[@]}" >"$DAMO_VM_TMP/apt.log" 2>&1; then
    vm_sudo apt-get update >>"$DAMO_VM_TMP/apt.log" 2>&1 || true
    vm_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "${missing[@]}" >>"$DAMO_VM_TMP/apt.log" 2>&1 || { tail -20 "$DAMO_VM_TMP/apt.log" >&2; return 1; }
  fi
  vm_log "installed in $((SECONDS - t0)) s"
}

# Cache key of the kernel: the fragment, the source package version and the recipe.
vm_kernel_key() {
  local ver
  ver=$(dpkg-query -W -f='${Version}' "$KERNEL_SRC_PKG" 2>/dev/null) || return 1
  { echo "recipe=$KERNEL_RECIPE pkg=$KERNEL_SRC_PKG ver=$ver"; cat "$VM_DIR/kernel.config"; } \
    | sha256sum | cut -c1-16
}
