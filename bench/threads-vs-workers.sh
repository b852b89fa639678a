#!/usr/bin/env bash
# The real training path with the machine's cores spent two ways, alternated so that both see the
# same drift of this VM: kernel threads (XP_WASM_THREADS=N, one training thread, train.workers auto
# → 1) against data-parallel workers (train.workers auto → one per core). Each run is the main job
# sliced to TRAIN images and one epoch; the epoch's images/s and the wall time of the command are
# printed per run. Other XP_WASM_* variables (FMA, WINOGRAD) pass through to both.
#   bash bench/threads-vs-workers.sh [PAIRS=3] [TRAIN=12800] [THREADS=2] [SPEC=experiments/cnn-19816.yaml]
set -u
pairs=${1:-3}; train=${2:-12800}; threads=${3:-2}; spec=${4:-experiments/cnn-19816.yaml}
out=$(mktemp -d)
run() { # label, then env assignments
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  env "$@" node packages/runner/bin/xp.js run "$spec" --force --set data.trainLimit="$train" --set data.testLimit=1000 \
    --set train.epochs=1 --tracking-uri "$out/mlruns" > "$out/$label.log" 2>&1
  end=$(date +%s.%N)
  printf '%-22s %s, wall %.1f s\n' "$label" "$(grep -a -o '[0-9.]* images/s' "$out/$label.log" | head -1)" "$(awk "BEGIN { print $end - $start }")"
}
for i in $(seq "$pairs"); do
  run "kernel-threads-$threads#$i" XP_WASM_THREADS="$threads"
  run "workers-auto#$i" XP_WASM_THREADS=
done
rm -rf "$out"
