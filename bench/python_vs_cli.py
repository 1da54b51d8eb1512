#!/usr/bin/python3
"""Side by side: training from Python (shoal.optim.Optimizer on numpy arrays) against the CLI (shoal train),
the same run in one process each, alternately.

usage: bench/python_vs_cli.py [--build DIR] [--models mlp,lenet5] [--batch 128] [--epochs 1] [--repeats 3]
                              [--threads N]

Both train the zoo model on Fashion-MNIST (SGD lr 0.01, momentum 0.9, seed 1) with validation on
the test set every epoch; each reports the engine's training samples/s (samples over the time
inside the training steps). Rounds run CLI then Python; the ratio is the median of each round's
Python / CLI. Target (issue 15): Python within 3% of the CLI. --threads N gives both N compute
threads (0: the default, all cores); on a busy machine one thread each measures far more steadily,
because oneDNN's OpenMP threads spin at barriers while another process holds a core.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PYTHON_RUN = r"""
import sys
import shoal
from shoal.nn import zoo
from shoal.optim import SGD, MaxEpoch, Optimizer
model_name, batch, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
(x, y), (xt, yt) = shoal.data.fashion_mnist()
shoal.manual_seed(1)
model = {"mlp": zoo.mlp, "lenet5": zoo.lenet5}[model_name]()
opt = Optimizer(model, (x, y), end_trigger=MaxEpoch(epochs), optim_method=SGD(lr=0.01, momentum=0.9), batch_size=batch)
opt.set_validation(val_set=(xt, yt)).set_settings({"output": {"quiet": True}, "threads": threads})
opt.optimize()
print("samples_per_sec", opt.summary["samples_per_sec"])
"""


def cli_rate(build, model, batch, epochs, threads):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([os.path.join(build, "shoal"), "train", "--model", model, "--data", "fashion-mnist",
                        "--epochs", str(epochs), "--batch", str(batch), "--lr", "0.01", "--momentum", "0.9",
                        "--seed", "1", "--quiet", "--out", out] + (["--threads", str(threads)] if threads else []),
                       check=True, capture_output=True)
        with open(os.path.join(out, "train.log")) as f:
            return float(re.search(r"trained \d+ iterations in \d+ epochs, (\d+) samples/s", f.read()).group(1))


def python_rate(build, model, batch, epochs, threads):
    env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"))
    r = subprocess.run(["/usr/bin/python3", "-c", PYTHON_RUN, model, str(batch), str(epochs), str(threads)], env=env,
                       check=True, capture_output=True, text=True)
    return float(r.stdout.split()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("SHOAL_BUILD_DIR", "build"))
    ap.add_argument("--models", default="mlp,lenet5")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)
    print(f"threads: {args.threads or 'all cores'}; load average before: {os.getloadavg()[0]:.1f}\n")
    print(f"| model | batch | CLI samples/s | Python samples/s | Python / CLI (median of {args.repeats} rounds) |")
    print("|---|---|---|---|---|")
    missed = False
    for model in args.models.split(","):
        rounds = []
        for _ in range(args.repeats):
            c = cli_rate(build, model, args.batch, args.epochs, args.threads)
            p = python_rate(build, model, args.batch, args.epochs, args.threads)
            rounds.append((c, p))
            print(f"  {model}: CLI {c:,.0f}  Python {p:,.0f}", file=sys.stderr)
        ratio = statistics.median(p / c for c, p in rounds)
        missed |= ratio < 0.97
        print(f"| {model} | {args.batch} | {statistics.median(c for c, _ in rounds):,.0f} | "
              f"{statistics.median(p for _, p in rounds):,.0f} | {ratio:.3f} |")
    print(f"\nTarget: Python within 3% of the CLI: {'MISSED' if missed else 'met'}")


if __name__ == "__main__":
    main()
