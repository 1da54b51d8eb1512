"""Triggers (BigDL's): when training ends, and when validation and checkpoints happen."""

from __future__ import annotations


class Trigger:
    """A condition over the training state."""


class MaxEpoch(Trigger):
    """After ``max_epoch`` whole epochs."""

    def __init__(self, max_epoch: int = 10) -> None:
        self.max_epoch = int(max_epoch)


class MaxIteration(Trigger):
    """After ``max_iteration`` steps."""

    def __init__(self, max_iteration: int = 1000) -> None:
        self.max_iteration = int(max_iteration)


class MinLoss(Trigger):
    """When a step's loss falls below ``min_loss``."""

    def __init__(self, min_loss: float = 0.01) -> None:
        self.min_loss = float(min_loss)


class EveryEpoch(Trigger):
    """At the end of every epoch."""


class SeveralIteration(Trigger):
    """Every ``interval`` steps."""

    def __init__(self, interval: int = 100) -> None:
        self.interval = int(interval)


def end_config(trigger: Trigger) -> dict:
    """The run configuration's "end" object for an end trigger."""
    if isinstance(trigger, MaxEpoch):
        return {"epochs": trigger.max_epoch, "iterations": 0, "min_loss": 0.0}
    if isinstance(trigger, MaxIteration):
        return {"iterations": trigger.max_iteration, "min_loss": 0.0}
    if isinstance(trigger, MinLoss):
        return {"iterations": 0, "min_loss": trigger.min_loss}
    from shoal.errors import UsageError
    raise UsageError(f"end_trigger: expected MaxEpoch, MaxIteration or MinLoss, got {type(trigger).__name__}")


def every_iterations(trigger: Trigger, what: str) -> int:
    """0 for EveryEpoch, the interval for SeveralIteration (a validation or checkpoint trigger)."""
    if isinstance(trigger, EveryEpoch):
        return 0
    if isinstance(trigger, SeveralIteration):
        return trigger.interval
    from shoal.errors import UsageError
    raise UsageError(f"{what}: expected EveryEpoch or SeveralIteration, got {type(trigger).__name__}")
