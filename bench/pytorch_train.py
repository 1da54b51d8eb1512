#!/usr/bin/python3
"""PyTorch side of bench_train: same data, model, batch, optimiser and protocol; the same RESULT line.

usage: bench/pytorch_train.py [mlp|lenet5|resnet] [batch] [epochs] [warm-up steps] [timed steps] [fp32|bf16]
Protocol: `warm-up` SGD steps (momentum 0.9, lr 0.01) that are not timed, then `epochs` timed epochs
of shuffled batches (gathering and scaling each batch included), cut short after `timed steps` steps
when that is given and positive (bench/compare.py limits slow models such as resnet to a fraction of
an epoch), then the test set in evaluation mode at the same batch size, three times, timing the
fastest pass. bf16: forward passes and losses under torch.autocast("cpu", dtype=torch.bfloat16),
what a PyTorch user turns on for mixed precision.
Threads: torch's own default unless SHOAL_TORCH_THREADS is set (OPENBLAS_* variables reach OpenBLAS).
"""
import gzip
import os
import resource
import sys
import time

import numpy as np
import torch
from torch import nn

DATA = os.environ.get("SHOAL_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def idx(name, offset):
    with gzip.open(os.path.join(DATA, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def load(prefix):
    x = idx(f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    y = idx(f"{prefix}-labels-idx1-ubyte.gz", 8)
    return torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64))


class BasicBlock(nn.Module):
    """shoal's zoo resnet block: conv3x3(stride)-BN-ReLU-conv3x3-BN plus the shortcut (identity, or a
    1x1 convolution with the stride and BN when the shape changes), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = nn.Identity() if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


def model(name):
    if name == "resnet":  # src/nn/zoo.cpp's resnetSpec: widths 16, 32, 64, one block each
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
            BasicBlock(16, 16, 1), BasicBlock(16, 32, 2), BasicBlock(32, 64, 2),
            nn.AvgPool2d(7), nn.Flatten(), nn.Linear(64, 10), nn.LogSoftmax(1))
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 1000), nn.ReLU(), nn.Linear(1000, 10), nn.LogSoftmax(1))
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10), nn.LogSoftmax(1))


def train_steps(net, opt, loss_fn, xtr, ytr, perm, batch, steps, bf16):
    """Runs `steps` SGD steps over the batches of `perm` (all of them when steps is None); returns
    the steps taken and the samples trained on."""
    net.train()
    taken = samples = 0
    for i in range(0, len(perm), batch):
        if steps is not None and taken == steps:
            break
        idx_ = perm[i:i + batch]
        x = xtr[idx_].float().div_(255)
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(net(x), ytr[idx_])
        loss.backward()
        opt.step()
        taken, samples = taken + 1, samples + len(idx_)
    return taken, samples


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "mlp"
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    warmup = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    timed_steps = int(sys.argv[5]) if len(sys.argv) > 5 else 0  # 0: whole epochs
    bf16 = len(sys.argv) > 6 and sys.argv[6] == "bf16"
    if "SHOAL_TORCH_THREADS" in os.environ:
        torch.set_num_threads(int(os.environ["SHOAL_TORCH_THREADS"]))
    torch.manual_seed(1)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    net = model(name)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.NLLLoss()
    train_steps(net, opt, loss_fn, xtr, ytr, torch.randperm(len(ytr)), batch, warmup, bf16)
    start = time.perf_counter()
    steps = samples = 0
    for _ in range(epochs):
        left = timed_steps - steps if timed_steps > 0 else None
        if left == 0:
            break
        n, m = train_steps(net, opt, loss_fn, xtr, ytr, torch.randperm(len(ytr)), batch, left, bf16)
        steps, samples = steps + n, samples + m
    train_sps = samples / (time.perf_counter() - start)
    print(f"pytorch {name} batch {batch}: {train_sps:.0f} training samples/s")

    net.eval()
    best = float("inf")
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for _ in range(3):
            start = time.perf_counter()
            correct = 0
            for i in range(0, len(yte), batch):
                x = xte[i:i + batch].float().div_(255)
                correct += (net(x).argmax(1) == yte[i:i + batch]).sum().item()
            best = min(best, time.perf_counter() - start)
    acc = correct / len(yte)
    infer_sps = len(yte) / best
    print(f"pytorch {name} batch {batch}: {infer_sps:.0f} inference samples/s, test accuracy {acc:.4f}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RESULT framework=pytorch model={name} batch={batch} precision={'bf16' if bf16 else 'fp32'} "
          f"threads={torch.get_num_threads()} "
          f"train_sps={train_sps:.0f} infer_sps={infer_sps:.0f} test_accuracy={acc:.4f} peak_rss_mb={rss_mb:.1f}")


if __name__ == "__main__":
    main()
