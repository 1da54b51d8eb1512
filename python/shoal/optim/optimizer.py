"""Optimizer (BigDL's shape): a model, a training set, a criterion, an end trigger, a method and a batch
size, with validation, checkpoints and summaries; optimize() trains through the engine's train::Run."""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence

from shoal import _training
from shoal.data import DataSet, as_dataset
from shoal.optim.methods import SGD, OptimMethod
from shoal.optim.triggers import EveryEpoch, MaxEpoch, Trigger, every_iterations


class TrainSummary:
    """Where a run's records go (BigDL's TrainSummary(log_dir, app_name)): the run directory
    log_dir/app_name receives train.log, metrics.jsonl (one "iteration" record per step, one
    "epoch" record per epoch with the validation metrics), config.json, model.shoal and report.html."""

    def __init__(self, log_dir: str = "runs", app_name: str = "shoal") -> None:
        self.log_dir, self.app_name = os.fspath(log_dir), app_name

    @property
    def directory(self) -> str:
        """log_dir/app_name."""
        return os.path.join(self.log_dir, self.app_name)


class ValidationSummary(TrainSummary):
    """The validation records (BigDL's ValidationSummary): the same run directory as TrainSummary,
    whose metrics.jsonl holds the validation metrics in its "epoch" and "validation" records."""


class Optimizer:
    """Trains ``model`` on ``training_set`` (a shoal.data.DataSet or an (x, y) pair of arrays) with
    ``criterion`` and ``optim_method`` until ``end_trigger``, in batches of ``batch_size`` per rank.

    Under mpirun every rank trains its shard of the data, data-parallel (``set_strategy``).
    """

    def __init__(self, model: Any, training_set: Any = None, criterion: Any = None,
                 end_trigger: Optional[Trigger] = None, optim_method: Optional[OptimMethod] = None,
                 batch_size: int = 32, seed: int = 1, shuffle: bool = True) -> None:
        if training_set is None:
            from shoal.errors import UsageError
            raise UsageError("Optimizer: training_set is required (a shoal.data.DataSet or an (x, y) pair)")
        self.model = model
        self.training_set = as_dataset(training_set, "training_set")
        self.criterion = criterion
        self.end_trigger = end_trigger or MaxEpoch(10)
        self.optim_method = optim_method or SGD()
        self.batch_size = int(batch_size)
        self.settings: dict = {"seed": int(seed), "shuffle": bool(shuffle)}
        self.validation: Optional[DataSet] = None
        self.validation_trigger: Trigger = EveryEpoch()
        self.validation_methods: Optional[list] = None
        self.validation_batch_size = 0
        self.callbacks: list = []
        self.summary: Optional[dict] = None

    @classmethod
    def create(cls, model: Any, training_set: Any, criterion: Any = None, end_trigger: Optional[Trigger] = None,
               batch_size: int = 32, optim_method: Optional[OptimMethod] = None, **kwargs: Any) -> "Optimizer":
        """The same as the constructor (BigDL's Optimizer.create)."""
        return cls(model, training_set, criterion, end_trigger, optim_method, batch_size, **kwargs)

    def set_validation(self, batch_size: int = 32, val_set: Any = None, trigger: Optional[Trigger] = None,
                       methods: Optional[Sequence[Any]] = None) -> "Optimizer":
        """Validates on ``val_set`` whenever ``trigger`` fires (EveryEpoch or SeveralIteration),
        computing ``methods`` (Top1Accuracy, Top5Accuracy, Loss, AUC, PrAUC, LogLoss, Precision, Recall, F1;
        default Top1Accuracy and Loss) in batches of ``batch_size``."""
        if int(batch_size) <= 0:
            raise ValueError(f"set_validation: batch_size must be positive, got {batch_size}")
        self.validation_batch_size = int(batch_size)
        self.validation = as_dataset(val_set, "val_set") if val_set is not None else None
        self.validation_trigger = trigger or EveryEpoch()
        self.validation_methods = list(methods) if methods else None
        return self

    def set_checkpoint(self, trigger: Optional[Trigger] = None, path: str = "checkpoints", keep: int = 3) -> "Optimizer":
        """Writes checkpoints into ``path`` at every epoch's end (EveryEpoch) or every N steps
        (SeveralIteration(N)), keeping the newest ``keep``; Ctrl-C also checkpoints."""
        every = every_iterations(trigger or EveryEpoch(), "checkpoint trigger")
        self.settings["checkpoint"] = {"dir": os.fspath(path), "every": "epoch" if every == 0 else str(every),
                                       "keep": int(keep)}
        return self

    def set_train_summary(self, summary: TrainSummary) -> "Optimizer":
        """Writes the run directory (train.log, metrics.jsonl, config.json, model.shoal, report.html)
        into summary.log_dir/summary.app_name."""
        self.settings["output"] = {**self.settings.get("output", {}), "dir": summary.directory, "report": True}
        return self

    def set_val_summary(self, summary: ValidationSummary) -> "Optimizer":
        """The validation metrics go to the same run directory's metrics.jsonl ("epoch" and
        "validation" records); ``summary`` names it when no train summary did."""
        if "dir" not in self.settings.get("output", {}):
            self.set_train_summary(summary)
        return self

    def set_end_when(self, end_trigger: Trigger) -> "Optimizer":
        """Replaces the end trigger."""
        self.end_trigger = end_trigger
        return self

    def set_strategy(self, strategy: str = "allreduce", average_every: int = 0, shard: str = "contiguous") -> "Optimizer":
        """How ranks under mpirun stay consistent: "allreduce" (gradients every step), "average"
        (weights every ``average_every`` steps) or "lbfgs" (full batch); ``shard`` contiguous, strided
        or local (each rank trains on all the training data it was given; shoal.spark uses it)."""
        self.settings["dist"] = {"strategy": strategy, "average_every": int(average_every), "shard": shard}
        return self

    def set_callbacks(self, callbacks: Sequence[Any]) -> "Optimizer":
        """shoal.optim.Callback objects called between steps and at epoch ends."""
        self.callbacks = list(callbacks)
        return self

    def set_settings(self, settings: dict) -> "Optimizer":
        """Further run-configuration keys (threads, quiet output, ...), merged in."""
        self.settings = _training.deep_merge(self.settings, settings)
        return self

    def optimize(self) -> Any:
        """Trains until the end trigger fires; returns the (trained, same) model.

        Raises KeyboardInterrupt after a clean stop on Ctrl-C (checkpoint written when set), and
        re-raises an exception a callback raised. The summary is kept in ``self.summary``.
        """
        self.summary = _training.run_training(
            self.model, self.training_set, criterion=self.criterion, optim_method=self.optim_method,
            end_trigger=self.end_trigger, batch_size=self.batch_size, validation=self.validation,
            validation_trigger=self.validation_trigger, validation_methods=self.validation_methods,
            validation_batch_size=self.validation_batch_size, callbacks=self.callbacks, settings=self.settings, command="python: Optimizer.optimize")
        return self.model
