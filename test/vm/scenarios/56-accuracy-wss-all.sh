# SPDX-License-Identifier: GPL-2.0-only
# heavy
# timeout: 1500
# 50-accuracy-wss for every workload and source, including the pairs over the 20 % bound
# that CI does not judge (redis with every source, sqlite with page_idle, xz with
# soft_dirty; docs/ACCURACY.md says why). Results accuracy-all-<workload>-<source>.
ACC_PAIRS=all ACC_PREFIX=accuracy-all
. /vm/scenarios/50-accuracy-wss.sh
