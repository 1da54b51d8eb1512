"""What the cluster must offer a barrier training stage, checked on the driver before it starts."""

from __future__ import annotations

import time

from pyspark import SparkContext

from shoal.errors import UsageError


def refuse_dynamic_allocation(sc: SparkContext) -> None:
    """A barrier stage needs its executors for the whole stage; dynamic allocation may take them away."""
    if sc.getConf().get("spark.dynamicAllocation.enabled", "false").strip().lower() == "true":
        raise UsageError("shoal.spark: spark.dynamicAllocation.enabled is true; training runs one barrier stage "
                         "whose tasks must all hold their executors until the end: start the session with "
                         "spark.dynamicAllocation.enabled=false")


def free_task_slots(sc: SparkContext) -> int:
    """Tasks the cluster can run at once now (Spark's own count for barrier stages), less those running."""
    jsc = sc._jsc.sc()
    profile = jsc.resourceProfileManager().resourceProfileFromId(0)
    total = int(jsc.maxNumConcurrentTasks(profile))
    running = sum(int(e.numRunningTasks()) for e in jsc.statusTracker().getExecutorInfos())
    return total - running


def require_task_slots(sc: SparkContext, workers: int, wait_s: float = 0.0) -> None:
    """UsageError unless ``workers`` task slots are free, waiting up to ``wait_s`` for lost executors
    to come back (after a failed attempt)."""
    deadline = time.monotonic() + wait_s
    free = free_task_slots(sc)
    while free < workers and time.monotonic() < deadline:
        time.sleep(1.0)
        free = free_task_slots(sc)
    if free < workers:
        cpus = sc.getConf().get("spark.task.cpus", "1")
        raise UsageError(f"shoal.spark: numWorkers={workers} needs {workers} free task slots but the cluster has "
                         f"{free} now (executors x cores / spark.task.cpus={cpus}"
                         + (f", after waiting {wait_s:.0f} s" if wait_s else "")
                         + "): lower numWorkers or add executors")
