#!/usr/bin/env bash
# Runs one spec once per seed, two seeds at a time, each in its own single-threaded process, logging
# every run to its own file. Used for BENCHMARKS.md before `xp run --seeds` existed; kept because two
# independent processes are the fastest way to spend two cores on several seeds.
#   bash bench/seeds-by-process.sh SPEC OUTDIR SEED...
set -u
spec=$1; out=$2; shift 2
mkdir -p "$out"
pids=()
for seed in "$@"; do
  ( start=$(date +%s)
    npx xp run "$spec" --set seed="$seed" --tracking-uri "$out/mlruns" > "$out/seed-$seed.log" 2>&1
    echo "exit $? wall $(( $(date +%s) - start )) s" >> "$out/seed-$seed.log" ) &
  pids+=($!)
  if (( ${#pids[@]} >= 2 )); then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
wait
