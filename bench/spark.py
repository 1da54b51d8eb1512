"""shoal's Spark estimator against the CLI with 2 Gloo ranks on the same data (./run bench-spark).

2 workers x 1 core each (Spark's local-cluster[2,1,1024]: two executor JVMs; the CLI: two processes
with --threads 1), MLP and LeNet-5 at batch 128 per worker, Fashion-MNIST's first N training images
cut into two contiguous halves (the DataFrame's two partitions = the CLI's contiguous shards),
validated on the test set. Reported per run: steady-state samples/s (the engine's record of the
last epoch), the hand-over (a task's rows from Arrow into the engine's buffer, JVM included, per
worker), the whole fit (or CLI process) time, and test accuracy. Runs alternate estimator, CLI,
estimator, CLI. Writes bench/results/<date>-spark.md.

usage: bench/spark.py [--rows N] [--epochs E] [--rounds R]   (run by ./run bench-spark)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa

BUILD = os.environ.get("SHOAL_BUILD_DIR", "build")
CLI = os.path.join(BUILD, "shoal")
MODELS = {"mlp": [], "lenet5": [1, 28, 28]}


def epoch_records(path):
    return [r for r in map(json.loads, open(path).read().splitlines()) if r["type"] == "epoch"]


def spark_session():
    from pyspark.sql import SparkSession
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("SPARK_WORKER_DIR", tempfile.mkdtemp(prefix="shoal-bench-spark-"))
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (SparkSession.builder.master("local-cluster[2,1,1024]").appName("shoal-bench-spark")
             .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
             .config("spark.executorEnv.PYTHONPATH", os.environ.get("PYTHONPATH", ""))
             .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def frame(spark, x, y):
    """Rows of 784 float32 features and a label; Spark cuts an Arrow table into defaultParallelism
    (here 2) contiguous partitions. Cached in the executors, so the hand-over reads the JVM's rows."""
    table = pa.table({"features": pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), x.shape[1]).cast(
                          pa.list_(pa.float32())), "label": pa.array(y.astype(np.float64))})
    df = spark.createDataFrame(table).cache()
    df.count()
    return df


def run_estimator(spark, train, test, name, epochs, out):
    from shoal.spark import ShoalClassifier
    clf = ShoalClassifier(model=name, hidden=[1000], featureSize=MODELS[name], numWorkers=2, epochs=epochs,
                          batchSize=128, learningRate=0.02, momentum=0.9, seed=1, runDir=out, validationDf=test)
    started = time.perf_counter()
    model = clf.fit(train)
    fit_seconds = time.perf_counter() - started
    last = epoch_records(os.path.join(out, "metrics.jsonl"))[-1]
    handover = [w["rows"] / w["handover_seconds"] for w in model.training["workers"]]
    phases = ", ".join(f"{k} {v:.1f}" for k, v in model.training["phases"].items())
    workers = model.training["workers"]
    phases += (f"; in the tasks: hand-over {max(w['handover_seconds'] for w in workers):.2f} (receiving the "
               f"Arrow batches {max(w['receive_seconds'] for w in workers):.2f}, copying them into the engine's "
               f"buffer {max(w['copy_seconds'] for w in workers):.2f}), "
               f"join {max(w['join_seconds'] for w in workers):.1f}, train {max(w['train_seconds'] for w in workers):.1f}")
    return {"samples_per_sec": last["samples_per_sec"], "handover_rows_per_sec": min(handover),
            "seconds": fit_seconds, "accuracy": last["validation"]["Top1Accuracy"], "phases": phases}


def run_cli(name, rows, epochs, out, port):
    secret = os.path.join(out, "secret")
    os.makedirs(out, exist_ok=True)
    with open(secret, "w") as f:
        f.write(os.urandom(16).hex())
    model = ["--model", "mlp", "--hidden", "1000"] if name == "mlp" else ["--model", name]
    started = time.perf_counter()
    ranks = [subprocess.Popen([CLI, "train", *model, "--data", "fashion-mnist", "--train-limit", str(rows),
                               "--epochs", str(epochs), "--batch", "128", "--lr", "0.02", "--momentum", "0.9",
                               "--seed", "1", "--threads", "1", "--comm", "gloo", "--rendezvous",
                               f"127.0.0.1:{port}", "--world-size", "2", "--rank", str(r), "--job-secret-file",
                               secret, "--quiet", "--out", os.path.join(out, f"rank{r}")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for r in range(2)]
    for p in ranks:
        _, err = p.communicate(timeout=1800)
        if p.returncode != 0:
            raise SystemExit(f"shoal train failed: {err}")
    seconds = time.perf_counter() - started
    last = epoch_records(os.path.join(out, "rank0", "metrics.jsonl"))[-1]
    return {"samples_per_sec": last["samples_per_sec"], "handover_rows_per_sec": None, "seconds": seconds,
            "accuracy": last["validation"]["Top1Accuracy"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=20000, help="training images (split over the 2 workers)")
    p.add_argument("--epochs", type=int, default=2, help="epochs per run; the last one is the steady state")
    p.add_argument("--rounds", type=int, default=1, help="estimator/CLI pairs per model")
    args = p.parse_args()

    import shoal
    (x, y), (xt, yt) = shoal.data.fashion_mnist()
    # the engine's own scaling of uint8 images (x * float(1/255)), so both front ends read the same floats
    pixel = np.float32(shoal.data.pixel_scale()["scale"][0])
    scale = lambda a: a.reshape(len(a), -1).astype(np.float32) * pixel  # noqa: E731
    started = time.perf_counter()
    spark = spark_session()
    session_seconds = time.perf_counter() - started
    train, test = frame(spark, scale(x[:args.rows]), y[:args.rows]), frame(spark, scale(xt), yt)
    work = tempfile.mkdtemp(prefix="shoal-bench-spark-")
    rows = []
    for name in MODELS:
        for r in range(args.rounds):
            for front in ("estimator", "cli"):
                out = os.path.join(work, f"{name}-{front}-{r}")
                result = (run_estimator(spark, train, test, name, args.epochs, out) if front == "estimator"
                          else run_cli(name, args.rows, args.epochs, out, 29500 + len(rows)))
                rows.append((name, front, result))
                print(f"{name:7} {front:9} {result['samples_per_sec']:>10,.0f} samples/s  "
                      f"{result['seconds']:6.1f} s  accuracy {result['accuracy']:.4f}", flush=True)
    spark.stop()

    stamp = time.strftime("%Y%m%d-%H%M%S")
    lines = [f"# shoal.spark against the CLI with 2 Gloo ranks ({stamp})", "",
             f"`./run bench-spark --rows {args.rows} --epochs {args.epochs} --rounds {args.rounds}`: "
             f"2 workers x 1 core (Spark local-cluster[2,1,1024]; CLI: 2 processes, --threads 1, --comm gloo), "
             f"Fashion-MNIST's first {args.rows} training images in two contiguous halves, batch 128 per "
             f"worker, SGD lr 0.02 momentum 0.9, {args.epochs} epochs, validated on the 10,000 test images. "
             f"Spark session start-up (not in any figure): {session_seconds:.0f} s. "
             f"Taken on a shared, loaded 2-core machine: compare within a row pair, not across runs.", "",
             "| model | front end | samples/s (last epoch) | hand-over rows/s per worker | whole fit s | test accuracy |",
             "|---|---|---:|---:|---:|---:|"]
    for name, front, r in rows:
        handover = f"{r['handover_rows_per_sec']:,.0f}" if r["handover_rows_per_sec"] else "—"
        lines.append(f"| {name} | {'shoal.spark' if front == 'estimator' else 'CLI, 2 Gloo ranks'} | "
                     f"{r['samples_per_sec']:,.0f} | {handover} | {r['seconds']:.1f} | {r['accuracy']:.4f} |")
    lines += ["", "Where an estimator's fit time went (seconds):", ""]
    lines += [f"- {name}: {r['phases']}" for name, front, r in rows if front == "estimator"]
    for name in MODELS:
        est = [r for n, f, r in rows if n == name and f == "estimator"]
        cli = [r for n, f, r in rows if n == name and f == "cli"]
        ratio = np.mean([e["samples_per_sec"] for e in est]) / np.mean([c["samples_per_sec"] for c in cli])
        lines.append("")
        lines.append(f"{name}: estimator/CLI steady-state samples/s = {ratio:.3f}")
    os.makedirs("bench/results", exist_ok=True)
    path = f"bench/results/{stamp}-spark.md"
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
