#!/usr/bin/python3
"""Side-by-side benchmark: shoal against PyTorch on the same data, model, batch, optimiser and machine.

usage: bench/compare.py [--build DIR] [--models mlp,lenet5[,resnet]] [--batches 32,128,512] [--epochs 1]
                        [--repeats 3] [--precisions fp32,bf16] [--no-python-column] [--out FILE]

For each model and batch size it runs build/bench_train, bench/python_train.py (the same protocol
through shoal's Python package: the "shoal (Python)" column) and bench/pytorch_train.py (PyTorch with
its default settings and with its best thread setting), one after the other, --repeats rounds of the
four in turn, and prints a Markdown table of the medians over the rounds: training and inference
samples/s, the ratio shoal / PyTorch's best (the median of the ratios of each round, so both sides of
a ratio ran within a minute of each other), achieved GFLOP/s against oneDNN's sgemm (the median of
one measurement per round), test accuracy and peak resident memory. Threads: the cores this process
may use (run it under `taskset -c 0,1` for two), for shoal and PyTorch alike. SHOAL_TORCH_PYTHON names
the Python with torch (default /usr/bin/python3, Debian's python3-torch). The table is saved to
bench/results/<UTC time>.md (or --out) so that later runs can be compared.

With --precisions fp32,bf16 (the default where shoal has bf16 on the processor, that is AVX-512 and
up; fp32 alone leaves them out) each round also runs shoal in bf16 (--precision bf16) and PyTorch's best
setting under torch.autocast("cpu", dtype=torch.bfloat16), and a second table sets them side by side
with shoal's fp32 figures of the same rounds: bf16 / fp32 speed-ups and shoal bf16 / PyTorch autocast.
"""
import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys

from processor import bf16_support, openblas_coretype

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Debian's python3-torch lives there; SHOAL_TORCH_PYTHON names another interpreter that has torch
TORCH_PYTHON = os.environ.get("SHOAL_TORCH_PYTHON", "/usr/bin/python3")


def usable_cores():
    """The cores this process may run on (taskset or a cgroup's cpuset narrow them), as OpenMP counts."""
    return len(os.sched_getaffinity(0))

# FLOPs per sample. Training: forward, weight gradients, and input gradients of every layer but
# the first (whose input needs none): what shoal and PyTorch both compute.
# A convolution: 2 * outC * OH * OW * inC * k * k; batch normalisation, ReLU, pooling and the residual
# additions are left out, as they are for the other models.
LINEAR = {"mlp": [(784, 1000), (1000, 10)], "lenet5": [(400, 120), (120, 84), (84, 10)],
          "resnet": [(64, 10)]}
CONV = {"mlp": [], "lenet5": [2 * 6 * 28 * 28 * 1 * 25, 2 * 16 * 10 * 10 * 6 * 25],
        "resnet": [2 * 16 * 28 * 28 * 1 * 9,  # stem
                   2 * 16 * 28 * 28 * 16 * 9, 2 * 16 * 28 * 28 * 16 * 9,  # block 1, 28x28
                   2 * 32 * 14 * 14 * 16 * 9, 2 * 32 * 14 * 14 * 32 * 9,  # block 2, 14x14
                   2 * 32 * 14 * 14 * 16,  # block 2's 1x1 projection
                   2 * 64 * 7 * 7 * 32 * 9, 2 * 64 * 7 * 7 * 64 * 9,  # block 3, 7x7
                   2 * 64 * 7 * 7 * 32]}  # block 3's 1x1 projection

# Models too slow for whole timed epochs here: timed training stops after ceil(samples / batch) steps
# (or at the end of --epochs, if that comes first). Both bench_train and pytorch_train.py get the same
# step count as their fifth argument, so both sides time the same work; test accuracy then reflects
# that short training. resnet costs about 25x lenet5 per sample: 12,800 samples keep a run to seconds.
TIMED_SAMPLES = {"resnet": 12800}
WARMUP_STEPS = "20"  # bench_train's and pytorch_train.py's default, given when a step limit follows


def flops(model):
    layers = CONV[model] + [2 * i * o for i, o in LINEAR[model]]  # in network order
    forward = sum(layers)
    return {"train": 2 * forward + sum(layers[1:]), "infer": forward}


def bench_args(model, batch, epochs, precision="fp32"):
    """The arguments after the program for bench_train and pytorch_train.py: the same for both."""
    args = [model, batch, epochs]
    if model in TIMED_SAMPLES or precision != "fp32":
        steps = -(-TIMED_SAMPLES[model] // int(batch)) if model in TIMED_SAMPLES else 0
        args += [WARMUP_STEPS, str(steps)]
    if precision != "fp32":
        args.append(precision)
    return args


def torch_settings(model):
    """(label, environment) pairs: PyTorch out of the box, and its best thread setting here."""
    cores = str(usable_cores())
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("OPENBLAS_", "OMP_", "MKL_", "SHOAL_TORCH"))}
    best = dict(clean, **openblas_coretype())
    if model == "mlp":  # one big GEMM per layer: OpenBLAS's threads do better than torch's
        best.update(OPENBLAS_NUM_THREADS=cores, SHOAL_TORCH_THREADS="1")
    else:  # lenet5, resnet: many small kernels: torch's own threads over single-threaded OpenBLAS
        best.update(OPENBLAS_NUM_THREADS="1", SHOAL_TORCH_THREADS=cores)
    return [("default", clean), ("best", best)]


def result(cmd, env=None):
    """Runs a benchmark command and returns the key=value pairs of its RESULT line."""
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    sys.stderr.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"compare: {' '.join(cmd)} failed with exit code {proc.returncode}")
    line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")][-1]
    return dict(kv.split("=", 1) for kv in line.split()[1:])


def cpu_model():
    """The processor's name as /proc/cpuinfo gives it."""
    with open("/proc/cpuinfo") as f:
        names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    return names[0] if names else "unknown processor"


def torch_version():
    """The version of the torch that TORCH_PYTHON imports."""
    return subprocess.run([TORCH_PYTHON, "-c", "import torch; print(torch.__version__)"],
                          capture_output=True, text=True, check=True).stdout.strip()


def medians(results):
    """The median of every numeric field that varies over several RESULT dicts; other fields as
    they are in the first."""
    out = dict(results[0])
    for key in out:
        if all(r[key] == out[key] for r in results):
            continue
        try:
            out[key] = str(statistics.median(float(r[key]) for r in results))
        except ValueError:
            pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("SHOAL_BUILD_DIR", "build"))
    ap.add_argument("--models", default="mlp,lenet5")
    ap.add_argument("--batches", default="32,128,512")
    ap.add_argument("--epochs", default="1")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--precisions", default=None,
                    help="fp32, or fp32,bf16 for the bf16 rows and the PyTorch autocast column (the "
                         "default where shoal has bf16 on this processor, fp32 elsewhere)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-python-column", action="store_true",
                    help="leave out the shoal (Python) column (where shoal's Python package is not built "
                         "for the Python that has torch)")
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build)

    if args.repeats < 1:
        raise SystemExit("compare: --repeats must be at least 1")
    bf16 = bf16_support(build)
    if args.precisions is None:
        args.precisions = "fp32" if bf16.startswith("none") else "fp32,bf16"
        if bf16.startswith("none"):
            print(f"compare: fp32 only: shoal has no bf16 on this processor (bf16: {bf16})", file=sys.stderr)
    precisions = args.precisions.split(",")
    if precisions not in (["fp32"], ["fp32", "bf16"]):
        raise SystemExit(f"compare: --precisions takes fp32 or fp32,bf16, got {args.precisions}")
    if "bf16" in precisions and bf16.startswith("none"):
        raise SystemExit(f"compare: --precisions {args.precisions}: shoal has no bf16 on this processor "
                         f"(bf16: {bf16}); use --precisions fp32")
    with_bf16 = "bf16" in precisions
    bf16_rows, bf16_found = [], {}
    load_before = os.getloadavg()[0]
    sgemms, rows, found = [], [], {}
    models = args.models.split(",")
    unknown = [m for m in models if m not in CONV]
    if unknown:
        raise SystemExit(f"compare: unknown model(s) {', '.join(unknown)} (known: {', '.join(CONV)})")
    for model in models:
        for batch in args.batches.split(","):
            rounds, same = [], bench_args(model, batch, args.epochs)
            for _ in range(args.repeats):
                sgemms.append(float(result([os.path.join(build, "bench_sgemm")])["sgemm_gflops"]))
                shoal = result([os.path.join(build, "bench_train")] + same)
                python = {} if args.no_python_column else result(
                    [TORCH_PYTHON, "bench/python_train.py"] + same,
                    dict(os.environ, PYTHONPATH=os.path.join(build, "python")))
                torch = {label: result([TORCH_PYTHON, "bench/pytorch_train.py"] + same, env)
                         for label, env in torch_settings(model)}
                if with_bf16:
                    low = bench_args(model, batch, args.epochs, "bf16")
                    shoal["bf16"] = result([os.path.join(build, "bench_train")] + low)
                    torch["autocast"] = result([TORCH_PYTHON, "bench/pytorch_train.py"] + low,
                                               torch_settings(model)[1][1])
                rounds.append((shoal, torch, python))
            if with_bf16:
                bf16_rows += bf16_table_rows(model, batch, rounds, bf16_found)
                rounds = [({k: v for k, v in sh.items() if k != "bf16"},
                           {k: v for k, v in th.items() if k != "autocast"}, py) for sh, th, py in rounds]
            shoal = medians([r[0] for r in rounds])
            python = {} if args.no_python_column else medians([r[2] for r in rounds])
            torch = {label: medians([r[1][label] for r in rounds]) for label in rounds[0][1]}
            ratios = {f"{mode}_sps": statistics.median(
                float(sh[f"{mode}_sps"]) / max(float(t[f"{mode}_sps"]) for t in th.values())
                for sh, th, _ in rounds) for mode in ("train", "infer")}
            found[(model, int(batch))] = (shoal, torch, ratios)
            for mode in ("train", "infer"):
                key = f"{mode}_sps"
                s = float(shoal[key])
                d, b = float(torch["default"][key]), float(torch["best"][key])
                gflops = s * flops(model)[mode] / 1e9
                rows.append([model, batch, "training" if mode == "train" else "inference",
                             f"{s:,.0f}", "not run" if args.no_python_column else f"{float(python[key]):,.0f}", f"{d:,.0f}", f"{b:,.0f}", f"{ratios[key]:.2f}x",
                             gflops,
                             f"{float(shoal['test_accuracy']):.4f} / {float(torch['best']['test_accuracy']):.4f}",
                             f"{float(shoal['peak_rss_mb']):.0f} / {float(torch['best']['peak_rss_mb']):.0f}"])
    sgemm = statistics.median(sgemms)
    for row in rows:  # GFLOP/s against the sgemm median, known once every round ran
        row[8] = f"{row[8]:.0f} ({100 * row[8] / sgemm:.0f}%)"

    header = ["model", "batch", "pass", "shoal samples/s", "shoal (Python)", "PyTorch default", "PyTorch best setting",
              "shoal / best PyTorch", "shoal GFLOP/s (% of sgemm)", "test accuracy shoal / PyTorch",
              "peak RSS MB shoal / PyTorch"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    stamp = datetime.datetime.now(datetime.timezone.utc)
    load_after = os.getloadavg()[0]
    limits = "".join(f" ({m}: timed training cut to the steps of {TIMED_SAMPLES[m]:,} samples, "
                     f"test accuracy after that much training)" for m in models if m in TIMED_SAMPLES)
    intro = [f"# shoal vs PyTorch, {stamp:%Y-%m-%d %H:%M} UTC", "",
             f"Machine: {platform.machine()} ({cpu_model()}), {usable_cores()} of {os.cpu_count()} cores, "
             f"shoal threads {shoal['threads']} ({shoal['isa']}); oneDNN sgemm {sgemm:.0f} GFLOP/s "
             f"(128x1000x784, median of {len(sgemms)} measurements in this run). Fashion-MNIST, SGD lr "
             f"0.01 momentum 0.9, {args.epochs} timed epoch(s) after {WARMUP_STEPS} untimed steps{limits}; "
             f"inference: the 10,000 test images, fastest of three passes. PyTorch {torch_version()}, best setting: "
             f"{''.join(f'{k}={v}; ' for k, v in openblas_coretype().items())}mlp OPENBLAS_NUM_THREADS={usable_cores()} with torch threads 1, "
             f"lenet5 and resnet OPENBLAS_NUM_THREADS=1 with torch threads {usable_cores()}. Medians of "
             f"{args.repeats} rounds (shoal, shoal from Python, PyTorch default, PyTorch best, in turn); a ratio is the median of "
             f"each round's shoal / faster PyTorch setting. "
             f"Load average (1 min) {load_before:.1f} before the run, {load_after:.1f} after: "
             f"other processes on the machine slow both frameworks, shoal's OpenMP threads more.", ""]
    checks = targets(found)
    text = "\n".join(intro + lines + [""] + checks) + "\n"
    if with_bf16:
        text += "\n" + "\n".join(bf16_section(bf16_rows, bf16_found)) + "\n"
    print(text)
    out = args.out or os.path.join(ROOT, "bench", "results", f"{stamp:%Y%m%d-%H%M%S}.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print(f"saved to {os.path.relpath(out, ROOT)}")


def bf16_table_rows(model, batch, rounds, found):
    """Rows of the bf16 table for one model and batch: medians over the rounds of shoal fp32, shoal
    bf16 and PyTorch autocast (best setting), and the medians of each round's ratios."""
    rows = []
    fp32 = medians([{k: v for k, v in sh.items() if k != "bf16"} for sh, _, _ in rounds])
    bf16 = medians([sh["bf16"] for sh, _, _ in rounds])
    auto = medians([th["autocast"] for _, th, _ in rounds])
    ratios = {}
    for mode in ("train", "infer"):
        key = f"{mode}_sps"
        ratios[key] = (statistics.median(float(sh["bf16"][key]) / float(sh[key]) for sh, _, _ in rounds),
                       statistics.median(float(sh["bf16"][key]) / float(th["autocast"][key])
                                         for sh, th, _ in rounds))
        rows.append([model, batch, "training" if mode == "train" else "inference",
                     f"{float(fp32[key]):,.0f}", f"{float(bf16[key]):,.0f}", f"{ratios[key][0]:.2f}x",
                     f"{float(auto[key]):,.0f}", f"{ratios[key][1]:.2f}x",
                     f"{float(fp32['test_accuracy']):.4f} / {float(bf16['test_accuracy']):.4f} / "
                     f"{float(auto['test_accuracy']):.4f}"])
    found[(model, int(batch))] = ratios
    return rows


def bf16_section(rows, found):
    """The bf16 table and issue 19's targets, each with the figure measured in this run."""
    header = ["model", "batch", "pass", "shoal fp32", "shoal bf16", "bf16 / fp32",
              "PyTorch autocast bf16 (best setting)", "shoal bf16 / PyTorch autocast",
              "test accuracy shoal fp32 / shoal bf16 / PyTorch autocast"]
    lines = ["## bf16 (samples/s; ratios are medians of each round's ratio)", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    lines += ["", "bf16 targets:"]

    def check(what, value, goal):
        lines.append(f"- {what}: {value:.2f}x (target {goal}x): {'met' if value >= goal else 'MISSED'}")

    if ("mlp", 128) in found:
        check("mlp batch 128 training, shoal bf16 / shoal fp32", found[("mlp", 128)]["train_sps"][0], 2.0)
        check("mlp batch 128 training, shoal bf16 / PyTorch autocast", found[("mlp", 128)]["train_sps"][1], 2.5)
    if ("mlp", 512) in found:
        check("mlp batch 512 inference, shoal bf16 / shoal fp32", found[("mlp", 512)]["infer_sps"][0], 2.5)
    if ("lenet5", 128) in found:
        check("lenet5 batch 128 training, shoal bf16 / shoal fp32", found[("lenet5", 128)]["train_sps"][0], 1.0)
    if ("resnet", 128) in found:
        check("resnet batch 128 training, shoal bf16 / shoal fp32", found[("resnet", 128)]["train_sps"][0], 1.5)
    return lines


def targets(found):
    """Issue 7's targets, each with the figure measured in this run."""
    lines = ["Targets:"]

    def check(what, value, goal, unit=""):
        mark = "met" if value >= goal else "MISSED"
        shown = f"{value:.2f}" if unit == "x" else f"{value:,.0f}"  # a ratio, or samples/s
        lines.append(f"- {what}: {shown}{unit} (target {goal:,}{unit}): {mark}")

    if ("mlp", 128) in found:
        s = float(found[("mlp", 128)][0]["train_sps"])
        check("mlp batch 128 training samples/s", s, 60000)
        check("mlp batch 128 training vs PyTorch best", found[("mlp", 128)][2]["train_sps"], 1.7, "x")
        rss = float(found[("mlp", 128)][0]["peak_rss_mb"])
        mark = "met" if rss <= 150 else "MISSED"
        lines.append(f"- mlp peak RSS while training: {rss:.0f} MB (target at most 150 MB): {mark}")
    if ("lenet5", 128) in found:
        s = float(found[("lenet5", 128)][0]["train_sps"])
        check("lenet5 batch 128 training samples/s", s, 40000)
        check("lenet5 batch 128 training vs PyTorch best", found[("lenet5", 128)][2]["train_sps"], 2.0, "x")
    if ("mlp", 512) in found:
        check("mlp batch 512 inference samples/s", float(found[("mlp", 512)][0]["infer_sps"]), 150000)
    return lines


if __name__ == "__main__":
    main()
