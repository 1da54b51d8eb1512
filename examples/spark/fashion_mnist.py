"""Fashion-MNIST on Spark: the images as a Parquet file read into a DataFrame, LeNet-5 trained with
ShoalClassifier on the executors (numWorkers tasks exchanging gradients among themselves), then
evaluated with transform.

    python examples/spark/fashion_mnist.py                        # local[*], 2 workers
    spark-submit --master spark://HOST:7077 examples/spark/fashion_mnist.py --workers 2
"""

import argparse
import os
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

import shoal
from shoal.spark import ShoalClassifier
from shoal.spark.cluster import free_task_slots


def write_parquet(path, x, y):
    """Images as rows of 784 floats in [0, 1] (array<float>) with their label (double)."""
    flat = (x.reshape(len(x), -1) / np.float32(255)).astype(np.float32)
    table = pa.table({"features": pa.FixedSizeListArray.from_arrays(pa.array(flat.ravel()), flat.shape[1]).cast(
                          pa.list_(pa.float32())),
                      "label": pa.array(y.astype(np.float64))})
    pq.write_table(table, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--master", default=None, help="Spark master (default: spark-submit's, else local[*])")
    p.add_argument("--workers", type=int, default=2, help="numWorkers: tasks training together")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--limit", type=int, default=20000, help="training images used (of 60,000)")
    p.add_argument("--data", default="runs/spark-fashion-mnist", help="where the Parquet files go")
    p.add_argument("--model", default="lenet5", choices=["lenet5", "mlp"])
    args = p.parse_args()

    os.makedirs(args.data, exist_ok=True)
    train_path, test_path = os.path.join(args.data, "train.parquet"), os.path.join(args.data, "test.parquet")
    if not os.path.exists(train_path):
        (x, y), (xt, yt) = shoal.data.fashion_mnist()
        write_parquet(train_path, x[:args.limit], y[:args.limit])
        write_parquet(test_path, xt, yt)

    builder = SparkSession.builder.appName("shoal-fashion-mnist")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    deadline = time.monotonic() + 60  # a fresh cluster's executors register a little after the driver
    while free_task_slots(spark.sparkContext) < args.workers and time.monotonic() < deadline:
        time.sleep(1)
    train = spark.read.parquet(os.path.abspath(train_path))
    test = spark.read.parquet(os.path.abspath(test_path))

    clf = ShoalClassifier(model=args.model, featureSize=[1, 28, 28] if args.model == "lenet5" else [],
                          hidden=[1000], numWorkers=args.workers, epochs=args.epochs, batchSize=64,
                          learningRate=0.02, momentum=0.9, seed=1, runDir="runs/spark-fashion-mnist/run",
                          validationDf=test.limit(2000))
    started = time.perf_counter()
    model = clf.fit(train)
    print(f"fit: {time.perf_counter() - started:.1f} s on {args.workers} workers "
          f"(attempts: {model.training['attempts']}); run directory runs/spark-fashion-mnist/run")
    scored = model.transform(test).select("prediction", "label")
    accuracy = scored.filter("prediction = label").count() / scored.count()
    print(f"test accuracy: {accuracy:.4f}")
    spark.stop()


if __name__ == "__main__":
    main()
