#!/usr/bin/python3
"""PyTorch side of the head benchmark (bench/bench_head.c times the same step in dropscope).

Flatten -> Linear(F, 512) + ReLU -> Linear(512, 1024) + ReLU -> Dropout(0.2) ->
Linear(1024, 1), BCEWithLogitsLoss (mean), torch.optim.RMSprop(lr=1e-4, alpha=0.9,
eps=1e-7): torch adds eps after the square root, as Keras 2 does. Batch 20, inputs
(N, 7, 7, C) in [0, 1) and 0/1 labels fixed per seed, Glorot-uniform kernels and zero
biases as Keras initialises them. Each timed step is zero_grad, forward, loss, backward,
optimizer.step; median and p90 over --steps after --warmup.

Run with Debian's /usr/bin/python3 (torch 1.13, numpy). Threads: --threads T sets
torch.set_num_threads(T); scripts/bench.sh also sets OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS for both sides. The last line is machine-readable:
  RESULT torch features=F batch=N steps=S median_ms=M p90_ms=P min_ms=L faults_per_step=K
"""
import argparse
import ctypes
import math
import resource
import time

import numpy as np
import torch
from torch import nn


def openblas_info():
    """Core type and thread count of the OpenBLAS torch's BLAS calls land in, if any."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")  # the library torch already loaded
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return "%s, %d thread(s)" % (lib.openblas_get_corename().decode(),
                                      lib.openblas_get_num_threads())
    except (OSError, AttributeError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--channels", type=int, default=768)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cpu", action="store_true",
                    help="time process CPU time (all threads) instead of wall-clock time")
    ap.add_argument("--set-to-none", action="store_true",
                    help="zero_grad(set_to_none=True) instead of torch 1.13's default (zero-fill)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rs = np.random.RandomState(a.seed)
    feats = 7 * 7 * a.channels
    x = torch.from_numpy(rs.random_sample((a.batch, 7, 7, a.channels)).astype(np.float32))
    y = torch.from_numpy(rs.randint(0, 2, size=(a.batch, 1)).astype(np.float32))

    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(feats, 512), nn.ReLU(),
        nn.Linear(512, 1024), nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(1024, 1),
    )
    for mod in model:
        if isinstance(mod, nn.Linear):
            nn.init.xavier_uniform_(mod.weight)  # Keras glorot_uniform
            nn.init.zeros_(mod.bias)
    model.train()
    loss_fn = nn.BCEWithLogitsLoss()
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-4, alpha=0.9, eps=1e-7)
    n_params = sum(p.numel() for p in model.parameters())

    print("torch %s head: Flatten(%d) -> Linear(512)+ReLU -> Linear(1024)+ReLU -> Dropout(0.2) -> Linear(1)"
          % (torch.__version__, feats))
    print("  batch %d, RMSprop(lr=1e-4, alpha=0.9, eps=1e-7), BCEWithLogitsLoss, %d params, "
          "zero_grad(set_to_none=%s)" % (a.batch, n_params, a.set_to_none))
    print("  torch threads %d, OpenBLAS core %s" % (torch.get_num_threads(), openblas_info()))

    clock = time.process_time if a.cpu else time.perf_counter
    times = []
    first_loss = last_loss = 0.0
    faults0 = 0
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0 = clock()
        opt.zero_grad(set_to_none=a.set_to_none)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        t1 = clock()
        if i == 0:
            first_loss = loss.item()
        if i >= a.warmup:
            times.append((t1 - t0) * 1e3)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0) / a.steps
    last_loss = loss.item()
    times.sort()
    med = float(np.median(times))
    p90 = times[max(0, math.ceil(0.9 * len(times)) - 1)]
    print("  %s: %d steps after %d warm-up: median %.3f ms, p90 %.3f ms, min %.3f ms (loss %.4f -> %.4f)"
          % ("CPU time" if a.cpu else "wall time", a.steps, a.warmup, med, p90, times[0], first_loss, last_loss))
    print("  %.0f minor page faults per timed step" % faults)
    print("RESULT torch features=%d batch=%d steps=%d median_ms=%.3f p90_ms=%.3f min_ms=%.3f faults_per_step=%.0f"
          % (feats, a.batch, a.steps, med, p90, times[0], faults))


if __name__ == "__main__":
    main()
