#!/usr/bin/python3
"""Benchmark: bench_train's protocol step for step, from Python (shoal.optim.Optimizer on numpy arrays).

usage: PYTHONPATH=build/python bench/python_train.py [mlp|lenet5|resnet] [batch] [epochs] [warm-up steps] [timed steps]

`warm-up` untimed SGD steps (momentum 0.9, lr 0.01), then `epochs` timed epochs (cut short after
`timed steps` steps when given and positive), then the test set in evaluation mode at the same
batch size three times, timing the fastest pass. The training rate is the engine's own figure
(samples over time inside the training loop), as bench_train reports it. The last line is
machine-readable, with framework=shoal-python.
"""
import resource
import sys
import time

import shoal
from shoal import _core
from shoal.nn import zoo
from shoal.optim import SGD, MaxEpoch, MaxIteration, Optimizer


def main():
    model_name = sys.argv[1] if len(sys.argv) > 1 else "mlp"
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    warmup = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    timed_steps = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    (x, y), (x_test, y_test) = shoal.data.fashion_mnist()
    shoal.manual_seed(1)
    model = {"mlp": zoo.mlp, "lenet5": zoo.lenet5, "resnet": zoo.resnet}[model_name]()
    quiet = {"output": {"quiet": True}}
    sgd = SGD(lr=0.01, momentum=0.9)
    Optimizer(model, (x, y), end_trigger=MaxIteration(warmup), optim_method=sgd, batch_size=batch,
              seed=1000).set_settings(quiet).optimize()
    steps_per_epoch = -(-len(x) // batch)
    end = MaxEpoch(epochs)
    if 0 < timed_steps < epochs * steps_per_epoch:
        end = MaxIteration(timed_steps)
    opt = Optimizer(model, (x, y), end_trigger=end, optim_method=sgd, batch_size=batch, seed=1).set_settings(quiet)
    opt.optimize()
    train_rate = opt.summary["samples_per_sec"]
    print(f"{model_name} batch {batch}: {train_rate:.0f} training samples/s (Python)")

    test = shoal.data.DataSet(x_test, y_test).handle(10, model._preprocessing)
    best, accuracy = 1e30, 0.0
    for _ in range(3):
        start = time.perf_counter()
        accuracy = _core.evaluate(model._handle, test, ["Top1Accuracy"], None, batch, __import__("json").dumps(model._preprocessing))["Top1Accuracy"]
        best = min(best, time.perf_counter() - start)
    infer_rate = len(x_test) / best
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"RESULT framework=shoal-python model={model_name} batch={batch} train_sps={train_rate:.0f} "
          f"infer_sps={infer_rate:.0f} test_accuracy={accuracy:.4f} peak_rss_mb={rss:.1f}")


if __name__ == "__main__":
    main()
