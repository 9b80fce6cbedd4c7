#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the VM's initramfs as two concatenated cpio archives (the kernel unpacks both):
#   base    busybox, node and the shared libraries ldd lists for node and for every native
#           addon the project ships. Cached as $DAMO_VM_CACHE/base-<key>.cpio (key: the
#           node binary, the busybox version and this recipe).
#   project the built project (/damo: package.json, dist/, build/Release/*.node, production
#           node_modules), /init, /vm (guest lib, scenarios, tools/*.mjs checkers run by
#           node, statically built workloads)
#           and the job file. Rebuilt on every run (a few seconds).
#   apps    real workloads and the peer's runtime, from the host's Debian packages
#           (VM_APP_BINARIES in lib.sh: redis, sqlite3, xz, zstd, stress-ng, trace-cmd,
#           file + its magic, python3.11 with its standard library minus tests and build
#           files) and the libraries ldd lists for them. Cached as $DAMO_VM_CACHE/apps-<key>.cpio.
#           The Python damo's sources go into the project layer (/vm/pydamo) when
#           ../shared/peers/damo-3.3.0/src (or DAMO_PEER_SRC) exists.
# usage: build-initramfs.sh JOB_FILE OUTPUT    (prints nothing; writes OUTPUT)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
job_file=$1
output=$2
: "${DAMO_VM_TMP:=$(mktemp -d)}"
BASE_RECIPE=1

[ -f "$REPO_DIR/dist/src/cli/bin.cjs" ] || vm_die "the project is not built (no dist/src/cli/bin.cjs): run 'npm run build' first"
node_bin=$(command -v node) || vm_die "node not found on the host"
node_bin=$(readlink -f "$node_bin")
busybox_bin=/bin/busybox
[ -x "$busybox_bin" ] && file_is_static=$(ldd "$busybox_bin" 2>&1 | grep -c 'not a dynamic' || true)
[ "${file_is_static:-0}" -ge 1 ] || vm_die "/bin/busybox is missing or not static: install busybox-static"

# Native addons of the project and its production dependencies, found after staging.
stage=$DAMO_VM_TMP/project-root
rm -rf "$stage"; mkdir -p "$stage/damo" "$stage/vm/bin" "$stage/vm/scenarios" "$stage/vm/tools" "$stage/bin" "$stage/etc"

# --- project layer ---------------------------------------------------------------------
cp "$REPO_DIR/package.json" "$stage/damo/"
cp -a "$REPO_DIR/dist" "$stage/damo/dist"
if [ -d "$REPO_DIR/build/Release" ]; then
  mkdir -p "$stage/damo/build/Release"
  cp "$REPO_DIR"/build/Release/*.node "$stage/damo/build/Release/" 2>/dev/null || true
  # The replay generator (damo replay); it needs only node's libraries (libstdc++, libc).
  cp "$REPO_DIR"/build/Release/damo_replay "$stage/damo/build/Release/" 2>/dev/null || true
fi
# damo's test recording (test/fixtures/README.md), replayed by scenario 40-replay-fidelity.
testdata=${DAMO_TESTDATA:-$REPO_DIR/test/fixtures/damo}
if [ -f "$testdata/damo-3.3.0-tests-report/damon.data" ]; then
  mkdir -p "$stage/vm/data"
  cp "$testdata/damo-3.3.0-tests-report/damon.data" "$stage/vm/data/"
fi
# Production dependencies only: the paths npm itself resolves with --omit=dev.
(cd "$REPO_DIR" && npm ls --omit=dev --all --parseable 2>/dev/null) | while read -r p; do
  rel=${p#"$REPO_DIR"/}
  [ "$rel" = "$p" ] && continue   # the project root itself
  mkdir -p "$stage/damo/$(dirname "$rel")"
  cp -a "$p" "$stage/damo/$rel"
done
cp "$VM_DIR/guest/init.sh" "$stage/init"
cp "$VM_DIR/guest/lib.sh" "$stage/vm/lib.sh"
cp "$VM_DIR/guest/apps.sh" "$stage/vm/apps.sh"
cp "$VM_DIR"/scenarios/*.sh "$stage/vm/scenarios/" 2>/dev/null || true
cp "$VM_DIR"/tools/* "$stage/vm/tools/" 2>/dev/null || true
cp "$job_file" "$stage/vm/job.sh"
# The Python damo 3.3.0 (GPL-2.0 like us; run as a peer, never copied into the project),
# byte-compiled on the host: compiling its 60 modules under TCG costs seconds per start.
peer_src=${DAMO_PEER_SRC:-$REPO_DIR/../shared/peers/damo-3.3.0/src}
if [ -f "$peer_src/damo.py" ]; then
  cp -r "$peer_src" "$stage/vm/pydamo"
  [ -x /usr/bin/python3.11 ] && /usr/bin/python3.11 -m compileall -q "$stage/vm/pydamo" >/dev/null 2>&1 || true
fi
for src in "$VM_DIR"/workloads/*.c; do
  [ -f "$src" ] || continue
  gcc -static -O2 -Wall -o "$stage/vm/bin/$(basename "$src" .c)" "$src"
done
# damo 3.3.0's test suites (damo-suites/README.md): the scripts and their data as they are,
# ../../damo and the sudo/gcc stand-ins, and alloc_1gb_spin compiled here with its source
# (the gcc stand-in checks the VM's copy against it).
mkdir -p "$stage/vm/damo-suites/prebuilt"
cp -r "$VM_DIR/damo-suites/tests" "$VM_DIR/damo-suites/bin" "$VM_DIR/damo-suites/damo" "$stage/vm/damo-suites/"
spin_src=$VM_DIR/damo-suites/tests/schemes/alloc_1gb_spin.c
cp "$spin_src" "$stage/vm/damo-suites/prebuilt/"
gcc -static -o "$stage/vm/damo-suites/prebuilt/alloc_1gb_spin" "$spin_src"
cat > "$stage/bin/damo" <<'EOF'
#!/bin/sh
exec node /damo/dist/src/cli/bin.cjs "$@"
EOF
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"
chmod +x "$stage/init" "$stage/bin/damo"

# --- base layer (cached) ------------------------------------------------------------------
addons=$(find "$stage/damo" -name '*.node' -type f)
libs=$( { ldd "$node_bin"; for a in $addons; do ldd "$a"; done; } 2>/dev/null \
  | grep -oE '/[^ ]+\.so[^ ]*' | sort -u)
bb_ver=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || stat -c %Y "$busybox_bin")
key=$( { echo "recipe=$BASE_RECIPE busybox=$bb_ver"; stat -c '%n %s %Y' "$node_bin";
  for l in $libs; do stat -L -c '%n %s %Y' "$l"; done; } | sha256sum | cut -c1-16)
base=$DAMO_VM_CACHE/base-$key.cpio
if [ ! -f "$base" ]; then
  mkdir -p "$DAMO_VM_CACHE"
  bstage=$DAMO_VM_TMP/base-root
  rm -rf "$bstage"; mkdir -p "$bstage/bin" "$bstage/usr/bin" "$bstage/lib64"
  cp "$busybox_bin" "$bstage/bin/busybox"
  cp "$node_bin" "$bstage/usr/bin/node"
  for l in $libs; do
    mkdir -p "$bstage$(dirname "$l")"
    cp -L "$l" "$bstage$l"
  done
  (cd "$bstage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$base.tmp.$$"
  mv "$base.tmp.$$" "$base"
  rm -rf "$bstage"
fi

# --- apps layer (cached) ------------------------------------------------------------------
app_bins=()
for b in "${VM_APP_BINARIES[@]}" "${VM_APP_ASIDE[@]}" "${VM_SUITE_TOOLS[@]}"; do
  [ -x "$b" ] && app_bins+=("$(readlink -f "$b")") || vm_log "initramfs: $b not found (its scenarios will fail)"
done
pylib=/usr/lib/python3.11
dynload=$(ls "$pylib"/lib-dynload/*.so 2>/dev/null || true)
app_libs=$( { for b in "${app_bins[@]}" $dynload; do ldd "$b"; done; } 2>/dev/null \
  | grep -oE '/[^ ]+\.so[^ ]*' | sort -u)
app_key=$( { echo "recipe=$BASE_RECIPE ${VM_APP_BINARIES[*]} aside=${VM_APP_ASIDE[*]} suite=${VM_SUITE_TOOLS[*]}"; for f in "${app_bins[@]}" $app_libs; do stat -L -c '%n %s %Y' "$f"; done;
  [ -d "$pylib" ] && stat -c '%n %Y' "$pylib"; } | sha256sum | cut -c1-16)
apps=$DAMO_VM_CACHE/apps-$app_key.cpio
if [ ! -f "$apps" ]; then
  astage=$DAMO_VM_TMP/apps-root
  rm -rf "$astage"; mkdir -p "$astage/usr/bin"
  for b in "${VM_APP_BINARIES[@]}"; do
    [ -x "$b" ] || continue
    mkdir -p "$astage$(dirname "$b")"
    cp -L "$b" "$astage$b"
  done
  for l in $app_libs; do
    mkdir -p "$astage$(dirname "$l")"
    cp -L "$l" "$astage$l"
  done
  mkdir -p "$astage/opt/procps/bin"
  for b in "${VM_APP_ASIDE[@]}"; do [ -x "$b" ] && cp -L "$b" "$astage/opt/procps/bin/"; done
  mkdir -p "$astage/opt/suite-tools/bin"
  for b in "${VM_SUITE_TOOLS[@]}"; do [ -x "$b" ] && cp -L "$b" "$astage/opt/suite-tools/bin/"; done
  # Debian's redis-server is redis-check-rdb under another name (redis picks its role from
  # argv[0]); redis-tools, which has it, starts no service on the host when installed.
  [ -f "$astage/usr/bin/redis-check-rdb" ] && ln -s redis-check-rdb "$astage/usr/bin/redis-server"
  [ -f "$astage/usr/bin/python3.11" ] && ln -s python3.11 "$astage/usr/bin/python3"
  if [ -d "$pylib" ]; then
    mkdir -p "$astage/usr/lib"
    tar -C /usr/lib --exclude='python3.11/test' --exclude='python3.11/config-3.11-*' \
      --exclude='python3.11/lib2to3' --exclude='python3.11/idlelib' --exclude='python3.11/tkinter' \
      --exclude='python3.11/ensurepip' --exclude='python3.11/pydoc_data' \
      --exclude='python3.11/distutils' --exclude='python3.11/turtledemo' \
      --exclude='python3.11/site-packages' --exclude='python3.11/dist-packages' \
      -cf - python3.11 | tar -C "$astage/usr/lib" -xf -
  fi
  for m in /usr/lib/file/magic.mgc /usr/share/misc/magic.mgc; do
    [ -e "$m" ] && { mkdir -p "$astage$(dirname "$m")"; cp -L "$m" "$astage$m"; }
  done
  (cd "$astage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$apps.tmp.$$"
  mv "$apps.tmp.$$" "$apps"
  rm -rf "$astage"
fi

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$DAMO_VM_TMP/project.cpio"
cat "$base" "$apps" "$DAMO_VM_TMP/project.cpio" > "$output"
