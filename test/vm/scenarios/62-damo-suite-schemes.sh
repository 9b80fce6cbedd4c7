# SPDX-License-Identifier: GPL-2.0-only
# damo 3.3.0's tests/schemes/test.sh with damo-ts as ../../damo: DAMOS stat and its speed limit, watermarks, filters (prcl of alloc_1gb_spin) through sysfs and debugfs.
# timeout: 630
. /vm/lib.sh
run_damo_suite schemes 600
