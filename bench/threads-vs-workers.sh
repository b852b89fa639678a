#!/usr/bin/env bash
# The real training path with THREADS cores spent two ways, alternated so that both see the same
# drift of this VM: kernel threads (train.parallelism kernel-threads, the default: one training
# thread, its kernels split over THREADS) against data-parallel workers (train.parallelism
# data-parallel: THREADS workers). Each run is the main job sliced to TRAIN images and one epoch;
# the epoch's images/s and the wall time of the command are printed per run. Further --set
# arguments (e.g. train.winograd=false) pass through to both.
#   bash bench/threads-vs-workers.sh [PAIRS=3] [TRAIN=12800] [THREADS=2] [SPEC=experiments/cnn-19816.yaml] [--set k=v]...
set -u
pairs=${1:-3}; train=${2:-12800}; threads=${3:-2}; spec=${4:-experiments/cnn-19816.yaml}
shift $(( $# < 4 ? $# : 4 ))
extra=("$@")
out=$(mktemp -d)
run() { # label, then the parallelism
  local label=$1 parallelism=$2
  local start end
  start=$(date +%s.%N)
  node packages/runner/bin/xp.js run "$spec" --force --set data.trainLimit="$train" --set data.testLimit=1000 \
    --set train.epochs=1 --set train.workers="$threads" --set train.parallelism="$parallelism" "${extra[@]}" \
    --tracking-uri "$out/mlruns" > "$out/$label.log" 2>&1
  end=$(date +%s.%N)
  printf '%-22s %s, wall %.1f s\n' "$label" "$(grep -a -o '[0-9.]* images/s' "$out/$label.log" | head -1)" "$(awk "BEGIN { print $end - $start }")"
}
for i in $(seq "$pairs"); do
  run "kernel-threads-$threads#$i" kernel-threads
  run "data-parallel-$threads#$i" data-parallel
done
rm -rf "$out"
