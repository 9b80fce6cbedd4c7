# SPDX-License-Identifier: GPL-2.0-only
# damo 3.3.0's tests/args_damon/test.sh with damo-ts as ../../damo: `damo args damon` for lru_sort, mem_tier (needs NUMA node 1) and weighted_interleave.
# timeout: 210
. /vm/lib.sh
run_damo_suite args_damon 180
