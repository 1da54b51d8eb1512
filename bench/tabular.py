#!/usr/bin/python3
"""./run bench-tabular: the seeds' credit-risk scenario, shoal side by side with pandas and scikit-learn.

usage: bench/tabular.py [--rows 3000000] [--test-rows ROWS/3] [--epochs 3] [--ranks 2] [--batch 512]
                        [--bench-dir bench/data] [--out FILE] [--no-mlbench]

One run, in this order (every figure from this run, on this machine):
1. The table: `shoal make-data risk --rows N --test-rows M --seed 1` (cached under --bench-dir; its
   truth.json gives the achievable test AUC, that of the true default probabilities).
2. Reading the training CSV: pandas' read_csv (rows/s, peak resident memory of its process) against
   shoal's reader with 1 and 2 ranks (build/bench_table_read: parse, infer the types, fit and agree
   the schema, encode every row; the whole command timed, mpirun included), whose peak is set
   against the encoded rows it reports; then, for reference, `shoal train --model tabular
   --iterations 1` (the reader plus the model, one step, validating the 20% it holds out and writing
   the run directory). Peak memory is GNU time's %M of the launched process (with mpirun: the
   largest of mpirun and its ranks).
3. Training `tabular` for --epochs epochs on --ranks ranks (samples/s from metrics.jsonl, test ROC
   AUC, wall time of the whole run: read + train + evaluate) against scikit-learn's
   HistGradientBoostingClassifier (native missing values; low-cardinality columns as categorical,
   region/employer/branch codes as ordinal numbers since it takes at most 255 categories) and
   LogisticRegression (median imputation with missing indicators, standardised numbers, one-hot
   categories), each timed from reading the CSVs with pandas to the test predictions.
4. The same training from shoal's memory-mapped cache (--cache) inside a memory cgroup whose limit is
   half the encoded training table plus 64 MB per rank for the process itself: cgroup v2 (memory.max) or v1 (memory.limit_in_bytes) under
   /sys/fs/cgroup, which works as root in a container where systemd-run does not (no systemd) and
   where `ulimit -v` would count the mapped file against the limit. Skipped when shoal has no --cache.
5. Real tables (tests/fixtures/tables, from r-cran-mlbench): a seeded stratified 70/30 split of each,
   shoal's `tabular` (batch 32, Adam, early stopping on the log loss of a stratified 20% of the
   training split)
   against the better of the two scikit-learn models, by test ROC AUC.
The results, with the issue's targets marked met / not met / not measured, go to
bench/results/<UTC date>-tabular.md (or --out). When the build has no `tabular` model yet, shoal's
rows say so and the comparison runs for the other side only.
"""
import argparse
import datetime
import re
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, os.environ.get("SHOAL_BUILD_DIR", "build"))
SHOAL = os.path.join(BUILD, "shoal")
READER = os.path.join(BUILD, "bench_table_read")
PYTHON = "/usr/bin/python3"
TIME = "/usr/bin/time"  # GNU time (Debian's time package)
MLBENCH = {"BreastCancer": "Class", "PimaIndiansDiabetes2": "diabetes", "HouseVotes84": "Class"}
# The small tables: at most 200 epochs, stopped 10 epochs after the best log loss on a stratified 20%
# of the training split (the test split is never looked at). Log loss rather than AUC: on ~60
# held-out rows AUC reaches 1.0 within two epochs (HouseVotes84) and stops training too soon.
EARLY_STOP = ("--validation-split", "0.2", "--stratify", "--early-stop", "10", "--early-stop-metric", "logloss")
HIGH_CARDINALITY = ["region", "employer_code", "branch_id"]
MODEL = "tabular"  # shoal's zoo model for tables


class Measured:
    """A finished child process: exit code, wall seconds, peak resident bytes, its output."""

    def __init__(self, rc, seconds, peak_bytes, out, err):
        self.rc, self.seconds, self.peak_bytes, self.out, self.err = rc, seconds, peak_bytes, out, err

    def first_error(self):
        lines = [l for l in (self.err or self.out).splitlines() if l.strip()]
        return lines[-1] if lines else f"exit code {self.rc}"


def measure(cmd, cgroup=None):
    """Runs `cmd` under GNU time, whose %M is the peak resident memory of the command and of the
    descendants it waited for (with mpirun: the largest rank). Not wait4() from here: a child
    forked from this large Python process reports this process's memory at the fork as its peak.
    With `cgroup`, the command joins that cgroup before it starts."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r") as peak:
        join = (lambda: open(cgroup, "w").write(str(os.getpid()))) if cgroup else None
        start = time.perf_counter()
        rc = subprocess.call([TIME, "-f", "%M", "-o", peak.name] + cmd, stdout=out, stderr=err, preexec_fn=join)
        seconds = time.perf_counter() - start
        lines = peak.read().split()
        out.seek(0), err.seek(0)
        return Measured(rc, seconds, int(lines[-1]) * 1024 if lines and lines[-1].isdigit() else None,
                        out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def mpirun(ranks):
    if ranks == 1:
        return []
    flags = ["--oversubscribe", "--mca", "mpi_yield_when_idle", "1"]
    return ["mpirun", "-np", str(ranks)] + (["--allow-run-as-root"] if os.getuid() == 0 else []) + flags


def shoal_read(train_csv, ranks):
    """shoal's table reader alone (bench_table_read: parse, infer the types, fit and agree the schema,
    encode the rows) on `ranks` processes: wall seconds of the whole command, the largest rank's
    peak, and the largest rank's encoded rows (MiB) as the reader reports them."""
    r = measure(mpirun(ranks) + [READER, train_csv, "default"])
    encoded = [float(v) for v in re.findall(r"encoded ([0-9.]+) MiB", r.out)]
    return {"rc": r.rc, "seconds": r.seconds, "peak": r.peak_bytes, "error": r.first_error() if r.rc else "",
            "encoded": max(encoded) * 2**20 if encoded else None}


def shoal_features():
    """What this build of shoal offers: the tabular model (trained for one epoch on a small real
    table), a --cache flag."""
    probe = tempfile.mkdtemp(prefix="shoal-probe-")
    table = os.path.join(ROOT, "tests/fixtures/tables/PimaIndiansDiabetes2.csv")
    r = measure([SHOAL, "train", "--model", MODEL, "--train-csv", table, "--label-col", "diabetes",
                 "--epochs", "1", "--quiet", "--out", os.path.join(probe, "run")])
    help_text = measure([SHOAL, "train", "--help"]).out
    shutil.rmtree(probe, ignore_errors=True)
    why = "" if r.rc == 0 else (r.first_error() if MODEL in help_text else
                                f"`shoal train --help` names no {MODEL} model; training it said: {r.first_error()}")
    return {"tabular": r.rc == 0, "why": why, "cache": "--cache" in help_text}


def ensure_table(bench_dir, rows, test_rows):
    out = os.path.join(bench_dir, f"risk-{rows}-{test_rows}-seed1")
    truth_path = os.path.join(out, "truth.json")
    if os.path.exists(truth_path):
        with open(truth_path) as f:
            truth = json.load(f)
        if truth.get("train_rows") == rows and truth.get("test_rows") == test_rows:
            return out, truth, None
    r = measure([SHOAL, "make-data", "risk", "--rows", str(rows), "--test-rows", str(test_rows), "--seed", "1",
                 "--out", out])
    if r.rc != 0:
        sys.exit(f"bench-tabular: shoal make-data failed: {r.first_error()}")
    with open(truth_path) as f:
        return out, json.load(f), r.seconds


def pandas_read(path):
    code = ("import sys, time, pandas as pd\nt = time.perf_counter()\nframe = pd.read_csv(sys.argv[1])\n"
            "print(len(frame), time.perf_counter() - t)")
    r = measure([PYTHON, "-c", code, path])
    if r.rc != 0:
        sys.exit(f"bench-tabular: pandas could not read {path}: {r.first_error()}")
    rows, seconds = r.out.split()
    return {"rows": int(rows), "seconds": float(seconds), "peak": r.peak_bytes}


def test_record(run_dir):
    record, epochs = None, []
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            j = json.loads(line)
            if j.get("type") == "test":
                record = j
            elif j.get("type") == "epoch":
                epochs.append(j)
    return record, epochs


def shoal_train(train_csv, test_csv, label, run_dir, ranks, epochs, batch, extra=(), cgroup=None):
    cmd = mpirun(ranks) + [SHOAL, "train", "--model", MODEL, "--train-csv", train_csv, "--label-col", label,
                           "--batch", str(batch), "--optim", "adam", "--lr", "0.001", "--seed", "1", "--quiet",
                           "--val-methods", "auc,pr_auc,logloss", "--out", run_dir] + list(extra)
    cmd += ["--test-csv", test_csv, "--epochs", str(epochs)] if test_csv else ["--iterations", "1"]
    r = measure(cmd, cgroup=cgroup)
    result = {"rc": r.rc, "seconds": r.seconds, "peak": r.peak_bytes, "error": r.first_error() if r.rc else ""}
    if r.rc == 0 and test_csv:
        record, epoch_records = test_record(run_dir)
        result["auc"] = record.get("AUC") if record else None
        speeds = [e["samples_per_sec"] for e in epoch_records if "samples_per_sec" in e]
        result["samples_per_sec"] = sum(speeds) / len(speeds) if speeds else None
    return result


def split_columns(frame, label):
    categorical = [c for c in frame.columns if c != label and frame[c].dtype == object]
    numeric = [c for c in frame.columns if c != label and c not in categorical]
    return numeric, categorical


def encode_booleans(frame):
    for c in frame.columns:
        if frame[c].dtype == bool:
            frame[c] = frame[c].astype(np.float64)
    return frame


def sklearn_models(train, test, label, positive):
    """HistGradientBoosting and LogisticRegression on the same split: test AUC and fit+predict seconds."""
    y_train, y_test = (train[label] == positive).to_numpy(), (test[label] == positive).to_numpy()
    x_train, x_test = encode_booleans(train.drop(columns=[label])), encode_booleans(test.drop(columns=[label]))
    numeric, categorical = split_columns(train, label)
    low = [c for c in categorical if c not in HIGH_CARDINALITY and train[c].nunique() < 250]
    high = [c for c in categorical if c not in low]
    results = {}

    start = time.perf_counter()
    ordinal = ColumnTransformer([("low", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                                        encoded_missing_value=np.nan), low),
                                 ("high", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                                         encoded_missing_value=np.nan), high),
                                 ("numeric", "passthrough", numeric)])
    mask = [True] * len(low) + [False] * (len(high) + len(numeric))
    hgb = make_pipeline(ordinal, HistGradientBoostingClassifier(categorical_features=mask, random_state=0))
    hgb.fit(x_train, y_train)
    results["HistGradientBoosting"] = {"auc": roc_auc_score(y_test, hgb.predict_proba(x_test)[:, 1]),
                                       "seconds": time.perf_counter() - start}

    start = time.perf_counter()
    onehot = ColumnTransformer([
        ("categorical", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                      OneHotEncoder(handle_unknown="ignore")), categorical),
        ("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric)])
    lr = make_pipeline(onehot, LogisticRegression(max_iter=300))
    lr.fit(x_train, y_train)
    results["LogisticRegression"] = {"auc": roc_auc_score(y_test, lr.predict_proba(x_test)[:, 1]),
                                     "seconds": time.perf_counter() - start}
    return results


# What a shoal process needs besides the table (its code, oneDNN, MPI, the model and batches): about
# under 50 MB peak resident memory reading and training a 20,000-row table here (this benchmark's
# smoke run); the cached run's limit adds this per rank.
PROCESS_BYTES = 64 * 2**20


def cache_limit(encoded_bytes, ranks):
    """The memory limit of the cached run: half the encoded table plus each rank's own needs."""
    return encoded_bytes // 2 + ranks * PROCESS_BYTES


def memory_cgroup(limit_bytes):
    """A fresh memory cgroup limited to `limit_bytes`: the path of its process list, or None."""
    name = f"shoal-bench-{os.getpid()}"
    for base, limit_file in (("/sys/fs/cgroup", "memory.max"), ("/sys/fs/cgroup/memory", "memory.limit_in_bytes")):
        if base == "/sys/fs/cgroup" and not os.path.exists(os.path.join(base, "cgroup.controllers")):
            continue
        path = os.path.join(base, name)
        try:
            os.makedirs(path, exist_ok=True)
            with open(os.path.join(path, limit_file), "w") as f:
                f.write(str(int(limit_bytes)))
            return os.path.join(path, "cgroup.procs")
        except OSError:
            continue
    return None


def mb(n):
    return f"{n / 2**20:,.0f} MB" if n is not None else "-"


def verdict(met):
    return "not measured" if met is None else ("**met**" if met else "**not met**")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--test-rows", type=int)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--bench-dir", default=os.path.join(ROOT, "bench", "data"))
    parser.add_argument("--out")
    parser.add_argument("--no-mlbench", action="store_true")
    args = parser.parse_args()
    test_rows = args.test_rows if args.test_rows is not None else max(args.rows // 3, 1)
    if not os.path.exists(SHOAL):
        sys.exit(f"bench-tabular: {SHOAL} not found (./run build first)")
    os.makedirs(args.bench_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="shoal-bench-tabular-", dir=args.bench_dir)
    lines = [f"# bench-tabular: {args.rows:,} training rows, {test_rows:,} test rows", "",
             f"{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores; "
             f"`bench/tabular.py --rows {args.rows} --test-rows {test_rows} --epochs {args.epochs} "
             f"--ranks {args.ranks} --batch {args.batch}`", ""]
    features = shoal_features()
    if not features["tabular"]:
        lines += [f"**shoal's `tabular` model is not in this build** (`shoal train --model tabular` on "
                  f"PimaIndiansDiabetes2.csv: {features['why']}); shoal's rows are empty until it is.", ""]
    print(f"shoal tabular model: {'yes' if features['tabular'] else 'no (' + features['why'] + ')'}; "
          f"--cache: {'yes' if features['cache'] else 'no'}", flush=True)

    table, truth, generated = ensure_table(args.bench_dir, args.rows, test_rows)
    train_csv, test_csv = os.path.join(table, "train.csv"), os.path.join(table, "test.csv")
    size = os.path.getsize(train_csv)
    # The encoded table: every feature and missing indicator as a 4-byte value per row.
    feature_columns = len(truth["columns"]) - 1
    indicators = sum(1 for c in truth["columns"] if c["missing_share"] > 0)
    encoded = args.rows * (feature_columns + indicators) * 4
    lines += ["## The table", "",
              f"`shoal make-data risk`: {args.rows:,} + {test_rows:,} rows, {len(truth['columns'])} columns, "
              f"train.csv {mb(size)}, {100 * truth['train_positive_share']:.2f}% bad; "
              + (f"written in {generated:.1f} s. " if generated else "(cached). ")
              + f"Achievable test AUC (true probabilities): **{truth['test_bayes_auc']:.4f}**. "
              f"Encoded size estimate ({feature_columns} features + {indicators} missing indicators x 4 bytes): "
              f"{mb(encoded)}.", ""]
    print(lines[-2], flush=True)

    # Reading.
    pandas = pandas_read(train_csv)
    pandas_rate = pandas["rows"] / pandas["seconds"]
    lines += ["## Reading the training table", "", "| reader | ranks | seconds | rows/s per process | peak memory |",
              "|---|---|---|---|---|",
              f"| pandas read_csv | 1 | {pandas['seconds']:.1f} | {pandas_rate:,.0f} | {mb(pandas['peak'])} |"]
    read = {}
    for ranks in (1, 2):  # the reader: what the targets are about
        r = shoal_read(train_csv, ranks)
        read[ranks] = r
        if r["rc"] != 0:
            lines.append(f"| shoal reader (parse, types, schema, encode) | {ranks} | failed: {r['error']} | | |")
            continue
        r["rate"] = args.rows / r["seconds"] / ranks
        shown = f"{mb(r['peak'])} ({r['peak'] / r['encoded']:.2f}x its {mb(r['encoded'])} of encoded rows)" \
            if r["encoded"] else mb(r["peak"])
        lines.append(f"| shoal reader (parse, types, schema, encode) | {ranks} | {r['seconds']:.1f} | "
                     f"{r['rate']:,.0f} | {shown} |")
    for ranks in (1, 2):  # the CLI around it: one step, the held-out 20% validated, files written
        if not features["tabular"]:
            lines.append(f"| shoal train --iterations 1 | {ranks} | - | - | - |")
            continue
        r = shoal_train(train_csv, None, "default", os.path.join(work, f"read-{ranks}"), ranks, 0, args.batch)
        if r["rc"] != 0:
            lines.append(f"| shoal train --iterations 1 | {ranks} | failed: {r['error']} | | |")
            continue
        lines.append(f"| shoal train --iterations 1 | {ranks} | {r['seconds']:.1f} | "
                     f"{args.rows / r['seconds'] / ranks:,.0f} | {mb(r['peak'])} |")
    lines += ["", "The reader rows time `bench_table_read` (the whole command, mpirun included): the CSV parsed, "
              "the types inferred, the schema fitted and agreed across ranks and every row encoded, more than "
              "pandas' read_csv does; their memory is set against the encoded rows the reader reports (one-hot "
              "columns included). `shoal train --iterations 1` adds the model, one step, validating the 20% it "
              "holds out and writing the run directory."]
    print("\n".join(lines[-6:]), flush=True)

    # Training.
    base = pd.read_csv(train_csv), pd.read_csv(test_csv)
    sk = sklearn_models(base[0], base[1], "default", "bad")
    read_seconds = pandas["seconds"] * (1 + test_rows / args.rows)  # both files, at the measured rate
    shoal_run = None
    if features["tabular"]:
        shoal_run = shoal_train(train_csv, test_csv, "default", os.path.join(work, "train"), args.ranks, args.epochs,
                                args.batch)
    lines += ["", f"## Training and testing ({args.epochs} epochs for shoal, {args.ranks} ranks)", "",
              "| model | test ROC AUC | whole run seconds (read + train + test) | samples/s |", "|---|---|---|---|"]
    if shoal_run and shoal_run["rc"] == 0:
        lines.append(f"| shoal tabular | {shoal_run['auc']:.4f} | {shoal_run['seconds']:.1f} | "
                     f"{shoal_run['samples_per_sec']:,.0f} |")
    else:
        lines.append("| shoal tabular | - | - | - |" if not shoal_run else f"| shoal tabular | failed: {shoal_run['error']} | | |")
    for name, r in sk.items():
        lines.append(f"| scikit-learn {name} | {r['auc']:.4f} | {read_seconds + r['seconds']:.1f} | - |")
    lines.append(f"| true probabilities (the best possible) | {truth['test_bayes_auc']:.4f} | | |")
    print("\n".join(lines[-6:]), flush=True)

    # The cached run under a memory limit.
    cached = None
    if shoal_run and shoal_run["rc"] == 0 and features["cache"]:
        cache_dir = os.path.join(work, "cache")
        warm = shoal_train(train_csv, test_csv, "default", os.path.join(work, "cache-fill"), args.ranks, 1, args.batch,
                           ["--cache", cache_dir])
        procs = memory_cgroup(cache_limit(encoded, args.ranks))
        if warm["rc"] == 0 and procs:
            cached = shoal_train(train_csv, test_csv, "default", os.path.join(work, "cached"), args.ranks, args.epochs,
                                 args.batch, ["--cache", cache_dir], cgroup=procs)
            os.rmdir(os.path.dirname(procs))
    lines += ["", "## From the memory-mapped cache under a memory limit", ""]
    if cached is None:
        lines.append("not measured: " + ("shoal has no `tabular` model or no `--cache` in this build"
                                         if not (features["cache"] and features["tabular"]) else
                                         "no writable memory cgroup, or the cache-filling run failed"))
    else:
        auc = f"{cached['auc']:.4f}" if cached.get("auc") is not None else "-"
        lines.append(f"limit {mb(cache_limit(encoded, args.ranks))} (half the encoded table, {mb(encoded // 2)}, plus "
                     f"{mb(PROCESS_BYTES)} per rank for the process itself): exit {cached['rc']}, "
                     f"test AUC {auc}, {cached['seconds']:.1f} s")

    # Real tables.
    mlbench_rows = []
    if not args.no_mlbench:
        for name, label in MLBENCH.items():
            frame = pd.read_csv(os.path.join(ROOT, "tests/fixtures/tables", name + ".csv"))
            train, test = train_test_split(frame, test_size=0.3, stratify=frame[label], random_state=0)
            paths = [os.path.join(work, f"{name}-{part}.csv") for part in ("train", "test")]
            train.to_csv(paths[0], index=False), test.to_csv(paths[1], index=False)
            positive = sorted(frame[label].unique())[1]
            sk_small = sklearn_models(train.copy(), test.copy(), label, positive)
            best = max(sk_small.items(), key=lambda kv: kv[1]["auc"])
            mine = None
            if features["tabular"]:
                mine = shoal_train(paths[0], paths[1], label, os.path.join(work, f"{name}-run"), 1, 200, 32,
                                   extra=EARLY_STOP)
            mlbench_rows.append((name, len(train), len(test), mine, best))
        lines += ["", "## Real tables (r-cran-mlbench), stratified 70/30 split, seed 0", "",
                  "| table | train / test rows | shoal tabular AUC | scikit-learn's best AUC (model) |",
                  "|---|---|---|---|"]
        for name, n_train, n_test, mine, (best_name, best) in mlbench_rows:
            shown = f"{mine['auc']:.4f}" if mine and mine["rc"] == 0 else ("-" if not mine else f"failed: {mine['error']}")
            lines.append(f"| {name} | {n_train} / {n_test} | {shown} | {best['auc']:.4f} ({best_name}) |")

    # Targets.
    best_sk = max(r["auc"] for r in sk.values())
    ok = shoal_run is not None and shoal_run["rc"] == 0
    per_rank_memory = [read[k]["peak"] <= 1.5 * (read[k]["encoded"] or encoded / k)
                       for k in read if read[k]["rc"] == 0 and read[k]["peak"]]
    targets = [
        ("shoal reads at least 3x pandas' rows/s per process",
         None if not read or any(r["rc"] for r in read.values()) else all(r["rate"] >= 3 * pandas_rate for r in read.values())),
        ("peak memory per rank at most 1.5x the encoded table's share (the reader's encoded rows)",
         all(per_rank_memory) if per_rank_memory else None),
        ("shoal's test AUC at least the best scikit-learn model's", (shoal_run["auc"] >= best_sk) if ok else None),
        ("shoal's whole run faster than HistGradientBoosting's",
         (shoal_run["seconds"] < read_seconds + sk["HistGradientBoosting"]["seconds"]) if ok else None),
        ("the cached run under a limit below the table's size finishes with the same AUC",
         (cached["rc"] == 0 and abs(cached["auc"] - shoal_run["auc"]) < 1e-3) if cached else None),
        ("real tables: shoal's AUC at least scikit-learn's best on each",
         all(m and m["rc"] == 0 and m["auc"] >= b[1]["auc"] for _, _, _, m, b in mlbench_rows)
         if mlbench_rows and features["tabular"] else None)]
    lines += ["", "## Targets (issue 18)", "", "| target | result |", "|---|---|"]
    lines += [f"| {what} | {verdict(met)} |" for what, met in targets]
    lines += ["", "Figures from one run on a shared machine: other jobs move absolute times; compare within the run."]

    report = "\n".join(lines) + "\n"
    out = args.out or os.path.join(ROOT, "bench", "results", f"{datetime.datetime.utcnow():%Y%m%d}-tabular.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(report)
    print(report)
    print(f"written to {out}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
