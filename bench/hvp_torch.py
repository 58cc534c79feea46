#!/usr/bin/python3
"""H1 on PyTorch (WORKLOADS.md): S2's network and loss at its starting parameters, in float64 on
one thread; one gradient, and one Hessian-vector product by double backward
(torch.autograd.grad with create_graph=True, then a second grad of g . v), v_k = cos(k + 1).
Prints the medians of 20 timings after 3 warm-up runs, their ratio and |Hv| (bench_hvp.cpp
reports the same figures for tapegrad).

    /usr/bin/python3 bench/hvp_torch.py [--json FILE]
"""
import json
import math
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

POINTS, SIZES, ALPHA = 100, [2, 16, 16, 1], 1e-4
WARMUP, RUNS = 3, 20


def data():
    x = [[math.cos(0.0628 * i) * (1 + 0.1 * math.sin(7.0 * i)), math.sin(0.0628 * i) * (1 + 0.1 * math.cos(5.0 * i))]
         for i in range(POINTS)]
    label = [1.0 if i % 2 == 0 else -1.0 for i in range(POINTS)]
    return torch.tensor(x), torch.tensor(label)


def by_parameter(f):
    """Weight and bias tensors whose entry with index k in the workload's order (layer by layer,
    neuron by neuron, weights then bias) is f(k)."""
    p, k = [], 0
    for fan_in, fan_out in zip(SIZES, SIZES[1:]):
        w, b = torch.empty(fan_out, fan_in), torch.empty(fan_out)
        for j in range(fan_out):
            for i in range(fan_in):
                w[j, i] = f(k)
                k += 1
            b[j] = f(k)
            k += 1
        p += [w, b]
    return p


def loss(params, x, label):
    h = x
    for layer in range(3):
        h = h @ params[2 * layer].t() + params[2 * layer + 1]
        if layer < 2:
            h = torch.relu(h)
    hinge = torch.relu(1.0 - label * h[:, 0])
    return hinge.mean() + ALPHA * sum((p * p).sum() for p in params)


def main():
    x, label = data()
    params = [p.requires_grad_(True) for p in by_parameter(lambda k: 0.5 * math.sin(k + 1.0))]
    v = by_parameter(lambda k: math.cos(k + 1.0))
    n = sum(p.numel() for p in params)

    def gradient():
        return torch.autograd.grad(loss(params, x, label), params)

    def hvp():
        g = torch.autograd.grad(loss(params, x, label), params, create_graph=True)
        gv = sum((gi * vi).sum() for gi, vi in zip(g, v))
        return torch.autograd.grad(gv, params)

    def median_us(f):
        times = []
        for r in range(WARMUP + RUNS):
            t = time.perf_counter()
            out = f()
            if r >= WARMUP:
                times.append((time.perf_counter() - t) * 1e6)
        return statistics.median(times), out

    grad_us, _ = median_us(gradient)
    hvp_us, hv = median_us(hvp)
    norm = math.sqrt(sum(float((h * h).sum()) for h in hv))
    result = {"parameters": n, "gradient_us": grad_us, "hvp_us": hvp_us, "ratio": hvp_us / grad_us, "hv_norm": norm,
              "torch": torch.__version__}
    print(f"H1 PyTorch {torch.__version__}, float64, 1 thread: {n} parameters, gradient {grad_us:.0f} us, "
          f"hvp {hvp_us:.0f} us, hvp/gradient {hvp_us / grad_us:.2f}, |Hv| = {norm:.13g}")
    if len(sys.argv) == 3 and sys.argv[1] == "--json":
        with open(sys.argv[2], "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
