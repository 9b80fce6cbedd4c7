# SPDX-License-Identifier: GPL-2.0-only
# damo 3.3.0's tests/schemes/test.sh with damo-ts as ../../damo: DAMOS stat and its speed limit, watermarks, filters (prcl of alloc_1gb_spin) through sysfs and debugfs.
# heavy: not in the default VM run until the control-plane commands these scripts call first
# (report damon, args damon, record --damon_interface_DEPRECATED) exist; issue 18. Run with --only.
# timeout: 630
. /vm/lib.sh
run_damo_suite schemes 600
