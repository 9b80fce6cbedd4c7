# SPDX-License-Identifier: GPL-2.0-only
# damo 3.3.0's tests/args_damon/test.sh with damo-ts as ../../damo: `damo args damon` for lru_sort, mem_tier (needs NUMA node 1) and weighted_interleave.
# heavy: run with --only (it passes since args damon has the multi-context flags; it stays out
# of the default run because its "# numa-nodes: 2" would boot every default scenario, which
# were calibrated on one node, with two emulated nodes).
# timeout: 210
# numa-nodes: 2
. /vm/lib.sh
run_damo_suite args_damon 180
