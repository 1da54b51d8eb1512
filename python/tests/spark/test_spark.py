"""shoal.spark on a real Spark cluster (two executor JVMs): fit on Fashion-MNIST with two workers,
transform against `shoal predict`, save/load, a Pipeline, regression (loss mse), transform's threads,
equivalence with two Gloo ranks of the CLI, an executor killed mid-training, a stalled worker, early
stopping, and the refusals. One Spark session for all (conftest.py)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from conftest import frame, helpers

import shoal
from shoal.nn import load

try:
    from shoal.spark import ShoalClassifier, ShoalEstimator, ShoalModel, TrainingFailedError
    from shoal.spark.cluster import free_task_slots
except ImportError:  # no pyspark: every test is skipped, saying so
    ShoalClassifier = None

pytestmark = pytest.mark.skipif(ShoalClassifier is None,
                                reason="pyspark is not installed: ./run creates .venv-spark with it")


def epoch_records(metrics_jsonl):
    return [r for r in map(json.loads, metrics_jsonl.splitlines()) if r["type"] == "epoch"]


@pytest.fixture(scope="module")
def fitted(spark, fashion, tmp_path_factory):
    """An MLP fitted on 4,000 Fashion-MNIST images by two workers, validated on 1,000 test images."""
    x, y, xt, yt = fashion
    out = tmp_path_factory.mktemp("fit")
    clf = ShoalClassifier(model="mlp", hidden=[128], numWorkers=2, epochs=4, batchSize=64,
                          learningRate=0.05, momentum=0.9, seed=5, runDir=str(out / "run"),
                          validationDf=frame(spark, xt, yt))
    started = time.perf_counter()
    model = clf.fit(frame(spark, x, y))
    print(f"fit with 2 workers: {time.perf_counter() - started:.1f} s", flush=True)
    return model, out


def test_fit_reaches_accuracy_and_writes_the_run_directory(spark, fashion, fitted):
    model, out = fitted
    x, y, xt, yt = fashion
    predictions = model.transform(frame(spark, xt, yt)).select("prediction", "label").toPandas()
    accuracy = float((predictions.prediction == predictions.label).mean())
    assert accuracy > 0.78, accuracy
    run = out / "run"
    assert {"model.shoal", "metrics.jsonl", "train.log", "config.json", "report.html"} <= set(os.listdir(run))
    epochs = epoch_records((run / "metrics.jsonl").read_text())
    assert len(epochs) == 4 and epochs[-1]["validation"]["Top1Accuracy"] > 0.78
    workers = model.training["workers"]
    assert [w["rank"] for w in workers] == list(range(len(workers)))
    assert sum(w["rows"] for w in workers) == len(x)


def test_transform_equals_shoal_predict(spark, fashion, fitted, tmp_path):
    model, _ = fitted
    _, _, xt, yt = fashion
    xt, yt = xt[:200], yt[:200]
    model_file = model.save_model_file(str(tmp_path / "model.shoal"))
    csv = tmp_path / "test.csv"
    with open(csv, "w") as f:
        f.write("label," + ",".join(f"p{i}" for i in range(xt.shape[1])) + "\n")
        for xi, yi in zip(xt, yt):
            f.write(f"{yi}," + ",".join(repr(float(v)) for v in xi) + "\n")
    cli = helpers.run_cli("predict", "--model-file", model_file, "--data-csv", csv).stdout.splitlines()[1:]
    cli_class = np.array([int(line.split(",")[0]) for line in cli])
    cli_prob = np.array([[float(v) for v in line.split(",")[1:]] for line in cli])
    rows = model.transform(frame(spark, xt, yt)).select("prediction", "probability").collect()
    np.testing.assert_array_equal(np.array([r.prediction for r in rows]), cli_class)
    np.testing.assert_allclose(np.array([r.probability.toArray() for r in rows]), cli_prob, atol=2e-6)


def test_save_and_load_round_trip(spark, fashion, fitted, tmp_path):
    model, _ = fitted
    _, _, xt, yt = fashion
    path = str(tmp_path / "shoal-model")
    model.write().overwrite().save(path)
    again = ShoalModel.load(path)
    assert again.model_bytes == model.model_bytes
    assert again.getPredictionCol() == model.getPredictionCol() and again.getFeaturesCol() == model.getFeaturesCol()
    clf = ShoalClassifier(model="lenet5", featureSize=[1, 28, 28], numWorkers=2, learningRate=0.02, labelBase=1)
    clf.write().overwrite().save(str(tmp_path / "estimator"))
    loaded = ShoalClassifier.load(str(tmp_path / "estimator"))
    assert {p.name: loaded.getOrDefault(p) for p in loaded.params} == {p.name: clf.getOrDefault(p) for p in clf.params}
    df = frame(spark, xt[:100], yt[:100])
    a = model.transform(df).select("prediction").collect()
    b = again.transform(df).select("prediction").collect()
    assert a == b


def test_pipeline_of_assembler_scaler_and_classifier(spark, tmp_path):
    from pyspark.ml import Pipeline, PipelineModel
    from pyspark.ml.feature import StandardScaler, VectorAssembler
    rng = np.random.RandomState(0)
    x = rng.randn(600, 4) * [1.0, 10.0, 100.0, 0.1] + [0.0, 5.0, -50.0, 1.0]
    y = (x[:, 0] + x[:, 1] / 10.0 > 0.5).astype(np.float64)
    df = spark.createDataFrame([tuple(map(float, r)) + (float(l),) for r, l in zip(x, y)], ["a", "b", "c", "d", "label"])
    pipeline = Pipeline(stages=[
        VectorAssembler(inputCols=["a", "b", "c", "d"], outputCol="raw"),
        StandardScaler(inputCol="raw", outputCol="features", withMean=True, withStd=True),
        ShoalClassifier(model="mlp", hidden=[16], numWorkers=1, epochs=20, batchSize=32, learningRate=0.1,
                        momentum=0.9)])
    fitted = pipeline.fit(df)
    scored = fitted.transform(df).select("prediction", "label", "probability").toPandas()
    assert (scored.prediction == scored.label).mean() > 0.9
    assert abs(scored.probability.apply(lambda v: float(v.toArray().sum())) - 1).max() < 1e-6
    fitted.write().overwrite().save(str(tmp_path / "pipeline"))
    again = PipelineModel.load(str(tmp_path / "pipeline"))
    assert [r.prediction for r in again.transform(df).select("prediction").collect()] == list(scored.prediction)


def test_estimator_adds_the_raw_outputs(spark):
    rng = np.random.RandomState(2)
    x = rng.rand(64, 3)
    df = frame(spark, x, (x[:, 0] > 0.5).astype(int))
    model = ShoalEstimator(model="mlp", hidden=[4], epochs=2, batchSize=16).fit(df)
    rows = model.transform(df).select("features", "prediction").collect()
    outputs = np.array([r.prediction for r in rows])
    expected = model.network.predict(np.array([r.features for r in rows], np.float32))
    np.testing.assert_allclose(outputs, expected, rtol=1e-6)  # the network's log-probabilities, as they are


def test_estimator_with_mse_fits_a_regression_and_transform_equals_the_python_api(spark, tmp_path):
    rng = np.random.RandomState(4)
    x = (rng.rand(1200, 6) * 2 - 1).astype(np.float32)
    y = np.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] + 0.5 * x[:, 3] + 0.05 * rng.randn(1200)
    estimator = ShoalEstimator(model="mlp", hidden=[32], loss="mse", numWorkers=2, epochs=15, batchSize=32,
                               learningRate=0.05, momentum=0.9, seed=3, validationDf=frame(spark, x[:200], y[:200]))
    model = estimator.fit(frame(spark, x, y))
    last = epoch_records(model.training["metrics"])[-1]["validation"]
    assert set(last) == {"Loss", "MAE"}
    scored = model.transform(frame(spark, x[:300], y[:300]))
    assert scored.columns == ["features", "label", "prediction"]  # a value per row, no probabilities
    rows = scored.collect()
    predicted, label = np.array([r.prediction for r in rows]), np.array([r.label for r in rows])
    assert ((predicted - label) ** 2).mean() < 0.1 * label.var(), (((predicted - label) ** 2).mean(), label.var())
    network = load(model.save_model_file(str(tmp_path / "model.shoal")))
    expected = network.predict(np.array([r.features for r in rows], np.float32))
    np.testing.assert_allclose(predicted, expected[:, 0], rtol=1e-6)
    # BigDL's NNEstimator with MSECriterion (shoal.compat.bigdl) is this estimator: a linear target
    from shoal.compat.bigdl.nn.criterion import MSECriterion
    from shoal.compat.bigdl.nn.layer import Linear, Sequential
    from shoal.compat.bigdl.nnframes import NNEstimator
    from shoal.compat.bigdl.optim.optimizer import SGD
    shoal.manual_seed(2)
    line = x[:400, :2] @ np.array([2.0, -1.0]) + 0.5
    bigdl = NNEstimator(Sequential().add(Linear(6, 1)), MSECriterion(), [6], [1]).setMaxEpoch(30) \
        .setOptimMethod(SGD(learningrate=0.1)).setBatchSize(16).fit(frame(spark, x[:400], line))
    fitted = np.array([r.prediction for r in bigdl.transform(frame(spark, x[:400], line)).collect()])
    assert np.abs(fitted - line).max() < 0.05, np.abs(fitted - line).max()
    with pytest.raises(shoal.UsageError, match=r"loss mse trains on numeric targets: use ShoalEstimator"):
        ShoalClassifier(loss="mse").fit(frame(spark, x[:10], y[:10]))
    words = spark.createDataFrame([([1.0, 2.0], "high"), ([1.0, 3.0], "low")], ["features", "label"])
    with pytest.raises(shoal.InputError, match=r"labelCol 'label' is string: loss mse takes numeric targets"):
        ShoalEstimator(loss="mse", epochs=1).fit(words)


def test_transform_sets_the_engines_threads_from_the_tasks_cpus(spark, tmp_path):
    import pyarrow as pa
    from pyspark import TaskContext
    from pyspark.sql import functions as F
    from shoal.nn import zoo
    from shoal.spark.model import STAGED, predict_batches
    shoal.manual_seed(1)
    path = zoo.mlp(input_shape=[3], classes=2, hidden=[4]).save(str(tmp_path / "m.shoal"), classes=2)
    model_file = spark.sparkContext.broadcast(open(path, "rb").read())

    def threads_while_transforming(batches):
        import shoal
        shoal.set_num_threads(3)  # not what the task has: transform must set it
        for _ in predict_batches(model_file, "classes", [3], 16, 0, ("prediction", "probability"), batches):
            pass
        yield pa.RecordBatch.from_arrays([pa.array([shoal.get_num_threads()], pa.int32()),
                                          pa.array([TaskContext.get().cpus()], pa.int32())], names=["threads", "cpus"])

    df = frame(spark, np.random.RandomState(0).rand(8, 3), partitions=2).select(F.col("features").alias(STAGED))
    seen = df.mapInArrow(threads_while_transforming, "threads int, cpus int").collect()
    assert len(seen) == 2 and all(r.threads == r.cpus == 1 for r in seen), seen


def test_refusals(spark):
    rng = np.random.RandomState(1)
    ok = frame(spark, rng.rand(40, 3), rng.randint(0, 2, 40))
    with pytest.raises(shoal.UsageError, match=r"strategy: expected one of allreduce, average, lbfgs, got 'ring'"):
        ShoalClassifier(strategy="ring").fit(ok)
    with pytest.raises(shoal.UsageError, match=r"numWorkers=3 needs 3 free task slots but the cluster has 2"):
        ShoalClassifier(numWorkers=3, epochs=1).fit(ok)
    ragged = spark.createDataFrame([([1.0, 2.0], 0.0), ([1.0], 1.0)], ["features", "label"])
    with pytest.raises(shoal.InputError, match=r"varies in length, from 1 to 2 values per row"):
        ShoalClassifier(epochs=1).fit(ragged)
    words = spark.createDataFrame([([1.0, 2.0], "cat"), ([1.0, 3.0], "dog")], ["features", "label"])
    with pytest.raises(shoal.InputError, match=r"labelCol 'label' is string: .*StringIndexer"):
        ShoalClassifier(epochs=1).fit(words)
    text = spark.createDataFrame([("1 2", 0.0)], ["features", "label"])
    with pytest.raises(shoal.InputError, match=r"featuresCol 'features' is string: expected a Vector or an array"):
        ShoalClassifier(epochs=1).fit(text)
    with pytest.raises(shoal.UsageError, match=r"earlyStopping needs validationDf"):
        ShoalClassifier(epochs=1, earlyStopping=2).fit(ok)


def test_early_stopping_keeps_the_best_epoch_of_two_workers(spark, tmp_path):
    # 160 noisy rows and a wide layer: the held-out loss turns within a few epochs.
    rng = np.random.RandomState(7)
    def rows(n):
        y = rng.randint(0, 3, n)
        return rng.randn(n, 10) + np.eye(3, 10)[y] * 1.5, y
    x, y = rows(160)
    xv, yv = rows(600)
    run = tmp_path / "run"
    clf = ShoalClassifier(model="mlp", hidden=[256], numWorkers=2, epochs=100, batchSize=16, optimMethod="adam",
                          learningRate=0.01, seed=3, runDir=str(run), validationDf=frame(spark, xv, yv),
                          earlyStopping=3, earlyStoppingMetric="loss")
    clf.fit(frame(spark, x, y))
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    epochs = [r for r in records if r["type"] == "epoch"]
    losses = [e["validation"]["Loss"] for e in epochs]
    best = losses.index(min(losses)) + 1
    assert len(epochs) == best + 3 < 100, losses
    restored = [r for r in records if r["type"] == "restore_best"]
    assert len(restored) == 1 and restored[0]["epoch"] == best


def test_progress_listener_takes_only_its_token_and_is_not_held():
    import socket
    from shoal.spark.progress import ProgressListener
    got = []
    with ProgressListener("127.0.0.1", got.append) as listener:
        host, port, token = listener.address
        silent = socket.create_connection((host, port))  # says nothing: dropped after the token timeout
        with socket.create_connection((host, port)) as wrong:
            wrong.sendall(b"not-the-token\n" + json.dumps({"epoch": 1}).encode() + b"\n")
        with socket.create_connection((host, port)) as right:
            right.sendall(f"{token}\n".encode() + json.dumps({"epoch": 2, "loss": 0.5}).encode() + b"\n")
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
        silent.close()
    assert got == [{"epoch": 2, "loss": 0.5}]


DYNAMIC_ALLOCATION = r"""
import sys
from pyspark.sql import SparkSession
import shoal
from shoal.spark import ShoalClassifier
spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
         .config("spark.dynamicAllocation.enabled", "true").getOrCreate())
df = spark.createDataFrame([([1.0, 2.0], 0.0), ([2.0, 1.0], 1.0)], ["features", "label"])
try:
    ShoalClassifier(epochs=1).fit(df)
except shoal.UsageError as e:
    print("refused:", e)
spark.stop()
"""


def test_refuses_dynamic_allocation(tmp_path):
    # A second SparkContext cannot share this process: a small local one of its own.
    script = tmp_path / "dynamic.py"
    script.write_text(DYNAMIC_ALLOCATION)
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert "refused: shoal.spark: spark.dynamicAllocation.enabled is true" in r.stdout, r.stdout + r.stderr[-2000:]


def test_two_spark_workers_equal_two_gloo_ranks_of_the_cli(spark, tmp_path):
    data = tmp_path / "train.csv"
    x, y = helpers.write_csv(data, n=160, features=6, classes=3)
    secret = tmp_path / "secret"
    secret.write_text("equivalence-test-secret\n")
    port = 29000 + os.getpid() % 2000
    ranks = [subprocess.Popen([helpers.CLI, "train", "--model", "mlp", "--hidden", "8", "--train-csv", str(data),
                               "--epochs", "2", "--batch", "8", "--lr", "0.05", "--seed", "3", "--threads", "1",
                               "--comm", "gloo", "--rendezvous", f"127.0.0.1:{port}", "--world-size", "2",
                               "--rank", str(r), "--job-secret-file", str(secret), "--quiet",
                               "--out", str(tmp_path / f"cli{r}")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for r in range(2)]
    for p in ranks:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    cli_model = load(str(tmp_path / "cli0" / "model.shoal"))
    clf = ShoalClassifier(model="mlp", hidden=[8], numWorkers=2, epochs=2, batchSize=8, learningRate=0.05, seed=3)
    model = clf.fit(frame(spark, x, y, partitions=2))  # rows 0-79 and 80-159: the CLI's contiguous shards
    np.testing.assert_array_equal(model.network.flat_parameters(), cli_model.flat_parameters())


def executor_pids(spark):
    """The process ids of this application's executor JVMs."""
    app = spark.sparkContext.applicationId
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [int(line.split(None, 1)[0]) for line in out.splitlines()
            if "CoarseGrainedExecutorBackend" in line and app in line]


def kill_an_executor_after_first_checkpoint(spark, checkpoints, killed):
    """Watches ``checkpoints`` and kills one executor JVM (SIGKILL) once a checkpoint is there."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        fits = [os.path.join(checkpoints, d) for d in os.listdir(checkpoints)] if os.path.isdir(checkpoints) else []
        if any(os.listdir(f) for f in fits if os.path.isdir(f)):
            pids = executor_pids(spark)
            if pids:
                os.kill(pids[-1], signal.SIGKILL)
                killed.append(pids[-1])
            return
        time.sleep(0.05)


def fit_with_an_executor_killed(spark, fashion, tmp_path, attempts):
    x, y, _, _ = fashion
    checkpoints = str(tmp_path / "checkpoints")
    killed: list = []
    watcher = threading.Thread(target=kill_an_executor_after_first_checkpoint, args=(spark, checkpoints, killed))
    clf = ShoalClassifier(model="mlp", hidden=[256], numWorkers=2, epochs=12, batchSize=32, learningRate=0.05,
                          checkpointDir=checkpoints, maxAttempts=attempts, commTimeout=30.0,
                          runDir=str(tmp_path / "run"))
    df = frame(spark, x, y)
    watcher.start()
    try:
        return clf.fit(df), killed
    finally:
        watcher.join()
        # the killed executor's replacement registers in the background: later tests need both slots
        deadline = time.monotonic() + 60
        while free_task_slots(spark.sparkContext) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)


def test_executor_killed_mid_training_resumes_from_the_checkpoint(spark, fashion, tmp_path):
    model, killed = fit_with_an_executor_killed(spark, fashion, tmp_path, attempts=3)
    assert killed, "no executor was killed"
    assert model.training["attempts"] == 2
    epochs = epoch_records(model.training["metrics"])
    first = epochs[0]["epoch"]
    assert first > 1 and len(epochs) == 12 - first + 1  # the retry went on from the checkpoint, not from epoch 1


def test_executor_killed_with_one_attempt_fails_clearly(spark, fashion, tmp_path):
    started = time.monotonic()
    with pytest.raises(TrainingFailedError, match=r"training failed in all 1 attempts \(maxAttempts=1\); last failure: "):
        fit_with_an_executor_killed(spark, fashion, tmp_path, attempts=1)
    assert time.monotonic() - started < 240


def python_processes_under(pid):
    """The Python processes descended from ``pid`` (an executor's pyspark daemon and its workers)."""
    table = [line.split(None, 2) for line in
             subprocess.run(["ps", "-eo", "pid=,ppid=,comm="], capture_output=True, text=True).stdout.splitlines()]
    found, frontier = [], {pid}
    while frontier:
        children = [(int(p), comm) for p, parent, comm in table if int(parent) in frontier]
        found += [p for p, comm in children if comm.startswith("python")]
        frontier = {p for p, _ in children}
    return found


def test_a_stalled_worker_ends_the_stage_within_the_communicators_timeout(spark, fashion, tmp_path):
    x, y, _, _ = fashion
    checkpoints = str(tmp_path / "checkpoints")
    stopped: list = []
    stopped_at: list = []

    def stop_one_worker_after_first_checkpoint():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            fits = [os.path.join(checkpoints, d) for d in os.listdir(checkpoints)] if os.path.isdir(checkpoints) else []
            if any(os.listdir(f) for f in fits if os.path.isdir(f)):
                for pid in python_processes_under(executor_pids(spark)[-1]):
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
                stopped_at.append(time.monotonic())
                return
            time.sleep(0.05)

    clf = ShoalClassifier(model="mlp", hidden=[64], numWorkers=2, epochs=200, batchSize=32, learningRate=0.05,
                          checkpointDir=checkpoints, maxAttempts=1, commTimeout=5.0)
    watcher = threading.Thread(target=stop_one_worker_after_first_checkpoint)
    watcher.start()
    try:
        with pytest.raises(TrainingFailedError, match=r"maxAttempts=1\); last failure: a worker's Python process exited "
                                                       r"without an exception: .*commTimeout \(5 s\) for a stalled"):
            clf.fit(frame(spark, x[:2000], y[:2000]))
        assert stopped, "no worker was stopped"
        assert time.monotonic() - stopped_at[0] < 5.0 + 25.0  # the timeout, and Spark ending the stage
    finally:
        watcher.join()
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        deadline = time.monotonic() + 60
        while free_task_slots(spark.sparkContext) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)


EXAMPLES = os.path.join(helpers.SOURCE_DIR, "examples", "spark")


def test_bigdl_nnclassifier_port_runs_and_differs_only_in_imports(spark, capsys):
    import runpy
    runpy.run_path(os.path.join(EXAMPLES, "bigdl_nnclassifier.py"), run_name="__main__")  # joins this session
    assert "accuracy: 1.0000" in capsys.readouterr().out
    code = lambda path: [l for l in open(path).read().splitlines()  # noqa: E731
                         if l.strip() and not l.startswith("#") and not l.startswith(("from ", "import "))]
    assert code(os.path.join(EXAMPLES, "bigdl_nnclassifier.bigdl.py")) == code(os.path.join(EXAMPLES, "bigdl_nnclassifier.py"))
