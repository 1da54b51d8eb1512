"""One real Spark cluster for all shoal.spark tests: Spark's local-cluster master with two workers of
one core each, every executor its own JVM (as on a standalone cluster), on the loopback address."""

import os
import sys
import tempfile
import time

import numpy as np
import pytest


def _python_test_helpers():
    """python/tests/conftest.py (the CLI, write_csv), loaded under its own name."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("shoal_python_test_helpers",
                                                  os.path.join(os.path.dirname(__file__), "..", "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helpers = _python_test_helpers()


@pytest.fixture(scope="session")
def spark():
    """local-cluster[2,1,1024]: a master, two workers, one 1-core executor JVM each."""
    from pyspark.sql import SparkSession
    work = tempfile.mkdtemp(prefix="shoal-spark-work-")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["SPARK_WORKER_DIR"] = work  # executors' logs and files, not inside the venv
    os.environ["PYSPARK_PYTHON"] = sys.executable
    started = time.perf_counter()
    session = (SparkSession.builder.master("local-cluster[2,1,1024]").appName("shoal-spark-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.executorEnv.PYTHONPATH", os.environ.get("PYTHONPATH", ""))
               .config("spark.executorEnv.PYSPARK_PYTHON", sys.executable)
               .config("spark.sql.shuffle.partitions", "2")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    print(f"\nSpark local-cluster[2,1,1024] started in {time.perf_counter() - started:.1f} s", flush=True)
    yield session
    session.stop()


def frame(spark, x, y=None, partitions=None):
    """A DataFrame of features (array<float>) and labels (double) from numpy, rows in order; with
    ``partitions`` the rows are cut into that many contiguous blocks, one per partition."""
    import pyarrow as pa
    x = np.ascontiguousarray(x, dtype=np.float32).reshape(len(x), -1)
    columns = {"features": pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), x.shape[1])}
    if y is not None:
        columns["label"] = pa.array(np.asarray(y, np.float64))
    df = spark.createDataFrame(pa.table(columns))
    if partitions is None:
        return df
    rows = df.collect()
    return spark.createDataFrame(spark.sparkContext.parallelize(rows, partitions), df.schema)


@pytest.fixture(scope="session")
def fashion(spark):
    """A Fashion-MNIST slice scaled to [0, 1]: (train x, y, test x, y)."""
    import shoal
    if not os.path.isdir(shoal._core.fashion_mnist_dir()):
        pytest.skip("Fashion-MNIST is not installed (Debian's dataset-fashion-mnist)")
    (x, y), (xt, yt) = shoal.data.fashion_mnist()
    scale = lambda a: (a.reshape(len(a), -1) / 255.0).astype(np.float32)  # noqa: E731
    return scale(x[:4000]), y[:4000], scale(xt[:1000]), yt[:1000]
