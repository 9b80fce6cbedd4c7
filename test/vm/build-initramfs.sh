#!/usr/bin/env bash
# Builds the VM's initramfs as two concatenated cpio archives (the kernel unpacks both):
#   base    busybox, node and the shared libraries ldd lists for node and for every native
#           addon the project ships. Cached as $DAMO_VM_CACHE/base-<key>.cpio (key: the
#           node binary, the busybox version and this recipe).
#   project the built project (/damo: package.json, dist/, build/Release/*.node, production
#           node_modules), /init, /vm (guest lib, scenarios, tools/*.mjs checkers run by
#           node, statically built workloads)
#           and the job file. Rebuilt on every run (a few seconds).
# usage: build-initramfs.sh JOB_FILE OUTPUT    (prints nothing; writes OUTPUT)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
job_file=$1
output=$2
: "${DAMO_VM_TMP:=$(mktemp -d)}"
BASE_RECIPE=1

[ -f "$REPO_DIR/dist/src/cli/bin.js" ] || vm_die "the project is not built (no dist/src/cli/bin.js): run 'npm run build' first"
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
cp "$VM_DIR"/scenarios/*.sh "$stage/vm/scenarios/" 2>/dev/null || true
cp "$VM_DIR"/tools/* "$stage/vm/tools/" 2>/dev/null || true
cp "$job_file" "$stage/vm/job.sh"
for src in "$VM_DIR"/workloads/*.c; do
  [ -f "$src" ] || continue
  gcc -static -O2 -Wall -o "$stage/vm/bin/$(basename "$src" .c)" "$src"
done
cat > "$stage/bin/damo" <<'EOF'
#!/bin/sh
exec node /damo/dist/src/cli/bin.js "$@"
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

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$DAMO_VM_TMP/project.cpio"
cat "$base" "$DAMO_VM_TMP/project.cpio" > "$output"
