"""What both training front ends (shoal.optim.Optimizer and Module.fit) share: a run configuration
and in-memory inputs handed to the engine's train::Run."""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Optional, Sequence

import numpy as np

from shoal import _core
from shoal.data import DataSet, default_preprocessing
from shoal.optim.methods import SGD, OptimMethod
from shoal.optim.triggers import EveryEpoch, MaxEpoch, Trigger, end_config, every_iterations
from shoal.optim.validation import method_names


class Callback:
    """Called on the training thread between steps; returning True from a hook stops training.

    ``on_iteration_end(epoch, iteration, loss)`` after every step; ``on_epoch_end(epoch, logs)``
    at the end of every epoch with the epoch's record (loss, samples_per_sec, lr, validation
    metrics). An exception raised in a hook stops training and reaches the caller.
    """

    def on_iteration_end(self, epoch: int, iteration: int, loss: float) -> Optional[bool]:
        """After step ``iteration`` (from 1) of ``epoch`` with the step's ``loss``; True stops training."""
        return None

    def on_epoch_end(self, epoch: int, logs: dict) -> Optional[bool]:
        """At the end of ``epoch`` with its record (``logs``); True stops training."""
        return None


class EarlyStopping(Callback):
    """Keras' ``EarlyStopping(patience, restore_best_weights=True)``, run by the engine: stops
    training once ``monitor`` (a validation method's name, e.g. "auc" or "loss"; default the first
    validation method) has not improved for ``patience`` validations, and puts back the weights
    of its best validation. Needs validation data held out from training (``validation_data``,
    ``set_validation``); lower is better for Loss, MAE and LogLoss, higher for the others. Give it in
    ``callbacks``; the run's checkpoints carry its state, so a resumed run stops the same way.
    """

    def __init__(self, patience: int = 5, monitor: Optional[str] = None) -> None:
        if int(patience) <= 0:
            raise ValueError(f"EarlyStopping: patience must be positive, got {patience}")
        self.patience, self.monitor = int(patience), monitor

    def settings(self) -> dict:
        """The run-configuration keys it stands for."""
        return {"validation": {"early_stop": self.patience, "early_stop_metric": self.monitor or ""}}


def deep_merge(base: dict, extra: Optional[dict]) -> dict:
    """``base`` with the keys of ``extra`` put in (nested objects merged)."""
    out = dict(base)
    for key, value in (extra or {}).items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def model_info(model: Any, data: DataSet) -> dict:
    """The model file's info for ``model`` trained on ``data``: input shape, classes, preprocessing."""
    out = model.output_shape
    if len(out) != 1:
        from shoal.errors import ShapeError
        raise ShapeError(f"training takes a model with one output vector per sample (class scores or regression "
                         f"values), not per-sample shape {list(out)}")
    if model._preprocessing is None:
        model._preprocessing = default_preprocessing(data.x)
    return {"input_shape": list(model.input_shape), "classes": int(out[0]), "preprocessing": model._preprocessing}


def _callback_functions(callbacks: Sequence[Any]) -> tuple[Optional[Callable], Optional[Callable]]:
    iteration_hooks = [c.on_iteration_end for c in callbacks if hasattr(c, "on_iteration_end")]
    epoch_hooks = [c.on_epoch_end for c in callbacks if hasattr(c, "on_epoch_end")]

    def on_iteration(epoch: int, iteration: int, loss: float) -> bool:
        return any([bool(h(epoch, iteration, loss)) for h in iteration_hooks])

    def on_epoch(record: str) -> bool:
        logs = json.loads(record)
        return any([bool(h(logs["epoch"], logs)) for h in epoch_hooks])

    return (on_iteration if iteration_hooks else None), (on_epoch if epoch_hooks else None)


def run_training(model: Any, train: DataSet, *, criterion: Any = None, optim_method: Optional[OptimMethod] = None,
                 end_trigger: Optional[Trigger] = None, batch_size: int = 32,
                 validation: Optional[DataSet] = None, validation_trigger: Optional[Trigger] = None,
                 validation_methods: Optional[Sequence[Any]] = None, validation_batch_size: int = 0,
                 callbacks: Sequence[Any] = (), settings: Optional[dict] = None, command: str = "python") -> dict:
    """Trains ``model`` in place on ``train`` and returns the engine's summary.

    ``settings`` holds further run-configuration keys (``{"dist": {"strategy": "average"},
    "checkpoint": {"dir": ...}, "output": {"dir": ...}, "seed": 2}``), merged over those the
    arguments give. ``validation_batch_size`` 0 validates in batches of ``batch_size``.
    """
    if not model.built:
        model.build(train.sample_shape)
    info = model_info(model, train)
    classes = info["classes"]
    pre = info["preprocessing"]
    method = optim_method if optim_method is not None else SGD()
    config = {"optim": method.config(), "end": end_config(end_trigger or MaxEpoch(10)), "batch": int(batch_size),
              "validate_every": every_iterations(validation_trigger or EveryEpoch(), "validation trigger"),
              "validation": {"batch": int(validation_batch_size)}}
    config = deep_merge(config, settings)
    crit = criterion.handle() if criterion is not None else None
    if crit is not None:
        config.setdefault("loss", {"ClassNLLCriterion": "nll", "MSECriterion": "mse"}.get(crit.type_name, "ce"))
    regression = config.get("loss") == "mse"  # float targets, validated by loss (MSE) and MAE by default
    if regression:
        config["validation"].setdefault("methods", ["loss", "mae"])
        for name, data in (("training set", train), ("validation set", validation)):
            if data is None:  # no validation set: nothing to check
                continue
            width = 1 if data.y is None or data.y.ndim == 1 else int(np.prod(data.y.shape[1:]))
            if width != classes:
                from shoal.errors import ShapeError
                raise ShapeError(f"the {name}'s numeric targets have {width} value(s) per sample but the model "
                                 f"gives {classes} output(s)")
    train_handle = train.handle(classes, pre, numeric_targets=regression)
    val_handle = validation.handle(classes, pre, numeric_targets=regression) if validation is not None else None
    methods = method_names(validation_methods) if validation_methods else []
    if methods:  # what the run computes, as the configuration's checks and config.json see it
        config["validation"]["methods"] = [name.split("@")[0] for name in methods]
    stoppers = [c for c in callbacks if isinstance(c, EarlyStopping)]
    others = [c for c in callbacks if not isinstance(c, EarlyStopping)]
    if len(stoppers) > 1:
        raise ValueError("give at most one EarlyStopping callback")
    if stoppers:
        if validation is None:
            raise ValueError("EarlyStopping needs validation data held out from training (validation_data, "
                             "set_validation): it never chooses on the test set")
        config = deep_merge(config, stoppers[0].settings())
    on_iteration, on_epoch = _callback_functions(others)
    main_thread = threading.current_thread() is threading.main_thread()
    return _core.train(json.dumps(config), model._handle, json.dumps(info), train_handle, val_handle, crit, methods,
                       on_iteration, on_epoch, getattr(model, "_source", type(model).__name__), "arrays", command,
                       main_thread)


def evaluate_model(model: Any, data: DataSet, batch_size: int = 128, methods: Optional[Sequence[Any]] = None,
                   criterion: Any = None) -> dict[str, float]:
    """The model's metrics over ``data`` in evaluation mode: ``methods`` (default Top1Accuracy) and Loss."""
    if not model.built:
        model.build(data.sample_shape)
    info = model_info(model, data)
    handle = data.handle(info["classes"], info["preprocessing"])
    crit = criterion.handle() if criterion is not None else None
    names = method_names(methods) if methods else ["Top1Accuracy"]
    if "Loss" not in names:
        names.append("Loss")
    return _core.evaluate(model._handle, handle, names, crit, int(batch_size), json.dumps(info["preprocessing"]))


def predict_model(model: Any, x: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """The model's outputs [N, ...] for every sample of ``x`` (with the model's preprocessing)."""
    data = DataSet(x)
    if not model.built:
        model.build(data.sample_shape)
    if len(data) == 0:
        return np.zeros((0, *model.output_shape), np.float32)
    pre = model._preprocessing if model._preprocessing is not None else default_preprocessing(data.x)
    handle = data.handle(0, pre)
    return _core.predict(model._handle, handle, int(batch_size), json.dumps(pre))


def fit_batches(model: Any, batches: Any, *, epochs: int = 1, criterion: Any = None,
                optim_method: Optional[OptimMethod] = None, validation: Optional[DataSet] = None,
                validation_methods: Optional[Sequence[Any]] = None, callbacks: Sequence[Any] = (),
                verbose: bool = True) -> dict:
    """Trains from (x, y) batches given one at a time: an iterable walked once per epoch (a list,
    or a function called at every epoch's start that returns a fresh iterable, such as a
    generator reading files). Slower than arrays: each batch crosses into the engine (and is
    scaled) by itself, on one process, with the GIL released only inside each step."""
    import time
    from shoal.errors import UsageError
    if any(isinstance(c, EarlyStopping) for c in callbacks):
        raise UsageError("EarlyStopping applies to training from arrays or a DataSet, not from batches")
    fresh = batches if callable(batches) else (lambda: batches)
    method = optim_method if optim_method is not None else SGD()
    crit = criterion.handle() if criterion is not None else None
    trainer, info, iteration = None, None, 0
    summary: dict = {"epochs": 0, "iterations": 0, "loss": 0.0, "samples_per_sec": 0.0, "validation": {},
                     "stopped": False, "stopped_by_callback": False}
    samples_total, seconds_total = 0, 0.0
    for epoch in range(1, int(epochs) + 1):
        losses, samples, seconds, stop = [], 0, 0.0, False
        for batch in fresh():
            xb, yb = batch
            data = DataSet(xb, yb)
            if trainer is None:
                if not model.built:
                    model.build(data.sample_shape)
                info = model_info(model, data)
                trainer = _core.StepTrainer(model._handle, crit, json.dumps(method.config()),
                                            json.dumps(info["preprocessing"]))
            trainer.set_epoch(epoch - 1)
            start = time.perf_counter()
            loss = trainer.step(data.handle(info["classes"], info["preprocessing"]))
            seconds += time.perf_counter() - start
            iteration += 1
            losses.append(loss)
            samples += len(data)
            if any([bool(c.on_iteration_end(epoch, iteration, loss)) for c in callbacks if hasattr(c, "on_iteration_end")]):
                stop = True
                break
        if not losses:
            raise UsageError(f"batches: no batches in epoch {epoch}; give a list, or a function that returns a "
                             "fresh iterable for every epoch")
        samples_total, seconds_total = samples_total + samples, seconds_total + seconds
        logs: dict = {"type": "epoch", "epoch": epoch, "iteration": iteration, "loss": float(np.mean(losses)),
                      "samples_per_sec": samples / seconds if seconds > 0 else 0.0, "lr": trainer.lr}
        if validation is not None:
            logs["validation"] = evaluate_model(model, validation, methods=validation_methods, criterion=criterion)
            summary["validation"] = logs["validation"]
        if verbose:
            shown = "".join(f"  {k} {v:.4f}" for k, v in logs.get("validation", {}).items())
            print(f"epoch {epoch}  loss {logs['loss']:.4f}  {logs['samples_per_sec']:.0f} samples/s{shown}", flush=True)
        summary.update(epochs=epoch, iterations=iteration, loss=logs["loss"])
        if any([bool(c.on_epoch_end(epoch, logs)) for c in callbacks if hasattr(c, "on_epoch_end")]):
            stop = True
        if stop:
            summary.update(stopped=True, stopped_by_callback=True)
            break
    summary["samples_per_sec"] = samples_total / seconds_total if seconds_total > 0 else 0.0
    return summary
