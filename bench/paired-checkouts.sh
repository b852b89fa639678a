#!/usr/bin/env bash
# One command in two checkouts of xp, alternated pair by pair, so that a change is timed against
# the code before it under the same drift of this VM. Each checkout needs its own node_modules
# (`git worktree add DIR COMMIT`, then `npm ci` there, or a copy of this one's with node_modules/@xp
# pointing at DIR's packages). Prints each run's last line and its wall time.
#   bash bench/paired-checkouts.sh BEFORE_DIR AFTER_DIR PAIRS -- COMMAND...
# e.g. bash bench/paired-checkouts.sh /tmp/before . 3 -- node packages/runner/bin/xp.js bench experiments/cnn-19816.yaml --backend wasm --kernel-threads 1,2 --batches 20 --warmup 4
set -u
if [ $# -lt 5 ] || [ "$4" != "--" ]; then
  echo "usage: bash bench/paired-checkouts.sh BEFORE_DIR AFTER_DIR PAIRS -- COMMAND..." >&2
  exit 2
fi
before=$1; after=$2; pairs=$3; shift 4
for i in $(seq "$pairs"); do
  for side in before after; do
    dir=$before; [ "$side" = after ] && dir=$after
    start=$(date +%s.%N)
    last=$(cd "$dir" && "$@" 2>&1 | tr '\r' '\n' | grep -v '^\s*$' | tail -1)
    end=$(date +%s.%N)
    printf '%-7s #%s  wall %6.1f s  %s\n' "$side" "$i" "$(awk "BEGIN { print $end - $start }")" "$last"
  done
done
