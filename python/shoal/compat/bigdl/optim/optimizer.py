"""bigdl.optim.optimizer over shoal: BigDL's argument names (learningrate, training_rdd, val_rdd,
val_method, checkpoint_path) mapped onto shoal.optim."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import shoal.optim as so
from shoal.compat.bigdl import to_zero_based
from shoal.data import DataSet, as_dataset
from shoal.optim import (EpochStep, EveryEpoch, Exponential, Loss, MaxEpoch, MaxIteration, MinLoss, Poly,  # noqa: F401
                         SeveralIteration, Top1Accuracy, Top5Accuracy, TrainSummary, ValidationSummary)


def SGD(learningrate: float = 1e-3, learningrate_decay: float = 0.0, weightdecay: float = 0.0, momentum: float = 0.0,
        dampening: Optional[float] = None, nesterov: bool = False, leaningrate_schedule: Any = None,
        learningrate_schedule: Any = None) -> so.SGD:
    """BigDL's SGD; ``learningrate_decay`` is not supported (use a schedule); dampening defaults to 0."""
    if learningrate_decay:
        raise ValueError("SGD: learningrate_decay is not supported by shoal; use leaningrate_schedule "
                         "(EpochStep, Exponential, Poly)")
    return so.SGD(lr=learningrate, momentum=momentum, dampening=dampening or 0.0, nesterov=nesterov,
                  weight_decay=weightdecay, schedule=leaningrate_schedule or learningrate_schedule)


def Adam(learningrate: float = 1e-3, learningrate_decay: float = 0.0, beta1: float = 0.9, beta2: float = 0.999,
         epsilon: float = 1e-8) -> so.Adam:
    """BigDL's Adam; ``learningrate_decay`` is not supported (use a schedule on shoal.optim.Adam)."""
    if learningrate_decay:
        raise ValueError("Adam: learningrate_decay is not supported by shoal; use shoal.optim.Adam with a schedule")
    return so.Adam(lr=learningrate, beta1=beta1, beta2=beta2, epsilon=epsilon)


def _data(data: Any, model: Any, what: str) -> DataSet:
    """A data set from an RDD stand-in of Samples, an (x, y) pair or a DataSet, labels made 0-based."""
    ds = as_dataset(data, what)
    if ds.y is None:
        return ds
    if not model.built:
        model.build(ds.sample_shape)
    classes = int(model.output_shape[0])
    return DataSet(ds.x, to_zero_based(ds.y, classes))


class Optimizer(so.Optimizer):
    """BigDL's Optimizer(model, training_rdd, criterion, end_trigger, batch_size, optim_method)."""

    def __init__(self, model: Any, training_rdd: Any, criterion: Any = None, end_trigger: Any = None,
                 batch_size: int = 32, optim_method: Any = None, bigdl_type: str = "float") -> None:
        super().__init__(model, _data(training_rdd, model, "training_rdd"), criterion, end_trigger, optim_method,
                         batch_size)

    @classmethod
    def create(cls, model: Any, training_set: Any, criterion: Any = None, end_trigger: Any = None,
               batch_size: int = 32, optim_method: Any = None, **kwargs: Any) -> "Optimizer":
        """BigDL's Optimizer.create."""
        return cls(model, training_set, criterion, end_trigger, batch_size, optim_method)

    def set_validation(self, batch_size: int = 32, val_rdd: Any = None, trigger: Any = None,
                       val_method: Optional[Sequence[Any]] = None) -> "Optimizer":  # type: ignore[override]
        """BigDL's set_validation(batch_size, val_rdd, trigger, val_method)."""
        data = _data(val_rdd, self.model, "val_rdd") if val_rdd is not None else None
        super().set_validation(batch_size, data, trigger, val_method)
        return self

    def set_checkpoint(self, checkpoint_trigger: Any = None, checkpoint_path: str = "checkpoints",
                       isOverwrite: bool = True) -> "Optimizer":  # type: ignore[override]
        """BigDL's set_checkpoint(checkpoint_trigger, checkpoint_path, isOverwrite)."""
        super().set_checkpoint(checkpoint_trigger, checkpoint_path)
        return self


__all__ = ["Optimizer", "SGD", "Adam", "MaxEpoch", "MaxIteration", "MinLoss", "EveryEpoch", "SeveralIteration",
           "Top1Accuracy", "Top5Accuracy", "Loss", "TrainSummary", "ValidationSummary", "EpochStep", "Exponential",
           "Poly"]
