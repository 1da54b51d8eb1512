#!/usr/bin/env python3
"""PyTorch reference for bench_train: same data, model, batch and optimiser; prints samples/s and test accuracy.

usage: bench/pytorch_train.py [mlp|lenet5] [batch] [epochs] [lr] [momentum]
Thread settings come from the environment (torch threads from SHOAL_TORCH_THREADS, default torch's own).
"""
import gzip
import os
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


def model(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 1000), nn.ReLU(), nn.Linear(1000, 10), nn.LogSoftmax(1))
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10), nn.LogSoftmax(1))


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "mlp"
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    lr = float(sys.argv[4]) if len(sys.argv) > 4 else 0.01
    momentum = float(sys.argv[5]) if len(sys.argv) > 5 else 0.9
    if "SHOAL_TORCH_THREADS" in os.environ:
        torch.set_num_threads(int(os.environ["SHOAL_TORCH_THREADS"]))
    torch.manual_seed(1)
    xtr, ytr = load("train")
    xte, yte = load("t10k")
    net = model(name)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.NLLLoss()
    best = 0.0
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(len(ytr))
        net.train()
        start = time.perf_counter()
        for i in range(0, len(ytr), batch):
            idx_ = perm[i:i + batch]
            x = xtr[idx_].float().div_(255)
            opt.zero_grad()
            loss = loss_fn(net(x), ytr[idx_])
            loss.backward()
            opt.step()
        sps = len(ytr) / (time.perf_counter() - start)
        best = max(best, sps)
        net.eval()
        with torch.no_grad():
            acc = (net(xte.float() / 255).argmax(1) == yte).float().mean().item()
        print(f"pytorch {name} batch {batch} epoch {epoch}: {sps:.0f} training samples/s, test accuracy {acc:.4f}")
    print(f"RESULT framework=pytorch model={name} batch={batch} threads={torch.get_num_threads()} "
          f"best_samples_per_sec={best:.0f} test_accuracy={acc:.4f}")


if __name__ == "__main__":
    main()
