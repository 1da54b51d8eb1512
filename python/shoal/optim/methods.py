"""Optimisation methods and learning-rate schedules, as the run configuration's "optim" settings."""

from __future__ import annotations

from typing import Any, Optional


class LearningRateSchedule:
    """A learning-rate schedule; ``spec()`` is its run-configuration form ("step:2:0.5")."""

    def spec(self) -> str:
        """The "optim.schedule" string."""
        raise NotImplementedError


class EpochStep(LearningRateSchedule):
    """lr * gamma ** floor(epoch / step_size) (BigDL's EpochStep)."""

    def __init__(self, step_size: int = 1, gamma: float = 0.1) -> None:
        self.step_size, self.gamma = int(step_size), float(gamma)

    def spec(self) -> str:
        return f"step:{self.step_size}:{self.gamma!r}"


class Exponential(LearningRateSchedule):
    """lr * decay_rate ** (iteration / decay_step) (BigDL's Exponential)."""

    def __init__(self, decay_step: int = 1, decay_rate: float = 0.96) -> None:
        self.decay_step, self.decay_rate = int(decay_step), float(decay_rate)

    def spec(self) -> str:
        return f"exp:{self.decay_step}:{self.decay_rate!r}"


class Poly(LearningRateSchedule):
    """lr * (1 - iteration / max_iteration) ** power, 0 afterwards (BigDL's Poly)."""

    def __init__(self, power: float = 1.0, max_iteration: int = 1000) -> None:
        self.power, self.max_iteration = float(power), int(max_iteration)

    def spec(self) -> str:
        return f"poly:{self.power!r}:{self.max_iteration}"


class OptimMethod:
    """An optimisation method; ``config()`` is its run-configuration "optim" object."""

    def config(self) -> dict[str, Any]:
        """The "optim" settings of a run configuration."""
        raise NotImplementedError


def _schedule(schedule: Optional[LearningRateSchedule]) -> str:
    return "none" if schedule is None else schedule.spec()


class SGD(OptimMethod):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD).

    ``schedule`` changes the rate over training; ``warmup`` ramps it up linearly over that many
    steps first.
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0, schedule: Optional[LearningRateSchedule] = None,
                 warmup: int = 0) -> None:
        self.lr, self.momentum, self.dampening, self.nesterov = float(lr), float(momentum), float(dampening), bool(nesterov)
        self.weight_decay, self.schedule, self.warmup = float(weight_decay), schedule, int(warmup)

    def config(self) -> dict[str, Any]:
        return {"method": "sgd", "lr": self.lr, "momentum": self.momentum, "dampening": self.dampening,
                "nesterov": self.nesterov, "weight_decay": self.weight_decay,
                "schedule": _schedule(self.schedule), "warmup": self.warmup}


class Adam(OptimMethod):
    """Adam with bias correction and L2 weight decay.

    ``beta1`` and ``beta2`` are the decays of the gradient's and the squared gradient's running
    means (in [0, 1)), ``epsilon`` is added to the denominator (positive), as in torch.optim.Adam.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                 weight_decay: float = 0.0, schedule: Optional[LearningRateSchedule] = None,
                 warmup: int = 0) -> None:
        self.lr, self.beta1, self.beta2, self.epsilon = float(lr), float(beta1), float(beta2), float(epsilon)
        self.weight_decay, self.schedule, self.warmup = float(weight_decay), schedule, int(warmup)

    def config(self) -> dict[str, Any]:
        return {"method": "adam", "lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon,
                "weight_decay": self.weight_decay, "schedule": _schedule(self.schedule), "warmup": self.warmup}


class LBFGS(OptimMethod):
    """Full-batch L-BFGS: every step is one evaluation over the whole (per-rank) training set."""

    def __init__(self, lr: float = 1.0, max_iter: int = 20, line_search: bool = False) -> None:
        self.lr, self.max_iter, self.line_search = float(lr), int(max_iter), bool(line_search)

    def config(self) -> dict[str, Any]:
        return {"method": "lbfgs", "lr": self.lr, "lbfgs_iterations": self.max_iter,
                "line_search": self.line_search}


def method_from_name(name: str, lr: Optional[float] = None) -> OptimMethod:
    """"sgd", "adam" or "lbfgs" with its default settings (and ``lr`` when given)."""
    classes = {"sgd": SGD, "adam": Adam, "lbfgs": LBFGS}
    if name not in classes:
        from shoal.errors import UsageError
        raise UsageError(f"unknown optimisation method '{name}' (sgd, adam, lbfgs)")
    return classes[name]() if lr is None else classes[name](lr=lr)
