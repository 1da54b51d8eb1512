"""shoal on Apache Spark: Spark ML estimators that train on the executors with shoal's engine.

``ShoalClassifier`` / ``ShoalEstimator``: ``fit(df)`` runs one barrier stage of ``numWorkers`` tasks;
each hands its partition to the engine from Arrow and trains on it, the tasks exchanging gradients
(or weights) among themselves over Gloo, never through the driver. ``ShoalModel``: ``transform``
runs inference per Arrow batch; saves and loads with Spark ML's writer and reader; both work in a
``Pipeline``. Needs pyspark 4 (``./run`` installs it into .venv-spark); docs/spark.md.
"""

from shoal.spark.estimator import ShoalClassifier, ShoalEstimator, TrainingFailedError
from shoal.spark.model import ShoalModel

__all__ = ["ShoalClassifier", "ShoalEstimator", "ShoalModel", "TrainingFailedError"]
