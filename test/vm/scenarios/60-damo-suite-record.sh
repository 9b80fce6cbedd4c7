# SPDX-License-Identifier: GPL-2.0-only
# damo 3.3.0's tests/record/test.sh with damo-ts as ../../damo (damo-suites/README.md): record and validate through debugfs and sysfs, paddr, fvaddr regions, --output_permission.
# heavy: not in the default VM run until the control-plane commands these scripts call first
# (report damon, args damon, record --damon_interface_DEPRECATED) exist; issue 18. Run with --only.
# timeout: 450
. /vm/lib.sh
run_damo_suite record 420
