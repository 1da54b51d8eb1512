"""The training stage's task, run on the executors: one per worker in a barrier stage.

Each task takes its partition from Arrow (one copy into the engine's buffer), joins the others
through Gloo (rank 0's address, a free port and a fresh job secret travel through the barrier
context's allGather), trains with the engine on its own rows (shard "local": no re-sharding), and
rank 0 sends the run directory (model.shoal, metrics.jsonl, ...) back in chunks with the figures.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Iterator, Optional

import pyarrow as pa

CHUNK_BYTES = 4 << 20
OUTPUT_SCHEMA = "rank int, kind string, name string, part int, data binary"


@dataclass
class TrainingJob:
    """Everything a task needs, pickled with the task (the model file and validation set go by broadcast)."""
    workers: int
    width: int
    feature_size: list[int]
    epochs: int
    batch_size: int
    seed: int
    settings: dict                      # run-configuration keys: optim, dist, loss, checkpoint, ...
    model_file: Any                     # Broadcast of the start model's bytes (shoal model file)
    validation: Any = None              # Broadcast of (x, y) numpy arrays, or None
    comm_timeout: float = 120.0
    target_width: int = 0               # values per numeric target (regression); 0: class labels
    resume_from: Optional[str] = None   # checkpoint directory of an earlier attempt
    progress: Optional[tuple[str, int, str]] = None  # the driver's (host, port, token) for epoch lines


def _record(rank: int, kind: str, name: str, part: int, data: bytes) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array([rank], pa.int32()), pa.array([kind]), pa.array([name]), pa.array([part], pa.int32()),
         pa.array([data], pa.binary())], names=["rank", "kind", "name", "part", "data"])


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _join(ctx: Any, job: TrainingJob) -> int:
    """Connects this task to the others (Gloo) and returns its rank; a single process for one worker."""
    import shoal
    shoal._core.shutdown()  # a reused Python worker may hold an earlier stage's connection
    rank = ctx.partitionId()
    if job.workers == 1:
        shoal.init(timeout=job.comm_timeout)
        return rank
    offer = ""
    if rank == 0:
        host = ctx.getTaskInfos()[0].address.rsplit(":", 1)[0]
        offer = json.dumps({"rendezvous": f"{host}:{_free_port(host)}", "secret": secrets.token_hex(32)})
    rendezvous = json.loads(ctx.allGather(offer)[0])
    shoal.init(timeout=job.comm_timeout, comm="gloo", rendezvous=rendezvous["rendezvous"],
               world_size=job.workers, rank=rank, job_secret=rendezvous["secret"])
    return rank


class _EpochReporter:
    """Rank 0's epoch records, sent as JSON lines to the driver's progress listener (progress.py)."""

    def __init__(self, address: Optional[tuple[str, int, str]]) -> None:
        self.sock = None
        if address is not None:
            host, port, token = address
            try:
                self.sock = socket.create_connection((host, port), timeout=10)
                self.sock.sendall((token + "\n").encode())
            except OSError:
                self.sock = None  # the driver still gets every record in metrics.jsonl at the end

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        if self.sock is not None:
            try:
                self.sock.sendall((json.dumps(logs) + "\n").encode())
            except OSError:
                self.sock = None

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


def train_partition(job: TrainingJob, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The barrier task: hand over, join, train, and (rank 0) send back the run directory."""
    from pyspark import BarrierTaskContext

    import shoal
    from shoal.data import DataSet
    from shoal.nn import load
    from shoal.optim import MaxEpoch, Optimizer
    from shoal.spark.arrow_data import hand_over

    ctx = BarrierTaskContext.get()
    started = time.perf_counter()
    timing: dict = {}
    x, y = hand_over(batches, job.width, with_labels=True, what=f"partition {ctx.partitionId()}", timing=timing,
                     target_width=job.target_width)
    x = x.reshape(len(x), *job.feature_size)
    handover_seconds = time.perf_counter() - started
    rank = _join(ctx, job)
    join_seconds = time.perf_counter() - started - handover_seconds
    reporter = _EpochReporter(job.progress if rank == 0 else None)
    try:
        with tempfile.TemporaryDirectory(prefix="shoal-spark-") as work:
            model_path = os.path.join(work, "start.shoal")
            with open(model_path, "wb") as f:
                f.write(job.model_file.value)
            model = load(model_path)
            run_dir = os.path.join(work, "run")
            settings = dict(job.settings)
            settings["threads"] = int(ctx.cpus())
            settings["output"] = {"dir": run_dir, "quiet": True, "report": True}
            if job.resume_from:
                settings["resume"] = job.resume_from
            opt = Optimizer(model, DataSet(x, y), end_trigger=MaxEpoch(job.epochs), batch_size=job.batch_size,
                            seed=job.seed)
            opt.set_settings(settings)
            if job.validation is not None:
                opt.set_validation(batch_size=job.batch_size, val_set=job.validation.value)
            opt.set_callbacks([reporter])
            train_started = time.perf_counter()
            opt.optimize()
            figures = {"rank": rank, "rows": len(x), "handover_seconds": handover_seconds, **timing,
                       "join_seconds": join_seconds,
                       "train_seconds": time.perf_counter() - train_started, "summary": opt.summary}
            yield _record(rank, "figures", "", 0, json.dumps(figures).encode())
            if rank == 0:
                for name in sorted(os.listdir(run_dir)):
                    path = os.path.join(run_dir, name)
                    if not os.path.isfile(path):
                        continue
                    with open(path, "rb") as f:
                        part = 0
                        while chunk := f.read(CHUNK_BYTES):
                            yield _record(rank, "file", name, part, chunk)
                            part += 1
    finally:
        reporter.close()
        shoal._core.shutdown()
