#!/usr/bin/python3
"""One rank of PyTorch DistributedDataParallel (gloo backend): the reference side of bench/cluster.py.

usage: bench/cluster_ddp.py MODEL RANK WORLD MASTER_ADDR:PORT TRAIN_LIMIT EPOCHS [BATCH] [TEST_LIMIT]
Each rank trains on its contiguous shard of the first TRAIN_LIMIT Fashion-MNIST samples (as shoal's
--shard contiguous does), BATCH per rank (default 128), SGD lr 0.01 momentum 0.9, one thread, for
EPOCHS epochs; samples/s over all ranks is timed from the second epoch on (the whole run when
EPOCHS is 1). Rank 0 then tests the model on the first TEST_LIMIT test samples (default 2000) and
prints one RESULT line. The models and data loading are bench/pytorch_train.py's.
"""
import os
import sys
import time

import torch
import torch.distributed as tdist
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_train import load, model  # noqa: E402


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    name, rank, world, master = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    train_limit, epochs = int(sys.argv[5]), int(sys.argv[6])
    batch = int(sys.argv[7]) if len(sys.argv) > 7 else 128
    test_limit = int(sys.argv[8]) if len(sys.argv) > 8 else 2000
    torch.set_num_threads(1)
    torch.manual_seed(1)
    addr, port = master.rsplit(":", 1)
    tdist.init_process_group("gloo", init_method=f"tcp://{addr}:{port}", rank=rank, world_size=world)
    xtr, ytr = load("train")
    per_rank = train_limit // world
    xtr, ytr = xtr[rank * per_rank:(rank + 1) * per_rank], ytr[rank * per_rank:(rank + 1) * per_rank]
    net = nn.parallel.DistributedDataParallel(model(name))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.NLLLoss()
    timed_samples, start = 0, None
    for epoch in range(epochs):
        if epoch == min(1, epochs - 1):
            tdist.barrier()
            start, timed_samples = time.perf_counter(), 0
        perm = torch.randperm(len(ytr))
        net.train()
        for i in range(0, len(perm) - batch + 1, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss_fn(net(xtr[idx].float().div_(255)), ytr[idx]).backward()
            opt.step()
            timed_samples += batch * world
    tdist.barrier()
    samples_per_sec = timed_samples / (time.perf_counter() - start)
    if rank == 0:
        xte, yte = load("t10k")
        xte, yte = xte[:test_limit], yte[:test_limit]
        local = net.module  # not the DDP wrapper, whose forward is collective (buffer broadcasts)
        local.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(yte), batch):
                correct += (local(xte[i:i + batch].float().div_(255)).argmax(1) == yte[i:i + batch]).sum().item()
        print(f"RESULT framework=pytorch-ddp model={name} ranks={world} samples_per_sec={samples_per_sec:.0f} "
              f"test_accuracy={correct / len(yte):.4f}")
    tdist.destroy_process_group()


if __name__ == "__main__":
    main()
