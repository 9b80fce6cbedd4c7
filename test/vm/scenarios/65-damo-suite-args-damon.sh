# SPDX-License-Identifier: GPL-2.0-only
# damo 3.3.0's tests/args_damon/test.sh with damo-ts as ../../damo: `damo args damon` for lru_sort, mem_tier (needs NUMA node 1) and weighted_interleave.
# heavy: not in the default VM run until the control-plane commands these scripts call first
# (report damon, args damon, record --damon_interface_DEPRECATED) exist; issue 18. Run with --only.
# timeout: 210
. /vm/lib.sh
run_damo_suite args_damon 180
