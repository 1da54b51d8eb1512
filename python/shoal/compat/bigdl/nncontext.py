"""bigdl.dllib.nncontext over pyspark: init_nncontext returns the (new or running) SparkContext."""

from __future__ import annotations

from typing import Any, Optional


def init_nncontext(conf: Optional[Any] = None, cluster_mode: str = "spark-submit", **_: Any) -> Any:
    """The SparkContext of a new or running SparkSession (``conf``: a SparkConf or app name); shoal
    needs no engine set-up on it. ``cluster_mode`` is accepted for BigDL's scripts: run them under
    spark-submit or with a master set in the SparkConf."""
    from pyspark import SparkConf
    from pyspark.sql import SparkSession
    builder = SparkSession.builder
    if isinstance(conf, SparkConf):
        builder = builder.config(conf=conf)
    elif isinstance(conf, str):
        builder = builder.appName(conf)
    return builder.getOrCreate().sparkContext
