#!/usr/bin/python3
"""PyTorch side of the InceptionV3 forward benchmark (bench/bench_inception.c runs it).

torchvision's inception_v3 (random weights, no aux head) cut after Mixed_6e, which is
Keras's InceptionV3 up to mixed7: Conv2d_1a_3x3 .. maxpool2 are Keras's stem (conv2d ..
max_pooling2d_1), Mixed_5b/5c/5d are mixed0-2, Mixed_6a is mixed3, Mixed_6b-6e are
mixed4-7. At 150x150 the output is (N, 768, 7, 7), as Keras's (N, 7, 7, 768).
(torchvision's BatchNorm has a scale where Keras's has scale=False, and keeps its moving
statistics as buffers, so its parameter count differs; the convolutions are the same.)
Eval mode, torch.no_grad(), inputs in [0, 1).

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision). Threads:
--threads T sets torch.set_num_threads(T); bench_inception also sets OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS. The last line is machine-readable:
  RESULT torch batch=N size=S median_ms=M per_image_ms=P min_ms=L
"""
import argparse
import time

import torch
from torch import nn
from torchvision.models import inception_v3


def base_to_mixed6e():
    net = inception_v3(weights=None, aux_logits=False, init_weights=False)
    blocks = [net.Conv2d_1a_3x3, net.Conv2d_2a_3x3, net.Conv2d_2b_3x3, net.maxpool1,
              net.Conv2d_3b_1x1, net.Conv2d_4a_3x3, net.maxpool2,
              net.Mixed_5b, net.Mixed_5c, net.Mixed_5d, net.Mixed_6a,
              net.Mixed_6b, net.Mixed_6c, net.Mixed_6d, net.Mixed_6e]
    return nn.Sequential(*blocks).eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=150)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    model = base_to_mixed6e()
    x = torch.rand(a.batch, 3, a.size, a.size)
    times = []
    with torch.no_grad():
        out = model(x)
        for i in range(a.warmup + a.steps):
            t0 = time.perf_counter()
            out = model(x)
            t1 = time.perf_counter()
            if i >= a.warmup:
                times.append((t1 - t0) * 1e3)
    times.sort()
    n = len(times)
    med = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
    params = sum(p.numel() for p in model.parameters())
    print("torch %s, %d thread(s), output %s, %d parameters" % (torch.__version__, torch.get_num_threads(),
                                                               tuple(out.shape), params))
    print("RESULT torch batch=%d size=%d median_ms=%.3f per_image_ms=%.3f min_ms=%.3f"
          % (a.batch, a.size, med, med / a.batch, times[0]))


if __name__ == "__main__":
    main()
