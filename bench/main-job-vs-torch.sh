#!/usr/bin/env bash
# The main job (`npx nx run runner:exp experiments/cnn-19816.yaml`, one seed per command) against
# PyTorch's same recipe (bench/mnist_torch.py --recipe main --threads 2, Debian's python3-torch),
# seed by seed, each pair back to back and the order alternating (xp first on odd seeds), so that both
# see the same drift of the machine. Each command's wall time and peak RSS come from /usr/bin/time -v;
# its final test accuracy from its own output. Prints a row per seed as it goes, then the totals:
# accuracies as mean ± std with how many passed 99.4 %, wall times, their ratio.
#   bash bench/main-job-vs-torch.sh [SEEDS=5] [OUT=a new temporary directory]
set -u
seeds=${1:-5}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
cd "$(dirname "$0")/.."

measure() { # name seed: runs one command, leaves OUT/name-seed.{log,time}
  local name=$1 seed=$2
  if [[ $name == xp ]]; then
    /usr/bin/time -v -o "$out/xp-$seed.time" npx nx run runner:exp experiments/cnn-19816.yaml --set seed="$seed" --force \
      --tracking-uri "$out/mlruns" > "$out/xp-$seed.log" 2>&1
  else
    /usr/bin/time -v -o "$out/torch-$seed.time" /usr/bin/python3 bench/mnist_torch.py --recipe main --threads 2 --seeds "$seed" \
      > "$out/torch-$seed.log" 2>&1
  fi
}
# Seconds of wall time from /usr/bin/time -v's "Elapsed (wall clock) time (h:mm:ss or m:ss): M:SS.ss".
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.2f", $2 / 1000000 }' "$1"; }
xp_accuracy() { grep -a -o 'final accuracy [0-9.]*%' "$1" | head -1 | grep -o '[0-9.]*'; }
torch_accuracy() { grep -a '"final"' "$1" | head -1 | sed 's/.*"final": \([0-9.]*\).*/\1/' | awk '{ printf "%.2f", $1 * 100 }'; }

printf '%-5s %10s %9s %8s %12s %9s %8s %7s\n' seed "xp wall s" "xp acc %" "xp GB" "torch wall s" "torch %" "torch GB" "ratio"
for seed in $(seq "$seeds"); do
  if (( seed % 2 )); then measure xp "$seed"; measure torch "$seed"; else measure torch "$seed"; measure xp "$seed"; fi
  xw=$(wall "$out/xp-$seed.time"); tw=$(wall "$out/torch-$seed.time")
  printf '%-5s %10.1f %9s %8s %12.1f %9s %8s %6.3f×\n' "$seed" "$xw" "$(xp_accuracy "$out/xp-$seed.log")" "$(rss "$out/xp-$seed.time")" \
    "$tw" "$(torch_accuracy "$out/torch-$seed.log")" "$(rss "$out/torch-$seed.time")" "$(awk "BEGIN { print $xw / $tw }")"
done

summary() { # name accuracy-function: mean ± std (sample), passes, total wall
  local name=$1 accuracy=$2 values="" total=0
  for seed in $(seq "$seeds"); do
    values="$values $($accuracy "$out/$name-$seed.log")"
    total=$(awk "BEGIN { print $total + $(wall "$out/$name-$seed.time") }")
  done
  echo "$values" | awk -v name="$name" -v total="$total" '{ for (i = 1; i <= NF; i++) { s += $i; q += $i * $i; if ($i >= 99.4) p++ }
    m = s / NF; sd = NF > 1 ? sqrt((q - NF * m * m) / (NF - 1)) : 0
    printf "%-6s %.3f %% ± %.3f over %d seeds, %d passed 99.4 %%, wall %.1f s in all\n", name, m, sd, NF, p, total }'
}
summary xp xp_accuracy
summary torch torch_accuracy
echo "logs: $out"
