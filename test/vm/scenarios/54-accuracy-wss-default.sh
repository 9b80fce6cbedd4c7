# SPDX-License-Identifier: GPL-2.0-only
# heavy
# timeout: 1200
# 50-accuracy-wss at DAMON's default intervals (5ms 100ms 1s): how far the defaults get on
# workloads that TCG slows 10-50x (see docs/ACCURACY.md). The truth cannot sweep every
# 100 ms (a sweep of 25 000 pages takes ~300 ms under TCG), so each 500 ms truth window is
# compared with the union of the snapshots inside it. Judged like 50-accuracy-wss; results
# accuracy-default-<workload>-<source>. Runs only with --only.
ACC_INTERVALS='5ms 100ms 1s' ACC_TRUTH_MS=500 ACC_UNION=1 ACC_SKIP_S=3 ACC_DUR=16
ACC_PREFIX=accuracy-default ACC_PAIRS=all
. /vm/scenarios/50-accuracy-wss.sh
