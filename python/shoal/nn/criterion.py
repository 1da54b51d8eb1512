"""Criteria under their BigDL names: losses between a batch of outputs and targets, with gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from shoal import _core


class Criterion:
    """A loss; ``forward(input, target)`` gives it, ``backward(input, target)`` its gradient."""

    type_name = ""

    def __init__(self, size_average: bool = True) -> None:
        self.size_average = bool(size_average)
        self._handle: Any = None

    def handle(self) -> Any:
        """The engine's criterion."""
        if self._handle is None:
            self._handle = _core.make_criterion(self.type_name, self.size_average)
        return self._handle

    def forward(self, input: Any, target: Any) -> float:
        """The loss (mean over the batch with size_average, else the sum)."""
        return float(self.handle().forward(np.asarray(input, np.float32), np.asarray(target, np.float32)))

    def backward(self, input: Any, target: Any) -> np.ndarray:
        """The gradient of the loss with respect to ``input``."""
        return self.handle().backward(np.asarray(input, np.float32), np.asarray(target, np.float32))

    def __repr__(self) -> str:
        return f"{self.type_name}()"


class _ClassWeighted(Criterion):
    """A classification criterion with optional per-class ``weights`` (one per class): each sample's
    loss is weighted by its class's weight, and with size_average the sum is divided by the sum of
    the samples' weights (PyTorch's weighted mean)."""

    def __init__(self, size_average: bool = True, *, weights: Any = None) -> None:
        super().__init__(size_average)
        self.weights = [] if weights is None else [float(w) for w in np.asarray(weights, np.float64).reshape(-1)]

    def handle(self) -> Any:
        if self._handle is None:
            self._handle = _core.make_criterion(self.type_name, self.size_average, self.weights)
        return self._handle

    def __repr__(self) -> str:
        return f"{self.type_name}(weights={self.weights})" if self.weights else f"{self.type_name}()"


class ClassNLLCriterion(_ClassWeighted):
    """Negative log-likelihood of the target class (from 0) given log-probabilities (after LogSoftMax)."""

    type_name = "ClassNLLCriterion"


class CrossEntropyCriterion(_ClassWeighted):
    """LogSoftMax and ClassNLL in one, on raw scores."""

    type_name = "CrossEntropyCriterion"


class MSECriterion(Criterion):
    """Mean squared error against targets shaped like the input."""

    type_name = "MSECriterion"


def criterion_from(loss: Any) -> Any:
    """A Criterion from a Criterion, None (the engine's choice) or "nll"/"ce"/"mse"."""
    if loss is None or isinstance(loss, Criterion):
        return loss
    names = {"nll": ClassNLLCriterion, "ce": CrossEntropyCriterion, "mse": MSECriterion,
             "sparse_categorical_crossentropy": CrossEntropyCriterion}
    if str(loss) not in names:
        from shoal.errors import UsageError
        raise UsageError(f"unknown loss '{loss}' (nll, ce, mse or a Criterion)")
    return names[str(loss)]()
