#!/usr/bin/python3
"""PyTorch side of the keras.applications bases benchmark (bench/bench_bases.c runs it).

torchvision's same architectures without their classifier, random weights, eval mode,
torch.no_grad(), NCHW input in [0, 1): vgg16.features, vgg19.features, resnet50 up to
layer4, mobilenet_v2.features, efficientnet_b0.features. torchvision has no Xception:
it is reported as missing. Run with Debian's /usr/bin/python3 (python3-torchvision).
One line per base, machine-readable:
  RESULT NAME batch=N size=S median_ms=M per_image_ms=P
"""
import argparse
import time

import torch
from torch import nn
from torchvision import models


def nets():
    r = models.resnet50(weights=None)
    return {
        "vgg16": models.vgg16(weights=None).features,
        "vgg19": models.vgg19(weights=None).features,
        "resnet50": nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool, r.layer1, r.layer2, r.layer3, r.layer4),
        "mobilenet_v2": models.mobilenet_v2(weights=None).features,
        "efficientnet_b0": models.efficientnet_b0(weights=None).features,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("bases", nargs="*")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = torch.rand(a.batch, 3, a.size, a.size)
    for name, net in nets().items():
        if a.bases and name not in a.bases:
            continue
        net = net.eval()
        times = []
        with torch.no_grad():
            for i in range(a.warmup + a.steps):
                t0 = time.perf_counter()
                net(x)
                if i >= a.warmup:
                    times.append((time.perf_counter() - t0) * 1e3)
        times.sort()
        n = len(times)
        med = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
        print("RESULT %s batch=%d size=%d median_ms=%.3f per_image_ms=%.3f" % (name, a.batch, a.size, med, med / a.batch),
              flush=True)


if __name__ == "__main__":
    main()
