#!/usr/bin/python3
"""TH on PyTorch: the same small float64 MLP as bench/bench_tensor_hvp.cpp (16-64-64-1, tanh,
batch 32, mse loss), one thread: backward, torch.autograd.grad without and with create_graph,
and H v (grad of sum(g * v)), medians of 30 after 5 warm-up runs, in microseconds.

Run with Debian's python3-torch: flock /tmp/tapegrad-bench.lock /usr/bin/python3 bench/th_torch.py
"""
import statistics
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(7)
sizes = [16, 64, 64, 1]
params = []
for l in range(3):
    params.append((torch.randn(sizes[l], sizes[l + 1], generator=gen) * 0.3).requires_grad_(True))
    params.append(torch.zeros(sizes[l + 1], requires_grad=True))
x = torch.randn(32, 16, generator=gen)
target = torch.randn(32, 1, generator=gen)
directions = [torch.randn(p.shape, generator=gen) for p in params]


def loss():
    h = x
    for l in range(3):
        h = h @ params[2 * l] + params[2 * l + 1]
        if l < 2:
            h = torch.tanh(h)
    return F.mse_loss(h, target)


def us(f):
    t = time.perf_counter()
    f()
    return (time.perf_counter() - t) * 1e6


def main():
    figures = {"forward": [], "backward": [], "grad": [], "grad_create_graph": [], "hvp": []}
    for r in range(35):
        out = {}
        y = [None]
        out["forward"] = us(lambda: y.__setitem__(0, loss()))
        out["backward"] = us(lambda: y[0].backward(retain_graph=True))
        for p in params:
            p.grad = None
        out["grad"] = us(lambda: torch.autograd.grad(y[0], params, retain_graph=True))
        out["grad_create_graph"] = us(lambda: torch.autograd.grad(y[0], params, create_graph=True))
        y[0] = loss()

        def hvp():
            g = torch.autograd.grad(y[0], params, create_graph=True)
            inner = sum((gk * vk).sum() for gk, vk in zip(g, directions))
            torch.autograd.grad(inner, params)

        out["hvp"] = us(hvp)
        if r >= 5:
            for k, v in out.items():
                figures[k].append(v)
    med = {k: statistics.median(v) for k, v in figures.items()}
    print(" ".join("%s_us=%.1f" % (k, v) for k, v in med.items()),
          "create_graph_ratio=%.2f hvp_ratio=%.2f" % (med["grad_create_graph"] / med["backward"],
                                                      med["hvp"] / med["backward"]))


if __name__ == "__main__":
    main()
