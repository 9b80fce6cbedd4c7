# SPDX-License-Identifier: GPL-2.0-only
# Record-replay-record fidelity (issue 9): damo replay turns the synthetic moving-hot-block
# pattern (256 MiB, a 16 MiB hot block moving every 10 s, 30 s) back into a process, damo
# record records that process with kernel DAMON (tracefs) and with the native engine +
# page_idle, and damo compare scores each recording against the original through the
# replay's address/time mapping. Pass: working-set error at p50 and p90 within 10% and
# heatmap correlation at least 0.8. Reported without a threshold: the same block moving every
# 2 s (DAMON's regions are still adapting after many moves), damo synth's noisy pattern, and
# damo's own test recording (damon.data).
# timeout: 900
. /vm/lib.sh
FID="node /damo/dist/bench/replay_fidelity.js"
# TCG runs the generator several times slower than hardware: stretch the replay (and the
# recording's intervals with it) so the generator keeps up with its slots.
TS=${REPLAY_TIME_SCALE:-2}

# fidelity NAME [driver args...]: one RESULT line named NAME.
fidelity() {
  name=$1; shift
  kvs=$($FID --kv --time_scale "$TS" --keep "$OUT/$name" "$@" 2> "$OUT/$name.err")
  rc=$?
  cat "$OUT/$name.err"
  case $rc in
    0) result_as "$name" pass "$kvs time_scale=$TS" ;;
    3) result_as "$name" fail "$kvs time_scale=$TS" ;;
    *) result_as "$name" fail "reason=$(tail -1 "$OUT/$name.err" | tr ' =' '__' | cut -c1-120)" ;;
  esac
}

for n in tracefs native-page_idle tracefs-fast-moves tracefs-synth damon-data; do mkdir -p "$OUT/replay-fidelity-$n"; done
fidelity replay-fidelity-tracefs --source tracefs --max_wss_error 10 --min_correlation 0.8
damon_reset
fidelity replay-fidelity-native-page_idle --source native --primitive page_idle --max_wss_error 10 --min_correlation 0.8
damon_reset
fidelity replay-fidelity-tracefs-fast-moves --source tracefs --snapshots 150 --move_every 20
damon_reset
fidelity replay-fidelity-tracefs-synth --source tracefs --pattern synth --snapshots 150 --move_every 50
damon_reset
if [ -f /vm/data/damon.data ]; then
  # No threshold: damo's recording is a real workload recorded at unknown intervals.
  fidelity replay-fidelity-damon-data --source tracefs --trace /vm/data/damon.data --max_memory 512M
else
  echo "no /vm/data/damon.data (build-initramfs.sh copies it from DAMO_TESTDATA when present): not replayed"
fi
