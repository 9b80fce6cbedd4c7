# SPDX-License-Identifier: GPL-2.0-only
# damo 3.3.0's tests/damon_lru_sort/test.sh: DAMON_LRU_SORT's enabled/kdamond_pid module parameters (CONFIG_DAMON_LRU_SORT in kernel.config).
# timeout: 150
. /vm/lib.sh
run_damo_suite damon_lru_sort 120
