"""bigdl.util.common over shoal: init_engine() (nothing to start), Sample, and a local stand-in for
Spark's context whose parallelize() keeps the samples in this process."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

import numpy as np


def init_engine(bigdl_type: str = "float") -> None:
    """Nothing to do: shoal's engine needs no JVM or Spark (kept so BigDL scripts run)."""


def create_spark_conf() -> dict:
    """A placeholder configuration (shoal runs without Spark)."""
    return {}


class Sample:
    """One sample: features and a label (BigDL's Sample)."""

    def __init__(self, features: np.ndarray, label: Any) -> None:
        self.features, self.label = features, label

    @classmethod
    def from_ndarray(cls, features: Any, labels: Any, bigdl_type: str = "float") -> "Sample":
        """A sample from a feature array and a label (a number or a one-element array)."""
        return cls(np.asarray(features, dtype=np.float32), float(np.asarray(labels).reshape(-1)[0]))


class LocalRDD(list):
    """The samples of a 'parallelized' list, in this process (what training_rdd receives)."""

    def map(self, f: Callable[[Any], Any]) -> "LocalRDD":
        """``f`` applied to every element."""
        return LocalRDD(f(s) for s in self)

    def collect(self) -> list:
        """The elements as a list."""
        return list(self)

    def count(self) -> int:
        """The number of elements."""
        return len(self)

    def rows_from(self, outputs: np.ndarray) -> "LocalRDD":
        """Model outputs as one row per sample (BigDL's predict)."""
        return LocalRDD(list(outputs))

    def classes_from(self, outputs: np.ndarray) -> "LocalRDD":
        """The highest-scoring class per sample, counted from the label base (BigDL's predict_class)."""
        from shoal.compat.bigdl import label_base
        return LocalRDD(int(c) + label_base() for c in np.argmax(outputs, axis=1))

    def to_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Stacked features [N, ...] (float32) and labels [N] (as given: 0- or 1-based)."""
        if not self or not all(isinstance(s, Sample) for s in self):
            raise TypeError("training data: expected a non-empty collection of Sample objects")
        return np.stack([s.features for s in self]), np.array([s.label for s in self])


class LocalContext:
    """A local stand-in for SparkContext: parallelize() keeps the data in this process."""

    def parallelize(self, data: Iterable[Any], numSlices: Optional[int] = None) -> LocalRDD:
        """``data`` as a LocalRDD (``numSlices`` is accepted and ignored)."""
        return LocalRDD(data)

    def stop(self) -> None:
        """Nothing to stop."""


def get_spark_context(conf: Any = None) -> LocalContext:
    """A local stand-in for the SparkContext (shoal trains in this process, or under mpirun)."""
    return LocalContext()


__all__ = ["init_engine", "create_spark_conf", "get_spark_context", "Sample", "LocalContext", "LocalRDD"]
