# SPDX-License-Identifier: GPL-2.0-only
# damo 3.3.0's tests/schemes/test.sh, unchanged, with DAMON sysfs hidden (tmpfs over /sys/kernel/mm)
# so that its interface loop finds only DAMON debugfs: the debugfs half of 62, which 62 does not reach
# when its sysfs schemes-filters case fails (the script exits there). Results: damo-schemes-debugfs:<case>.
# heavy: like 62 (the suite runs up to 600 s). Run with --only.
# timeout: 630
. /vm/lib.sh
mount -t tmpfs none /sys/kernel/mm || { result_as damo-schemes-debugfs:exit fail reason=cannot_hide_sysfs; exit 1; }
trap 'umount /sys/kernel/mm' EXIT
# The feature cache of earlier scenarios lists DAMON sysfs's features: probe again.
export XDG_CACHE_HOME=$OUT/cache
damo features supported --damon_interface_DEPRECATED debugfs > "$OUT/features.txt" 2>&1
echo "features (debugfs, sysfs hidden): $(tr '\n' ' ' < "$OUT/features.txt")"
run_damo_suite schemes 600 schemes-debugfs
