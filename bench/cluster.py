#!/usr/bin/python3
"""./run bench-cluster: shoal across simulated hosts (tools/cluster/hosts) with shaped links, against
PyTorch DistributedDataParallel (gloo) on the same hosts and links.

usage: bench/cluster.py [--build DIR] [--quick] [--comm mpi|gloo] [--rates 10gbit,1gbit] [--mtu BYTES]
                        [--repeats N] [--out FILE]

1. The bare all-reduce of the MLP's gradient (795,010 floats) on 2 hosts x 1 rank at each rate and on
   4 hosts at the first: bus bandwidth (2 (p-1)/p bytes per link) as a share of the link rate.
2. MLP, LeNet-5 and the resnet at batch 128 per rank on 2 hosts x 1 rank (1 thread each) at each rate,
   for --dist allreduce uncompressed ("none"), with --compress bf16 (and --overlap on) and
   --compress threshold when this build's shoal offers them, and --dist average: samples/s (from the
   second epoch on), communication share, hidden share (when shoal reports it), bytes per step and
   test accuracy after a fixed number of epochs of a fixed slice of Fashion-MNIST; then PyTorch DDP
   (bench/cluster_ddp.py) with the same data, batch, optimiser and epochs.
3. The MLP on 2 ranks of one host (shared memory), the yardstick of the issue's MLP targets.
oneDNN's sgemm at the MLP's shapes (bench_sgemm, 2 threads) is measured at the start and before each
round: the machine's compute speed in this run, which moves from day to day on a shared host and
moves the ratios with it (docs/cluster-bed.md, "A slower machine, the opposite verdicts").
Links carry --mtu byte frames (default 1500, Ethernet's standard; 9000 for jumbo frames).
Every run is repeated --repeats times (default 3) in rounds, each round the MLP's one-host run, then
every model's variants on the hosts and PyTorch DDP's run, and the table gives the median samples/s
(with the range): single runs moved by 10-15% from one to the next, enough to flip a verdict.
Results go to bench/results/<date>-cluster.md (with --quick: printed only, one rate, fewer steps)
with the issue's targets marked met / not met. Needs root (network namespaces).
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

from processor import openblas_coretype

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTS = os.path.join(ROOT, "tools", "cluster", "hosts")
BED = "bench"
GRADIENT_FLOATS = 795010  # the MLP 784-1000-10

# Per model: training samples (a multiple of 2 ranks x 128) and epochs over them. The timed epochs
# (all but the first) add up to at least 40 steps per rank: a timed second of 10 steps let one slow
# stretch of this shared machine decide a verdict.
FULL = {"mlp": (25600, 4), "lenet5": (12800, 2), "resnet": (5120, 3)}
QUICK = {"mlp": (5120, 2), "lenet5": (2560, 2), "resnet": (512, 2)}
TEST_LIMIT = 2000


def run(cmd, timeout=600, env=None):
    result = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True,
                            timeout=timeout, env=env)
    return result


def hosts(*args):
    return [HOSTS, "--bed", BED, *args]


def check(result, what):
    if result.returncode != 0:
        sys.exit(f"bench-cluster: {what} failed (exit {result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result


def up(count, rate, mtu):
    check(run(hosts("up", str(count), "--rate", rate, "--mtu", str(mtu))), f"hosts up {count} --rate {rate} --mtu {mtu}")


def rate_gbits(rate):
    value = int(re.match(r"\d+", rate).group())
    return value * {"gbit": 1, "mbit": 1e-3, "kbit": 1e-6}[rate[len(str(value)):]]


def sgemm_gflops(build):
    """oneDNN's sgemm at 128x1000x784 on 2 threads (bench_sgemm): the machine's compute speed now."""
    r = check(run([os.path.join(build, "bench_sgemm")]), "bench_sgemm")
    return float(re.search(r"sgemm_gflops=(\S+)", r.stdout).group(1))


def bus_bandwidth(build, count, repeats):
    r = check(run(hosts("mpirun", os.path.join(build, "bench_busbw"), str(GRADIENT_FLOATS), str(repeats))),
              "bench_busbw")
    m = re.search(r"RESULT ranks=(\d+) bytes=\S+ median_ms=(\S+) bus_gbits=(\S+)", r.stdout)
    return float(m.group(2)), float(m.group(3))


class Shoal:
    """Launches `shoal train` on the bed's hosts (mpirun, or one process per host with a rendezvous)."""

    def __init__(self, build, comm):
        self.binary = os.path.join(build, "shoal")
        self.comm = comm
        self.help = run([self.binary, "train", "--help"]).stdout

    def offers(self, flag):
        return re.search(re.escape(flag) + r"\b", self.help) is not None

    def variants(self):
        """(name, flags or None when this build lacks them)."""
        overlap = ["--overlap", "on"] if self.offers("--overlap") else []
        compress = self.offers("--compress")
        return [("none", ["--dist", "allreduce"]),
                ("bf16", ["--dist", "allreduce", "--compress", "bf16", *overlap] if compress else None),
                ("threshold", ["--dist", "allreduce", "--compress", "threshold", *overlap] if compress else None),
                ("average", ["--dist", "average"])]

    def args(self, model, limits, flags, out):
        train_limit, epochs = limits
        return ["train", "--model", model, "--data", "fashion-mnist", "--batch", "128", "--threads", "1",
                "--train-limit", str(train_limit), "--test-limit", str(TEST_LIMIT), "--epochs", str(epochs),
                "--optim", "sgd", "--lr", "0.01", "--momentum", "0.9", "--seed", "1", "--quiet",
                "--out", out, *flags]

    def on_hosts(self, count, args):
        if self.comm == "mpi":
            return check(run(hosts("mpirun", "--hosts", str(count), self.binary, *args)), "shoal train")
        env = dict(os.environ, SHOAL_JOB_SECRET=os.environ.get("SHOAL_JOB_SECRET", "bench-cluster"))
        ranks = [subprocess.Popen(hosts("run", str(r), self.binary, *args, "--comm", self.comm,
                                        "--rendezvous", "198.18.0.1:29400", "--world-size", str(count),
                                        "--rank", str(r)),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for r in range(count)]
        outputs = [p.communicate(timeout=600) for p in ranks]
        for p, (out, err) in zip(ranks, outputs):
            if p.returncode != 0:
                sys.exit(f"bench-cluster: shoal train --comm {self.comm} failed:\n{out[-2000:]}\n{err[-3000:]}")

    def on_one_host(self, ranks, args):
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        return check(run(["mpirun", "--oversubscribe", "-np", str(ranks), self.binary, *args], env=env),
                     "shoal train on one host")


def median_figures(runs):
    """The run with the median samples/s (its other figures with it), and the samples/s range."""
    ordered = sorted(runs, key=lambda f: f["sps"])
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["range"] = (ordered[0]["sps"], ordered[-1]["sps"])
    return middle


def spread(f):
    """' (a-b over N runs)' for a repeated run, '' for a single one."""
    low, high = f.get("range", (f["sps"], f["sps"]))
    return "" if low == high else f" ({low:,.0f}-{high:,.0f})"


def figures(run_dir):
    """samples/s, comm share, hidden share (None when not reported), bytes/step, test accuracy."""
    records = [json.loads(line) for line in open(os.path.join(run_dir, "metrics.jsonl"))]
    epochs = [r for r in records if r.get("type") == "epoch"]
    timed = epochs[1:] if len(epochs) > 1 else epochs
    samples = sum(e["samples_per_sec"] for e in timed) / len(timed)
    step_seconds = sum(e["comm_sec"] / e["comm_share"] for e in timed if e.get("comm_share"))
    comm = sum(e.get("comm_sec", 0) for e in timed) / step_seconds if step_seconds else 0
    hidden_keys = [k for k in timed[-1] if "hidden" in k]
    hidden = sum(e[hidden_keys[0]] for e in timed) / len(timed) if hidden_keys else None
    tests = [r for r in records if r.get("type") == "test"]
    accuracy = tests[-1]["Top1Accuracy"] if tests else epochs[-1].get("validation", {}).get("Top1Accuracy")
    return {"sps": samples, "comm": comm, "hidden": hidden, "bytes": epochs[-1].get("bytes_per_step", 0),
            "accuracy": accuracy}


def ddp(model, limits, count):
    train_limit, epochs = limits
    script = os.path.join(ROOT, "bench", "cluster_ddp.py")
    env = dict(os.environ, GLOO_SOCKET_IFNAME="eth0", **openblas_coretype())
    ranks = [subprocess.Popen(hosts("run", str(r), "/usr/bin/python3", script, model, str(r), str(count),
                                    "198.18.0.1:29500", str(train_limit), str(epochs), "128", str(TEST_LIMIT)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for r in range(count)]
    outputs = [p.communicate(timeout=900) for p in ranks]
    for p, (out, err) in zip(ranks, outputs):
        if p.returncode != 0:
            sys.exit(f"bench-cluster: PyTorch DDP failed:\n{out[-2000:]}\n{err[-3000:]}")
    m = re.search(r"samples_per_sec=(\S+) test_accuracy=(\S+)", outputs[0][0])
    return {"sps": float(m.group(1)), "accuracy": float(m.group(2))}


def torch_installed():
    return subprocess.run(["/usr/bin/python3", "-c", "import torch"], capture_output=True).returncode == 0


def verdict(ok):
    return "met" if ok else "**not met**"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.environ.get("SHOAL_BUILD_DIR", "build"))
    parser.add_argument("--quick", action="store_true", help="smoke test: one rate, fewer steps, nothing written")
    parser.add_argument("--comm", default="mpi", choices=["mpi", "gloo"])
    parser.add_argument("--rates", default=None, help="link rates, comma-separated (default 10gbit,1gbit)")
    parser.add_argument("--mtu", type=int, default=1500,
                        help="every link's MTU in bytes (default 1500, Ethernet's standard; 9000 for jumbo frames)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="rounds of every run, medians reported (default 3; --quick: 1)")
    parser.add_argument("--out", default=None, help="the results file (default bench/results/<date>-cluster.md)")
    a = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench-cluster: needs root (simulated hosts are network namespaces)")
    build = os.path.join(ROOT, a.build) if not os.path.isabs(a.build) else a.build
    rates = (a.rates or ("10gbit" if a.quick else "10gbit,1gbit")).split(",")
    limits = QUICK if a.quick else FULL
    repeats = a.repeats or (1 if a.quick else 3)
    if repeats < 1:
        sys.exit("bench-cluster: --repeats must be at least 1")
    models = ["mlp"] if a.quick else ["mlp", "lenet5", "resnet"]
    shoal = Shoal(build, a.comm)
    with_torch = torch_installed()
    if a.comm != "mpi" and not shoal.offers("--rendezvous"):
        sys.exit(f"bench-cluster: --comm {a.comm}: not available in this build (shoal train --help has no --rendezvous)")
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)

    stamp = datetime.datetime.now(datetime.timezone.utc)
    say(f"# shoal across simulated hosts, {stamp:%Y-%m-%d %H:%M} UTC{' (quick)' if a.quick else ''}")
    say()
    say(f"{os.cpu_count()} cores shared by every host and the benchmark (a loaded machine: compare within this "
        f"run). Hosts: network namespaces on a bridge (tools/cluster/hosts), each host's outgoing link "
        f"shaped with tbf, MTU {a.mtu}; 1 rank x 1 thread per host; communicator {a.comm}. Load average at the start: "
        f"{os.getloadavg()[0]:.1f}.")
    say()
    busbw, results, reference = {}, {}, {}
    sgemms = [sgemm_gflops(build)]
    scratch = tempfile.mkdtemp(prefix="bench-cluster-")
    try:
        say("## Bare all-reduce of 795,010 floats (3.18 MB), Open MPI (bench_busbw)")
        say()
        say("| hosts | link | median ms | bus bandwidth | share of link |")
        say("|---|---|---|---|---|")
        for count, rate in [(2, r) for r in rates] + ([] if a.quick else [(4, rates[0])]):
            up(count, rate, a.mtu)
            ms, gbits = bus_bandwidth(build, count, 20 if a.quick else 50)
            busbw[(count, rate)] = gbits / rate_gbits(rate)
            say(f"| {count} | {rate} | {ms:.2f} | {gbits:.2f} Gbit/s | {100 * busbw[(count, rate)]:.0f}% |")
        say()
        say("## Training, 2 hosts x 1 rank, batch 128 per rank")
        say()
        one_host_runs = {model: [] for model in models}

        def one_host(model, tag):
            out = os.path.join(scratch, f"{model}-onehost-{tag}")
            shoal.on_one_host(2, shoal.args(model, limits[model], ["--dist", "allreduce"], out))
            one_host_runs[model].append(figures(out))

        for model in models[1:]:
            one_host(model, "0")
        for rate in rates:
            up(2, rate, a.mtu)
            # rounds: the MLP's one-host yardstick, then every model's variants on the hosts and
            # PyTorch DDP's run; the table gives each one's median
            runs = {}
            for round_ in range(repeats):
                sgemms.append(sgemm_gflops(build))
                one_host("mlp", f"{rate}-{round_}")
                for model in models:
                    for name, flags in shoal.variants():
                        if flags is None:
                            continue
                        out = os.path.join(scratch, f"{model}-{rate}-{name}-{round_}")
                        shoal.on_hosts(2, shoal.args(model, limits[model], flags, out))
                        runs.setdefault((model, name), []).append(figures(out))
                    if with_torch:
                        runs.setdefault((model, "ddp"), []).append(ddp(model, limits[model], 2))
            say(f"### links {rate}")
            say()
            say("| model | run | samples/s | comm share | hidden share | MB/step | test accuracy |")
            say("|---|---|---|---|---|---|---|")
            for model in models:
                for name, flags in shoal.variants():
                    if flags is None:
                        say(f"| {model} | shoal {name} | not available in this build | | | | |")
                        continue
                    f = results[(rate, model, name)] = median_figures(runs[(model, name)])
                    hidden = "" if f["hidden"] is None else f"{100 * f['hidden']:.0f}%"
                    say(f"| {model} | shoal {name} | {f['sps']:,.0f}{spread(f)} | {100 * f['comm']:.0f}% | {hidden} | "
                        f"{f['bytes'] / 1e6:.2f} | {f['accuracy']:.4f} |")
                if not with_torch:
                    say(f"| {model} | PyTorch DDP (gloo) | python3-torch not installed (./run bench-cluster installs it) | | | | |")
                    continue
                d = results[(rate, model, "ddp")] = median_figures(runs[(model, "ddp")])
                say(f"| {model} | PyTorch DDP (gloo) | {d['sps']:,.0f}{spread(d)} | | | | {d['accuracy']:.4f} |")
            say()
        for model in models:
            reference[model] = median_figures(one_host_runs[model])
        say("### one host, 2 ranks (shared memory), --dist allreduce")
        say()
        say("| model | samples/s | test accuracy |")
        say("|---|---|---|")
        for model in models:
            say(f"| {model} | {reference[model]['sps']:,.0f}{spread(reference[model])} | "
                f"{reference[model]['accuracy']:.4f} |")
        say()
        say("Epochs: " + ", ".join(f"{m} {limits[m][1]} x {limits[m][0]:,} samples" for m in models) +
            f"; samples/s from the second epoch on; test accuracy on the first {TEST_LIMIT} test samples." +
            (f" Every run on the hosts (shoal's and PyTorch DDP's): the median of {repeats} rounds (range "
             f"in brackets); the MLP's one-host run {repeats * len(rates)} times, once in each round at each "
             f"rate." if repeats > 1 else ""))
        say()
        say(f"Machine speed: oneDNN's sgemm (128x1000x784, 2 threads) at {statistics.median(sgemms):.0f} GFLOP/s "
            f"(median of {len(sgemms)} measurements in this run, {min(sgemms):.0f}-{max(sgemms):.0f}); the ratios "
            f"below move with it (docs/cluster-bed.md).")
        say()
        say("## Targets (issue 16)")
        say()
        for rate in ("1gbit", "10gbit"):
            if (2, rate) in busbw:
                say(f"- bare all-reduce at {rate} >= 80% of the link rate: {100 * busbw[(2, rate)]:.0f}%, "
                    f"{verdict(busbw[(2, rate)] >= 0.8)}")

        def mlp_target(rate, name, share, extra=""):
            f = results.get((rate, "mlp", name))
            if f is None:
                return say(f"- MLP at {rate}, {name} >= {100 * share:.0f}% of one host's 2 ranks: "
                           + ("not available in this build" if (rate in rates) else "rate not run"))
            ratio = f["sps"] / reference["mlp"]["sps"]
            ok = ratio >= share
            note = ""
            if extra == "accuracy":
                gap = 100 * (results[(rate, "mlp", "none")]["accuracy"] - f["accuracy"])
                ok = ok and gap <= 0.5
                note = f", accuracy {gap:+.2f} points below uncompressed (at most 0.5)"
            say(f"- MLP at {rate}, {name} >= {100 * share:.0f}% of one host's 2 ranks: {100 * ratio:.0f}%{note}, {verdict(ok)}")

        mlp_target("10gbit", "bf16", 0.75)
        mlp_target("10gbit", "threshold", 0.90, "accuracy")
        mlp_target("1gbit", "threshold", 0.75)
        for rate in rates:
            for model in models:
                if (rate, model, "ddp") not in results:
                    say(f"- {model} at {rate} >= 2x PyTorch DDP: not measured (python3-torch not installed)")
                    continue
                ratio = results[(rate, model, "none")]["sps"] / results[(rate, model, "ddp")]["sps"]
                best = max((n for n in ("none", "bf16", "threshold") if (rate, model, n) in results),
                           key=lambda n: results[(rate, model, n)]["sps"])
                best_ratio = results[(rate, model, best)]["sps"] / results[(rate, model, "ddp")]["sps"]
                say(f"- {model} at {rate} >= 2x PyTorch DDP: uncompressed {ratio:.2f}x, best ({best}) "
                    f"{best_ratio:.2f}x, {verdict(best_ratio >= 2)}")
        say()
        # the benchmark's own ranks keep about 2 threads runnable: more than that is other work
        load = os.getloadavg()[0]
        say(f"Load average at the end: {load:.1f} (the benchmark's own ranks account for about 2" +
            ("; the rest was other work competing for the cores, so the figures are noisy)." if load > 3 else ")."))
        say()
        say("Reproduce: `./run bench-cluster` (or `bench/cluster.py --build build`; `--quick` for a smoke run).")
    finally:
        run(hosts("down"))
        subprocess.run(["rm", "-rf", scratch])
    if not a.quick:
        path = a.out or os.path.join(ROOT, "bench", "results", f"{stamp:%Y%m%d-%H%M%S}-cluster.md")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        print(f"written: {path}")


if __name__ == "__main__":
    main()
