"""The driver's view of a DataFrame's features and labels: the Spark expressions that turn them into
the two columns the executors read (x: array<float>; y: an int class, or array<float> numeric targets
for regression), and the checks made before training."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from pyspark.ml.functions import vector_to_array
from pyspark.ml.linalg import VectorUDT
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from shoal.errors import InputError
from shoal.spark.arrow_data import FEATURES, LABEL

NUMERIC = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.FloatType, T.DoubleType, T.DecimalType)


def _field(df: DataFrame, name: str, what: str) -> T.StructField:
    if name not in df.columns:
        raise InputError(f"{what} {name!r}: no such column (columns: {', '.join(df.columns)})")
    return df.schema[name]


def features_column(df: DataFrame, features_col: str, features_cols: list[str]) -> Column:
    """The features as one array<float> column: from a Vector, an array of numbers, or numeric columns."""
    if features_cols:
        for name in features_cols:
            field = _field(df, name, "featuresCols:")
            if not isinstance(field.dataType, NUMERIC):
                raise InputError(f"featuresCols: column {name!r} is {field.dataType.simpleString()}, "
                                 "expected a number")
        return F.array(*[F.col(c).cast("float") for c in features_cols])
    kind = _field(df, features_col, "featuresCol").dataType
    values = _float_array(features_col, kind)
    if values is not None:
        return values
    raise InputError(f"featuresCol {features_col!r} is {kind.simpleString()}: expected a Vector or an array "
                     "of numbers (or give numeric columns with featuresCols, or assemble them with VectorAssembler)")


def _float_array(name: str, kind: Any) -> Optional[Column]:
    """Column ``name`` of type ``kind`` as array<float> when it is a Vector or an array of numbers, else None."""
    if isinstance(kind, VectorUDT):
        return vector_to_array(F.col(name), dtype="float32")
    if isinstance(kind, T.ArrayType) and isinstance(kind.elementType, NUMERIC):
        return F.col(name).cast("array<float>")
    return None


def label_column(df: DataFrame, label_col: str) -> Column:
    """The label as an int column; refuses a label that is not a number."""
    kind = _field(df, label_col, "labelCol").dataType
    if not isinstance(kind, NUMERIC):
        raise InputError(f"labelCol {label_col!r} is {kind.simpleString()}: class labels must be numbers 0, 1, ...; "
                         "index them first (pyspark.ml.feature.StringIndexer)")
    return F.col(label_col)


def target_column(df: DataFrame, label_col: str) -> Column:
    """Numeric targets (regression) as an array<float> column: from a number, a Vector or an array of numbers."""
    kind = _field(df, label_col, "labelCol").dataType
    if isinstance(kind, NUMERIC):
        return F.array(F.col(label_col).cast("float"))
    values = _float_array(label_col, kind)
    if values is not None:
        return values
    raise InputError(f"labelCol {label_col!r} is {kind.simpleString()}: loss mse takes numeric targets "
                     "(a number, a Vector or an array of numbers per row)")


@dataclass
class DataShape:
    rows: int
    width: int          # features per row
    classes: int = 0    # highest label + 1 (0 without labels or with numeric targets)
    targets: int = 0    # values per row's numeric target (regression; 0 for class labels)


def stage_input(df: DataFrame, features_col: str, features_cols: list[str],
                label_col: Optional[str], label_base: int = 0, regression: bool = False) -> DataFrame:
    """The two columns the executors read: x (array<float>) and, with a label column, y (int class
    index from 0, or with ``regression`` the numeric targets as array<float>)."""
    cols = [features_column(df, features_col, features_cols).alias(FEATURES)]
    if label_col is not None and regression:
        cols.append(target_column(df, label_col).alias(LABEL))
    elif label_col is not None:
        cols.append((label_column(df, label_col) - label_base).cast("int").alias(LABEL))
    return df.select(*cols)


def check_data(df: DataFrame, features_col: str, features_cols: list[str], label_col: Optional[str],
               what: str = "the training DataFrame", label_base: int = 0, regression: bool = False) -> DataShape:
    """One pass over ``df``: rows, the feature count (the same in every row), and the labels (whole
    numbers from ``label_base``, no nulls; with ``regression`` numeric targets of one length, no
    nulls). InputError naming the column otherwise."""
    x = features_column(df, features_col, features_cols)
    shown = ", ".join(features_cols) if features_cols else repr(features_col)
    aggregates = [F.count(F.lit(1)).alias("rows"), F.min(F.size(x)).alias("shortest"),
                  F.max(F.size(x)).alias("longest"), F.sum(F.when(x.isNull(), 1).otherwise(0)).alias("null_x")]
    if label_col is not None and regression:
        t = target_column(df, label_col)
        aggregates += [F.sum(F.when(t.isNull() | F.col(label_col).isNull(), 1).otherwise(0)).alias("null_y"),
                       F.min(F.size(t)).alias("fewest"), F.max(F.size(t)).alias("most")]
    elif label_col is not None:
        y = label_column(df, label_col)
        aggregates += [F.min(y).alias("low"), F.max(y).alias("high"),
                       F.sum(F.when(y.isNull(), 1).otherwise(0)).alias("null_y"),
                       F.sum(F.when(y != F.floor(y), 1).otherwise(0)).alias("fractional")]
    r = df.agg(*aggregates).first()
    if r["rows"] == 0:
        raise InputError(f"{what} has no rows")
    if r["null_x"]:
        raise InputError(f"{what}: {r['null_x']} rows have no features (null) in {shown}")
    if r["shortest"] != r["longest"]:
        raise InputError(f"{what}: the features column {shown} varies in length, from {r['shortest']} to "
                         f"{r['longest']} values per row; every row needs the same number")
    shape = DataShape(rows=int(r["rows"]), width=int(r["longest"]))
    if label_col is not None and regression:
        if r["null_y"]:
            raise InputError(f"{what}: {r['null_y']} rows have no target (null) in {label_col!r}")
        if r["fewest"] != r["most"] or r["most"] < 1:
            raise InputError(f"{what}: the targets in {label_col!r} vary in length, from {r['fewest']} to "
                             f"{r['most']} values per row; every row needs the same number")
        shape.targets = int(r["most"])
    elif label_col is not None:
        if r["null_y"]:
            raise InputError(f"{what}: {r['null_y']} rows have no label (null) in {label_col!r}")
        if r["fractional"] or r["low"] < label_base:
            first = ", ".join(str(label_base + i) for i in range(2))
            raise InputError(f"{what}: labels in {label_col!r} must be whole numbers {first}, ...; found values from "
                             f"{r['low']} to {r['high']}" + (" with fractions" if r["fractional"] else ""))
        shape.classes = int(r["high"]) - label_base + 1
    return shape
