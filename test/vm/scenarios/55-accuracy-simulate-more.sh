# SPDX-License-Identifier: GPL-2.0-only
# heavy
# timeout: 6000
# 51-accuracy-simulate for the other cases: the cold action with kernel DAMOS, and pageout
# and cold with the native engine's online backend (page_idle + process_madvise), each
# predicted from a recording of the same engine, ACC_RUNS times each (judged on the
# medians, as 51). Runs only with --only (e.g. accuracy). ACC_SIM_MORE_CASES picks some
# of its cases (ACC_SIM_CASES stays 51's, so --only accuracy runs no case twice).
ACC_SIM_CASES=${ACC_SIM_MORE_CASES:-cold-kernel pageout-native cold-native}
. /vm/scenarios/51-accuracy-simulate.sh
