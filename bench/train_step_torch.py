"""Times SGD steps of the seed's 19,816-parameter MNIST network in PyTorch on the CPU.

Usage: /usr/bin/python3 bench/train_step_torch.py --threads 1 [--batches 30 --warmup 5 --batch-size 128] [--width 3.25] [--device cuda]
--width scales every convolution's channels (16 and 32) by the factor: 3.25 gives bench/cnn-10x.yaml's
network (52 and 104 channels, 202,660 parameters, ten times the seed's).
--device cuda times the step on the GPU (synchronized after each step, so a step is all its kernels).
Prints one JSON line: {"threads", "batchSize", "msPerBatch", "samplesMs", "torch", "params", "device"}.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(ci, co, pad=0, dropout=0.1):
    layers = [nn.Conv2d(ci, co, 3, padding=pad), nn.ReLU(), nn.BatchNorm2d(co)]
    if dropout:
        layers.append(nn.Dropout2d(dropout))
    return layers


class SeedNet(nn.Module):
    def __init__(self, width=1.0):
        super().__init__()
        c, w = round(16 * width), round(32 * width)
        self.features = nn.Sequential(
            *block(1, c), *block(c, c), *block(c, w),
            nn.Conv2d(w, c, 1), nn.ReLU(), nn.MaxPool2d(2),
            *block(c, c), *block(c, c), *block(c, c, pad=1),
            *block(c, c, dropout=0), *block(c, c, pad=1, dropout=0),
            nn.Conv2d(c, 10, 1), nn.AvgPool2d(5),
        )
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        return F.log_softmax(self.fc(self.features(x).flatten(1)), dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = SeedNet(a.width).to(a.device)
    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert a.width != 1.0 or params == 19816, params
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    batches = [(torch.randn(a.batch_size, 1, 28, 28, device=a.device), torch.randint(0, 10, (a.batch_size,), device=a.device)) for _ in range(4)]
    samples = []
    for i in range(a.warmup + a.batches):
        x, y = batches[i % len(batches)]
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        opt.step()
        sync()
        dt = (time.perf_counter() - t0) * 1000
        if i >= a.warmup:
            samples.append(dt)
    print(json.dumps({"threads": a.threads, "batchSize": a.batch_size, "msPerBatch": statistics.median(samples),
                      "samplesMs": samples, "torch": torch.__version__, "params": params,
                      "device": torch.cuda.get_device_name() if a.device.startswith("cuda") else "cpu"}))


if __name__ == "__main__":
    main()
