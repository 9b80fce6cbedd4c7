# SPDX-License-Identifier: GPL-2.0-only
# node runs in the VM and loads the built project and its native addon.
. /vm/lib.sh
t0=$(now_ms)
v=$(damo --version)
t1=$(now_ms)
addon=$(node -e "const m=require('/damo/build/Release/damo_native.node'); const f=m.hostFacts(); console.log(f.kernelRelease + ' page=' + f.pageSizeBytes + ' cpus=' + f.nrCpus)")
echo "damo --version: $v; addon: $addon"
result "$(pass_if [ -n "$v" -a -n "$addon" ])" "version=$v damo_startup_ms=$((t1 - t0)) addon_page_bytes=$(echo "$addon" | sed -n 's/.*page=\([0-9]*\).*/\1/p')"
