"""ShoalModel: a trained shoal network as a Spark ML Model. transform runs the engine's inference on
every Arrow batch on the executors (the model file broadcast once, the engine's compute threads set
from the task's CPUs); save/load with Spark ML's writer and reader (Params as metadata, the model
file as base64 text next to them)."""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from functools import partial
from typing import Any, Iterator, Optional

import numpy as np
import pyarrow as pa
from pyspark.ml import Model
from pyspark.ml.functions import array_to_vector
from pyspark.ml.util import DefaultParamsReader, DefaultParamsWriter, MLReadable, MLReader, MLWritable, MLWriter
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shoal.spark.arrow_data import feature_values
from shoal.spark.columns import features_column
from shoal.spark.params import HasFeatures, HasOutputs, param_setters

STAGED = "__shoal_features"
LINE_BYTES = 1 << 20  # model file bytes per line of the saved text
_LOADED: dict[bytes, Any] = {}  # per Python worker: the model file's digest -> the loaded model


def _load_bytes(model_bytes: bytes) -> Any:
    from shoal.nn import load
    with tempfile.TemporaryDirectory(prefix="shoal-spark-") as d:
        path = os.path.join(d, "model.shoal")
        with open(path, "wb") as f:
            f.write(model_bytes)
        return load(path)


def _ends_in_softmax(model: Any) -> bool:
    layers = model.to_spec().get("layers") or [{}]
    return layers[-1].get("type") == "SoftMax"


def class_probabilities(outputs: np.ndarray, already: bool) -> np.ndarray:
    """Softmax over each row of the model's outputs (as `shoal predict`), unless they are probabilities."""
    if already:
        return outputs.astype(np.float64)
    z = outputs.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _list_column(rows: np.ndarray) -> pa.Array:
    """A [n, k] float64 array as an Arrow list<double> column (no per-row objects)."""
    n, k = rows.shape
    offsets = pa.array(np.arange(0, (n + 1) * k, k, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(rows.reshape(-1)))


def predict_batches(model_file: Any, outputs: str, feature_size: list[int], batch_size: int, label_base: int,
                    names: tuple[str, str], batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Executor side of transform: each batch's rows through the model with as many compute threads
    as the task has CPUs (spark.task.cpus); the input columns pass through. ``outputs``: "classes"
    (class and probabilities), "raw" (the outputs as an array) or "values" (regression: the value,
    a double, for one output; an array for several)."""
    import shoal
    from pyspark import TaskContext
    ctx = TaskContext.get()
    if ctx is not None:
        shoal.set_num_threads(int(ctx.cpus()))
    key = hashlib.sha256(model_file.value).digest()
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = _load_bytes(model_file.value)
    model = _LOADED[key]
    width = int(np.prod(feature_size))
    prediction_col, probability_col = names
    softmax_done = _ends_in_softmax(model)
    for batch in batches:
        x = feature_values(batch.column(STAGED), width, "transform")
        out = model.predict(x.reshape(len(x), *feature_size), batch_size=batch_size) if len(x) else \
            np.zeros((0, *model.output_shape), np.float32)
        out = out.reshape(len(x), -1)
        keep = [i for i, n in enumerate(batch.schema.names) if n != STAGED]
        columns = [batch.column(i) for i in keep]
        names_out = [batch.schema.names[i] for i in keep]
        if outputs == "classes":
            columns.append(pa.array(out.argmax(axis=1).astype(np.float64) + label_base))
            names_out.append(prediction_col)
            if probability_col:
                columns.append(_list_column(class_probabilities(out, softmax_done)))
                names_out.append(probability_col)
        elif outputs == "values" and out.shape[1] == 1:
            columns.append(pa.array(out[:, 0].astype(np.float64)))
            names_out.append(prediction_col)
        else:
            columns.append(_list_column(out.astype(np.float64)))
            names_out.append(prediction_col)
        yield pa.RecordBatch.from_arrays(columns, names=names_out)


@param_setters
class ShoalModel(Model, HasFeatures, HasOutputs, MLReadable, MLWritable):
    """A trained shoal network. ``transform(df)`` adds ``predictionCol`` (the class as a double; for
    ShoalEstimator's models the raw outputs as an array, or for regression (loss mse) the predicted
    value as a double, an array for several) and, for classes, ``probabilityCol`` (a Vector)."""

    def __init__(self, model_bytes: bytes = b"", outputs: str = "classes") -> None:
        super().__init__()
        self._setDefault(featuresCol="features", featuresCols=[], featureSize=[], predictionCol="prediction",
                         probabilityCol="probability", batchSize=512, labelBase=0)
        self.model_bytes = model_bytes
        self.outputs = outputs
        self.training: Optional[dict] = None  # what fit saw: attempts, time, each worker's figures, metrics
        self._network: Any = None

    @property
    def network(self) -> Any:
        """The trained network as a shoal.nn model (on the driver)."""
        if self._network is None:
            self._network = _load_bytes(self.model_bytes)
        return self._network

    def save_model_file(self, path: str) -> str:
        """Writes the model file (the CLI's model.shoal: `shoal predict --model-file` reads it)."""
        with open(path, "wb") as f:
            f.write(self.model_bytes)
        return path

    def _transform(self, df: DataFrame) -> DataFrame:
        sc = df.sparkSession.sparkContext
        feature_size = self.getFeatureSize() or list(self.network.input_shape)
        staged = df.withColumn(STAGED, features_column(df, self.getFeaturesCol(), self.getFeaturesCols()))
        prediction, probability = self.getPredictionCol(), self.getProbabilityCol()
        fields = list(df.schema.fields)
        if self.outputs == "classes":
            fields.append(T.StructField(prediction, T.DoubleType()))
            if probability:
                fields.append(T.StructField(probability, T.ArrayType(T.DoubleType())))
        elif self.outputs == "values" and int(np.prod(self.network.output_shape)) == 1:
            fields.append(T.StructField(prediction, T.DoubleType()))
        else:
            fields.append(T.StructField(prediction, T.ArrayType(T.DoubleType())))
        model_file = sc.broadcast(self.model_bytes)
        fn = partial(predict_batches, model_file, self.outputs, feature_size, self.getBatchSize(),
                     self.getLabelBase(), (prediction, probability))
        out = staged.mapInArrow(fn, T.StructType(fields))
        if self.outputs == "classes" and probability:
            out = out.withColumn(probability, array_to_vector(F.col(probability)))
        return out

    def copy(self, extra: Optional[dict] = None) -> "ShoalModel":
        that = super().copy(extra)
        that._network = None
        return that

    def write(self) -> MLWriter:
        return _ShoalModelWriter(self)

    @classmethod
    def read(cls) -> MLReader:
        return _ShoalModelReader(cls)


class _ShoalModelWriter(MLWriter):
    """Params as Spark ML's metadata; the model file as base64 lines "index<TAB>chunk" under data/."""

    def __init__(self, instance: ShoalModel) -> None:
        super().__init__()
        self.instance = instance

    def saveImpl(self, path: str) -> None:
        DefaultParamsWriter.saveMetadata(self.instance, path, self.sc, extraMetadata={"outputs": self.instance.outputs})
        data = self.instance.model_bytes
        lines = [f"{i}\t{base64.b64encode(data[at:at + LINE_BYTES]).decode()}"
                 for i, at in enumerate(range(0, len(data), LINE_BYTES))]
        self.sc.parallelize(lines, 1).saveAsTextFile(os.path.join(path, "data"))


class _ShoalModelReader(MLReader):
    def __init__(self, cls: type) -> None:
        super().__init__()
        self.cls = cls

    def load(self, path: str) -> ShoalModel:
        metadata = DefaultParamsReader.loadMetadata(path, self.sc)
        chunks = sorted((int(i), c) for i, c in (line.split("\t", 1) for line in
                                                  self.sc.textFile(os.path.join(path, "data")).collect()))
        model = self.cls(b"".join(base64.b64decode(c) for _, c in chunks), metadata.get("outputs", "classes"))
        DefaultParamsReader.getAndSetParams(model, metadata)
        return model
