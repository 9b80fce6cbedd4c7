# SPDX-License-Identifier: GPL-2.0-only
# damo 3.3.0's tests/damon_reclaim/test.sh: DAMON_RECLAIM's enabled/kdamond_pid module parameters (CONFIG_DAMON_RECLAIM in kernel.config).
# timeout: 150
. /vm/lib.sh
run_damo_suite damon_reclaim 120
