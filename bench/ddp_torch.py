#!/usr/bin/env python3
"""D1's side by side: T2 on PyTorch DistributedDataParallel (gloo), batch 128 per rank, one
thread per rank. Run under mpirun (ranks from Open MPI's environment), as tapegrad's D1 is:

    mpirun -np 2 /usr/bin/python3 bench/ddp_torch.py [--quick]

Rank 0 prints: ranks=N step_ms=<median of 30 steps after 5 warm-up> loss=<last loss>.
"""
import os
import statistics
import sys
import time

import torch
import torch.distributed as tdist


def main():
    rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", "0"))
    size = int(os.environ.get("OMPI_COMM_WORLD_SIZE", "1"))
    port = os.environ.get("D1_PORT", "29531")
    torch.set_num_threads(1)
    tdist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=size)
    quick = "--quick" in sys.argv
    warmup, steps = (1, 2) if quick else (5, 30)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.01)
    gen = torch.Generator().manual_seed(7 + rank)
    x = torch.rand(128, 784, generator=gen) * 2 - 1
    y = torch.randint(0, 10, (128,), generator=gen)
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    loss = None
    for s in range(warmup + steps):
        t = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(ddp(x), y)
        loss.backward()
        opt.step()
        if s >= warmup:
            times.append((time.perf_counter() - t) * 1e3)
    if rank == 0:
        print(f"ranks={size} step_ms={statistics.median(times):.3f} loss={loss.item():.6f}")
    tdist.destroy_process_group()


if __name__ == "__main__":
    main()
