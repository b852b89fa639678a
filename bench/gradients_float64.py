"""Compares the gradients bench/gradients-vs-float64.ts wrote (tfjs cpu, native TensorFlow, wasm engine)
with the same network in PyTorch, float64 (the reference) and float32.

Usage: /usr/bin/python3 bench/gradients_float64.py .xp/gradients.json
Prints, per engine, the largest error over all gradients: max |g - g64| / max |g64| per tensor.
"""
import json
import sys

import torch
import torch.nn.functional as F


def gradients(d, dtype):
    x = torch.tensor(d['x'][0], dtype=dtype).reshape(d['x'][1]).permute(0, 3, 1, 2).contiguous().requires_grad_()
    ps = [torch.tensor(v, dtype=dtype).reshape(s).requires_grad_() for v, s in d['params']]
    h, b = x, 0
    for i, (k, ci, co, pad) in enumerate(d['specs']):
        h = F.conv2d(h, ps[2 * i].permute(3, 2, 0, 1), ps[2 * i + 1], padding=(k // 2 if pad == 'same' else 0))
        if i == len(d['specs']) - 1:
            break  # the head's 1x1 convolution has no ReLU, as in the seed
        h = F.relu(h)
        if d['bnAfter'][i]:
            h = F.batch_norm(h, None, None, ps[20 + 2 * b], ps[20 + 2 * b + 1], training=True, eps=1e-5)
            b += 1
        if i == d['poolAfter']:
            h = F.max_pool2d(h, 2, 2)
    logits = h.mean(dim=(2, 3)) @ ps[-2] + ps[-1]
    loss = F.cross_entropy(logits, torch.tensor(d['labels']))
    gs = torch.autograd.grad(loss, [x] + ps)
    return [gs[0].permute(0, 2, 3, 1).reshape(-1).double()] + [g.reshape(-1).double() for g in gs[1:]]


def rel(a, r):
    return float((a - r).abs().max() / (r.abs().max() + 1e-30))


def main():
    d = json.load(open(sys.argv[1]))
    ref = gradients(d, torch.float64)
    engines = {
        'tfjs cpu': [torch.tensor(g, dtype=torch.float64) for g in d['cpu']],
        'native TensorFlow 2.21': [torch.tensor(g, dtype=torch.float64) for g in d['tensorflow']],
        'xp wasm engine': [torch.tensor(g, dtype=torch.float64) for g in d['wasm']],
        'PyTorch float32': gradients(d, torch.float32),
    }
    for name, grads in engines.items():
        errors = [rel(g, r) for g, r in zip(grads, ref)]
        print(f'{name:24s} max error vs float64 {max(errors):.2e}   (median over tensors {sorted(errors)[len(errors) // 2]:.2e})')


if __name__ == '__main__':
    main()
