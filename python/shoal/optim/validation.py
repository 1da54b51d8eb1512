"""Validation methods (BigDL's): what validation and evaluation compute."""

from __future__ import annotations


class ValidationMethod:
    """A metric computed over a data set; ``name`` is the engine's name for it."""

    name = ""

    def __repr__(self) -> str:
        return f"{self.name}()"


class Top1Accuracy(ValidationMethod):
    """The share of samples whose highest-scoring class is the label."""

    name = "Top1Accuracy"


class Top5Accuracy(ValidationMethod):
    """The share of samples whose label is among the five highest-scoring classes."""

    name = "Top5Accuracy"


class Loss(ValidationMethod):
    """The criterion's mean loss."""

    name = "Loss"


def method_names(methods) -> list[str]:
    """Engine names for a list of validation methods (or names, or Keras' "accuracy"/"loss")."""
    aliases = {"accuracy": "Top1Accuracy", "acc": "Top1Accuracy", "loss": "Loss"}
    names = []
    for m in methods:
        if isinstance(m, ValidationMethod):
            names.append(m.name)
        elif isinstance(m, type) and issubclass(m, ValidationMethod):
            names.append(m.name)
        else:
            names.append(aliases.get(str(m), str(m)))
    return names
