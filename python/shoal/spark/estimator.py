"""ShoalEstimator and ShoalClassifier: Spark ML estimators whose fit trains on the executors in one
barrier stage (task.py), retried from the newest checkpoint when a task or executor dies."""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from functools import partial
from typing import Any, Optional

import numpy as np
from pyspark.ml import Estimator
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame

from shoal._training import EarlyStopping
from shoal.errors import ShoalError, UsageError
from shoal.spark import cluster
from shoal.spark.arrow_data import hand_over
from shoal.spark.columns import check_data, stage_input
from shoal.spark.model import ShoalModel
from shoal.spark.params import TrainingParams, param_setters
from shoal.spark.progress import ProgressListener, epoch_line
from shoal.spark.task import OUTPUT_SCHEMA, TrainingJob, train_partition

ZOO = ("mlp", "lenet5", "resnet")
SLOT_WAIT_S = 120.0  # after a failed attempt, how long to wait for lost executors to come back
DETERMINISTIC = ("InputError", "ConfigError", "UsageError", "ShapeError", "InputFileNotFoundError")


class TrainingFailedError(ShoalError):
    """fit gave up: every one of maxAttempts training stages failed."""


def failure_reason(error: BaseException, comm_timeout: float) -> str:
    """The line that says why a stage failed: the Python exception raised in a task when there is one."""
    text = str(error)
    found = re.findall(r"^((?:[\w.]+\.)?\w*(?:Error|Exception)): (.+)$", text, flags=re.MULTILINE)
    python = [f"{kind.rsplit('.', 1)[-1]}: {msg}" for kind, msg in found
              if not kind.startswith(("org.", "java.", "py4j.", "scala."))]
    if python:
        return python[-1]
    if "Python worker exited unexpectedly" in text:
        # the engine ends a rank's process (no Python exception) when a collective waits too long
        return (f"a worker's Python process exited without an exception: a rank ends itself when a collective "
                f"waits longer than commTimeout ({comm_timeout:g} s) for a stalled or dead worker (its executor's "
                f"stderr names the collective and the missing rank), or the process crashed")
    lost = re.search(r"ExecutorLostFailure[^\n]*", text)
    if lost:
        return lost.group(0)[:500]
    reason = re.search(r"Most recent failure reason: (.+)", text) or re.search(r"Job aborted due to stage failure: (.+)", text)
    return (reason.group(1) if reason else text.strip().splitlines()[0] if text.strip() else type(error).__name__)[:500]


def has_checkpoint(directory: str) -> bool:
    """Whether the engine has written anything (a checkpoint) into ``directory``: it is this fit's own."""
    return os.path.isdir(directory) and any(os.scandir(directory))


@param_setters
class ShoalEstimator(Estimator, TrainingParams, DefaultParamsReadable, DefaultParamsWritable):
    """Trains a shoal network on a DataFrame's features and labels on ``numWorkers`` Spark tasks.

    ``model``: a zoo name ("mlp" with ``hidden``, "lenet5", "resnet"), a JSON specification (text),
    or a ``shoal.nn`` model (its current weights are the start). Features: ``featuresCol`` (a Vector
    or an array of numbers) or ``featuresCols`` (numeric columns), reshaped to ``featureSize``.
    Labels: ``labelCol``, whole numbers from 0 (index strings with StringIndexer first); with
    ``loss="mse"`` (regression) numeric targets instead: a number, a Vector or an array of numbers
    per row, the model giving one output per target value (a zoo model's final LogSoftMax is left out).
    ``validationDf`` (keyword or setValidationDf) is evaluated at every epoch's end; it is collected
    on the driver and sent to every worker, each evaluating its share. ``earlyStopping`` N (with
    ``validationDf``) ends training once ``earlyStoppingMetric`` has not improved for N epochs and
    keeps the best epoch's weights.

    The estimator's model adds the model's raw outputs as an array column ``predictionCol`` (with
    ``loss="mse"``: the predicted value, a double, or an array of them for targets of several
    values; no probability column); ShoalClassifier's adds the class and the probabilities instead.
    """

    def __init__(self, *, model: Any = "mlp", validationDf: Optional[DataFrame] = None, **params: Any) -> None:
        super().__init__()
        self._validation_df = validationDf
        self._start_model = None
        self.setModel(model)
        features = params.pop("featuresCol", None)
        if isinstance(features, (list, tuple)):
            params["featuresCols"] = list(features)
        elif features is not None:
            params["featuresCol"] = features
        self._set(**params)

    def setModel(self, value: Any) -> "ShoalEstimator":
        """A zoo name, JSON text, a dict specification or a shoal.nn model."""
        from shoal.nn import Module
        if isinstance(value, Module):
            self._start_model = value
            return self._set(model=json.dumps(value.to_spec()))
        self._start_model = None
        return self._set(model=json.dumps(value) if isinstance(value, dict) else str(value))

    def setValidationDf(self, df: Optional[DataFrame]) -> "ShoalEstimator":
        self._validation_df = df
        return self

    def getValidationDf(self) -> Optional[DataFrame]:
        return self._validation_df

    # --- the driver's part of fit
    def _regression(self) -> bool:
        return self.getLoss() == "mse"

    def _start_model_bytes(self, feature_size: list[int], classes: int) -> bytes:
        """The start model's file; ``classes``: its outputs (class count, or target values for regression)."""
        import shoal
        from shoal.nn import from_json, zoo
        shoal.manual_seed(self.getSeed())
        name = self.getModel()
        if self._regression() and name in ZOO and self._start_model is None:
            name = json.dumps(_without_final_softmax(name, feature_size, classes, self.getHidden()))
        if self._start_model is not None:
            model = self._start_model if self._start_model.built else self._start_model.build(feature_size)
        elif name == "mlp":
            model = zoo.mlp(input_shape=feature_size, classes=classes, hidden=self.getHidden())
        elif name in ZOO:
            model = getattr(zoo, name)(input_shape=feature_size, classes=classes)
        elif name.lstrip().startswith("{"):
            model = from_json(name, input_shape=feature_size)
        else:
            raise UsageError(f"model {name!r}: expected a zoo name ({', '.join(ZOO)}), a JSON specification "
                             "or a shoal.nn model")
        with tempfile.TemporaryDirectory(prefix="shoal-spark-") as d:
            path = model.save(os.path.join(d, "start.shoal"), classes=classes)
            with open(path, "rb") as f:
                return f.read()

    def _settings(self) -> dict:
        optim: dict = {"method": self.getOptimMethod(), "momentum": self.getMomentum(),
                       "weight_decay": self.getWeightDecay()}
        if self.isDefined(self.learningRate):
            optim["lr"] = self.getLearningRate()
        dist: dict = {"strategy": self.getStrategy(), "shard": "local", "comm_timeout": self.getCommTimeout()}
        if self.getAverageEvery():
            dist["average_every"] = self.getAverageEvery()
        settings = {"optim": optim, "dist": dist, "loss": self.getLoss()}
        if self.getEarlyStopping() > 0:
            stopper = EarlyStopping(self.getEarlyStopping(), self.getEarlyStoppingMetric() or None)
            settings.update(stopper.settings())
        return settings

    def _validation(self, sc: Any, width: int, feature_size: list[int]) -> Any:
        if self._validation_df is None:
            return None
        vdf = self._validation_df
        features_cols = self.getFeaturesCols()
        base = self.getLabelBase()
        regression = self._regression()
        shape = check_data(vdf, self.getFeaturesCol(), features_cols, self.getLabelCol(), "validationDf", base,
                           regression=regression)
        table = stage_input(vdf, self.getFeaturesCol(), features_cols, self.getLabelCol(), base, regression).toArrow()
        x, y = hand_over(table.to_batches(), width, with_labels=True, what="validationDf", target_width=shape.targets)
        return sc.broadcast((x.reshape(len(x), *feature_size), y))

    def _check_params(self) -> None:
        """UsageError naming the Param whose value cannot work, before anything starts."""
        choices = {"optimMethod": ("sgd", "adam", "lbfgs"), "strategy": ("allreduce", "average", "lbfgs"),
                   "loss": ("auto", "nll", "ce", "mse")}
        for name, allowed in choices.items():
            value = self.getOrDefault(name)
            if value not in allowed:
                raise UsageError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
        for name in ("numWorkers", "epochs", "batchSize", "maxAttempts"):
            if self.getOrDefault(name) < 1:
                raise UsageError(f"{name} must be at least 1, got {self.getOrDefault(name)}")
        if self.getCommTimeout() < 0:
            raise UsageError(f"commTimeout must not be negative (0: wait forever), got {self.getCommTimeout()}")
        if self.getEarlyStopping() < 0:
            raise UsageError(f"earlyStopping must not be negative, got {self.getEarlyStopping()}")
        if self.getEarlyStopping() > 0 and self._validation_df is None:
            raise UsageError("earlyStopping needs validationDf: it stops on held-out data, never on the training set")

    def _fit(self, df: DataFrame) -> ShoalModel:
        sc = df.sparkSession.sparkContext
        start = time.perf_counter()
        phases: dict[str, float] = {}  # seconds of each part of fit on the driver
        self._check_params()
        workers = self.getNumWorkers()
        cluster.refuse_dynamic_allocation(sc)
        cluster.require_task_slots(sc, workers)
        features_col, features_cols, label_col = self.getFeaturesCol(), self.getFeaturesCols(), self.getLabelCol()
        regression = self._regression()
        shape = check_data(df, features_col, features_cols, label_col, label_base=self.getLabelBase(),
                           regression=regression)
        outputs = shape.targets if regression else shape.classes
        if shape.rows < workers:
            raise UsageError(f"numWorkers={workers} but the DataFrame has {shape.rows} rows: every worker needs rows")
        feature_size = self.getFeatureSize() or [shape.width]
        if int(np.prod(feature_size)) != shape.width:
            raise UsageError(f"featureSize {feature_size} holds {int(np.prod(feature_size))} values but the rows "
                             f"have {shape.width} features")
        phases["checks"] = time.perf_counter() - start
        model_file = sc.broadcast(self._start_model_bytes(feature_size, outputs))
        phases["start_model"] = time.perf_counter() - start - sum(phases.values())
        validation = self._validation(sc, shape.width, feature_size)
        phases["validation_set"] = time.perf_counter() - start - sum(phases.values())
        staged = stage_input(df, features_col, features_cols, label_col, self.getLabelBase(), regression)
        if staged.rdd.getNumPartitions() != workers:
            staged = staged.repartition(workers)
        settings = self._settings()
        checkpoints = ""
        if self.getCheckpointDir():
            checkpoints = os.path.join(self.getCheckpointDir(), f"fit-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}")
            settings["checkpoint"] = {"dir": checkpoints, "every": "epoch", "keep": 2}
        host = sc.getConf().get("spark.driver.host", "127.0.0.1")
        rows, attempts = self._run_stage(sc, staged, workers, settings, checkpoints, host, TrainingJob(
            workers=workers, width=shape.width, feature_size=feature_size, epochs=self.getEpochs(),
            batch_size=self.getBatchSize(), seed=self.getSeed(), settings=settings, model_file=model_file,
            validation=validation, comm_timeout=self.getCommTimeout(), target_width=shape.targets))
        phases["training_stage"] = time.perf_counter() - start - sum(phases.values())
        files: dict[str, list[tuple[int, bytes]]] = {}
        figures = []
        for r in rows:
            if r["kind"] == "file":
                files.setdefault(r["name"], []).append((r["part"], bytes(r["data"])))
            else:
                figures.append(json.loads(bytes(r["data"])))
        run_files = {name: b"".join(chunk for _, chunk in sorted(parts)) for name, parts in files.items()}
        if "model.shoal" not in run_files:
            raise TrainingFailedError("the training stage ended without rank 0's model file")
        if self.getRunDir():
            os.makedirs(self.getRunDir(), exist_ok=True)
            for name, data in run_files.items():
                with open(os.path.join(self.getRunDir(), name), "wb") as f:
                    f.write(data)
        model_file.destroy()
        if validation is not None:
            validation.destroy()
        model = self._make_model(run_files["model.shoal"])
        model.training = {"attempts": attempts, "fit_seconds": time.perf_counter() - start, "phases": phases,
                          "workers": sorted(figures, key=lambda f: f["rank"]),
                          "metrics": run_files.get("metrics.jsonl", b"").decode()}
        return model

    def _run_stage(self, sc: Any, staged: DataFrame, workers: int, settings: dict, checkpoints: str,
                   host: str, job: TrainingJob) -> tuple[list, int]:
        """The barrier stage, retried up to maxAttempts times (from the newest checkpoint when there is one)."""
        reasons = []
        attempts = self.getMaxAttempts()
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                cluster.require_task_slots(sc, workers, wait_s=SLOT_WAIT_S)
            job.resume_from = checkpoints if checkpoints and has_checkpoint(checkpoints) else None
            with ProgressListener(host, on_epoch=lambda r: print(f"shoal.spark: {epoch_line(r)}", flush=True)) as progress:
                job.progress = progress.address
                try:
                    rows = staged.mapInArrow(partial(train_partition, job), OUTPUT_SCHEMA, barrier=True).collect()
                    return rows, attempt
                except Exception as e:  # Spark reports a failed stage as Py4JJavaError or PythonException
                    reason = failure_reason(e, self.getCommTimeout())
            reasons.append(reason)
            if reason.split(":", 1)[0] in DETERMINISTIC:
                raise TrainingFailedError(f"training failed: {reason}")
            if attempt < attempts:
                resume = "the newest checkpoint" if checkpoints and has_checkpoint(checkpoints) else "the start"
                print(f"shoal.spark: training attempt {attempt}/{attempts} failed ({reason}); retrying from {resume}",
                      flush=True)
        raise TrainingFailedError(f"training failed in all {attempts} attempts (maxAttempts={attempts}); "
                                  f"last failure: {reasons[-1]}")

    def _make_model(self, model_bytes: bytes) -> ShoalModel:
        model = ShoalModel(model_bytes, outputs="values" if self._regression() else "raw")
        return self._copyValues(model)


def _without_final_softmax(name: str, feature_size: list[int], outputs: int, hidden: list[int]) -> dict:
    """A zoo model's specification for regression: its layers up to the final Linear (no LogSoftMax)."""
    from shoal.nn import zoo
    built = zoo.mlp(input_shape=feature_size, classes=outputs, hidden=hidden) if name == "mlp" else \
        getattr(zoo, name)(input_shape=feature_size, classes=outputs)
    spec = built.to_spec()
    layers = spec.get("layers")
    if not layers or layers[-1].get("type") not in ("LogSoftMax", "SoftMax"):
        raise UsageError(f"model {name!r} with loss mse: give a JSON specification that ends in the outputs "
                         "(a Linear layer), as the zoo's graph models end in LogSoftMax")
    return {**spec, "layers": layers[:-1]}


class ShoalClassifier(ShoalEstimator):
    """ShoalEstimator whose model adds the class (``predictionCol``, a double) and the class
    probabilities (``probabilityCol``, a Vector), as Spark ML's classifiers do."""

    def _check_params(self) -> None:
        super()._check_params()
        if self._regression():
            raise UsageError("loss mse trains on numeric targets: use ShoalEstimator for regression; "
                             "ShoalClassifier takes class labels (loss auto, nll or ce)")

    def _make_model(self, model_bytes: bytes) -> ShoalModel:
        model = ShoalModel(model_bytes, outputs="classes")
        return self._copyValues(model)
