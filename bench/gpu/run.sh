#!/usr/bin/env bash
# Runs on a GPU machine from the unpacked archive that bench/gpu/pack.sh made (no network, no Node.js):
#   tar -xJf xp-gpu.tar.xz -C /tmp/xp-gpu && /tmp/xp-gpu/xp/bench/gpu/run.sh /tmp/xp-gpu/report.json
# Checks nvidia-smi, the Vulkan loader (carried) and NVIDIA's Vulkan driver (VK_DRIVER_FILES) and the
# adapter Dawn finds (xp setup webgpu: self-test), runs the gradient-equivalence cases on the GPU,
# xp bench on the seed network and the 10× network, one full epoch of the main job on webgpu, and
# PyTorch's step for both networks on the same GPU; writes everything to one JSON file ($1).
set -uo pipefail
XP=$(cd "$(dirname "$0")/../.." && pwd)
PACK=$(dirname "$XP")
REPORT=${1:-$PACK/report.json}
LOGS=$PACK/logs
mkdir -p "$LOGS"
export PATH=$PACK/node/bin:$PATH
# The loader is unpacked beside the pack, not into /, so nothing on the machine is replaced.
for deb in "$PACK"/deb/*.deb; do dpkg -x "$deb" "$PACK/vulkan"; done
export LD_LIBRARY_PATH=$PACK/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
export MLFLOW_TRACKING_URI=
PY=${XP_TORCH_PYTHON:-python3}
cd "$XP"
xp() { node packages/runner/bin/xp.js "$@"; }

# step NAME TIMEOUT CMD...: runs CMD, keeps stdout's last line (JSON) and the log, and the seconds it took.
step() {
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS
  echo "== $name" >&2
  timeout "$limit" "$@" >"$LOGS/$name.out" 2>"$LOGS/$name.err"
  local rc=$?
  printf '{"rc": %s, "seconds": %s}\n' "$rc" "$((SECONDS - t0))" >"$LOGS/$name.status"
  tail -n 3 "$LOGS/$name.err" >&2
}

step nvidia-smi 30 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
step setup 300 xp setup webgpu --json
step equivalence 600 node --import tsx bench/gpu/equivalence.ts
step bench-seed 300 xp bench experiments/cnn-19816.yaml --backend webgpu --json --batches 20 --warmup 3
step bench-10x 300 xp bench bench/cnn-10x.yaml --backend webgpu --json --batches 20 --warmup 3
step torch-seed 300 "$PY" bench/train_step_torch.py --device cuda --batches 50 --warmup 10
step torch-10x 300 "$PY" bench/train_step_torch.py --device cuda --width 3.25 --batches 50 --warmup 10
step epoch 1200 xp run experiments/cnn-19816.yaml --backend webgpu --json --tracking-uri "$PACK/mlruns" --set train.epochs=1

# One JSON: each step's status, its last stdout line parsed as JSON where it is JSON, else its text.
"$PY" - "$LOGS" "$REPORT" <<'PYEOF'
import json, os, sys
logs, report = sys.argv[1], sys.argv[2]
out = {"vk_driver_files": os.environ.get("VK_DRIVER_FILES"), "steps": {}}
for name in ["nvidia-smi", "setup", "equivalence", "bench-seed", "bench-10x", "torch-seed", "torch-10x", "epoch"]:
    status = json.load(open(os.path.join(logs, name + ".status")))
    lines = [l for l in open(os.path.join(logs, name + ".out")).read().splitlines() if l.strip()]
    last = lines[-1] if lines else ""
    try:
        status["result"] = json.loads(last)
    except ValueError:
        status["result"] = last
    status["stderr_tail"] = open(os.path.join(logs, name + ".err")).read().splitlines()[-5:]
    out["steps"][name] = status
s = out["steps"]
def ms(name):
    r = s[name]["result"]
    return r.get("msPerBatch") if isinstance(r, dict) else None
for net in ["seed", "10x"]:
    w, t = ms("bench-" + net), ms("torch-" + net)
    if w and t:
        out["webgpu_over_torch_" + net] = w / t
json.dump(out, open(report, "w"), indent=1)
print(report)
PYEOF
